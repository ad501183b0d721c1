// predict.html for typed-column models: the page's encoder (PAGE_COLUMNS_JS, plain browser
// JavaScript) gives exactly what runtime/data/columns.ts gives on the same rows — numbers with
// fills and scalings, categories in and out of vocabulary (ids and one-hot), binary, dates, text
// with punctuation, OOV words, truncation and an empty text — and the page escapes what it shows.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { encodeColumns, fitColumns } from "../../runtime/data/columns.ts";
import { PAGE_COLUMNS_JS, renderTablePage, tablePageConfig } from "../../runtime/export/table_page.ts";
import { predictPageConfig, renderPredictPage } from "../../runtime/export/predict_page.ts";
import type { ColumnSpec } from "../../runtime/spec.ts";
import type { FittedColumn } from "../../runtime/data/types.ts";

type PageApi = { encodeRow: (cols: FittedColumn[], cellOf: (n: string) => string, lookups: unknown) => Float32Array; lookupsOf: (cols: FittedColumn[]) => unknown };
const page = new Function(`${PAGE_COLUMNS_JS}\nreturn { encodeRow: encodeRow, lookupsOf: lookupsOf };`)() as PageApi;

const cells = {
  n: ["1.5", "", "7", "-2", "3", "NA", "10", "4"],
  c: ["red", "blue", "red", "green", "", "red", "violet", "blue"],
  b: ["yes", "No", "1", "false", "t", "n", "Y", "0"],
  d: ["2024-01-01", "2023-12-31", "2020-02-29 08:00", "1999-07-04", "2024-03-10", "2010-10-10", "2001-01-01", "2024-01-07"],
  t: ["The cat, the hat!", "", "a dog's day", "cat cat cat cat cat cat", "Zebra?", "the end", "new words only", "HAT"],
};
const specs: ColumnSpec[] = [
  { column: "n", kind: "numeric", fill: { kind: "median" }, scale: { kind: "standardize" } },
  { column: "n", kind: "numeric", fill: { kind: "value", value: 0 }, scale: { kind: "min_max" } },
  { column: "c", kind: "category", maxTokens: 3 },
  { column: "c", kind: "category", maxTokens: 4, oneHot: true, fill: { kind: "mode" } },
  { column: "b", kind: "binary" },
  { column: "d", kind: "date", scale: { kind: "normalize", mean: 10, std: 2 } },
  { column: "t", kind: "text", numWords: 6, maxlen: 4 },
];

test("the page's encoder matches the runtime's on every column kind, OOV and missing cells included", () => {
  const table = { kind: "table" as const, cells, n: 8, at: (i: number) => `t.csv:${i + 2}` };
  const fitted = fitColumns(specs, table, Int32Array.from([0, 1, 2, 3, 4, 5]), "t.csv");
  const node = encodeColumns(fitted, table, "t.csv");
  const width = node.sampleShape[0]!;
  const lookups = page.lookupsOf(fitted);
  for (let r = 0; r < 8; r++) {
    const js = page.encodeRow(fitted, (name) => (cells as Record<string, string[]>)[name]![r]!, lookups);
    assert.equal(Array.from(js), Array.from(node.data.subarray(r * width, (r + 1) * width)), `row ${r}`);
  }
  // Row 6 holds values never seen in training: category id 0, text OOV id 1.
  assert.is(node.data[6 * width + 2], 0);
});

test("the page's encoder refuses what the runtime refuses", () => {
  const cols: FittedColumn[] = [{ column: "b", kind: "binary" }];
  assert.throws(() => page.encodeRow(cols, () => "maybe", page.lookupsOf(cols)), /column "b" is declared binary\(\) but holds "maybe"/);
  const num: FittedColumn[] = [{ column: "n", kind: "numeric" }];
  assert.throws(() => page.encodeRow(num, () => "", page.lookupsOf(num)), /column "n" has a missing value/);
});

test("the form page escapes column names and vocabulary, and its config cannot close the script", () => {
  const cfg = tablePageConfig("p", { transforms: [{ op: "columns", columns: [{ column: "<b>x</b>", kind: "category", maxTokens: 3, vocab: ['"><script>alert(1)</script>', "ok"] }] }], inputShape: [1], sourceKind: "csv" })!;
  const html = renderTablePage(cfg);
  assert.not.match(html, "<b>x</b>");
  assert.not.match(html, "<script>alert(1)</script>");
  assert.match(html, "&lt;b&gt;x&lt;/b&gt;");
  assert.is(tablePageConfig("p", { transforms: [{ op: "scale", by: 1 }], inputShape: [1], sourceKind: "csv" }), null);
});

test("both predict pages' scripts are valid JavaScript (they share PAGE_MODEL_JS)", () => {
  const scripts = (html: string) => [...html.matchAll(/<script>\n([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  const table = renderTablePage(tablePageConfig("p", { transforms: [{ op: "columns", columns: [{ column: "a", kind: "numeric" }] }], inputShape: [1], sourceKind: "csv" })!);
  const image = renderPredictPage(predictPageConfig("p", { transforms: [{ op: "scale", by: 1 / 255 }], inputShape: [28, 28, 1], sourceKind: "mnist" })!);
  for (const html of [table, image]) {
    const s = scripts(html);
    assert.is(s.length, 1);
    assert.not.throws(() => new Function(s[0]!));
  }
});

test.run();
