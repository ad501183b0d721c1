// The native backend (oneDNN kernels over wasm, runtime/native.ts) against tfjs's cpu backend:
// every native kernel, forward and gradients, on edge cases and on the shapes of every pipeline
// in pipelines/ (its model's gradients for one batch). Tolerance: 1e-4 of the largest magnitude
// of each cpu result (max |native - cpu| / max |cpu|). Each case also asserts that the native
// kernel really ran (runtime/native.ts counts runs and fallbacks), so a silent fallback to wasm
// cannot pass for native.
//
// The addon is built by `npm ci` (prepare) from Debian's libdnnl-dev, which CI installs. When it
// is missing these tests FAIL, saying why; DLP_NATIVE=0 skips them explicitly (and the last tests
// check that DLP_NATIVE=0 gives wasm and says why).
import { mulberry32, withSeededMathRandom } from "../../runtime/rng.ts";
import { spawnSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tf, initBackend, loadNative, nativeFallbacks, nativeKernelsEnabled, nativeRuns, NATIVE_KERNELS } from "dlp/runtime";
import { adamStep, aleaFill, enableNativeKernels, FusedAdamOptimizer, FusedRmsPropOptimizer, rmsPropStep } from "../../runtime/native.ts";
import { createRequire } from "node:module";
import { compilePipeline, REPO, scratchDir } from "./compiled.ts";

const TOL = 1e-4;
const skip = process.env["DLP_NATIVE"] === "0";
const native = loadNative();
const t = skip ? test.skip : test;
if (skip) console.log("native.test.ts: DLP_NATIVE=0, the native parity tests are skipped");

const fill = (n: number, k: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k + 0.3));
const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const rand = (shape: number[], k: number): tf.Tensor => tf.tensor(fill(numel(shape), k), shape);

/** max |a - b| / max |b| over each pair of arrays; the worst of them. */
function relDiff(a: Float32Array[], b: Float32Array[]): number {
  assert.is(a.length, b.length, "as many results");
  let worst = 0;
  a.forEach((x, i) => {
    const y = b[i]!;
    assert.is(x.length, y.length, `result ${i} has ${y.length} values`);
    let scale = 0, diff = 0;
    for (let j = 0; j < y.length; j++) { scale = Math.max(scale, Math.abs(y[j]!)); diff = Math.max(diff, Math.abs(x[j]! - y[j]!)); }
    if (Number.isNaN(diff)) diff = Infinity;
    worst = Math.max(worst, scale === 0 ? diff : diff / scale);
  });
  return worst;
}

function requireNative(): void {
  if (!native.ok) {
    assert.unreachable(`the native backend is unavailable: ${native.why}. These parity tests need it: CI installs libdnnl-dev (.ci/run) and npm ci builds the addon; locally: apt-get install libdnnl-dev && npm run build:native (or set DLP_NATIVE=0 to skip them)`);
  }
}

/**
 * Runs `f` on cpu, then on native, and compares. `kernels`: the native kernels that must have
 * run (at least once each, none of them falling back).
 */
async function parity(f: () => tf.Tensor[], kernels: string[], label: string): Promise<void> {
  requireNative();
  const run = (): Float32Array[] => tf.tidy(() => f().map((x) => x.dataSync() as Float32Array));
  await initBackend("cpu");
  const cpu = run();
  assert.is(await initBackend("native"), "native");
  nativeRuns.clear();
  nativeFallbacks.clear();
  const nat = run();
  for (const k of kernels) {
    assert.ok((nativeRuns.get(k) ?? 0) > 0, `${label}: ${k} ran natively (fell back: ${nativeFallbacks.get(k)?.why ?? "no"})`);
    assert.not.ok(nativeFallbacks.has(k), `${label}: ${k} did not fall back (${nativeFallbacks.get(k)?.why})`);
  }
  const d = relDiff(nat, cpu);
  assert.ok(d <= TOL, `${label}: native differs from cpu by ${d.toExponential(2)} of the largest value (tolerance ${TOL})`);
}

t("the native addon loads and replaces the wasm kernels only while native is chosen", async () => {
  requireNative();
  assert.is(await initBackend("native"), "native");
  assert.ok(nativeKernelsEnabled());
  const nativeConv = tf.getKernel("Conv2D", "wasm")!.kernelFunc;
  assert.is(await initBackend("wasm"), "wasm");
  assert.not.ok(nativeKernelsEnabled());
  const wasmConv = tf.getKernel("Conv2D", "wasm")!.kernelFunc;
  assert.is.not(wasmConv, nativeConv, "--backend wasm runs wasm's own Conv2D");
  for (const k of NATIVE_KERNELS) assert.ok(tf.getKernel(k, "wasm"), `wasm keeps a ${k} kernel`);
  assert.is(await initBackend("auto"), "native", "auto picks native when it loads");
});

// ---- convolutions ---------------------------------------------------------------------------

