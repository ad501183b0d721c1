// Editor help for typed CSV columns (issue 17): hover on a column name shows what the check-time
// probe read of it (kind, values, missing cells), hover on a column stage its docs/reference.md
// entry; completion offers the column stages after `|>` in the data section and the CSV's header
// names in a data field. Calls the server's hover and completion on an analysis of the text.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { CompletionItem, Hover } from "vscode-languageserver";
import { Analyzer } from "../../compiler/lsp/analysis.ts";
import { hover } from "../../compiler/lsp/hover.ts";
import { complete } from "../../compiler/lsp/completion.ts";
import { referenceEntry } from "../../compiler/reference.ts";

const CSV = "tests/golden/errors/data/people.csv";
const TEXT = `pipeline people {
  data {
    source csv("${CSV}")
    x = concat(age |> standardize(), hours |> fill(median) |> standardize(), city |> category(max_tokens: 8) |> one_hot(), smoker |> binary(), joined |> date())
    y = income as class(2)
  }
  model {
    dense(8, activation: relu)
    dense(2, activation: softmax)
  }
  train { loss sparse_categorical_crossentropy }
}
`;
const text = (h: Hover | null): string => (h && typeof h.contents === "object" && "value" in h.contents ? h.contents.value : "");
const hoverAt = (src: string, needle: string, delta = 1): string => {
  const at = src.indexOf(needle);
  assert.ok(at >= 0, needle);
  return text(hover(new Analyzer("t.dlp").analyze(src), at + delta));
};
const completeAt = (src: string, needle: string, delta = needle.length): CompletionItem[] => {
  const at = src.indexOf(needle);
  assert.ok(at >= 0, needle);
  return complete(new Analyzer("t.dlp").analyze(src), src, at + delta);
};
const labels = (xs: CompletionItem[]) => xs.map((x) => x.label);

test("the pipeline checks clean (so the hovers below are on a real analysis)", () => {
  const a = new Analyzer("t.dlp").analyze(TEXT);
  assert.equal(a.diagnostics.filter((d) => d.severity === "error"), []);
});

test("hover on a column name: its probed kind, values and missing cells", () => {
  const hours = hoverAt(TEXT, "hours |>");
  assert.match(hours, `**column** \`hours\` of \`${CSV}\``);
  assert.match(hours, "looks numeric");
  assert.match(hours, "1 missing cell");
  const city = hoverAt(TEXT, "city |>");
  assert.match(city, "looks categorical: 4 distinct values");
  assert.match(city, "values: `Lisbon`, `Porto`");
  assert.match(city, "no missing cells");
  assert.match(hoverAt(TEXT, "smoker |>"), "looks binary");
  assert.match(hoverAt(TEXT, "joined |>"), "looks date");
  // A name that is not in the header: no column hover.
  assert.not.match(hoverAt(TEXT.replace("smoker |>", "smokr |>"), "smokr |>"), "**column**");
});

test("hover on a column stage, columns or concat: its reference entry", () => {
  for (const stage of ["category", "one_hot", "standardize", "fill", "date", "binary"]) {
    const shown = hoverAt(TEXT, `${stage}(`);
    assert.ok(shown.includes(referenceEntry("column", stage)!), `${stage}:\n${shown}`);
  }
  const withText = TEXT.replace("city |> category(max_tokens: 8) |> one_hot()", "city |> text(num_words: 50, maxlen: 4)").replace("dense(8, activation: relu)", "flatten()\n    dense(8, activation: relu)");
  assert.ok(hoverAt(withText, "text(").includes(referenceEntry("column", "text")!));
  assert.match(hoverAt(TEXT, "concat("), "joins several columns into one input vector");
  assert.match(hoverAt(TEXT.replace("age |> standardize()", "columns(age, hours) |> standardize()").replace("hours |> fill(median) |> standardize(), ", ""), "columns("), "groups numeric columns");
});

test("completion after |> in the data section offers the column stages; a CSV field offers the header's names", () => {
  let items = completeAt(TEXT.replace("smoker |> binary()", "smoker |> "), "smoker |> ");
  for (const s of ["category", "one_hot", "binary", "date", "text", "fill", "standardize", "min_max", "normalize"]) assert.ok(labels(items).includes(s), s);
  assert.ok(items.find((i) => i.label === "category")!.documentation, "each stage documented");
  // A field's value, and inside concat(…) / columns(…): the header names with their facts.
  items = completeAt(TEXT.replace("    y = income", "    z = \n    y = income"), "    z = ");
  assert.ok(["age", "hours", "city", "smoker", "joined", "income"].every((c) => labels(items).includes(c)), labels(items).join(","));
  assert.ok(labels(items).includes("concat") && labels(items).includes("columns"));
  const city = items.find((i) => i.label === "city")!;
  assert.match(JSON.stringify(city.documentation), "categorical");
  items = completeAt(TEXT.replace("x = concat(age |> standardize(), ", "x = concat(age |> standardize(), columns("), "columns(");
  assert.ok(labels(items).includes("hours"), labels(items).join(","));
  // A stage's arguments, and fill's policies.
  items = completeAt(TEXT.replace("category(max_tokens: 8)", "category()"), "category(");
  assert.ok(labels(items).includes("max_tokens:"));
  items = completeAt(TEXT.replace("fill(median)", "fill()"), "fill(");
  assert.ok(["mean", "median", "mode"].every((m) => labels(items).includes(m)));
});

test("a source that is not a table keeps the transforms after |>, without column stages", () => {
  const mnist = `pipeline m {\n  data {\n    source mnist\n    x = images |> \n    y = labels as class(10)\n  }\n}\n`;
  const items = completeAt(mnist, "images |> ");
  assert.ok(labels(items).includes("standardize") && labels(items).includes("pad_sequences"));
  assert.not.ok(labels(items).includes("category"));
});

test.run();
