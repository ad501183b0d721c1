// Overhead of dlp-generated code against the same model written by hand in tfjs, same backend,
// same data, same batch size and optimizer. Three variants, run in rotating order each round so
// that drift in machine load hits all of them alike:
//   generated  pipelines/mnist_cnn.dlp compiled by dlpc (driver + emitter), its buildModel(), its
//              train() spec, trained by the dlp runtime's loop (what `dlpc run` does)
//   hand_loop  a hand-written tf.sequential of the same layers, trained by the same runtime loop
//   hand_fit   the hand-written model with tfjs's own model.compile + model.fit (plain tfjs)
// Data: the pipeline's data spec (real MNIST digits), first --samples training samples.
// Prints one JSON object with samples/s per variant (fastest and median epoch over the rounds)
// and the overheads generated vs hand_fit and generated vs hand_loop, in percent (positive:
// generated is slower).
// Usage: node --import tsx bench/overhead.ts [--samples 2560] [--rounds 5] [--backend wasm]
import { readFileSync } from "node:fs";
import { tf, initBackend, loadDataset, trainModel, type BackendChoice, type CompiledPipeline, type Params } from "../runtime/index.ts";
import { compile } from "../compiler/driver.ts";
import { handWrittenMnistCnn } from "./mnist_cnn_tfjs.ts";
import { writeCompiled } from "../compiler/codegen/write.ts";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => (args.includes(name) ? args[args.indexOf(name) + 1] ?? dflt : dflt);
const samples = Number(opt("--samples", "2560"));
const rounds = Number(opt("--rounds", "5"));
const backend = opt("--backend", "wasm") as BackendChoice;
if (!(samples > 0) || !(rounds > 0)) throw new Error("--samples and --rounds take positive numbers");

const file = "pipelines/mnist_cnn.dlp";
const r = compile(readFileSync(file, "utf8"), { file });
if (r.hasErrors || !r.checked) throw new Error(`${file} does not compile`);
const modulePath = writeCompiled(r.checked, file, r.sourceHash, "build/.bench");
const { pipeline } = (await import(pathToFileURL(resolve(modulePath)).href)) as { pipeline: CompiledPipeline<Params> };

const backendName = await initBackend(backend);
const params = pipeline.defaults;
const dataSpec = pipeline.data(params);
const spec = { ...pipeline.train(params), callbacks: [] };
const data = await loadDataset({ ...dataSpec, split: {} }, { seed: pipeline.seed, limit: samples });
const train = data.train;
const labels = dataSpec.outputs[0]!.labels;
if (labels.kind !== "class") throw new Error("expected a classifier");

const handWritten = (): tf.LayersModel => handWrittenMnistCnn("hand");

const xAll = tf.tensor(train.x, [train.n, ...train.sampleShape]);
const yAll = tf.oneHot(tf.tensor1d(Int32Array.from(train.y), "int32"), labels.classes).toFloat();

async function viaLoop(model: tf.LayersModel, n: number): Promise<number> {
  const part = n === train.n ? train : { ...train, n, x: train.x.subarray(0, n * 784), y: train.y.subarray(0, n) };
  const t0 = performance.now();
  await trainModel(model, { ...spec, epochs: 1 }, { train: part, validation: null }, { epochs: 1, seed: 1, shuffle: true, augment: [], labels, quiet: true });
  return (performance.now() - t0) / 1000;
}

async function viaFit(model: tf.LayersModel, n: number): Promise<number> {
  if (!model.optimizer) model.compile({ optimizer: tf.train.adam(spec.optimizer.learningRate), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const x = n === train.n ? xAll : xAll.slice(0, n);
  const y = n === train.n ? yAll : yAll.slice(0, n);
  const t0 = performance.now();
  await model.fit(x, y, { batchSize: spec.batchSize, epochs: 1, shuffle: true, verbose: 0 });
  const dt = (performance.now() - t0) / 1000;
  if (x !== xAll) tf.dispose([x, y]);
  return dt;
}

type Variant = { name: string; build: () => tf.LayersModel; run: (m: tf.LayersModel, n: number) => Promise<number> };
const variants: Variant[] = [
  { name: "generated", build: () => pipeline.buildModel(params), run: viaLoop },
  { name: "hand_loop", build: handWritten, run: viaLoop },
  { name: "hand_fit", build: handWritten, run: viaFit },
];
const models = new Map<string, tf.LayersModel>();
for (const v of variants) {
  const m = v.build();
  assertSameParams(m);
  models.set(v.name, m);
  await v.run(m, Math.min(train.n, 2 * spec.batchSize)); // warm-up: kernel setup, XNNPACK caches
}

function assertSameParams(m: tf.LayersModel): void {
  if (m.countParams() !== 34_826) throw new Error(`model has ${m.countParams()} params, expected 34 826`);
}

const times: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.name, []]));
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < variants.length; k++) {
    const v = variants[(round + k) % variants.length]!;
    times[v.name]!.push(await v.run(models.get(v.name)!, train.n));
  }
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
// Other processes on a shared machine only ever add time, so the fastest epoch of each variant is
// the least disturbed estimate; the median is printed next to it.
const best = (xs: number[]): number => Math.min(...xs);
const rate = (name: string, f: (xs: number[]) => number): number => Math.round((train.n / f(times[name]!)) * 10) / 10;
const pct = (a: string, b: string, f: (xs: number[]) => number): number => Math.round((f(times[a]!) / f(times[b]!) - 1) * 1000) / 10;
const names = variants.map((v) => v.name);
console.log(JSON.stringify({
  model: "mnist_cnn", backend: backendName, batchSize: spec.batchSize, samples: train.n, rounds,
  samplesPerSecond: { best: Object.fromEntries(names.map((n) => [n, rate(n, best)])), median: Object.fromEntries(names.map((n) => [n, rate(n, median)])) },
  overheadPercent: {
    best: { generated_vs_hand_fit: pct("generated", "hand_fit", best), generated_vs_hand_loop: pct("generated", "hand_loop", best) },
    median: { generated_vs_hand_fit: pct("generated", "hand_fit", median), generated_vs_hand_loop: pct("generated", "hand_loop", median) },
  },
  secondsPerEpoch: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.map((t) => Math.round(t * 100) / 100)])),
}));
for (const m of models.values()) m.dispose();
tf.dispose([xAll, yAll]);