type ConvCase = { x: [number, number, number, number]; f: [number, number, number, number]; s: number; pad: "valid" | "same"; d?: number };
const convCases: ConvCase[] = [];
for (const s of [1, 2]) for (const pad of ["valid", "same"] as const) {
  convCases.push({ x: [2, 9, 8, 3], f: [3, 3, 3, 4], s, pad });
  convCases.push({ x: [3, 10, 11, 2], f: [2, 4, 2, 5], s, pad });
  convCases.push({ x: [2, 7, 7, 1], f: [3, 3, 1, 2], s, pad });
  convCases.push({ x: [2, 8, 8, 4], f: [1, 1, 4, 6], s, pad });
}

for (const c of convCases) {
  const label = `conv2d x ${c.x.join("×")}, filter ${c.f.join("×")}, stride ${c.s}, ${c.pad}`;
  t(`${label}: forward, input and filter gradients`, () => parity(() => {
    const x = rand(c.x, 0.37), w = rand(c.f, 0.71);
    const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad);
    const r = rand(y.shape, 0.13);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad).mul(r).sum())([x, w]);
    return [y, dx!, dw!];
  }, ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"], label));
}

t("conv2d with dilation 2 (forward)", () => parity(() => {
  const x = rand([2, 11, 10, 3], 0.37), w = rand([3, 3, 3, 4], 0.71);
  return [tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "same", "NHWC", 2), tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "valid", "NHWC", [2, 1])];
}, ["Conv2D"], "dilated conv2d"));

t("conv1d (lowered to conv2d): forward and gradients", () => parity(() => {
  const x = rand([2, 20, 6], 0.37), w = rand([5, 6, 8], 0.71);
  const y = tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, 1, "valid");
  const r = rand(y.shape, 0.13);
  const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv1d(a as tf.Tensor3D, b as tf.Tensor3D, 2, "same").square().sum())([x, w]);
  return [y, ...g, tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, 1, "valid").mul(r)];
}, ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"], "conv1d"));

for (const activation of ["linear", "relu", "relu6", "elu", "sigmoid", "leakyrelu"] as const) {
  t(`fused conv2d with bias, ${activation}`, () => parity(() => {
    const x = rand([2, 9, 9, 3], 0.37), w = rand([3, 3, 3, 5], 0.71), b = rand([5], 0.9);
    return [tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 2, pad: "same", bias: b, activation, leakyreluAlpha: 0.1 })];
  }, ["FusedConv2D"], `fused conv2d ${activation}`));
}

t("fused conv2d with relu inside a gradient tape is one FusedConv2D on native (tfjs unfuses it), with tfjs's fused gradient", () => parity(() => {
  const x = rand([2, 9, 9, 3], 0.37), w = rand([3, 3, 3, 5], 0.71), b = rand([5], 0.9);
  const conv = (p: tf.Tensor, q: tf.Tensor, r?: tf.Tensor, activation: "relu" | "linear" | "elu" = "relu", strides = 1): tf.Tensor =>
    tf.fused.conv2d({ x: p as tf.Tensor4D, filter: q as tf.Tensor4D, strides, pad: "same", bias: r, activation });
  return [
    ...tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => conv(p, q, r).square().sum())([x, w, b]),
    ...tf.grads((p: tf.Tensor, q: tf.Tensor) => conv(p, q, undefined, "relu", 2).square().sum())([x, w]),
    // linear and elu: tfjs's own fused op (FusedConv2D with its customGrad; Conv2D, Add, Elu).
    ...tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => conv(p, q, r, "linear").square().sum())([x, w, b]),
    ...tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => conv(p, q, r, "elu").square().sum())([x, w, b]),
    // Only the filter's gradient asked for: the input's is not needed.
    tf.grad((q: tf.Tensor) => conv(x, q, b).sum())(w),
  ];
}, ["FusedConv2D", "ReluGradSum", "Conv2DBackpropInput", "Conv2DBackpropFilter", "Sum"], "fused conv2d gradients"));

t("a fused relu conv2d on the tape: no separate bias Add or Relu, and no input gradient the tape does not need", async () => {
  requireNative();
  assert.is(await initBackend("native"), "native");
  const x = rand([2, 9, 9, 3], 0.37), w = rand([3, 3, 3, 5], 0.71), b = rand([5], 0.9);
  nativeRuns.clear();
  const before = tf.memory().numTensors;
  const g = tf.grad((q: tf.Tensor) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: q as tf.Tensor4D, strides: 1, pad: "same", bias: b, activation: "relu" }).sum())(w);
  assert.is(nativeRuns.get("FusedConv2D"), 1);
  assert.is(nativeRuns.get("Conv2DBackpropFilter"), 1);
  assert.not.ok(nativeRuns.has("Conv2DBackpropInput"), "x is not a variable: its gradient is not computed");
  assert.not.ok(nativeRuns.has("Conv2D"));
  g.dispose();
  assert.is(tf.memory().numTensors, before, "no tensor leaks");
  // Switching to wasm puts tfjs's op back.
  assert.is(await initBackend("wasm"), "wasm");
  nativeRuns.clear();
  tf.grad((q: tf.Tensor) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: q as tf.Tensor4D, strides: 1, pad: "same", bias: b, activation: "relu" }).sum())(w).dispose();
  assert.is(nativeRuns.size, 0);
  tf.dispose([x, w, b]);
});

