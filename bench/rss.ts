// Peak resident memory while training on full Fashion-MNIST (60 000 training images, 10 000 test
// images) through runPipeline, as `dlpc run` does: data loading, splits, training batches,
// validation and test evaluation. The peak is the kernel's high-water mark (VmHWM in
// /proc/self/status) and is also sampled every 50 ms with the phase it was reached in.
// Usage: node --import tsx bench/rss.ts [--pipeline pipelines/fashion_cnn.dlp] [--source fashion_mnist]
//          [--batches K] [--limit N] [--backend wasm]
//   --pipeline  the .dlp to compile (default pipelines/fashion_cnn.dlp)
//   --source    replace the pipeline's data source (e.g. run mnist_cnn.dlp on fashion_mnist)
//   --batches   stop training after K batches (the data set is still loaded whole); default: a full epoch
//   --limit     cap training/test samples (quick runs; the recorded figure uses none)
// Prints one JSON object.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { runPipeline, type BackendChoice, type CompiledPipeline, type Params, type SourceSpec } from "../runtime/index.ts";
import { compile } from "../compiler/driver.ts";
import { writeCompiled } from "../compiler/codegen/write.ts";

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const file = opt("--pipeline") ?? "pipelines/fashion_cnn.dlp";
const source = opt("--source");
const batches = opt("--batches") !== undefined ? Number(opt("--batches")) : undefined;
const limit = opt("--limit") !== undefined ? Number(opt("--limit")) : undefined;
const backend = (opt("--backend") ?? "wasm") as BackendChoice;
if (batches !== undefined && !(batches > 0)) throw new Error("--batches takes a positive number");
if (limit !== undefined && !(limit > 0)) throw new Error("--limit takes a positive number");

const MiB = 2 ** 20;
function status(field: "VmHWM" | "VmRSS"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

let phase = "start";
let peak = { bytes: 0, phase };
const sample = (): void => {
  const rss = status("VmRSS");
  if (rss > peak.bytes) peak = { bytes: rss, phase };
};
const timer = setInterval(sample, 50);

const r = compile(readFileSync(file, "utf8"), { file });
if (r.hasErrors || !r.checked) throw new Error(`${file} does not compile`);
const modulePath = writeCompiled(r.checked, file, r.sourceHash, "build/.bench");
const { pipeline: compiled } = (await import(pathToFileURL(resolve(modulePath)).href)) as { pipeline: CompiledPipeline<Params> };
const pipeline: CompiledPipeline<Params> = source
  ? { ...compiled, data: (p) => ({ ...compiled.data(p), source: { kind: source } as SourceSpec }) }
  : compiled;
const baseline = status("VmRSS");

let seen = 0;
let firstEpochLogged = false;
phase = "load";
const t0 = performance.now();
const result = await runPipeline(pipeline, {
  backend, epochs: 1, quiet: true, save: false, report: false,
  ...(limit !== undefined ? { limit } : {}),
  shouldStop: () => {
    if (phase === "evaluate") return false; // the poll after the epoch, not a batch
    seen++;
    if (!firstEpochLogged) { firstEpochLogged = true; phase = "train"; }
    return batches !== undefined && seen >= batches;
  },
  onEpochEnd: () => { phase = "evaluate"; },
});
const seconds = (performance.now() - t0) / 1000;
clearInterval(timer);
sample();
const hwm = status("VmHWM");
console.log(JSON.stringify({
  pipeline: pipeline.name, file, source: source ?? pipeline.data(pipeline.defaults).source.kind, backend: result.backend,
  params: result.metrics.params, data: result.metrics.data, batchesTrained: seen, epochs: result.epochsRun,
  test: result.metrics.test, seconds: Math.round(seconds),
  baselineMiB: Math.round(baseline / MiB),
  peakRssMiB: Math.round(hwm / MiB),
  sampledPeak: { MiB: Math.round(peak.bytes / MiB), phase: peak.phase },
}));
result.model.dispose();
