// Recurrent layers over (steps × features) and the bidirectional wrapper.
import type { ArgCode, Args, LayerDef, ParamCount, ShapeFailure, TensorShape } from "./types.ts";
import { ACTIVATION_NAMES } from "./enums.ts";
import { A, ConfigBuilder, S, bool, callCode, defineLayer, fail, fillDefaults, isLayerValue, literalCode, num, rankFailure, str, unknownDim, type ArgSpec } from "./util.ts";

interface RnnOpts {
  name: string;
  kerasClass: string;
  factory: string;
  /** Weight blocks: 4 for LSTM (i, f, c, o), 3 for GRU (z, r, h; tfjs has no reset_after), 1. */
  gates: number;
  doc: string;
}

function rnnInput(name: string, x: TensorShape): ShapeFailure | undefined {
  if (x.length !== 2) {
    const [a, b, c] = x;
    const help =
      x.length === 1
        ? `add embedding() before it for token ids, or \`reshape([${a ?? "steps"}, 1])\` for a series of ${a ?? "N"} values`
        : x.length === 3 && a !== null && b !== null && c !== null
          ? `reshape the input to [steps, features]: \`reshape([${a}, ${b! * c!}])\` reads the ${a} rows as steps`
          : "reshape the input to [steps, features]";
    return rankFailure(name, x, "a 2-D sequence (steps × features)", help, "DLP3007");
  }
  if (x[1] === null) return unknownDim(name, x, "feature size (last axis)", "give the sequence a fixed number of features");
  return undefined;
}

function rnn(o: RnnOpts): LayerDef {
  const gated = o.gates > 1;
  const args: Record<string, ArgSpec> = {
    units: { schema: S.int(1), type: "int ≥ 1", doc: "size of the hidden state" },
    return_sequences: { schema: S.bool(false), type: "bool", doc: "output the state at every step (steps × units) instead of the last one (default false)" },
    activation: A.activation("tanh"),
  };
  if (gated) {
    args["recurrent_activation"] = {
      schema: S.enumOf(ACTIVATION_NAMES, "sigmoid"),
      type: "activation",
      doc: "activation of the gates (default sigmoid, as in Keras; tfjs alone would use hard_sigmoid)",
    };
  }
  Object.assign(args, {
    use_bias: A.useBias(),
    dropout: A.rate("fraction of the inputs dropped at each step (default 0)"),
    recurrent_dropout: A.rate("fraction of the recurrent state dropped at each step (default 0)"),
    go_backwards: { schema: S.bool(false), type: "bool", doc: "read the sequence backwards (default false)" },
    init: A.init(),
    kernel_init: A.kernelInit(),
    recurrent_init: { schema: A.init().schema, type: "initializer", doc: "initializer of the recurrent weights (default orthogonal)" },
    bias_init: A.biasInit(),
    l1: A.l1(),
    l2: A.l2(),
  } satisfies Record<string, ArgSpec>);
  if (o.gates === 4) {
    args["unit_forget_bias"] = { schema: S.bool(true), type: "bool", doc: "start the forget-gate bias at 1 (default true, as in Keras)" };
  }
  return defineLayer({
    name: o.name,
    kerasClass: o.kerasClass,
    doc: o.doc,
    positional: ["units", "return_sequences"],
    required: ["units"],
    schemaExtra: { not: { required: ["init", "kernel_init"] } },
    args,
    shape(inputs, a) {
      const x = inputs[0]!;
      const bad = rnnInput(o.name, x);
      if (bad) return bad;
      const u = num(a, "units", 1);
      return bool(a, "return_sequences", false) ? [x[0]!, u] : [u];
    },
    params(inputs, a) {
      const i = inputs[0]![1] ?? 0;
      const u = num(a, "units", 1);
      return { trainable: o.gates * (u * (i + u) + (bool(a, "use_bias", true) ? u : 0)), nonTrainable: 0 };
    },
    tfjs(a) {
      const b = new ConfigBuilder(a)
        .plain("units", "units")
        .plain("return_sequences", "returnSequences")
        .activation();
      if (gated) b.activation("recurrent_activation", "recurrentActivation", "sigmoid");
      b.plain("use_bias", "useBias")
        .plain("dropout", "dropout")
        .plain("recurrent_dropout", "recurrentDropout")
        .plain("go_backwards", "goBackwards")
        .init(["kernelInitializer"])
        .enumInit("recurrent_init", "recurrentInitializer")
        .enumInit("bias_init", "biasInitializer")
        .regularizer(["kernelRegularizer"]);
      if (o.gates === 4) {
        if (b.has("unit_forget_bias")) b.plain("unit_forget_bias", "unitForgetBias");
        else b.raw("unitForgetBias", "true");
      }
      return { factory: o.factory, config: b.entries };
    },
  });
}

