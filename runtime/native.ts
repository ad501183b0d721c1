// The `native` backend: the wasm backend with its heaviest kernels replaced by oneDNN ones from
// dlp's own N-API addon (native/, built by `npm ci`'s prepare step from Debian's libdnnl-dev).
//
// Each native kernel is registered under tfjs's kernel name for the "wasm" backend: it reads its
// inputs from, and writes its output to, the wasm heap directly (the addon receives the heap's
// ArrayBuffer and byte offsets; the output is allocated by the wasm backend, so tfjs owns and
// frees it as usual). A case a kernel does not cover (NCHW, grouped or depthwise, a broadcast
// it cannot express, a dtype other than float32, an error inside oneDNN) runs the wasm kernel
// the native one replaced, never a wrong answer. `--backend wasm` restores wasm's own kernels
// (disableNativeKernels), so wasm stays a true fallback and parity tests can compare the two.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { tf } from "./tf.ts";
import { BackendError } from "./errors.ts";

type TensorInfo = tf.TensorInfo;
type KernelArgs = { inputs: Record<string, TensorInfo | undefined>; backend: tf.KernelBackend; attrs?: Record<string, unknown> };
type KernelFn = (args: KernelArgs) => TensorInfo | TensorInfo[];
/** A native kernel: its output, or null when the case is not covered (the wasm kernel runs). */
type NativeFn = (args: KernelArgs) => TensorInfo | null;

export interface NativeAddon {
  conv2d(heap: ArrayBuffer, p: Int32Array, x: number, w: number, bias: number, y: number, act: number, alpha: number): void;
  conv2dBackpropInput(heap: ArrayBuffer, p: Int32Array, dy: number, w: number, dx: number): void;
  conv2dBackpropFilter(heap: ArrayBuffer, p: Int32Array, x: number, dy: number, dw: number): void;
  matmul(heap: ArrayBuffer, p: Int32Array, a: number, b: number, bias: number, c: number, act: number, alpha: number): void;
  pool(heap: ArrayBuffer, p: Int32Array, kind: number, x: number, y: number): void;
  avgPoolGrad(heap: ArrayBuffer, p: Int32Array, dy: number, dx: number): void;
  maxPoolGrad(heap: ArrayBuffer, p: Int32Array, x: number, dy: number, dx: number): void;
  sumLeading(heap: ArrayBuffer, outer: number, inner: number, x: number, y: number): void;
  binary(heap: ArrayBuffer, p: Int32Array, a: number, b: number, out: number): void;
  unary(heap: ArrayBuffer, p: Int32Array, alpha: number, x: number, out: number): void;
  gather(heap: ArrayBuffer, p: Int32Array, x: number, indices: number, out: number): void;
  segmentSum(heap: ArrayBuffer, p: Int32Array, x: number, ids: number, out: number): void;
  setThreads(n: number): void;
  info(): { major: number; minor: number; patch: number; threads: number; isa: string };
}