// ---- matrix products ------------------------------------------------------------------------

for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
  t(`matMul transposeA ${tA}, transposeB ${tB}: 2-D, batched, broadcast batch, gradients`, () => parity(() => {
    const a2 = rand(tA ? [7, 5] : [5, 7], 0.3), b2 = rand(tB ? [6, 7] : [7, 6], 0.2);
    const a3 = rand(tA ? [3, 7, 5] : [3, 5, 7], 0.4), b3 = rand(tB ? [3, 6, 7] : [3, 7, 6], 0.5);
    const b1 = rand(tB ? [1, 6, 7] : [1, 7, 6], 0.6);
    const g = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q, tA, tB).square().sum())([a2, b2]);
    return [tf.matMul(a2, b2, tA, tB), tf.matMul(a3, b3, tA, tB), tf.matMul(a3, b1, tA, tB), ...g];
  }, ["BatchMatMul"], `matMul ${tA} ${tB}`));
}

for (const activation of ["linear", "relu", "sigmoid", "elu"] as const) {
  t(`fused matMul with bias, ${activation}`, () => parity(() => {
    const a = rand([5, 7], 0.3), b = rand([7, 6], 0.2), bias = rand([6], 0.7);
    return [tf.fused.matMul({ a, b, bias, activation }), tf.fused.matMul({ a: rand([7, 5], 0.1), b, transposeA: true, bias, activation })];
  }, ["_FusedMatMul"], `fused matMul ${activation}`));
}

// ---- pooling and reductions ------------------------------------------------------------------

for (const x of [[2, 9, 8, 3], [3, 10, 11, 1], [2, 26, 26, 4]] as [number, number, number, number][]) {
  for (const [size, s] of [[2, 2], [3, 2], [2, 1], [3, 1], [3, 3]] as const) for (const pad of ["valid", "same"] as const) {
    const label = `pool ${size}×${size} stride ${s} ${pad} on ${x.join("×")}`;
    t(`${label}: max and average, forward and gradients`, () => parity(() => {
      const v = rand(x, 0.37);
      // relu makes ties (zeros), where the max gradient must go to the first maximum, as on cpu.
      const z = v.relu();
      return [
        tf.maxPool(z as tf.Tensor4D, size, s, pad), tf.avgPool(v as tf.Tensor4D, size, s, pad),
        tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, size, s, pad).square().sum())(z),
        tf.grad((a: tf.Tensor) => tf.avgPool(a as tf.Tensor4D, size, s, pad).square().sum())(v),
      ];
    }, ["MaxPool", "AvgPool", "MaxPoolGrad", "AvgPoolGrad"], label));
  }
}

t("max pooling's gradient goes to the first maximum of each window, as on cpu (ties everywhere)", () => parity(() => {
  // Equal maxima in every window (constants, a repeating pattern, rounded values), overlapping and
  // tiling windows. (Not a window of -Infinity only: tfjs's cpu kernel drops its gradient, wasm's and
  // native's give it to the first cell, as Keras and PyTorch do.)
  const cases = [tf.ones([2, 6, 6, 3]), tf.tensor4d(Float32Array.from({ length: 2 * 7 * 8 * 4 }, (_, i) => (i >> 2) % 3), [2, 7, 8, 4]),
    rand([2, 9, 9, 5], 0.37).relu().mul(0.5).round()];
  return cases.flatMap((c) => ([[2, 2, "valid"], [3, 2, "valid"], [3, 1, "same"], [2, 2, "same"]] as const).map(([k, s, pad]) =>
    tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, k, s, pad).mul(rand(tf.maxPool(c as tf.Tensor4D, k, s, pad).shape, 0.3)).sum())(c)));
}, ["MaxPool", "MaxPoolGrad"], "max pooling ties"));

t("sum over leading axes (bias gradients), keepDims, and a full sum", () => parity(() => {
  const x = rand([128, 13, 13, 32], 0.37);
  return [x.sum([0, 1, 2]), x.sum(0), x.sum([0, 1], true), x.sum(), rand([5, 3], 0.2).sum(0)];
}, ["Sum"], "sum"));

// ---- elementwise -----------------------------------------------------------------------------

