// Pretrained weights and frozen layers: `init_weights` from a dlp run folder (by order: a
// trained base starts the first layers, a new head trains) and from a Keras HDF5 weights file
// (by name, written here with h5wasm in Keras 2's save_weights layout); `trainable: false`
// keeps a layer's weights bit-for-bit through training and moves its count to the summary's
// non-trainable params; shape mismatches name the model's layer, the file's layer and both
// shapes, and nothing trains.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { runPipeline, loadModel, type RunOptions } from "dlp/runtime";
import { compileText, scratchDir } from "./compiled.ts";
import { compile } from "../../compiler/driver.ts";
import { summaryJson } from "../../compiler/summary.ts";
import { importModel } from "../../compiler/import/importer.ts";

const pipe = (name: string, model: string, train = ""): string => `pipeline ${name} {
  seed 4
  data {
    source mnist
    x = images / 255 as vector[784]
    y = labels as class(10)
    split validation 10%
  }
  model {
${model}
  }
  train {
    loss sparse_categorical_crossentropy
    optimizer adam(lr: 1e-2)
    batch 32
    epochs 2
    ${train}
  }
}
`;
const opts = (out: string): RunOptions => ({ backend: "cpu", limit: 200, out, quiet: true });
const values = async (dir: string): Promise<Float32Array[]> => {
  const m = await loadModel(dir);
  // By layer: a model's getWeights() lists trainable weights before frozen ones.
  const w = m.layers.flatMap((l) => l.getWeights()).map((t) => Float32Array.from(t.dataSync() as Float32Array));
  m.dispose();
  return w;
};
const same = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

test("trainable: false freezes a layer (summary counts it as non-trainable; its weights do not move)", async () => {
  const text = pipe("frozen", "    dense(16, activation: relu, trainable: false)\n    dense(10, activation: softmax)");
  const s = summaryJson(compile(text, { file: "frozen.dlp" }).checked!);
  assert.is(s.nonTrainableParams, 784 * 16 + 16);
  assert.is(s.trainableParams, 16 * 10 + 10);
  const { pipeline } = await compileText(text, "frozen.dlp");
  const before = pipeline.buildModel(pipeline.defaults);
  assert.is(before.layers[1]!.trainable, false);
  before.dispose();
});

