// Keras / tfjs layer configs → dlp layer arguments, by inverting the layer table's tfjs
// mapping (compiler/semantic/layers): each layer's `tfjs()` is probed with marker arguments
// to learn which dlp argument becomes which tfjs config key, and with every enum value to
// learn each spelling. tfjs and Keras write the same snake_case keys (tfjs converts its
// camelCase config when it serialises), so there is no second table of layers here: only
// the keys every Keras layer carries whose default values dlp never needs (`name`,
// `trainable`, `data_format: channels_last`, null constraints and regularizers, …).
import { LAYER_DEFS, type ArgCode, type ArgValue, type LayerDef } from "../semantic/layers/index.ts";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

type Kind =
  | { kind: "plain" }
  | { kind: "enum"; values: Map<string, string> } // tfjs/Keras spelling → dlp value
  | { kind: "initializer"; values: Map<string, string> } // tfjs identifier → dlp value
  | { kind: "regularizer"; which: "l1" | "l2" };

export interface KeyMap {
  /** dlp argument(s) this config key fills. */
  arg: string;
  kind: Kind;
  /** The tfjs value dlp writes when the argument is absent (e.g. "glorotUniform"). */
  emittedDefault?: string;
}

export interface LayerMapping {
  def: LayerDef;
  /** snake_case config key → how it maps. Regularizer keys map to two args (l1, l2). */
  keys: Map<string, KeyMap[]>;
}

export function snakeKey(k: string): string {
  return k.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

const MARK = (a: string) => `__dlp_arg_${a}__`;

function schemaProps(def: LayerDef): Record<string, Record<string, unknown>> {
  return (def.schema["properties"] ?? {}) as Record<string, Record<string, unknown>>;
}

/** A literal value that satisfies an argument's schema, for probing required args. */
function sample(schema: Record<string, unknown>): ArgValue {
  if (schema["default"] !== undefined) return schema["default"] as ArgValue;
  if (Array.isArray(schema["enum"])) return (schema["enum"] as string[])[0]!;
  if (schema["type"] === "array") return [1];
  if (schema["type"] === "boolean") return false;
  return 1;
}

function probe(def: LayerDef): LayerMapping {
  const props = schemaProps(def);
  const keys = new Map<string, KeyMap[]>();
  const add = (key: string, m: KeyMap) => {
    const list = keys.get(key) ?? [];
    if (!list.some((x) => x.arg === m.arg)) list.push(m);
    keys.set(key, list);
  };
  const required = ((def.schema["required"] ?? []) as string[]).filter((r) => props[r]);
  const base: Record<string, ArgCode> = {};
  for (const r of required) {
    const v = sample(props[r]!);
    base[r] = { code: JSON.stringify(v), literal: v };
  }
  let defaults: [string, string][] = [];
  try {
    defaults = def.tfjs(base).config;
  } catch {
    defaults = [];
  }
  for (const [arg, schema] of Object.entries(props)) {
    if (arg === "layer") continue; // nested layers (bidirectional) are not imported
    const enumValues = Array.isArray(schema["enum"]) ? (schema["enum"] as string[]) : undefined;
    let entries: [string, string][];
    try {
      entries = def.tfjs({ ...base, [arg]: { code: MARK(arg) } }).config;
    } catch {
      continue;
    }
    for (const [tfKey, code] of entries) {
      if (!code.includes(MARK(arg))) continue;
      const key = snakeKey(tfKey);
      const emittedDefault = defaults.find(([k]) => k === tfKey)?.[1];
      const dflt = emittedDefault && /^"[^"]*"$/.test(emittedDefault) ? (JSON.parse(emittedDefault) as string) : undefined;
      if (code.startsWith("tf.regularizers")) {
        add(key, { arg, kind: { kind: "regularizer", which: arg === "l1" ? "l1" : "l2" } });
      } else if (enumValues) {
        const values = new Map<string, string>();
        for (const v of enumValues) {
          try {
            const c = def.tfjs({ ...base, [arg]: { code: JSON.stringify(v), literal: v } }).config.find(([k]) => k === tfKey)?.[1];
            if (c && /^"[^"]*"$/.test(c)) {
              const tf = JSON.parse(c) as string;
              if (!values.has(tf)) values.set(tf, v);
            }
          } catch {
            // a value the layer rejects
          }
        }
        const isInit = /initializer$/.test(key);
        add(key, { arg, kind: isInit ? { kind: "initializer", values } : { kind: "enum", values }, emittedDefault: dflt });
      } else if (code === MARK(arg)) {
        add(key, { arg, kind: { kind: "plain" } });
      }
    }
  }
  return { def, keys };
}