t("add, sub, multiply (equal shapes, a bias, a scalar, either side repeated), relu, step and relu's gradient", () => parity(() => {
  const x = rand([64, 13, 13, 32], 0.37), y = rand([64, 13, 13, 32], 0.11), bias = rand([32], 0.9), row = rand([1, 13, 32], 0.23);
  const s = tf.scalar(0.7);
  const [g] = tf.grads((v: tf.Tensor) => tf.relu(v.add(bias)).mul(y).sum())([x]);
  return [
    x.add(y), x.add(bias), bias.add(x), x.add(s), x.add(row),
    x.sub(y), x.sub(bias), bias.sub(x), s.sub(x),
    x.mul(y), x.mul(bias), s.mul(x),
    tf.relu(x), tf.step(x), tf.step(x, 0.25), g!,
  ];
}, ["Add", "Sub", "Multiply", "Relu", "Step"], "elementwise"));

t("elementwise: small tensors and broadcasts native does not cover run wasm's kernels and stay right", () => parity(() => {
  const a = rand([128, 1, 32], 0.3), b = rand([1, 300, 1], 0.4);
  return [a.add(b), a.mul(b), b.sub(a), rand([5, 7], 0.1).add(rand([7], 0.2)), tf.relu(rand([9], 0.5))];
}, [], "elementwise fallbacks").then(() => {
  assert.match(nativeFallbacks.get("Add")?.why ?? "", /broadcast/);
  assert.not.ok(nativeRuns.has("Relu"), "a 9-element relu runs on wasm");
  assert.not.ok(nativeFallbacks.has("Relu"), "and is not counted as a fallback");
}));

t("relu's gradient is one native kernel (DlpReluGrad), equal to tfjs's dy * step(x), NaN included", () => parity(() => {
  const big = rand([64, 26, 26, 8], 0.37), small = rand([3, 7], 0.9);
  const gBig = tf.grad((v: tf.Tensor) => tf.relu(v).mul(rand(v.shape, 0.11)).sum())(big);
  const gSmall = tf.grad((v: tf.Tensor) => tf.relu(v).mul(rand(v.shape, 0.21)).sum())(small);
  return [gBig, gSmall];
}, ["ReluGrad"], "relu gradient").then(async () => {
  // NaN in x (step keeps it) and in dy, zeros of both signs, infinities: the same values, NaN
  // where tfjs has NaN, on native as on cpu (where tfjs's own gradient still runs).
  const odd = (): number[] => tf.tidy(() => {
    const x = tf.tensor1d([NaN, -0, 0, 1, -1, Infinity, -Infinity, 2, NaN]);
    const dy = tf.tensor1d([1, 2, 3, NaN, NaN, 4, 5, Infinity, -1]);
    return Array.from(tf.grad((v: tf.Tensor) => tf.relu(v).mul(dy).sum())(x).dataSync());
  });
  const onNative = odd();
  await initBackend("cpu");
  assert.equal(onNative.map(String), odd().map(String));
  assert.equal(onNative.map(String), ["NaN", "0", "0", "NaN", "NaN", "4", "0", "Infinity", "NaN"]);
}));

// ---- Adam --------------------------------------------------------------------------------------

/** Trains three variables (a conv-sized one, a bias, a matrix) `steps` optimizer steps; their values and the optimizer's state. */
async function adamRun(makeAdam: () => tf.Optimizer, steps: number): Promise<Float32Array[]> {
  const vars = [rand([3, 3, 8, 16], 0.37), rand([16], 0.5), rand([70, 1000], 0.23)].map((t, i) => tf.variable(t, true, `adam_parity_${i}_${tf.getBackend()}`));
  const opt = makeAdam();
  for (let s = 0; s < steps; s++) {
    // Gradients of several magnitudes, zeros among them, different each step.
    const grads: Record<string, tf.Tensor> = {};
    vars.forEach((v, i) => { grads[v.name] = tf.tidy(() => rand(v.shape, 0.1 + s + i).mul(10 ** (i - 1)).relu()); });
    opt.applyGradients(grads);
    tf.dispose(Object.values(grads));
  }
  const weights = await opt.getWeights();
  const out = [...vars.map((v) => v.dataSync() as Float32Array), ...weights.slice(1).map((w) => w.tensor.dataSync() as Float32Array)];
  opt.dispose();
  vars.forEach((v) => v.dispose());
  return out;
}

t("Adam: one native update a variable (DlpAdamUpdate) gives tfjs's AdamOptimizer's values and moments to the bit", async () => {
  requireNative();
  await initBackend("cpu");
  const cpu = await adamRun(() => tf.train.adam(1e-3, 0.9, 0.999, 1e-7), 5);
  assert.is(await initBackend("native"), "native");
  nativeRuns.clear();
  nativeFallbacks.clear();
  const nat = await adamRun(() => new FusedAdamOptimizer(1e-3, 0.9, 0.999, 1e-7), 5);
  assert.is(nativeRuns.get("AdamUpdate"), 15, "3 variables × 5 steps");
  assert.not.ok(nativeFallbacks.has("AdamUpdate"));
  assert.is(relDiff(nat, cpu), 0, "bit-identical to tfjs's Adam on cpu");
  // tfjs's own Adam on wasm agrees too (the fused optimizer on wasm runs tfjs's update).
  assert.is(await initBackend("wasm"), "wasm");
  assert.is(relDiff(await adamRun(() => new FusedAdamOptimizer(1e-3, 0.9, 0.999, 1e-7), 5), cpu), 0, "FusedAdamOptimizer on wasm is tfjs's");
});

