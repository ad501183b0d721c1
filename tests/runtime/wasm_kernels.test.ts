// The kernels dlp registers for wasm agree with the cpu backend's: gradients to 1e-4 relative
// (each element against max(1, |cpu|)), matmul and sums to 1e-5, segment sums to 1e-6.
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
  for (const k of ["Conv2DBackpropFilter", "Conv2DBackpropInput", "BatchMatMul", "Sum", "DepthwiseConv2dNativeBackpropFilter", "DepthwiseConv2dNativeBackpropInput", "MaxPoolGrad", "AvgPoolGrad", "UnsortedSegmentSum", "GatherV2", "Identity", "Transpose"]) {
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

test("UnsortedSegmentSum on wasm matches cpu: repeated, out-of-range, negative ids, 2-D ids, int32", async () => {
  const run = (): number[][] => tf.tidy(() => {
    const x = tf.tensor2d(fill(7 * 3, 0.9), [7, 3]);
    const ids = tf.tensor1d([2, 0, 2, 9, -1, 4, 2], "int32");
    const xi = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], "int32");
    return [
      tf.unsortedSegmentSum(x, ids, 5),
      tf.unsortedSegmentSum(xi, tf.tensor1d([1, 1, 0], "int32"), 2),
    ].map((t) => Array.from(t.dataSync()));
  });
  const cpu = await on("cpu", run);
  const wasm = await on("wasm", run);
  assert.equal(wasm[1], [5, 6, 4, 6]);
  assert.ok(maxDiff(wasm, cpu) < 1e-6, `max relative difference ${maxDiff(wasm, cpu)}`);
  // 2-D ids (the cpu kernel cannot broadcast them: checked against the sums written out)
  await initBackend("wasm");
  const two = tf.tidy(() => Array.from(tf.unsortedSegmentSum(tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2]),
    tf.tensor2d([[1, 1, 0], [3, 1, 5]], [2, 3], "int32") as unknown as tf.Tensor1D, 4).dataSync()));
  assert.equal(two, [5, 6, 1 + 3 + 9, 2 + 4 + 10, 0, 0, 7, 8]);
});

test("UnsortedSegmentSum on wasm: 64 000 ids into 10 000 segments without densifying", async () => {
  await initBackend("wasm");
  const x = tf.ones([64000, 64]);
  const ids = tf.tensor1d(Int32Array.from({ length: 64000 }, (_, i) => i % 10000), "int32");
  const t0 = performance.now();
  const out = tf.unsortedSegmentSum(x, ids, 10000);
  const v = out.dataSync();
  assert.ok(performance.now() - t0 < 20000, "well under the cpu kernel's minutes");
  assert.equal(out.shape, [10000, 64]);
  assert.ok(v.every((e, i) => e === (Math.floor(i / 64) < 4000 ? 7 : 6)), "segment s sums the ones of ids s, s + 10 000, ...");
  tf.dispose([x, ids, out]);
});

test("GatherV2 on wasm matches cpu: axis 0, 1 and 2, 2-D indices, narrow and wide rows, int32, repeated ids", async () => {
  const run = (): number[][] => tf.tidy(() => {
    const x = tf.tensor3d(fill(5 * 6 * 20, 0.41), [5, 6, 20]);
    const ids = tf.tensor1d([4, 0, 4, 2], "int32");
    const ids2 = tf.tensor2d([[1, 5], [0, 0], [3, 2]], [3, 2], "int32");
    const xi = tf.tensor2d(Int32Array.from({ length: 12 }, (_, i) => i * 3 - 7), [4, 3], "int32");
    const wide = tf.tensor2d(fill(30 * 64, 0.13), [30, 64]);
    return [
      tf.gather(x, ids, 0), tf.gather(x, ids2, 1), tf.gather(x, tf.tensor1d([19, 0, 7], "int32"), 2),
      tf.gather(xi, tf.tensor1d([3, 3, 1], "int32")), tf.gather(wide, tf.tensor1d([29, 0, 13, 29, 7], "int32")),
    ].map((t) => [...t.shape, ...Array.from(t.dataSync())]);
  });
  const cpu = await on("cpu", run);
  const wasm = await on("wasm", run);
  assert.equal(wasm, cpu, "row copies are exact");
});

test("GatherV2 on wasm with batchDims matches cpu (tfjs-wasm's own kernel got it wrong)", async () => {
  const run = (): number[][] => tf.tidy(() => [
    tf.gather(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([[1], [0]], [2, 1], "int32"), 1, 1),
    tf.gather(tf.tensor4d(fill(2 * 3 * 4 * 5, 0.7), [2, 3, 4, 5]), tf.tensor2d([[3, 0, 3], [1, 2, 2]], [2, 3], "int32"), 2, 1),
  ].map((t) => [...t.shape, ...Array.from(t.dataSync())]));
  const cpu = await on("cpu", run);
  const wasm = await on("wasm", run);
  assert.equal(wasm[0], [2, 1, 2, 3]);
  assert.equal(wasm, cpu);
});

test("GatherV2 on wasm: an index out of range is an error, as on cpu", async () => {
  await initBackend("wasm");
  const x = tf.tensor2d(fill(12, 0.2), [4, 3]);
  assert.throws(() => tf.gather(x, tf.tensor1d([1, 4], "int32")).dataSync(), /index value 4 is not in \[0, 3\]/);
  assert.throws(() => tf.gather(x, tf.tensor1d([-1], "int32")).dataSync(), /index value -1/);
  x.dispose();
});

