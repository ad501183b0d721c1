// Kernels registered on the wasm backend so that CNNs and embeddings train on it, and train fast.
//
// Missing gradients, built from wasm's own (XNNPACK) kernels:
// - Conv2DBackpropFilter: the filter gradient
//     dW[i,j,ci,co] = sum_{n,ho,wo} x[n, ho*s + i - top, wo*s + j - left, ci] * dy[n,ho,wo,co]
//   is a conv2d of x transposed to [Ci,H,W,N] with dy transposed to [Ho,Wo,N,Co] as the filter,
//   stride 1 and dilation equal to the forward stride, giving [Ci,kh,kw,Co].
// - UnsortedSegmentSum (the gradient of gather, hence of every embedding): an indexed add of the
//   rows of x into a zeroed output on the wasm heap. The cpu backend's kernel builds a dense mask
//   and a full-size product for every segment and keeps them all until it returns: at vocabulary
//   10 000 and 64 000 tokens a batch that is 10 000 × 16 MB.
// - MaxPoolGrad: see below. The depthwise gradients run the cpu backend's kernel on copies.
// Replacements for kernels wasm ships but runs on scalar loops (each falls back to the shipped
// kernel for a case it does not cover):
// - Conv2DBackpropInput: a conv2d (XNNPACK) of dy, zero-stuffed when strided, with the filter
//   flipped and its channel axes swapped, instead of tfjs-wasm's scalar loop.
// - BatchMatMul with a transposed operand: an explicit Transpose, then the fast untransposed
//   BatchMatMul (the transposed variants take a scalar path in tfjs-wasm 4.22).
// - Sum over leading axes (bias gradients: [N,H,W,C] over N,H,W): a row of ones times the
//   [R, C] view (one XNNPACK matmul), instead of a transpose of the whole tensor and a reduce.
// - Identity, and Transpose by the identity permutation: the input's memory shared (reference
//   counted), instead of a copy.
// - GatherV2 (embedding lookups): row copies on the heap, instead of a per-element index loop.
// Kernels here register under the backend name "wasm", so any backend that reuses wasm's
// kernel registry and tensor storage (the native one) gets them too. A backend that registers
// its own kernels under these names should do so after registerWasmGradientKernels(): a
// replacement wraps whatever kernel is registered when it is installed, as its fallback.
import { tf } from "./tf.ts";

type TensorInfo = tf.TensorInfo;
type KernelArgs = { inputs: Record<string, TensorInfo>; backend: tf.KernelBackend; attrs?: Record<string, unknown> };
type KernelFn = (args: KernelArgs) => TensorInfo | TensorInfo[];

function wasmKernel(name: string): KernelFn {
  const k = tf.getKernel(name, "wasm");
  if (!k) throw new Error(`the wasm backend has no ${name} kernel`);
  return k.kernelFunc as unknown as KernelFn;
}

function single(r: TensorInfo | TensorInfo[]): TensorInfo {
  return Array.isArray(r) ? r[0]! : r;
}

/** Runs the cpu backend's kernel `name` on copies of wasm-resident inputs. */
function viaCpu(name: string): KernelFn {
  return ({ inputs, backend, attrs }) => {
    const cpuKernel = tf.getKernel(name, "cpu");
    const cpu = tf.findBackend("cpu");
    if (!cpuKernel || !cpu) throw new Error(`cannot run ${name} on wasm: the cpu backend is unavailable`);
    const moved: Record<string, TensorInfo> = {};
    for (const [key, t] of Object.entries(inputs)) {
      const values = backend.readSync(t.dataId) as tf.backend_util.BackendValues;
      moved[key] = { dataId: cpu.write(values, t.shape, t.dtype), shape: t.shape, dtype: t.dtype };
    }
    try {
      const out = single((cpuKernel.kernelFunc as unknown as KernelFn)({ inputs: moved, backend: cpu, attrs: attrs ?? {} }));
      const values = cpu.readSync(out.dataId) as tf.backend_util.BackendValues;
      cpu.disposeData(out.dataId);
      return { dataId: backend.write(values, out.shape, out.dtype), shape: out.shape, dtype: out.dtype };
    } finally {
      for (const t of Object.values(moved)) cpu.disposeData(t.dataId);
    }
  };
}

