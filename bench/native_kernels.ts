// Per-kernel time of the training kernels of mnist_cnn and fashion_cnn (batch 128), native
// (oneDNN) against wasm's own kernel, the minimum of --reps calls each (the minimum filters out
// the time slices other processes take on a shared machine). Prints one JSON line per kernel.
// Usage: node --import tsx bench/native_kernels.ts [--reps 15] [--only REGEX]
import { tf, initBackend } from "../runtime/index.ts";

const args = process.argv.slice(2);
const reps = Number(args.includes("--reps") ? args[args.indexOf("--reps") + 1] : 15);
const only = new RegExp(args.includes("--only") ? args[args.indexOf("--only") + 1]! : ".");
const fill = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37));
const t = (shape: number[]): tf.Tensor => tf.tensor(fill(shape.reduce((a, b) => a * b, 1)), shape);

type Case = { name: string; make: () => tf.Tensor[]; run: (ts: tf.Tensor[]) => tf.Tensor };
const cases: Case[] = [];
// [input, filter, pad] of every convolution of mnist_cnn and fashion_cnn.
const convs: [number[], number[], "valid" | "same"][] = [
  [[128, 28, 28, 1], [3, 3, 1, 32], "valid"], [[128, 13, 13, 32], [3, 3, 32, 64], "valid"],
  [[128, 28, 28, 32], [3, 3, 32, 32], "same"], [[128, 14, 14, 64], [3, 3, 64, 64], "same"], [[128, 7, 7, 128], [3, 3, 128, 128], "same"],
];
for (const [x, f, pad] of convs) {
  const out = pad === "same" ? [x[0]!, x[1]!, x[2]!, f[3]!] : [x[0]!, x[1]! - 2, x[2]! - 2, f[3]!];
  const tag = `x ${x.join("×")} f ${f.join("×")} ${pad}`;
  cases.push({ name: `Conv2D ${tag}`, make: () => [t(x), t(f)], run: ([a, b]) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad) });
  cases.push({ name: `Conv2DBackpropInput ${tag}`, make: () => [t(out), t(f)], run: ([dy, w]) => tf.conv2dTranspose(dy as tf.Tensor4D, w as tf.Tensor4D, x as [number, number, number, number], 1, pad) });
  cases.push({
    name: `Conv2DBackpropFilter ${tag}`, make: () => [t(x), t(out)],
    run: ([a, dy]) => tf.engine().runKernel("Conv2DBackpropFilter", { x: a!, dy: dy! }, { strides: 1, pad, dataFormat: "NHWC", filterShape: f }) as tf.Tensor,
  });
}
for (const [m, k, n] of [[128, 1600, 128], [128, 1152, 512]]) {
  cases.push({ name: `MatMul ${m}×${k}·${k}×${n}`, make: () => [t([m!, k!]), t([k!, n!])], run: ([a, b]) => tf.matMul(a!, b!) });
  cases.push({ name: `MatMul ${m}×${n}·(${k}×${n})ᵀ`, make: () => [t([m!, n!]), t([k!, n!])], run: ([a, b]) => tf.matMul(a!, b!, false, true) });
  cases.push({ name: `MatMul (${m}×${k})ᵀ·${m}×${n}`, make: () => [t([m!, k!]), t([m!, n!])], run: ([a, b]) => tf.matMul(a!, b!, true, false) });
}
for (const x of [[128, 26, 26, 32], [128, 28, 28, 32]]) {
  const y = [x[0]!, Math.floor(x[1]! / 2), Math.floor(x[2]! / 2), x[3]!];
  cases.push({ name: `MaxPool ${x.join("×")}`, make: () => [t(x)], run: ([a]) => tf.maxPool(a as tf.Tensor4D, 2, 2, "valid") });
  cases.push({
    name: `MaxPoolGrad ${x.join("×")}`, make: () => [t(y), t(x), t(y)],
    run: ([dy, a, o]) => tf.engine().runKernel("MaxPoolGrad", { dy: dy!, input: a!, output: o! }, { filterSize: 2, strides: 2, pad: "valid" }) as tf.Tensor,
  });
  cases.push({ name: `Sum (bias gradient) ${x.join("×")}`, make: () => [t(x)], run: ([a]) => a!.sum([0, 1, 2]) });
}

const chosen = (): Case[] => cases.filter((c) => only.test(c.name));

async function time(backend: "native" | "wasm"): Promise<Map<string, number>> {
  await initBackend(backend);
  const out = new Map<string, number>();
  for (const c of chosen()) {
    const inputs = c.make();
    let best = Infinity;
    for (let i = 0; i < reps + 1; i++) {
      const t0 = performance.now();
      const y = c.run(inputs);
      y.dataSync();
      const dt = performance.now() - t0;
      y.dispose();
      if (i > 0) best = Math.min(best, dt); // the first call builds oneDNN's primitive
    }
    inputs.forEach((x) => x.dispose());
    out.set(c.name, best);
  }
  return out;
}

const nat = await time("native");
const wasm = await time("wasm");
for (const c of chosen()) {
  const n = nat.get(c.name)!, w = wasm.get(c.name)!;
  console.log(JSON.stringify({ kernel: c.name, nativeMs: Math.round(n * 100) / 100, wasmMs: Math.round(w * 100) / 100, speedup: Math.round((w / n) * 10) / 10 }));
}
