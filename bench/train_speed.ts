// Training throughput of a pipeline's model through the dlp runtime's training loop, per backend,
// next to the same model in PyTorch (bench/train_speed.py), all in one run. The model is the one
// dlpc compiles from pipelines/<model>.dlp (its default params), with its loss and optimizer; the
// data is random of the pipeline's input shape (images, or token ids below the vocabulary), no
// augmentation. Each variant runs in its own process (so its peak RSS is its own): `--warmup`
// batches, then `--batches` timed ones. PyTorch runs with OMP_WAIT_POLICY=passive, with 1 and with
// 2 threads, and the faster counts. Prints one JSON object: samples/s, peak RSS (VmHWM) and the
// ratio to PyTorch for each variant.
// Usage: node --import tsx bench/train_speed.ts [--model mnist_cnn|fashion_cnn|imdb_conv1d]
//          [--backend wasm[,native,...]] [--baseline] [--batch 128] [--warmup 2] [--batches 5] [--rounds 1] [--no-torch]
//   --backend   comma-separated backend choices, as `dlpc run --backend` takes them
//   --rounds    run every variant (and PyTorch) this many times, interleaved, and keep each one's
//               fastest: on a shared machine a load spike then hits one round, not one variant
//   --baseline  also run wasm with tfjs-wasm's own Conv2DBackpropInput, BatchMatMul and Sum kernels
//               (dlp's replacements undone): the figures before runtime/wasm_kernels.ts's fixes
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join, resolve } from "node:path";
import { tf, initBackend, trainModel, BACKEND_CHOICES, type BackendChoice, type CompiledPipeline, type Params } from "../runtime/index.ts";
import { SHIPPED_WASM_KERNELS } from "../runtime/wasm_kernels.ts";
import { compile } from "../compiler/driver.ts";
import { writeCompiled } from "../compiler/codegen/write.ts";

const MODELS = ["mnist_cnn", "fashion_cnn", "imdb_conv1d"] as const;
const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => (args.includes(name) ? args[args.indexOf(name) + 1] ?? dflt : dflt);
const int = (name: string, dflt: number): number => {
  const v = Number(opt(name, String(dflt)));
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} takes a positive integer, not ${opt(name, "")}`);
  return v;
};
const model = opt("--model", "mnist_cnn");
if (!(MODELS as readonly string[]).includes(model)) throw new Error(`--model takes one of ${MODELS.join(", ")}, not ${model}`);
const batch = int("--batch", 128);
const warmup = int("--warmup", 2);
const batches = int("--batches", 5);
const rounds = int("--rounds", 1);
const here = dirname(fileURLToPath(import.meta.url));

/** One variant, in this process: train `warmup` then `batches` batches; prints one JSON line. */
async function child(choice: BackendChoice, shipped: boolean): Promise<void> {
  const file = join(here, "..", "pipelines", `${model}.dlp`);
  const r = compile(readFileSync(file, "utf8"), { file: `pipelines/${model}.dlp` });
  if (r.hasErrors || !r.checked) throw new Error(`${file} does not compile`);
  const modulePath = writeCompiled(r.checked, `pipelines/${model}.dlp`, r.sourceHash, join(here, "..", "build", ".bench"));
  const { pipeline } = (await import(pathToFileURL(resolve(modulePath)).href)) as { pipeline: CompiledPipeline<Params> };
  const backend = await initBackend(choice);
  if (shipped) {
    for (const name of ["Conv2DBackpropInput", "BatchMatMul", "Sum"]) {
      const mine = tf.getKernel(name, "wasm")!;
      tf.unregisterKernel(name, "wasm");
      tf.registerKernel({ ...mine, kernelFunc: SHIPPED_WASM_KERNELS.get(name)! as unknown as tf.KernelFunc });
    }
  }
  const p = pipeline.defaults;
  const dataSpec = pipeline.data(p);
  const net = pipeline.buildModel(p);
  const inputShape = (net.inputs[0]!.shape.slice(1) as number[]);
  const per = inputShape.reduce((a, b) => a * b, 1);
  const embedding = net.layers.find((l) => l.getClassName() === "Embedding");
  const vocab = embedding ? (embedding.getConfig()["inputDim"] as number) : 0;
  const labels = dataSpec.outputs[0]!.labels;
  const classes = labels.kind === "class" ? labels.classes : 2;
  const make = (n: number): { x: Float32Array; y: Int32Array } => ({
    x: Float32Array.from({ length: n * per }, (_, i) => (vocab ? (i * 7919) % vocab : ((i * 2654435761) % 256) / 255)),
    y: Int32Array.from({ length: n }, (_, i) => (i * 7) % classes),
  });
  const spec = { ...pipeline.train(p), batchSize: batch, callbacks: [] };
  const run = async (n: number): Promise<number> => {
    const { x, y } = make(n);
    const t0 = performance.now();
    await trainModel(net, spec, { train: { x, sampleShape: inputShape, y, yWidth: 1, n }, validation: null }, { epochs: 1, seed: 1, shuffle: false, augment: [], labels, quiet: true });
    return (performance.now() - t0) / 1000;
  };
  await run(warmup * batch);
  const seconds = await run(batches * batch);
  const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"));
  console.log(JSON.stringify({
    backend: shipped ? `${backend} (tfjs-wasm's shipped kernels)` : backend,
    samplesPerSecond: Math.round((batches * batch / seconds) * 10) / 10,
    peakRssMiB: hwm ? Math.round(Number(hwm[1]) / 1024) : null,
    params: net.countParams(),
  }));
  net.dispose();
}

