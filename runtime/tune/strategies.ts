// Search strategies. Each is a pure function of (study seed, the trials so far): given the same
// history it proposes the same next job, which is what lets many workers share one study and an
// interrupted study resume exactly.
import type { ParamSpec, Params, StrategySpec, TuneSpec } from "../spec.ts";
import { GP, type Hyper } from "./gp.ts";
import { Rng } from "./rng.ts";
import {
  buildSpace,
  configKey,
  decode,
  encode,
  gridConfigs,
  gridSize,
  isDiscrete,
  sample,
  SpaceError,
  type Space,
} from "./space.ts";
import type { Decision, Job, TrialRecord } from "./types.ts";

export interface Strategy {
  readonly kind: StrategySpec["kind"];
  /** Planned trial count when known up front (grid, hyperband), else the budget. */
  readonly planned: number;
  next(trials: TrialRecord[]): Decision;
}

export interface StrategyContext {
  spec: TuneSpec;
  params: ParamSpec[];
  seed: number;
  /** Overrides the strategy's own trial budget. */
  trials?: number;
}

/** The loss a strategy minimises: the objective, negated when the study maximises. */
export function lossOf(t: TrialRecord, direction: "maximize" | "minimize"): number | null {
  if (t.status !== "complete" || t.value === null || !Number.isFinite(t.value)) return null;
  return direction === "maximize" ? -t.value : t.value;
}

function plainJob(job: string, params: Params): Job {
  return { job, params, epochs: null, initialEpoch: 0, resumeFrom: null, bracket: null, rung: null, parent: null };
}

const running = (trials: TrialRecord[]): boolean => trials.some((t) => t.status === "running");

/** Strategies that fill numbered slots t0, t1, … up to a budget, one configuration each. */
abstract class SlotStrategy implements Strategy {
  abstract readonly kind: StrategySpec["kind"];
  abstract readonly planned: number;
  constructor(protected readonly space: Space, protected readonly seed: number) {}
  protected abstract make(k: number, trials: TrialRecord[]): Params | null;
  next(trials: TrialRecord[]): Decision {
    const slots = new Set(trials.map((t) => t.job));
    const k = slots.size;
    if (k >= this.planned) return running(trials) ? { kind: "wait" } : { kind: "done" };
    const params = this.make(k, trials);
    if (params === null) return running(trials) ? { kind: "wait" } : { kind: "done" };
    return { kind: "run", job: plainJob(`t${k}`, params) };
  }
  /** A configuration not yet tried, drawn at random; null when a discrete space is exhausted. */
  protected unseen(rng: Rng, trials: TrialRecord[]): Params | null {
    const seen = new Set(trials.map((t) => configKey(t.params)));
    for (let i = 0; i < 64; i++) {
      const p = sample(this.space, rng);
      if (!seen.has(configKey(p))) return p;
    }
    if (!isDiscrete(this.space)) return sample(this.space, rng);
    const size = gridSize(this.space);
    if (size > 2_000_000) return sample(this.space, rng);
    const left: Params[] = [];
    for (const p of gridConfigs(this.space)) if (!seen.has(configKey(p))) left.push(p);
    return left.length === 0 ? null : left[rng.int(left.length)]!;
  }
}

export class GridStrategy extends SlotStrategy {
  readonly kind = "grid" as const;
  readonly planned: number;
  readonly size: number;
  private configs: Params[] = [];
  constructor(space: Space, seed: number, cap?: number) {
    super(space, seed);
    this.size = gridSize(space);
    this.planned = Math.min(this.size, cap ?? Infinity);
    for (const p of gridConfigs(space)) {
      if (this.configs.length >= this.planned) break;
      this.configs.push(p);
    }
  }
  protected make(k: number): Params | null {
    return this.configs[k] ?? null;
  }
}

export class RandomStrategy extends SlotStrategy {
  readonly kind = "random" as const;
  constructor(space: Space, seed: number, readonly planned: number) {
    super(space, seed);
  }
  protected make(k: number, trials: TrialRecord[]): Params | null {
    return this.unseen(new Rng(this.seed, "random", k), trials);
  }
}

export interface BayesianOptions {
  /** Random candidates scored by expected improvement per proposal. */
  candidates?: number;
  /** Perturbations of each of the best observed points. */
  perturbations?: number;
}

/**
 * GP-EI: a Latin-hypercube initial design, then each proposal fits a Matern 5/2 GP to the
 * trials so far (failed ones imputed at the worst loss, running ones at the mean: a constant
 * liar, so parallel workers spread out) and maximises log-EI over random candidates and
 * perturbations of the best points, refined by a shrinking pattern search.
 */