t("RMSprop: one native update a variable (DlpRmsPropUpdate) gives tfjs's RMSPropOptimizer's values and accumulators to the bit, with and without momentum", async () => {
  requireNative();
  for (const momentum of [0, 0.8]) {
    await initBackend("cpu");
    const cpu = await adamRun(() => tf.train.rmsprop(1e-3, 0.9, momentum, 1e-7), 5);
    assert.is(await initBackend("native"), "native");
    nativeRuns.clear();
    nativeFallbacks.clear();
    const nat = await adamRun(() => new FusedRmsPropOptimizer(1e-3, 0.9, momentum, 1e-7), 5);
    assert.is(nativeRuns.get("RmsPropUpdate"), 15, "3 variables × 5 steps");
    assert.not.ok(nativeFallbacks.has("RmsPropUpdate"));
    assert.is(relDiff(nat, cpu), 0, `bit-identical to tfjs's RMSprop on cpu (momentum ${momentum})`);
  }
  // Centred RMSprop is tfjs's own update (NaN where tfjs's has NaN: sqrt(ms - mg² - eps) of a zero gradient).
  await initBackend("cpu");
  const cpu = await adamRun(() => tf.train.rmsprop(1e-3, 0.9, 0, 1e-7, true), 3);
  assert.is(await initBackend("native"), "native");
  nativeRuns.clear();
  const nat = await adamRun(() => new FusedRmsPropOptimizer(1e-3, 0.9, 0, 1e-7, true), 3);
  assert.equal(nat.map((a) => Array.from(a).map(String)), cpu.map((a) => Array.from(a).map(String)));
  assert.not.ok(nativeRuns.has("RmsPropUpdate"));
});

t("an optimizer update whose addon call fails runs its JavaScript steps on the kernel's operands and stays tfjs's to the bit", async () => {
  requireNative();
  const load = loadNative();
  if (!load.ok) throw new Error(load.why);
  const real = load.addon;
  const runs = [["Adam", () => tf.train.adam(1e-3, 0.9, 0.999, 1e-7), () => new FusedAdamOptimizer(1e-3, 0.9, 0.999, 1e-7), "AdamUpdate"],
    ["RMSprop", () => tf.train.rmsprop(1e-3, 0.9, 0.8, 1e-7), () => new FusedRmsPropOptimizer(1e-3, 0.9, 0.8, 1e-7), "RmsPropUpdate"]] as const;
  for (const [name, tfjs, fused, label] of runs) {
    await initBackend("cpu");
    const cpu = await adamRun(tfjs, 4);
    assert.is(await initBackend("native"), "native");
    const fail = () => { throw new Error("addon refused"); };
    enableNativeKernels({ ...real, adam: fail, rmsprop: fail });
    nativeRuns.clear();
    nativeFallbacks.clear();
    try {
      const nat = await adamRun(fused, 4);
      assert.is(nativeFallbacks.get(label)?.count, 12, `${name}: 3 variables × 4 steps fell back`);
      assert.match(nativeFallbacks.get(label)?.why ?? "", /addon refused/);
      assert.not.ok(nativeRuns.has(label));
      assert.is(relDiff(nat, cpu), 0, `${name}: the fallback is tfjs's update`);
    } finally {
      enableNativeKernels(real);
    }
  }
});

// ---- dropout ------------------------------------------------------------------------------

/** tfjs-core's dropout as tfjs-layers calls it (through the exports object native patches). */
const core = createRequire(import.meta.url)("@tensorflow/tfjs-core") as { dropout: (x: tf.Tensor, rate: number, noiseShape?: number[], seed?: number) => tf.Tensor };

/** Dropout's outputs and gradients for fixed Math.random draws (the runtime's seeded PRNG stands in for it). */
function dropoutRun(): Float32Array[] {
  const original = Math.random;
  let r = 0.123;
  Math.random = () => (r = ((r * 9301 + 49297) % 233280) / 233280);
  try {
    const x = tf.tensor(fill(2 * 13 * 13 * 32, 0.7), [2, 13, 13, 32]);
    const out = [0.25, 0.5, 0.1].map((rate) => core.dropout(x, rate).dataSync() as Float32Array);
    out.push(core.dropout(x, 0.3, [2, 1, 1, 32]).dataSync() as Float32Array, core.dropout(x, 0.3, undefined, 17).dataSync() as Float32Array);
    out.push(tf.grad((t: tf.Tensor) => core.dropout(t, 0.5).square().sum())(x).dataSync() as Float32Array);
    return out;
  } finally {
    Math.random = original;
  }
}

