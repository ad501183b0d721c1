// ONNX export of a trained tfjs layers model (`dlpc export RUN_DIR --format onnx`), written with
// the ONNX protobuf definitions of the npm package onnx-proto (protobufjs), opset 13. The graph
// keeps tfjs's channels-last layout: convolutions and poolings (NCHW in ONNX) are wrapped in
// Transposes, everything else (Dense, Flatten, BatchNormalization as scale and shift, global
// poolings as reductions) works on NHWC directly, so a flattened feature order matches tfjs's.
// A layer without an ONNX translation is an error naming every such layer: nothing is dropped.
import { createRequire } from "node:module";
import { tf } from "../tf.ts";
import { TrainingError } from "../errors.ts";
import type * as OnnxTypes from "onnx-proto";

const require = createRequire(import.meta.url);
const { onnx } = require("onnx-proto") as typeof OnnxTypes;

export const OPSET = 13;

/** An attribute: a number is an INT, `{ f }` a FLOAT, an array INTS. */
type Attr = number | number[] | string | { f: number };
type Layer = tf.layers.Layer;
type Config = Record<string, unknown>;

class Graph {
  readonly nodes: OnnxTypes.onnx.INodeProto[] = [];
  readonly inits: OnnxTypes.onnx.ITensorProto[] = [];
  private n = 0;
  tmp(base: string): string { return `${base}__${this.n++}`; }
  node(op: string, inputs: string[], outputs: string[], attrs: Record<string, Attr> = {}, name = this.tmp(op)): void {
    const attribute = Object.entries(attrs).map(([k, v]): OnnxTypes.onnx.IAttributeProto => {
      if (typeof v === "number") return { name: k, type: onnx.AttributeProto.AttributeType.INT, i: v };
      if (typeof v === "string") return { name: k, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(v) };
      if (Array.isArray(v)) return { name: k, type: onnx.AttributeProto.AttributeType.INTS, ints: v };
      return { name: k, type: onnx.AttributeProto.AttributeType.FLOAT, f: v.f };
    });
    this.nodes.push({ opType: op, input: inputs, output: outputs, name, attribute });
  }
  float(name: string, data: Float32Array | number[], dims: number[]): string {
    const f = data instanceof Float32Array ? data : Float32Array.from(data);
    this.inits.push({ name, dataType: onnx.TensorProto.DataType.FLOAT, dims, rawData: new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength)) });
    return name;
  }
  int64(name: string, data: number[]): string {
    const b = new BigInt64Array(data.map((v) => BigInt(v)));
    this.inits.push({ name, dataType: onnx.TensorProto.DataType.INT64, dims: [data.length], rawData: new Uint8Array(b.buffer) });
    return name;
  }
}

/** The layer's input shape, batch axis first (null). */
const inputShapeOf = (l: Layer): number[] => {
  const s = (l as unknown as { inboundNodes: { inputShapes: number[] | number[][] }[] }).inboundNodes[0]!.inputShapes;
  return (Array.isArray(s[0]) ? s[0] : s) as number[];
};

const values = (t: tf.Tensor): Float32Array => Float32Array.from(t.dataSync() as Float32Array);

/** Weight `suffix` (kernel, bias, gamma, …) of a layer. */
function weight(l: Layer, suffix: string): tf.Tensor | null {
  const w = l.weights.find((v) => v.originalName.split("/").pop() === suffix || v.name.split("/").pop() === suffix);
  return w ? w.read() : null;
}

/** tfjs [d0, d1, …, dk] → the axes permuted by `perm` (row-major). */
function permute(data: Float32Array, shape: number[], perm: number[]): { data: Float32Array; shape: number[] } {
  const t = tf.tidy(() => tf.transpose(tf.tensor(data, shape), perm));
  const out = { data: values(t), shape: t.shape.slice() };
  t.dispose();
  return out;
}

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)]);

