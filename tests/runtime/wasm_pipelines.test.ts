// Every layer of every pipeline in pipelines/ (its default params), on its real input shape at
// batch 1, forward and gradients (with respect to the input and every trainable weight, training
// mode), on the wasm backend with dlp's kernels against the cpu backend. Tolerance: for each
// output and gradient tensor, max |wasm - cpu| <= 1e-4 * max |cpu| (float32 accumulation in
// XNNPACK's GEMMs against the cpu backend's loops: the differences measured are 1e-7 to 3e-6).
// The cpu backend's convolution gradients are plain JS loops (seconds per layer on a loaded
// 2-core machine), so by default a layer runs when its multiply-adds (params × output positions)
// stay under MAX_MACS; DLP_PARITY=full runs every layer (70 cases, about 5 minutes under load).
// Kinks: a relu's gradient jumps where its input crosses 0. The layers' weights are random (their
// initialisers are unseeded), so now and then a pre-activation lands within float rounding of 0
// (|x| ~ 1e-8) and the backends' last-bit differences put it on opposite sides: forward outputs
// still agree, but every gradient differs by that position's whole contribution (seen once in CI
// on fashion_cnn's 14×14×32→64 conv: 0.83 of a largest filter gradient of 6.4). Such a position
// is not a disagreement of the kernels, so the incoming gradient is set to 0 at every output
// where the two forward passes differ in sign, and the gradients are compared again; more than
// KINKS_MAX of the outputs differing in sign is itself a failure.
// (pipelines/zoo/ holds ImageNet-sized models, 224×224: too slow for the cpu backend.)
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { tf, initBackend } from "dlp/runtime";
import { compilePipeline, REPO } from "./compiled.ts";

const TOLERANCE = 1e-4;
const KINKS_MAX = 1e-3;
const BATCH = 1;
const MAX_MACS = process.env["DLP_PARITY"] === "full" ? Infinity : 5e6;

const fill = (n: number, k: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k + 0.3));
const numel = (s: number[]): number => s.reduce((a, b) => a * b, 1);

type Case = { pipeline: string; layer: tf.layers.Layer; inputShapes: number[][]; weights: Float32Array[]; key: string };
let skipped = 0;

function shapesOf(layer: tf.layers.Layer): number[][] {
  const input = layer.input as tf.SymbolicTensor | tf.SymbolicTensor[];
  const list = Array.isArray(input) ? input : [input];
  return list.map((t) => [BATCH, ...t.shape.slice(1).map((d) => d ?? 1)]);
}

const cases: Case[] = [];
const seen = new Set<string>();
const files = readdirSync(join(REPO, "pipelines")).filter((f) => f.endsWith(".dlp")).sort();

