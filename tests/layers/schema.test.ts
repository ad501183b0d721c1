// The table itself: schemas compile under ajv and reject bad args, docs cover every argument,
// and the enum tables and emission helpers produce what tfjs accepts.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Ajv } from "ajv";
import {
  ACTIVATIONS,
  INITIALIZERS,
  LAYERS,
  LAYER_DEFS,
  emitLayerCall,
  enumCode,
  getLayer,
  regularizerCode,
  INITIALIZER_TFJS,
  type Args,
  type LayerDef,
} from "../../compiler/semantic/layers/index.ts";
import { build, cpu, observe } from "./harness.ts";

const test = suite("layer table");
test.before(cpu);

const warnings: string[] = [];
const ajv = new Ajv({
  useDefaults: true,
  allErrors: true,
  logger: { log: () => undefined, warn: (...m: unknown[]) => void warnings.push(m.join(" ")), error: (...m: unknown[]) => void warnings.push(m.join(" ")) },
});
const compiled = new Map<LayerDef, ReturnType<typeof ajv.compile>>();
function check(name: string, args: Args): { ok: boolean; args: Args } {
  const def = getLayer(name)!;
  let v = compiled.get(def);
  if (!v) {
    v = ajv.compile(def.schema);
    compiled.set(def, v);
  }
  const copy = structuredClone(args);
  return { ok: v(copy) === true, args: copy };
}

test("every schema compiles without strict-mode warnings", () => {
  for (const def of LAYER_DEFS) {
    assert.is(def.schema["additionalProperties"], false, def.name);
    ajv.compile(def.schema);
  }
  assert.equal(warnings, []);
});

test("argDocs cover every schema property, positional and required name", () => {
  for (const def of LAYER_DEFS) {
    const props = Object.keys((def.schema["properties"] ?? {}) as object).sort();
    assert.equal(def.argDocs.map((d) => d.name).sort(), props, def.name);
    for (const d of def.argDocs) assert.ok(d.doc.length > 0 && d.type.length > 0, `${def.name}.${d.name}`);
    for (const p of def.positional) assert.ok(props.includes(p), `${def.name} positional ${p}`);
    for (const r of (def.schema["required"] ?? []) as string[]) assert.ok(props.includes(r), `${def.name} required ${r}`);
    assert.ok(def.doc.length > 0 && def.kerasClass.length > 0);
  }
});

test("aliases resolve to the canonical entry", () => {
  assert.is(getLayer("max_pool2d"), getLayer("max_pool"));
  assert.is(getLayer("avg_pool2d")!.name, "avg_pool");
  assert.is(getLayer("global_avg_pool2d")!.name, "global_avg_pool");
  assert.is(getLayer("global_max_pool2d")!.name, "global_max_pool");
  assert.is(getLayer("subtract"), undefined);
  assert.ok(LAYERS.size > LAYER_DEFS.length);
});

const REJECTED: [string, Args][] = [
  ["conv2d", { filters: -1, kernel: 3 }],
  ["conv2d", { filters: 0, kernel: 3 }],
  ["conv2d", { filters: 2.5, kernel: 3 }],
  ["conv2d", { filters: 8, kernel: 3, padding: "sane" }],
  ["conv2d", { filters: 8, kernel: [3] }],
  ["conv2d", { filters: 8, kernel: [3, 3, 3] }],
  ["conv2d", { filters: 8 }],
  ["conv2d", { filters: 8, kernel: 3, filter: 2 }],
  ["conv2d", { filters: 8, kernel: 3, init: "he", }],
  ["conv2d", { filters: 8, kernel: 3, init: "he_normal", kernel_init: "he_normal" }],
  ["conv2d", { filters: 8, kernel: 3, activation: "rellu" }],
  ["conv1d", { filters: 8, kernel: [3, 3] }],
  ["dropout", { rate: 1.5 }],
  ["dropout", { rate: 1 }],
  ["dropout", { rate: -0.1 }],
  ["dropout", {}],
  ["dense", { units: 0 }],
  ["dense", { units: 10, l2: -1 }],
  ["dense", { units: 10, use_bias: "yes" }],
  ["max_pool", { pool: 0 }],
  ["embedding", { output_dim: 8 }],
  ["embedding", { input_dim: 10, vocab: 10, output_dim: 8 }],
  ["lstm", { units: 4, recurrent_dropout: 1 }],
  ["bidirectional", { layer: { layer: "lstm", args: { units: -1 } } }],
  ["bidirectional", { layer: { layer: "lstm", args: { units: 4, bogus: 1 } } }],
  ["bidirectional", { layer: { layer: "dense", args: { units: 4 } } }],
  ["bidirectional", { layer: { layer: "lstm", args: { units: 4 } }, merge: "max" }],
  ["reshape", { target_shape: [0, 4] }],
  ["reshape", { target_shape: [] }],
  ["zero_padding2d", { padding: [1, 2, 3] }],
  ["upsampling2d", { interpolation: "cubic" }],
  ["gaussian_noise", { stddev: -1 }],
  ["batch_norm", { momentum: 2 }],
  ["relu", { max_value: -1 }],
];

