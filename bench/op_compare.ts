// Op-by-op time of one training step, dlp's native backend against PyTorch (issue 11: no single
// kernel of ours above what PyTorch spends on the same op). Runs, interleaved, `--rounds` times:
// bench/kernel_profile.ts (every kernel of a native step timed) and bench/train_speed.py --profile
// (torch.profiler's self CPU time per operator) at 1 and 2 threads, OMP_WAIT_POLICY=passive. Each
// side's kernels are grouped by what they compute (the table below); each side's figures are
// those of its fastest run (PyTorch: one thread count, the faster). Profiling slows both sides (a
// timer around every kernel, torch.profiler's bookkeeping): read the step times as profiled ones,
// the speed ratio from bench/train_speed.ts.
// Usage: node --import tsx bench/op_compare.ts --model mnist_cnn|fashion_cnn|imdb_conv1d
//          [--rounds 2] [--warmup 2] [--batches 8]
// Prints a Markdown table and then one JSON line.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => (args.includes(name) ? args[args.indexOf(name) + 1] ?? dflt : dflt);
const model = opt("--model", "mnist_cnn");
const rounds = Number(opt("--rounds", "2"));
const common = ["--model", model, "--warmup", opt("--warmup", "2"), "--batches", opt("--batches", "8")];
const here = dirname(fileURLToPath(import.meta.url));

/** What each kernel (dlp: tfjs kernel names; PyTorch: aten operators) computes. */
const GROUPS: [string, RegExp, RegExp][] = [
  ["convolution forward (with bias, relu)", /^(FusedConv2D|Conv2D|FusedDepthwiseConv2D|DepthwiseConv2dNative)$/, /^aten::(mkldnn_convolution|_convolution|convolution|conv[12]d|clamp_min|relu)$/],
  ["convolution backward (input, filter, bias)", /^(Conv2DBackpropInput|Conv2DBackpropFilter|DlpReluGradSum)$/, /^aten::(convolution_backward|threshold_backward)$/],
  // One row: PyTorch's forward records each window's argmax, which its backward only scatters to.
  ["max pooling, forward + backward", /^(MaxPool|MaxPoolGrad)$/, /^aten::max_pool[12]d(_with_indices)?(_backward)?$/],
  ["dense (matmul, bias)", /^(_FusedMatMul|BatchMatMul|MatMul)$/, /^aten::(mm|addmm|bmm|linear)$/],
  ["relu gradient of dense layers", /^DlpReluGrad$/, /^$/],
  ["embedding (gather, its gradient)", /^(GatherV2|UnsortedSegmentSum|ScatterNd)$/, /^aten::(embedding|embedding_backward|embedding_dense_backward|index_select|index_add_|embedding_renorm_)$/],
  ["dropout (mask, scale)", /^(DlpUniform|Floor|RealDiv)$/, /^aten::(bernoulli_|div_|native_dropout|native_dropout_backward)$/],
  ["optimizer update", /^(DlpAdamUpdate|DlpRmsPropUpdate)$/, /^(Optimizer\.step#.*|aten::(_foreach_.*|addcmul_|addcdiv_|sqrt|lerp_|add_|mul_))$/],
  ["loss and softmax", /^(Softmax|Log|Exp|LogSoftmax|Max|Neg|Sigmoid|Softplus|Maximum|Minimum|ClipByValue)$/, /^aten::(_log_softmax|_log_softmax_backward_data|nll_loss_forward|nll_loss_backward|binary_cross_entropy_with_logits.*|sigmoid.*)$/],
  // PyTorch sums bias gradients inside convolution_backward and addmm's backward (mm + sum).
  ["sums (dense bias gradients, loss mean)", /^(Sum|Mean)$/, /^aten::(sum|mean)$/],
];
const groupOf = (name: string, side: 1 | 2): string => GROUPS.find((g) => g[side].test(name))?.[0] ?? `other: ${name}`;

type Row = Record<string, number>;
function grouped(ops: Record<string, { ms: number }>, side: 1 | 2): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(ops)) out[groupOf(k, side)] = (out[groupOf(k, side)] ?? 0) + v.ms;
  return out;
}
function lastJson(p: ReturnType<typeof spawnSync>, what: string): Record<string, unknown> {
  const line = String(p.stdout).trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (p.status !== 0 || !line) throw new Error(`${what} failed (exit ${p.status}):\n${String(p.stderr).slice(-2000)}`);
  return JSON.parse(line) as Record<string, unknown>;
}
let dlp: Row = {}, torch: Row = {};
let dlpStep = Infinity, torchStep = Infinity, torchThreads = 0;
const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
for (let r = 0; r < rounds; r++) {
  const k = lastJson(spawnSync(process.execPath, ["--import", "tsx", join(here, "kernel_profile.ts"), ...common, "--backend", "native", "--top", "60"], { encoding: "utf8", maxBuffer: 1 << 24 }), "kernel_profile.ts");
  if (k["backend"] !== "native") throw new Error(`kernel_profile ran on ${String(k["backend"])}, not native`);
  if ((k["stepMs"] as number) < dlpStep) {
    dlpStep = k["stepMs"] as number;
    dlp = { ...grouped(k["kernels"] as Record<string, { ms: number }>, 1), "(outside kernels)": dlpStep - (k["kernelMs"] as number) };
  }
  // PyTorch at 1 and 2 threads: the faster one's ops (per round).
  const runs = [1, 2].map((t) => lastJson(spawnSync("/usr/bin/python3", [join(here, "train_speed.py"), ...common, "--threads", String(t), "--profile", "--top", "60"], { encoding: "utf8", env: { ...process.env, OMP_WAIT_POLICY: "passive" }, maxBuffer: 1 << 24 }), "train_speed.py"));
  const best = runs.reduce((a, b) => ((a["stepMs"] as number) <= (b["stepMs"] as number) ? a : b));
  if ((best["stepMs"] as number) < torchStep) {
    torchStep = best["stepMs"] as number;
    torchThreads = best["threads"] as number;
    torch = grouped(best["ops"] as Record<string, { ms: number }>, 2);
  }
}

