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
  reluGrad(heap: ArrayBuffer, n: number, dy: number, x: number, out: number): void;
  reluGradSum(heap: ArrayBuffer, rows: number, c: number, dy: number, x: number, out: number, sum: number): void;
  adam(heap: ArrayBuffer, n: number, scalars: Float32Array, value: number, m: number, v: number, g: number, c1: number, c2: number, newValue: number, newM: number, newV: number): void;
  rmsprop(heap: ArrayBuffer, n: number, scalars: Float32Array, value: number, ms: number, mom: number, g: number, newValue: number, newMs: number, newMom: number): void;
  uniform(heap: ArrayBuffer, n: number, state: Float64Array, out: number): void;
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

// ---- dlp's own kernels: relu's gradient, the optimizers' updates, uniform draws ---------------

/** Kernel names of dlp's own (tfjs has no such kernels), registered for wasm while native is on. */
export const RELU_GRAD = "DlpReluGrad";
export const RELU_GRAD_SUM = "DlpReluGradSum";
export const ADAM_UPDATE = "DlpAdamUpdate";
export const RMSPROP_UPDATE = "DlpRmsPropUpdate";
export const UNIFORM = "DlpUniform";

/** A wasm kernel by name, for the fallbacks of dlp's own kernels. */
function wasmKernel(name: string): KernelFn {
  const k = tf.getKernel(name, "wasm");
  if (!k) throw new BackendError(`the wasm backend has no ${name} kernel`);
  return k.kernelFunc as unknown as KernelFn;
}

/** dy * step(x) in one native pass; else wasm's Step and Multiply, as tfjs's own gradient. */
const reluGrad: KernelFn = ({ inputs, backend }) => {
  const { dy, x } = inputs;
  if (!dy || !x) throw new BackendError(`${RELU_GRAD} needs dy and x`);
  const b = backend as WasmBackend;
  const n = tf.util.sizeFromShape(x.shape);
  const out = f32(dy, x) && dy.shape.join() === x.shape.join() && n > 0
    ? run("ReluGrad", b, [...x.shape], (heap, o) => addon!.reluGrad(heap, n, offset(b, dy), offset(b, x), o))
    : fellBack("ReluGrad", "dtype or shape");
  if (out) return out;
  const mask = wasmKernel("Step")({ inputs: { x }, backend, attrs: { alpha: 0 } }) as TensorInfo;
  const cast = mask.dtype === "float32" ? mask : wasmKernel("Cast")({ inputs: { x: mask }, backend, attrs: { dtype: "float32" } }) as TensorInfo;
  const prod = wasmKernel("Multiply")({ inputs: { a: dy, b: cast }, backend }) as TensorInfo;
  b.disposeData(mask.dataId);
  if (cast !== mask) b.disposeData(cast.dataId);
  return prod;
};

/**
 * Relu's gradient of a [..., C] activation and its sum over every axis but the last (a fused
 * conv's bias gradient) in one pass: outputs [dy * step(x), sum]. Else reluGrad, then wasm's Sum.
 */
const reluGradSum: KernelFn = ({ inputs, backend }) => {
  const { dy, x } = inputs;
  if (!dy || !x) throw new BackendError(`${RELU_GRAD_SUM} needs dy and x`);
  const b = backend as WasmBackend;
  const c = x.shape[x.shape.length - 1] ?? 0;
  const n = tf.util.sizeFromShape(x.shape);
  if (f32(dy, x) && dy.shape.join() === x.shape.join() && x.shape.length >= 2 && n > 0) {
    const sum = b.makeOutput([c], "float32");
    const out = run("ReluGradSum", b, [...x.shape], (heap, o) => addon!.reluGradSum(heap, n / c, c, offset(b, dy), offset(b, x), o, offset(b, sum)));
    if (out) return [out, sum];
    b.disposeData(sum.dataId);
  } else {
    fellBack("ReluGradSum", "dtype or shape");
  }
  const out = reluGrad({ inputs: { dy, x }, backend }) as TensorInfo;
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  return [out, wasmKernel("Sum")({ inputs: { x: out }, backend, attrs: { axis: axes, keepDims: false } }) as TensorInfo];
};

/**
 * A fused optimizer update as a kernel: float32 `tensors` of one shape (the variable's value
 * first), float32 scalar `scalars`, attrs turned into the addon's scalar vector by `sc`; outputs
 * three tensors shaped like the value. The addon's pass runs with the operands' heap offsets in
 * the order tensors, scalars, outputs; on any failure the same float32 steps run in JavaScript
 * (`js`, on views in the same order), never a different answer.
 */