test("schemas reject bad args", () => {
  for (const [name, args] of REJECTED) assert.not.ok(check(name, args).ok, `${name} accepted ${JSON.stringify(args)}`);
});

test("schemas accept both int and pair forms and fill Keras defaults", () => {
  assert.ok(check("conv2d", { filters: 8, kernel: [3, 5], strides: [1, 2] }).ok);
  const c = check("conv2d", { filters: 8, kernel: 3 });
  assert.ok(c.ok);
  assert.equal(c.args, { filters: 8, kernel: 3, strides: 1, padding: "valid", activation: "linear", dilation: 1, use_bias: true, trainable: true });
  assert.equal(check("max_pool", {}).args, { pool: 2, padding: "valid", trainable: true });
  assert.equal(check("batch_norm", {}).args, { axis: -1, momentum: 0.99, epsilon: 0.001, center: true, scale: true, trainable: true });
  const b = check("bidirectional", { layer: { layer: "lstm", args: { units: 4 } } });
  assert.ok(b.ok);
  assert.equal(b.args["merge"], "concat");
  const inner = (b.args["layer"] as { args: Args }).args;
  assert.is(inner["return_sequences"], false);
  assert.is(inner["recurrent_activation"], "sigmoid");
});

test("enum tables carry tfjs spellings", () => {
  assert.is(INITIALIZERS.get("he_normal")!.tfjs, "heNormal");
  assert.is(INITIALIZERS.get("xavier")!.tfjs, "glorotNormal");
  assert.is(INITIALIZERS.get("xavier_normal")!.tfjs, "glorotNormal");
  assert.is(INITIALIZERS.get("xavier_uniform")!.tfjs, "glorotUniform");
  assert.is(INITIALIZERS.get("lecun_uniform")!.tfjs, "leCunUniform");
  assert.is(ACTIVATIONS.get("leaky_relu")!.tfjs, null);
  assert.is(ACTIVATIONS.get("hard_sigmoid")!.tfjs, "hardSigmoid");
  for (const name of ["relu", "leaky_relu", "elu", "selu", "sigmoid", "tanh", "softmax", "softplus", "softsign", "linear", "swish"]) {
    assert.ok(ACTIVATIONS.has(name), name);
  }
});

test("every initializer and activation spelling builds in tfjs", () => {
  const dense = getLayer("dense")!;
  for (const init of INITIALIZERS.keys()) {
    const layer = build(dense, { units: { code: "3", literal: 3 }, init: { code: JSON.stringify(init), literal: init } });
    assert.is(observe(layer, [[4]]).total, 15, init);
  }
  for (const a of ACTIVATIONS.values()) {
    if (a.tfjs === null) continue;
    const layer = build(dense, { units: { code: "3", literal: 3 }, activation: { code: JSON.stringify(a.name), literal: a.name } });
    assert.is(observe(layer, [[4]]).total, 15, a.name);
  }
});

