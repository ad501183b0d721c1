// `source window(…)` (issue 13): Keras's timeseries_dataset_from_array windows over a CSV time
// series, split by time so that no window of one part shares a row with another part, per-sample
// and per-step targets, and the bad inputs (too few rows, a non-numeric cell, a split that would
// leak) as DataErrors naming the file and the line. Per-step targets through the training loop's
// target tensor and the evaluation's flattened predictions.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadDataset, type DataSpec } from "dlp/runtime";
import { tf } from "../../runtime/tf.ts";
import { dataError } from "./data_error.ts";
import { scratchDir } from "./compiled.ts";
import { targetTensor } from "../../runtime/train.ts";
import { lossJs, lossTensor } from "../../runtime/losses.ts";
import { computeMetrics, confusionMatrix } from "../../runtime/metrics.ts";

/** A series whose `t` column is the row number (0-based) and `v` = 10 · t, so every value says where it came from. */
function series(rows: number, extra = ""): string {
  const dir = scratchDir("window");
  const file = join(dir, "s.csv");
  const lines = ["t,v,cls"];
  for (let r = 0; r < rows; r++) lines.push(`${r},${10 * r},${r % 3}`);
  writeFileSync(file, lines.join("\n") + "\n" + extra);
  return file;
}

function spec(path: string, over: Partial<Extract<DataSpec["source"], { kind: "window" }>> = {}, labels: DataSpec["outputs"][number]["labels"] = { kind: "regression", outputs: 1 }, split: DataSpec["split"] = {}): DataSpec {
  const length = over.length ?? 5;
  return {
    source: { kind: "window", path, length, stride: 1, target: ["v"], horizon: 1, features: ["t"], ...over },
    inputs: [{ name: "x", transforms: [], shape: [length, over.features?.length ?? 1] }], outputs: [{ name: "y", labels }], split, augment: [], shuffle: false,
  };
}

const rowsOf = (x: Float32Array) => Array.from(x);

test("windows of `length` rows every `stride`, the target `horizon` rows after the last step", async () => {
  const f = series(20);
  const d = await loadDataset(spec(f, { stride: 3 }), { seed: 1 });
  // Starts 0, 3, …, while start + 5 + 1 <= 20: 0..12 → 5 windows.
  assert.is(d.train.n, 5);
  assert.equal(d.train.sampleShape, [5, 1]);
  assert.equal(rowsOf(d.train.x.subarray(5, 10)), [3, 4, 5, 6, 7]);
  assert.equal(Array.from(d.train.y), [50, 80, 110, 140, 170]);
  const now = await loadDataset(spec(f, { horizon: 0 }), { seed: 1 });
  assert.is(now.train.n, 16);
  assert.is(now.train.y[0], 40);
});

test("per-step targets: the target `horizon` rows after each step; class ids per step", async () => {
  const f = series(12);
  const d = await loadDataset(spec(f, { length: 4 }, { kind: "regression", outputs: 1, perStep: true }), { seed: 1 });
  assert.is(d.train.yWidth, 4);
  assert.equal(Array.from(d.train.y.subarray(0, 8)), [10, 20, 30, 40, 20, 30, 40, 50]);
  const c = await loadDataset(spec(f, { length: 4, target: ["cls"], horizon: 0 }, { kind: "class", classes: 3, encoding: "sparse", perStep: true }), { seed: 1 });
  assert.instance(c.train.y, Int32Array);
  assert.equal(Array.from(c.train.y.subarray(0, 4)), [0, 1, 2, 0]);
  assert.is(c.outputWidth, 3);
  // Two target columns: two values per step.
  const two = await loadDataset(spec(f, { length: 4, target: ["v", "cls"], horizon: 0 }, { kind: "regression", outputs: 2, perStep: true }), { seed: 1 });
  assert.is(two.train.yWidth, 8);
  assert.equal(Array.from(two.train.y.subarray(0, 4)), [0, 0, 10, 1]);
});

