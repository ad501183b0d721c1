// Convolutions, channels-last as in Keras and tfjs: conv1d over (steps, channels), the 2-D
// family over (height, width, channels).
// The window arithmetic (kernel, strides, dilation, padding → output size) is shared by all of
// them: convOutput in util.ts.
import type { Args, Dim, LayerDef, ParamCount, ShapeFailure, TensorShape } from "./types.ts";
import { A, ConfigBuilder, S, bool, convOutput, defineLayer, kernelArea, num, rankFailure, unknownDim, type ArgSpec, type DilationRule } from "./util.ts";

const kernelArg = (n: number): ArgSpec => ({
  schema: n === 1 ? S.int(1) : S.intOrTuple(1, n),
  type: n === 1 ? "int ≥ 1" : "int ≥ 1 | [int, int]",
  doc: n === 1 ? "length of the convolution window" : "height and width of the convolution window (one int for a square)",
});
const stridesArg = (n: number): ArgSpec => ({
  schema: n === 1 ? S.int(1, 1) : S.intOrTuple(1, n, 1),
  type: n === 1 ? "int ≥ 1" : "int ≥ 1 | [int, int]",
  doc: "step of the window (default 1)",
});
const dilationArg = (n: number): ArgSpec => ({
  schema: n === 1 ? S.int(1, 1) : S.intOrTuple(1, n, 1),
  type: n === 1 ? "int ≥ 1" : "int ≥ 1 | [int, int]",
  doc: "dilation rate of the kernel (default 1); cannot exceed 1 together with strides",
});
const filtersArg: ArgSpec = { schema: S.int(1), type: "int ≥ 1", doc: "number of output channels" };
const depthArg: ArgSpec = { schema: S.int(1, 1), type: "int ≥ 1", doc: "output channels per input channel in the depthwise step (default 1)" };

/** How to make an image map of a flat or 2-D input, in its own sizes (784 → reshape([28, 28, 1])). */
function imageReshapeHelp(x: TensorShape): string {
  if (x.length === 2 && x[0] !== null && x[1] !== null) return `reshape the input to [height, width, channels]: \`reshape([${x[0]}, ${x[1]}, 1])\``;
  const n = x.length === 1 ? x[0] : null;
  if (n !== null && n !== undefined) {
    for (const c of [1, 3]) {
      const side = Math.round(Math.sqrt(n / c));
      if (side > 1 && side * side * c === n) return `reshape the input to [height, width, channels]: \`reshape([${side}, ${side}, ${c}])\` (${n} = ${side}×${side}×${c})`;
    }
    return `reshape the input to [height, width, channels] whose product is ${n}, e.g. \`reshape([${n}, 1, 1])\` is one column`;
  }
  return "reshape the input to [height, width, channels]";
}

function inputFor(layer: string, n: number, inputs: TensorShape[]): TensorShape | ShapeFailure {
  const x = inputs[0]!;
  if (x.length !== n + 1) {
    const expected = n === 1 ? "a 2-D input (steps × channels)" : "a 3-D input (height × width × channels)";
    const help =
      n === 1
        ? x.length === 1
          ? "add embedding() or reshape([steps, 1]) before this layer"
          : "use conv2d for images, or reshape to [steps, channels]"
        : x.length < 3
          ? imageReshapeHelp(x)
          : "remove the extra axis with reshape() first";
    return rankFailure(layer, x, expected, help);
  }
  if (x[n] === null) return unknownDim(layer, x, "channel count (last axis)", "give the input a fixed number of channels");
  return x;
}

/** Checks the input's rank and channels, then computes the spatial output (or a failure). */
function spatial(layer: string, n: 1 | 2, inputs: TensorShape[], args: Args, dilation: DilationRule, transposed = false): { x: TensorShape; out: Dim[] } | ShapeFailure {
  const x = inputFor(layer, n, inputs);
  if (!Array.isArray(x)) return x;
  const out = convOutput(layer, x, args, { n, dilation, transposed });
  return Array.isArray(out) ? { x, out } : out;
}