function updateKernel(kernel: string, label: string, tensors: readonly string[], scalars: readonly string[],
  sc: (attrs: Record<string, unknown>) => Float32Array,
  native: (heap: ArrayBuffer, n: number, sc: Float32Array, at: number[]) => void,
  js: (sc: Float32Array, at: Float32Array[]) => void): KernelFn {
  const names = [...tensors, ...scalars];
  return ({ inputs, backend, attrs = {} }) => {
    const ins = names.map((k) => inputs[k]);
    if (ins.some((t) => !t) || !f32(...(ins as TensorInfo[]))) throw new BackendError(`${kernel} takes float32 ${names.join(", ")}`);
    const value = ins[0]!;
    const shape = value.shape.join();
    if (ins.slice(0, tensors.length).some((t) => t!.shape.join() !== shape)) throw new BackendError(`${kernel}: ${tensors.join(", ")} must have one shape`);
    const b = backend as WasmBackend;
    const n = tf.util.sizeFromShape(value.shape);
    const s = sc(attrs);
    const outs = [0, 1, 2].map(() => b.makeOutput([...value.shape], "float32"));
    const operands = [...(ins as TensorInfo[]), ...outs];
    const heap = (): ArrayBuffer => b.wasm.HEAPU8.buffer as ArrayBuffer;
    try {
      if (n === 0) return outs;
      native(heap(), n, s, operands.map((t) => offset(b, t)));
      nativeRuns.set(label, (nativeRuns.get(label) ?? 0) + 1);
    } catch (e) {
      fellBack(label, e instanceof Error ? e.message : String(e));
      js(s, operands.map((t, i) => new Float32Array(heap(), offset(b, t), i >= tensors.length && i < names.length ? 1 : n)));
    }
    return outs;
  };
}

/**
 * One variable's Adam update: inputs value, m, v, g (float32, one shape) and the float32
 * scalars c1 = 1 - beta1^t, c2 = 1 - beta2^t; attrs beta1, beta2, epsilon, learningRate.
 * Outputs [value', m', v'], to tfjs's AdamOptimizer's bit (see the addon).
 */
const adamUpdate = updateKernel(ADAM_UPDATE, "AdamUpdate", ["value", "m", "v", "g"], ["c1", "c2"],
  (attrs) => {
    const { beta1, beta2, epsilon, learningRate } = attrs as { beta1: number; beta2: number; epsilon: number; learningRate: number };
    return Float32Array.from([beta1, 1 - beta1, beta2, 1 - beta2, epsilon, -learningRate]);
  },
  (heap, n, sc, at) => addon!.adam(heap, n, sc, ...(at as [number, number, number, number, number, number, number, number, number])),
  (sc, [value, m, v, g, c1, c2, outValue, outM, outV]) => adamStep(sc, c1![0]!, c2![0]!, value!, m!, v!, g!, outValue!, outM!, outV!));

/**
 * The addon's Adam update in JavaScript (its fallback): float32 steps (Math.fround after each
 * operation, exact for +, *, / and sqrt of float32 operands) in tfjs's order. `sc` as the addon's.
 */
export function adamStep(sc: Float32Array, c1: number, c2: number, value: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array,
  outValue: Float32Array, outM: Float32Array, outV: Float32Array): void {
  const f = Math.fround;
  for (let j = 0; j < value.length; j++) {
    const gj = g[j]!;
    const m1 = f(f(m[j]! * sc[0]!) + f(gj * sc[1]!));
    const v1 = f(f(v[j]! * sc[2]!) + f(f(gj * gj) * sc[3]!));
    const den = f(f(Math.sqrt(f(v1 / c2))) + sc[4]!);
    outM[j] = m1;
    outV[j] = v1;
    outValue[j] = f(f(f(f(m1 / c1) / den) * sc[5]!) + value[j]!);
  }
}

/**
 * One variable's uncentred RMSprop update: inputs value, ms, mom, g (float32, one shape); attrs
 * decay, momentum, learningRate, epsilon. Outputs [value', ms', mom'], to tfjs's
 * RMSPropOptimizer's bit (see the addon).
 */