test("splits are cut by time: test = last rows, validation before them, no window crosses a boundary", async () => {
  const f = series(100);
  const d = await loadDataset(spec(f, {}, undefined, { validation: { fraction: 0.2 }, test: { fraction: 0.2 } }), { seed: 1 });
  const span = (x: Float32Array, y: Int32Array | Float32Array) => ({ lo: Math.min(...x), hi: Math.max(...Array.from(y, (v) => v / 10)) });
  const tr = span(d.train.x, d.train.y), va = span(d.validation!.x, d.validation!.y), te = span(d.test!.x, d.test!.y);
  // Rows 0-63 train, 64-79 validation, 80-99 test (test: 20 % of 100; validation: 20 % of the 80 left).
  assert.ok(tr.hi < va.lo && va.hi < te.lo, JSON.stringify({ tr, va, te }));
  assert.equal([tr.lo, tr.hi, va.lo, va.hi, te.lo, te.hi], [0, 63, 64, 79, 80, 99]);
  assert.equal([d.train.n, d.validation!.n, d.test!.n], [59, 11, 15]);
  // `last N` takes the rows of N windows.
  const last = await loadDataset(spec(f, {}, undefined, { validation: { last: 10 } }), { seed: 1 });
  assert.is(last.validation!.n, 10);
  assert.is(Math.min(...last.validation!.x), 100 - (9 + 6));
  // --limit caps the windows of each part.
  const lim = await loadDataset(spec(f, {}, undefined, { validation: { fraction: 0.2 } }), { seed: 1, limit: 7 });
  assert.equal([lim.train.n, lim.validation!.n], [7, 7]);
});

test("bad input: too few rows, a non-numeric cell, a part without a window, a leaking split", async () => {
  await dataError(loadDataset(spec(series(5)), { seed: 1 }), /s\.csv: 5 data rows \(up to line 6\), one window needs 6 \(length 5 \+ horizon 1\)/);
  await dataError(loadDataset(spec(series(20, "20,x,1\n")), { seed: 1 }), /s\.csv:22: label column "v" is not a number: "x"/);
  await dataError(loadDataset(spec(series(20, "abc,200,1\n")), { seed: 1 }), /s\.csv:22: column "t" is not a number: "abc"/);
  await dataError(loadDataset(spec(series(30), {}, undefined, { validation: { fraction: 0.1 } }), { seed: 1 }), /validation part, rows 28–30 \(lines 29–31\), holds no window of 6 rows/);
  await dataError(loadDataset(spec(series(30), {}, undefined, { kfold: { k: 3, stratified: false } }), { seed: 1, fold: 0 }), /split kfold shuffles overlapping windows/);
  await dataError(loadDataset(spec(series(30), { features: [] }), { seed: 1 }), /s\.csv:1: no feature columns besides the target "v"/);
  await dataError(loadDataset(spec(series(30), { target: ["v", "cls"] }, { kind: "regression", outputs: 1 }), { seed: 1 }), /2 target columns, the pipeline declares 1 value/);
});

test("per-step targets through the loop: [B, steps, width] tensors, losses and metrics averaged over steps", () => {
  const y = Int32Array.from([0, 2, 1, 1, 0, 2]); // 2 samples × 3 steps
  const labels = { kind: "class", classes: 3, encoding: "sparse", perStep: true } as const;
  const t = targetTensor(y, labels, 2);
  assert.equal(t.shape, [2, 3, 3]);
  const p = Float32Array.from([0.8, 0.1, 0.1, 0.2, 0.2, 0.6, 0.1, 0.7, 0.2, 0.3, 0.3, 0.4, 0.9, 0.05, 0.05, 0.1, 0.1, 0.8]);
  const pred = tf.tensor(p, [2, 3, 3]);
  const training = lossTensor("sparse_categorical_crossentropy", t, pred).dataSync()[0]!;
  // The evaluation's view: 6 step-samples of width 3.
  const evaluated = lossJs("sparse_categorical_crossentropy", p, 3, 6, (i, k) => (y[i] === k ? 1 : 0));
  const byHand = -[0.8, 0.6, 0.7, 0.3, 0.9, 0.8].reduce((a, v) => a + Math.log(v), 0) / 6;
  assert.ok(Math.abs(training - byHand) < 1e-5 && Math.abs(evaluated - byHand) < 1e-5, `${training} ${evaluated} ${byHand}`);
  const pr = { p, width: 3, n: 6, y };
  assert.is(computeMetrics(pr, labels, [{ name: "accuracy" }]).accuracy, 5 / 6);
  assert.equal(confusionMatrix(pr), [[2, 0, 0], [0, 1, 1], [0, 0, 2]]);
  const r = targetTensor(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), { kind: "regression", outputs: 2, perStep: true }, 2);
  assert.equal(r.shape, [2, 2, 2]);
  tf.dispose([t, pred, r]);
});

test.run();
