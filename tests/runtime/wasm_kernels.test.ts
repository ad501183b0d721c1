// The gradient kernels registered for wasm agree with the cpu backend's to 1e-4.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tf, initBackend, loadNative } from "dlp/runtime";

type Case = { x: [number, number, number, number]; f: [number, number, number, number]; s: number; pad: "valid" | "same" };

const cases: Case[] = [];
for (const s of [1, 2]) for (const pad of ["valid", "same"] as const) {
  cases.push({ x: [2, 9, 8, 3], f: [3, 3, 3, 4], s, pad });
  cases.push({ x: [3, 10, 11, 2], f: [2, 4, 2, 5], s, pad });
  cases.push({ x: [2, 7, 7, 1], f: [3, 3, 1, 2], s, pad });
}

const fill = (n: number, k: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k + 0.3));
const numel = (s: number[]): number => s.reduce((a, b) => a * b, 1);

function convGrads(c: Case): number[][] {
  return tf.tidy(() => {
    const x = tf.tensor4d(fill(numel(c.x), 0.37), c.x);
    const w = tf.tensor4d(fill(numel(c.f), 0.71), c.f);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad).square().sum());
    return g([x, w]).map((t) => Array.from(t.dataSync()));
  });
}

function depthwiseGrads(c: Case): number[][] {
  return tf.tidy(() => {
    const f: [number, number, number, number] = [c.f[0], c.f[1], c.x[3], 2];
    const x = tf.tensor4d(fill(numel(c.x), 0.37), c.x);
    const w = tf.tensor4d(fill(numel(f), 0.71), f);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad).square().sum());
    return g([x, w]).map((t) => Array.from(t.dataSync()));
  });
}

function poolGrads(c: Case): number[][] {
  return tf.tidy(() => {
    const x = tf.tensor4d(fill(numel(c.x), 0.37), c.x);
    const gm = tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, c.s, c.pad).square().sum());
    const fwd = tf.maxPool(x, 2, c.s, c.pad);
    const ga = tf.grad((a: tf.Tensor) => tf.avgPool(a as tf.Tensor4D, 2, c.s, c.pad).square().sum());
    return [Array.from(gm(x).dataSync()), Array.from(ga(x).dataSync()), Array.from(fwd.dataSync())];
  });
}

function maxDiff(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((row, i) => row.forEach((v, j) => { m = Math.max(m, Math.abs(v - b[i]![j]!) / Math.max(1, Math.abs(b[i]![j]!))); }));
  return m;
}

async function on<T>(backend: "cpu" | "wasm", f: () => T): Promise<T> {
  await initBackend(backend);
  return f();
}

test("the wasm backend gains the kernels CNN training needs", async () => {
  await initBackend("wasm");
  for (const k of ["Conv2DBackpropFilter", "Conv2DBackpropInput", "DepthwiseConv2dNativeBackpropFilter", "DepthwiseConv2dNativeBackpropInput", "MaxPoolGrad", "AvgPoolGrad", "UnsortedSegmentSum"]) {
    assert.ok(tf.getKernel(k, "wasm"), `${k} registered for wasm`);
  }
});

for (const c of cases) {
  const name = `x ${c.x.join("×")}, filter ${c.f.join("×")}, stride ${c.s}, ${c.pad}`;
  test(`conv2d gradients on wasm match cpu: ${name}`, async () => {
    const cpu = await on("cpu", () => convGrads(c));
    const wasm = await on("wasm", () => convGrads(c));
    assert.ok(maxDiff(wasm, cpu) < 1e-4, `max relative difference ${maxDiff(wasm, cpu)}`);
  });
  test(`depthwise and pooling gradients on wasm match cpu: ${name}`, async () => {
    const cpu = await on("cpu", () => [...depthwiseGrads(c), ...poolGrads(c)]);
    const wasm = await on("wasm", () => [...depthwiseGrads(c), ...poolGrads(c)]);
    assert.ok(maxDiff(wasm, cpu) < 1e-4, `max relative difference ${maxDiff(wasm, cpu)}`);
  });
}

test("embedding (gather) gradients on wasm match cpu", async () => {
  const run = (): number[][] => tf.tidy(() => {
    const table = tf.tensor2d(fill(40, 0.3), [10, 4]);
    const ids = tf.tensor1d([1, 3, 3, 9, 0], "int32");
    return [Array.from(tf.grad((t: tf.Tensor) => tf.gather(t, ids).square().sum())(table).dataSync())];
  });
  const cpu = await on("cpu", run);
  const wasm = await on("wasm", run);
  assert.ok(maxDiff(wasm, cpu) < 1e-4);
});

test("forcing a backend that cannot load names why", async () => {
  try {
    await initBackend("tensorflow");
    assert.unreachable("tfjs-node is not installed here");
  } catch (e) {
    assert.match((e as Error).message, /backend tensorflow cannot be used: @tensorflow\/tfjs-node/);
  }
  assert.is(await initBackend("auto"), loadNative().ok ? "native" : "wasm");
});

test.run();
