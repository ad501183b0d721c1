// runPipeline: backend -> data -> model (seeded) -> train -> evaluate -> save -> report.
// Outputs go to a temporary folder renamed over OUT/<pipeline>/ at the very end, so a failed
// run never overwrites an earlier one.
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { fsReason, prepareOutDir } from "./outdir.ts";
import { join, resolve } from "node:path";
import { tf } from "./tf.ts";
import type { Params } from "./spec.ts";
import type { CompiledPipeline } from "./pipeline.ts";
import { backendNote, initBackend, type BackendChoice } from "./backend.ts";
import { loadDataset } from "./data/dataset.ts";
import type { Dataset, Split } from "./data/types.ts";
import { evaluateHeads, evaluateSplit, trainModel, type History } from "./train.ts";
import { classificationReport, confusionMatrix, reportText, type AverageRow } from "./metrics.ts";
import { withSeededMathRandom } from "./rng.ts";
import { loadModel, loadWeightsInto, saveModel } from "./io.ts";
import { renderKFoldReport, renderReport } from "./report.ts";
import { jsonDiff } from "./tune/storage.ts";
import { writePredictPage } from "./export/predict_page.ts";
import { TrainingError } from "./errors.ts";
import { readCheckpointFile, writeCheckpointFile, type CheckpointFile } from "./checkpoint.ts";
import { loadInitWeights } from "./weights.ts";
import { checkResumable, describeRun, LOCK_FILE, partialDir, runFingerprint, STATE_FILE, takeLock } from "./resume.ts";

export interface RunOptions<P extends Params = Params> {
  backend?: BackendChoice;
  /** Overrides the pipeline's epochs. */
  epochs?: number;
  /** Overrides of the pipeline's parameter defaults. */
  params?: Partial<P>;
  /** Caps training (and test) samples. */
  limit?: number;
  /** Output root; the run goes to OUT/<pipeline>/ (default "runs"). */
  out?: string;
  /** Exact output folder (the tuner's trial dirs); overrides out/<pipeline>. */
  dir?: string;
  quiet?: boolean;
  /** Epochs already done, for resumed runs (numbering and schedules continue). */
  initialEpoch?: number;
  /** A run folder whose model.json / weights.bin initialise the model. */
  resumeFrom?: string;
  /** Write model.json, weights.bin, history.json, metrics.json (default true). */
  save?: boolean;
  /** Write report.html (default true). */
  report?: boolean;
  /** Write predict.html + tf.min.js beside a saved image model (default: when saving to OUT/<pipeline>, not to a tuner's trial `dir`). */
  predictPage?: boolean;
  /** Evaluate on the test split after training (default: when the pipeline has evaluate). */
  evaluate?: boolean;
  /** Called after every epoch (tuners report intermediate values here). */
  onEpochEnd?: (epoch: number, logs: Record<string, number>) => void | Promise<void>;
  /** Polled after every batch; true stops training (a pruned trial). */
  shouldStop?: () => boolean;
  /** Seeds weight initialisation, shuffling and augmentation (default: the pipeline's seed; a tuner passes each trial's). The data split keeps the pipeline's seed. */
  seed?: number;
  /** Loaded data sets by spec, shared across runs in one process (a tuner's trials load the data once). */
  dataCache?: Map<string, Dataset>;
  /** Continue the unfinished run in DIR.partial/ (or the Ctrl-C'd one in DIR/) from its last checkpoint. */
  resume?: boolean;
  /** Write DIR.partial/state.ckpt after every epoch, so a crash loses at most one (default: when saving to OUT/<pipeline>). */
  crashSafe?: boolean;
  /** With `split kfold K`: train only this fold (0-based); without it, runPipeline runs every fold. */
  fold?: number;
}

/** Per-fold metrics of `split kfold K`, with their mean and (population) standard deviation. */
export interface CrossValidation {
  k: number;
  stratified: boolean;
  /** Each fold's last-epoch logs (loss, val_loss, …) and its test metrics when evaluated. */
  folds: { fold: number; final: Record<string, number>; test: Record<string, number> | null }[];
  mean: Record<string, number>;
  std: Record<string, number>;
}