/** The wasm backend's internals the kernels use (@tensorflow/tfjs-backend-wasm 4.22). */
interface WasmBackend extends tf.KernelBackend {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** Where the prepare step (bin/build_native.mjs) puts the addon. */
export const ADDON_PATH = join(root, "native", "build", "Release", "dlp_native.node");
const HOW = "apt-get install libdnnl-dev, then npm run build:native (or npm ci)";

export type NativeLoad = { ok: true; addon: NativeAddon; description: string } | { ok: false; why: string };

let loaded: NativeLoad | null = null;

/** The thread count: DLP_THREADS, else every core this process may use. */
export function nativeThreads(): number {
  const env = process.env["DLP_THREADS"];
  if (env === undefined || env === "") return availableParallelism();
  if (!/^[1-9][0-9]*$/.test(env.trim())) throw new BackendError(`DLP_THREADS must be a positive whole number of threads, got "${env}"`);
  return Number(env.trim());
}

/**
 * Loads the addon once. OMP_WAIT_POLICY=passive is set before the library loads (OpenMP reads it
 * then): its default spinning makes a 2-thread run 2–3× slower when another process holds a core.
 */
export function loadNative(): NativeLoad {
  if (loaded) return loaded;
  loaded = load();
  return loaded;
}

function load(): NativeLoad {
  if (process.env["DLP_NATIVE"] === "0") return { ok: false, why: "switched off by DLP_NATIVE=0" };
  if (!existsSync(ADDON_PATH)) {
    return existsSync("/usr/include/oneapi/dnnl/dnnl.hpp")
      ? { ok: false, why: `the native addon is not built (npm run build:native, or npm ci)` }
      : { ok: false, why: `the native addon is not built: it needs oneDNN (${HOW})` };
  }
  const threads = nativeThreads();
  process.env["OMP_WAIT_POLICY"] ??= "passive";
  process.env["OMP_NUM_THREADS"] = String(threads);
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
  } catch (e) {
    const text = (e instanceof Error ? e.message : String(e)).split("\n")[0];
    return { ok: false, why: `the native addon failed to load: ${text} (${HOW})` };
  }
  try {
    addon.setThreads(threads);
    const info = addon.info();
    if (info.isa === "none") return { ok: false, why: "oneDNN has no optimised code for this CPU (it needs SSE4.1 or later)" };
    return { ok: true, addon, description: `oneDNN ${info.major}.${info.minor}.${info.patch}, ${info.isa}, ${threads} thread${threads === 1 ? "" : "s"}` };
  } catch (e) {
    return { ok: false, why: `the native addon does not work: ${e instanceof Error ? e.message : String(e)} (${HOW})` };
  }
}

// ---- kernels --------------------------------------------------------------------------------

let addon: NativeAddon | null = null;

/** How often each kernel fell back to wasm, and the last reason (tests assert on it). */
export const nativeFallbacks = new Map<string, { count: number; why: string }>();

/** How often each kernel ran natively (tests assert the native path was taken). */
export const nativeRuns = new Map<string, number>();

function fellBack(kernel: string, why: string): null {
  const f = nativeFallbacks.get(kernel);
  nativeFallbacks.set(kernel, { count: (f?.count ?? 0) + 1, why });
  return null;
}

function offset(backend: WasmBackend, t: TensorInfo): number {
  const d = backend.dataIdMap.get(t.dataId);
  if (!d) throw new Error("a tensor is not on the wasm heap");
  return d.memoryOffset;
}

const f32 = (...ts: (TensorInfo | undefined)[]): boolean => ts.every((t) => !t || t.dtype === "float32");
const nonEmpty = (...shapes: number[][]): boolean => shapes.every((s) => s.every((d) => d > 0));

/** Allocates the output (float32 unless `dtype`) on the wasm heap and runs `call`; a throw frees it and falls back. */
function run(kernel: string, backend: WasmBackend, shape: number[], call: (heap: ArrayBuffer, out: number) => void, dtype: tf.DataType = "float32"): TensorInfo | null {
  const out = backend.makeOutput(shape, dtype);
  try {
    // The heap's buffer is read after the allocation: growing memory replaces it.
    call(backend.wasm.HEAPU8.buffer as ArrayBuffer, offset(backend, out));
    nativeRuns.set(kernel, (nativeRuns.get(kernel) ?? 0) + 1);
    return out;
  } catch (e) {
    backend.disposeData(out.dataId);
    return fellBack(kernel, e instanceof Error ? e.message : String(e));
  }
}

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, elu: 3, sigmoid: 4, leakyrelu: 5 };

function convParams(info: tf.backend_util.Conv2DInfo): Int32Array {
  const { top, left, bottom, right } = info.padInfo;
  return Int32Array.from([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outChannels, info.filterHeight, info.filterWidth,
    info.outHeight, info.outWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, top, left, bottom, right,
  ]);
}

type ConvAttrs = { strides: number | [number, number]; pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding; dataFormat?: string; dilations?: number | [number, number]; dimRoundingMode?: "floor" | "round" | "ceil" };

