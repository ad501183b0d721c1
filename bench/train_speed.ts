// Training throughput of the mnist_cnn model (conv 32 3×3 relu, max_pool 2, conv 64 3×3 relu,
// max_pool 2, flatten, dense 128 relu, dense 10 softmax; batch 128, adam) through the dlp
// runtime's training loop on the wasm backend, next to PyTorch (bench/train_speed.py) in the
// same run. Prints one JSON object.
// Usage: node --import tsx bench/train_speed.ts [--samples 2560] [--no-torch]
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { tf, initBackend, trainModel, type TrainSpec } from "../runtime/index.ts";
import type { Split } from "../runtime/data/types.ts";
import { handWrittenMnistCnn } from "./mnist_cnn_tfjs.ts";

const args = process.argv.slice(2);
const samples = Number(args[args.indexOf("--samples") + 1] ?? 0) || 2560;
const withTorch = !args.includes("--no-torch");

async function tfjs(backend: "wasm" | "cpu", n: number): Promise<{ samplesPerSecond: number; backend: string }> {
  const name = await initBackend(backend);
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = ((i * 2654435761) % 256) / 255;
  const train: Split = { x, sampleShape: [28, 28, 1], y: Int32Array.from({ length: n }, (_, i) => i % 10), yWidth: 1, n };
  const spec: TrainSpec = { loss: "categorical_crossentropy", optimizer: { name: "adam", learningRate: 1e-3 }, batchSize: 128, epochs: 1, metrics: [{ name: "accuracy" }], callbacks: [] };
  const model = handWrittenMnistCnn();
  const labels = { kind: "class", classes: 10, encoding: "onehot" } as const;
  // One warm-up epoch (kernel setup, XNNPACK operator caches), then the timed one.
  await trainModel(model, spec, { train: { ...train, n: 256, x: x.subarray(0, 256 * 784), y: train.y.subarray(0, 256) }, validation: null }, { epochs: 1, seed: 1, shuffle: false, augment: [], labels, quiet: true });
  const r = await trainModel(model, spec, { train, validation: null }, { epochs: 1, seed: 1, shuffle: true, augment: [], labels, quiet: true });
  model.dispose();
  return { samplesPerSecond: Math.round(r.trainSamplesPerSecond * 10) / 10, backend: name };
}

const result: Record<string, unknown> = { model: "mnist_cnn", batchSize: 128, samples, threads: 2 };
result["dlp_wasm"] = await tfjs("wasm", samples);
if (withTorch) {
  const script = join(dirname(fileURLToPath(import.meta.url)), "train_speed.py");
  const p = spawnSync("/usr/bin/python3", [script, "--samples", String(samples)], { encoding: "utf8" });
  if (p.status === 0) result["pytorch"] = JSON.parse(p.stdout.trim().split("\n").pop()!);
  else result["pytorch"] = { error: (p.stderr || p.stdout).trim().split("\n").pop() };
}
const w = (result["dlp_wasm"] as { samplesPerSecond: number }).samplesPerSecond;
const t = (result["pytorch"] as { samplesPerSecond?: number } | undefined)?.samplesPerSecond;
if (t) result["pytorch_over_wasm"] = Math.round((t / w) * 100) / 100;
result["rssMiB"] = Math.round(process.memoryUsage().rss / 2 ** 20);
console.log(JSON.stringify(result));
