// Shared by the layer tests: the tfjs oracle (cpu backend) and ajv, loaded once.
import * as tf from "@tensorflow/tfjs";
import ts from "typescript";
import { Ajv, type ValidateFunction } from "ajv";
import type { ArgCode, ArgValue, Args, LayerDef, LayerValue, TensorShape } from "../../compiler/semantic/layers/index.ts";

export { tf };

let ready: Promise<void> | undefined;
export function cpu(): Promise<void> {
  ready ??= tf.setBackend("cpu").then(() => undefined);
  return ready;
}

const ajv = new Ajv({ useDefaults: true, allErrors: true });
const validators = new Map<LayerDef, ValidateFunction>();
export function validator(def: LayerDef): ValidateFunction {
  let v = validators.get(def);
  if (!v) {
    v = ajv.compile(def.schema);
    validators.set(def, v);
  }
  return v;
}

/** Validates (filling defaults, as the checker does) and returns the filled copy. */
export function validated(def: LayerDef, args: Args): Args {
  const copy = structuredClone(args) as Args;
  const v = validator(def);
  if (!v(copy)) throw new Error(`${def.name} rejected ${JSON.stringify(args)}: ${ajv.errorsText(v.errors)}`);
  return copy;
}

function isLayerValue(v: ArgValue): v is LayerValue {
  return typeof v === "object" && !Array.isArray(v);
}

/** Every argument as a literal. */
export function literalCodes(args: Args): Record<string, ArgCode> {
  const out: Record<string, ArgCode> = {};
  for (const [k, v] of Object.entries(args)) out[k] = { code: isLayerValue(v) ? "" : JSON.stringify(v), literal: v };
  return out;
}
/** Every argument as a tuned parameter `p.<name>` (no literal), except nested layers. */
export function paramCodes(args: Args): Record<string, ArgCode> {
  const out: Record<string, ArgCode> = {};
  for (const [k, v] of Object.entries(args)) out[k] = isLayerValue(v) ? { code: "", literal: v } : { code: `p.${k}` };
  return out;
}

/** Builds the tfjs layer from the emitted TypeScript (transpiled, then evaluated). */
export function build(def: LayerDef, codes: Record<string, ArgCode>, p: Args = {}): tf.layers.Layer {
  const call = def.tfjs(codes);
  const body = call.config.map(([k, v]) => `${k}: ${v}`).join(", ");
  const src = `return tf.layers.${call.factory}({ ${body} });`;
  const js = ts.transpileModule(src, { compilerOptions: { target: ts.ScriptTarget.ES2022 } }).outputText;
  const make = new Function("tf", "p", js) as (t: typeof tf, p: Args) => tf.layers.Layer;
  return make(tf, p);
}

export interface Observed {
  shape: TensorShape;
  trainable: number;
  nonTrainable: number;
  total: number;
}

function size(w: { shape: readonly (number | null)[] }): number {
  return w.shape.reduce<number>((a, b) => a * (b ?? 0), 1);
}

export function observe(layer: tf.layers.Layer, inputs: TensorShape[], run = false): Observed {
  const xs = inputs.map((s) => tf.input({ shape: s }));
  const y = layer.apply(xs.length === 1 ? xs[0]! : xs) as tf.SymbolicTensor;
  let shape = y.shape.slice(1) as TensorShape;
  if (run) {
    // Resolve dims tfjs leaves symbolic (reshape's -1) by running the layer once.
    const t = tf.tidy(() => (layer.apply(tf.zeros([1, ...(inputs[0] as number[])])) as tf.Tensor).shape);
    shape = t.slice(1);
  }
  return {
    shape,
    trainable: layer.trainableWeights.reduce((a, w) => a + size(w), 0),
    nonTrainable: layer.nonTrainableWeights.reduce((a, w) => a + size(w), 0),
    total: layer.countParams(),
  };
}