test("enumCode: literals become JSON strings, params a typed lookup", () => {
  assert.is(enumCode({ code: '"he_normal"', literal: "he_normal" }, INITIALIZER_TFJS), '"heNormal"');
  const lookup = enumCode({ code: "p.init" }, INITIALIZER_TFJS);
  assert.ok(lookup.startsWith('({ zeros: "zeros", '), lookup);
  assert.ok(lookup.includes('he_normal: "heNormal"'));
  assert.ok(lookup.endsWith(')[(p.init) as "zeros" | "ones" | "random_uniform" | "random_normal" | "truncated_normal" | "he_normal" | "he_uniform" | "glorot_normal" | "xavier" | "xavier_normal" | "glorot_uniform" | "xavier_uniform" | "lecun_normal" | "lecun_uniform" | "orthogonal"]'), lookup);
  const pad = getLayer("conv2d")!.tfjs({ filters: { code: "8" }, kernel: { code: "3" }, padding: { code: "p.pad" } });
  assert.equal(pad.config.find(([k]) => k === "padding"), ["padding", '(p.pad) as "valid" | "same"']);
  assert.throws(() => enumCode({ code: '"x"', literal: 'x"});evil(' }, INITIALIZER_TFJS));
});

test("regularizerCode: l1, l2 and both", () => {
  assert.is(regularizerCode({ code: "0.01" }), "tf.regularizers.l1({ l1: 0.01 })");
  assert.is(regularizerCode(undefined, { code: "p.decay" }), "tf.regularizers.l2({ l2: p.decay })");
  assert.is(regularizerCode({ code: "0.01" }, { code: "0.001" }), "tf.regularizers.l1l2({ l1: 0.01, l2: 0.001 })");
  assert.is(regularizerCode(), undefined);
});

test("emitted config: only given args, tfjs names, Keras defaults where tfjs differs", () => {
  const lit = (v: number | string | boolean) => ({ code: JSON.stringify(v), literal: v });
  assert.equal(getLayer("conv2d")!.tfjs({ filters: lit(32), kernel: lit(3), activation: lit("relu") }), {
    factory: "conv2d",
    config: [["filters", "32"], ["kernelSize", "3"], ["activation", '"relu"'], ["kernelInitializer", '"glorotUniform"']],
  });
  assert.equal(getLayer("dense")!.tfjs({ units: lit(10), use_bias: lit(false), l2: lit(0.0001) }).config, [
    ["units", "10"],
    ["useBias", "false"],
    ["kernelInitializer", '"glorotUniform"'],
    ["kernelRegularizer", "tf.regularizers.l2({ l2: 0.0001 })"],
  ]);
  assert.equal(getLayer("lstm")!.tfjs({ units: lit(64), return_sequences: lit(true) }).config, [
    ["units", "64"],
    ["returnSequences", "true"],
    ["recurrentActivation", '"sigmoid"'],
    ["kernelInitializer", '"glorotUniform"'],
    ["unitForgetBias", "true"],
  ]);
  assert.equal(getLayer("max_pool")!.tfjs({ pool: lit(2) }), { factory: "maxPooling2d", config: [["poolSize", "2"]] });
  assert.equal(getLayer("dropout")!.tfjs({ rate: { code: "p.drop" } }), { factory: "dropout", config: [["rate", "p.drop"]] });
  for (const def of LAYER_DEFS) {
    for (const [k] of def.tfjs({}).config) assert.not.ok(k === "inputShape", def.name);
  }
});

test("bidirectional over a nested call emitted with non-literal args", () => {
  const inner = emitLayerCall("lstm", { units: { code: "p.units" }, return_sequences: { code: "true", literal: true } });
  assert.is(inner, 'tf.layers.lstm({ units: p.units, returnSequences: true, recurrentActivation: "sigmoid", kernelInitializer: "glorotUniform", unitForgetBias: true })');
  const def = getLayer("bidirectional")!;
  const layer = build(def, { layer: { code: inner }, merge: { code: "p.merge" } }, { units: 6, merge: "concat" });
  const seen = observe(layer, [[10, 8]]);
  const args = { layer: { layer: "lstm", args: { units: 6, return_sequences: true } }, merge: "concat" };
  assert.equal(def.shape([[10, 8]], args), seen.shape);
  assert.is(def.params([[10, 8]], args).trainable, seen.trainable);
});

test.run();