interface ConvOpts {
  name: string;
  kerasClass: string;
  factory: string;
  n: 1 | 2;
  doc: string;
}

function conv(o: ConvOpts): LayerDef {
  return defineLayer({
    name: o.name,
    kerasClass: o.kerasClass,
    doc: o.doc,
    positional: ["filters", "kernel", "strides", "padding", "activation"],
    required: ["filters", "kernel"],
    schemaExtra: { not: { required: ["init", "kernel_init"] } },
    args: {
      filters: filtersArg,
      kernel: kernelArg(o.n),
      strides: stridesArg(o.n),
      padding: A.padding(),
      activation: A.activation(),
      dilation: dilationArg(o.n),
      use_bias: A.useBias(),
      init: A.init(),
      kernel_init: A.kernelInit(),
      bias_init: A.biasInit(),
      l1: A.l1(),
      l2: A.l2(),
    },
    shape(inputs, args) {
      const r = spatial(o.name, o.n, inputs, args, "exclusive");
      return "failure" in r ? r : [...r.out, num(args, "filters", 1)];
    },
    params(inputs, args) {
      const c = inputs[0]![o.n] ?? 0;
      const f = num(args, "filters", 1);
      return { trainable: kernelArea(args, o.n) * c * f + (bool(args, "use_bias", true) ? f : 0), nonTrainable: 0 };
    },
    tfjs(args) {
      const b = new ConfigBuilder(args)
        .plain("filters", "filters")
        .window()
        .plain("dilation", "dilationRate")
        .activation()
        .plain("use_bias", "useBias")
        .init(["kernelInitializer"])
        .enumInit("bias_init", "biasInitializer")
        .regularizer(["kernelRegularizer"]);
      return { factory: o.factory, config: b.entries };
    },
  });
}

export const conv1d = conv({ name: "conv1d", kerasClass: "Conv1D", factory: "conv1d", n: 1, doc: "1-D convolution over a sequence (steps × channels)" });
export const conv2d = conv({ name: "conv2d", kerasClass: "Conv2D", factory: "conv2d", n: 2, doc: "2-D convolution over an image (height × width × channels)" });

export const depthwiseConv2d = defineLayer({
  name: "depthwise_conv2d",
  kerasClass: "DepthwiseConv2D",
  doc: "depthwise 2-D convolution: one filter per input channel (times depth_multiplier)",
  positional: ["kernel", "strides", "padding", "depth_multiplier", "activation"],
  required: ["kernel"],
  schemaExtra: { not: { required: ["init", "kernel_init"] } },
  args: {
    kernel: kernelArg(2),
    strides: stridesArg(2),
    padding: A.padding(),
    depth_multiplier: depthArg,
    activation: A.activation(),
    dilation: { ...dilationArg(2), doc: "dilation rate; tfjs supports only 1 here (default 1)" },
    use_bias: A.useBias(),
    init: A.init("depthwise kernel"),
    kernel_init: A.kernelInit(),
    bias_init: A.biasInit(),
    l1: A.l1("depthwise kernel"),
    l2: A.l2("depthwise kernel"),
  },
  shape(inputs, args) {
    const r = spatial("depthwise_conv2d", 2, inputs, args, "unsupported");
    return "failure" in r ? r : [...r.out, r.x[2]! * num(args, "depth_multiplier", 1)];
  },
  params(inputs, args): ParamCount {
    const c = inputs[0]![2] ?? 0;
    const m = num(args, "depth_multiplier", 1);
    return { trainable: kernelArea(args, 2) * c * m + (bool(args, "use_bias", true) ? c * m : 0), nonTrainable: 0 };
  },
  tfjs(args) {
    const b = new ConfigBuilder(args)
      .window()
      .plain("depth_multiplier", "depthMultiplier")
      .plain("dilation", "dilationRate")
      .activation()
      .plain("use_bias", "useBias")
      .init(["depthwiseInitializer"])
      .enumInit("bias_init", "biasInitializer")
      .regularizer(["depthwiseRegularizer"]);
    return { factory: "depthwiseConv2d", config: b.entries };
  },
});