t("dropout's mask on native is tfjs's to the bit: one DlpUniform pass of tfjs's alea generator (rates, a noise shape, a seed, the gradient)", async () => {
  requireNative();
  await initBackend("cpu");
  const cpu = dropoutRun();
  assert.is(await initBackend("native"), "native");
  nativeRuns.clear();
  const nat = dropoutRun();
  assert.is(nativeRuns.get("Uniform"), 6, "every dropout drew its mask natively");
  assert.is(relDiff(nat, cpu), 0);
  // Some cells were dropped and the rest scaled by 1/keep.
  assert.ok(nat[1]!.some((v) => v === 0) && nat[1]!.some((v) => v !== 0));
});

t("the JavaScript fallback of DlpUniform is seedrandom's alea stream and tfjs's dropout multiplier", async () => {
  await initBackend("cpu");
  const seedrandom = createRequire(createRequire(import.meta.url).resolve("@tensorflow/tfjs-core"))("seedrandom") as { alea: (s: string, o: { state: true }) => (() => number) & { state: () => { c: number; s0: number; s1: number; s2: number } } };
  const prng = seedrandom.alea("0.4217", { state: true });
  const { c, s0, s1, s2 } = prng.state();
  const u = new Float32Array(5000), m = new Float32Array(5000);
  aleaFill(Float64Array.from([c, s0, s1, s2, 0, 1, 0]), u);
  aleaFill(Float64Array.from([c, s0, s1, s2, 0, 1, 0.75]), m);
  for (let j = 0; j < u.length; j++) assert.is(u[j], Math.fround(prng()));
  const expect = tf.tidy(() => tf.div(tf.floor(tf.add(tf.tensor1d(u), 0.75)), 0.75).dataSync() as Float32Array);
  assert.is(relDiff([m], [expect]), 0);
});

t("RMSprop: the JavaScript fallback of the native update is tfjs's update to the bit", async () => {
  await initBackend("cpu");
  const n = 5000;
  const value = fill(n, 0.3), ms = fill(n, 0.9).map((x) => x * x * 1e-4), mom = fill(n, 0.7).map((x) => x * 0.01), g = fill(n, 1.3).map((x) => x * 3);
  const sc = Float32Array.from([0.9, 1 - 0.9, 0.8, 1e-3, 1e-7]);
  const out = [new Float32Array(n), new Float32Array(n), new Float32Array(n)] as const;
  rmsPropStep(sc, value, ms, mom, g, ...out);
  const expect = tf.tidy(() => {
    const [tv, tms, tmom, tg] = [value, ms, mom, g].map((a) => tf.tensor1d(a));
    const newMs = tf.add(tf.mul(tms!, 0.9), tf.mul(tf.square(tg!), 1 - 0.9));
    const newMom = tf.add(tf.mul(tmom!, 0.8), tf.div(tf.mul(tg!, 1e-3), tf.sqrt(tf.add(newMs, 1e-7))));
    return [tf.sub(tv!, newMom), newMs, newMom].map((t) => t.dataSync() as Float32Array);
  });
  assert.is(relDiff([...out], expect), 0);
});

t("Adam: the JavaScript fallback of the native update is tfjs's update to the bit", async () => {
  await initBackend("cpu");
  const n = 5000;
  const value = fill(n, 0.3), m = fill(n, 0.7).map((x) => x * 0.01), v = fill(n, 0.9).map((x) => x * x * 1e-4), g = fill(n, 1.3).map((x) => x * 3);
  const c1 = Math.fround(1 - Math.fround(0.9 ** 3)), c2 = Math.fround(1 - Math.fround(0.999 ** 3));
  const sc = Float32Array.from([0.9, 1 - 0.9, 0.999, 1 - 0.999, 1e-7, -1e-3]);
  const out = [new Float32Array(n), new Float32Array(n), new Float32Array(n)] as const;
  adamStep(sc, c1, c2, value, m, v, g, ...out);
  const expect = tf.tidy(() => {
    const [tv, tm, tvv, tg] = [value, m, v, g].map((a) => tf.tensor1d(a));
    const newM = tf.add(tf.mul(tm!, 0.9), tf.mul(tg!, 1 - 0.9));
    const newV = tf.add(tf.mul(tvv!, 0.999), tf.mul(tf.square(tg!), 1 - 0.999));
    const upd = tf.add(tf.mul(tf.div(tf.div(newM, tf.scalar(c1)), tf.add(tf.sqrt(tf.div(newV, tf.scalar(c2))), 1e-7)), -1e-3), tv!);
    return [upd, newM, newV].map((t) => t.dataSync() as Float32Array);
  });
  assert.is(relDiff([...out], expect), 0);
});