export class BayesianStrategy extends SlotStrategy {
  readonly kind = "bayesian" as const;
  private design: Params[] = [];
  constructor(
    space: Space,
    seed: number,
    readonly planned: number,
    readonly initial: number,
    private readonly direction: "maximize" | "minimize",
    private readonly opts: BayesianOptions = {},
  ) {
    super(space, seed);
    this.design = latinHypercube(space, Math.max(1, initial), new Rng(seed, "lhs"));
  }

  protected make(k: number, trials: TrialRecord[]): Params | null {
    const rng = new Rng(this.seed, "bayes", k);
    const seen = new Set(trials.map((t) => configKey(t.params)));
    if (k < this.initial) {
      const p = this.design[k]!;
      return seen.has(configKey(p)) ? this.unseen(rng, trials) : p;
    }
    const done = trials.filter((t) => lossOf(t, this.direction) !== null);
    if (done.length < 2 || this.space.size === 0) return this.unseen(rng, trials);
    return this.propose(trials, rng, seen) ?? this.unseen(rng, trials);
  }

  private propose(trials: TrialRecord[], rng: Rng, seen: Set<string>): Params | null {
    const space = this.space;
    const X: Float64Array[] = [];
    const y: number[] = [];
    let worst = -Infinity;
    for (const t of trials) {
      const l = lossOf(t, this.direction);
      if (l === null) continue;
      X.push(encode(space, t.params));
      y.push(l);
      worst = Math.max(worst, l);
    }
    const observed = y.length;
    const mean = y.reduce((a, b) => a + b, 0) / observed;
    for (const t of trials) {
      if (t.status === "failed" && !t.lost) {
        X.push(encode(space, t.params));
        y.push(worst);
      } else if (t.status === "running") {
        X.push(encode(space, t.params));
        y.push(mean);
      }
    }
    const gp = new GP(X, y, { steps: 50, warm: this.hyper });
    this.hyper = gp.hyper;
    let best = Infinity;
    for (let i = 0; i < observed; i++) best = Math.min(best, gp.scale(y[i]!));

    const snap = (x: Float64Array): { p: Params; x: Float64Array } => {
      const p = decode(space, x);
      return { p, x: encode(space, p) };
    };
    type Cand = { p: Params; x: Float64Array; a: number };
    const cands: Cand[] = [];
    const consider = (raw: Float64Array): Cand => {
      const { p, x } = snap(raw);
      const c = { p, x, a: gp.logEI(x, best) };
      cands.push(c);
      return c;
    };
    const nRandom = this.opts.candidates ?? 1000;
    for (let i = 0; i < nRandom; i++) consider(encode(space, sample(space, rng)));
    const order = [...Array(observed).keys()].sort((a, b) => y[a]! - y[b]!);
    const tops = order.slice(0, 5).map((i) => X[i]!);
    const nPert = this.opts.perturbations ?? 120;
    const scales = [0.2, 0.05, 0.01, 0.002];
    for (const base of tops) {
      for (let i = 0; i < nPert; i++) consider(this.perturb(base, scales[i % scales.length]!, rng));
    }
    cands.sort((a, b) => b.a - a.a);
    // Pattern search from the few best distinct candidates.
    const starts: Cand[] = [];
    const startKeys = new Set<string>();
    for (const c of cands) {
      const key = configKey(c.p);
      if (startKeys.has(key)) continue;
      startKeys.add(key);
      starts.push(c);
      if (starts.length >= 4) break;
    }
    let bestCand: Cand | null = null;
    for (const s of starts) {
      const refined = this.patternSearch(s, (x) => {
        const { p, x: xs } = snap(x);
        return { p, x: xs, a: gp.logEI(xs, best) };
      });
      if (!seen.has(configKey(refined.p)) && (bestCand === null || refined.a > bestCand.a)) bestCand = refined;
    }
    if (bestCand) return bestCand.p;
    for (const c of cands) if (!seen.has(configKey(c.p))) return c.p;
    return null;
  }

  private hyper: Hyper | undefined;

  private perturb(base: Float64Array, scale: number, rng: Rng): Float64Array {
    const x = Float64Array.from(base);
    for (const d of this.space.dims) {
      if (d.space.kind === "choice") {
        if (rng.next() < 1 / Math.max(2, this.space.dims.length)) {
          x.fill(0, d.offset, d.offset + d.width);
          x[d.offset + rng.int(d.width)] = 1;
        }
      } else {
        x[d.offset] = Math.min(1, Math.max(0, x[d.offset]! + scale * rng.normal()));
      }
    }
    return x;
  }

  private patternSearch<C extends { p: Params; x: Float64Array; a: number }>(start: C, f: (x: Float64Array) => C): C {
    let cur = start;
    let step = 0.05;
    const numeric = this.space.dims.filter((d) => d.space.kind !== "choice").map((d) => d.offset);
    if (numeric.length === 0) return cur;
    for (let it = 0; it < 60 && step > 1e-5; it++) {
      let moved = false;
      for (const o of numeric) {
        for (const sgn of [1, -1]) {
          const x = Float64Array.from(cur.x);
          x[o] = Math.min(1, Math.max(0, x[o]! + sgn * step));
          const c = f(x);
          if (c.a > cur.a + 1e-12) {
            cur = c;
            moved = true;
            break;
          }
        }
      }
      if (!moved) step /= 2;
    }
    return cur;
  }
}