function meanStd(rows: Record<string, number>[]): { mean: Record<string, number>; std: Record<string, number> } {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const mean: Record<string, number> = {}, std: Record<string, number> = {};
  for (const k of keys) {
    const v = rows.map((r) => r[k]).filter((x): x is number => typeof x === "number");
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    mean[k] = m;
    std[k] = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
  }
  return { mean, std };
}

/** The file in a crash-safe k-fold run's DIR.partial/ that says which run its folds belong to. */
export const KFOLD_FILE = "kfold.json";

/**
 * `split kfold K`: K runs, fold i validating the model trained on the others, each a full run
 * folder under DIR/folds/<i>; DIR/metrics.json holds the last fold's metrics with `final` the
 * mean over folds, plus `crossValidation` (per fold, mean, std); DIR/history.json (and the
 * returned history, which a tuner scores) is the per-epoch mean over folds; DIR/report.html
 * shows the folds side by side with links to each fold's report. The folder is replaced in one
 * rename at the end. A crash-safe run (as single runs: saving to OUT/<pipeline>) works in
 * DIR.partial/, each fold checkpointing in its own folds/<i>.partial/ as a single run does, so
 * `--resume` keeps the finished folds, continues the interrupted one from its state.ckpt and
 * runs the rest; kfold.json there refuses a resume with another pipeline or settings.
 */
