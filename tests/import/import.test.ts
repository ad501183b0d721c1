// dlpc import on Keras-written JSON (Keras 2 `model.to_json()`, written by hand from Keras's
// documented format: class_name / config / inbound_nodes) and on every kind of bad input.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { ImportError, importModel, numberText } from "../../compiler/import/importer.ts";
import { compile } from "../../compiler/driver.ts";
import { summaryJson } from "../../compiler/summary.ts";

const FIX = "tests/import/fixtures";
const read = (f: string) => readFileSync(join(FIX, f), "utf8");

function problems(f: string, text = read(f)): string[] {
  try {
    importModel(text, f);
  } catch (e) {
    if (e instanceof ImportError) return e.problems;
    throw e;
  }
  assert.unreachable(`${f} was imported`);
  return [];
}

function summaryOf(text: string) {
  const r = compile(text, { file: "imported.dlp" });
  assert.not.ok(r.hasErrors, r.diagnostics.map((d) => d.message).join("\n"));
  return summaryJson(r.checked!);
}

// The expected .dlp sits beside each fixture; UPDATE=1 rewrites it (review the diff).
for (const fixture of ["keras2_functional", "keras2_sequential", "two_in_two_out"]) {
  test(`${fixture}.json imports to the expected .dlp`, () => {
    const got = importModel(read(`${fixture}.json`), `${fixture}.json`).text;
    const golden = join(FIX, `${fixture}.dlp`);
    if (process.env.UPDATE) writeFileSync(golden, got);
    assert.ok(existsSync(golden), `missing golden ${golden} (run with UPDATE=1)`);
    assert.fixture(got, readFileSync(golden, "utf8"));
  });
}

test("Keras functional model: branches, add, concatenate, batch_norm statistics; Keras's counts", () => {
  const s = summaryOf(importModel(read("keras2_functional.json"), "keras2_functional.json").text);
  // Counted by hand as Keras's model.summary() does: conv 3·3·3·16 = 432, BN 4·16 = 64 (32 of
  // them moving statistics), conv 3·3·16·16 = 2304, BN 64, 1×1 conv 16·8 + 8 = 136,
  // dense 16·16·24·10 + 10 = 61 450.
  assert.equal(s.layers.map((l) => l.params), [432, 64, 0, 2304, 64, 0, 0, 136, 0, 0, 0, 0, 61450]);
  assert.equal(s.layers.map((l) => l.type), ["Conv2D", "BatchNormalization", "Activation", "Conv2D", "BatchNormalization", "Add", "Activation", "Conv2D", "Concatenate", "MaxPooling2D", "Flatten", "Dropout", "Dense"]);
  assert.equal(s.layers[8]!.outputShape, [null, 32, 32, 24]);
  assert.equal([s.totalParams, s.trainableParams, s.nonTrainableParams], [64450, 64386, 64]);
});

test("Keras functional model with two inputs and two outputs: data fields and heads named after its layers, Keras's counts", () => {
  const r = importModel(read("two_in_two_out.json"), "two_in_two_out.json");
  assert.match(r.text, /image\s+= images \/ 255 as image\[28, 28, 1\]\n\s+meta\s+= images as vector\[8\]\n\s+digit\s+= labels as class\(10\)\n\s+score\s+= labels as regression\(1\)/);
  assert.match(r.text, /return \{\n\s+digit = digit_2\n\s+score = score_2\n\s+\}/);
  assert.match(r.text, /loss \{ digit = sparse_categorical_crossentropy, score = mse \}/);
  const s = summaryOf(r.text);
  // conv 3·3·1·8 + 8 = 80, dense 8·16 + 16 = 144, dense 5424·32 + 32 = 173 600, heads 330 and 33.
  assert.equal(s.layers.map((l) => l.params), [80, 0, 144, 0, 173600, 330, 33]);
});

test("Keras Sequential model without an InputLayer; repeated layers become `repeat`", () => {
  const r = importModel(read("keras2_sequential.json"), "keras2_sequential.json");
  assert.match(r.text, /repeat 2 \{\n\s+dense\(512, activation: relu\)\n\s+dropout\(0\.2\)\n\s+\}/);
  const s = summaryOf(r.text);
  assert.is(s.totalParams, 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10);
  assert.is(s.pipeline, "mnist_mlp");
});

test("a tfjs model.json (modelTopology + weightsManifest) imports like its topology", () => {
  const topo = JSON.parse(read("keras2_sequential.json")) as unknown;
  const wrapped = JSON.stringify({ modelTopology: topo, format: "layers-model", generatedBy: "TensorFlow.js tfjs-layers v4.22.0", convertedBy: null, weightsManifest: [] });
  assert.is(importModel(wrapped, "model.json").text, importModel(read("keras2_sequential.json"), "model.json").text);
});

