// Training loop: no tensor leak across epochs, a non-finite loss stops with the epoch and
// batch, the same seed gives the same run, and a real Fashion-MNIST CNN reaches >= 0.75 test
// accuracy, saves, and reloads with tf.loadLayersModel to identical predictions.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tf, initBackend, loadDataset, trainModel, runPipeline, dirHandler, TrainingError, type CompiledPipeline, type TrainSpec } from "dlp/runtime";
import { pipeline as fashion } from "./fixtures/fashion_cnn.ts";

const tmp = (): string => mkdtempSync(join(tmpdir(), "dlp-train-"));

function smallModel(output: "softmax" | "linear" = "softmax"): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, strides: 2, activation: "relu" }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dropout({ rate: 0.2 }));
  m.add(tf.layers.dense({ units: 10, activation: output }));
  return m;
}

const spec: TrainSpec = {
  loss: "categorical_crossentropy", optimizer: { name: "sgd", learningRate: 0.05, momentum: 0.9, nesterov: true }, batchSize: 64, epochs: 3,
  metrics: [{ name: "accuracy" }], callbacks: [{ kind: "checkpoint", monitor: "val_loss", mode: "min" }, { kind: "reduce_lr", monitor: "val_loss", factor: 0.5, patience: 1, minLr: 1e-4, mode: "min" }],
};

async function mnistSmall(scale = 1 / 255) {
  return loadDataset({
    source: { kind: "mnist" }, transforms: [{ op: "scale", by: scale }, { op: "reshape", shape: [28, 28, 1] }], inputShape: [28, 28, 1],
    labels: { kind: "class", classes: 10, encoding: "onehot" }, split: { validation: { last: 100 } }, augment: [], shuffle: true,
  }, { seed: 7, limit: 600 });
}

test("no tensor leak: tf.memory().numTensors is the same after every epoch", async () => {
  await initBackend("wasm");
  const d = await mnistSmall();
  const model = smallModel();
  const counts: number[] = [];
  const before = tf.memory().numTensors;
  await trainModel(model, spec, d, {
    epochs: 3, seed: 1, shuffle: true, labels: { kind: "class", classes: 10, encoding: "onehot" }, quiet: true,
    augment: [{ op: "rotate", degrees: 10 }, { op: "zoom", min: 0.9, max: 1.1 }, { op: "flip", mode: "horizontal" }],
    onEpochEnd: () => { counts.push(tf.memory().numTensors); },
  });
  assert.is(counts.length, 3);
  assert.ok(counts.every((c) => c === counts[0]), `tensors after each epoch: ${counts.join(", ")}`);
  // tfjs's momentum optimizer keeps its momentum scalar after dispose(); nothing else may remain.
  assert.ok(tf.memory().numTensors <= before + 1, `tensors before ${before}, after ${tf.memory().numTensors}`);
  model.dispose();
});

test("a non-finite loss stops training naming the epoch and batch", async () => {
  await initBackend("wasm");
  const d = await mnistSmall(1e30);
  const model = smallModel("linear");
  try {
    await trainModel(model, { ...spec, loss: "mse", callbacks: [] }, d, { epochs: 2, seed: 1, shuffle: false, augment: [], labels: { kind: "class", classes: 10, encoding: "onehot" }, quiet: true });
    assert.unreachable("training should stop");
  } catch (e) {
    assert.instance(e, TrainingError, String(e));
    assert.match((e as Error).message, /loss became (NaN|infinite) at epoch 1, batch 1 of 8/);
  }
  model.dispose();
});

test("the same seed gives the same weights on one backend", async () => {
  const tiny: CompiledPipeline = {
    ...fashion, name: "tiny", data: () => ({ ...fashion.data(fashion.defaults), source: { kind: "mnist" } }), buildModel: () => smallModel(),
    train: () => ({ ...spec, epochs: 1 }), evaluate: null,
  };
  const a = await runPipeline(tiny, { backend: "wasm", limit: 300, quiet: true, save: false, report: false });
  const b = await runPipeline(tiny, { backend: "wasm", limit: 300, quiet: true, save: false, report: false });
  assert.equal(a.history, b.history);
  const wa = a.model.getWeights().map((t) => Array.from(t.dataSync()));
  const wb = b.model.getWeights().map((t) => Array.from(t.dataSync()));
  assert.equal(wa, wb);
  a.model.dispose();
  b.model.dispose();
});

test("end to end: Fashion-MNIST CNN (6000 samples, 1 epoch, wasm) reaches >= 0.75 test accuracy; saved model reloads identically", async () => {
  const out = tmp();
  const r = await runPipeline(fashion, { backend: "wasm", limit: 6000, epochs: 1, out, quiet: true });
  assert.is(r.backend, "wasm");
  const acc = r.metrics.test?.["accuracy"] ?? 0;
  assert.ok(acc >= 0.75, `test accuracy ${acc}`);
  assert.is(r.metrics.params, r.model.countParams());
  assert.is(r.metrics.confusionMatrix?.length, 10);
  const loaded = await tf.loadLayersModel(dirHandler(r.dir));
  const x = tf.randomUniform([8, 28, 28, 1], 0, 1, "float32", 3);
  const p1 = (r.model.predict(x) as tf.Tensor).dataSync();
  const p2 = (loaded.predict(x) as tf.Tensor).dataSync();
  assert.equal(Array.from(p2), Array.from(p1));
  tf.dispose([x]);
  loaded.dispose();
  r.model.dispose();
});

test.run();
