// Freezing many layers at once (compiler/semantic/freeze.ts, runtime/freeze.ts): a block call's
// `trainable: false` freezes every layer the call builds, a `freeze` statement every layer built
// before it; `dlpc summary` counts them as non-trainable, the emitted code freezes the same
// layers, their weights stay bit-for-bit through training, and a frozen batch_norm runs in
// inference mode (moving mean and variance unchanged) while the rest trains.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { runPipeline, loadModel, type RunOptions } from "dlp/runtime";
import { compileText, scratchDir } from "./compiled.ts";
import { compile } from "../../compiler/driver.ts";
import { summaryJson } from "../../compiler/summary.ts";
import { FREEZE_DOC } from "../../compiler/semantic/freeze.ts";

const pipe = (model: string, blocks = "", params = ""): string => `pipeline frz {
  seed 3
${params}
  data {
    source mnist
    x = images / 255 as vector[784]
    y = labels as class(10)
    split validation 10%
  }
${blocks}
  model {
${model}
  }
  train {
    loss sparse_categorical_crossentropy
    optimizer adam(lr: 1e-2)
    batch 32
    epochs 2
  }
}
`;
const BLOCK = `  block mlp(units) (x) {
    dense(units, activation: relu)
    batch_norm()
  }`;
const opts = (out: string): RunOptions => ({ backend: "cpu", limit: 200, out, quiet: true });
const counts = (text: string): { trainable: number; non: number } => {
  const r = compile(text, { file: "frz.dlp" });
  assert.not.ok(r.hasErrors, r.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  const s = summaryJson(r.checked!);
  return { trainable: s.trainableParams, non: s.nonTrainableParams };
};
const errors = (text: string): string[] => compile(text, { file: "frz.dlp" }).diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`);

// dense(784→32): 25 120; batch_norm(32): 64 trainable + 64 moving; dense(32→16): 528; bn(16): 32+32; dense(16→10): 170.
const D1 = 784 * 32 + 32, B1 = 64, M1 = 64, D2 = 32 * 16 + 16, B2 = 32, M2 = 32, HEAD = 16 * 10 + 10;

test("block call trainable: false freezes every layer the call builds (summary)", () => {
  const plain = counts(pipe("    mlp(32)\n    mlp(16)\n    dense(10, activation: softmax)", BLOCK));
  assert.equal(plain, { trainable: D1 + B1 + D2 + B2 + HEAD, non: M1 + M2 });
  const frozen = counts(pipe("    mlp(32, trainable: false)\n    mlp(16)\n    dense(10, activation: softmax)", BLOCK));
  assert.equal(frozen, { trainable: D2 + B2 + HEAD, non: D1 + B1 + M1 + M2 });
  // Nested: a block calling a block, frozen from outside; an inner trainable: true does not thaw it.
  const nested = `${BLOCK}
  block two(a, b) (x) {
    mlp(a)
    mlp(b, trainable: true)
  }`;
  assert.equal(counts(pipe("    two(32, 16, trainable: false)\n    dense(10, activation: softmax)", nested)), { trainable: HEAD, non: D1 + B1 + M1 + D2 + B2 + M2 });
  // A param decides; `trainable: true` changes nothing.
  assert.equal(counts(pipe("    mlp(32, trainable: tune_base)\n    mlp(16)\n    dense(10, activation: softmax)", BLOCK, "  param tune_base = false")), frozen);
  assert.equal(counts(pipe("    mlp(32, trainable: true)\n    mlp(16)\n    dense(10, activation: softmax)", BLOCK)), plain);
});

test("freeze freezes every layer built before it (summary), also under a top-level if", () => {
  assert.equal(counts(pipe("    mlp(32)\n    mlp(16)\n    freeze\n    dense(10, activation: softmax)", BLOCK)), { trainable: HEAD, non: D1 + B1 + M1 + D2 + B2 + M2 });
  assert.equal(counts(pipe("    mlp(32)\n    freeze\n    mlp(16)\n    dense(10, activation: softmax)", BLOCK)), { trainable: D2 + B2 + HEAD, non: D1 + B1 + M1 + M2 });
  const gated = (on: boolean): string => pipe("    mlp(32)\n    if base_frozen { freeze }\n    mlp(16)\n    dense(10, activation: softmax)", BLOCK, `  param base_frozen = ${on}`);
  assert.equal(counts(gated(true)), { trainable: D2 + B2 + HEAD, non: D1 + B1 + M1 + M2 });
  assert.equal(counts(gated(false)).non, M1 + M2);
});

test("misused freezing is a coded error at the statement", () => {
  const inBlock = `  block bad(units) (x) {
    dense(units)
    freeze
  }`;
  assert.ok(errors(pipe("    bad(8)\n    dense(10, activation: softmax)", inBlock)).some((e) => e.startsWith("DLP1001 `freeze` belongs in the model section, not inside a block")));
  assert.ok(errors(pipe("    dense(8)\n    freeze 3\n    dense(10, activation: softmax)")).some((e) => e.startsWith("DLP1001 `freeze` takes nothing")));
  assert.ok(errors(pipe("    mlp(32, trainable: 3)\n    dense(10, activation: softmax)", BLOCK)).some((e) => e === "DLP2004 `trainable` of block `mlp` is true or false"));
  // A block with a parameter of its own named trainable takes the argument as that parameter.
  const own = `  block own(units, trainable) (x) {
    dense(units, trainable: trainable)
  }`;
  assert.equal(counts(pipe("    own(32, false)\n    dense(10, activation: softmax)", own)), { trainable: 32 * 10 + 10, non: D1 });
});

test("emitted code freezes the same layers; frozen weights (batch norm statistics included) stay bit-for-bit, the rest trains", async () => {
  const text = pipe("    mlp(32, trainable: false)\n    mlp(16)\n    freeze\n    dense(10, activation: softmax)", BLOCK);
  const { pipeline, module } = await compileText(pipe("    mlp(32, trainable: false)\n    mlp(16)\n    dense(10, activation: softmax)", BLOCK), "frz.dlp");
  const code = readFileSync(module, "utf8");
  assert.match(code, /import \{ tf, type CompiledPipeline, type DataSpec, type TrainSpec, freezeBlock \} from "dlp\/runtime";/);
  assert.match(code, /out = freezeBlock\(false, \[out\], \(t\) => block_mlp\(p, t\[0\]!, 32\)\);/);
  const m = pipeline.buildModel(pipeline.defaults);
  assert.equal(m.layers.slice(1).map((l) => `${l.getClassName()}:${l.trainable}`), ["Dense:false", "BatchNormalization:false", "Dense:true", "BatchNormalization:true", "Dense:true"]);
  assert.is(m.countParams() - m.trainableWeights.reduce((a, w) => a + w.shape.reduce((x: number, y) => x * (y ?? 1), 1), 0), D1 + B1 + M1 + M2);
  m.dispose();

  const up = await compileText(text, "frz.dlp");
  assert.match(readFileSync(up.module, "utf8"), /freezeUpTo\(\[out, input\]\);/);
  const cwd = scratchDir("freeze");
  const r = await runPipeline(up.pipeline, opts(join(cwd, "runs")));
  r.model.dispose();
  const trained = await loadModel(r.dir);
  assert.equal(trained.layers.slice(1).map((l) => l.trainable), [false, false, false, false, true]);
  const w = (k: number) => trained.layers[k]!.getWeights().map((t) => Array.from(t.dataSync()));
  // Moving mean starts at 0 and variance at 1: a frozen batch norm in inference mode keeps them.
  for (const k of [2, 4]) {
    const [gamma, beta, mean, variance] = w(k);
    assert.ok(gamma!.every((v) => v === 1) && beta!.every((v) => v === 0), `batch norm ${k}: gamma/beta untouched`);
    assert.ok(mean!.every((v) => v === 0) && variance!.every((v) => v === 1), `batch norm ${k}: moving statistics untouched (inference mode)`);
  }
  assert.not.ok(w(5)[1]!.every((v) => v === 0), "the head's bias trained");
  trained.dispose();
});

test("the reference's freezing example compiles and freezes the base", () => {
  const doc = FREEZE_DOC.join("\n");
  const model = /```dlp\nmodel \{\n([\s\S]*?)\n\}\n```/.exec(doc)![1]!;
  const text = `pipeline ref {
  data {
    source mnist
    x = images / 255 as image[28, 28, 1]
    y = labels as class(10)
  }
  block dw_block(filters, stride) (x) {
    depthwise_conv2d(3, strides: stride, padding: same, use_bias: false)
    batch_norm()
    conv2d(filters, 1, use_bias: false)
  }
  model {
${model}
  }
  train { loss sparse_categorical_crossentropy }
}`;
  assert.equal(counts(text).trainable, 128 * 10 + 10);
});

test.run();