const rmsPropUpdate = updateKernel(RMSPROP_UPDATE, "RmsPropUpdate", ["value", "ms", "mom", "g"], [],
  (attrs) => {
    const { decay, momentum, learningRate, epsilon } = attrs as { decay: number; momentum: number; learningRate: number; epsilon: number };
    return Float32Array.from([decay, 1 - decay, momentum, learningRate, epsilon]);
  },
  (heap, n, sc, at) => addon!.rmsprop(heap, n, sc, ...(at as [number, number, number, number, number, number, number])),
  (sc, [value, ms, mom, g, outValue, outMs, outMom]) => rmsPropStep(sc, value!, ms!, mom!, g!, outValue!, outMs!, outMom!));

/** The addon's RMSprop update in JavaScript (its fallback), float32 steps in tfjs's order. `sc` as the addon's. */
export function rmsPropStep(sc: Float32Array, value: Float32Array, ms: Float32Array, mom: Float32Array, g: Float32Array,
  outValue: Float32Array, outMs: Float32Array, outMom: Float32Array): void {
  const f = Math.fround;
  for (let j = 0; j < value.length; j++) {
    const gj = g[j]!;
    const ms1 = f(f(ms[j]! * sc[0]!) + f(f(gj * gj) * sc[1]!));
    const mom1 = f(f(mom[j]! * sc[2]!) + f(f(gj * sc[3]!) / f(Math.sqrt(f(ms1 + sc[4]!)))));
    outMs[j] = ms1;
    outMom[j] = mom1;
    outValue[j] = f(value[j]! - mom1);
  }
}

/**
 * Uniform float32 draws from seedrandom's alea generator in state attrs (c, s0, s1, s2), each
 * min + range * u: tfjs's randomUniform (UniformRandom) to the bit, as one native pass instead
 * of a JavaScript loop over a buffer and its upload to the heap; with attr keep > 0, each draw
 * turned into dropout's multiplier floor(u + keep) / keep (float32, as tfjs's kernels compute it).
 * Without the addon: the same steps in JavaScript (aleaFill).
 */
const uniform: KernelFn = ({ backend, attrs = {} }) => {
  const { shape, c, s0, s1, s2, min, range, keep } = attrs as { shape: number[]; c: number; s0: number; s1: number; s2: number; min: number; range: number; keep: number };
  const b = backend as WasmBackend;
  const n = tf.util.sizeFromShape(shape);
  if (n === 0) return b.makeOutput([...shape], "float32");
  const state = Float64Array.from([c, s0, s1, s2, min, range, keep]);
  const out = run("Uniform", b, [...shape], (heap, o) => addon!.uniform(heap, n, state, o));
  if (out) return out;
  const js = b.makeOutput([...shape], "float32");
  aleaFill(state, new Float32Array(b.wasm.HEAPU8.buffer as ArrayBuffer, offset(b, js), n));
  return js;
};

/** The addon's uniform in JavaScript: alea's steps (seedrandom 3's `next`) from state [c, s0, s1, s2, min, range, keep]. */
export function aleaFill(state: Float64Array, out: Float32Array): void {
  let [c, s0, s1, s2] = state as unknown as [number, number, number, number];
  const min = state[4]!, range = state[5]!, keep = Math.fround(state[6]!), f = Math.fround;
  for (let j = 0; j < out.length; j++) {
    const t = 2091639 * s0 + c * 2.3283064365386963e-10;
    s0 = s1;
    s1 = s2;
    c = t | 0;
    s2 = t - c;
    const u = f(min + range * s2);
    out[j] = keep > 0 ? f(Math.floor(f(u + keep)) / keep) : u;
  }
}

const OWN_KERNELS: Record<string, KernelFn> = { [RELU_GRAD]: reluGrad, [RELU_GRAD_SUM]: reluGradSum, [ADAM_UPDATE]: adamUpdate, [RMSPROP_UPDATE]: rmsPropUpdate, [UNIFORM]: uniform };

// ---- dropout -------------------------------------------------------------------------------

type Dropout = (x: tf.Tensor | tf.TensorLike, rate: number, noiseShape?: number[], seed?: number | string) => tf.Tensor;
/** tfjs-core's exports object, whose `dropout` tfjs-layers' Dropout calls at each training step. */
const tfCore = createRequire(import.meta.url)("@tensorflow/tfjs-core") as { dropout: Dropout; engine: () => unknown };
const seedrandom = createRequire(createRequire(import.meta.url).resolve("@tensorflow/tfjs-core"))("seedrandom") as {
  alea: (seed: string, opts: { state: true }) => { state: () => { c: number; s0: number; s1: number; s2: number } };
};
let tfjsDropout: Dropout | undefined;

