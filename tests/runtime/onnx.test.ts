// ONNX export (runtime/export/onnx.ts): every pipeline of pipelines/ and the zoo (VGG16 aside:
// 138M weights, and its layers are the others') is exported, loaded in onnxruntime-node, and its
// predictions compared with tfjs's on the same inputs (max |Δ| ≤ 1e-5); an untranslatable layer
// is named; `dlpc export RUN_DIR` writes RUN_DIR/model.onnx.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createRequire } from "node:module";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tf, initBackend, runPipeline } from "dlp/runtime";
import { compilePipeline, compileText, REPO, scratchDir } from "./compiled.ts";
import { exportOnnx } from "../../runtime/export/onnx.ts";
import { mulberry32 } from "../../runtime/rng.ts";

const require = createRequire(import.meta.url);
type Ort = { InferenceSession: { create(b: Uint8Array): Promise<{ run(f: Record<string, unknown>): Promise<Record<string, { data: Float32Array }>> }> }; Tensor: new (t: string, d: Float32Array, s: number[]) => unknown };
const ort = require("onnxruntime-node") as Ort;

async function compare(model: tf.LayersModel, batch: number, input: (n: number) => Float32Array): Promise<number> {
  const shape = [batch, ...(model.inputs[0]!.shape.slice(1) as number[])];
  const n = shape.reduce((a, b) => a * b, 1);
  const x = input(n);
  const want = tf.tidy(() => (model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array);
  const e = exportOnnx(model);
  const session = await ort.InferenceSession.create(e.bytes);
  const got = (await session.run({ [e.inputName]: new ort.Tensor("float32", x, shape) }))[e.outputName]!.data;
  assert.is(got.length, want.length);
  let max = 0;
  for (let i = 0; i < got.length; i++) max = Math.max(max, Math.abs(got[i]! - want[i]!));
  return max;
}

const uniform = (seed: number) => (n: number): Float32Array => { const r = mulberry32(seed); return Float32Array.from({ length: n }, () => r()); };

const PIPELINES = ["mnist_mlp", "mnist_cnn", "mnist_cnn_deep", "fashion_cnn", "cifar10_cnn", "cifar10_resnet", "resnet_small", "imdb_conv1d", "mobilenet_finetune", "zoo/mobilenet", "zoo/resnet50"];

for (const name of PIPELINES) {
  test(`${name}: onnxruntime's predictions equal tfjs's (max |Δ| ≤ 1e-5)`, async () => {
    await initBackend("wasm");
    const { pipeline } = await compilePipeline(`pipelines/${name}.dlp`);
    const model = pipeline.buildModel(pipeline.defaults);
    try {
      const ids = name.startsWith("imdb");
      const vocab = ids ? Number((model.layers.find((l) => l.getClassName() === "Embedding")!.getConfig() as { inputDim: number }).inputDim) : 0;
      const input = ids ? (n: number): Float32Array => { const r = mulberry32(3); return Float32Array.from({ length: n }, () => Math.floor(r() * vocab)); } : uniform(5);
      const diff = await compare(model, name.startsWith("zoo") ? 1 : 3, input);
      assert.ok(diff <= 1e-5, `${name}: max |onnx - tfjs| = ${diff}`);
    } finally {
      model.dispose();
    }
  });
}

test("mnist_two_heads: two graph inputs and two outputs, each equal to tfjs's (max |Δ| ≤ 1e-5)", async () => {
  await initBackend("wasm");
  const { pipeline } = await compilePipeline("pipelines/mnist_two_heads.dlp");
  const model = pipeline.buildModel(pipeline.defaults);
  try {
    const e = exportOnnx(model);
    assert.is(e.inputNames.length, 2);
    assert.is(e.outputNames.length, 2);
    const shapes = model.inputs.map((i) => [2, ...(i.shape.slice(1) as number[])]);
    const xs = shapes.map((sh, k) => uniform(7 + k)(sh.reduce((a, b) => a * b, 1)));
    const want = tf.tidy(() => (model.predict(xs.map((x, k) => tf.tensor(x, shapes[k]!))) as tf.Tensor[]).map((t) => t.dataSync() as Float32Array));
    const session = await ort.InferenceSession.create(e.bytes);
    const got = await session.run(Object.fromEntries(e.inputNames.map((n, k) => [n, new ort.Tensor("float32", xs[k]!, shapes[k]!)])));
    e.outputNames.forEach((n, k) => {
      const g = got[n]!.data;
      assert.is(g.length, want[k]!.length);
      let max = 0;
      for (let i = 0; i < g.length; i++) max = Math.max(max, Math.abs(g[i]! - want[k]![i]!));
      assert.ok(max <= 1e-5, `output ${n}: max |onnx - tfjs| = ${max}`);
    });
  } finally {
    model.dispose();
  }
});

test("batch_norm with trained statistics, same-padded strided convolutions and pools, relu6, separable convs", async () => {
  await initBackend("wasm");
  const { pipeline } = await compileText(`pipeline mix {
  data {
    source mnist
    x = images / 255 as image[28, 28, 1]
    y = labels as class(10)
  }
  model {
    conv2d(8, 3, strides: 2, padding: same, activation: relu6)
    batch_norm()
    separable_conv2d(12, 3, padding: same, activation: elu)
    avg_pool(3, strides: 2, padding: same)
    depthwise_conv2d(3, padding: same, activation: tanh)
    global_max_pool()
    dense(10, activation: softmax)
  }
  train { loss sparse_categorical_crossentropy }
}
`, "mix.dlp");
  const model = pipeline.buildModel(pipeline.defaults);
  // Non-trivial moving statistics, as after training.
  const bn = model.layers.find((l) => l.getClassName() === "BatchNormalization")!;
  const r = mulberry32(9);
  bn.setWeights(bn.getWeights().map((w, i) => tf.tensor(Float32Array.from({ length: w.size }, () => (i === 3 ? 0.5 + r() : r() - 0.5)), w.shape)));
  const diff = await compare(model, 2, uniform(1));
  model.dispose();
  assert.ok(diff <= 1e-5, `max |onnx - tfjs| = ${diff}`);
});

test("a layer without an ONNX translation is named, and nothing is written", async () => {
  const { pipeline } = await compileText(`pipeline rnn {
  data {
    source imdb
    x = sequences |> pad_sequences(20) as sequence[20]
    y = labels as binary
  }
  model {
    embedding(10000, 8)
    lstm(4)
    dense(1, activation: sigmoid)
  }
  train { loss binary_crossentropy }
}
`, "rnn.dlp");
  const model = pipeline.buildModel(pipeline.defaults);
  assert.throws(() => exportOnnx(model), /cannot export to ONNX:\n  layer 2 \(lstm_LSTM\d+, LSTM\): layer class LSTM has no ONNX translation in dlp/);
  model.dispose();
});

test("dlpc export RUN_DIR writes RUN_DIR/model.onnx, which onnxruntime loads", async () => {
  const cwd = scratchDir("export");
  const { pipeline } = await compilePipeline("pipelines/mnist_mlp.dlp");
  const r = await runPipeline(pipeline, { backend: "cpu", limit: 100, epochs: 1, out: cwd, quiet: true });
  r.model.dispose();
  const o = spawnSync(process.execPath, [join(REPO, "bin", "dlpc.mjs"), "export", r.dir, "--format", "onnx"], { encoding: "utf8" });
  assert.is(o.status, 0, o.stderr);
  assert.match(o.stdout, /model\.onnx: ONNX opset 13, \d+ nodes, input ".*", output ".*"\n/);
  assert.ok(existsSync(join(r.dir, "model.onnx")));
  await ort.InferenceSession.create(readFileSync(join(r.dir, "model.onnx")));
  const bad = spawnSync(process.execPath, [join(REPO, "bin", "dlpc.mjs"), "export", r.dir, "--format", "tflite"], { encoding: "utf8" });
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /export --format: onnx is the only format/);
});

test.run();