function convForward(kernel: string, fused: boolean): NativeFn {
  return ({ inputs, backend, attrs = {} }) => {
    const { x, filter, bias, preluActivationWeights } = inputs;
    const a = attrs as ConvAttrs & { activation?: string; leakyreluAlpha?: number };
    if (!x || !filter || !f32(x, filter, bias)) return fellBack(kernel, "not float32");
    if ((a.dataFormat ?? "NHWC") !== "NHWC") return fellBack(kernel, "NCHW");
    if (x.shape.length !== 4 || filter.shape.length !== 4 || x.shape[3] !== filter.shape[2]) return fellBack(kernel, "grouped or not rank 4");
    const act = ACTIVATIONS[fused ? a.activation ?? "linear" : "linear"];
    if (act === undefined || preluActivationWeights) return fellBack(kernel, `activation ${a.activation}`);
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
      a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, false, "channelsLast");
    if (bias && (tf.util.sizeFromShape(bias.shape) !== info.outChannels || bias.shape[bias.shape.length - 1] !== info.outChannels)) return fellBack(kernel, "bias shape");
    if (!nonEmpty(x.shape, filter.shape, info.outShape)) return fellBack(kernel, "empty");
    const b = backend as WasmBackend;
    return run(kernel, b, info.outShape, (heap, y) =>
      addon!.conv2d(heap, convParams(info), offset(b, x), offset(b, filter), bias ? offset(b, bias) : -1, y, act, a.leakyreluAlpha ?? 0.2));
  };
}

const conv2DBackpropInput: NativeFn = ({ inputs, backend, attrs = {} }) => {
  const { dy, filter } = inputs;
  const a = attrs as ConvAttrs & { inputShape: [number, number, number, number] };
  if (!dy || !filter || !f32(dy, filter)) return fellBack("Conv2DBackpropInput", "not float32");
  if ((a.dataFormat ?? "NHWC") !== "NHWC") return fellBack("Conv2DBackpropInput", "NCHW");
  if (filter.shape.length !== 4 || a.inputShape.length !== 4 || a.inputShape[3] !== filter.shape[2]) return fellBack("Conv2DBackpropInput", "grouped");
  const info = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], a.strides, 1, a.pad, a.dimRoundingMode, false, "channelsLast");
  if (dy.shape.join() !== info.outShape.join() || !nonEmpty(a.inputShape, filter.shape, dy.shape)) return fellBack("Conv2DBackpropInput", "shape");
  const b = backend as WasmBackend;
  return run("Conv2DBackpropInput", b, [...a.inputShape], (heap, dx) => addon!.conv2dBackpropInput(heap, convParams(info), offset(b, dy), offset(b, filter), dx));
};

const conv2DBackpropFilter: NativeFn = ({ inputs, backend, attrs = {} }) => {
  const { x, dy } = inputs;
  const a = attrs as ConvAttrs & { filterShape: [number, number, number, number] };
  if (!x || !dy || !f32(x, dy)) return fellBack("Conv2DBackpropFilter", "not float32");
  if ((a.dataFormat ?? "NHWC") !== "NHWC") return fellBack("Conv2DBackpropFilter", "NCHW");
  if (x.shape.length !== 4 || x.shape[3] !== a.filterShape[2]) return fellBack("Conv2DBackpropFilter", "grouped");
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, "channelsLast");
  if (dy.shape.join() !== info.outShape.join() || !nonEmpty(x.shape, a.filterShape, dy.shape)) return fellBack("Conv2DBackpropFilter", "shape");
  const b = backend as WasmBackend;
  return run("Conv2DBackpropFilter", b, [...a.filterShape], (heap, dw) => addon!.conv2dBackpropFilter(heap, convParams(info), offset(b, x), offset(b, dy), dw));
};

