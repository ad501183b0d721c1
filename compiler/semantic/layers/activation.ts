// Activation layers: relu(), leaky_relu(alpha: 0.1), softmax(), and `activation(fn)`.
import type { LayerDef } from "./types.ts";
import { ACTIVATION_NAMES, ACTIVATIONS } from "./enums.ts";
import { sampleAxis } from "./norm.ts";
import { A, ConfigBuilder, S, defineLayer, fail, num } from "./util.ts";

export const activation = defineLayer({
  name: "activation",
  kerasClass: "Activation",
  doc: "applies an activation function element-wise",
  positional: ["activation"],
  required: ["activation"],
  args: { activation: { ...A.activation(), schema: S.enumOf(ACTIVATION_NAMES), doc: "the function applied" } },
  shape: (inputs) => inputs[0]!,
  tfjs(args) {
    return { factory: "activation", config: new ConfigBuilder(args).activation().entries };
  },
});

export const relu = defineLayer({
  name: "relu",
  kerasClass: "ReLU",
  doc: "rectified linear unit max(x, 0), optionally capped at max_value",
  positional: ["max_value"],
  args: { max_value: { schema: S.nonNegative(), type: "number ≥ 0", doc: "upper bound of the output (default none)" } },
  shape: (inputs) => inputs[0]!,
  tfjs(args) {
    return { factory: "reLU", config: new ConfigBuilder(args).plain("max_value", "maxValue").entries };
  },
});

export const leakyRelu = defineLayer({
  name: "leaky_relu",
  kerasClass: "LeakyReLU",
  doc: "x for x > 0, alpha·x otherwise",
  positional: ["alpha"],
  args: { alpha: { schema: S.nonNegative(0.3), type: "number ≥ 0", doc: "slope for negative inputs (default 0.3)" } },
  shape: (inputs) => inputs[0]!,
  tfjs(args) {
    return { factory: "leakyReLU", config: new ConfigBuilder(args).plain("alpha", "alpha").entries };
  },
});

export const elu = defineLayer({
  name: "elu",
  kerasClass: "ELU",
  doc: "x for x > 0, alpha·(exp(x) − 1) otherwise",
  positional: ["alpha"],
  args: { alpha: { schema: S.nonNegative(1), type: "number ≥ 0", doc: "scale for negative inputs; tfjs supports only 1 (default 1)" } },
  shape(inputs, args) {
    const alpha = num(args, "alpha", 1);
    if (alpha !== 1) {
      return fail("DLP3013", "tfjs's elu supports only alpha 1", `alpha: ${alpha}`, {
        arg: "alpha",
        help: "remove alpha, or use leaky_relu(alpha) or selu() instead",
      });
    }
    return inputs[0]!;
  },
  tfjs(args) {
    return { factory: "elu", config: new ConfigBuilder(args).plain("alpha", "alpha").entries };
  },
});

export const softmax = defineLayer({
  name: "softmax",
  kerasClass: "Softmax",
  doc: "exp(x) / Σ exp(x) along an axis (default the last)",
  positional: ["axis"],
  args: { axis: { schema: { type: "integer", default: -1 }, type: "int", doc: "the axis normalised, counting the batch axis as 0 (default -1)" } },
  shape(inputs, args) {
    const i = sampleAxis("softmax", inputs[0]!, num(args, "axis", -1));
    return typeof i === "number" ? inputs[0]! : i;
  },
  tfjs(args) {
    return { factory: "softmax", config: new ConfigBuilder(args).plain("axis", "axis").entries };
  },
});

/** sigmoid(), tanh(), … : `tf.layers.activation({ activation })` under the function's name. */
function plain(name: string): LayerDef {
  const a = ACTIVATIONS.get(name)!;
  return defineLayer({
    name,
    kerasClass: "Activation",
    doc: `activation layer: ${a.doc}`,
    shape: (inputs) => inputs[0]!,
    tfjs() {
      return { factory: "activation", config: [["activation", JSON.stringify(a.tfjs)]] };
    },
  });
}

export const ACTIVATION_LAYERS: LayerDef[] = [
  activation,
  relu,
  leakyRelu,
  elu,
  softmax,
  ...["sigmoid", "tanh", "softplus", "softsign", "selu", "linear", "relu6", "hard_sigmoid", "swish", "mish", "gelu"].map(plain),
];
