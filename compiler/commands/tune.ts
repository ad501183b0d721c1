// dlpc tune: compiles the pipeline (which checks every shape-affecting combination of the
// search space before trial 1), then runs the study declared in its `tune` section, one
// runPipeline per trial, in a SQLite file under OUT/<pipeline>/tune/ or a shared PostgreSQL.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { CompileResult } from "../driver.ts";
import { BACKENDS, compileOrReport, flag, type Parsed, positiveInt, readSource, UsageError, writeFileAtomic } from "../cli_util.ts";
import { resumeCommand } from "../../runtime/tune/resume_hint.ts";
import { summaryJson } from "../summary.ts";
import { writeCompiled } from "../codegen/write.ts";
import type { CompiledPipeline, ParamValue } from "../../runtime/spec.ts";
import type { RunOptions, RunResult } from "../../runtime/run.ts";
import type { Storage, StudyResult, StudyUpdate, TrialOutcome, TrialRecord, TrialRequest } from "../../runtime/tune/index.ts";

type Backend = NonNullable<RunOptions["backend"]>;

interface Loaded {
  pipeline: CompiledPipeline;
  result: CompileResult;
  file: string;
  text: string;
}

/** Compiles .dlp text into build/ and imports the emitted module; undefined after printing errors. */
async function load(file: string, text: string): Promise<Loaded | undefined> {
  const result = compileOrReport(text, file);
  if (!result) return undefined;
  const target = writeCompiled(result.checked, file, result.sourceHash, "build");
  // A fresh URL per content: a worker that loads two versions of one pipeline must not get the cached first.
  const mod = (await import(`${pathToFileURL(resolve(target)).href}?v=${result.sourceHash.slice(0, 16)}`)) as { pipeline?: CompiledPipeline };
  if (!mod.pipeline) throw new Error(`${target} does not export a compiled pipeline`);
  return { pipeline: mod.pipeline, result, file, text };
}

/**
 * What a study's fingerprint covers, readable: the model's layers under the default params, the
 * data and training settings, and the seed. Stored with the study, so a refused resume names the
 * layer or setting that changed. The tune section's budgets are left out: raising `trials` resumes.
 */
export function describePipeline(l: Loaded): Record<string, unknown> {
  const s = summaryJson(l.result.checked!);
  const d = l.pipeline.defaults;
  return {
    name: l.pipeline.name,
    seed: l.pipeline.seed,
    model: s.layers.map((x) => `${x.name} ${x.type} (${x.outputShape.map((v) => (v === null ? "None" : v)).join(", ")}) ${x.params}`),
    data: l.pipeline.data(d),
    train: l.pipeline.train(d),
  };
}

export function fingerprintOf(l: Loaded, describe: Record<string, unknown>): string {
  // The model builder's code too: a change the summary cannot see (an initializer, a merge order) still counts.
  return createHash("sha256").update(JSON.stringify(describe)).update(l.pipeline.buildModel.toString()).digest("hex").slice(0, 16);
}

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

const shellQuote = (s: string): string => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The `dlpc run` command line that retrains a trial's configuration. */
export function reproduceCommand(file: string, trial: TrialRecord, opts: { pipelineEpochs: number; limit?: number; backend?: string }): string {
  const parts = ["dlpc", "run", shellQuote(file)];
  for (const [k, v] of Object.entries(trial.params)) parts.push("--set", shellQuote(`${k}=${String(v as ParamValue)}`));
  if (trial.epochs !== null && trial.epochs !== opts.pipelineEpochs) parts.push("--epochs", String(trial.epochs));
  parts.push("--seed", String(trial.seed));
  if (opts.limit !== undefined) parts.push("--limit", String(opts.limit));
  if (opts.backend && opts.backend !== "auto") parts.push("--backend", opts.backend);
  return parts.join(" ");
}

const writeJson = (path: string, value: unknown): void => writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");

const safeName = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, "_");

