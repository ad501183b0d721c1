// Declared label values applied by the runtime (issue 13): `class(3, from: 1)` reads labels 1..3
// as classes 0..2, `class(["cat", "dog", "bird"])` maps names (or numbers) to classes in the
// listed order, for csv, idx and images sources; the run's class names are the file's values, so
// `dlpc predict` answers in the user's terms. A label the declaration does not cover is a
// DataError naming the file and line.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadDataset } from "dlp/runtime";
import { compileText, dlpc, scratchDir, show } from "./compiled.ts";
import { dataError } from "./data_error.ts";
import { applyLabelValues } from "../../runtime/data/label_values.ts";
import type { RawPart } from "../../runtime/data/types.ts";

/** 60 rows, two features; the class is the quadrant band of x, written `names[k]`. */
function csv(dir: string, names: (k: number) => string, extra = ""): string {
  const file = join(dir, "points.csv");
  const rows = ["x,y,label"];
  for (let i = 0; i < 60; i++) {
    const k = i % 3;
    rows.push(`${(k * 2 + (i % 7) / 10).toFixed(2)},${((i * 13) % 10) / 10},${names(k)}`);
  }
  writeFileSync(file, rows.join("\n") + "\n" + extra);
  return file;
}

const pipeline = (file: string, labels: string): string => `pipeline points {
  seed 1
  data {
    source csv("${file}")
    x = features as vector[2]
    y = labels as ${labels}
  }
  model {
    dense(8, activation: relu)
    dense(3, activation: softmax)
  }
  train {
    loss sparse_categorical_crossentropy
    optimizer adam(lr: 0.05)
    batch 16
    epochs 30
  }
}
`;

test("class(3, from: 1): labels 1..3 load as classes 0..2 with class names 1, 2, 3", async () => {
  const dir = scratchDir("from-one");
  const file = csv(dir, (k) => String(k + 1));
  const { pipeline: p } = await compileText(pipeline(file, "class(3, from: 1)"), join(dir, "points.dlp"));
  const spec = p.data(p.defaults);
  assert.equal(spec.outputs[0]!.labels, { kind: "class", classes: 3, encoding: "sparse", from: 1 });
  const d = await loadDataset(spec, { seed: 1 });
  assert.equal([...new Set(d.train.y)].sort(), [0, 1, 2]);
  assert.equal(d.classNames, ["1", "2", "3"]);
  assert.equal(d.preprocess.classNames, ["1", "2", "3"]);
  // The first row's label is 1, class 0.
  assert.is(d.train.y[0], 0);
});

test("class([\"cat\", \"dog\", \"bird\"]): names map to classes in the listed order, not sorted", async () => {
  const dir = scratchDir("names");
  const names = ["cat", "dog", "bird"];
  const file = csv(dir, (k) => names[k]!);
  const { pipeline: p } = await compileText(pipeline(file, 'class(["cat", "dog", "bird"])'), join(dir, "points.dlp"));
  const d = await loadDataset(p.data(p.defaults), { seed: 1 });
  assert.equal(d.classNames, names);
  assert.equal(Array.from(d.train.y.slice(0, 3)), [0, 1, 2], "cat, dog, bird are 0, 1, 2 (sorted, bird would be 0)");
});

test("numeric label values: class([10, 20, 30]) maps 10 → 0, 20 → 1, 30 → 2", async () => {
  const dir = scratchDir("numbers");
  const file = csv(dir, (k) => String((k + 1) * 10));
  const { pipeline: p } = await compileText(pipeline(file, "class([10, 20, 30])"), join(dir, "points.dlp"));
  const d = await loadDataset(p.data(p.defaults), { seed: 1 });
  assert.equal(Array.from(d.train.y.slice(0, 3)), [0, 1, 2]);
  assert.equal(d.classNames, ["10", "20", "30"]);
});