async function collect(): Promise<void> {
  await initBackend("cpu");
  for (const f of files) {
    const { pipeline } = await compilePipeline(`pipelines/${f}`);
    const model = pipeline.buildModel(pipeline.defaults);
    for (const layer of model.layers) {
      const cls = layer.getClassName();
      if (cls === "InputLayer" || cls === "Dropout" || cls === "SpatialDropout1D" || cls === "SpatialDropout2D") continue;
      const config = { ...layer.getConfig() } as Record<string, unknown>;
      for (const k of Object.keys(config)) if (k === "name" || /Initializer|Regularizer|Constraint|^trainable$/.test(k)) delete config[k];
      const inputShapes = shapesOf(layer);
      const key = `${cls} ${JSON.stringify(config)} ${JSON.stringify(inputShapes)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const out = layer.outputShape as number[];
      const positions = out.length > 2 ? out.slice(1, -1).reduce((a, b) => a * b, 1) : 1;
      if (cls !== "Embedding" && layer.countParams() * positions > MAX_MACS) { skipped++; continue; } // a lookup, not MACs
      cases.push({ pipeline: f, layer, inputShapes, weights: layer.getWeights().map((w) => w.dataSync() as Float32Array), key });
    }
  }
}

/**
 * The embedding's reference on cpu: the forward pass there, and the table's gradient as the
 * scatter-add written out (the cpu backend's UnsortedSegmentSum builds a dense mask per
 * vocabulary entry: minutes at vocabulary 10 000).
 */
function embeddingReference(c: Case, r: Float32Array): Float32Array[] {
  const [ids] = embeddingInputs(c);
  const [vocab, dim] = [c.layer.getConfig()["inputDim"] as number, c.layer.getConfig()["outputDim"] as number];
  const table = c.weights[0]!;
  const y = new Float32Array(ids!.length * dim);
  const g = new Float64Array(vocab * dim);
  ids!.forEach((id, j) => {
    for (let k = 0; k < dim; k++) { y[j * dim + k] = table[id * dim + k]!; g[id * dim + k] += r[j * dim + k]!; }
  });
  return [y, Float32Array.from(g)];
}

function embeddingInputs(c: Case): Float32Array[] {
  const vocab = c.layer.getConfig()["inputDim"] as number;
  return c.inputShapes.map((s) => Float32Array.from({ length: numel(s) }, (_, j) => (j * 7919 + (j % 3) * 13) % vocab));
}

/** The layer's output and its gradients for the incoming gradient `rv` (default: fill(…, 0.53)). */
function run(c: Case, rv?: Float32Array): Float32Array[] {
  const outShape = c.layer.computeOutputShape(c.inputShapes.length === 1 ? c.inputShapes[0]! : c.inputShapes) as number[];
  const cot = rv ?? fill(numel(outShape), 0.53);
  if (c.layer.getClassName() === "Embedding" && tf.getBackend() === "cpu") return embeddingReference(c, cot);
  return tf.tidy(() => {
    c.layer.setWeights(c.layer.getWeights().map((w, i) => tf.tensor(c.weights[i]!, w.shape)));
    const isEmbedding = c.layer.getClassName() === "Embedding";
    const ids = isEmbedding ? embeddingInputs(c) : [];
    const inputs = c.inputShapes.map((s, i) => tf.variable(tf.tensor(isEmbedding ? ids[i]! : fill(numel(s), 0.37 + i * 0.11), s), true, `in${i}_${Math.random()}`));
    const x = inputs.length === 1 ? inputs[0]! : inputs;
    const r = tf.tensor(cot, outShape);
    const vars = [...(isEmbedding ? [] : inputs), ...c.layer.trainableWeights.map((w) => w.read() as tf.Variable)];
    let y: tf.Tensor | undefined;
    const { grads } = tf.variableGrads(() => {
      y = tf.keep(c.layer.apply(x, { training: true }) as tf.Tensor);
      return tf.sum(tf.mul(y, r)) as tf.Scalar;
    }, vars);
    if (!y) throw new Error(`${c.key}: the layer was not applied`);
    const values = [y, ...vars.map((v) => grads[v.name]!)].map((t) => t.dataSync() as Float32Array);
    y.dispose();
    for (const v of inputs) v.dispose();
    return values;
  });
}

test("the pipelines' layers were collected", async () => {
  await collect();
  const kinds = new Set(cases.map((c) => c.layer.getClassName()));
  for (const k of ["Conv2D", "Conv1D", "Dense", "MaxPooling2D", "MaxPooling1D", "Embedding", "BatchNormalization", "Add"]) assert.ok(kinds.has(k), `${k} among ${[...kinds].join(", ")}`);
  assert.ok(cases.some((c) => c.layer.getClassName() === "Conv2D" && (c.layer.getConfig()["strides"] as number[])[0] === 2), "a strided convolution");
  if (skipped) console.log(`  (${skipped} layers above ${MAX_MACS / 1e6}M multiply-adds left to DLP_PARITY=full)`);
});

function mismatches(c: Case, cpu: Float32Array[], wasm: Float32Array[], note = ""): string[] {
  const out: string[] = [];
  if (wasm.length !== cpu.length) return [`${c.pipeline}: ${c.key}: ${wasm.length} results on wasm, ${cpu.length} on cpu`];
  cpu.forEach((ref, t) => {
    let diff = 0, max = 0;
    for (let i = 0; i < ref.length; i++) { diff = Math.max(diff, Math.abs(wasm[t]![i]! - ref[i]!)); max = Math.max(max, Math.abs(ref[i]!)); }
    if (!(diff <= TOLERANCE * max) && !(max === 0 && diff === 0)) out.push(`${c.pipeline}: ${c.key}: tensor ${t} differs by ${diff} (max ${max})${note}`);
  });
  return out;
}

/**
 * The case on cpu and on wasm, compared; where the forward outputs differ in sign (a kink, see
 * the top of the file), once more with the incoming gradient zeroed at those outputs.
 */
async function parity(c: Case): Promise<{ failures: string[]; kinks: number }> {
  await initBackend("cpu");
  const cpu = run(c);
  await initBackend("wasm");
  const wasm = run(c);
  const yc = cpu[0]!, yw = wasm[0]!;
  const cot = fill(yc.length, 0.53);
  let kinks = 0;
  if (yw.length === yc.length) for (let i = 0; i < yc.length; i++) if (Math.sign(yc[i]!) !== Math.sign(yw[i]!)) { cot[i] = 0; kinks++; }
  if (kinks === 0) return { failures: mismatches(c, cpu, wasm), kinks };
  if (kinks > KINKS_MAX * yc.length) return { failures: [`${c.pipeline}: ${c.key}: the forward outputs differ in sign at ${kinks} of ${yc.length} positions`], kinks };
  await initBackend("cpu");
  const cpu2 = run(c, cot);
  await initBackend("wasm");
  const wasm2 = run(c, cot);
  return { failures: mismatches(c, cpu2, wasm2, ` (incoming gradient zeroed at ${kinks} kink${kinks === 1 ? "" : "s"})`), kinks };
}

test("every layer of every pipeline: wasm forward and gradients match cpu", async () => {
  const failures: string[] = [];
  for (const c of cases) failures.push(...(await parity(c)).failures);
  assert.equal(failures, [], failures.join("\n"));
});

test("a relu pre-activation within rounding of 0 on opposite sides on the two backends is a kink, not a mismatch", async () => {
  // fashion_cnn's 14×14×32→64 conv (the CI failure), its bias set so that one pre-activation lies
  // half-way between its cpu and its wasm value: the two backends put it on opposite sides of 0.
  await initBackend("cpu");
  const layer = tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: "same", activation: "relu", inputShape: [14, 14, 32] });
  tf.sequential({ layers: [layer] });
  const shape = [1, 14, 14, 32];
  const kernel = fill(3 * 3 * 32 * 64, 0.71).map((v) => v * 0.08);
  const pre = async (backend: "cpu" | "wasm"): Promise<Float32Array> => {
    await initBackend(backend);
    return tf.tidy(() => tf.conv2d(tf.tensor4d(fill(numel(shape), 0.37), shape as [number, number, number, number]), tf.tensor4d(kernel, [3, 3, 32, 64]), 1, "same").dataSync() as Float32Array);
  };
  const pc = await pre("cpu"), pw = await pre("wasm");
  let at = -1;
  for (let i = 0; i < pc.length && at < 0; i++) {
    const b = Math.fround(-(pc[i]! + pw[i]!) / 2);
    if (Math.sign(Math.fround(pc[i]! + b)) * Math.sign(Math.fround(pw[i]! + b)) < 0) at = i;
  }
  assert.ok(at >= 0, "some pre-activation differs in its last bits between the backends");
  const bias = new Float32Array(64);
  bias[at % 64] = Math.fround(-(pc[at]! + pw[at]!) / 2);
  const c: Case = { pipeline: "fashion_cnn.dlp", layer, inputShapes: [shape], weights: [kernel, bias], key: "Conv2D 14×14×32→64 relu, a pre-activation at the kink" };
  await initBackend("cpu");
  const cpu = run(c);
  await initBackend("wasm");
  const wasm = run(c);
  assert.ok(mismatches(c, cpu, wasm).some((m) => /tensor [123] differs/.test(m)), "compared as is, the gradients differ (the CI failure)");
  assert.equal(mismatches(c, [cpu[0]!], [wasm[0]!]), [], "while the forward outputs agree");
  const r = await parity(c);
  assert.equal(r.failures, [], r.failures.join("\n"));
  assert.ok(r.kinks >= 1, "the kink was found");
});

test.run();
