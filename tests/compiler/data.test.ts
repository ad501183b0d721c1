// The data section's input expression: `as` after a pipe declares the piped result, and an input
// the checker cannot read is an error, never an empty data spec.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile } from "../../compiler/driver.ts";

const pipeline = (x: string) => `pipeline p {
  data {
    source csv("d.csv", label: "y")
    x = ${x}
    y = labels as binary
  }
  model { dense(1, activation: sigmoid) }
  train { loss binary_crossentropy; optimizer adam(); epochs 1 }
}
`;

test("`features |> standardize() as vector[2]` standardizes, then declares the shape", () => {
  const r = compile(pipeline("features |> standardize() as vector[2]"), { file: "p.dlp" });
  assert.equal(r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), []);
  assert.equal(r.checked?.data?.inputs[0]?.transforms, [{ op: "standardize" }, { op: "reshape", shape: [2] }]);
  assert.equal(r.checked?.inputShape, [2]);
});

test("a pipe stage that is not a call is an error at its span", () => {
  const text = pipeline("features |> 3 as vector[2]");
  const r = compile(text, { file: "p.dlp" });
  const errs = r.diagnostics.filter((d) => d.severity === "error");
  assert.is(errs.length, 1);
  assert.is(errs[0]!.code, "DLP2004");
  assert.is(text.slice(errs[0]!.span.start, errs[0]!.span.end), "3");
});

// Issue 14: `split test N%` on a source with its own test set is found by `dlpc check` (DLP4007),
// not only by `dlpc run`: an error for the datasets that ship one, a warning for folder sources.
const splitOn = (source: string, split: string) => `pipeline s {
  data {
    source ${source}
    x = ${source.startsWith("imdb") ? "sequences |> pad_sequences(100)" : "images / 255 as image[28, 28, 1]"}
    y = labels as ${source.startsWith("imdb") ? "binary" : "class(10)"}
    ${split}
  }
  model {
    ${source.startsWith("imdb") ? "embedding(10000, 8)\n    flatten()\n    dense(1, activation: sigmoid)" : "flatten()\n    dense(10, activation: softmax)"}
  }
  train {
    loss ${source.startsWith("imdb") ? "binary_crossentropy" : "sparse_categorical_crossentropy"}
  }
}
`;

test("split test on a source with its own test set: DLP4007 at the split line", () => {
  for (const [source, severity] of [["mnist", "error"], ["fashion_mnist", "error"], ["imdb", "error"], ['idx("data/x")', "warning"]] as const) {
    const text = splitOn(source, "split test 20%");
    const r = compile(text, { file: "s.dlp" });
    const d = r.diagnostics.filter((x) => x.code === "DLP4007");
    assert.is(d.length, 1, `${source}: ${JSON.stringify(r.diagnostics.map((x) => x.message))}`);
    assert.is(d[0]!.severity, severity, source);
    assert.is(text.slice(d[0]!.span.start, d[0]!.span.end), "split test 20%");
    assert.is(r.diagnostics.filter((x) => x.severity === "error" && x.code !== "DLP4007").length, 0, source);
  }
  // A validation split, and a test split on a source without a test set, are fine.
  assert.equal(compile(splitOn("mnist", "split validation 20%"), { file: "s.dlp" }).diagnostics.map((x) => x.code), []);
  const csv = `pipeline c {\n  data {\n    source csv("d.csv")\n    x = features as vector[4]\n    y = labels as class(3)\n    split test 20%\n  }\n  model {\n    dense(3, activation: softmax)\n  }\n  train {\n    loss sparse_categorical_crossentropy\n  }\n}\n`;
  assert.equal(compile(csv, { file: "c.dlp" }).diagnostics.map((x) => x.code), ["DLP4012"], "only the note that d.csv is not there yet");
});

test.run();