/** TensorFlow's "same" padding: the extra pixel goes at the end. */
function samePads(size: number[], kernel: number[], strides: number[], dilations: number[]): number[] {
  const begin: number[] = [], end: number[] = [];
  size.forEach((n, i) => {
    const k = (kernel[i]! - 1) * dilations[i]! + 1;
    const out = Math.ceil(n / strides[i]!);
    const total = Math.max(0, (out - 1) * strides[i]! + k - n);
    begin.push(Math.floor(total / 2));
    end.push(total - Math.floor(total / 2));
  });
  return [...begin, ...end];
}

/** Applies `activation` (a tfjs name) from x to y; false when ONNX has no translation here. */
function activation(g: Graph, act: string, x: string, y: string, cfg: Config = {}): boolean {
  switch (act) {
    case "linear": g.node("Identity", [x], [y]); return true;
    case "relu": g.node("Relu", [x], [y]); return true;
    case "sigmoid": g.node("Sigmoid", [x], [y]); return true;
    case "tanh": g.node("Tanh", [x], [y]); return true;
    case "softmax": g.node("Softmax", [x], [y], { axis: Number(cfg["axis"] ?? -1) }); return true;
    case "elu": g.node("Elu", [x], [y], { alpha: { f: 1 } }); return true;
    case "selu": g.node("Selu", [x], [y]); return true;
    case "softplus": g.node("Softplus", [x], [y]); return true;
    case "softsign": g.node("Softsign", [x], [y]); return true;
    case "hard_sigmoid": case "hardSigmoid": g.node("HardSigmoid", [x], [y], { alpha: { f: 0.2 }, beta: { f: 0.5 } }); return true;
    case "relu6": g.node("Clip", [x, g.float(g.tmp("zero"), [0], []), g.float(g.tmp("six"), [6], [])], [y]); return true;
    case "swish": { const s = g.tmp("sig"); g.node("Sigmoid", [x], [s]); g.node("Mul", [x, s], [y]); return true; }
    case "mish": { const sp = g.tmp("sp"), th = g.tmp("th"); g.node("Softplus", [x], [sp]); g.node("Tanh", [sp], [th]); g.node("Mul", [x, th], [y]); return true; }
    default: return false;
  }
}