export const separableConv2d = defineLayer({
  name: "separable_conv2d",
  kerasClass: "SeparableConv2D",
  doc: "depthwise convolution followed by a 1×1 pointwise convolution to `filters` channels",
  positional: ["filters", "kernel", "strides", "padding", "activation"],
  required: ["filters", "kernel"],
  schemaExtra: { not: { required: ["init", "kernel_init"] } },
  args: {
    filters: filtersArg,
    kernel: kernelArg(2),
    strides: stridesArg(2),
    padding: A.padding(),
    depth_multiplier: depthArg,
    activation: A.activation(),
    dilation: dilationArg(2),
    use_bias: A.useBias(),
    init: A.init("depthwise and pointwise kernel"),
    kernel_init: A.kernelInit(),
    bias_init: A.biasInit(),
    l1: A.l1("depthwise and pointwise kernel"),
    l2: A.l2("depthwise and pointwise kernel"),
  },
  shape(inputs, args) {
    const r = spatial("separable_conv2d", 2, inputs, args, "exclusive");
    return "failure" in r ? r : [...r.out, num(args, "filters", 1)];
  },
  params(inputs, args) {
    const c = inputs[0]![2] ?? 0;
    const m = num(args, "depth_multiplier", 1);
    const f = num(args, "filters", 1);
    return { trainable: kernelArea(args, 2) * c * m + c * m * f + (bool(args, "use_bias", true) ? f : 0), nonTrainable: 0 };
  },
  tfjs(args) {
    const b = new ConfigBuilder(args)
      .plain("filters", "filters")
      .window()
      .plain("depth_multiplier", "depthMultiplier")
      .plain("dilation", "dilationRate")
      .activation()
      .plain("use_bias", "useBias")
      .init(["depthwiseInitializer", "pointwiseInitializer"], ["init", "kernel_init"], undefined)
      .enumInit("bias_init", "biasInitializer")
      .regularizer(["depthwiseRegularizer", "pointwiseRegularizer"]);
    return { factory: "separableConv2d", config: b.entries };
  },
});

export const conv2dTranspose = defineLayer({
  name: "conv2d_transpose",
  kerasClass: "Conv2DTranspose",
  doc: "transposed 2-D convolution (upsampling by strides)",
  positional: ["filters", "kernel", "strides", "padding", "activation"],
  required: ["filters", "kernel"],
  schemaExtra: { not: { required: ["init", "kernel_init"] } },
  args: {
    filters: filtersArg,
    kernel: kernelArg(2),
    strides: stridesArg(2),
    padding: A.padding(),
    activation: A.activation(),
    use_bias: A.useBias(),
    init: A.init(),
    kernel_init: A.kernelInit(),
    bias_init: A.biasInit(),
    l1: A.l1(),
    l2: A.l2(),
  },
  shape(inputs, args) {
    const r = spatial("conv2d_transpose", 2, inputs, args, "none", true);
    return "failure" in r ? r : [...r.out, num(args, "filters", 1)];
  },
  params(inputs, args) {
    const c = inputs[0]![2] ?? 0;
    const f = num(args, "filters", 1);
    return { trainable: kernelArea(args, 2) * c * f + (bool(args, "use_bias", true) ? f : 0), nonTrainable: 0 };
  },
  tfjs(args) {
    const b = new ConfigBuilder(args)
      .plain("filters", "filters")
      .window()
      .activation()
      .plain("use_bias", "useBias")
      .init(["kernelInitializer"])
      .enumInit("bias_init", "biasInitializer")
      .regularizer(["kernelRegularizer"]);
    return { factory: "conv2dTranspose", config: b.entries };
  },
});