const conv2DBackpropFilterCpu = viaCpu("Conv2DBackpropFilter");

const conv2DBackpropFilter: KernelFn = (args) => {
  const { inputs, backend, attrs = {} } = args;
  const x = inputs["x"]!;
  const dy = inputs["dy"]!;
  const filterShape = attrs["filterShape"] as [number, number, number, number];
  const strides = attrs["strides"] as number | [number, number];
  const pad = attrs["pad"] as "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  const dataFormat = (attrs["dataFormat"] as string | undefined) ?? "NHWC";
  const dimRoundingMode = attrs["dimRoundingMode"] as "floor" | "round" | "ceil" | undefined;
  if (dataFormat !== "NHWC") return conv2DBackpropFilterCpu(args);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, "channelsLast");
  const [n, h, w, ci] = x.shape as [number, number, number, number];
  const [kh, kw] = filterShape;
  const { top, left } = info.padInfo;
  const needH = (info.outHeight - 1) * info.strideHeight + kh;
  const needW = (info.outWidth - 1) * info.strideWidth + kw;
  const transpose = wasmKernel("Transpose");
  const padV2 = wasmKernel("PadV2");
  const slice = wasmKernel("Slice");
  const conv2d = wasmKernel("Conv2D");
  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo): TensorInfo => { temps.push(t); return t; };
  try {
    let xp = x;
    const bottom = Math.max(0, needH - top - h);
    const right = Math.max(0, needW - left - w);
    if (top || left || bottom || right) {
      xp = keep(single(padV2({ inputs: { x: xp }, backend, attrs: { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 } })));
    }
    if (xp.shape[1] !== needH || xp.shape[2] !== needW) {
      xp = keep(single(slice({ inputs: { x: xp }, backend, attrs: { begin: [0, 0, 0, 0], size: [n, needH, needW, ci] } })));
    }
    const xT = keep(single(transpose({ inputs: { x: xp }, backend, attrs: { perm: [3, 1, 2, 0] } })));
    const dyT = keep(single(transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } })));
    const g = keep(single(conv2d({
      inputs: { x: xT, filter: dyT }, backend,
      attrs: { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [info.strideHeight, info.strideWidth], dimRoundingMode: undefined },
    })));
    const out = single(transpose({ inputs: { x: g }, backend, attrs: { perm: [1, 2, 0, 3] } }));
    return out;
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
};

/** What the kernels here use of tfjs-wasm's BackendWasm (4.22): output allocation and heap views. */
interface WasmBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } | undefined; delete(dataId: object): void };
  wasm: { tfjs: { disposeData(id: number): void }; HEAPU8: Uint8Array };
}

/**
 * A tensor id of its own for `t`'s memory, seen as `shape`, no copy. tfjs-wasm caches XNNPACK
 * operators (with their packed weights) by the weight tensor's id, not its shape: a tensor passed
 * as matmul weights under two shapes would reuse the first operator. `release` drops the id and
 * its cached operators without freeing the memory, which stays `t`'s.
 */
function alias(backend: WasmBackend, t: TensorInfo, shape: number[]): { info: TensorInfo; release: () => void } {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data) throw new Error("alias: the tensor is not on the wasm backend");
  const info = backend.makeOutput(shape, t.dtype, data.memoryOffset);
  const id = backend.dataIdMap.get(info.dataId)!.id;
  return { info, release: () => { backend.dataIdMap.delete(info.dataId); backend.wasm.tfjs.disposeData(id); } };
}

function asWasm(backend: tf.KernelBackend): WasmBackend {
  const b = backend as Partial<WasmBackend>;
  if (typeof b.makeOutput !== "function" || typeof b.typedArrayFromHeap !== "function") {
    throw new Error("the wasm kernels need tfjs-backend-wasm's BackendWasm (makeOutput, typedArrayFromHeap)");
  }
  return backend as WasmBackend;
}

/**
 * MaxPoolGrad in JS over the wasm heap. The kernel wasm ships (tfjs-backend-wasm 4.22) drops
 * gradients when the input has a single channel (measured against the cpu backend), so it is
 * replaced: each output cell routes dy to the first maximum of its window, as the cpu backend does.
 * It reads and writes the heap in place (no copies).
 */