/** A Latin-hypercube design in the encoded space (a random block for each choice), decoded. */
export function latinHypercube(space: Space, n: number, rng: Rng): Params[] {
  const cols = space.dims.map((d) => {
    const perm = rng.shuffle([...Array(n).keys()]);
    return perm.map((i) => (i + rng.next()) / n);
  });
  const out: Params[] = [];
  for (let i = 0; i < n; i++) {
    const x = new Float64Array(space.size);
    space.dims.forEach((d, j) => {
      const u = cols[j]![i]!;
      if (d.space.kind === "choice") x[d.offset + Math.min(d.width - 1, Math.floor(u * d.width))] = 1;
      else x[d.offset] = u;
    });
    out.push(decode(space, x));
  }
  return out;
}

export interface Rung {
  /** Configurations in this rung. */
  n: number;
  /** Epochs each trains to. */
  r: number;
}
export interface Bracket {
  s: number;
  rungs: Rung[];
}

/** Li et al. 2018, Algorithm 1: s_max = floor(log_eta R); for s = s_max..0, n = ceil((s_max+1)/(s+1) eta^s), r = R eta^-s. */
export function hyperbandSchedule(maxEpochs: number, factor: number): Bracket[] {
  if (!(factor >= 2)) throw new SpaceError(`hyperband factor must be at least 2, got ${factor}`);
  if (!(maxEpochs >= 1)) throw new SpaceError(`hyperband maxEpochs must be at least 1, got ${maxEpochs}`);
  let sMax = 0;
  while (factor ** (sMax + 1) <= maxEpochs * (1 + 1e-9)) sMax++;
  const out: Bracket[] = [];
  for (let s = sMax; s >= 0; s--) {
    const n = Math.ceil(((sMax + 1) / (s + 1)) * factor ** s - 1e-9);
    const rungs: Rung[] = [];
    for (let i = 0; i <= s; i++) {
      const ni = Math.floor(n * factor ** -i + 1e-9);
      const ri = Math.max(1, Math.round(maxEpochs * factor ** (i - s)));
      rungs.push({ n: ni, r: ri });
    }
    out.push({ s, rungs });
  }
  return out;
}

/** Rank of finished trials for promotion: best loss first, failures last, ties by trial number. */
function ranked(ts: TrialRecord[], direction: "maximize" | "minimize"): TrialRecord[] {
  return ts
    .filter((t) => lossOf(t, direction) !== null)
    .sort((a, b) => lossOf(a, direction)! - lossOf(b, direction)! || a.number - b.number);
}

function promotion(job: string, parent: TrialRecord, rung: number, bracket: number | null, epochs: number): Job {
  const resume = parent.checkpointDir !== null;
  return {
    job,
    params: parent.params,
    epochs,
    initialEpoch: resume ? (parent.epochs ?? 0) : 0,
    resumeFrom: resume ? parent.checkpointDir : null,
    bracket,
    rung,
    parent: parent.number,
    seed: parent.seed,
  };
}

/**
 * Synchronous Hyperband: brackets in the paper's order, each a successive-halving run; rung i of a
 * bracket starts once rung i-1 has finished, its best n_i configurations continuing from their
 * checkpoints (initialEpoch = epochs already trained). Brackets are independent, so a worker waiting
 * on a rung starts the next bracket meanwhile.
 */