type Figures = { samplesPerSecond?: number; peakRssMiB?: number | null; error?: string; [k: string]: unknown };

function last(p: ReturnType<typeof spawnSync>): Figures {
  const out = String(p.stdout ?? "").trim().split("\n").pop() ?? "";
  if (p.status === 0 && out.startsWith("{")) return JSON.parse(out) as Figures;
  const err = String(p.stderr ?? "").trim().split("\n").filter((l) => l.trim()).pop();
  return { error: err ?? `exit ${p.status ?? p.signal}` };
}

if (args.includes("--child")) {
  await child(opt("--backend", "wasm") as BackendChoice, args.includes("--shipped"));
} else {
  const choices = opt("--backend", "wasm").split(",").map((s) => s.trim()).filter(Boolean);
  for (const c of choices) {
    if (!(BACKEND_CHOICES as readonly string[]).includes(c)) throw new Error(`--backend takes ${BACKEND_CHOICES.join(", ")} (comma-separated), not ${c}`);
  }
  const common = ["--model", model, "--batch", String(batch), "--warmup", String(warmup), "--batches", String(batches)];
  const variants = [...choices.map((c) => ({ label: c, extra: ["--backend", c] })), ...(args.includes("--baseline") ? [{ label: "wasm-baseline", extra: ["--backend", "wasm", "--shipped"] }] : [])];
  const result: Record<string, unknown> = { model, batch, warmup, batches, rounds, load: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ") };
  const env = { ...process.env, OMP_WAIT_POLICY: process.env["OMP_WAIT_POLICY"] ?? "passive" };
  const withTorch = !args.includes("--no-torch");
  const faster = (a: Figures | undefined, b: Figures): Figures =>
    !a || typeof a.samplesPerSecond !== "number" || (typeof b.samplesPerSecond === "number" && b.samplesPerSecond > a.samplesPerSecond) ? b : a;
  const torchRuns: Figures[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const v of variants) {
      const p = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--child", ...common, ...v.extra], { encoding: "utf8", env, maxBuffer: 1 << 24 });
      result[v.label] = faster(result[v.label] as Figures | undefined, last(p));
    }
    if (withTorch) {
      for (const threads of [1, 2]) {
        const r = last(spawnSync("/usr/bin/python3", [join(here, "train_speed.py"), ...common, "--threads", String(threads)], { encoding: "utf8", env }));
        torchRuns.push(r);
        // The PyTorch twin must be the .dlp model: same parameter count, or the ratio means nothing.
        const ours = (result[variants[0]!.label] as Figures | undefined)?.["params"];
        if (typeof r["params"] === "number" && typeof ours === "number" && r["params"] !== ours) throw new Error(`bench/train_speed.py's ${model} has ${r["params"]} parameters, pipelines/${model}.dlp ${ours}`);
        result["pytorch"] = faster(result["pytorch"] as Figures | undefined, r);
      }
    }
  }
  if (withTorch) {
    result["pytorch_runs"] = torchRuns.map((r) => ({ threads: r["threads"], samplesPerSecond: r.samplesPerSecond, error: r.error }));
    const t = (result["pytorch"] as Figures).samplesPerSecond;
    if (t) {
      const ratio: Record<string, number> = {};
      for (const v of variants) {
        const s = (result[v.label] as Figures).samplesPerSecond;
        if (s) ratio[v.label] = Math.round((s / t) * 1000) / 1000;
      }
      result["over_pytorch"] = ratio;
    }
  }
  result["load_after"] = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(JSON.stringify(result));
}