let byClass: Map<string, LayerMapping[]> | undefined;

/** Layer mappings by Keras class name (several dlp layers share "Activation"). */
export function mappingsFor(className: string): LayerMapping[] {
  if (!byClass) {
    byClass = new Map();
    for (const def of LAYER_DEFS) {
      const list = byClass.get(def.kerasClass) ?? [];
      list.push(probe(def));
      byClass.set(def.kerasClass, list);
    }
  }
  return byClass.get(CLASS_ALIASES[className] ?? className) ?? [];
}

/** Class names Keras and tfjs also write for the same layers. */
const CLASS_ALIASES: Record<string, string> = {
  MaxPool2D: "MaxPooling2D",
  AvgPool2D: "AveragePooling2D",
  MaxPool1D: "MaxPooling1D",
  AvgPool1D: "AveragePooling1D",
  GlobalAvgPool2D: "GlobalAveragePooling2D",
  GlobalMaxPool2D: "GlobalMaxPooling2D",
  GlobalAvgPool1D: "GlobalAveragePooling1D",
  GlobalMaxPool1D: "GlobalMaxPooling1D",
  Convolution2D: "Conv2D",
  Convolution1D: "Conv1D",
  SeparableConvolution2D: "SeparableConv2D",
  Conv2DTranspose: "Conv2DTranspose",
  Deconvolution2D: "Conv2DTranspose",
};

export const KNOWN_CLASSES = (): string[] => [...new Set(LAYER_DEFS.map((d) => d.kerasClass))].sort();

/** Keys whose value is ignorable when it is the one listed (any value for `null` entries
 *  marked "any"): the defaults of features dlp does not have. */
const IGNORABLE: Record<string, (v: Json) => boolean> = {
  name: () => true,
  trainable: (v) => v === true,
  dtype: () => true,
  batch_input_shape: () => true,
  batch_shape: () => true,
  batch_size: (v) => v === null,
  input_shape: () => true,
  input_dim: () => true, // Dense(…, input_dim=n): the input comes from the data section
  data_format: (v) => v === "channels_last" || v === null,
  activity_regularizer: (v) => v === null,
  bias_regularizer: (v) => v === null,
  kernel_regularizer: (v) => v === null,
  depthwise_regularizer: (v) => v === null,
  pointwise_regularizer: (v) => v === null,
  recurrent_regularizer: (v) => v === null,
  embeddings_regularizer: (v) => v === null,
  beta_regularizer: (v) => v === null,
  gamma_regularizer: (v) => v === null,
  kernel_constraint: (v) => v === null,
  bias_constraint: (v) => v === null,
  depthwise_constraint: (v) => v === null,
  pointwise_constraint: (v) => v === null,
  recurrent_constraint: (v) => v === null,
  embeddings_constraint: (v) => v === null,
  beta_constraint: (v) => v === null,
  gamma_constraint: (v) => v === null,
  beta_initializer: (v) => initializerId(v) === "zeros",
  gamma_initializer: (v) => initializerId(v) === "ones",
  moving_mean_initializer: (v) => initializerId(v) === "zeros",
  moving_variance_initializer: (v) => initializerId(v) === "ones",
  groups: (v) => v === 1,
  noise_shape: (v) => v === null,
  seed: (v) => v === null,
  keepdims: (v) => v === false,
  renorm: (v) => v === false,
  renorm_clipping: (v) => v === null,
  renorm_momentum: () => true,
  fused: () => true,
  virtual_batch_size: (v) => v === null,
  adjustment: (v) => v === null,
  synchronized: (v) => v === false,
  negative_slope: (v) => v === 0,
  threshold: (v) => v === 0,
  max_value: (v) => v === null,
  return_state: (v) => v === false,
  stateful: (v) => v === false,
  unroll: (v) => v === false,
  time_major: (v) => v === false,
  implementation: () => true,
  reset_after: (v) => v === false,
  sparse: (v) => v === false,
  ragged: (v) => v === false,
  lora_rank: (v) => v === null,
  strides: (v) => v === null, // pooling: strides default to the pool size
  output_padding: (v) => v === null,
  bias_initializer: (v) => initializerId(v) === "zeros",
  embeddings_initializer: (v) => initializerId(v) === "randomUniform",
  recurrent_initializer: (v) => initializerId(v) === "orthogonal",
  depthwise_initializer: (v) => initializerId(v) === "glorotUniform",
  pointwise_initializer: (v) => initializerId(v) === "glorotUniform",
  kernel_initializer: (v) => initializerId(v) === "glorotUniform",
  mask_zero: (v) => v === false,
  input_length: (v) => v === null,
  dilation_rate: (v) => v === 1 || (Array.isArray(v) && v.every((x) => x === 1)),
  interpolation: (v) => v === "nearest",
};