test("Keras 3 form: inbound_nodes with keras_history, batch_shape, initializer modules", () => {
  const k3 = {
    class_name: "Functional",
    config: {
      name: "k3",
      layers: [
        { module: "keras.layers", class_name: "InputLayer", config: { batch_shape: [null, 8], dtype: "float32", sparse: false, name: "input_layer" }, name: "input_layer", inbound_nodes: [] },
        {
          module: "keras.layers",
          class_name: "Dense",
          config: { name: "dense", trainable: true, dtype: { module: "keras", class_name: "DTypePolicy", config: { name: "float32" } }, units: 4, activation: "relu", use_bias: true, kernel_initializer: { module: "keras.initializers", class_name: "GlorotUniform", config: { seed: null } }, bias_initializer: { module: "keras.initializers", class_name: "Zeros", config: {} }, kernel_regularizer: null, bias_regularizer: null, kernel_constraint: null, bias_constraint: null },
          name: "dense",
          inbound_nodes: [{ args: [{ class_name: "__keras_tensor__", config: { shape: [null, 8], dtype: "float32", keras_history: ["input_layer", 0, 0] } }], kwargs: {} }],
        },
        {
          module: "keras.layers",
          class_name: "Dense",
          config: { name: "dense_1", units: 1, activation: "sigmoid", use_bias: true },
          name: "dense_1",
          inbound_nodes: [{ args: [{ class_name: "__keras_tensor__", config: { shape: [null, 4], dtype: "float32", keras_history: ["dense", 0, 0] } }], kwargs: {} }],
        },
      ],
      input_layers: ["input_layer", 0, 0],
      output_layers: ["dense_1", 0, 0],
    },
  };
  const r = importModel(JSON.stringify(k3), "k3.json");
  assert.match(r.text, /y = labels as binary/);
  assert.is(summaryOf(r.text).totalParams, 8 * 4 + 4 + 4 + 1);
});

test("unsupported layers and unknown arguments are each reported by index and name", () => {
  const p = problems("bad_layers.json");
  assert.is(p.length, 3, p.join("\n"));
  assert.ok(p.some((m) => m.startsWith("layer 1 `conv2d` (Conv2D): argument `kernel_constraint`")), p.join("\n"));
  assert.ok(p.some((m) => m.startsWith("layer 5 `batch_normalization_1` (BatchNormalization): argument `renorm` = true")), p.join("\n"));
  assert.ok(p.some((m) => m.startsWith("layer 9 `lambda` (Lambda): dlp has no layer for Keras `Lambda`")), p.join("\n"));
});

test("values dlp cannot write are reported, not rounded away", () => {
  const m = JSON.parse(read("keras2_sequential.json")) as { config: { layers: { config: Record<string, unknown> }[] } };
  m.config.layers[0]!.config["kernel_initializer"] = { class_name: "RandomNormal", config: { mean: 0, stddev: 0.01, seed: null } };
  m.config.layers[2]!.config["activation"] = "exponential";
  const p = problems("edited.json", JSON.stringify(m));
  assert.is(p.length, 2, p.join("\n"));
  assert.match(p[0]!, /^layer 0 `dense` \(Dense\): argument `kernel_initializer`.*initializer dlp cannot write/);
  assert.match(p[1]!, /^layer 2 `dense_1` \(Dense\): argument `activation` = "exponential" is not a value dlp knows/);
});

test("files that are not a model topology name the file", () => {
  assert.match(problems("not_a_model.json")[0]!, /^not_a_model\.json: not a Keras \/ tfjs layers-model topology/);
  assert.match(problems("x.json", "{ nope")[0]!, /^x\.json: not valid JSON/);
  assert.match(problems("x.json", "[1, 2]")[0]!, /^x\.json: not a Keras \/ tfjs layers-model topology: the file holds a JSON array/);
  assert.match(problems("g.json", JSON.stringify({ format: "graph-model", modelTopology: { node: [] } }))[0]!, /graph model/);
  assert.match(problems("two_inputs.json")[0]!, /input `input_2` leads to no output; a dlp model reads every input it declares/);
  assert.match(problems("m.json", JSON.stringify({ class_name: "Sequential", config: { name: "s", layers: [{ class_name: "Dense", config: { units: 2 } }] } }))[0]!, /no input shape/);
});

test("float32 settings print as the decimal that was written", () => {
  assert.is(numberText(9.999999747378752e-5), "0.0001");
  assert.is(numberText(1.001e-5), "0.00001001");
  assert.is(numberText(0.25), "0.25");
  assert.is(numberText(1e-7), "1e-7");
});

// ---------------------------------------------------------------- the CLI

const DLPC = join(process.cwd(), "bin/dlpc.mjs");
function dlpc(args: string[]) {
  const r = spawnSync(process.execPath, [DLPC, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("dlpc import -o writes the file that then checks; errors exit 1 with every problem", () => {
  const dir = mkdtempSync(join(tmpdir(), "dlp-import-"));
  const out = join(dir, "small_resnet.dlp");
  const ok = dlpc(["import", join(FIX, "keras2_functional.json"), "-o", out]);
  assert.is(ok.code, 0, ok.stderr);
  assert.equal(readdirSync(dir), ["small_resnet.dlp"]);
  const check = dlpc(["summary", out]);
  assert.is(check.code, 0, check.stderr);
  assert.match(check.stdout, /Total params: 64,450/);

  const bad = dlpc(["import", join(FIX, "bad_layers.json")]);
  assert.is(bad.code, 1);
  assert.is(bad.stdout, "");
  assert.match(bad.stderr, /layer 9 `lambda` \(Lambda\)/);
  assert.match(bad.stderr, /bad_layers\.json was not imported \(3 problems\)/);
  assert.not.match(bad.stderr, /\n\s+at /);
  assert.is(dlpc(["import"]).code, 2);
  assert.is(dlpc(["import", "no/such.json"]).code, 2);
});

test.run();
