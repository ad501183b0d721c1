// Hyperband against random search on a real pipeline (bench/hyperband_space.dlp: an MLP on the
// embedded MNIST digits), same space, same machine, one run each through `dlpc tune`.
// Random search: 20 trials of 9 epochs. Hyperband: max_epochs 9, factor 3, one iteration.
// Prints one JSON line per study seed (each study's best val_accuracy and total epochs trained),
// then one with the medians over seeds.
// Usage: npx tsx bench/hyperband.ts [--backend wasm|cpu] [--limit N] [--seeds K]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = process.argv.slice(2);
const opt = (k: string, d: string): string => (args.includes(k) ? args[args.indexOf(k) + 1]! : d);
const backend = opt("--backend", "wasm");
const limit = opt("--limit", "");
const seeds = Number(opt("--seeds", "1"));
const space = readFileSync(new URL("./hyperband_space.dlp", import.meta.url), "utf8");
const dir = mkdtempSync(join(tmpdir(), "dlp-hb-bench-"));

interface Trial { status: string; value: number | null; epochsRun: number }
function study(strategy: string, seed: number): { best: number; epochs: number; trials: number; seconds: number } {
  const file = join(dir, `${strategy.split("(")[0]}.dlp`);
  writeFileSync(file, space.replace("strategy  random(trials: 20)", `strategy  ${strategy}`).replace("seed 21", `seed ${seed}`));
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ["bin/dlpc.mjs", "tune", file, "--out", join(dir, "out"), "--backend", backend, "--quiet", ...(limit ? ["--limit", limit] : [])], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  if (r.status !== 0) throw new Error(`dlpc tune (${strategy}) failed:\n${r.stderr}`);
  const { trials } = JSON.parse(readFileSync(join(dir, "out", "hb_bench", "tune", "trials.json"), "utf8")) as { trials: Trial[] };
  rmSync(join(dir, "out"), { recursive: true, force: true });
  const done = trials.filter((t) => t.status === "complete");
  return { best: Math.max(...done.map((t) => t.value!)), epochs: trials.reduce((a, t) => a + t.epochsRun, 0), trials: trials.length, seconds: Math.round((Date.now() - t0) / 1000) };
}

const median = (xs: number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
};
const runs: { random: ReturnType<typeof study>; hyperband: ReturnType<typeof study> }[] = [];
for (let k = 0; k < seeds; k++) {
  const seed = 21 + k;
  const random = study("random(trials: 20)", seed);
  const hyperband = study("hyperband(max_epochs: 9, factor: 3, iterations: 1)", seed);
  runs.push({ random, hyperband });
  console.log(JSON.stringify({ seed, backend, random, hyperband, epochRatio: Math.round((hyperband.epochs / random.epochs) * 1000) / 1000, reachedRandomBest: hyperband.best >= random.best }));
}
rmSync(dir, { recursive: true, force: true });
const mr = median(runs.map((r) => r.random.best));
const mh = median(runs.map((r) => r.hyperband.best));
console.log(JSON.stringify({
  pipeline: "bench/hyperband_space.dlp", backend, seeds,
  medianBest: { random: mr, hyperband: mh },
  medianEpochs: { random: median(runs.map((r) => r.random.epochs)), hyperband: median(runs.map((r) => r.hyperband.epochs)) },
  reachedRandomBest: mh >= mr,
}));