export class HyperbandStrategy implements Strategy {
  readonly kind = "hyperband" as const;
  readonly schedule: Bracket[];
  readonly planned: number;
  constructor(
    private readonly space: Space,
    private readonly seed: number,
    readonly maxEpochs: number,
    readonly factor: number,
    readonly iterations: number,
    private readonly direction: "maximize" | "minimize",
  ) {
    this.schedule = hyperbandSchedule(maxEpochs, factor);
    this.planned = iterations * this.schedule.reduce((a, b) => a + b.rungs.reduce((x, r) => x + r.n, 0), 0);
  }
  next(trials: TrialRecord[]): Decision {
    const byJob = new Map<string, TrialRecord[]>();
    for (const t of trials) {
      const l = byJob.get(t.job);
      if (l) l.push(t);
      else byJob.set(t.job, [t]);
    }
    const live = (key: string): TrialRecord | undefined => byJob.get(key)?.find((t) => !t.lost);
    let blocked = false;
    for (let it = 0; it < this.iterations; it++) {
      for (const b of this.schedule) {
        const bracketId = it * this.schedule.length + (this.schedule[0]!.s - b.s);
        for (let i = 0; i < b.rungs.length; i++) {
          const rung = b.rungs[i]!;
          const keys = [...Array(rung.n).keys()].map((j) => `h${it}.${b.s}.${i}.${j}`);
          if (i === 0) {
            for (let j = 0; j < rung.n; j++) {
              if (live(keys[j]!)) continue;
              const params = sample(this.space, new Rng(this.seed, "hyperband", it, b.s, j));
              return { kind: "run", job: { ...plainJob(keys[j]!, params), epochs: rung.r, bracket: bracketId, rung: 0 } };
            }
            continue;
          }
          const prevKeys = [...Array(b.rungs[i - 1]!.n).keys()].map((j) => `h${it}.${b.s}.${i - 1}.${j}`);
          const prev = prevKeys.map(live);
          if (prev.some((t) => t === undefined || t.status === "running")) {
            blocked = true;
            break; // later rungs of this bracket wait too; go on with the next bracket
          }
          const order = ranked(prev as TrialRecord[], this.direction);
          for (let j = 0; j < rung.n; j++) {
            if (j >= order.length || live(keys[j]!)) continue;
            return { kind: "run", job: promotion(keys[j]!, order[j]!, i, bracketId, rung.r) };
          }
        }
      }
    }
    if (blocked || running(trials)) return { kind: "wait" };
    return { kind: "done" };
  }
}

/**
 * ASHA (Li et al. 2020): rungs at minEpochs·η^k epochs up to maxEpochs; whenever a worker is free it
 * promotes a configuration in the top 1/η of the highest rung that has one not yet promoted,
 * otherwise starts a new configuration (up to `trials` of them).
 */
export class AshaStrategy implements Strategy {
  readonly kind = "asha" as const;
  readonly rungs: number[];
  constructor(
    private readonly space: Space,
    private readonly seed: number,
    readonly planned: number,
    readonly minEpochs: number,
    readonly maxEpochs: number,
    readonly factor: number,
    private readonly direction: "maximize" | "minimize",
  ) {
    if (!(factor >= 2)) throw new SpaceError(`asha factor must be at least 2, got ${factor}`);
    if (!(minEpochs >= 1) || minEpochs > maxEpochs) throw new SpaceError(`asha needs 1 <= minEpochs <= maxEpochs, got ${minEpochs} and ${maxEpochs}`);
    this.rungs = [];
    for (let r = minEpochs; r < maxEpochs; r *= factor) this.rungs.push(Math.round(r));
    this.rungs.push(maxEpochs);
  }
  next(trials: TrialRecord[]): Decision {
    const live = trials.filter((t) => !t.lost);
    const promoted = new Set(live.filter((t) => t.parent !== null).map((t) => t.job));
    for (let k = this.rungs.length - 2; k >= 0; k--) {
      const inRung = live.filter((t) => t.rung === k && t.status !== "running");
      const top = ranked(inRung, this.direction).slice(0, Math.floor(inRung.length / this.factor));
      for (const t of top) {
        const key = `${t.job.split("@")[0]}@${k + 1}`;
        if (promoted.has(key)) continue;
        return { kind: "run", job: promotion(key, t, k + 1, null, this.rungs[k + 1]!) };
      }
    }
    const configs = new Set(live.filter((t) => t.rung === 0).map((t) => t.job));
    if (configs.size < this.planned) {
      let j = 0;
      while (configs.has(`a${j}@0`)) j++;
      const params = sample(this.space, new Rng(this.seed, "asha", j));
      return { kind: "run", job: { ...plainJob(`a${j}@0`, params), epochs: this.rungs[0]!, rung: 0 } };
    }
    return running(trials) ? { kind: "wait" } : { kind: "done" };
  }
}

/** Builds the strategy a TuneSpec declares. `trials` overrides the declared budget. */
export function makeStrategy(ctx: StrategyContext, bayes: BayesianOptions = {}): Strategy {
  const space = buildSpace(ctx.params);
  const s = ctx.spec.strategy;
  const dir = ctx.spec.objective.direction;
  switch (s.kind) {
    case "grid":
      return new GridStrategy(space, ctx.seed, ctx.trials ?? ctx.spec.trials);
    case "random":
      return new RandomStrategy(space, ctx.seed, ctx.trials ?? s.trials);
    case "bayesian": {
      const budget = ctx.trials ?? s.trials;
      return new BayesianStrategy(space, ctx.seed, budget, Math.min(budget, Math.max(1, s.initial)), dir, bayes);
    }
    case "hyperband":
      return new HyperbandStrategy(space, ctx.seed, s.maxEpochs, s.factor, Math.max(1, s.iterations), dir);
    case "asha":
      return new AshaStrategy(space, ctx.seed, ctx.trials ?? s.trials, s.minEpochs, s.maxEpochs, s.factor, dir);
  }
}
