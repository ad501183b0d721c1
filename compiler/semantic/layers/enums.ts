// Enum tables the checker, the emitter and the docs share: dlp spelling → tfjs spelling.
import type { ArgCode } from "./types.ts";

export interface ActivationDef {
  /** dlp spelling, written in .dlp (`activation: leaky_relu`). */
  name: string;
  /** tfjs `ActivationIdentifier`, or null where tfjs has no string for it (only a layer). */
  tfjs: string | null;
  doc: string;
}

export const ACTIVATIONS: ReadonlyMap<string, ActivationDef> = new Map(
  (
    [
      ["linear", "linear", "identity: f(x) = x"],
      ["relu", "relu", "max(x, 0)"],
      ["relu6", "relu6", "min(max(x, 0), 6)"],
      ["leaky_relu", null, "x for x > 0, αx otherwise; tfjs offers it only as the leaky_relu() layer"],
      ["elu", "elu", "x for x > 0, exp(x) − 1 otherwise"],
      ["selu", "selu", "scaled elu (self-normalising)"],
      ["sigmoid", "sigmoid", "1 / (1 + exp(−x))"],
      ["hard_sigmoid", "hardSigmoid", "piecewise-linear approximation of sigmoid"],
      ["tanh", "tanh", "hyperbolic tangent"],
      ["softmax", "softmax", "exp(x) / Σ exp(x) over the last axis"],
      ["softplus", "softplus", "log(1 + exp(x))"],
      ["softsign", "softsign", "x / (1 + |x|)"],
      ["swish", "swish", "x · sigmoid(x)"],
      ["mish", "mish", "x · tanh(softplus(x))"],
      ["gelu", "gelu", "Gaussian error linear unit"],
    ] as const
  ).map(([name, tfjs, doc]) => [name, { name, tfjs, doc }]),
);

/** Activation names valid in an `activation:` argument. */
export const ACTIVATION_NAMES: string[] = [...ACTIVATIONS.keys()];

export interface InitializerDef {
  name: string;
  tfjs: string;
  doc: string;
}

export const INITIALIZERS: ReadonlyMap<string, InitializerDef> = new Map(
  (
    [
      ["zeros", "zeros", "all zeros"],
      ["ones", "ones", "all ones"],
      ["random_uniform", "randomUniform", "uniform in [−0.05, 0.05]"],
      ["random_normal", "randomNormal", "normal, mean 0, stddev 0.05"],
      ["truncated_normal", "truncatedNormal", "normal truncated at two standard deviations"],
      ["he_normal", "heNormal", "He (Kaiming) normal: stddev √(2 / fan_in), for relu"],
      ["he_uniform", "heUniform", "He (Kaiming) uniform, for relu"],
      ["glorot_normal", "glorotNormal", "Glorot (Xavier) normal"],
      ["xavier", "glorotNormal", "alias of glorot_normal"],
      ["xavier_normal", "glorotNormal", "alias of glorot_normal"],
      ["glorot_uniform", "glorotUniform", "Glorot (Xavier) uniform, the Keras default"],
      ["xavier_uniform", "glorotUniform", "alias of glorot_uniform"],
      ["lecun_normal", "leCunNormal", "LeCun normal: stddev √(1 / fan_in), for selu"],
      ["lecun_uniform", "leCunUniform", "LeCun uniform"],
      ["orthogonal", "orthogonal", "random orthogonal matrix"],
    ] as const
  ).map(([name, tfjs, doc]) => [name, { name, tfjs, doc }]),
);

export const INITIALIZER_NAMES: string[] = [...INITIALIZERS.keys()];

export const PADDINGS = ["valid", "same"] as const;

/** Code for an enum argument: a literal becomes its tfjs string (JSON-quoted, so no user
 *  text reaches the output unescaped); any other expression (a tuned `p.act`) is looked up
 *  at run time in an inline table, cast so that the result keeps tfjs's literal type. */
export function enumCode(arg: ArgCode, table: ReadonlyMap<string, string>): string {
  if (typeof arg.literal === "string") {
    const mapped = table.get(arg.literal);
    if (mapped === undefined) throw new Error(`no tfjs spelling for ${JSON.stringify(arg.literal)}`);
    return JSON.stringify(mapped);
  }
  const keys = [...table.keys()];
  const identity = keys.every((k) => table.get(k) === k);
  const union = keys.map((k) => JSON.stringify(k)).join(" | ");
  if (identity) return `(${arg.code}) as ${union}`;
  const entries = keys.map((k) => `${safeKey(k)}: ${JSON.stringify(table.get(k))}`).join(", ");
  return `({ ${entries} } as const)[(${arg.code}) as ${union}]`;
}

function safeKey(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k);
}

export const ACTIVATION_TFJS: ReadonlyMap<string, string> = new Map(
  [...ACTIVATIONS.values()].flatMap((a) => (a.tfjs === null ? [] : [[a.name, a.tfjs] as [string, string]])),
);
export const INITIALIZER_TFJS: ReadonlyMap<string, string> = new Map(
  [...INITIALIZERS.values()].map((i) => [i.name, i.tfjs] as [string, string]),
);

export function identityTable(values: readonly string[]): ReadonlyMap<string, string> {
  return new Map(values.map((v) => [v, v]));
}

/** Code for the `l1` / `l2` arguments, or undefined when neither is given:
 *  l1 → tf.regularizers.l1({ l1 }), l2 → tf.regularizers.l2({ l2 }), both → l1l2. */
export function regularizerCode(l1?: ArgCode, l2?: ArgCode): string | undefined {
  if (l1 && l2) return `tf.regularizers.l1l2({ l1: ${l1.code}, l2: ${l2.code} })`;
  if (l1) return `tf.regularizers.l1({ l1: ${l1.code} })`;
  if (l2) return `tf.regularizers.l2({ l2: ${l2.code} })`;
  return undefined;
}
