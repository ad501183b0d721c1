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
      // Layer by layer too (the functional model adds an InputLayer, which the summary omits).
      const tfLayers = model.layers.filter((l) => l.getClassName() !== "InputLayer");
      assert.is(tfLayers.length, summary.layers.length, `${f}: layer count`);
      summary.layers.forEach((l, i) => {
        assert.is(l.type, tfLayers[i]!.getClassName(), `${f}: layer ${i} class`);
        assert.is(l.params, tfLayers[i]!.countParams(), `${f}: layer ${i} ${l.name} (${l.type})`);
        assert.equal(l.outputShape, tfLayers[i]!.outputShape, `${f}: layer ${i} ${l.name} output shape`);
      });
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
