// time_distributed(layer): Keras's TimeDistributed — the same layer (one set of weights)
// applied to every step of a sequence: [steps, …] → [steps, …the layer's output]. The wrapped
// layer's own shape rule runs on one step, so its errors read as they would without the wrapper.
// The table of layers it may wrap is given by index.ts (the layer table imports this file).
import type { ArgCode, Args, LayerDef, ParamCount, TensorShape } from "./types.ts";
import { isFailure } from "./types.ts";
import { ConfigBuilder, callCode, defineLayer, fail, fillDefaults, isLayerValue, literalCode, rankFailure } from "./util.ts";

export const TIME_DISTRIBUTED = "time_distributed";

/** The `layer` argument's schema; index.ts fills in one if/then per layer it may wrap, so ajv
 *  checks (and fills the defaults of) the nested call exactly as it would a plain one. */
const layerSchema: Record<string, unknown> = {
  type: "object",
  properties: { layer: { type: "string" }, args: { type: "object" } },
  required: ["layer", "args"],
  additionalProperties: false,
};

/** Restricts the wrapper to single-input layers other than itself and gives each one's schema. */
export function wrapLayers(defs: readonly LayerDef[]): void {
  const ok = defs.filter((d) => d.inputs === "one" && d.name !== TIME_DISTRIBUTED && d.name !== "bidirectional");
  (layerSchema["properties"] as Record<string, Record<string, unknown>>)["layer"]!["enum"] = ok.map((d) => d.name);
  layerSchema["allOf"] = ok.map((d) => ({ if: { properties: { layer: { const: d.name } } }, then: { properties: { args: d.schema } } }));
  for (const d of ok) wrappable.set(d.name, d);
}
const wrappable = new Map<string, LayerDef>();

function innerOf(args: Args): { def: LayerDef; args: Args } | undefined {
  const v = args["layer"];
  const def = isLayerValue(v) ? wrappable.get(v.layer) : undefined;
  return def && isLayerValue(v) ? { def, args: fillDefaults(def.schema, v.args) } : undefined;
}

export const timeDistributed = defineLayer({
  name: TIME_DISTRIBUTED,
  kerasClass: "TimeDistributed",
  doc: "applies one layer (one set of weights) to every step of a sequence: [steps, …] → [steps, …]",
  positional: ["layer"],
  required: ["layer"],
  args: {
    layer: { schema: layerSchema, type: "a layer call, e.g. dense(10)", doc: "the layer applied at each step" },
  },
  shape(inputs, args) {
    const x = inputs[0]!;
    if (x.length < 2) return rankFailure(TIME_DISTRIBUTED, x, "a sequence (steps × …)", "time_distributed applies its layer at each step of a sequence: give it [steps, features] (e.g. an lstm with return_sequences: true)", "DLP3007");
    const inner = innerOf(args);
    if (!inner) return fail("DLP3010", "time_distributed wraps one single-input layer", "receives no layer", { arg: "layer", help: "write e.g. time_distributed(dense(10))" });
    const out = inner.def.shape([x.slice(1)], inner.args);
    if (isFailure(out)) return { ...out, message: `${out.message} (at each step, inside time_distributed)`, label: `each step is ${x.slice(1).map((d) => d ?? "?").join("×")}; ${out.label}` };
    return [x[0]!, ...out];
  },
  params(inputs, args): ParamCount {
    const inner = innerOf(args);
    const x = inputs[0]!;
    return inner ? inner.def.params([x.slice(1) as TensorShape], inner.args) : { trainable: 0, nonTrainable: 0 };
  },
  tfjs(args) {
    const layer = args["layer"];
    let code: string;
    if (layer && isLayerValue(layer.literal)) {
      const v = layer.literal;
      const def = wrappable.get(v.layer);
      if (!def) throw new Error(`time_distributed cannot wrap ${v.layer}`);
      const codes: Record<string, ArgCode> = {};
      for (const [k, val] of Object.entries(v.args)) codes[k] = literalCode(val);
      code = callCode(def.tfjs(codes));
    } else code = layer?.code ?? "";
    return { factory: "timeDistributed", config: new ConfigBuilder(args).raw("layer", code).entries };
  },
});
