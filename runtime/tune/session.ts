// `dlpc tune` once the pipeline is compiled: runs the study its `tune` section declares, one
// trial runner (trial.ts) per process, in a SQLite file under OUT/<pipeline>/tune/ or a shared
// PostgreSQL; draws the live table, handles Ctrl-C, writes trials.json, best.json and report.html,
// and prints the `dlpc run` command that retrains the best trial. The compiler's CLI only parses
// the arguments, compiles the .dlp file and hands the compiled pipeline here (compiler/commands/tune.ts).
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ParamValue } from "../spec.ts";
import type { CompiledPipeline } from "../pipeline.ts";
import { writeFileAtomic } from "../atomic.ts";
import { fsFailure } from "../library_errors.ts";
import { openStorage } from "./postgres.ts";
import { renderStudyHtml, renderTrialTable } from "./report.ts";
import { SqliteStorage } from "./sqlite.ts";
import type { Storage } from "./storage.ts";
import { runStudy, type StudyResult, type StudyUpdate } from "./study.ts";
import { resumeCommand } from "./resume_hint.ts";
import { trialRunner, type Backend, type TrialRunner } from "./trial.ts";
import type { TrialRecord } from "./types.ts";

export interface TuneSessionOptions {
  pipeline: CompiledPipeline;
  /** The .dlp file and its text: stored with a shared study, so workers can join by its name. */
  source: { file: string; text: string };
  /** The model's layers under the default params, one line each ("name type (shape) params"), as the compiler's summary gives them. */
  modelLayers: string[];
  /** How many shape-affecting combinations of the space the compiler checked (announced, not re-checked). */
  combinationsChecked: number;
  /** Results go to OUT/<pipeline>/tune/. */
  out: string;
  /** The study's name (`--study`); default the pipeline's name. */
  study?: string;
  /** A storage URL (`--storage`); default a SQLite file in the study folder. */
  storageUrl?: string;
  /** A storage already opened by the caller (a worker reads the study's pipeline from it before compiling); closed here. */
  storage?: Storage;
  /** Join a running study as one more worker. */
  worker?: boolean;
  backend: Backend;
  /** Overrides the strategy's trial budget. */
  trials?: number;
  /** Overrides the pipeline's epochs for strategies without a budget of their own. */
  epochs?: number;
  limit?: number;
  quiet?: boolean;
  /** A running trial whose worker sends no heartbeat for this many seconds is declared lost (default 60). */
  stale?: number;
}

/**
 * What a study's fingerprint covers, readable: the model's layers under the default params, the
 * data and training settings, and the seed. Stored with the study, so a refused resume names the
 * layer or setting that changed. The tune section's budgets are left out: raising `trials` resumes.
 */
export function describePipeline(pipeline: CompiledPipeline, modelLayers: string[]): Record<string, unknown> {
  const d = pipeline.defaults;
  return { name: pipeline.name, seed: pipeline.seed, model: modelLayers, data: pipeline.data(d), train: pipeline.train(d) };
}

