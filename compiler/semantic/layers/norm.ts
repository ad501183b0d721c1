// Normalisation layers. `axis` counts the batch axis as Keras does: -1 is the last axis.
import type { Args, ShapeFailure, TensorShape } from "./types.ts";
import { ConfigBuilder, S, bool, defineLayer, fail, fmtShape, num, unknownDim } from "./util.ts";

/** Index into the per-sample shape of a Keras-style axis, or a failure. */
export function sampleAxis(layer: string, x: TensorShape, axis: number): number | ShapeFailure {
  const full = x.length + 1;
  const a = axis < 0 ? full + axis : axis;
  if (a < 1 || a >= full) {
    return fail("DLP3008", `${layer} axis ${axis} is outside a ${x.length}-D input`, `receives ${fmtShape(x)}`, {
      arg: "axis",
      help: a === 0 ? "axis 0 is the batch axis; use -1 for the last (channel) axis" : `use an axis between 1 and ${x.length}, or -1 for the last`,
    });
  }
  return a - 1;
}

function featureCount(layer: string, inputs: TensorShape[], args: Args): number | ShapeFailure {
  const x = inputs[0]!;
  const i = sampleAxis(layer, x, num(args, "axis", -1));
  if (typeof i !== "number") return i;
  const c = x[i]!;
  if (c === null) return unknownDim(layer, x, `size along axis ${num(args, "axis", -1)}`, "normalise over an axis of fixed size");
  return c;
}

const common = {
  axis: { schema: { type: "integer", default: -1 }, type: "int", doc: "the axis normalised, counting the batch axis as 0 (default -1, the last)" },
  epsilon: { schema: S.positive(0.001), type: "number > 0", doc: "added to the variance to avoid dividing by zero (default 0.001)" },
  center: { schema: S.bool(true), type: "bool", doc: "learn an offset beta (default true)" },
  scale: { schema: S.bool(true), type: "bool", doc: "learn a factor gamma (default true)" },
};

export const batchNorm = defineLayer({
  name: "batch_norm",
  kerasClass: "BatchNormalization",
  doc: "normalises each channel with the batch statistics while training, moving averages after",
  positional: ["axis"],
  args: {
    axis: common.axis,
    momentum: { schema: { type: "number", minimum: 0, maximum: 1, default: 0.99 }, type: "number in [0, 1]", doc: "momentum of the moving mean and variance (default 0.99)" },
    epsilon: common.epsilon,
    center: common.center,
    scale: common.scale,
  },
  shape(inputs, args) {
    const c = featureCount("batch_norm", inputs, args);
    return typeof c === "number" ? inputs[0]! : c;
  },
  params(inputs, args) {
    const c = featureCount("batch_norm", inputs, args);
    if (typeof c !== "number") return { trainable: 0, nonTrainable: 0 };
    const learned = (bool(args, "center", true) ? 1 : 0) + (bool(args, "scale", true) ? 1 : 0);
    return { trainable: learned * c, nonTrainable: 2 * c };
  },
  tfjs(args) {
    const b = new ConfigBuilder(args).plain("axis", "axis").plain("momentum", "momentum").plain("epsilon", "epsilon").plain("center", "center").plain("scale", "scale");
    return { factory: "batchNormalization", config: b.entries };
  },
});

export const layerNorm = defineLayer({
  name: "layer_norm",
  kerasClass: "LayerNormalization",
  doc: "normalises each sample over its last axis (no batch statistics)",
  positional: ["axis"],
  args: { axis: common.axis, epsilon: common.epsilon, center: common.center, scale: common.scale },
  shape(inputs, args) {
    const c = featureCount("layer_norm", inputs, args);
    return typeof c === "number" ? inputs[0]! : c;
  },
  params(inputs, args) {
    const c = featureCount("layer_norm", inputs, args);
    if (typeof c !== "number") return { trainable: 0, nonTrainable: 0 };
    const learned = (bool(args, "center", true) ? 1 : 0) + (bool(args, "scale", true) ? 1 : 0);
    return { trainable: learned * c, nonTrainable: 0 };
  },
  tfjs(args) {
    const b = new ConfigBuilder(args).plain("axis", "axis").plain("epsilon", "epsilon").plain("center", "center").plain("scale", "scale");
    return { factory: "layerNormalization", config: b.entries };
  },
});