async function runKFold<P extends Params>(pipeline: CompiledPipeline<P>, options: RunOptions<P>, k: number): Promise<RunResult> {
  const say = (s: string): void => { if (!options.quiet) process.stderr.write(`${s}\n`); };
  const dir = resolve(options.dir ?? join(options.out ?? "runs", pipeline.name));
  const save = options.save ?? true;
  if (options.resume && !save) throw new TrainingError("--resume continues a saved run; this k-fold run does not save");
  const crashSafe = save && (options.resume || (options.crashSafe ?? options.dir === undefined));
  const work = crashSafe ? partialDir(dir) : join(resolve(dir, ".."), `.${pipeline.name}.kfold-${process.pid}-${Date.now()}`);
  const params = { ...pipeline.defaults, ...(options.params ?? {}) } as P;
  const spec = pipeline.data(params).split.kfold!;
  const plan = kfoldPlan(pipeline, params, options, k, spec.stratified);
  const planFile = join(work, KFOLD_FILE);
  const foldDir = (f: number): string => join(work, "folds", String(f + 1));
  const foldDone = (f: number): boolean => existsSync(join(foldDir(f), "metrics.json")) && !existsSync(join(foldDir(f), STATE_FILE));
  const foldStarted = (f: number): boolean => existsSync(join(partialDir(foldDir(f)), STATE_FILE)) || existsSync(join(foldDir(f), STATE_FILE));
  if (crashSafe) {
    try {
      prepareOutDir(dir, pipeline.name);
    } catch (e) {
      throw new TrainingError((e as Error).message);
    }
    const doneCount = (): number => Array.from({ length: k }, (_, f) => f).filter(foldDone).length;
    if (options.resume) {
      if (!existsSync(planFile)) throw new TrainingError(`nothing to resume: there is no unfinished k-fold run in ${work}${existsSync(dir) ? ` (${dir} is a finished run)` : ""}; run without --resume to start training`);
      checkKFoldResumable(planFile, plan);
      takeLock(work);
      say(`resuming the k-fold run in ${work}: ${doneCount()} of ${k} folds done`);
    } else {
      if (existsSync(planFile)) throw new TrainingError(`${work} holds an unfinished k-fold run (${doneCount()} of ${k} folds done): continue it with --resume, or delete that folder to start over`);
      if (existsSync(work)) {
        takeLock(work);
        rmSync(work, { recursive: true, force: true });
      }
      mkdirSync(work, { recursive: true });
      takeLock(work);
      writeFileSync(planFile, JSON.stringify(plan, null, 2));
    }
  }
  const cache = options.dataCache ?? new Map<string, Dataset>();
  const folds: CrossValidation["folds"] = [];
  const histories: History[] = [];
  let last: RunResult | null = null;
  const readJson = <T>(f: string): T => JSON.parse(readFileSync(f, "utf8")) as T;
  try {
    for (let f = 0; f < k; f++) {
      if (crashSafe && foldDone(f)) {
        // Finished before the interruption: its files stay, its numbers join the mean.
        say(`fold ${f + 1}/${k}: finished earlier, kept`);
        const m = readJson<RunMetrics>(join(foldDir(f), "metrics.json"));
        folds.push({ fold: f + 1, final: m.final, test: m.test });
        histories.push(readJson<History>(join(foldDir(f), "history.json")));
        last?.model.dispose();
        last = f === k - 1
          ? { dir: foldDir(f), backend: m.backend, history: histories[f]!, metrics: m, epochsRun: m.epochs, stoppedEarly: m.stoppedEarly, interrupted: false, model: await loadModel(foldDir(f)), ...(m.stopReason ? { stopReason: m.stopReason } : {}) }
          : null;
        continue;
      }
      const resume = crashSafe && foldStarted(f);
      say(`fold ${f + 1}/${k}${resume ? " (resumed)" : ""}`);
      last?.model.dispose();
      // A tuner's per-epoch reports come once, after the folds, as the mean over folds (below).
      const { onEpochEnd: _perEpoch, resume: _resume, ...foldOptions } = options;
      last = await runPipeline(pipeline, { ...foldOptions, fold: f, dir: foldDir(f), crashSafe, resume, predictPage: false, dataCache: cache });
      if (last.interrupted && crashSafe) {
        // Ctrl-C: the fold was saved with its training state; the k-fold run stops here.
        rmSync(join(work, LOCK_FILE), { force: true });
        say(`k-fold run stopped in fold ${f + 1}/${k}; \`dlpc run … --resume\` continues it (${work})`);
        return { ...last, dir: work };
      }
      folds.push({ fold: f + 1, final: last.metrics.final, test: last.metrics.test });
      histories.push(last.history);
    }
    // The run's history is the per-epoch mean over the folds that reached the epoch, so a tuning
    // objective (val_accuracy, …) is the cross-validated mean.
    const history: History = {};
    const epochs = Math.max(...histories.map((h) => h["epoch"]?.length ?? 0));
    for (const key of new Set(histories.flatMap((h) => Object.keys(h)))) {
      history[key] = Array.from({ length: epochs }, (_, e) => {
        const v = histories.map((h) => h[key]?.[e]).filter((x): x is number => typeof x === "number");
        return key === "epoch" ? e + 1 : v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
      });
    }
    for (let e = 0; e < epochs; e++) await options.onEpochEnd?.(e + 1, Object.fromEntries(Object.entries(history).filter(([key]) => key !== "epoch").map(([key, v]) => [key, v[e]!])));
    const finals = meanStd(folds.map((x) => x.final));
    const tests = folds.every((x) => x.test) ? meanStd(folds.map((x) => x.test!)) : null;
    const cv: CrossValidation = {
      k, stratified: spec.stratified, folds,
      mean: { ...finals.mean, ...(tests ? Object.fromEntries(Object.entries(tests.mean).map(([key, v]) => [`test_${key}`, v])) : {}) },
      std: { ...finals.std, ...(tests ? Object.fromEntries(Object.entries(tests.std).map(([key, v]) => [`test_${key}`, v])) : {}) },
    };
    const shown = Object.keys(cv.mean).filter((key) => key.startsWith("val_") || key.startsWith("test_"));
    say(`cross-validation (${k} folds): ${shown.map((key) => `${key} ${cv.mean[key]!.toFixed(4)} ± ${cv.std[key]!.toFixed(4)}`).join(", ")}`);
    const metrics = { ...last!.metrics, final: finals.mean, crossValidation: cv } as RunMetrics;
    if (save) {
      writeFileSync(join(work, "metrics.json"), JSON.stringify(metrics, null, 2));
      writeFileSync(join(work, "history.json"), JSON.stringify(history, null, 2));
      if (options.report ?? true) {
        writeFileSync(join(work, "report.html"), renderKFoldReport({
          pipeline: pipeline.name, sourceFile: pipeline.sourceFile, backend: last!.backend, cv, history,
          foldReports: folds.map((x) => (existsSync(join(foldDir(x.fold - 1), "report.html")) ? `folds/${x.fold}/report.html` : null)),
          settings: { seed: options.seed ?? pipeline.seed, hyperparameters: params, limit: options.limit ?? null },
        }));
      }
      if (crashSafe) {
        rmSync(planFile, { force: true });
        rmSync(join(work, LOCK_FILE), { force: true });
      }
      const old = `${work}.old-${process.pid}`;
      if (existsSync(dir)) renameSync(dir, old);
      renameSync(work, dir);
      rmSync(old, { recursive: true, force: true });
      say(`saved: ${dir} (each fold in ${join(dir, "folds")}; report.html compares them)`);
    } else rmSync(work, { recursive: true, force: true });
    return { ...last!, dir, metrics, history };
  } catch (e) {
    if (!crashSafe) rmSync(work, { recursive: true, force: true });
    else {
      rmSync(join(work, LOCK_FILE), { force: true });
      if (e instanceof Error && !/cannot resume from|holds an unfinished|is in use/.test(e.message)) e.message += `\nthe finished folds and the last epoch's checkpoint are kept in ${work}: \`dlpc run … --resume\` continues from them`;
    }
    throw e;
  }
}

