// Checkpoint overhead of crash-safe training on fashion_cnn: the time to write one state.ckpt
// (weights, the best weights, Adam's two moments, PRNG and callback state; encoded, sha256'd,
// written, fsync'd and renamed, as runPipeline does after every epoch) against the time of one
// full Fashion-MNIST epoch (54 000 training images at batch 128), extrapolated from timed
// training batches of the same model on the same backend.
// Usage: node --import tsx bench/checkpoint.ts [--batches K] [--backend wasm] [--writes N]
// Prints one JSON object.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { readFileSync } from "node:fs";
import { initBackend, trainModel, type BackendChoice, type CompiledPipeline, type Params } from "../runtime/index.ts";
import { writeCheckpointFile, type TrainCheckpoint } from "../runtime/checkpoint.ts";
import { compile } from "../compiler/driver.ts";
import { writeCompiled } from "../compiler/codegen/write.ts";
import type { Split } from "../runtime/data/types.ts";

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const batches = Number(opt("--batches") ?? 4);
const writes = Number(opt("--writes") ?? 5);
const backend = (opt("--backend") ?? "wasm") as BackendChoice;

const file = "pipelines/fashion_cnn.dlp";
const r = compile(readFileSync(file, "utf8"), { file });
if (!r.checked) throw new Error(`${file} does not compile`);
const target = writeCompiled(r.checked, file, r.sourceHash, "build");
const { pipeline } = (await import(pathToFileURL(resolve(target)).href)) as { pipeline: CompiledPipeline<Params> };
const used = await initBackend(backend);
const spec = pipeline.train(pipeline.defaults);
const model = pipeline.buildModel(pipeline.defaults);
const batch = spec.batchSize;
const n = batches * batch;
// Synthetic 28×28×1 images: the timing does not depend on the pixel values.
const split = (k: number): Split => ({ x: Float32Array.from({ length: k * 784 }, (_, i) => (i % 255) / 255), sampleShape: [28, 28, 1], y: Int32Array.from({ length: k }, (_, i) => i % 10), yWidth: 1, n: k });
let state: TrainCheckpoint | null = null;
const res = await trainModel(model, { ...spec, callbacks: spec.callbacks }, { train: split(n), validation: split(batch) }, {
  epochs: 1, seed: 1, shuffle: true, augment: pipeline.data(pipeline.defaults).augment, labels: { kind: "class", classes: 10, encoding: "sparse" }, quiet: true,
  onCheckpoint: (s) => { state = s; },
});
const batchSeconds = n / res.trainSamplesPerSecond / batches;
const dir = mkdtempSync(join(tmpdir(), "dlp-ckpt-bench-"));
const ckpt = join(dir, "state.ckpt");
const times: number[] = [];
for (let i = 0; i < writes; i++) {
  const t0 = performance.now();
  writeCheckpointFile(ckpt, { ...state!, describe: { bench: true }, fingerprint: "bench", backend: used, writtenAt: new Date().toISOString() });
  times.push((performance.now() - t0) / 1000);
}
const bytes = statSync(ckpt).size;
rmSync(dir, { recursive: true, force: true });
times.sort((a, b) => a - b);
const write = times[Math.floor(times.length / 2)]!;
const epochSeconds = batchSeconds * Math.ceil(54000 / batch);
console.log(JSON.stringify({
  pipeline: pipeline.name, backend: used, params: model.countParams(), checkpointBytes: bytes,
  checkpointSecondsMedian: Number(write.toFixed(4)), batchSeconds: Number(batchSeconds.toFixed(3)),
  fullEpochSecondsEstimate: Math.round(epochSeconds), overheadPercent: Number(((100 * write) / epochSeconds).toFixed(4)),
}));