// ---- embeddings ------------------------------------------------------------------------------

t("gather (axis 0, 1 and 2, batchDims 1, int32 values) and the embedding gradient (UnsortedSegmentSum)", () => parity(() => {
  const table = rand([50, 24], 0.3);
  const ids = tf.tensor2d(Int32Array.from({ length: 2 * 300 }, (_, i) => (i * 7919) % 50), [2, 300], "int32");
  const x3 = rand([5, 6, 20], 0.41);
  const r = rand([2, 300, 24], 0.13);
  const [gTable] = tf.grads((w: tf.Tensor) => tf.gather(w, ids).mul(r).sum())([table]);
  return [
    tf.gather(table, ids), gTable!,
    tf.gather(x3, tf.tensor1d([5, 0, 5, 2], "int32"), 1), tf.gather(x3, tf.tensor1d([19, 0, 7], "int32"), 2),
    tf.gather(x3, tf.tensor2d([[3, 0], [1, 1], [5, 2], [0, 0], [4, 4]], [5, 2], "int32"), 1, 1),
    tf.gather(tf.tensor2d(Int32Array.from({ length: 12 }, (_, i) => i * 3 - 7), [4, 3], "int32"), tf.tensor1d([3, 3, 1], "int32")).toFloat(),
    tf.unsortedSegmentSum(rand([9, 5], 0.8), tf.tensor1d([2, 0, 2, 9, -1, 4, 2, 0, 3], "int32"), 5),
  ];
}, ["GatherV2", "UnsortedSegmentSum"], "gather"));

t("gather with an index out of range is the wasm kernel's error", async () => {
  requireNative();
  assert.is(await initBackend("native"), "native");
  nativeFallbacks.clear();
  const x = rand([4, 3], 0.2);
  assert.throws(() => tf.gather(x, tf.tensor1d([1, 4], "int32")).dataSync(), /index value 4 is not in \[0, 3\]/);
  assert.match(nativeFallbacks.get("GatherV2")?.why ?? "", /gather index 4 is not in \[0, 3\]/);
  x.dispose();
});

t("cases native does not cover fall back to wasm and stay right", () => parity(() => {
  const x = rand([4, 5, 6], 0.37);
  const ints = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], "int32");
  const a = rand([2, 1, 3, 4], 0.2), b = rand([1, 3, 4, 5], 0.3);
  return [x.sum(-1), x.sum([1, 2]), ints.sum(0).toFloat(), tf.matMul(a, b), tf.depthwiseConv2d(rand([2, 6, 6, 3], 0.1) as tf.Tensor4D, rand([3, 3, 3, 2], 0.4) as tf.Tensor4D, 1, "same")];
}, [], "fallbacks").then(() => {
  assert.match(nativeFallbacks.get("Sum")?.why ?? "", /not leading axes|dtype/);
  assert.match(nativeFallbacks.get("BatchMatMul")?.why ?? "", /broadcasting batch/);
}));

// ---- every pipeline's model -----------------------------------------------------------------

const pipelineFiles = readdirSync(join(REPO, "pipelines")).filter((f) => f.endsWith(".dlp")).sort();