export const lstm = rnn({ name: "lstm", kerasClass: "LSTM", factory: "lstm", gates: 4, doc: "long short-term memory over a sequence (steps × features)" });
export const gru = rnn({ name: "gru", kerasClass: "GRU", factory: "gru", gates: 3, doc: "gated recurrent unit over a sequence (steps × features)" });
export const simpleRnn = rnn({ name: "simple_rnn", kerasClass: "SimpleRNN", factory: "simpleRNN", gates: 1, doc: "fully connected recurrent layer over a sequence (steps × features)" });

const RECURRENT: ReadonlyMap<string, LayerDef> = new Map([
  ["lstm", lstm],
  ["gru", gru],
  ["simple_rnn", simpleRnn],
]);

function inner(args: Args): { def: LayerDef; args: Args } | ShapeFailure {
  const v = args["layer"];
  const def = isLayerValue(v) ? RECURRENT.get(v.layer) : undefined;
  if (!isLayerValue(v) || !def) {
    return fail("DLP3011", "bidirectional wraps a recurrent layer", `receives ${isLayerValue(v) ? `${v.layer}(…)` : "no layer"}`, {
      arg: "layer",
      help: "write bidirectional(lstm(64)), bidirectional(gru(64)) or bidirectional(simple_rnn(64))",
    });
  }
  return { def, args: fillDefaults(def.schema, v.args) };
}

// The nested call is validated by the same schema as a plain lstm/gru/simple_rnn call;
// if/then (rather than oneOf) so that ajv's useDefaults fills the nested defaults too.
const layerSchema = {
  type: "object",
  properties: { layer: { type: "string", enum: [...RECURRENT.keys()] }, args: { type: "object" } },
  required: ["layer", "args"],
  additionalProperties: false,
  allOf: [...RECURRENT.entries()].map(([name, def]) => ({
    if: { properties: { layer: { const: name } } },
    then: { properties: { args: def.schema } },
  })),
};

export const bidirectional = defineLayer({
  name: "bidirectional",
  kerasClass: "Bidirectional",
  doc: "runs a recurrent layer forwards and backwards and merges both outputs",
  positional: ["layer", "merge"],
  required: ["layer"],
  args: {
    layer: { schema: layerSchema, type: "lstm(…) | gru(…) | simple_rnn(…)", doc: "the recurrent layer to run in both directions" },
    merge: {
      schema: S.enumOf(["concat", "sum", "mul", "ave"], "concat"),
      type: "concat | sum | mul | ave",
      doc: "how the two directions combine: concat doubles the units (default concat)",
    },
  },
  shape(inputs, args) {
    const r = inner(args);
    if (!("def" in r)) return r;
    const out = r.def.shape(inputs, r.args);
    if (!Array.isArray(out)) return out;
    if (str(args, "merge", "concat") !== "concat") return out;
    const last = out[out.length - 1]!;
    return [...out.slice(0, -1), last === null ? null : last * 2];
  },
  params(inputs, args): ParamCount {
    const r = inner(args);
    if (!("def" in r)) return { trainable: 0, nonTrainable: 0 };
    const p = r.def.params(inputs, r.args);
    return { trainable: 2 * p.trainable, nonTrainable: 2 * p.nonTrainable };
  },
  tfjs(args) {
    const layer = args["layer"];
    let code: string;
    if (layer && isLayerValue(layer.literal)) {
      const v = layer.literal;
      const def = RECURRENT.get(v.layer);
      if (!def) throw new Error(`bidirectional cannot wrap ${v.layer}`);
      const codes: Record<string, ArgCode> = {};
      for (const [k, val] of Object.entries(v.args)) codes[k] = literalCode(val);
      code = callCode(def.tfjs(codes));
    } else {
      // A nested call with non-literal arguments arrives as code the emitter built with
      // emitLayerCall (index.ts), e.g. `tf.layers.lstm({ units: p.units })`.
      code = layer?.code ?? "";
    }
    const b = new ConfigBuilder(args).raw("layer", code);
    b.enum("merge", "mergeMode", new Map([["concat", "concat"], ["sum", "sum"], ["mul", "mul"], ["ave", "ave"]]));
    return { factory: "bidirectional", config: b.entries };
  },
});
