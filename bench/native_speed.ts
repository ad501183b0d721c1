// Training throughput of a pipeline's model (pipelines/<model>.dlp, compiled by dlpc, default
// params, batch 128, its own loss and optimizer) on synthetic inputs through the dlp runtime's
// training loop, on one backend per process (the native backend's kernels replace wasm's, so the
// two are measured in separate processes). --profile prints the per-kernel time of one step.
// Usage: node --import tsx bench/native_speed.ts --model mnist_cnn|fashion_cnn [--backend native|wasm]
//        [--samples 1280] [--profile]
// Prints one JSON line: { model, backend, samplesPerSecond, rssMiB, profile? }.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compile } from "../compiler/driver.ts";
import { emitPipeline } from "../compiler/codegen/emit.ts";
import { tf, initBackend, nativeFallbacks, trainModel, type BackendChoice, type CompiledPipeline, type Params } from "../runtime/index.ts";
import type { Split } from "../runtime/data/types.ts";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : dflt);
const modelName = opt("--model", "mnist_cnn");
const backend = opt("--backend", "native") as BackendChoice;
const samples = Number(opt("--samples", "1280"));
const root = join(dirname(fileURLToPath(import.meta.url)), "..");

const file = join("pipelines", `${modelName}.dlp`);
const r = compile(readFileSync(join(root, file), "utf8"), { file });
if (r.hasErrors || !r.checked) throw new Error(`${file} does not compile`);
const dir = join(root, "build", ".bench", String(process.pid));
mkdirSync(dir, { recursive: true });
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
const modulePath = join(dir, `${modelName}.ts`);
writeFileSync(modulePath, emitPipeline(r.checked, file, r.sourceHash));
const { pipeline } = (await import(pathToFileURL(modulePath).href)) as { pipeline: CompiledPipeline<Params> };

const name = await initBackend(backend);
const params = pipeline.defaults;
const data = pipeline.data(params);
const inputShape = data.inputs[0]!.shape.map((d) => d ?? 1);
const per = inputShape.reduce((a, b) => a * b, 1);
const x = new Float32Array(samples * per);
for (let i = 0; i < x.length; i++) x[i] = ((i * 2654435761) % 256) / 255;
const classes = data.outputs[0]!.labels.kind === "class" ? data.outputs[0]!.labels.classes : 2;
const train: Split = { x, sampleShape: inputShape, y: Int32Array.from({ length: samples }, (_, i) => i % classes), yWidth: 1, n: samples };
const spec = { ...pipeline.train(params), batchSize: 128, epochs: 1, callbacks: [] };
const model = pipeline.buildModel(params);
const opts = { epochs: 1, seed: 1, shuffle: false, augment: [], labels: data.outputs[0]!.labels, quiet: true };
// One warm-up epoch of two batches (primitive creation, caches), then the timed one.
await trainModel(model, spec, { train: { ...train, n: 256, x: x.subarray(0, 256 * per), y: train.y.subarray(0, 256) }, validation: null }, opts);
const t = await trainModel(model, spec, { train, validation: null }, opts);
const result: Record<string, unknown> = { model: modelName, backend: name, samples, samplesPerSecond: Math.round(t.trainSamplesPerSecond * 10) / 10 };
if (args.includes("--profile")) {
  const one = { train: { ...train, n: 128, x: x.subarray(0, 128 * per), y: train.y.subarray(0, 128) }, validation: null };
  const info = await tf.profile(async () => { await trainModel(model, spec, one, opts); });
  const byKernel = new Map<string, number>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + ms);
    total += ms;
  }
  result["profileMs"] = Object.fromEntries([...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => [k, Math.round(v * 10) / 10]));
  result["profileTotalMs"] = Math.round(total);
  result["fallbacks"] = Object.fromEntries(nativeFallbacks);
}
result["rssMiB"] = Math.round(process.memoryUsage().rss / 2 ** 20);
console.log(JSON.stringify(result));