export function ignorable(key: string, v: Json): boolean {
  const f = IGNORABLE[key];
  return f ? f(v) : false;
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** A serialised initializer as its tfjs identifier, or undefined when dlp has no name for it
 *  (e.g. RandomNormal with a non-default stddev). */
export function initializerId(v: Json): string | undefined {
  if (typeof v === "string") return lowerFirst(v.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()));
  if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
  const cls = v["class_name"];
  const cfg = (v["config"] && typeof v["config"] === "object" && !Array.isArray(v["config"]) ? v["config"] : {}) as JsonObject;
  if (typeof cls !== "string") return undefined;
  if (cfg["seed"] !== undefined && cfg["seed"] !== null) return undefined;
  const eq = (k: string, x: number) => cfg[k] === undefined || cfg[k] === x;
  switch (cls) {
    case "VarianceScaling": {
      const scale = cfg["scale"];
      const mode = cfg["mode"];
      const dist = cfg["distribution"];
      const normal = dist === "normal" || dist === "truncated_normal";
      if (scale === 1 && mode === "fan_avg") return dist === "uniform" ? "glorotUniform" : normal ? "glorotNormal" : undefined;
      if (scale === 2 && mode === "fan_in") return dist === "uniform" ? "heUniform" : normal ? "heNormal" : undefined;
      if (scale === 1 && mode === "fan_in") return dist === "uniform" ? "leCunUniform" : normal ? "leCunNormal" : undefined;
      return undefined;
    }
    case "RandomUniform":
      return eq("minval", -0.05) && eq("maxval", 0.05) ? "randomUniform" : undefined;
    case "RandomNormal":
    case "TruncatedNormal":
      return eq("mean", 0) && eq("stddev", 0.05) ? lowerFirst(cls) : undefined;
    case "Orthogonal":
      return eq("gain", 1) ? "orthogonal" : undefined;
    case "Constant":
      return cfg["value"] === 0 ? "zeros" : cfg["value"] === 1 ? "ones" : undefined;
    case "LecunNormal":
      return "leCunNormal";
    case "LecunUniform":
      return "leCunUniform";
    default:
      return lowerFirst(cls);
  }
}

/** A serialised regularizer as { l1, l2 }, or undefined when it is not an L1/L2 one. */
export function regularizerValues(v: Json): { l1: number; l2: number } | undefined {
  if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
  const cfg = (v["config"] ?? {}) as JsonObject;
  const cls = v["class_name"];
  if (cls !== "L1L2" && cls !== "L1" && cls !== "L2" && cls !== "l1_l2") return undefined;
  const l1 = typeof cfg["l1"] === "number" ? cfg["l1"] : 0;
  const l2 = typeof cfg["l2"] === "number" ? cfg["l2"] : 0;
  return { l1, l2 };
}
