// Static shapes and tfjs agree everywhere: for every pipeline in pipelines/ (top level), the
// compiler's parameter totals (what `dlpc summary` prints) equal what tfjs counts on the model
// the emitted code builds with the default params: total (model.countParams()), trainable and
// non-trainable (batch_norm's moving statistics).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { tf, initBackend } from "dlp/runtime";
import { compilePipeline, REPO } from "./compiled.ts";

const files = readdirSync(join(REPO, "pipelines")).filter((f) => f.endsWith(".dlp")).sort();

const count = (ws: tf.LayerVariable[]): number => ws.reduce((a, w) => a + w.shape.reduce((x: number, y) => x * (y ?? 1), 1), 0);

test("pipelines/ holds the seed pipelines", () => {
  for (const f of ["mnist_cnn.dlp", "fashion_cnn.dlp", "resnet_small.dlp", "imdb_conv1d.dlp"]) assert.ok(files.includes(f), f);
});

for (const f of files) {
  test(`${f}: static parameter counts equal tfjs's`, async () => {
    await initBackend("wasm");
    const before = tf.memory().numTensors;
    const { pipeline, summary } = await compilePipeline(`pipelines/${f}`);
    const model = pipeline.buildModel(pipeline.defaults);
    try {
      assert.is(summary.totalParams, model.countParams(), `${f}: total (static ${summary.totalParams}, tfjs ${model.countParams()})`);
      assert.is(summary.trainableParams, count(model.trainableWeights), `${f}: trainable`);
      assert.is(summary.nonTrainableParams, count(model.nonTrainableWeights), `${f}: non-trainable`);
      // Layer by layer too: the same multiset of (class, params, output shape). Branching models
      // (residual shortcuts) may list layers in another topological order than the summary, and
      // the functional model adds an InputLayer, which the summary omits.
      const key = (type: string, params: number, shape: unknown): string => `${type} ${params} ${JSON.stringify(shape)}`;
      const ours = summary.layers.map((l) => key(l.type, l.params, l.outputShape)).sort();
      const theirs = model.layers.filter((l) => l.getClassName() !== "InputLayer").map((l) => key(l.getClassName(), l.countParams(), l.outputShape)).sort();
      assert.equal(ours, theirs, `${f}: layers (class, params, output shape)`);
    } finally {
      model.dispose();
    }
    assert.is(tf.memory().numTensors, before, `${f}: the model's tensors were disposed`);
  });
}

test("resnet_small has non-trainable batch_norm statistics, and tfjs agrees", async () => {
  const { pipeline, summary } = await compilePipeline("pipelines/resnet_small.dlp");
  const model = pipeline.buildModel(pipeline.defaults);
  assert.ok(summary.nonTrainableParams > 0);
  assert.is(count(model.nonTrainableWeights), summary.nonTrainableParams);
  model.dispose();
});

test.run();
