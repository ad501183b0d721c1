// Per-kernel time of a training step: every kernel registered for the wasm backend (which the
// native backend's kernels replace in place) is wrapped in a timer, then the pipeline's model
// trains `--batches` batches of synthetic data (after `--warmup` untimed ones). Prints one JSON
// line: ms per step, kernel calls per step in all, and ms and calls per step of the costliest kernels, their share of the step, and
// the step's wall time (kernels are synchronous on wasm and native, so their times add up; the
// rest is JavaScript between kernels: tape, tidy, optimizer bookkeeping).
// Usage: node --import tsx bench/kernel_profile.ts --model mnist_cnn|fashion_cnn|imdb_conv1d
//          [--backend native|wasm] [--batch 128] [--warmup 1] [--batches 3] [--top 15] [--by-shape]
//   --by-shape  key each row by the kernel and its first input's shape (which call sizes cost)
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tf, initBackend, trainModel, type BackendChoice, type CompiledPipeline, type Params } from "../runtime/index.ts";
import { compile } from "../compiler/driver.ts";
import { writeCompiled } from "../compiler/codegen/write.ts";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => (args.includes(name) ? args[args.indexOf(name) + 1] ?? dflt : dflt);
const model = opt("--model", "mnist_cnn");
const batch = Number(opt("--batch", "128"));
const warmup = Number(opt("--warmup", "1"));
const batches = Number(opt("--batches", "3"));
const top = Number(opt("--top", "15"));
const byShape = args.includes("--by-shape");
const here = dirname(fileURLToPath(import.meta.url));

const file = join(here, "..", "pipelines", `${model}.dlp`);
const r = compile(readFileSync(file, "utf8"), { file: `pipelines/${model}.dlp` });
if (r.hasErrors || !r.checked) throw new Error(`${file} does not compile`);
const modulePath = writeCompiled(r.checked, `pipelines/${model}.dlp`, r.sourceHash, join(here, "..", "build", ".bench"));
const { pipeline } = (await import(pathToFileURL(resolve(modulePath)).href)) as { pipeline: CompiledPipeline<Params> };
const backend = await initBackend(opt("--backend", "native") as BackendChoice);

const times = new Map<string, { ms: number; calls: number }>();
let timing = false;
for (const k of tf.getKernelsForBackend("wasm")) {
  const f = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, "wasm");
  tf.registerKernel({
    ...k,
    kernelFunc: ((a: Parameters<typeof f>[0]) => {
      if (!timing) return f(a);
      const t0 = performance.now();
      const out = f(a);
      const first = Object.values(a.inputs)[0] as tf.TensorInfo | undefined;
      const key = byShape ? `${k.kernelName} [${first?.shape.join(",") ?? ""}]` : k.kernelName;
      const e = times.get(key) ?? { ms: 0, calls: 0 };
      e.ms += performance.now() - t0;
      e.calls++;
      times.set(key, e);
      return out;
    }) as typeof f,
  });
}

const p = pipeline.defaults;
const dataSpec = pipeline.data(p);
const net = pipeline.buildModel(p);
const inputShape = net.inputs[0]!.shape.slice(1) as number[];
const per = inputShape.reduce((a, b) => a * b, 1);
const embedding = net.layers.find((l) => l.getClassName() === "Embedding");
const vocab = embedding ? (embedding.getConfig()["inputDim"] as number) : 0;
const labels = dataSpec.outputs[0]!.labels;
const classes = labels.kind === "class" ? labels.classes : 2;
const spec = { ...pipeline.train(p), batchSize: batch, callbacks: [] };
const run = async (n: number): Promise<number> => {
  const x = Float32Array.from({ length: n * per }, (_, i) => (vocab ? (i * 7919) % vocab : ((i * 2654435761) % 256) / 255));
  const y = Int32Array.from({ length: n }, (_, i) => (i * 7) % classes);
  const t0 = performance.now();
  await trainModel(net, spec, { train: { x, sampleShape: inputShape, y, yWidth: 1, n }, validation: null }, { epochs: 1, seed: 1, shuffle: false, augment: [], labels, quiet: true });
  return performance.now() - t0;
};
await run(warmup * batch);
timing = true;
const wall = await run(batches * batch);
timing = false;
const total = [...times.values()].reduce((s, e) => s + e.ms, 0);
const rows = [...times].sort((a, b) => b[1].ms - a[1].ms).slice(0, top);
console.log(JSON.stringify({
  model, backend, batch, load: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "),
  stepMs: Math.round(wall / batches), kernelMs: Math.round(total / batches),
  callsPerStep: [...times.values()].reduce((s, e) => s + e.calls, 0) / batches,
  kernels: Object.fromEntries(rows.map(([k, e]) => [k, { ms: Math.round((e.ms / batches) * 10) / 10, calls: e.calls / batches, share: Math.round((e.ms / total) * 1000) / 1000 }])),
}));
