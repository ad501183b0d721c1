// dlpc predict's text for a model with several heads (compiler/commands/core.ts headsText).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { headsText } from "../../compiler/commands/core.ts";

const heads = [
  { name: "digit", kind: "class" as const, classNames: ["zero", "one", "two"] },
  { name: "recon", kind: "regression" as const },
];
const recon = Array.from({ length: 784 }, (_, i) => i / 1000);
const samples = [{ input: "a.png", index: null, heads: { digit: [0.1, 0.7, 0.2], recon } }];

test("the terminal table folds a wide regression head into one column with its count", () => {
  const text = headsText(samples, heads, "table");
  const [header, row] = text.trimEnd().split("\n");
  assert.equal(header!.split(/\s{2,}/), ["input", "digit", "digit_prob", "recon"]);
  assert.match(row!, /^a\.png\s+one\s+0\.7000\s+0\.0000 0\.0010 0\.0020 … \(784 values; --format csv lists them\)$/);
});

test("CSV keeps every value of a wide head, a column each", () => {
  const [header, row] = headsText(samples, heads, "csv").trimEnd().split("\n");
  assert.is(header!.split(",").length, 2 + 2 + 784);
  assert.is(header!.split(",").at(-1), "recon_783");
  assert.is(row!.split(",").at(-1), String(783 / 1000));
});

test("a narrow regression head keeps a column per value in the table", () => {
  const text = headsText([{ input: "r", index: 3, heads: { digit: [1, 0, 0], recon: [1.5, 2.5] } }], heads, "table");
  assert.equal(text.split("\n")[0]!.split(/\s{2,}/), ["input", "row", "digit", "digit_prob", "recon_0", "recon_1"]);
});

test.run();
