// The checker on window sources and per-step labels (issue 13), beyond the error goldens: what a
// declaration may add after the labels, a window's input without its declaration, leaking
// splits, several targets, what a bounded read of the file finds, a tuned window length, and a
// per-step binary tagger that checks clean.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { compile } from "../../compiler/driver.ts";
import { emitPipeline } from "../../compiler/codegen/emit.ts";
import { scratchDir } from "../runtime/compiled.ts";

const dir = scratchDir("series-check");
const csv = join(dir, "s.csv");
writeFileSync(csv, "a,b,c,on\n" + Array.from({ length: 40 }, (_, i) => `${i},${i % 7},${(i * 3) % 5},${i % 2}`).join("\n") + "\n");

const pipeline = (data: string, model = "lstm(8, return_sequences: true)\n    time_distributed(dense(1, activation: sigmoid))", loss = "binary_crossentropy") => `pipeline p {
  data {
    ${data}
  }
  model {
    ${model}
  }
  train { loss ${loss} }
}
`;
const src = (extra = "") => `source window(${JSON.stringify(csv)}, length: 6, target: "on", horizon: 0${extra})`;
const errors = (text: string) => compile(text, { file: "p.dlp" }).diagnostics.filter((d) => d.severity === "error");

test("a per-step binary tagger over a window checks clean and emits per-step labels", () => {
  const r = compile(pipeline(`${src()}\n    x = features as series[6, 3]\n    y = labels as binary per step\n    split validation 20%`), { file: "p.dlp" });
  assert.equal(r.diagnostics, []);
  assert.equal(r.checked!.data!.outputs[0]!.labels, { kind: "binary", perStep: true });
  assert.equal(r.checked!.model!.layers.map((l) => l.output), [[6, 8], [6, 1]]);
});

test("after the labels only `per step` may follow; after the input nothing", () => {
  // A misspelt `per step` is reported, and the labels still count as per step (no cascade on the output).
  const junk = errors(pipeline(`${src()}\n    x = features as series[6, 3]\n    y = labels as binary per steps`));
  assert.equal(junk.map((d) => [d.code, d.message]), [["DLP2004", "unexpected `per steps` after the labels"]]);
  const after = errors(pipeline(`${src()}\n    x = features as series[6, 3] per step\n    y = labels as binary per step`));
  assert.equal(after.map((d) => [d.code, d.message]), [["DLP2004", "unexpected `per` after the input declaration"]]);
});

test("a window's input must be declared series[length, features]; the help reads the file", () => {
  const bare = errors(pipeline(`${src()}\n    x = features\n    y = labels as binary per step`));
  assert.equal(bare.map((d) => d.code), ["DLP3006"]);
  assert.match(bare[0]!.help!, /write `as series\[6, 3\]`/);
  const vec = errors(pipeline(`${src()}\n    x = features as vector[18]\n    y = labels as binary per step`));
  assert.equal(vec.map((d) => d.code), ["DLP2004"]);
  assert.match(vec[0]!.message, /a window source yields series/);
});

test("kfold on a window source leaks time; class labels come from one target column", () => {
  const kfold = errors(pipeline(`${src()}\n    x = features as series[6, 3]\n    y = labels as binary per step\n    split kfold 3`));
  assert.equal(kfold.map((d) => [d.code, d.message]), [["DLP4022", "k-fold splits of overlapping windows leak time"]]);
  const two = errors(pipeline(`${src().replace('target: "on"', 'target: ["on", "c"]').replace(", horizon: 0", ', horizon: 0, features: ["a", "b"]')}\n    x = features as series[6, 2]\n    y = labels as class(2) per step`, "lstm(8, return_sequences: true)\n    time_distributed(dense(2, activation: softmax))", "sparse_categorical_crossentropy"));
  assert.equal(two.map((d) => d.code), ["DLP4023"]);
  // The model is still checked against the window's 2 targets: a dense(3) head is reported too.
  const both = errors(pipeline(`${src().replace('target: "on"', 'target: ["on", "c"]').replace(", horizon: 0", ', horizon: 0, features: ["a", "b"]')}\n    x = features as series[6, 2]\n    y = labels as regression(3)`, "lstm(8)\n    dense(3)", "mse"));
  assert.equal(both.map((d) => d.code), ["DLP4023", "DLP5008"]);
});

test("check-time facts: a held-out part too short for one window is found before the run", () => {
  const e = errors(pipeline(`${src()}\n    x = features as series[6, 3]\n    y = labels as binary per step\n    split validation 10%`));
  assert.equal(e.map((d) => [d.code, d.message]), [["DLP4021", `the validation part of ${csv}, 4 rows, holds no window of 6`]]);
  assert.match(e[0]!.notes[0]!, /rows 37–40/);
  const ok = errors(pipeline(`${src()}\n    x = features as series[6, 3]\n    y = labels as binary per step\n    split validation last 1`));
  assert.equal(ok, []);
});

test("check-time facts: a non-numeric feature cell and a file of targets only, naming the file", () => {
  const bad = join(dir, "bad.csv");
  writeFileSync(bad, "a,on\n1,0\n2,1\nx,0\n");
  const e = errors(pipeline(`source window(${JSON.stringify(bad)}, length: 2, target: "on", horizon: 0)\n    x = features as series[2, 1]\n    y = labels as binary per step`));
  assert.equal(e.map((d) => d.code), ["DLP4010"]);
  assert.match(e[0]!.notes.join("\n"), /bad\.csv:4: column "a" is not a number: "x"/);
  const only = join(dir, "only.csv");
  writeFileSync(only, "on\n1\n0\n1\n");
  const none = errors(pipeline(`source window(${JSON.stringify(only)}, length: 2, target: "on", horizon: 0)\n    x = features as series[2, 1]\n    y = labels as binary per step`));
  assert.equal(none.map((d) => d.code), ["DLP4003"]);
  assert.match(none[0]!.message, /only\.csv has no feature columns besides the target/);
  // Absent: a note, and the declared features are taken as written.
  const absent = compile(pipeline(`source window("nowhere.csv", length: 6, target: "on")\n    x = features as series[6, 9]\n    y = labels as binary per step`), { file: "p.dlp" });
  assert.equal(absent.diagnostics.map((d) => d.code), ["DLP4012"]);
});

const tuned = (text: string) => text.replace("pipeline p {", "pipeline p {\n  param len = 6 tune choice(4, 6, 8)\n  tune {\n    strategy grid\n    objective minimize val_loss\n  }");
test("a tuned window length reaches data(p) and every combination is checked against the declared series", () => {
  const text = tuned(pipeline(`source window(${JSON.stringify(csv)}, length: len, target: "on", horizon: 0)\n    x = features as series[len, 3]\n    y = labels as binary per step`));
  const r = compile(text, { file: "p.dlp" });
  assert.equal(r.diagnostics.filter((d) => d.severity === "error"), []);
  const code = emitPipeline(r.checked!, "p.dlp", r.sourceHash);
  assert.match(code, /length: p\.len/);
  assert.match(code, /shape: \[p\.len, 3\]/);
  // A per-step output must keep the steps for every length: a valid conv1d does not.
  const conv = compile(text.replace("lstm(8, return_sequences: true)", "conv1d(4, 3)"), { file: "p.dlp" });
  assert.equal(conv.diagnostics.filter((d) => d.severity === "error").map((d) => d.code), ["DLP5021"]);
});

test.run();