export function fingerprintOf(pipeline: CompiledPipeline, describe: Record<string, unknown>): string {
  // The model builder's code too: a change the summary cannot see (an initializer, a merge order) still counts.
  return createHash("sha256").update(JSON.stringify(describe)).update(pipeline.buildModel.toString()).digest("hex").slice(0, 16);
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

/** Writes a result file; a file system error is named in words with the file (the study itself is safe in its storage). */
function writeResult(path: string, write: () => void): void {
  try {
    write();
  } catch (e) {
    if (!(e as NodeJS.ErrnoException).code) throw e;
    throw new Error(`${fsFailure("cannot write the study's results to", path, e)} (the trials are kept in the study's storage: rerun with another --out to write them)`);
  }
}

const writeJson = (path: string, value: unknown): void => writeResult(path, () => writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n"));

const safeName = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, "_");

/** Live display: the trial table redrawn in place on a terminal; one line per event otherwise. */
class Display {
  private drawn = 0;
  private last: StudyUpdate | null = null;
  private table = "";
  constructor(private metric: string, private tty: boolean, private quiet: boolean, private runner: () => TrialRunner | undefined) {}

  update(u: StudyUpdate): void {
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
    this.redraw(true);
  }

  /** Redraws the table (rebuilt from the last update when `rebuild`) and the running trial's epoch line. */
  redraw(rebuild = false): void {
    if (this.quiet || !this.tty) return;
    if (rebuild && this.last) {
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

/** Runs (or resumes, or joins) the pipeline's study; the process exit code: 0 done, 1 no trial completed, 130 interrupted. */
export async function tunePipeline(o: TuneSessionOptions): Promise<number> {
  const { pipeline, source } = o;
  const spec = pipeline.tune;
  if (!spec) {
    await o.storage?.close();
    throw new Error(`${source.file} has no \`tune\` section: declare one, e.g. \`tune { strategy random(trials: 20)  objective maximize val_accuracy }\``);
  }
  if (!pipeline.params.some((x) => x.space)) {
    await o.storage?.close();
    throw new Error(`${source.file}: no param declares a \`tune\` space, so there is nothing to search (e.g. \`param lr = 1e-3 tune log_uniform(1e-4, 1e-2)\`)`);
  }
  const studyName = o.study ?? pipeline.name;
  const { trials, epochs, limit, backend } = o;
  const quiet = o.quiet === true;
  const studyDir = resolve(o.out, pipeline.name, "tune");
  try {
    mkdirSync(studyDir, { recursive: true });
  } catch (e) {
    await o.storage?.close();
    throw new Error(`${fsFailure("cannot make the study folder", studyDir, e)} (choose another folder with --out)`);
  }
  const storage = o.storage ?? (o.storageUrl ? await openStorage(o.storageUrl) : SqliteStorage.inFolder(studyDir));
  const trialsDir = join(studyDir, "trials", safeName(studyName));
  const metric = spec.objective.metric;
  const direction = spec.objective.direction;

  let runner: TrialRunner | undefined;
  const tty = process.stdout.isTTY === true;
  const display = new Display(metric, tty, quiet, () => runner);
  runner = await trialRunner(pipeline, {
    trialsDir, backend, metric, direction,
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
      process.stderr.write(`\ninterrupt: stopping the running trial after its current batch; the study resumes with \`${resumeCommand(source.file, o.storageUrl, o.study)}\` (Ctrl-C again to quit at once)\n`);
    } else {
      process.stderr.write("interrupt: quitting; the running trial is retried when the study resumes\n");
      process.exit(130);
    }
  };
  process.on("SIGINT", onSigint);

  const pipelineEpochs = pipeline.train(pipeline.defaults).epochs;
  const describe = describePipeline(pipeline, o.modelLayers);
  const reproduce = (t: TrialRecord): string => reproduceCommand(source.file, t, { pipelineEpochs, ...(limit !== undefined ? { limit } : {}), backend });
  const saveResults = (trialsNow: TrialRecord[], best: TrialRecord | null): void => {
    writeJson(join(studyDir, "trials.json"), { study: studyName, storage: storage.location, metric, direction, trials: trialsNow });
    if (best) {
      writeJson(join(studyDir, "best.json"), {
        study: studyName, metric, direction, value: best.value, trial: best.number, params: best.params, metrics: best.metrics,
        epochs: best.epochs ?? epochs ?? pipelineEpochs, seed: best.seed, checkpoint: best.checkpointDir,
        command: reproduce(best),
      });
    }
  };
  if (!quiet) {
    const budget = trials ?? ("trials" in spec.strategy ? spec.strategy.trials : spec.strategy.kind === "grid" ? spec.trials : undefined);
    const checked = o.combinationsChecked || 1;
    process.stderr.write(
      `study "${studyName}" in ${storage.location}: ${spec.strategy.kind}${budget !== undefined ? `, ${budget} trials` : ""}, ${direction} ${metric}` +
        ` (${checked} shape combination${checked === 1 ? "" : "s"} checked)\n`,
    );
  }

  let result: StudyResult;
  try {
    result = await runStudy({
      spec, params: pipeline.params, seed: pipeline.seed, storage, studyName,
      fingerprint: fingerprintOf(pipeline, describe), describe,
      pipeline: source,
      objective: runner.objective,
      worker: o.worker === true,
      signal: controller.signal,
      ...(o.stale !== undefined ? { staleMs: o.stale * 1000 } : {}),
      ...(trials !== undefined ? { trials } : {}),
      ...(epochs !== undefined ? { epochs } : {}),
      onUpdate: (u) => {
        display.update(u);
        if (u.event.kind !== "started") saveResults(u.trials, u.best);
      },
    });
  } finally {
    process.removeListener("SIGINT", onSigint);
    await storage.close();
  }

  saveResults(result.trials, result.best);
  const html = join(studyDir, "report.html");
  writeResult(html, () => writeFileSync(html, renderStudyHtml(result, `Study ${studyName} — ${pipeline.name}`)));
  if (!tty && !quiet) process.stdout.write("\n" + renderTrialTable(result.trials, { metric, best: result.best }) + "\n");

  const best = result.best;
  if (controller.signal.aborted) {
    process.stdout.write(`\nstudy interrupted after ${result.trials.filter((t) => t.status === "complete").length} complete trials; resume with: ${resumeCommand(source.file, o.storageUrl, o.study)}\n`);
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
      `reproduce: ${reproduce(best)}`,
      `written: ${join(studyDir, "trials.json")}, ${join(studyDir, "best.json")}, ${html}`,
      "",
    ].join("\n"),
  );
  return controller.signal.aborted ? 130 : 0;
}
