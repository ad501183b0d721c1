// The checker reuses a layer call's validated arguments when the call is evaluated again with
// the same values (another tuning combination, another `repeat`, the same block argument).
// These tests pin that a reused validation never hides an error nor shares state.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile } from "../../compiler/driver.ts";

const pipeline = (params: string, blocks: string, model: string) => `pipeline p {
  ${params}
  data {
    source fashion_mnist
    x = images / 255 as image[28, 28, 1]
    y = labels as class(10)
  }
  ${blocks}
  model {
    flatten()
    ${model}
    dense(10, activation: softmax)
  }
  train { loss sparse_categorical_crossentropy; optimizer adam(); epochs 1 }
}
`;
const errors = (text: string) => compile(text, { file: "p.dlp" }).diagnostics.filter((d) => d.severity === "error");
const block = "block fc(n) (x) { return x |> dense(n, activation: relu) }";

test("a block call with a bad value reports after a good call of the same layer call", () => {
  const text = pipeline("", block, "fc(64)\n    fc(0)");
  const errs = errors(text);
  assert.is(errs.length, 1);
  assert.is(errs[0]!.code, "DLP2004");
  assert.is(text.slice(errs[0]!.span.start, errs[0]!.span.end), "n");
});

test("the bad value reports the same whether it comes first or second", () => {
  const first = errors(pipeline("", block, "fc(0)\n    fc(64)"));
  const second = errors(pipeline("", block, "fc(64)\n    fc(0)"));
  assert.equal(first.map((d) => [d.code, d.message]), second.map((d) => [d.code, d.message]));
  assert.is(first.length, 1);
});

test("a bad literal argument inside `repeat` is reported (not skipped on the later rounds)", () => {
  const text = pipeline("", "", "repeat 3 { dense(-4) }");
  const errs = errors(text);
  assert.is(errs.length, 1);
  assert.is(text.slice(errs[0]!.span.start, errs[0]!.span.end), "-4");
});

test("a tuning combination with a bad value still reports, after good ones, with its note", () => {
  const text = pipeline("param units = 32 tune choice(32, 64, 0)", "", "dense(units)");
  const errs = errors(text);
  assert.is(errs.length, 1);
  assert.is(errs[0]!.code, "DLP2004");
  assert.ok(errs[0]!.notes.some((n) => n.includes("units") && n.includes("0")), errs[0]!.notes.join(" | "));
});

test("repeated calls get equal but separate argument objects, defaults filled", () => {
  const r = compile(pipeline("", "", "repeat 3 { dense(16) }"), { file: "p.dlp" });
  assert.is(r.hasErrors, false);
  const dense = r.checked!.model!.layers.filter((l) => l.def.name === "dense" && l.args.units === 16);
  assert.is(dense.length, 3);
  assert.equal(dense[1]!.args, dense[0]!.args);
  assert.equal(dense[2]!.args, dense[0]!.args);
  assert.ok(Object.keys(dense[0]!.args).length > 1, "defaults are filled in");
  assert.is.not(dense[1]!.args, dense[0]!.args);
});

test.run();