test("init_weights by order: a trained base starts the first layers, frozen; the new head trains", async () => {
  const cwd = scratchDir("pretrained");
  const base = await compileText(pipe("base", "    dense(16, activation: relu)\n    dense(10, activation: softmax)"), "base.dlp");
  const b = await runPipeline(base.pipeline, opts(join(cwd, "runs")));
  b.model.dispose();
  const baseW = await values(b.dir);

  const tuned = await compileText(pipe("tuned", "    dense(16, activation: relu, trainable: false)\n    dense(32, activation: relu)\n    dense(10, activation: softmax)", `init_weights "${b.dir}"`), "tuned.dlp");
  // The base's second layer (16 → 10) cannot start dense(32): named, and nothing trains.
  let err: Error | null = null;
  try { await runPipeline(tuned.pipeline, opts(join(cwd, "runs"))); } catch (e) { err = e as Error; }
  assert.ok(err, "expected a mismatch");
  assert.match(err!.message, /base: layer 2 of the model \(dense_1, Dense\) needs kernel \[16,32\], the file's layer "dense_Dense\d+" has kernel \[16,10\]/);

  // A new head instead: the frozen base keeps its exact weights, the head moves.
  const head = await compileText(pipe("head", "    dense(16, activation: relu, trainable: false)\n    dense(10, activation: softmax)", `init_weights "${b.dir}"`), "head.dlp");
  const h = await runPipeline(head.pipeline, opts(join(cwd, "runs")));
  h.model.dispose();
  const headW = await values(h.dir);
  assert.ok(same(headW[0]!, baseW[0]!) && same(headW[1]!, baseW[1]!), "the frozen base's kernel and bias are unchanged");
  assert.not.ok(same(headW[2]!, baseW[2]!), "the trainable head started from the base's layer and trained on");

  // `first 1`: only the base's first layer, under a new, wider head.
  const wider = await compileText(pipe("wider", "    dense(16, activation: relu, trainable: false)\n    dense(32, activation: relu)\n    dense(10, activation: softmax)", `init_weights "${b.dir}" first 1`), "wider.dlp");
  const w = await runPipeline(wider.pipeline, opts(join(cwd, "runs")));
  w.model.dispose();
  const wW = await values(w.dir);
  assert.ok(same(wW[0]!, baseW[0]!) && same(wW[1]!, baseW[1]!), "first 1: the base layer, frozen");
  assert.equal([wW[2]!.length, wW[4]!.length], [16 * 32, 32 * 10]);
});

test("init_weights from a Keras .h5 (save_weights layout) by name; a wrong shape names both layers", async () => {
  const h5 = (await import("h5wasm/node")) as unknown as { ready: Promise<unknown>; File: new (p: string, m: string) => { create_group(n: string): unknown; get(n: string): { create_attribute(n: string, v: unknown): void; create_dataset(o: object): void }; create_attribute(n: string, v: unknown): void; close(): void } };
  await h5.ready;
  const cwd = scratchDir("h5");
  const write = (file: string, kernelRows: number): { k: Float32Array; b: Float32Array } => {
    const f = new h5.File(file, "w");
    f.create_attribute("layer_names", ["dense", "dense_1"]);
    const k = Float32Array.from({ length: kernelRows * 16 }, (_, i) => Math.sin(i) / 10);
    const b = Float32Array.from({ length: 16 }, (_, i) => i / 100);
    f.create_group("dense");
    const g = f.get("dense");
    g.create_attribute("weight_names", ["dense/kernel:0", "dense/bias:0"]);
    f.create_group("dense/dense");
    f.get("dense/dense").create_dataset({ name: "kernel:0", data: k, shape: [kernelRows, 16], dtype: "<f" });
    f.get("dense/dense").create_dataset({ name: "bias:0", data: b, shape: [16], dtype: "<f" });
    f.create_group("dense_1");
    f.get("dense_1").create_attribute("weight_names", []);
    f.close();
    return { k, b };
  };
  const good = join(cwd, "good.h5");
  const { k, b } = write(good, 784);
  const text = (file: string): string => pipe("fromh5", "    dense(16, activation: relu, trainable: false)\n    dense(10, activation: softmax)", `init_weights "${file}" by_name`);
  const p = await compileText(text(good), "fromh5.dlp");
  const r = await runPipeline(p.pipeline, opts(join(cwd, "runs")));
  r.model.dispose();
  const w = await values(r.dir);
  assert.ok(same(w[0]!, k) && same(w[1]!, b), "the .h5's dense/kernel:0 and bias:0 start (and, frozen, stay in) the first dense");

  const bad = join(cwd, "bad.h5");
  write(bad, 100);
  const q = await compileText(text(bad), "fromh5.dlp");
  let err: Error | null = null;
  try { await runPipeline(q.pipeline, opts(join(cwd, "runs2"))); } catch (e) { err = e as Error; }
  assert.ok(err);
  assert.match(err!.message, /bad\.h5: layer 1 of the model \(dense, Dense\) needs kernel \[784,16\], the file's layer "dense" has kernel:0 \[100,16\]/);
});

test("the checker's init_weights errors, and dlpc import keeps trainable: false", () => {
  const bad = compile(pipe("x", "    dense(10, activation: softmax)", "init_weights runs"), { file: "x.dlp" });
  assert.ok(bad.diagnostics.some((d) => d.code === "DLP2004" && /`init_weights` takes a quoted path/.test(d.message)));
  const how = compile(pipe("x", "    dense(10, activation: softmax)", `init_weights "a" sideways`), { file: "x.dlp" });
  assert.ok(how.diagnostics.some((d) => /`init_weights` matches layers `by_order` \(the default\), `by_name`, or `first N`/.test(d.message)));
  const keras = JSON.stringify({
    class_name: "Sequential",
    config: { name: "s", layers: [
      { class_name: "InputLayer", config: { batch_input_shape: [null, 8], dtype: "float32", name: "in" } },
      { class_name: "Dense", config: { name: "base", trainable: false, units: 4, activation: "relu", use_bias: true } },
      { class_name: "Dense", config: { name: "head", trainable: true, units: 2, activation: "softmax", use_bias: true } },
    ] },
  });
  const text = importModel(keras, "frozen.json").text;
  assert.match(text, /dense\(4, trainable: false, activation: relu\)/);
  assert.match(text, /dense\(2, activation: softmax\)\n/);
});

test.run();
