// The objective of a study: trains one trial's configuration of a compiled pipeline and scores it.
// This is Keras Tuner's `Tuner.run_trial` and Optuna's objective function; the strategy that picks
// the configuration (Keras Tuner's oracle, Optuna's sampler and pruner) is strategies.ts, and the
// record of trials (Optuna's storage) is storage.ts / sqlite.ts / postgres.ts.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { CompiledPipeline } from "../pipeline.ts";
import type { RunOptions, RunResult } from "../run.ts";
import { TrialInterrupted, type TrialOutcome, type TrialRequest } from "./study.ts";

export type Backend = NonNullable<RunOptions["backend"]>;

/** The objective's value at the trial's best epoch (as Keras Tuner scores a trial), with the other metrics of that epoch. */
export function metricsAtBest(history: Record<string, number[]>, metric: string, direction: "maximize" | "minimize"): Record<string, number> {
  const series = history[metric];
  const keys = Object.keys(history).filter((k) => k !== "epoch");
  if (!series || series.length === 0) {
    return Object.fromEntries(keys.filter((k) => history[k]!.length > 0).map((k) => [k, history[k]![history[k]!.length - 1]!]));
  }
  let best = -1;
  for (let i = 0; i < series.length; i++) {
    const v = series[i]!;
    if (!Number.isFinite(v)) continue;
    if (best < 0 || (direction === "maximize" ? v > series[best]! : v < series[best]!)) best = i;
  }
  if (best < 0) best = series.length - 1;
  return Object.fromEntries(keys.filter((k) => history[k]![best] !== undefined).map((k) => [k, history[k]![best]!]));
}

export interface TrialRunner {
  objective: (t: TrialRequest) => Promise<TrialOutcome>;
  /** Set by Ctrl-C: the running trial stops after its current batch and is recorded as lost. */
  interrupt(): void;
  /** The epoch line of the running trial, for the live display. */
  progress: string;
}

export interface TrialRunnerOptions {
  /** Each trial's checkpoint goes to trialsDir/<number>/. */
  trialsDir: string;
  backend: Backend;
  /** Overrides the pipeline's `epochs` for strategies without a budget of their own. */
  epochs?: number;
  /** Uses the first N examples of each split. */
  limit?: number;
  metric: string;
  direction: "maximize" | "minimize";
  onProgress?: () => void;
}

/** The study's objective: one runPipeline per trial, its model disposed after, its checkpoint kept for promotions. */
export async function trialRunner(pipeline: CompiledPipeline, opts: TrialRunnerOptions): Promise<TrialRunner> {
  // TensorFlow.js loads here, on the first trial runner, not when a storage or a report is opened.
  const { runPipeline } = await import("../run.ts");
  const dataCache: NonNullable<RunOptions["dataCache"]> = new Map();
  let interrupted = false;
  const runner: TrialRunner = {
    progress: "",
    interrupt: () => {
      interrupted = true;
    },
    objective: async (t) => {
      let initialEpoch = t.initialEpoch;
      let resumeFrom = t.resumeFrom;
      if (resumeFrom !== undefined && !existsSync(join(resumeFrom, "model.json"))) {
        // A promoted trial whose checkpoint lives on another machine: retrain it from scratch.
        initialEpoch = 0;
        resumeFrom = undefined;
      }
      const total = t.epochs ?? opts.epochs ?? pipeline.train({ ...pipeline.defaults, ...t.params }).epochs;
      const run: RunOptions = {
        backend: opts.backend,
        params: t.params,
        seed: t.seed,
        epochs: Math.max(0, total - initialEpoch),
        initialEpoch,
        dir: join(opts.trialsDir, String(t.number)),
        quiet: true,
        report: false,
        evaluate: false,
        save: true,
        dataCache,
        shouldStop: () => interrupted,
        onEpochEnd: (epoch, logs) => {
          const shown = [opts.metric, "loss"].filter((k) => logs[k] !== undefined).map((k) => `${k} ${logs[k]!.toFixed(4)}`);
          runner.progress = `trial ${t.number}: epoch ${epoch + 1}/${total}${shown.length ? `, ${shown.join(", ")}` : ""}`;
          opts.onProgress?.();
        },
      };
      if (resumeFrom !== undefined) run.resumeFrom = resumeFrom;
      if (opts.limit !== undefined) run.limit = opts.limit;
      let result: RunResult;
      try {
        result = await runPipeline(pipeline, run);
      } finally {
        runner.progress = "";
      }
      result.model.dispose();
      if (interrupted) throw new TrialInterrupted();
      return {
        metrics: metricsAtBest(result.history as unknown as Record<string, number[]>, opts.metric, opts.direction),
        epochsRun: result.epochsRun,
        checkpointDir: result.dir,
      };
    },
  };
  return runner;
}