test("class([\"no\", \"yes\"]) under binary_crossentropy: one sigmoid unit, \"no\" is 0 and \"yes\" is 1", async () => {
  const dir = scratchDir("binary");
  const file = csv(dir, (k) => (k === 1 ? "no" : "yes"));
  const text = pipeline(file, 'class(["yes", "no"])').replace("dense(3, activation: softmax)", "dense(1, activation: sigmoid)").replace("sparse_categorical_crossentropy", "binary_crossentropy");
  const { pipeline: p } = await compileText(text, join(dir, "points.dlp"));
  const spec = p.data(p.defaults);
  assert.equal(spec.outputs[0]!.labels, { kind: "binary", values: ["yes", "no"] });
  const d = await loadDataset(spec, { seed: 1 });
  assert.equal(Array.from(d.train.y.slice(0, 3)), [0, 1, 0], "listed order: yes is 0, no is 1");
  assert.equal(d.classNames, ["yes", "no"]);
});

test("a label outside the declaration is a DataError naming the file and line", async () => {
  const dir = scratchDir("outside");
  // Line 62 holds a 4, outside 1..3.
  const file = csv(dir, (k) => String(k + 1), "0.5,0.5,4\n");
  const names = ["cat", "dog", "bird"];
  const part = (y: number[]): RawPart => ({ x: { kind: "dense", data: new Float32Array(y.length), sampleShape: [1] }, y: Int32Array.from(y), yWidth: 1, labelAt: (i) => `f.csv:${i + 2}`, sampleAt: (i) => `f.csv:${i + 2}` });
  assert.throws(() => applyLabelValues(part([1, 2, 0]), undefined, { kind: "class", classes: 3, encoding: "sparse", from: 1 }), /f\.csv:4: label 0 is outside the declared classes of `class\(3, from: 1\)` \(1\.\.3\)/);
  assert.throws(() => applyLabelValues(part([0, 1, 2, 3]), ["bird", "cat", "cow", "dog"], { kind: "class", classes: 3, encoding: "sparse", values: names }), /f\.csv:4: label "cow" is not one of the declared classes of `class\(\["cat", "dog", "bird"\]\)`/);
  assert.throws(() => applyLabelValues(part([0, 1]), ["a", "b"], { kind: "class", classes: 2, encoding: "sparse", from: 1 }), /the labels are names .*list the names instead/);
  // Class folders named 1, 2, 3 are numbers: `from: 1` reads them.
  assert.equal(Array.from(applyLabelValues(part([0, 1, 2]), ["1", "2", "3"], { kind: "class", classes: 3, encoding: "sparse", from: 1 }).y), [0, 1, 2]);
  // The checker would refuse the file (it reads the 4): compile against a clean one, run on the bad one.
  const clean = csv(scratchDir("outside-clean"), (k) => String(k + 1));
  const { pipeline: p } = await compileText(pipeline(clean, "class(3, from: 1)"), join(dir, "points.dlp"));
  await dataError(loadDataset({ ...p.data(p.defaults), source: { kind: "csv", path: file, label: "label" } }, { seed: 1 }), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:62 \\(column "label"\\): label 4 is outside the declared classes of \`class\\(3, from: 1\\)\` \\(1\\.\\.3\\)`));
});

test("dlpc run on a from: 1 CSV trains, and dlpc predict reports the file's label values", () => {
  const cwd = scratchDir("from-one-cli");
  const file = csv(cwd, (k) => String(k + 1));
  writeFileSync(join(cwd, "points.dlp"), pipeline(file, "class(3, from: 1)"));
  const r = dlpc(cwd, "run", "points.dlp", "--backend", "wasm", "--quiet");
  assert.is(r.code, 0, show(r));
  mkdirSync(join(cwd, "new"));
  // One point from each band: x near 0, 2, 4 are the labels 1, 2, 3.
  writeFileSync(join(cwd, "new", "points.csv"), "x,y\n0.2,0.5\n2.2,0.5\n4.2,0.5\n");
  const out = dlpc(cwd, "predict", "runs/points", "new/points.csv", "--format", "json", "--backend", "wasm");
  assert.is(out.code, 0, show(out));
  const rows = JSON.parse(out.stdout) as { top: { class: string; probability: number }[] }[];
  assert.is(rows.length, 3);
  for (const row of rows) for (const t of row.top) assert.ok(["1", "2", "3"].includes(t.class), `class ${t.class} is not one of the file's labels`);
  assert.equal(rows.map((row) => row.top[0]!.class), ["1", "2", "3"], out.stdout);
});

test.run();