function matMul(kernel: string, fused: boolean): NativeFn {
  return ({ inputs, backend, attrs = {} }) => {
    const { a, b, bias, preluActivationWeights } = inputs;
    const at = attrs as { transposeA?: boolean; transposeB?: boolean; activation?: string; leakyreluAlpha?: number };
    if (!a || !b || !f32(a, b, bias)) return fellBack(kernel, "not float32");
    if (a.shape.length < 2 || b.shape.length < 2) return fellBack(kernel, "rank");
    const act = ACTIVATIONS[fused ? at.activation ?? "linear" : "linear"];
    if (act === undefined || preluActivationWeights) return fellBack(kernel, `activation ${at.activation}`);
    const ra = a.shape.length, rb = b.shape.length;
    const tA = !!at.transposeA, tB = !!at.transposeB;
    const m = tA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
    const k = tA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
    const kb = tB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
    const n = tB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
    if (k !== kb) return fellBack(kernel, "inner dimensions differ");
    const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
    const batchA = tf.util.sizeFromShape(outerA), batchB = tf.util.sizeFromShape(outerB);
    // Equal batch shapes, or one side a single matrix broadcast over the other's batch.
    let outer: number[];
    if (outerA.join() === outerB.join()) outer = outerA;
    else if (batchA === 1 && outerA.length <= outerB.length) outer = outerB;
    else if (batchB === 1 && outerB.length <= outerA.length) outer = outerA;
    else return fellBack(kernel, "broadcasting batch");
    if (bias && (tf.util.sizeFromShape(bias.shape) !== n || bias.shape[bias.shape.length - 1] !== n)) return fellBack(kernel, "bias shape");
    const outShape = [...outer, m, n];
    if (!nonEmpty(a.shape, b.shape, outShape)) return fellBack(kernel, "empty");
    const be = backend as WasmBackend;
    return run(kernel, be, outShape, (heap, c) =>
      addon!.matmul(heap, Int32Array.from([batchA, batchB, m, n, k, tA ? 1 : 0, tB ? 1 : 0]), offset(be, a), offset(be, b), bias ? offset(be, bias) : -1, c, act, at.leakyreluAlpha ?? 0.2));
  };
}

type PoolAttrs = { filterSize: number | [number, number]; strides: number | [number, number]; pad: "valid" | "same" | number; dimRoundingMode?: "floor" | "round" | "ceil" };

function poolInfo(x: TensorInfo, a: PoolAttrs): { info: tf.backend_util.Conv2DInfo; p: Int32Array } | null {
  if (x.shape.length !== 4 || x.dtype !== "float32") return null;
  const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  if (!nonEmpty(x.shape, info.outShape)) return null;
  const { top, left, bottom, right } = info.padInfo;
  const p = Int32Array.from([info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, top, left, bottom, right]);
  return { info, p };
}

function poolForward(kernel: string, kind: 0 | 1): NativeFn {
  return ({ inputs, backend, attrs = {} }) => {
    const x = inputs["x"];
    const pi = x && poolInfo(x, attrs as PoolAttrs);
    if (!x || !pi) return fellBack(kernel, "shape or dtype");
    const b = backend as WasmBackend;
    return run(kernel, b, pi.info.outShape, (heap, y) => addon!.pool(heap, pi.p, kind, offset(b, x), y));
  };
}

const avgPoolGrad: NativeFn = ({ inputs, backend, attrs = {} }) => {
  const { dy, input } = inputs;
  const pi = input && poolInfo(input, attrs as PoolAttrs);
  if (!dy || !input || !pi || dy.dtype !== "float32" || dy.shape.join() !== pi.info.outShape.join()) return fellBack("AvgPoolGrad", "shape or dtype");
  const b = backend as WasmBackend;
  return run("AvgPoolGrad", b, [...input.shape], (heap, dx) => addon!.avgPoolGrad(heap, pi.p, offset(b, dy), dx));
};

const maxPoolGrad: NativeFn = ({ inputs, backend, attrs = {} }) => {
  const { dy, input } = inputs;
  const pi = input && poolInfo(input, attrs as PoolAttrs);
  if (!dy || !input || !pi || dy.dtype !== "float32" || dy.shape.join() !== pi.info.outShape.join()) return fellBack("MaxPoolGrad", "shape or dtype");
  const b = backend as WasmBackend;
  return run("MaxPoolGrad", b, [...input.shape], (heap, dx) => addon!.maxPoolGrad(heap, pi.p, offset(b, input), offset(b, dy), dx));
};