/**
 * tfjs-core's dropout (ops/dropout.ts) with its uniform draw as one DlpUniform kernel: the same
 * seed (one Math.random() when none is given, as UniformRandom takes it), the same alea values
 * and tfjs's float32 floor(u + keep) / keep in the same pass, then x · that multiplier (the only
 * op on x's gradient path, as in tfjs), so masks and results are tfjs's to the bit. The draw was
 * the largest cost of a fashion_cnn step outside kernels (a JavaScript loop per value).
 */
const nativeDropout: Dropout = (x, rate, noiseShape, seed) => {
  if (!(x instanceof tf.Tensor) || x.dtype !== "float32" || !(rate > 0 && rate < 1) || tf.getBackend() !== "wasm") return tfjsDropout!(x, rate, noiseShape, seed);
  const shape = dropoutNoiseShape(x.shape, noiseShape);
  const key = String(seed ?? Math.random());
  const { c, s0, s1, s2 } = seedrandom.alea(key, { state: true }).state();
  return tf.tidy(() => tf.mul(x, tf.engine().runKernel(UNIFORM, {}, { shape, c, s0, s1, s2, min: 0, range: 1, keep: 1 - rate } as unknown as tf.NamedAttrMap) as tf.Tensor));
};

/** tfjs-core's getNoiseShape (ops/dropout_util.ts): unset entries of noiseShape take x's. */
function dropoutNoiseShape(shape: number[], noiseShape?: (number | null)[]): number[] {
  if (noiseShape == null) return shape.slice();
  if (noiseShape.length === shape.length) return noiseShape.map((d, i) => (d == null ? shape[i]! : d));
  return noiseShape as number[];
}


/** tfjs's gradient of Relu, which the native one replaces while native kernels are registered. */
let tfjsReluGrad: tf.GradConfig | undefined;

/** Relu's gradient as one kernel on native; tfjs's own (dy * step(x)) on every other backend. */
const nativeReluGrad: tf.GradConfig = {
  kernelName: "Relu",
  inputsToSave: ["x"],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const d = dy as tf.Tensor;
    if (onNative() && x && d.dtype === "float32" && x.dtype === "float32") {
      return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: d, x }) as tf.Tensor };
    }
    return tfjsReluGrad!.gradFunc(dy, saved, attrs);
  },
};

/** tfjs's fused conv2d op, which the native backend's training variant wraps (see trainingFusedConv2d). */
let tfjsFusedConv2d: typeof tf.fused.conv2d | undefined;

const onesOnly = (d: number | number[] | undefined): boolean => d === undefined || (Array.isArray(d) ? d.every((v) => v === 1) : d === 1);

/**
 * tf.fused.conv2d (what tfjs-layers' Conv2D calls) with relu while training on native: tfjs
 * unfuses it under a gradient tape (Conv2D, then Add for the bias, then Relu: two more passes
 * over the activations, and three kernels), though its own fused gradient covers relu. This
 * runs one FusedConv2D (oneDNN applies bias and relu as post-ops), recorded on the tape with
 * fusedConv2DGrad. Everything else (no gradient tape, other activations, NCHW, dilation,
 * another backend) is tfjs's own op.
 */
