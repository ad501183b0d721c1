// pipelines/imdb_conv1d.dlp (Embedding 10000×64, maxlen 500) trains on wasm with bounded memory:
// gather's gradient is an indexed add on the wasm heap (runtime/wasm_kernels.ts), not the cpu
// backend's UnsortedSegmentSum, which built a dense mask and product per vocabulary entry (at
// batch 8 it did not finish in 2 minutes and passed 850 MiB, climbing).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, writeFileSync } from "node:fs";
import { tf, initBackend, trainModel } from "dlp/runtime";
import { compilePipeline } from "./compiled.ts";

const MiB = 2 ** 20;
const status = (field: "VmRSS" | "VmHWM"): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync("/proc/self/status", "utf8"))![1]) * 1024;

test("imdb_conv1d: two batches of 16 train on wasm, RSS grows < 300 MiB, the rows seen move, no other", async () => {
  assert.is(await initBackend("wasm"), "wasm");
  const { pipeline } = await compilePipeline("pipelines/imdb_conv1d.dlp");
  const model = pipeline.buildModel(pipeline.defaults);
  const embedding = model.layers.find((l) => l.getClassName() === "Embedding")!;
  assert.equal(embedding.getWeights()[0]!.shape, [10000, 64]);
  const before = embedding.getWeights()[0]!.dataSync().slice();
  const n = 32, len = 500, used = 5000; // ids below 5000 only: rows 5000.. get no gradient
  const x = Float32Array.from({ length: n * len }, (_, i) => (i * 7919) % used);
  const y = Int32Array.from({ length: n }, (_, i) => i % 2);
  const spec = { ...pipeline.train(pipeline.defaults), batchSize: 16, callbacks: [] };
  // Tests before this one in the same process may have set the high-water mark: reset it
  // (Linux: "5" to clear_refs), so the peak below is this training's own.
  writeFileSync("/proc/self/clear_refs", "5");
  const rss0 = status("VmRSS");
  const r = await trainModel(model, spec, { train: { x, sampleShape: [len], y, yWidth: 1, n }, validation: null },
    { epochs: 1, seed: 1, shuffle: false, augment: [], labels: pipeline.data(pipeline.defaults).outputs[0]!.labels, quiet: true });
  const growth = (status("VmHWM") - rss0) / MiB;
  assert.ok(growth < 300, `peak RSS grew by ${growth.toFixed(0)} MiB`);
  assert.ok(Number.isFinite(r.history["loss"]![0]!), "a finite loss");
  const after = embedding.getWeights()[0]!.dataSync();
  let movedSeen = 0, movedUnseen = 0;
  for (let row = 0; row < 10000; row++) {
    let moved = false;
    for (let k = 0; k < 64; k++) if (after[row * 64 + k] !== before[row * 64 + k]) moved = true;
    if (moved && row < used) movedSeen++;
    if (moved && row >= used) movedUnseen++;
  }
  assert.is(movedUnseen, 0, "rows of ids never seen stay put (RMSprop with a zero gradient)");
  // (not all: tokens in the last positions, which max_pool1d(5) drops, and dead ReLUs get none)
  assert.ok(movedSeen > 0.9 * used, `${movedSeen} of the ${used} rows seen move`);
  model.dispose();
});

test.run();
