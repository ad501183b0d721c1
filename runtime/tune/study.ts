// The study engine: asks the strategy for the next job inside the storage's atomic claim, runs
// it through the injected objective, records the outcome. Shared by one process or many workers.
import { hostname } from "node:os";
import type { ParamSpec, Params, TuneSpec } from "../spec.ts";
import { hash32, trialSeed } from "./rng.ts";
import type { Storage } from "./storage.ts";
import { lossOf, makeStrategy, type BayesianOptions, type Strategy } from "./strategies.ts";
import type { Decision, SpaceDescription, StudyMeta, TrialRecord } from "./types.ts";

export interface TrialRequest {
  number: number;
  params: Params;
  seed: number;
  /** Total epochs to train to; undefined: the pipeline's own `epochs`. */
  epochs?: number;
  /** Epochs already trained in the checkpoint at `resumeFrom` (0 for a fresh start). */
  initialEpoch: number;
  resumeFrom?: string;
}

export interface TrialOutcome {
  metrics: Record<string, number>;
  epochsRun: number;
  /** Where the trained model was saved; hyperband/ASHA resume promoted trials from it. */
  checkpointDir?: string;
}

export type StudyEvent =
  | { kind: "started"; trial: TrialRecord }
  | { kind: "finished"; trial: TrialRecord }
  | { kind: "discarded"; trial: TrialRecord };

export interface StudyUpdate {
  event: StudyEvent;
  /** Every trial known to this process, by number. */
  trials: TrialRecord[];
  best: TrialRecord | null;
}

export interface StudyOptions {
  spec: TuneSpec;
  params: ParamSpec[];
  seed: number;
  storage: Storage;
  studyName: string;
  /** Hash of the compiled pipeline; a resume under a different one is refused. */
  fingerprint: string;
  /** A readable description of what the fingerprint covers (model layers, data, training): stored with the space, so a refused resume shows what changed. */
  describe?: Record<string, unknown>;
  /** The pipeline's source, kept by shared storages so workers can join with the study name alone. */
  pipeline?: { file: string; text: string };
  objective: (trial: TrialRequest) => Promise<TrialOutcome>;
  /** Overrides the strategy's trial budget. */
  trials?: number;
  onUpdate?: (update: StudyUpdate) => void;
  /** Join a shared study as one of many workers (needs a shared storage such as PostgreSQL). */
  worker?: boolean;
  /** A running trial without a heartbeat for this long is declared lost (default 60 s). */
  staleMs?: number;
  /** Heartbeat period (default staleMs / 4). */
  heartbeatMs?: number;
  /** How long to sleep when the strategy waits on other workers (default 250 ms). */
  pollMs?: number;
  /** Epochs for strategies without a budget of their own (grid, random, bayesian). */
  epochs?: number;
  /** GP-EI acquisition settings. */
  bayesian?: BayesianOptions;
  /** Stops claiming new trials when aborted; the running one finishes. */
  signal?: AbortSignal;
}

export interface StudyResult {
  studyName: string;
  trials: TrialRecord[];
  best: TrialRecord | null;
  direction: "maximize" | "minimize";
  metric: string;
}

/** The JSON stored with a study and compared on resume: the space, strategy and objective (budgets excluded). */
export function describeSpace(spec: TuneSpec, params: ParamSpec[], seed: number): SpaceDescription {
  const { trials: _t, ...strategy } = spec.strategy as Record<string, unknown>;
  const ps: SpaceDescription["params"] = {};
  for (const p of params) {
    if (!p.space) continue;
    const { name: _n, default: _d, ...rest } = p;
    ps[p.name] = rest;
  }
  return { seed, objective: spec.objective, strategy, params: ps };
}

/** The best complete trial in the study's direction (earliest on ties). */
export function bestTrial(trials: TrialRecord[], direction: "maximize" | "minimize"): TrialRecord | null {
  let best: TrialRecord | null = null;
  let bestLoss = Infinity;
  for (const t of trials) {
    const l = lossOf(t, direction);
    if (l === null) continue;
    // Hyperband and ASHA: only trials that trained the longest compare fairly; prefer higher rungs.
    if (best === null || (t.rung ?? 0) > (best.rung ?? 0) || ((t.rung ?? 0) === (best.rung ?? 0) && l < bestLoss)) {
      best = t;
      bestLoss = l;
    }
  }
  return best;
}