// Groups under 0.5 ms a step on both sides are one row.
const SMALL = "other kernels, under 0.5 ms each";
for (const side of [dlp, torch]) {
  for (const [k, v] of Object.entries(side)) {
    if (k.startsWith("other: ") && v < 0.5 && (dlp[k] ?? 0) < 0.5 && (torch[k] ?? 0) < 0.5) {
      side[SMALL] = (side[SMALL] ?? 0) + v;
      delete side[k];
    }
  }
}
const names = [...new Set([...Object.keys(dlp), ...Object.keys(torch)])].sort((a, b) => Math.max(dlp[b] ?? 0, torch[b] ?? 0) - Math.max(dlp[a] ?? 0, torch[a] ?? 0));
const f = (x: number | undefined): string => (x === undefined ? "—" : x.toFixed(1));
console.log(`${model}, ms per step (batch 128), the fastest of ${rounds} rounds on each side, load ${load}; PyTorch at ${torchThreads} thread(s)\n`);
console.log("| op | dlp native | PyTorch | native / PyTorch |\n|---|---:|---:|---:|");
for (const n of names) console.log(`| ${n} | ${f(dlp[n])} | ${f(torch[n])} | ${dlp[n] !== undefined && torch[n] ? (dlp[n]! / torch[n]!).toFixed(2) : "—"} |`);
console.log(`| **step (profiled)** | ${f(dlpStep)} | ${f(torchStep)} | ${(dlpStep / torchStep).toFixed(2)} |\n`);
console.log(JSON.stringify({ model, rounds, load, loadAfter: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "), dlpStepMs: dlpStep, torchStepMs: torchStep, torchThreads, dlp, torch }));