/** Sum over leading axes (bias gradients: dy summed over batch and space). */
const sum: NativeFn = ({ inputs, backend, attrs = {} }) => {
  const x = inputs["x"];
  if (!x || x.dtype !== "float32" || x.shape.length === 0) return fellBack("Sum", "dtype or rank");
  const axes = [...tf.util.parseAxisParam(attrs["axis"] as number | number[], x.shape)].sort((p, q) => p - q);
  if (axes.length === 0 || axes.some((ax, i) => ax !== i)) return fellBack("Sum", "not leading axes");
  const outer = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
  const inner = tf.util.sizeFromShape(x.shape.slice(axes.length));
  if (outer === 0 || inner === 0) return fellBack("Sum", "empty");
  const shape = attrs["keepDims"] ? x.shape.map((d, i) => (i < axes.length ? 1 : d)) : x.shape.slice(axes.length);
  const b = backend as WasmBackend;
  return run("Sum", b, shape, (heap, y) => addon!.sumLeading(heap, outer, inner, offset(b, x), y));
};

/**
 * Elementwise kernels run natively from this many elements on (a CNN's activations, their
 * gradients, bias adds: 1–3 M elements at batch 128); below it (most of the optimizer's
 * updates) the N-API call and the thread wake-up cost about what the second thread saves, on a
 * loaded machine more, and the wasm kernel runs (not counted as a fallback: nothing is missing).
 */
export const NATIVE_ELEMENTWISE_MIN = 1 << 18;

const stripOnes = (s: number[]): number[] => { let i = 0; while (i < s.length && s[i] === 1) i++; return s.slice(i); };
const isSuffix = (part: number[], whole: number[]): boolean => part.length <= whole.length && part.every((d, i) => d === whole[whole.length - part.length + i]);

/** Add, Sub, Multiply of float32 tensors: equal shapes, or one side repeated along the other (a bias, a scalar). */
function binary(kernel: string, op: 0 | 1 | 2): NativeFn {
  return ({ inputs, backend }) => {
    const { a, b } = inputs;
    if (!a || !b || a.dtype !== "float32" || b.dtype !== "float32") return fellBack(kernel, "not float32");
    let outShape: number[];
    try { outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape); } catch { return fellBack(kernel, "shapes"); }
    const n = tf.util.sizeFromShape(outShape);
    if (n < NATIVE_ELEMENTWISE_MIN) return null;
    const sa = tf.util.sizeFromShape(a.shape), sb = tf.util.sizeFromShape(b.shape);
    let mode: number, m: number;
    if (sa === n && sb === n) { mode = 0; m = n; }
    else if (sa === n && isSuffix(stripOnes(b.shape), outShape)) { mode = 1; m = sb; }
    else if (sb === n && isSuffix(stripOnes(a.shape), outShape)) { mode = 2; m = sa; }
    else return fellBack(kernel, "broadcast");
    if (m === 0) return fellBack(kernel, "empty");
    const be = backend as WasmBackend;
    return run(kernel, be, outShape, (heap, out) => addon!.binary(heap, Int32Array.from([op, n, m, mode]), offset(be, a), offset(be, b), out));
  };
}

/** Relu and Step (relu's gradient mask) of float32 tensors. */
function unary(kernel: string, op: 0 | 1): NativeFn {
  return ({ inputs, backend, attrs = {} }) => {
    const x = inputs["x"];
    if (!x || x.dtype !== "float32") return fellBack(kernel, "not float32");
    const n = tf.util.sizeFromShape(x.shape);
    if (n < NATIVE_ELEMENTWISE_MIN) return null;
    const be = backend as WasmBackend;
    return run(kernel, be, [...x.shape], (heap, out) => addon!.unary(heap, Int32Array.from([op, n]), (attrs["alpha"] as number | undefined) ?? 0, offset(be, x), out));
  };
}

/**
 * GatherV2 (embedding lookups) as row copies, parallel over rows; an index out of range makes
 * the addon throw before writing, and the wasm kernel then reports it.
 */
