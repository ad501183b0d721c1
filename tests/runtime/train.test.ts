// Training loop: no tensor leak across epochs (nor after the run, for every optimizer), a
// non-finite loss stops with the epoch and batch, the same seed gives the same run, and a real
// Fashion-MNIST CNN (compiled from pipelines/mnist_cnn.dlp with its source switched to
// fashion_mnist) reaches >= 0.72 test accuracy in one epoch of 12000 samples, saves, and
// reloads with tf.loadLayersModel to identical predictions.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tf, initBackend, loadDataset, trainModel, runPipeline, dirHandler, TrainingError, type CompiledPipeline, type OptimizerSpec, type TrainSpec } from "dlp/runtime";
import { compileText, REPO } from "./compiled.ts";

// The README's CNN, compiled by dlpc, on Fashion-MNIST instead of MNIST digits.
async function fashionSmall(): Promise<CompiledPipeline> {
  const text = readFileSync(join(REPO, "pipelines/mnist_cnn.dlp"), "utf8");
  // Batch 64 instead of 128: twice the steps in the few samples a test can afford.
  const swapped = text.replace(/pipeline mnist_cnn\b/, "pipeline fashion_small").replace(/source mnist\b/, "source fashion_mnist").replace(/batch +128\b/, "batch     64");
  assert.ok(swapped.includes("source fashion_mnist") && swapped.includes("pipeline fashion_small") && swapped.includes("batch     64"), "pipelines/mnist_cnn.dlp changed shape; update this test");
  return (await compileText(swapped, "pipelines/mnist_cnn.dlp (source fashion_mnist)")).pipeline;
}

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
    source: { kind: "mnist" }, inputs: [{ name: "x", transforms: [{ op: "scale", by: scale }, { op: "reshape", shape: [28, 28, 1] }], shape: [28, 28, 1] }],
    outputs: [{ name: "y", labels: { kind: "class", classes: 10, encoding: "onehot" } }], split: { validation: { last: 100 } }, augment: [], shuffle: true,
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
  // After the run only the model's own weights remain: optimizer state (including the learning-rate
  // scalar tfjs's momentum optimizer forgets to dispose) and best-weight snapshots are gone.
  assert.is(tf.memory().numTensors, before, `tensors before ${before}, after ${tf.memory().numTensors}`);
  model.dispose();
});

test("no tensor leak with any optimizer, schedule or callback", async () => {
  await initBackend("wasm");
  const d = await mnistSmall();
  const optimizers: OptimizerSpec[] = [
    { name: "sgd", learningRate: 0.01 }, { name: "sgd", learningRate: 0.01, momentum: 0.9 }, { name: "adam", learningRate: 1e-3 },
    { name: "rmsprop", learningRate: 1e-3, momentum: 0.5 }, { name: "adagrad", learningRate: 0.01 }, { name: "adamax", learningRate: 1e-3 },
    { name: "adam", learningRate: 1e-3, schedule: { kind: "cosine", epochs: 2, minLr: 1e-5 }, decay: 1e-3 },
  ];
  for (const optimizer of optimizers) {
    const before = tf.memory().numTensors;
    const model = smallModel();
    const afterBuild = tf.memory().numTensors;
    const counts: number[] = [];
    await trainModel(model, { ...spec, optimizer, clipNorm: 1, callbacks: [...spec.callbacks, { kind: "early_stop", monitor: "val_loss", patience: 5, minDelta: 0, mode: "min", restoreBest: true }] }, d, {
      epochs: 2, seed: 1, shuffle: true, labels: { kind: "class", classes: 10, encoding: "onehot" }, quiet: true, augment: [],
      onEpochEnd: () => { counts.push(tf.memory().numTensors); },
    });
    assert.is(counts[0], counts[1], `${JSON.stringify(optimizer)}: tensors after each epoch ${counts.join(", ")}`);
    assert.is(tf.memory().numTensors, afterBuild, `${JSON.stringify(optimizer)}: tensors left after training`);
    model.dispose();
    assert.is(tf.memory().numTensors, before, `${JSON.stringify(optimizer)}: tensors left after disposing the model`);
  }
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
  const fashion = await fashionSmall();
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

test("end to end: Fashion-MNIST CNN (12000 samples, 1 epoch of batch 64, wasm) reaches >= 0.72 test accuracy; saved model reloads identically", async () => {
  const out = tmp();
  const fashion = await fashionSmall();
  const r = await runPipeline(fashion, { backend: "wasm", limit: 12000, epochs: 1, out, quiet: true });
  assert.is(r.backend, "wasm");
  const acc = r.metrics.test?.["accuracy"] ?? 0;
  // Keras's convnet (dropout 0.5 straight into the softmax, 34 826 params) starts slower than the
  // Dense-128 model this bar was first set for: 0.7498 here (seeded, so the same on every wasm
  // run), 0.726 after 2 epochs of 6000; chance is 0.1.
  assert.ok(acc >= 0.72, `test accuracy ${acc}`);
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