export interface TrialRunner {
  objective: (t: TrialRequest) => Promise<TrialOutcome>;
  /** Set by Ctrl-C: the running trial stops after its current batch and is recorded as lost. */
  interrupt(): void;
  /** The epoch line of the running trial, for the live display. */
  progress: string;
}

/** The study's objective: one runPipeline per trial, its model disposed after, its checkpoint kept for promotions. */
export async function trialRunner(
  pipeline: CompiledPipeline,
  opts: { trialsDir: string; backend: Backend; epochs?: number; limit?: number; metric: string; direction: "maximize" | "minimize"; onProgress?: () => void },
): Promise<TrialRunner> {
  const runtime = await import("../../runtime/index.ts");
  const { TrialInterrupted } = await import("../../runtime/tune/index.ts");
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
        result = await runtime.runPipeline(pipeline, run);
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

/** Live display: the trial table redrawn in place on a terminal; one line per event otherwise. */
class Display {
  private drawn = 0;
  private last: StudyUpdate | null = null;
  constructor(private metric: string, private tty: boolean, private quiet: boolean, private runner: () => TrialRunner | undefined) {}

  update(u: StudyUpdate, renderTrialTable: (t: TrialRecord[], o: { metric: string; best?: TrialRecord | null; maxRows?: number }) => string): void {
    this.last = u;
    if (this.quiet) return;
    if (!this.tty) {
      const t = u.event.trial;
      const params = Object.entries(t.params).map(([k, v]) => `${k}=${String(v)}`).join(" ");
      if (u.event.kind === "started") {
        const ep = t.epochs !== null ? ` epochs ${t.initialEpoch > 0 ? `${t.initialEpoch}→` : ""}${t.epochs}` : "";
        process.stdout.write(`trial ${t.number} started: ${params}${ep}\n`);
      } else if (t.status === "complete") {
        process.stdout.write(`trial ${t.number} complete: ${this.metric} = ${t.value}${u.best ? ` (best so far: trial ${u.best.number}, ${u.best.value})` : ""}\n`);
      } else {
        process.stdout.write(`trial ${t.number} ${t.lost ? "lost" : "failed"}: ${(t.error ?? "").split("\n")[0]}\n`);
      }
      return;
    }
    this.redraw(renderTrialTable);
  }

  private table = "";
  redraw(renderTrialTable?: (t: TrialRecord[], o: { metric: string; best?: TrialRecord | null; maxRows?: number }) => string): void {
    if (this.quiet || !this.tty) return;
    if (renderTrialTable && this.last) {
      const rows = Math.max(5, (process.stdout.rows ?? 40) - 8);
      this.table = renderTrialTable(this.last.trials, { metric: this.metric, best: this.last.best, maxRows: rows });
    }
    const progress = this.runner()?.progress ?? "";
    const text = this.table + (progress ? `\n${progress}` : "") + "\n";
    const clear = this.drawn > 0 ? `\x1b[${this.drawn}A\x1b[J` : "";
    process.stdout.write(clear + text);
    this.drawn = text.split("\n").length - 1;
  }
}

async function openStudyStorage(storageUrl: string | undefined, studyDir: string): Promise<Storage> {
  const tune = await import("../../runtime/tune/index.ts");
  if (storageUrl) return tune.openStorage(storageUrl);
  return tune.SqliteStorage.inFolder(studyDir);
}

export async function tuneCommand(p: Parsed): Promise<number> {
  const worker = p.flags.has("--worker");
  const storageUrl = flag(p, "--storage");
  const backend = flag(p, "--backend") ?? "auto";
  if (!(BACKENDS as readonly string[]).includes(backend)) throw new UsageError(`unknown backend ${backend}`);
  const out = flag(p, "--out") ?? "runs";
  const trials = positiveInt(p, "--trials");
  const epochs = positiveInt(p, "--epochs");
  const limit = positiveInt(p, "--limit");
  // A running trial whose worker sends no heartbeat for this long is declared lost (default 60 s).
  const stale = positiveInt(p, "--stale");
  const quiet = p.flags.has("--quiet");
  const tune = await import("../../runtime/tune/index.ts");

  let loaded: Loaded | undefined;
  let shared: Storage | undefined;
  let studyName: string;
  if (worker) {
    if (p.positional.length > 1) throw new UsageError("tune --worker takes at most one .dlp file");
    if (!storageUrl || !/^postgres(ql)?:\/\//.test(storageUrl)) throw new UsageError("tune --worker needs --storage postgresql://… (a storage several processes share)");
    const name = flag(p, "--study");
    if (!name) throw new UsageError("tune --worker needs --study NAME (the study to join)");
    studyName = name;
    shared = await tune.openStorage(storageUrl);
    const meta = await shared.meta(studyName);
    if (!meta) {
      await shared.close();
      throw new Error(`there is no study "${studyName}" in ${shared.location}; start it with \`dlpc tune FILE --storage URL --study ${studyName}\``);
    }
    if (p.positional.length === 1) {
      loaded = await load(p.positional[0]!, readSource(p.positional[0]!));
    } else {
      if (!meta.pipeline) {
        await shared.close();
        throw new Error(`study "${studyName}" does not hold its pipeline; pass the .dlp file: dlpc tune FILE --worker …`);
      }
      // Data only: a stored name never reaches a path or emitted code unescaped.
      const src = (await import("../../runtime/tune/stored.ts")).readStoredPipeline(meta.pipeline, studyName);
      loaded = await load(src.file, src.text);
    }
    if (!loaded) {
      await shared.close();
      return 1;
    }
  } else {
    if (p.positional.length !== 1) throw new UsageError("tune takes one .dlp file");
    const file = p.positional[0]!;
    loaded = await load(file, readSource(file));
    if (!loaded) return 1;
    studyName = flag(p, "--study") ?? loaded.pipeline.name;
  }

  const pipeline = loaded.pipeline;
  const spec = pipeline.tune;
  if (!spec) {
    await shared?.close();
    throw new Error(`${loaded.file} has no \`tune\` section: declare one, e.g. \`tune { strategy random(trials: 20)  objective maximize val_accuracy }\``);
  }
  if (!pipeline.params.some((x) => x.space)) {
    await shared?.close();
    throw new Error(`${loaded.file}: no param declares a \`tune\` space, so there is nothing to search (e.g. \`param lr = 1e-3 tune log_uniform(1e-4, 1e-2)\`)`);
  }
  const studyDir = resolve(out, pipeline.name, "tune");
  mkdirSync(studyDir, { recursive: true });
  const storage = shared ?? (await openStudyStorage(storageUrl, studyDir));
  const trialsDir = join(studyDir, "trials", safeName(studyName));
  const metric = spec.objective.metric;
  const direction = spec.objective.direction;

  let runner: TrialRunner | undefined;
  const tty = process.stdout.isTTY === true;
  const display = new Display(metric, tty, quiet, () => runner);
  runner = await trialRunner(pipeline, {
    trialsDir, backend: backend as Backend, metric, direction,
    ...(epochs !== undefined ? { epochs } : {}),
    ...(limit !== undefined ? { limit } : {}),
    onProgress: () => display.redraw(),
  });

  const controller = new AbortController();
  let sigints = 0;
  const onSigint = (): void => {
    sigints++;
    if (sigints === 1) {
      controller.abort();
      runner!.interrupt();
      process.stderr.write(`\ninterrupt: stopping the running trial after its current batch; the study resumes with \`${resumeCommand(loaded!.file, storageUrl, flag(p, "--study"))}\` (Ctrl-C again to quit at once)\n`);
    } else {
      process.stderr.write("interrupt: quitting; the running trial is retried when the study resumes\n");
      process.exit(130);
    }
  };
  process.on("SIGINT", onSigint);

  const pipelineEpochs = pipeline.train(pipeline.defaults).epochs;
  const describe = describePipeline(loaded);
  const saveResults = (trialsNow: TrialRecord[], best: TrialRecord | null): void => {
    writeJson(join(studyDir, "trials.json"), { study: studyName, storage: storage.location, metric, direction, trials: trialsNow });
    if (best) {
      writeJson(join(studyDir, "best.json"), {
        study: studyName, metric, direction, value: best.value, trial: best.number, params: best.params, metrics: best.metrics,
        epochs: best.epochs ?? epochs ?? pipelineEpochs, seed: best.seed, checkpoint: best.checkpointDir,
        command: reproduceCommand(loaded!.file, best, { pipelineEpochs, ...(limit !== undefined ? { limit } : {}), backend }),
      });
    }
  };
  if (!quiet) {
    const budget = trials ?? ("trials" in spec.strategy ? spec.strategy.trials : spec.strategy.kind === "grid" ? spec.trials : undefined);
    process.stderr.write(
      `study "${studyName}" in ${storage.location}: ${spec.strategy.kind}${budget !== undefined ? `, ${budget} trials` : ""}, ${direction} ${metric}` +
        ` (${loaded.result.checked!.combinationsChecked || 1} shape combination${(loaded.result.checked!.combinationsChecked || 1) === 1 ? "" : "s"} checked)\n`,
    );
  }

  let result: StudyResult;
  try {
    result = await tune.runStudy({
      spec, params: pipeline.params, seed: pipeline.seed, storage, studyName,
      fingerprint: fingerprintOf(loaded, describe), describe,
      pipeline: { file: loaded.file, text: loaded.text },
      objective: runner.objective,
      worker,
      signal: controller.signal,
      ...(stale !== undefined ? { staleMs: stale * 1000 } : {}),
      ...(trials !== undefined ? { trials } : {}),
      ...(epochs !== undefined ? { epochs } : {}),
      onUpdate: (u) => {
        display.update(u, tune.renderTrialTable);
        if (u.event.kind !== "started") saveResults(u.trials, u.best);
      },
    });
  } finally {
    process.removeListener("SIGINT", onSigint);
    await storage.close();
  }

  saveResults(result.trials, result.best);
  const html = join(studyDir, "report.html");
  writeFileSync(html, tune.renderStudyHtml(result, `Study ${studyName} — ${pipeline.name}`));
  if (!tty && !quiet) process.stdout.write("\n" + tune.renderTrialTable(result.trials, { metric, best: result.best }) + "\n");

  const best = result.best;
  if (controller.signal.aborted) {
    process.stdout.write(`\nstudy interrupted after ${result.trials.filter((t) => t.status === "complete").length} complete trials; resume with: ${resumeCommand(loaded.file, storageUrl, flag(p, "--study"))}\n`);
  }
  if (!best) {
    const failed = result.trials.filter((t) => t.status === "failed" && !t.lost);
    process.stderr.write(`error: no trial completed${failed.length ? `; the first failure: ${failed[0]!.error}` : ""}\n`);
    return controller.signal.aborted ? 130 : 1;
  }
  const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(4));
  process.stdout.write(
    [
      "",
      `best trial: #${best.number}, ${metric} = ${fmt(best.value!)}`,
      `params: ${Object.entries(best.params).map(([k, v]) => `${k} = ${String(v)}`).join(", ")}`,
      `metrics: ${Object.entries(best.metrics).map(([k, v]) => `${k} ${fmt(v)}`).join(", ")}`,
      `reproduce: ${reproduceCommand(loaded.file, best, { pipelineEpochs, ...(limit !== undefined ? { limit } : {}), backend })}`,
      `written: ${join(studyDir, "trials.json")}, ${join(studyDir, "best.json")}, ${html}`,
      "",
    ].join("\n"),
  );
  return controller.signal.aborted ? 130 : 0;
}