const trainingFusedConv2d = ((args: Parameters<typeof tf.fused.conv2d>[0]) => {
  const { x, filter, strides, pad, dataFormat = "NHWC", dilations, dimRoundingMode, bias, activation = "linear", preluActivationWeights } = args;
  const tensor = (t: unknown, rank?: number): t is tf.Tensor => t instanceof tf.Tensor && t.dtype === "float32" && (rank === undefined || t.rank === rank);
  if (!nativeKernelsEnabled() || tf.getBackend() !== "wasm" || tf.engine().state.gradientDepth === 0 || activation !== "relu" ||
      dataFormat !== "NHWC" || !onesOnly(dilations as number | number[] | undefined) || preluActivationWeights ||
      !tensor(x, 4) || !tensor(filter, 4) || x.shape[3] !== filter.shape[2] ||
      (bias != null && (!tensor(bias, 1) || bias.shape[0] !== filter.shape[3]))) {
    return tfjsFusedConv2d!(args);
  }
  const attrs = { strides, pad, dataFormat: "NHWC", dilations: [1, 1], dimRoundingMode, activation: "relu" };
  return tf.engine().runKernel("FusedConv2D", bias ? { x, filter, bias: bias as tf.Tensor } : { x, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}) as typeof tf.fused.conv2d;

/**
 * The gradient of a FusedConv2D on the tape (only trainingFusedConv2d puts one there: tfjs's
 * own fused op runs it inside customGrad, off the tape): tfjs's fused gradient (relu's mask from
 * the output, then the two convolution gradients and the bias's sum), each input's a thunk, so
 * the gradient of a first layer's input image is never computed.
 */
const fusedConv2DGrad: tf.GradConfig = {
  kernelName: "FusedConv2D",
  inputsToSave: ["x", "filter"],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const a = attrs as { strides: number | [number, number]; pad: unknown; dimRoundingMode?: string; activation: string };
    if (a.activation !== "relu" && a.activation !== "linear") throw new BackendError(`no gradient for a fused conv2d with ${a.activation}`);
    const d = dy as tf.Tensor4D;
    // On native, relu's mask and the bias's sum in one pass (the sum is [C], a waste of nothing
    // much when the conv has no bias).
    let dyAct: tf.Tensor4D, biasGrad: tf.Tensor | null = null;
    if (a.activation === "linear") dyAct = d;
    else if (onNative()) [dyAct, biasGrad] = tf.engine().runKernel(RELU_GRAD_SUM, { dy: d, x: y }) as [tf.Tensor4D, tf.Tensor];
    else dyAct = tf.mul(d, tf.step(y));
    const conv = { strides: a.strides, pad: a.pad, dataFormat: "NHWC", dimRoundingMode: a.dimRoundingMode };
    return {
      x: () => tf.engine().runKernel("Conv2DBackpropInput", { dy: dyAct, filter }, { ...conv, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      filter: () => tf.engine().runKernel("Conv2DBackpropFilter", { x, dy: dyAct }, { ...conv, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      bias: () => biasGrad ? tf.clone(biasGrad) : tf.sum(dyAct, [0, 1, 2]),
    };
  },
};

/** True while the native kernels are registered and the wasm backend (which they extend) runs. */
const onNative = (): boolean => nativeKernelsEnabled() && tf.getBackend() === "wasm";

type Slots = { originalName: string; variable: tf.Variable }[];
type VariableGradients = Parameters<tf.Optimizer["applyGradients"]>[0];

/** Each variable of an applyGradients call with its gradient (none skipped as tfjs does), and
 *  whether a fused update kernel takes the pair (float32, one shape). */
function eachVariable(variableGradients: VariableGradients, f: (i: number, name: string, value: tf.Variable, gradient: tf.Tensor, fusable: boolean) => void): void {
  const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
  names.forEach((name, i) => {
    const value = tf.engine().registeredVariables[name]!;
    const gradient = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
    if (gradient == null) return;
    f(i, name, value, gradient, value.dtype === "float32" && gradient.dtype === "float32" && gradient.shape.join() === value.shape.join());
  });
}

/** An optimizer's state variable i, created as zeros like `value` on first use, as tfjs's optimizers do. */
function slot(slots: Slots, i: number, originalName: string, value: tf.Variable): tf.Variable {
  slots[i] ??= { originalName, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
  return slots[i]!.variable;
}

/**
 * tfjs's Adam with each variable's update as one native kernel (ADAM_UPDATE) while the native
 * kernels are registered and the wasm backend runs: 1 kernel call a variable instead of 14,
 * the same float32 steps in the same order. Its state (moments, accBeta1/2, iterations) is
 * AdamOptimizer's own, so getWeights/setWeights (checkpoints, resume) are unchanged; on any other
 * backend, or for a variable that is not float32, tfjs's own update runs.
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer["applyGradients"]>[0]): void {
    if (!(onNative())) {
      super.applyGradients(variableGradients);
      return;
    }
    const self = this as unknown as {
      accBeta1: tf.Variable; accBeta2: tf.Variable;
      accumulatedFirstMoment: Slots;
      accumulatedSecondMoment: Slots;
    };
    tf.tidy(() => {
      const c1 = tf.sub(1, self.accBeta1), c2 = tf.sub(1, self.accBeta2);
      const attrs = { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, learningRate: this.learningRate };
      eachVariable(variableGradients, (i, name, value, gradient, fusable) => {
        const m = slot(self.accumulatedFirstMoment, i, `${name}/m`, value), v = slot(self.accumulatedSecondMoment, i, `${name}/v`, value);
        if (fusable) {
          const [nv, nm, ns] = tf.engine().runKernel(ADAM_UPDATE, { value, m, v, g: gradient, c1, c2 }, attrs) as tf.Tensor[];
          m.assign(nm!);
          v.assign(ns!);
          value.assign(nv!);
          return;
        }
        // tfjs's AdamOptimizer.applyGradients, verbatim.
        const newM = tf.add(tf.mul(m, this.beta1), tf.mul(gradient, 1 - this.beta1));
        const newV = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2));
        const mHat = tf.div(newM, c1), vHat = tf.div(newV, c2);
        m.assign(newM);
        v.assign(newV);
        value.assign(tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), this.epsilon)), -this.learningRate), value));
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, this.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}

/**
 * tfjs's RMSprop with each variable's update as one native kernel (RMSPROP_UPDATE) while the
 * native kernels are registered and the wasm backend runs, as FusedAdamOptimizer does for Adam;
 * centred RMSprop, other backends and non-float32 variables run tfjs's own update.
 */
export class FusedRmsPropOptimizer extends tf.RMSPropOptimizer {
  override applyGradients(variableGradients: Parameters<tf.RMSPropOptimizer["applyGradients"]>[0]): void {
    const self = this as unknown as {
      centered: boolean;
      accumulatedMeanSquares: Slots;
      accumulatedMoments: Slots;
    };
    if (!(onNative()) || self.centered) {
      super.applyGradients(variableGradients);
      return;
    }
    const attrs = { decay: this.decay, momentum: this.momentum, learningRate: this.learningRate, epsilon: this.epsilon };
    eachVariable(variableGradients, (i, name, value, gradient, fusable) => {
      const ms = slot(self.accumulatedMeanSquares, i, `${name}/rms`, value), mom = slot(self.accumulatedMoments, i, `${name}/momentum`, value);
      tf.tidy(() => {
        if (fusable) {
          const [nv, nms, nmom] = tf.engine().runKernel(RMSPROP_UPDATE, { value, ms, mom, g: gradient }, attrs) as tf.Tensor[];
          ms.assign(nms!);
          mom.assign(nmom!);
          value.assign(nv!);
          return;
        }
        // tfjs's RMSPropOptimizer.applyGradients (uncentred), verbatim.
        const newMs = tf.add(tf.mul(ms, this.decay), tf.mul(tf.square(gradient), 1 - this.decay));
        const newMom = tf.add(tf.mul(mom, this.momentum), tf.div(tf.mul(gradient, this.learningRate), tf.sqrt(tf.add(newMs, this.epsilon))));
        ms.assign(newMs);
        mom.assign(newMom);
        value.assign(tf.sub(value, newMom));
      });
    });
    this.incrementIterations();
  }
}

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
  for (const [kernelName, kernelFunc] of Object.entries(OWN_KERNELS)) {
    if (!tf.getKernel(kernelName, "wasm")) tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
  tfjsReluGrad ??= tf.getGradient("Relu");
  if (!tfjsReluGrad) throw new BackendError("tfjs has no gradient for Relu for the native one to fall back to");
  tf.registerGradient(nativeReluGrad);
  // tfjs-layers calls tf.fused.conv2d through the shared `fused` namespace object.
  tfjsFusedConv2d ??= tf.fused.conv2d;
  (tf.fused as { conv2d: typeof tf.fused.conv2d }).conv2d = trainingFusedConv2d;
  tf.registerGradient(fusedConv2DGrad);
  // tfjs-layers' Dropout calls tfjs-core's dropout through its exports object.
  if (tfCore.engine() !== tf.engine()) throw new BackendError("tfjs-layers and the runtime load two copies of tfjs-core");
  tfjsDropout ??= tfCore.dropout;
  tfCore.dropout = nativeDropout;
}

/** Puts the wasm backend's own kernels back (the `wasm` backend choice). */
export function disableNativeKernels(): void {
  for (const [kernelName, config] of replaced) {
    tf.unregisterKernel(kernelName, "wasm");
    tf.registerKernel(config);
  }
  replaced.clear();
  // dlp's own kernels stay registered (nothing calls them while native is off); tfjs's gradient
  // of Relu comes back.
  if (tfjsReluGrad) tf.registerGradient(tfjsReluGrad);
  if (tfjsFusedConv2d) (tf.fused as { conv2d: typeof tf.fused.conv2d }).conv2d = tfjsFusedConv2d;
  if (tf.getGradient("FusedConv2D") === fusedConv2DGrad) tf.unregisterGradient("FusedConv2D");
  if (tfjsDropout) tfCore.dropout = tfjsDropout;
}

/** True while the native kernels are registered. */
export function nativeKernelsEnabled(): boolean {
  return replaced.size > 0;
}