const TO_NCHW = (rank: number): number[] => [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
const TO_NHWC = (rank: number): number[] => [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];

/** Runs `op` (an NCHW op) on a channels-last tensor by transposing around it. */
function channelsFirst(g: Graph, rank: number, x: string, y: string, op: (xin: string, yout: string) => void): void {
  const a = g.tmp("nchw"), b = g.tmp("nchw_out");
  g.node("Transpose", [x], [a], { perm: TO_NCHW(rank) });
  op(a, b);
  g.node("Transpose", [b], [y], { perm: TO_NHWC(rank) });
}

/** Conv over a channels-last input; `w` is tfjs's [k…, in, out] kernel (or ONNX's already, with `onnxW`). */
function conv(g: Graph, l: Layer, x: string, y: string, o: { kernel: Float32Array; kshape: number[]; bias: Float32Array | null; group?: number; onnxW?: boolean }): void {
  const cfg = l.getConfig() as Config;
  const inShape = inputShapeOf(l).slice(1);
  const spatial = inShape.length - 1;
  const ks = o.onnxW ? o.kshape.slice(2) : o.kshape.slice(0, spatial);
  const strides = spatial === 1 ? [Number(Array.isArray(cfg["strides"]) ? (cfg["strides"] as number[])[0] : cfg["strides"] ?? 1)] : pair(cfg["strides"] ?? 1);
  const dil = spatial === 1 ? [Number(Array.isArray(cfg["dilationRate"]) ? (cfg["dilationRate"] as number[])[0] : cfg["dilationRate"] ?? 1)] : pair(cfg["dilationRate"] ?? 1);
  // tfjs [k…, in, out] → ONNX [out, in, k…]
  const perm = [spatial + 1, spatial, ...Array.from({ length: spatial }, (_, i) => i)];
  const w = o.onnxW ? { data: o.kernel, shape: o.kshape } : permute(o.kernel, o.kshape, perm);
  const wn = g.float(g.tmp(`${l.name}_W`), w.data, w.shape);
  const inputs = [wn];
  if (o.bias) inputs.push(g.float(g.tmp(`${l.name}_B`), o.bias, [o.bias.length]));
  const pads = cfg["padding"] === "same" ? samePads(inShape.slice(0, spatial), ks, strides, dil) : new Array(2 * spatial).fill(0);
  channelsFirst(g, spatial + 2, x, y, (a, b) => g.node("Conv", [a, ...inputs], [b], { kernel_shape: ks, strides, dilations: dil, pads, group: o.group ?? 1 }));
}

/** One layer: its ONNX nodes from `ins` to `out`; a reason when it cannot be translated. */
function convertLayer(g: Graph, l: Layer, ins: string[], out: string): string | null {
  const cls = l.getClassName();
  const cfg = l.getConfig() as Config;
  const x = ins[0]!;
  const actOut = (pre: string): boolean => {
    const a = String(cfg["activation"] ?? "linear");
    return activation(g, a, pre, out);
  };
  const needAct = (): string | null => (activation(new Graph(), String(cfg["activation"] ?? "linear"), "a", "b") ? null : `activation "${String(cfg["activation"])}" has no ONNX translation here`);
  switch (cls) {
    case "Dense": {
      const bad = needAct(); if (bad) return bad;
      const k = weight(l, "kernel")!, b = weight(l, "bias");
      const mm = g.tmp("mm");
      g.node("MatMul", [x, g.float(g.tmp(`${l.name}_W`), values(k), k.shape)], [mm]);
      let pre = mm;
      if (b) { pre = g.tmp("biased"); g.node("Add", [mm, g.float(g.tmp(`${l.name}_B`), values(b), b.shape)], [pre]); }
      actOut(pre);
      return null;
    }
    case "Conv2D": case "Conv1D": {
      const bad = needAct(); if (bad) return bad;
      const k = weight(l, "kernel")!, b = weight(l, "bias");
      const pre = g.tmp("conv");
      conv(g, l, x, pre, { kernel: values(k), kshape: k.shape, bias: b ? values(b) : null });
      actOut(pre);
      return null;
    }
    case "DepthwiseConv2D": case "SeparableConv2D": {
      const bad = needAct(); if (bad) return bad;
      const dk = weight(l, "depthwise_kernel")!;
      const [kh, kw, cin, mult] = dk.shape as [number, number, number, number];
      // [kh, kw, in, mult] → [in·mult, 1, kh, kw], output channel c·mult + m.
      const w = permute(values(dk), dk.shape, [2, 3, 0, 1]);
      const onnxShape = [cin * mult, 1, kh, kw];
      const b = weight(l, "bias");
      const pre = g.tmp("dw");
      if (cls === "DepthwiseConv2D") {
        conv(g, l, x, pre, { kernel: w.data, kshape: onnxShape, bias: b ? values(b) : null, group: cin, onnxW: true });
      } else {
        const mid = g.tmp("dw_mid");
        conv(g, l, x, mid, { kernel: w.data, kshape: onnxShape, bias: null, group: cin, onnxW: true });
        const pk = weight(l, "pointwise_kernel")!;
        const pw = permute(values(pk), pk.shape, [3, 2, 0, 1]);
        const pwn = g.float(g.tmp(`${l.name}_PW`), pw.data, pw.shape);
        const inputs = [pwn, ...(b ? [g.float(g.tmp(`${l.name}_B`), values(b), b.shape)] : [])];
        channelsFirst(g, 4, mid, pre, (a, c) => g.node("Conv", [a, ...inputs], [c], { kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0] }));
      }
      actOut(pre);
      return null;
    }
    case "MaxPooling2D": case "AveragePooling2D": case "MaxPooling1D": case "AveragePooling1D": {
      const inShape = inputShapeOf(l).slice(1);
      const spatial = inShape.length - 1;
      const one = (v: unknown): number => Number(Array.isArray(v) ? v[0] : v);
      const ks = spatial === 1 ? [one(cfg["poolSize"])] : pair(cfg["poolSize"]);
      const st = spatial === 1 ? [one(cfg["strides"] ?? cfg["poolSize"])] : pair(cfg["strides"] ?? cfg["poolSize"]);
      const pads = cfg["padding"] === "same" ? samePads(inShape.slice(0, spatial), ks, st, ks.map(() => 1)) : new Array(2 * spatial).fill(0);
      const op = cls.startsWith("Max") ? "MaxPool" : "AveragePool";
      channelsFirst(g, spatial + 2, x, out, (a, b) => g.node(op, [a], [b], { kernel_shape: ks, strides: st, pads, ...(op === "AveragePool" ? { count_include_pad: 0 } : {}) }));
      return null;
    }
    case "GlobalAveragePooling2D": case "GlobalMaxPooling2D": case "GlobalAveragePooling1D": case "GlobalMaxPooling1D": {
      const rank = inputShapeOf(l).length;
      g.node(cls.includes("Average") ? "ReduceMean" : "ReduceMax", [x], [out], { axes: Array.from({ length: rank - 2 }, (_, i) => i + 1), keepdims: 0 });
      return null;
    }
    case "Flatten": g.node("Flatten", [x], [out], { axis: 1 }); return null;
    case "Reshape": g.node("Reshape", [x, g.int64(g.tmp("shape"), [0, ...(cfg["targetShape"] as number[])])], [out]); return null;
    case "Dropout": case "SpatialDropout1D": case "SpatialDropout2D": case "GaussianNoise": case "GaussianDropout": case "AlphaDropout":
      g.node("Identity", [x], [out]); return null;
    case "BatchNormalization": {
      const rank = inputShapeOf(l).length;
      const axis = Number(cfg["axis"] ?? -1);
      if (axis !== -1 && axis !== rank - 1) return `normalises axis ${axis}, not the channels (last) axis`;
      const mean = values(weight(l, "moving_mean")!), variance = values(weight(l, "moving_variance")!);
      const gamma = weight(l, "gamma"), beta = weight(l, "beta");
      const eps = Number(cfg["epsilon"] ?? 1e-3);
      const c = mean.length;
      const scale = new Float32Array(c), shift = new Float32Array(c);
      const gv = gamma ? values(gamma) : null, bv = beta ? values(beta) : null;
      for (let i = 0; i < c; i++) {
        scale[i] = (gv ? gv[i]! : 1) / Math.sqrt(variance[i]! + eps);
        shift[i] = (bv ? bv[i]! : 0) - mean[i]! * scale[i]!;
      }
      const m = g.tmp("bn_scaled");
      g.node("Mul", [x, g.float(g.tmp(`${l.name}_scale`), scale, [c])], [m]);
      g.node("Add", [m, g.float(g.tmp(`${l.name}_shift`), shift, [c])], [out]);
      return null;
    }
    case "Activation": return activation(g, String(cfg["activation"]), x, out) ? null : `activation "${String(cfg["activation"])}" has no ONNX translation here`;
    case "ReLU": {
      const max = cfg["maxValue"];
      if (max === null || max === undefined) g.node("Relu", [x], [out]);
      else g.node("Clip", [x, g.float(g.tmp("zero"), [0], []), g.float(g.tmp("max"), [Number(max)], [])], [out]);
      return null;
    }
    case "LeakyReLU": g.node("LeakyRelu", [x], [out], { alpha: { f: Number(cfg["alpha"] ?? 0.3) } }); return null;
    case "ELU": g.node("Elu", [x], [out], { alpha: { f: Number(cfg["alpha"] ?? 1) } }); return null;
    case "Softmax": g.node("Softmax", [x], [out], { axis: Number(cfg["axis"] ?? -1) }); return null;
    case "Add": case "Multiply": case "Maximum": case "Minimum": case "Average": {
      if (cls === "Average") {
        const s = g.tmp("sum");
        g.node("Sum", ins, [s]);
        g.node("Div", [s, g.float(g.tmp("n"), [ins.length], [])], [out]);
      } else g.node({ Add: "Sum", Multiply: "Mul", Maximum: "Max", Minimum: "Min" }[cls]!, ins.length > 2 && cls === "Multiply" ? ins.slice(0, 2) : ins, [out]);
      if (cls === "Multiply" && ins.length > 2) return "multiplies more than two tensors";
      return null;
    }
    case "Concatenate": g.node("Concat", ins, [out], { axis: Number(cfg["axis"] ?? -1) }); return null;
    case "Embedding": {
      const e = weight(l, "embeddings")!;
      const ids = g.tmp("ids");
      g.node("Cast", [x], [ids], { to: onnx.TensorProto.DataType.INT64 });
      g.node("Gather", [g.float(g.tmp(`${l.name}_E`), values(e), e.shape), ids], [out], { axis: 0 });
      return null;
    }
    case "ZeroPadding2D": {
      const p = cfg["padding"] as [[number, number], [number, number]];
      g.node("Pad", [x, g.int64(g.tmp("pads"), [0, p[0][0], p[1][0], 0, 0, p[0][1], p[1][1], 0])], [out], { mode: "constant" });
      return null;
    }
    default:
      return `layer class ${cls} has no ONNX translation in dlp`;
  }
}

