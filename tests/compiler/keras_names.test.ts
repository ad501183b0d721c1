// Keras's argument spellings (`learning_rate`, `kernel_size`, `pool_size`, …) are not aliases:
// each is one error, with dlp's name as the did-you-mean and the quick fix, and nothing else
// fails because of it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile } from "../../compiler/driver.ts";
import { KERAS_ARGUMENTS, kerasLayers } from "../../compiler/semantic/names.ts";
import { LAYERS, getLayer } from "../../compiler/semantic/layers/index.ts";

const pasted = `pipeline k {
  data {
    source mnist
    x = images / 255 as image[28, 28, 1]
    y = labels as class(10)
  }
  model {
    conv2d(32, kernel_size: 3, activation: relu, dilation_rate: 1)
    max_pool(pool_size: 2)
    flatten()
    dense(10, activation: softmax, kernel_initializer: he_normal)
  }
  train {
    loss sparse_categorical_crossentropy
    optimizer adam(learning_rate: 1e-3, beta_1: 0.9)
    batch 32
    epochs 1
    early_stop(patience: 2, restore_best_weights: true)
  }
}
`;

test("one error per Keras spelling, each with dlp's name as help and fix", () => {
  const r = compile(pasted, { file: "k.dlp" });
  const found = r.diagnostics.map((d) => ({ code: d.code, message: d.message, help: d.help, fix: d.fix?.text }));
  const expected = ["kernel_size", "dilation_rate", "pool_size", "kernel_initializer", "learning_rate", "beta_1", "restore_best_weights"].map((k) => ({
    code: "DLP2003",
    message: `unknown argument \`${k}\` for ${k === "kernel_size" || k === "dilation_rate" ? "conv2d" : k === "pool_size" ? "max_pool" : k === "kernel_initializer" ? "dense" : k === "restore_best_weights" ? "early_stop" : "optimizer adam"}`,
    help: `did you mean \`${KERAS_ARGUMENTS[k]}\`? (dlp's name for Keras's \`${k}\`)`,
    fix: KERAS_ARGUMENTS[k],
  }));
  assert.equal(found, expected);
  // Applying the fixes gives a clean file.
  let fixed = pasted;
  for (const [k, v] of Object.entries(KERAS_ARGUMENTS)) fixed = fixed.replaceAll(`${k}:`, `${v}:`);
  const clean = compile(fixed, { file: "k.dlp" });
  assert.equal(clean.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), []);
});

test("a plain typo still gets the closest name, not a Keras note", () => {
  const r = compile(pasted.replace("kernel_size: 3", "kernle: 3").replace(/, dilation_rate: 1|, kernel_initializer: he_normal|learning_rate: 1e-3, beta_1: 0.9|, restore_best_weights: true|pool_size: 2/g, (m) => (m.startsWith("pool") ? "pool: 2" : m.startsWith("learning") ? "lr: 1e-3" : "")), { file: "k.dlp" });
  assert.equal(r.diagnostics.map((d) => [d.message, d.help]), [["unknown argument `kernle` for conv2d", "did you mean `kernel`?"]]);
});

// Keras's layer class names: each is one DLP2001 whose help and quick fix give the dlp layer the
// layer table records for that class (`kerasClass`), never a silent alias.
const kerasModel = (body: string) => `pipeline k {
  data {
    source mnist
    x = images / 255 as image[28, 28, 1]
    y = labels as class(10)
  }
  model {
${body}
  }
  train {
    loss sparse_categorical_crossentropy
  }
}
`;

test("Keras layer class names: did you mean the dlp layer, with a quick fix that makes the file clean", () => {
  const body = ["    Conv2D(32, 3, activation: relu)", "    BatchNormalization()", "    MaxPooling2D(2)", "    Dropout(0.25)", "    GlobalAveragePooling2D()", "    Dense(10, activation: softmax)"].join("\n");
  const r = compile(kerasModel(body), { file: "k.dlp" });
  const found = r.diagnostics.map((d) => [d.code, d.message, d.help, d.fix?.text]);
  const want: [string, string][] = [["Conv2D", "conv2d"], ["BatchNormalization", "batch_normalization"], ["MaxPooling2D", "max_pool2d"], ["Dropout", "dropout"], ["GlobalAveragePooling2D", "global_avg_pool2d"], ["Dense", "dense"]];
  assert.equal(found, want.map(([k, v]) => ["DLP2001", `unknown layer \`${k}\``, `did you mean \`${v}\`?`, v]));
  let fixed = kerasModel(body);
  for (const d of r.diagnostics) fixed = fixed.replace(r.text.slice(d.span.start, d.span.end), d.fix!.text);
  assert.equal(compile(fixed, { file: "k.dlp" }).diagnostics.filter((d) => d.severity === "error").map((d) => d.message), []);
});

test("every Keras class of the layer table maps to a dlp layer that builds that class", () => {
  const classes = new Set([...LAYERS.values()].map((d) => d.kerasClass));
  assert.equal([...kerasLayers().keys()].sort(), [...classes].sort());
  for (const [cls, name] of kerasLayers()) assert.is(getLayer(name)?.kerasClass, cls, `${cls} -> ${name}`);
  for (const [cls, name] of [["LSTM", "lstm"], ["GRU", "gru"], ["SimpleRNN", "simple_rnn"], ["Embedding", "embedding"], ["Flatten", "flatten"], ["LayerNormalization", "layer_normalization"], ["Conv2DTranspose", "conv2d_transpose"], ["UpSampling2D", "upsampling2d"]]) {
    assert.is(kerasLayers().get(cls), name, cls);
  }
});

test("a bare Keras class name (no parentheses) gets the same suggestion", () => {
  const r = compile(kerasModel("    conv2d(8, 3)\n    Flatten\n    dense(10, activation: softmax)"), { file: "k.dlp" });
  assert.equal(r.diagnostics.map((d) => [d.message, d.help]), [["unknown tensor or layer `Flatten`", "did you mean `flatten`?"]]);
});

test.run();
