// Gradient kernels the wasm backend does not ship, registered so that CNNs train on it.
//
// Conv2DBackpropFilter is built from wasm's own (XNNPACK) kernels: the filter gradient
//   dW[i,j,ci,co] = sum_{n,ho,wo} x[n, ho*s + i - top, wo*s + j - left, ci] * dy[n,ho,wo,co]
// is a conv2d of x transposed to [Ci,H,W,N] with dy transposed to [Ho,Wo,N,Co] as the filter,
// stride 1 and dilation equal to the forward stride, giving [Ci,kh,kw,Co].
// The depthwise gradients and UnsortedSegmentSum (the gradient of gather, used by embeddings)
// run the cpu backend's kernel on copies of the operands; they are rare and small.
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

/**
 * MaxPoolGrad in JS over the wasm heap. The kernel wasm ships (tfjs-backend-wasm 4.22) drops
 * gradients when the input has a single channel (measured against the cpu backend), so it is
 * replaced: each output cell routes dy to the first maximum of its window, as the cpu backend does.
 */
const maxPoolGrad: KernelFn = ({ inputs, backend, attrs = {} }) => {
  const input = inputs["input"]!;
  const dy = inputs["dy"]!;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs["filterSize"] as [number, number] | number,
    attrs["strides"] as [number, number] | number, 1, attrs["pad"] as "valid" | "same" | number, attrs["dimRoundingMode"] as "floor" | "round" | "ceil" | undefined);
  const x = backend.readSync(input.dataId) as Float32Array;
  const g = backend.readSync(dy.dataId) as Float32Array;
  const dx = new Float32Array(x.length);
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
  return { dataId: backend.write(dx, input.shape, "float32"), shape: input.shape, dtype: "float32" };
};

let registered = false;

/** Registers the missing gradient kernels for wasm; idempotent, and skips any wasm later gains. */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  registered = true;
  const add = (kernelName: string, kernelFunc: KernelFn): void => {
    if (tf.getKernel(kernelName, "wasm")) return;
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  };
  add("Conv2DBackpropFilter", conv2DBackpropFilter);
  if (tf.getKernel("MaxPoolGrad", "wasm")) tf.unregisterKernel("MaxPoolGrad", "wasm");
  add("MaxPoolGrad", maxPoolGrad);
  add("DepthwiseConv2dNativeBackpropFilter", viaCpu("DepthwiseConv2dNativeBackpropFilter"));
  add("DepthwiseConv2dNativeBackpropInput", viaCpu("DepthwiseConv2dNativeBackpropInput"));
  add("UnsortedSegmentSum", viaCpu("UnsortedSegmentSum"));
}

/** Names of the kernels registerWasmGradientKernels provides. */
export const WASM_EXTRA_KERNELS = [
  "Conv2DBackpropFilter", "MaxPoolGrad", "DepthwiseConv2dNativeBackpropFilter", "DepthwiseConv2dNativeBackpropInput", "UnsortedSegmentSum",
] as const;