/** What a resumed k-fold run must share with the one it continues (its finished folds' numbers are kept). */
function kfoldPlan<P extends Params>(pipeline: CompiledPipeline<P>, params: P, options: RunOptions<P>, k: number, stratified: boolean): Record<string, unknown> {
  const { epochs: _epochs, ...train } = pipeline.train(params);
  return {
    pipeline: pipeline.name, k, stratified, seed: options.seed ?? pipeline.seed, params, limit: options.limit ?? null, epochs: options.epochs ?? null,
    data: pipeline.data(params), train,
    model: createHash("sha256").update(pipeline.buildModel.toString()).digest("hex").slice(0, 16),
  };
}

function checkKFoldResumable(file: string, plan: Record<string, unknown>): void {
  let was: Record<string, unknown>;
  try {
    was = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new TrainingError(`cannot resume from ${file}: not a readable k-fold record (${(e as Error).message}); delete ${join(file, "..")} to start over`);
  }
  const changes = jsonDiff(was, JSON.parse(JSON.stringify(plan)));
  if (changes.length > 0) {
    throw new TrainingError(
      `cannot resume from ${file}: the k-fold run was started with a different pipeline or settings:\n` +
        changes.slice(0, 20).map((c) => `  ${c}`).join("\n") + (changes.length > 20 ? `\n  … ${changes.length - 20} more` : "") +
        `\nrestore the original pipeline and flags, or delete ${join(file, "..")} to start over`,
    );
  }
}

export interface RunMetrics {
  pipeline: string;
  sourceFile: string;
  sourceHash: string;
  backend: string;
  epochs: number;
  /** model.countParams() */
  params: number;
  hyperparameters: Params;
  seed: number;
  data: string;
  trainSamplesPerSecond: number;
  stoppedEarly: boolean;
  stopReason?: string;
  bestEpoch?: number;
  /** The last epoch's logs (loss, val_loss, ...). */
  final: Record<string, number>;
  evaluatedOn: "test" | "validation" | null;
  test: Record<string, number> | null;
  confusionMatrix: number[][] | null;
  perClass?: { precision: number[]; recall: number[]; f1: number[]; support: number[] };
  /** `split kfold K` runs: per-fold metrics, mean and std. */
  crossValidation?: CrossValidation;
  /** scikit-learn's summary rows of the classification report. */
  classificationReport?: { accuracy: number; macro: AverageRow; weighted: AverageRow };
  classNames?: string[];
}

export interface RunResult {
  dir: string;
  backend: string;
  history: History;
  metrics: RunMetrics;
  epochsRun: number;
  stoppedEarly: boolean;
  stopReason?: string;
  /** True when Ctrl-C stopped training (the run was still evaluated and saved, best weights kept). */
  interrupted: boolean;
  /** The trained model (the caller disposes it, or lets the process end). */
  model: tf.LayersModel;
}

function modelSummary(model: tf.LayersModel): string[] {
  const lines: string[] = [];
  model.summary(100, undefined, (line: string) => lines.push(line));
  return lines;
}