const maxPoolGrad: KernelFn = ({ inputs, backend: b, attrs = {} }) => {
  const backend = asWasm(b);
  const input = inputs["input"]!;
  const dy = inputs["dy"]!;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs["filterSize"] as [number, number] | number,
    attrs["strides"] as [number, number] | number, 1, attrs["pad"] as "valid" | "same" | number, attrs["dimRoundingMode"] as "floor" | "round" | "ceil" | undefined);
  const out = backend.makeOutput(input.shape, "float32");
  // Views after the allocation: a heap growth detaches views taken before it.
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  const { batchSize: nb, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw, effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const { top, left } = info.padInfo;
  for (let b = 0; b < nb; b++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let c = 0; c < C; c++) {
    let best = -Infinity, at = -1;
    for (let i = 0; i < fh; i++) {
      const h = oh * sh - top + i;
      if (h < 0 || h >= H) continue;
      for (let j = 0; j < fw; j++) {
        const w = ow * sw - left + j;
        if (w < 0 || w >= W) continue;
        const o = ((b * H + h) * W + w) * C + c;
        if (x[o]! > best || at < 0) { best = x[o]!; at = o; }
      }
    }
    if (at >= 0) dx[at] += g[((b * OH + oh) * OW + ow) * C + c]!;
  }
  return out;
};

/**
 * UnsortedSegmentSum as an indexed add: out[segmentIds[i], ...] += x[i, ...], rows whose id is
 * not an integer in [0, numSegments) dropped (as the cpu backend's mask never matches them).
 * float32 sums accumulate in float64 (the cpu backend sums in JS numbers), then round once.
 * Memory: the output plus, for float32, one float64 accumulator of the output's size.
 */
function unsortedSegmentSum(fallback: KernelFn): KernelFn {
  return (args) => {
    const { inputs, backend: b, attrs = {} } = args;
    const x = inputs["x"]!;
    const ids = inputs["segmentIds"]!;
    const numSegments = attrs["numSegments"] as number;
    if ((x.dtype !== "float32" && x.dtype !== "int32") || (ids.dtype !== "int32" && ids.dtype !== "float32")) return fallback(args);
    const backend = asWasm(b);
    const idsRank = ids.shape.length;
    const n = tf.util.sizeFromShape(ids.shape);
    const inner = tf.util.sizeFromShape(x.shape.slice(idsRank));
    const outShape = [numSegments, ...x.shape.slice(idsRank)];
    const out = backend.makeOutput(outShape, x.dtype);
    const xs = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
    const is = backend.typedArrayFromHeap(ids) as Int32Array | Float32Array;
    const o = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
    if (x.dtype === "int32") {
      o.fill(0);
      for (let i = 0; i < n; i++) {
        const s = is[i]!;
        if (!(s >= 0 && s < numSegments && Number.isInteger(s))) continue;
        const src = i * inner, dst = s * inner;
        for (let k = 0; k < inner; k++) o[dst + k] = (o[dst + k]! + xs[src + k]!) | 0;
      }
      return out;
    }
    const acc = new Float64Array(numSegments * inner);
    for (let i = 0; i < n; i++) {
      const s = is[i]!;
      if (!(s >= 0 && s < numSegments && Number.isInteger(s))) continue;
      const src = i * inner, dst = s * inner;
      for (let k = 0; k < inner; k++) acc[dst + k] += xs[src + k]!;
    }
    o.set(acc);
    return out;
  };
}

type Pad = "valid" | "same" | number | tf.backend_util.ExplicitPadding;

/**
 * Conv2DBackpropInput as a forward conv2d, which wasm runs with XNNPACK. With dyz = dy with
 * (s-1) zeros stuffed between rows and between columns ([N, (Ho-1)·sh+1, (Wo-1)·sw+1, Co]) and
 * wf = the filter flipped in space with its channel axes swapped (wf[a,b,co,ci] =
 * w[kh-1-a, kw-1-b, ci, co]),
 *   dx = conv2d(dyz, wf, stride 1, padding top kh-1-padTop, left kw-1-padLeft, bottom and
 *        right whatever makes the output H×W).
 * A padding that would be negative (explicit padding wider than the kernel), NCHW or a
 * non-float32 tensor go to the kernel wasm ships.
 */