const gatherV2: NativeFn = ({ inputs, backend, attrs = {} }) => {
  const { x, indices } = inputs;
  if (!x || !indices || indices.dtype !== "int32" || (x.dtype !== "float32" && x.dtype !== "int32")) return fellBack("GatherV2", "dtype");
  const axis = tf.util.parseAxisParam(attrs["axis"] as number, x.shape)[0]!;
  const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(
    x as unknown as tf.TensorInfo & tf.Tensor, indices as unknown as tf.TensorInfo & tf.Tensor, axis, (attrs["batchDims"] as number | undefined) ?? 0);
  const n = tf.util.sizeFromShape(indices.shape);
  if (n * info.outerSize * info.sliceSize === 0) return fellBack("GatherV2", "empty");
  const b = backend as WasmBackend;
  return run("GatherV2", b, info.outputShape, (heap, out) =>
    addon!.gather(heap, Int32Array.from([info.batchSize, info.outerSize, info.dimSize, info.sliceSize, n / info.batchSize]), offset(b, x), offset(b, indices), out), x.dtype);
};

/** UnsortedSegmentSum (gather's gradient) of float32 rows by int32 ids, summed in double. */
const unsortedSegmentSum: NativeFn = ({ inputs, backend, attrs = {} }) => {
  const { x, segmentIds } = inputs;
  const numSegments = attrs["numSegments"] as number;
  if (!x || !segmentIds || x.dtype !== "float32" || segmentIds.dtype !== "int32") return fellBack("UnsortedSegmentSum", "dtype");
  const n = tf.util.sizeFromShape(segmentIds.shape);
  const rowShape = x.shape.slice(segmentIds.shape.length);
  const inner = tf.util.sizeFromShape(rowShape);
  if (n * inner * numSegments === 0 || x.shape.slice(0, segmentIds.shape.length).join() !== segmentIds.shape.join()) return fellBack("UnsortedSegmentSum", "shape");
  const b = backend as WasmBackend;
  return run("UnsortedSegmentSum", b, [numSegments, ...rowShape], (heap, out) =>
    addon!.segmentSum(heap, Int32Array.from([n, inner, numSegments]), offset(b, x), offset(b, segmentIds), out));
};

const KERNELS: Record<string, NativeFn> = {
  Conv2D: convForward("Conv2D", false),
  FusedConv2D: convForward("FusedConv2D", true),
  Conv2DBackpropInput: conv2DBackpropInput,
  Conv2DBackpropFilter: conv2DBackpropFilter,
  BatchMatMul: matMul("BatchMatMul", false),
  _FusedMatMul: matMul("_FusedMatMul", true),
  MaxPool: poolForward("MaxPool", 0),
  AvgPool: poolForward("AvgPool", 1),
  MaxPoolGrad: maxPoolGrad,
  AvgPoolGrad: avgPoolGrad,
  Sum: sum,
  GatherV2: gatherV2,
  UnsortedSegmentSum: unsortedSegmentSum,
  Add: binary("Add", 0),
  Sub: binary("Sub", 1),
  Multiply: binary("Multiply", 2),
  Relu: unary("Relu", 0),
  Step: unary("Step", 1),
};

/** Names of the kernels the native backend replaces. */
export const NATIVE_KERNELS = Object.keys(KERNELS);

/** The wasm kernels the native ones replaced, restored by disableNativeKernels. */
const replaced = new Map<string, tf.KernelConfig>();

/** Registers the native kernels over the wasm backend's (call after the wasm backend is ready). */
export function enableNativeKernels(native: NativeAddon): void {
  addon = native;
  if (replaced.size > 0) return;
  for (const [kernelName, impl] of Object.entries(KERNELS)) {
    const previous = tf.getKernel(kernelName, "wasm");
    if (!previous) throw new BackendError(`the wasm backend has no ${kernelName} kernel for the native one to fall back to`);
    replaced.set(kernelName, previous);
    const fallback = previous.kernelFunc as unknown as KernelFn;
    tf.unregisterKernel(kernelName, "wasm");
    const kernelFunc: KernelFn = (args) => impl(args) ?? fallback(args);
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}

/** Puts the wasm backend's own kernels back (the `wasm` backend choice). */
export function disableNativeKernels(): void {
  for (const [kernelName, config] of replaced) {
    tf.unregisterKernel(kernelName, "wasm");
    tf.registerKernel(config);
  }
  replaced.clear();
}

/** True while the native kernels are registered. */
export function nativeKernelsEnabled(): boolean {
  return replaced.size > 0;
}