export async function runPipeline<P extends Params>(pipeline: CompiledPipeline<P>, options: RunOptions<P> = {}): Promise<RunResult> {
  const say = (s: string): void => { if (!options.quiet) process.stderr.write(`${s}\n`); };
  const params = { ...pipeline.defaults, ...(options.params ?? {}) } as P;
  const backend = await initBackend(options.backend ?? "auto");
  say(`backend: ${backend}${backendNote(backend)}`);
  const dataSpec = pipeline.data(params);
  if (!dataSpec?.source || !Array.isArray(dataSpec.inputs) || !dataSpec.inputs.length) {
    // The emitter writes `{}` when the checker produced no data spec without reporting an error.
    throw new TrainingError(`${pipeline.sourceFile}: the compiled pipeline \`${pipeline.name}\` has an empty data spec (no source or input shape); its data section was not understood by dlpc`);
  }
  const spec = pipeline.train(params);
  const seed = options.seed ?? pipeline.seed;
  if (dataSpec.split.kfold && options.fold === undefined) return runKFold(pipeline, options, dataSpec.split.kfold.k);
  const dataKey = JSON.stringify([dataSpec, options.limit ?? null, pipeline.seed, options.fold ?? null]);
  const cached = options.dataCache?.get(dataKey);
  const data: Dataset = cached ?? await loadDataset(dataSpec, { seed: pipeline.seed, ...(options.limit !== undefined ? { limit: options.limit } : {}), ...(options.fold !== undefined ? { fold: options.fold } : {}) });
  if (!cached) options.dataCache?.set(dataKey, data);
  say(`data: ${data.description}`);
  const dir = resolve(options.dir ?? join(options.out ?? "runs", pipeline.name));
  // Before training: an unwritable output folder fails now, not after the last epoch.
  if ((options.save ?? true) || (options.report ?? true)) {
    try {
      prepareOutDir(dir, pipeline.name);
    } catch (e) {
      throw new TrainingError((e as Error).message);
    }
  }
  const save = options.save ?? true;
  const report = options.report ?? true;
  const writes = save || report;
  const crashSafe = writes && (options.resume || (options.crashSafe ?? options.dir === undefined));
  const partial = partialDir(dir);
  const stateFile = join(partial, STATE_FILE);

  // A resume reads the checkpoint before anything trains; a fresh run refuses to discard one.
  let ck: CheckpointFile | null = null;
  if (options.resume) {
    if (existsSync(stateFile)) ck = readCheckpointFile(stateFile);
    else if (existsSync(join(dir, STATE_FILE))) {
      // A run stopped with Ctrl-C was saved with its state: continue it in a fresh .partial copy.
      ck = readCheckpointFile(join(dir, STATE_FILE));
      rmSync(partial, { recursive: true, force: true });
      cpSync(dir, partial, { recursive: true });
    } else {
      throw new TrainingError(`nothing to resume: there is no checkpoint ${stateFile}${existsSync(dir) ? ` (${dir} is a finished run)` : ""}; run without --resume to start training`);
    }
    if (ck.backend !== backend) say(`note: the checkpoint was written on the ${ck.backend} backend, this run uses ${backend}: results will not be bit-identical to an uninterrupted run`);
  } else if (crashSafe && existsSync(partial)) {
    if (existsSync(stateFile)) {
      let what = "";
      try { const c = readCheckpointFile(stateFile); what = ` (${c.loop.epoch} of ${c.loop.targetEpochs} epochs done, written ${c.writtenAt})`; } catch { /* described by --resume */ }
      throw new TrainingError(`${partial} holds an unfinished run${what}: continue it with --resume, or delete that folder to start over`);
    }
    takeLock(partial);
    rmSync(partial, { recursive: true, force: true });
  }
  const epochs = options.epochs ?? (ck ? ck.loop.targetEpochs : spec.epochs);

  // The working folder: DIR.partial (crash-safe runs) or a temporary one, renamed over DIR at the end.
  const parent = resolve(dir, "..");
  const work = writes ? (crashSafe ? partial : join(parent, `.${pipeline.name}.tmp-${process.pid}-${Date.now()}`)) : null;
  const cleanWork = (keepState: boolean): void => {
    if (!work) return;
    if (keepState && crashSafe && existsSync(stateFile)) rmSync(join(partial, LOCK_FILE), { force: true });
    else rmSync(work, { recursive: true, force: true });
  };

  let built: { model: tf.LayersModel; result: Awaited<ReturnType<typeof trainModel>> };
  try {
    built = await withSeededMathRandom(seed, async (random) => {
      const model = pipeline.buildModel(params);
      if (spec.initWeights && !ck && !options.resumeFrom) await loadInitWeights(model, spec.initWeights, say);
      if (options.resumeFrom) await loadWeightsInto(model, options.resumeFrom);
      const describe = describeRun(pipeline as unknown as CompiledPipeline, { params, seed, data: dataSpec, train: spec, limit: options.limit ?? null, model });
      const fingerprint = runFingerprint(pipeline as unknown as CompiledPipeline, describe);
      if (ck) checkResumable(existsSync(stateFile) ? stateFile : join(dir, STATE_FILE), ck, describe, fingerprint);
      if (work) {
        mkdirSync(work, { recursive: true });
        if (crashSafe) takeLock(work);
      }
      if (ck) say(`resuming from ${stateFile}: ${ck.loop.epoch} of ${epochs} epochs done${ck.loop.done ? " (training had ended)" : ""}`);
      let warned = false;
      const result = await trainModel(model, spec, { train: data.train, validation: data.validation }, {
        epochs, seed, shuffle: dataSpec.shuffle, augment: dataSpec.augment, labels: dataSpec.outputs[0]!.labels, mathRandom: random,
        ...(dataSpec.outputs.length > 1 ? { outputs: dataSpec.outputs.map((o) => ({ name: o.name, labels: o.labels })) } : {}),
        ...(ck ? { resume: { ...ck, loop: { ...ck.loop, targetEpochs: epochs } } } : options.initialEpoch !== undefined ? { initialEpoch: options.initialEpoch } : {}),
        ...(options.quiet !== undefined ? { quiet: options.quiet } : {}),
        ...(options.onEpochEnd ? { onEpochEnd: options.onEpochEnd } : {}),
        ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
        ...(work ? { checkpointDir: work } : {}),
        ...(crashSafe ? {
          onCheckpoint: (state) => {
            try {
              writeCheckpointFile(stateFile, { ...state, describe, fingerprint, backend, writtenAt: new Date().toISOString() });
            } catch (e) {
              // A full disk: the previous checkpoint is intact; training goes on and retries next epoch.
              if (!warned) say(`warning: cannot write the checkpoint ${stateFile} (${(e as Error).message}); the previous one is kept`);
              warned = true;
            }
          },
        } : {}),
      });
      return { model, result };
    });
  } catch (e) {
    cleanWork(true);
    if (crashSafe && existsSync(stateFile) && e instanceof Error && !(e.message.includes("cannot resume from"))) {
      e.message += `\nthe last epoch's checkpoint is kept in ${partial}: \`dlpc run … --resume\` continues from it`;
    }
    throw e;
  }
  const { model, result } = built;

  // Evaluation on the test split (the validation split when there is no test set).
  const ev = pipeline.evaluate;
  const doEval = options.evaluate ?? ev !== null;
  let evaluatedOn: "test" | "validation" | null = null;
  let test: Record<string, number> | null = null;
  let cm: number[][] | null = null;
  if (doEval) {
    const want = ev?.split ?? "test";
    const split: Split | null = want === "test" ? data.test ?? data.validation : data.validation ?? data.test;
    if (split && split.n > 0) {
      evaluatedOn = split === data.test ? "test" : "validation";
      const metrics = ev?.metrics.length ? ev.metrics : spec.metrics;
      if (spec.heads && spec.heads.length > 1) {
        // Per head, as Keras's evaluate names them (`digit_accuracy`); `evaluate { … }` metrics
        // apply to each head whose labels they fit. The confusion matrix is the first class head's.
        const outputs = dataSpec.outputs.map((o) => ({ name: o.name, labels: o.labels }));
        const r = evaluateHeads(model, split, spec, spec.heads, outputs, ev?.metrics.length ? () => ev.metrics : undefined);
        test = r.logs;
        const k = outputs.findIndex((o) => o.labels.kind !== "regression");
        if ((ev?.confusionMatrix ?? true) && k >= 0) cm = confusionMatrix(r.preds[k]!);
      } else {
        const r = evaluateSplit(model, split, spec, dataSpec.outputs[0]!.labels, metrics, data.outputWidth);
        test = r.logs;
        if ((ev?.confusionMatrix ?? true) && dataSpec.outputs[0]!.labels.kind !== "regression") cm = confusionMatrix(r.preds);
      }
      say(`${evaluatedOn}: ${Object.entries(test).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(", ")}`);
    } else say("evaluate: no test or validation samples; skipped");
  }

  const creport = cm ? classificationReport(cm) : null;
  if (creport && cm) {
    const names = data.classNames && data.classNames.length === cm.length ? data.classNames : cm.map((_, i) => String(i));
    say(`classification report (${evaluatedOn}):\n${reportText(creport, names)}`);
  }
  const last = Object.fromEntries(Object.entries(result.history).filter(([k]) => k !== "epoch").map(([k, v]) => [k, v[v.length - 1]!]));
  const metrics: RunMetrics = {
    pipeline: pipeline.name,
    sourceFile: pipeline.sourceFile,
    sourceHash: pipeline.sourceHash,
    backend,
    epochs: result.epochsRun,
    params: model.countParams(),
    hyperparameters: params,
    seed,
    data: data.description,
    trainSamplesPerSecond: Math.round(result.trainSamplesPerSecond * 10) / 10,
    stoppedEarly: result.stoppedEarly,
    ...(result.stopReason ? { stopReason: result.stopReason } : {}),
    ...(result.bestEpoch !== undefined ? { bestEpoch: result.bestEpoch } : {}),
    final: last,
    evaluatedOn,
    test,
    confusionMatrix: cm,
    ...(creport ? { perClass: { precision: creport.precision, recall: creport.recall, f1: creport.f1, support: creport.support } } : {}),
    ...(creport ? { classificationReport: { accuracy: creport.accuracy, macro: creport.macro, weighted: creport.weighted } } : {}),
    ...(data.classNames ? { classNames: data.classNames } : {}),
  };

  if (work) {
    const tmp = work;
    try {
      if (save) {
        await saveModel(model, tmp);
        writeFileSync(join(tmp, "history.json"), JSON.stringify(result.history, null, 2));
        writeFileSync(join(tmp, "metrics.json"), JSON.stringify(metrics, null, 2));
        writeFileSync(join(tmp, "preprocess.json"), JSON.stringify(data.preprocess, null, 2));
        if ((options.predictPage ?? options.dir === undefined) && writePredictPage(tmp, pipeline.name, data.preprocess)) {
          say(`predict page: ${join(dir, "predict.html")} (serve the folder, e.g. python3 -m http.server -d ${/^[\w./+-]+$/.test(dir) ? dir : `'${dir.replace(/'/g, "'\\''")}'`})`);
        }
      }
      if (report) {
        writeFileSync(join(tmp, "report.html"), renderReport({
          pipeline: pipeline.name, sourceFile: pipeline.sourceFile, backend, history: result.history, metrics: { ...metrics },
          test, evaluatedOn, confusionMatrix: cm, classNames: data.classNames, summary: modelSummary(model),
          settings: { seed, hyperparameters: params, epochs, data: dataSpec, train: spec, evaluate: ev, limit: options.limit ?? null, resumeFrom: options.resumeFrom ?? null },
          ...(result.stopReason ? { stopReason: result.stopReason } : {}),
        }));
      }
      // The training state stays only in a run stopped with Ctrl-C (--resume continues it).
      if (crashSafe) {
        rmSync(join(tmp, LOCK_FILE), { force: true });
        if (!result.interrupted) rmSync(join(tmp, STATE_FILE), { force: true });
      }
      const old = `${tmp}.old-${process.pid}`;
      if (existsSync(dir)) renameSync(dir, old);
      renameSync(tmp, dir);
      rmSync(old, { recursive: true, force: true });
    } catch (e) {
      cleanWork(true);
      throw e instanceof TrainingError ? e : new TrainingError(`cannot write the run to ${dir}: ${fsReason(e)}`);
    }
    say(`saved: ${dir}`);
    if (result.interrupted && crashSafe && existsSync(join(dir, STATE_FILE))) say(`the training state was kept: \`dlpc run … --resume\` continues from the last finished epoch`);
  }
  return {
    dir, backend, history: result.history, metrics, epochsRun: result.epochsRun, stoppedEarly: result.stoppedEarly, interrupted: result.interrupted,
    ...(result.stopReason ? { stopReason: result.stopReason } : {}),
    model,
  };
}