test("a Dense layer's input gradient on wasm (its [32, 1] kernel transposed to [1, 32]) matches cpu", async () => {
  // A transpose that only moves a size-1 axis once shared the kernel's tensor id under the new
  // shape, and tfjs-wasm's matmul reused the forward pass's XNNPACK operator cached for that id.
  const run = (): number[][] => tf.tidy(() => {
    const x = tf.tensor2d(fill(32, 0.3), [1, 32]);
    const w = tf.tensor2d(fill(32, 0.9), [32, 1]);
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sigmoid(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D)).sum())([x, w]);
    return [Array.from(gx!.dataSync()), Array.from(gw!.dataSync())];
  });
  const cpu = await on("cpu", run);
  const wasm = await on("wasm", run);
  assert.ok(maxDiff(wasm, cpu) < 1e-5, `max relative difference ${maxDiff(wasm, cpu)}`);
});

test("Identity and no-op Transposes on wasm share memory, and disposing either side keeps the other", async () => {
  await initBackend("wasm");
  const before = tf.memory().numBytes;
  const x = tf.tensor3d(fill(24, 0.5), [2, 3, 4]);
  const y = tf.clone(x);
  const t = tf.tidy(() => tf.transpose(tf.tensor3d(fill(8, 0.5), [1, 8, 1]), [0, 1, 2]));
  assert.equal(t.shape, [1, 8, 1]);
  assert.equal(Array.from(t.dataSync()), Array.from(fill(8, 0.5)));
  const u = tf.transpose(x, [0, 2, 1]);
  const ref = await on("cpu", () => tf.tidy(() => Array.from(tf.transpose(tf.tensor3d(fill(24, 0.5), [2, 3, 4]), [0, 2, 1]).dataSync())));
  await initBackend("wasm");
  assert.equal(Array.from(u.dataSync()), ref, "a real permutation still moves the data");
  x.dispose();
  assert.equal(Array.from(y.dataSync()), Array.from(fill(24, 0.5)), "the clone outlives its source");
  tf.dispose([y, t, u]);
  assert.is(tf.memory().numBytes, before, "nothing leaks");
});

test("BatchMatMul with transposes on wasm matches cpu (rank 2, rank 3, broadcast batch)", async () => {
  const run = (): number[][] => tf.tidy(() => {
    const out: tf.Tensor[] = [];
    for (const [ta, tb] of [[false, true], [true, false], [true, true], [false, false]] as const) {
      const a2 = tf.tensor(fill(6 * 4, 0.3), ta ? [4, 6] : [6, 4]);
      const b2 = tf.tensor(fill(4 * 5, 0.7), tb ? [5, 4] : [4, 5]);
      out.push(tf.matMul(a2, b2, ta, tb));
      const a3 = tf.tensor(fill(3 * 6 * 4, 0.2), ta ? [3, 4, 6] : [3, 6, 4]);
      const b3 = tf.tensor(fill(3 * 4 * 5, 0.5), tb ? [3, 5, 4] : [3, 4, 5]);
      out.push(tf.matMul(a3, b3, ta, tb));
      const b1 = tf.tensor(fill(4 * 5, 0.6), tb ? [1, 5, 4] : [1, 4, 5]);
      out.push(tf.matMul(a3, b1, ta, tb));
    }
    return out.map((t) => Array.from(t.dataSync()));
  });
  const cpu = await on("cpu", run);
  const wasm = await on("wasm", run);
  assert.ok(maxDiff(wasm, cpu) < 1e-5, `max relative difference ${maxDiff(wasm, cpu)}`);
});

test("Sum over leading axes on wasm matches cpu (keepDims, rank 2 to 4, other axes)", async () => {
  const run = (): number[][] => tf.tidy(() => {
    const x = tf.tensor4d(fill(3 * 5 * 4 * 6, 0.21), [3, 5, 4, 6]);
    return [
      tf.sum(x, [0, 1, 2]), tf.sum(x, [0, 1, 2], true), tf.sum(x, [1, 0]), tf.sum(x, 0), tf.sum(x, [0, 2]), tf.sum(x, [2, 3]), tf.sum(x),
      tf.sum(tf.tensor2d(fill(7 * 3, 0.5), [7, 3]), 0),
    ].map((t) => [...t.shape, ...Array.from(t.dataSync())]);
  });
  const cpu = await on("cpu", run);
  const wasm = await on("wasm", run);
  assert.equal(wasm.map((r) => r.length), cpu.map((r) => r.length));
  assert.ok(maxDiff(wasm, cpu) < 1e-5, `max relative difference ${maxDiff(wasm, cpu)}`);
});

test("conv2d input gradient on wasm matches cpu with explicit padding and strides 2 and 3", async () => {
  const run = (): number[][] => tf.tidy(() => {
    const out: tf.Tensor[] = [];
    const pads: (["valid" | "same"] | [[[number, number], [number, number], [number, number], [number, number]]])[] = [["same"], ["valid"], [[[0, 0], [1, 2], [0, 1], [0, 0]]], [[[0, 0], [4, 0], [0, 0], [0, 0]]]];
    for (const s of [1, 2, 3] as const) for (const [pad] of pads) {
      const x = tf.tensor4d(fill(2 * 11 * 9 * 3, 0.37), [2, 11, 9, 3]);
      const w = tf.tensor4d(fill(3 * 4 * 3 * 5, 0.71), [3, 4, 3, 5]);
      out.push(tf.grad((a: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, w, s, pad).square().sum())(x));
    }
    return out.map((t) => Array.from(t.dataSync()));
  });
  const cpu = await on("cpu", run);
  const wasm = await on("wasm", run);
  assert.ok(maxDiff(wasm, cpu) < 1e-4, `max relative difference ${maxDiff(wasm, cpu)}`);
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
