// Tuning benchmark: median over seeds of the best value found in N trials on a standard test
// function (minimisation). Usage:
//   npx tsx bench/tuning.ts --fn branin|hartmann6 --trials 50 --seeds 20 --strategy random|bayesian|grid|hyperband|asha
// Prints one JSON line: {fn, strategy, trials, seeds, medianBest, meanBest, seconds}.
import type { ParamSpec, StrategySpec, TuneSpec } from "../runtime/spec.ts";
import { MemoryStorage } from "../runtime/tune/storage.ts";
import { runStudy } from "../runtime/tune/study.ts";

export function branin(x1: number, x2: number): number {
  const a = 1, b = 5.1 / (4 * Math.PI ** 2), c = 5 / Math.PI, r = 6, s = 10, t = 1 / (8 * Math.PI);
  return a * (x2 - b * x1 * x1 + c * x1 - r) ** 2 + s * (1 - t) * Math.cos(x1) + s;
}

const H_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
];
export function hartmann6(x: number[]): number {
  let sum = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) inner += H_A[i]![j]! * (x[j]! - H_P[i]![j]! * 1e-4) ** 2;
    sum += H_ALPHA[i]! * Math.exp(-inner);
  }
  return -sum;
}

interface Problem {
  params: ParamSpec[];
  f: (p: Record<string, number>) => number;
}

function uniform(name: string, low: number, high: number, step?: number): ParamSpec {
  return { name, default: low, affectsShape: false, space: step === undefined ? { kind: "uniform", low, high } : { kind: "uniform", low, high, step } };
}

export function problem(fn: string, gridStep: boolean): Problem {
  if (fn === "branin") {
    return {
      params: [uniform("x1", -5, 10, gridStep ? 15 / 6 : undefined), uniform("x2", 0, 15, gridStep ? 15 / 6 : undefined)],
      f: (p) => branin(p.x1!, p.x2!),
    };
  }
  if (fn === "hartmann6") {
    return {
      params: [0, 1, 2, 3, 4, 5].map((i) => uniform(`x${i}`, 0, 1, gridStep ? 0.5 : undefined)),
      f: (p) => hartmann6([0, 1, 2, 3, 4, 5].map((i) => p[`x${i}`]!)),
    };
  }
  throw new Error(`unknown --fn ${fn} (branin, hartmann6)`);
}

function strategyFor(name: string, trials: number, dims: number): StrategySpec {
  switch (name) {
    case "random":
      return { kind: "random", trials };
    case "bayesian":
      return { kind: "bayesian", trials, initial: Math.min(trials, Math.max(5, dims + 4)) };
    case "grid":
      return { kind: "grid" };
    case "hyperband":
      return { kind: "hyperband", maxEpochs: 27, factor: 3, iterations: 1 };
    case "asha":
      return { kind: "asha", maxEpochs: 27, factor: 3, trials, minEpochs: 1 };
    default:
      throw new Error(`unknown --strategy ${name}`);
  }
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function bestOf(fn: string, strategy: string, trials: number, seed: number): Promise<number> {
  const prob = problem(fn, strategy === "grid");
  const spec: TuneSpec = { strategy: strategyFor(strategy, trials, prob.params.length), objective: { metric: "f", direction: "minimize" }, trials };
  const res = await runStudy({
    spec,
    params: prob.params,
    seed,
    storage: new MemoryStorage(),
    studyName: `${fn}-${strategy}-${seed}`,
    fingerprint: fn,
    trials: strategy === "hyperband" ? undefined : trials,
    // Budgeted strategies: a low-fidelity evaluation is the function plus noise shrinking with epochs.
    objective: async (t) => {
      const v = prob.f(t.params as Record<string, number>);
      if (t.epochs === undefined) return { metrics: { f: v }, epochsRun: 1 };
      const max = 27;
      const noise = ((max - t.epochs) / max) * 0.5 * Math.sin(t.seed);
      return { metrics: { f: v + noise }, epochsRun: t.epochs - t.initialEpoch, checkpointDir: `mem:${t.number}` };
    },
  });
  let best = Infinity;
  for (const t of res.trials) if (t.status === "complete") best = Math.min(best, prob.f(t.params as Record<string, number>));
  return best;
}

async function main(): Promise<void> {
  const fn = arg("fn", "branin");
  const strategy = arg("strategy", "bayesian");
  const trials = Number(arg("trials", "50"));
  const seeds = Number(arg("seeds", "20"));
  const t0 = performance.now();
  const bests: number[] = [];
  for (let s = 0; s < seeds; s++) bests.push(await bestOf(fn, strategy, trials, s));
  const out = {
    fn,
    strategy,
    trials,
    seeds,
    medianBest: Number(median(bests).toFixed(4)),
    meanBest: Number((bests.reduce((a, b) => a + b, 0) / bests.length).toFixed(4)),
    seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
  };
  console.log(JSON.stringify(out));
}

if (process.argv[1]?.endsWith("tuning.ts")) main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