function conv2DBackpropInput(fallback: KernelFn): KernelFn {
  return (args) => {
    const { inputs, backend: b, attrs = {} } = args;
    const dy = inputs["dy"]!;
    const filter = inputs["filter"]!;
    const dataFormat = (attrs["dataFormat"] as string | undefined) ?? "NHWC";
    if (dataFormat !== "NHWC" || dy.dtype !== "float32" || filter.dtype !== "float32") return fallback(args);
    const inputShape = attrs["inputShape"] as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number],
      attrs["strides"] as number | [number, number], 1, attrs["pad"] as Pad, attrs["dimRoundingMode"] as "floor" | "round" | "ceil" | undefined, false, "channelsLast");
    const { batchSize: n, inHeight: H, inWidth: W, inChannels: ci, outHeight: Ho, outWidth: Wo, outChannels: co, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
    const hz = (Ho - 1) * sh + 1, wz = (Wo - 1) * sw + 1;
    const pt = kh - 1 - info.padInfo.top, pl = kw - 1 - info.padInfo.left;
    const pb = H + kh - 1 - pt - hz, pr = W + kw - 1 - pl - wz;
    if (pt < 0 || pl < 0 || pb < 0 || pr < 0 || Ho <= 0 || Wo <= 0) return fallback(args);
    // Zero-stuffing multiplies the work by sh·sw: worth it while the filter is wider than the
    // stride (3×3 stride 2: 1.9× faster than the shipped loop), not for 1×1 stride 2 (0.9×).
    if ((sh > 1 || sw > 1) && (kh <= sh || kw <= sw)) return fallback(args);
    const backend = asWasm(b);
    const temps: TensorInfo[] = [];
    try {
      const wf = backend.makeOutput([kh, kw, co, ci], "float32");
      temps.push(wf);
      let src = dy;
      if (sh > 1 || sw > 1) {
        src = backend.makeOutput([n, hz, wz, co], "float32");
        temps.push(src);
      }
      const w = backend.typedArrayFromHeap(filter) as Float32Array;
      const f = backend.typedArrayFromHeap(wf) as Float32Array;
      for (let a = 0; a < kh; a++) for (let c = 0; c < kw; c++) {
        const from = ((kh - 1 - a) * kw + (kw - 1 - c)) * ci * co;
        const to = (a * kw + c) * co * ci;
        for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) f[to + o * ci + i] = w[from + i * co + o]!;
      }
      if (src !== dy) {
        const g = backend.typedArrayFromHeap(dy) as Float32Array;
        const z = backend.typedArrayFromHeap(src) as Float32Array;
        z.fill(0);
        for (let bi = 0; bi < n; bi++) for (let y = 0; y < Ho; y++) for (let x = 0; x < Wo; x++) {
          const from = ((bi * Ho + y) * Wo + x) * co;
          z.set(g.subarray(from, from + co), ((bi * hz + y * sh) * wz + x * sw) * co);
        }
      }
      return single(wasmKernel("Conv2D")({
        inputs: { x: src, filter: wf }, backend,
        attrs: { strides: [1, 1], pad: [[0, 0], [pt, pb], [pl, pr], [0, 0]], dataFormat: "NHWC", dilations: [1, 1], dimRoundingMode: undefined },
      }));
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/**
 * BatchMatMul with transposeA/transposeB: the transposed operands are materialised with wasm's
 * Transpose and multiplied by the shipped kernel untransposed (its fast path).
 */
function batchMatMul(fallback: KernelFn): KernelFn {
  return (args) => {
    const { inputs, backend, attrs = {} } = args;
    const ta = attrs["transposeA"] === true, tb = attrs["transposeB"] === true;
    const a = inputs["a"]!, b = inputs["b"]!;
    if ((!ta && !tb) || a.dtype !== "float32" || b.dtype !== "float32") return fallback(args);
    const transpose = wasmKernel("Transpose");
    const temps: TensorInfo[] = [];
    const swapLast = (t: TensorInfo): TensorInfo => {
      const r = t.shape.length;
      const perm = [...Array(r).keys()];
      [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
      const out = single(transpose({ inputs: { x: t }, backend, attrs: { perm } }));
      temps.push(out);
      return out;
    };
    try {
      return single(fallback({
        inputs: { a: ta ? swapLast(a) : a, b: tb ? swapLast(b) : b }, backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      }));
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/**
 * Sum of a float32 tensor over leading axes (0..k-1, as bias gradients reduce [N,H,W,C] to [C]):
 * a [1, R] row of ones times the [R, C] view (see alias), one BatchMatMul (XNNPACK), no transpose. The
 * shipped kernel transposes the whole tensor to put the axes innermost, then reduces; both
 * accumulate in float32 (measured on [128,26,26,32]: the same 1.9e-5 relative difference from the
 * cpu backend's float64 sums, 20–40× faster). Other reductions go to the shipped kernel.
 */
function sum(fallback: KernelFn): KernelFn {
  return (args) => {
    const { inputs, backend: b, attrs = {} } = args;
    const x = inputs["x"]!;
    const rank = x.shape.length;
    if (x.dtype !== "float32" || rank < 2) return fallback(args);
    const axes = tf.util.parseAxisParam(attrs["axis"] as number | number[], x.shape).sort((p, q) => p - q);
    const k = axes.length;
    if (k === 0 || k === rank || axes.some((v, i) => v !== i)) return fallback(args);
    const backend = asWasm(b);
    const rows = tf.util.sizeFromShape(x.shape.slice(0, k));
    const cols = tf.util.sizeFromShape(x.shape.slice(k));
    if (rows === 0 || cols === 0) return fallback(args);
    const ones = backend.makeOutput([1, 1, rows], "float32");
    const view = alias(backend, x, [1, rows, cols]);
    try {
      (backend.typedArrayFromHeap(ones) as Float32Array).fill(1);
      const out = single(wasmKernel("BatchMatMul")({ inputs: { a: ones, b: view.info }, backend, attrs: { transposeA: false, transposeB: false } }));
      out.shape = attrs["keepDims"] === true ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k);
      return out;
    } finally {
      view.release();
      backend.disposeData(ones.dataId);
    }
  };
}

/**
 * Identity without a copy: the output shares the input's memory (its reference count goes up),
 * as the cpu backend's Identity does. Tensors are immutable and every kernel writes only to the
 * output it allocates, so sharing is safe; tfjs-wasm 4.22 copies the whole tensor instead, and
 * the gradient tape and the optimizers call Identity dozens of times a training step.
 */
function identity(fallback: KernelFn): KernelFn {
  return (args) => {
    const x = args.inputs["x"]!;
    if (x.dtype === "string") return fallback(args);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

/**
 * Transpose by the identity permutation (a gather's gradient transposes so): the input itself,
 * shared as Identity above; tfjs-wasm 4.22 copies it. Only the identity: a permutation that
 * moves size-1 axes would also be a no-op on memory, but under another shape, and tfjs-wasm
 * caches XNNPACK operators by tensor id, not shape (see alias below): a [32, 1] kernel shared as
 * [1, 32] reused the forward matmul's operator in a Dense layer's input gradient.
 */
function transpose(fallback: KernelFn): KernelFn {
  return (args) => {
    const x = args.inputs["x"]!;
    const perm = args.attrs?.["perm"] as number[] | undefined;
    if (!perm || x.dtype === "string" || perm.length !== x.shape.length || perm.some((a, i) => a !== i)) return fallback(args);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

/**
 * GatherV2 with int32 indices (every embedding lookup) as row copies on the wasm heap:
 * out[b, o, i, :] = x[b, o, indices[b, i], :] (b over the batchDims leading axes). tfjs-wasm
 * 4.22's kernel computes every output element's source through an N-d index (measured: 1.7 s of
 * a 3.2 s imdb_conv1d training step, 64 000 × 64 floats), and with batchDims > 0 it returns
 * wrong values (gather([[1,2],[3,4]], [[1],[0]], axis 1, batchDims 1) gave [2, 0], the cpu
 * backend [2, 3]). An index outside [0, x.shape[axis]) goes to the shipped kernel, which
 * reports it, as do other dtypes.
 */
function gatherV2(fallback: KernelFn): KernelFn {
  return (args) => {
    const { inputs, backend: b, attrs = {} } = args;
    const x = inputs["x"]!;
    const indices = inputs["indices"]!;
    if (indices.dtype !== "int32" || (x.dtype !== "float32" && x.dtype !== "int32")) return fallback(args);
    const axis = tf.util.parseAxisParam(attrs["axis"] as number, x.shape)[0]!;
    const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(
      x as unknown as tf.TensorInfo & tf.Tensor, indices as unknown as tf.TensorInfo & tf.Tensor, axis, (attrs["batchDims"] as number | undefined) ?? 0);
    const { batchSize, outerSize, dimSize, sliceSize: inner } = info;
    const n = tf.util.sizeFromShape(indices.shape);
    const perBatch = n / batchSize;
    if (n * outerSize * inner === 0) return fallback(args);
    const backend = asWasm(b);
    const ids = backend.typedArrayFromHeap(indices) as Int32Array;
    for (let i = 0; i < n; i++) {
      const v = ids[i]!;
      if (!(v >= 0 && v < dimSize)) return fallback(args);
    }
    const out = backend.makeOutput(info.outputShape, x.dtype);
    // Views after the allocation: a heap growth detaches views taken before it.
    const heap = new Int32Array(backend.wasm.HEAPU8.buffer);
    const xs = backend.dataIdMap.get(x.dataId)!.memoryOffset >> 2;
    const is = backend.dataIdMap.get(indices.dataId)!.memoryOffset >> 2;
    let dst = backend.dataIdMap.get(out.dataId)!.memoryOffset >> 2;
    for (let bi = 0; bi < batchSize; bi++) {
      for (let o = 0; o < outerSize; o++) {
        const src = xs + (bi * outerSize + o) * dimSize * inner;
        const idx = is + bi * perBatch;
        if (inner >= 16) {
          for (let i = 0; i < perBatch; i++, dst += inner) {
            const from = src + heap[idx + i]! * inner;
            heap.copyWithin(dst, from, from + inner);
          }
        } else {
          for (let i = 0; i < perBatch; i++, dst += inner) {
            const from = src + heap[idx + i]! * inner;
            for (let k = 0; k < inner; k++) heap[dst + k] = heap[from + k]!;
          }
        }
      }
    }
    return out;
  };
}

let registered = false;

/**
 * The kernels wasm shipped under the names replaced here, kept as the fallbacks of the
 * replacements (and for other backends that want them, e.g. to compare against).
 */
export const SHIPPED_WASM_KERNELS = new Map<string, KernelFn>();

/** Registers the kernels above for wasm; idempotent. */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  registered = true;
  const add = (kernelName: string, kernelFunc: KernelFn): void => {
    if (tf.getKernel(kernelName, "wasm")) return;
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  };
  /** Replaces a shipped kernel, keeping its setup/dispose hooks and passing it as the fallback. */
  const replace = (kernelName: string, make: (fallback: KernelFn) => KernelFn): void => {
    const shipped = tf.getKernel(kernelName, "wasm");
    if (!shipped) throw new Error(`the wasm backend has no ${kernelName} kernel`);
    const fallback = shipped.kernelFunc as unknown as KernelFn;
    SHIPPED_WASM_KERNELS.set(kernelName, fallback);
    tf.unregisterKernel(kernelName, "wasm");
    tf.registerKernel({ ...shipped, kernelFunc: make(fallback) as unknown as tf.KernelFunc });
  };
  add("Conv2DBackpropFilter", conv2DBackpropFilter);
  replace("MaxPoolGrad", () => maxPoolGrad);
  replace("Conv2DBackpropInput", conv2DBackpropInput);
  replace("BatchMatMul", batchMatMul);
  replace("Sum", sum);
  replace("Identity", identity);
  replace("Transpose", transpose);
  replace("GatherV2", gatherV2);
  add("DepthwiseConv2dNativeBackpropFilter", viaCpu("DepthwiseConv2dNativeBackpropFilter"));
  add("DepthwiseConv2dNativeBackpropInput", viaCpu("DepthwiseConv2dNativeBackpropInput"));
  add("UnsortedSegmentSum", unsortedSegmentSum(viaCpu("UnsortedSegmentSum")));
}

/** Names of the kernels registerWasmGradientKernels provides or replaces. */
export const WASM_EXTRA_KERNELS = [
  "Conv2DBackpropFilter", "MaxPoolGrad", "Conv2DBackpropInput", "BatchMatMul", "Sum", "Identity", "Transpose", "GatherV2",
  "DepthwiseConv2dNativeBackpropFilter", "DepthwiseConv2dNativeBackpropInput", "UnsortedSegmentSum",
] as const;
