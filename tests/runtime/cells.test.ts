// The per-cell fast paths of typed CSV reading (runtime/data/csv.ts splitCsvLine, runtime/data/
// columns.ts isMissing) against their plain definitions — String.prototype.trim on every cell,
// and MISSING.has(cell.trim().toLowerCase()) — on cells that start or end with ASCII and
// non-ASCII whitespace, mixed case, and look-alikes of the missing markers.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { splitCsvLine } from "../../runtime/data/csv.ts";
import { isMissing, encodeColumns, fitColumns } from "../../runtime/data/columns.ts";
import type { ColumnSpec } from "../../runtime/spec.ts";

const MISSING = new Set(["", "na", "n/a", "nan", "null", "none", "?"]);
const reference = (cell: string): boolean => cell.length <= 8 && MISSING.has(cell.trim().toLowerCase());
const spaces = ["", " ", "\t", "\u00a0", "\ufeff", "\u2003", "\u3000"];
const words = ["", "na", "NA", "N/A", "n/a", "nan", "NaN", "NULL", "null", "None", "none", "?", "n", "N", "no", "Nope", "nana", "??", "0", "1.5", "-3", "x", "~", "é", "Ñ/A", "nAn"];

test("isMissing agrees with trim + lower-case + the marker set on every padded variant", () => {
  let n = 0;
  for (const w of words) for (const a of spaces) for (const b of spaces) {
    const cell = a + w + b;
    assert.is(isMissing(cell), reference(cell), JSON.stringify(cell));
    n++;
  }
  assert.ok(n > 1000);
  assert.ok(isMissing("\u00a0NA") && isMissing(" ? ") && isMissing("") && !isMissing("Nope") && !isMissing("n") && !isMissing("123456789"));
});

test("splitCsvLine trims each unquoted cell exactly as String.prototype.trim", () => {
  for (const a of spaces) for (const b of spaces) {
    const cells = ["x", "  y", "z\t", "", "é", "1.5"].map((c, i) => (i % 2 ? a + c + b : b + c + a));
    const line = cells.join(",");
    assert.equal(splitCsvLine(line, ","), line.split(",").map((c) => c.trim()), JSON.stringify(line));
    assert.equal(splitCsvLine(cells.join(";;"), ";;"), cells.map((c) => c.trim()));
  }
});

test("encoding a padded table gives the values of its trimmed twin; a bad cell names its row", () => {
  const specs: ColumnSpec[] = [
    { column: "n", kind: "numeric", scale: { kind: "standardize" }, fill: { kind: "median" } },
    { column: "c", kind: "category", maxTokens: 4, oneHot: true },
    { column: "b", kind: "binary" },
  ];
  const raw = { n: ["1", "\u00a02 ", "NA", " 4", "7\t"], c: [" a", "b\u00a0", "a", "?", "c"], b: ["yes", " no", "T", "f ", "1"] };
  const trimmed = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.map((c) => c.trim())]));
  const table = (cells: Record<string, string[]>) => ({ kind: "table" as const, cells, n: 5, at: (i: number) => `t.csv:${i + 2}` });
  const idx = Int32Array.from([0, 1, 2, 3, 4]);
  const f1 = fitColumns(specs, table(raw), idx, "t.csv"), f2 = fitColumns(specs, table(trimmed), idx, "t.csv");
  assert.equal(f1, f2);
  assert.is(f1[0]!.fill, 3, "median of 1, 2, 4, 7");
  const e1 = encodeColumns(f1, table(raw), "t.csv"), e2 = encodeColumns(f2, table(trimmed), "t.csv");
  assert.equal(Array.from(e1.data), Array.from(e2.data));
  assert.equal(e1.sampleShape, [1 + 4 + 1]);
  const bad = { ...raw, n: ["1", "2", "x", "4", "oops"] };
  assert.throws(() => encodeColumns(f1, table(bad), "t.csv"), /t\.csv:4: column "n" is not a number: "x"/);
});

test.run();
