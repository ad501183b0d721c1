// pipelines/mobilenet_finetune.dlp end to end: the zoo's MobileNet base (alpha 0.25, no top) at
// 32×32, frozen by `freeze`, starts from a Keras-layout .h5 written here with h5wasm (Keras's
// layer and weight names — conv1, conv1_bn/gamma:0, conv_dw_1/depthwise_kernel:0, … — and
// random values in the shapes of the base), and a new head trains on an image folder written
// here (3 classes of coloured PNGs). After training every base weight, batch-norm moving
// statistics included, is bit-identical to the file's, and the head's weights have moved.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PNG } from "pngjs";
import { runPipeline, loadModel, mulberry32 } from "dlp/runtime";
import { compilePipeline, scratchDir } from "./compiled.ts";

type H5 = { ready: Promise<unknown>; File: new (p: string, m: string) => H5Group & { close(): void } };
type H5Group = { create_group(n: string): unknown; get(n: string): H5Group; create_attribute(n: string, v: unknown): void; create_dataset(o: object): void };

const PARAMS = { size: 32, classes: 3 };

/** Keras's names for MobileNet's weighted layers, in order: conv1, conv1_bn, then per block i conv_dw_i, conv_dw_i_bn, conv_pw_i, conv_pw_i_bn. */
function kerasMobileNetNames(): string[] {
  const names = ["conv1", "conv1_bn"];
  for (let i = 1; i <= 13; i++) names.push(`conv_dw_${i}`, `conv_dw_${i}_bn`, `conv_pw_${i}`, `conv_pw_${i}_bn`);
  return names;
}

function png(v: [number, number, number], rand: () => number): Buffer {
  const p = new PNG({ width: 40, height: 40 });
  for (let i = 0; i < p.data.length; i += 4) {
    for (let c = 0; c < 3; c++) p.data[i + c] = Math.max(0, Math.min(255, v[c]! + Math.round((rand() - 0.5) * 60)));
    p.data[i + 3] = 255;
  }
  return PNG.sync.write(p);
}

test("mobilenet_finetune: a frozen zoo base from a Keras .h5 keeps its weights bit-for-bit, the new head trains", async () => {
  const cwd = scratchDir("finetune");
  const rand = mulberry32(5);
  const colours: [number, number, number][] = [[220, 40, 40], [40, 200, 60], [50, 60, 230]];
  colours.forEach((c, k) => {
    const dir = join(cwd, "data", "flowers", `class_${k}`);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 10; i++) writeFileSync(join(dir, `${i}.png`), png(c, rand));
  });

  const { pipeline, summary } = await compilePipeline("pipelines/mobilenet_finetune.dlp");
  // At the file's defaults (128×128, 5 classes) only the head trains: 256 × 5 + 5.
  assert.is(summary.trainableParams, 256 * 5 + 5);
  assert.is(summary.nonTrainableParams, 218_544);

  // A Keras-layout weights file for the base, in the shapes its layers have.
  const shapes = pipeline.buildModel({ ...pipeline.defaults, ...PARAMS });
  const base = shapes.layers.filter((l) => l.weights.length > 0).slice(0, -1);
  const names = kerasMobileNetNames();
  assert.is(base.length, names.length);
  const h5 = (await import("h5wasm/node")) as unknown as H5;
  await h5.ready;
  mkdirSync(join(cwd, "weights"));
  const file = new h5.File(join(cwd, "weights", "mobilenet_2_5_128_tf_no_top.h5"), "w");
  // Keras lists weightless layers too, with an empty weight_names.
  file.create_attribute("layer_names", ["input_1", "conv1_pad", ...names.flatMap((n, k) => (k === 1 ? [n, "conv1_relu"] : [n]))]);
  for (const empty of ["input_1", "conv1_pad", "conv1_relu"]) {
    file.create_group(empty);
    file.get(empty).create_attribute("weight_names", []);
  }
  const written: Float32Array[][] = [];
  base.forEach((layer, k) => {
    const n = names[k]!;
    const isBn = layer.getClassName() === "BatchNormalization";
    const wn = isBn ? ["gamma", "beta", "moving_mean", "moving_variance"] : [layer.getClassName() === "DepthwiseConv2D" ? "depthwise_kernel" : "kernel"];
    assert.is(layer.weights.length, wn.length, `${n}: ${layer.weights.map((w) => w.name).join(", ")}`);
    file.create_group(n);
    file.get(n).create_attribute("weight_names", wn.map((w) => `${n}/${w}:0`));
    file.create_group(`${n}/${n}`);
    written.push(layer.weights.map((w, j) => {
      const size = w.shape.reduce((a: number, b) => a * b!, 1);
      // A variance must be positive; the rest is any small number.
      const data = Float32Array.from({ length: size }, () => (wn[j] === "moving_variance" ? 0.5 + rand() : (rand() - 0.5) * 0.4));
      file.get(`${n}/${n}`).create_dataset({ name: `${wn[j]}:0`, data, shape: w.shape, dtype: "<f" });
      return data;
    }));
  });
  file.close();
  shapes.dispose();

  const here = process.cwd();
  process.chdir(cwd);
  let dir: string;
  try {
    const r = await runPipeline(pipeline, { backend: "cpu", params: PARAMS, epochs: 2, out: join(cwd, "runs"), quiet: true });
    r.model.dispose();
    dir = r.dir;
    assert.ok(Number.isFinite(r.metrics.final["loss"]!), JSON.stringify(r.metrics.final));
  } finally {
    process.chdir(here);
  }

  const trained = await loadModel(dir);
  const weighted = trained.layers.filter((l) => l.weights.length > 0);
  assert.is(weighted.length, names.length + 1);
  weighted.slice(0, -1).forEach((l, k) => {
    assert.not.ok(l.trainable, `${names[k]} is frozen in the saved model`);
    l.getWeights().forEach((t, j) => {
      const got = t.dataSync() as Float32Array;
      const want = written[k]![j]!;
      assert.ok(got.length === want.length && got.every((v, i) => Object.is(v, want[i])), `${names[k]} weight ${j} changed`);
    });
  });
  const head = weighted[weighted.length - 1]!;
  assert.ok(head.trainable);
  const [kernel, bias] = head.getWeights().map((t) => Array.from(t.dataSync()));
  assert.is(kernel!.length, 256 * 3);
  assert.ok(bias!.some((v) => v !== 0), "the head's bias (zeros at the start) trained");
  trained.dispose();
});

test.run();