/** `inputName`/`outputName`: the first of `inputNames`/`outputNames` (a model with one input and one output has only those). */
export interface OnnxExport { bytes: Uint8Array; inputName: string; outputName: string; inputNames: string[]; outputNames: string[]; nodes: number }

/** The model as an ONNX ModelProto (opset 13); throws naming every layer it cannot translate. */
export function exportOnnx(model: tf.LayersModel, opts: { producer?: string; name?: string } = {}): OnnxExport {
  const g = new Graph();
  const name = (l: Layer): string => `${l.name}:out`;
  const problems: string[] = [];
  for (const [i, l] of model.layers.entries()) {
    if (l.getClassName() === "InputLayer") continue;
    const nodes = (l as unknown as { inboundNodes: { inboundLayers: Layer[] }[] }).inboundNodes;
    if (nodes.length !== 1) { problems.push(`layer ${i} (${l.name}, ${l.getClassName()}): used ${nodes.length} times (shared layers are not exported)`); continue; }
    const ins = nodes[0]!.inboundLayers.map(name);
    const why = convertLayer(g, l, ins, name(l));
    if (why) problems.push(`layer ${i} (${l.name}, ${l.getClassName()}): ${why}`);
  }
  if (problems.length) throw new TrainingError(`cannot export to ONNX:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  // Several inputs and outputs (a functional model): one graph input per InputLayer, one output per head.
  const inLayers = model.inputLayers as Layer[];
  const outLayers = model.outputLayers as Layer[];
  const dims = (shape: (number | null)[]): OnnxTypes.onnx.TensorShapeProto.IDimension[] => shape.map((d, k) => (d === null ? { dimParam: k === 0 ? "batch" : `d${k}` } : { dimValue: d }));
  const valueInfo = (n: string, shape: (number | null)[]): OnnxTypes.onnx.IValueInfoProto => ({ name: n, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims(shape) } } } });
  const inputNames = inLayers.map(name), outputNames = outLayers.map(name);
  const m: OnnxTypes.onnx.IModelProto = {
    irVersion: 7,
    producerName: opts.producer ?? "dlp",
    opsetImport: [{ domain: "", version: OPSET }],
    graph: { name: opts.name ?? model.name, node: g.nodes, initializer: g.inits, input: inputNames.map((n, k) => valueInfo(n, model.inputs[k]!.shape)), output: outputNames.map((n, k) => valueInfo(n, model.outputs[k]!.shape)) },
  };
  return { bytes: onnx.ModelProto.encode(onnx.ModelProto.create(m)).finish(), inputName: inputNames[0]!, outputName: outputNames[0]!, inputNames, outputNames, nodes: g.nodes.length };
}