for (const file of pipelineFiles) {
  t(`pipelines/${file}: the model's output and weight gradients for one batch match cpu`, async () => {
    requireNative();
    const { pipeline } = await compilePipeline(join("pipelines", file));
    const params = pipeline.defaults;
    // Every input of the model (a model with several inputs gets one array each).
    const shapes = pipeline.data(params).inputs.map((i) => i.shape.map((d) => d ?? 1));
    const batch = 2;
    await initBackend("cpu");
    // Built under a seeded Math.random (the layers' initializers draw from it), so the spreads the
    // weights are drawn again from below, and hence every weight, are the same on every run.
    const cpuModel = await withSeededMathRandom(7, async () => pipeline.buildModel(params));
    const embedding = cpuModel.layers.find((l) => l.getClassName() === "Embedding") as unknown as { inputDim?: number } | undefined;
    const xs = shapes.map((shape, k) => {
      const x = new Float32Array(batch * numel(shape));
      for (let i = 0; i < x.length; i++) x[i] = embedding ? (i * 7919) % Math.min(embedding.inputDim ?? 100, 100) : Math.abs(Math.sin(i * 0.37 + k));
      return x;
    });
    // Recurrent layers add their rounding error step after step (tfjs unrolls them): over T steps
    // the stated tolerance is 1e-4 per 8 steps (the bidirectional GRU of series_tagger, 32 steps,
    // measured 1.03e-4); every other model keeps 1e-4.
    const recurrent = cpuModel.layers.some((l) => /^(LSTM|GRU|SimpleRNN|Bidirectional)$/.test(l.getClassName()));
    const tol = recurrent && shapes[0]!.length === 2 ? TOL * Math.max(1, Math.ceil(shapes[0]![0]! / 8)) : TOL;
    // The same weights on every run: random weights now and
    // then put a relu pre-activation within rounding of 0, where the two backends' last bits land on
    // opposite sides of the kink (see wasm_pipelines.test.ts). Constant initial values (biases,
    // batch-norm statistics) stay; every other weight is drawn again from a seeded generator with its initial spread.
    const weights = cpuModel.getWeights().map((w, k) => {
      const v = w.dataSync().slice() as Float32Array;
      const mean = v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, v.length));
      const rng = mulberry32(1000 + k);
      if (sd > 0) for (let i = 0; i < v.length; i++) v[i] = mean + sd * Math.sqrt(3) * (2 * rng() - 1);
      return { values: v, shape: w.shape, dtype: w.dtype };
    });
    cpuModel.setWeights(weights.map((w) => tf.tensor(w.values, w.shape, w.dtype)));
    const step = (model: tf.LayersModel): Float32Array[] => tf.tidy(() => {
      const inputs = xs.map((x, k) => tf.tensor(x, [batch, ...shapes[k]!]));
      const input = inputs.length === 1 ? inputs[0]! : inputs;
      const outs = [model.apply(input, { training: false }) as tf.Tensor | tf.Tensor[]].flat();
      const out0 = outs.length === 1 ? outs[0]! : tf.concat(outs.map((o) => o.reshape([batch, -1])), 1);
      const rs = outs.map((o, k) => rand(o.shape, 0.13 + k));
      // An embedding table's own gradient (gather's, UnsortedSegmentSum) has no native kernel
      // and is dense on the cpu backend (minutes at vocabulary 10 000); the gradients of every
      // other weight still flow through the embedding's output.
      const vars = model.layers.filter((l) => l.getClassName() !== "Embedding").flatMap((l) => l.trainableWeights).map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => tf.addN([model.apply(input, { training: false }) as tf.Tensor | tf.Tensor[]].flat().map((o, k) => o.mul(rs[k]!).sum())) as tf.Scalar, vars);
      return [out0.dataSync() as Float32Array, value.dataSync() as Float32Array, ...vars.map((v) => grads[v.name]!.dataSync() as Float32Array)];
    });
    const cpu = step(cpuModel);
    cpuModel.dispose();
    assert.is(await initBackend("native"), "native");
    const model = pipeline.buildModel(params);
    model.setWeights(weights.map((w) => tf.tensor(w.values, w.shape, w.dtype)));
    nativeRuns.clear();
    nativeFallbacks.clear();
    const nat = step(model);
    model.dispose();
    const d = relDiff(nat, cpu);
    assert.ok(d <= tol, `${file}: native differs from cpu by ${d.toExponential(2)} of the largest value (tolerance ${tol})`);
    // Every native kernel the model used ran natively: no fallback except Sum over trailing axes
    // (losses and softmax reduce the last axis, which the native Sum does not cover).
    for (const [k, f] of nativeFallbacks) {
      if (k === "Sum" && /not leading axes/.test(f.why)) continue;
      assert.unreachable(`${file}: ${k} fell back to wasm ${f.count}× (${f.why})`);
    }
    assert.ok(nativeRuns.size > 0, `${file}: some native kernel ran`);
  });
}

// ---- switched off ---------------------------------------------------------------------------

function runScript(code: string, env: Record<string, string>): { status: number | null; out: string } {
  const dir = scratchDir("native-off");
  const script = join(dir, "probe.ts");
  writeFileSync(script, code);
  const r = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: REPO, encoding: "utf8", env: { ...process.env, ...env } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test("DLP_NATIVE=0: auto runs wasm and the backend line says why; forcing native names the switch", () => {
  const r = runScript([
    'import { initBackend, backendNote } from "dlp/runtime";',
    'const name = await initBackend("auto");',
    'console.log(`backend: ${name}${backendNote(name)}`);',
    'try { await initBackend("native"); console.log("forced: loaded"); } catch (e) { console.log(`forced: ${(e as Error).message}`); }',
  ].join("\n"), { DLP_NATIVE: "0" });
  assert.is(r.status, 0, r.out);
  assert.match(r.out, /^backend: wasm \(native backend unavailable: switched off by DLP_NATIVE=0\)$/m);
  assert.match(r.out, /^forced: backend native cannot be used: switched off by DLP_NATIVE=0$/m);
});

t("DLP_THREADS that is not a positive whole number is a clear error", () => {
  requireNative();
  const r = runScript([
    'import { initBackend } from "dlp/runtime";',
    'try { await initBackend("native"); console.log("loaded"); } catch (e) { console.log(`error: ${(e as Error).message}`); }',
  ].join("\n"), { DLP_THREADS: "two" });
  assert.match(r.out, /^error: DLP_THREADS must be a positive whole number of threads, got "two"$/m);
});

test.run();