/** Thrown by an objective whose trial was cut short on purpose (Ctrl-C): the trial is recorded as lost, so a resumed study runs its configuration again. */
export class TrialInterrupted extends Error {
  override name = "TrialInterrupted";
  constructor(message = "interrupted (Ctrl-C) before it finished; its configuration runs again when the study resumes") {
    super(message);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/** Decides the next trial: lost jobs are retried first, then the strategy's own proposal. */
export function decideNext(strategy: Strategy, trials: TrialRecord[], studySeed: number, worker: string, epochs?: number): TrialRecord | "wait" | "done" {
  const number = trials.reduce((m, t) => Math.max(m, t.number + 1), 0);
  const base = (): Omit<TrialRecord, "job" | "params" | "seed" | "epochs" | "initialEpoch" | "resumeFrom" | "bracket" | "rung" | "parent"> => ({
    number,
    status: "running",
    lost: false,
    value: null,
    metrics: {},
    epochsRun: 0,
    checkpointDir: null,
    error: null,
    worker,
    startedAt: Date.now(),
    finishedAt: null,
  });
  const settled = new Set(trials.filter((t) => !t.lost).map((t) => t.job));
  for (const t of trials) {
    if (!t.lost || settled.has(t.job)) continue;
    return {
      ...base(),
      job: t.job,
      params: t.params,
      seed: t.seed,
      epochs: t.epochs,
      initialEpoch: t.initialEpoch,
      resumeFrom: t.resumeFrom,
      bracket: t.bracket,
      rung: t.rung,
      parent: t.parent,
    };
  }
  const d: Decision = strategy.next(trials);
  if (d.kind !== "run") return d.kind;
  const j = d.job;
  return {
    ...base(),
    job: j.job,
    params: j.params,
    seed: j.seed ?? trialSeed(studySeed, number),
    epochs: j.epochs ?? epochs ?? null,
    initialEpoch: j.initialEpoch,
    resumeFrom: j.resumeFrom,
    bracket: j.bracket,
    rung: j.rung,
    parent: j.parent,
  };
}

/** Runs (or resumes, or joins) a study until its strategy is done. */
export async function runStudy(opts: StudyOptions): Promise<StudyResult> {
  const { spec, storage, studyName } = opts;
  if (opts.worker && !storage.shared) {
    throw new Error(`worker mode needs a storage several processes can share (PostgreSQL); ${storage.location} is single-process`);
  }
  const metric = spec.objective.metric;
  const direction = spec.objective.direction;
  const staleMs = opts.staleMs ?? 60_000;
  const heartbeatMs = opts.heartbeatMs ?? Math.max(50, Math.floor(staleMs / 4));
  const pollMs = opts.pollMs ?? 250;
  const strategy = makeStrategy({ spec, params: opts.params, seed: opts.seed, trials: opts.trials }, opts.bayesian);
  const worker = `${hostname()}:${process.pid}:${hash32(Date.now(), process.pid, process.hrtime()[1]).toString(36)}`;
  const meta: StudyMeta = {
    name: studyName,
    fingerprint: opts.fingerprint,
    seed: opts.seed,
    space: JSON.stringify({ ...describeSpace(spec, opts.params, opts.seed), ...(opts.describe ? { pipeline: opts.describe } : {}) }),
    createdAt: Date.now(),
    ...(opts.pipeline ? { pipeline: JSON.stringify(opts.pipeline) } : {}),
  };
  await storage.open(meta);
  const known = new Map<number, TrialRecord>();
  for (const t of await storage.trials(studyName)) known.set(t.number, t);
  const update = (event: StudyEvent): void => {
    known.set(event.trial.number, event.trial);
    if (!opts.onUpdate) return;
    const trials = [...known.values()].sort((a, b) => a.number - b.number);
    opts.onUpdate({ event, trials, best: bestTrial(trials, direction) });
  };

  for (;;) {
    if (opts.signal?.aborted) break;
    const claim = await storage.claim(studyName, staleMs, (trials) => {
      for (const t of trials) known.set(t.number, t);
      return decideNext(strategy, trials, opts.seed, worker, opts.epochs);
    });
    if (claim.kind === "done") break;
    if (claim.kind === "wait") {
      await sleep(pollMs);
      continue;
    }
    const trial = claim.trial;
    update({ kind: "started", trial });
    const beat = setInterval(() => {
      storage.heartbeat(studyName, trial.number, worker).catch(() => undefined);
    }, heartbeatMs);
    let done: TrialRecord;
    try {
      const req: TrialRequest = { number: trial.number, params: trial.params, seed: trial.seed, initialEpoch: trial.initialEpoch };
      if (trial.epochs !== null) req.epochs = trial.epochs;
      if (trial.resumeFrom !== null) req.resumeFrom = trial.resumeFrom;
      const out = await opts.objective(req);
      const value = out.metrics[metric];
      if (typeof value !== "number" || Number.isNaN(value)) {
        const keys = Object.keys(out.metrics);
        throw new Error(`the trial reported no "${metric}" (the objective); it reported ${keys.length ? keys.join(", ") : "no metrics"}`);
      }
      done = {
        ...trial,
        status: "complete",
        value,
        metrics: { ...out.metrics },
        epochsRun: out.epochsRun,
        checkpointDir: out.checkpointDir ?? null,
        finishedAt: Date.now(),
      };
    } catch (e) {
      done = { ...trial, status: "failed", lost: e instanceof TrialInterrupted, error: errorText(e), finishedAt: Date.now() };
    } finally {
      clearInterval(beat);
    }
    const kept = await storage.finish(studyName, done);
    update({ kind: kept ? "finished" : "discarded", trial: kept ? done : { ...done, status: "failed", lost: true } });
  }
  const trials = (await storage.trials(studyName)).sort((a, b) => a.number - b.number);
  return { studyName, trials, best: bestTrial(trials, direction), direction, metric };
}
