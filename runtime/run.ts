// runPipeline: backend -> data -> model (seeded) -> train -> evaluate -> save -> report.
// Outputs go to a temporary folder renamed over OUT/<pipeline>/ at the very end, so a failed
// run never overwrites an earlier one.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { fsReason, prepareOutDir } from "./outdir.ts";
import { join, resolve } from "node:path";
import { tf } from "./tf.ts";
import type { CompiledPipeline, Params } from "./spec.ts";
import { initBackend, type BackendChoice } from "./backend.ts";
import { loadDataset } from "./data/dataset.ts";
import type { Dataset, Split } from "./data/types.ts";
import { evaluateSplit, trainModel, type History } from "./train.ts";
import { confusionMatrix, perClass } from "./metrics.ts";
import { withSeededMathRandom } from "./rng.ts";
import { loadWeightsInto, saveModel } from "./io.ts";
import { renderReport } from "./report.ts";
import { writePredictPage } from "./export/predict_page.ts";
import { TrainingError } from "./errors.ts";

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
  perClass?: { precision: number[]; recall: number[]; support: number[] };
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
  say(`backend: ${backend}${backend === "cpu" ? " (pure JavaScript, the slowest; install @tensorflow/tfjs-node, or use --backend wasm)" : ""}`);
  const dataSpec = pipeline.data(params);
  if (!dataSpec?.source || !Array.isArray(dataSpec.inputShape)) {
    // The emitter writes `{}` when the checker produced no data spec without reporting an error.
    throw new TrainingError(`${pipeline.sourceFile}: the compiled pipeline \`${pipeline.name}\` has an empty data spec (no source or input shape); its data section was not understood by dlpc`);
  }
  const spec = pipeline.train(params);
  const epochs = options.epochs ?? spec.epochs;
  const seed = options.seed ?? pipeline.seed;
  const dataKey = JSON.stringify([dataSpec, options.limit ?? null, pipeline.seed]);
  const cached = options.dataCache?.get(dataKey);
  const data: Dataset = cached ?? await loadDataset(dataSpec, { seed: pipeline.seed, ...(options.limit !== undefined ? { limit: options.limit } : {}) });
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

  const { model, result } = await withSeededMathRandom(seed, async () => {
    const model = pipeline.buildModel(params);
    if (options.resumeFrom) await loadWeightsInto(model, options.resumeFrom);
    const result = await trainModel(model, spec, { train: data.train, validation: data.validation }, {
      epochs, seed, shuffle: dataSpec.shuffle, augment: dataSpec.augment, labels: dataSpec.labels,
      ...(options.initialEpoch !== undefined ? { initialEpoch: options.initialEpoch } : {}),
      ...(options.quiet !== undefined ? { quiet: options.quiet } : {}),
      ...(options.onEpochEnd ? { onEpochEnd: options.onEpochEnd } : {}),
      ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
    });
    return { model, result };
  });

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
      const r = evaluateSplit(model, split, spec, dataSpec.labels, metrics, data.outputWidth);
      test = r.logs;
      if ((ev?.confusionMatrix ?? true) && dataSpec.labels.kind !== "regression") cm = confusionMatrix(r.preds);
      say(`${evaluatedOn}: ${Object.entries(test).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(", ")}`);
    } else say("evaluate: no test or validation samples; skipped");
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
    ...(cm ? { perClass: perClass(cm) } : {}),
    ...(data.classNames ? { classNames: data.classNames } : {}),
  };

  const save = options.save ?? true;
  const report = options.report ?? true;
  if (save || report) {
    const parent = resolve(dir, "..");
    mkdirSync(parent, { recursive: true });
    const tmp = join(parent, `.${pipeline.name}.tmp-${process.pid}-${Date.now()}`);
    try {
      mkdirSync(tmp, { recursive: true });
      if (save) {
        await saveModel(model, tmp);
        writeFileSync(join(tmp, "history.json"), JSON.stringify(result.history, null, 2));
        writeFileSync(join(tmp, "metrics.json"), JSON.stringify(metrics, null, 2));
        writeFileSync(join(tmp, "preprocess.json"), JSON.stringify(data.preprocess, null, 2));
        if ((options.predictPage ?? options.dir === undefined) && writePredictPage(tmp, pipeline.name, data.preprocess)) {
          say(`predict page: ${join(dir, "predict.html")} (serve the folder, e.g. python3 -m http.server -d ${dir})`);
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
      const old = `${tmp}.old`;
      if (existsSync(dir)) renameSync(dir, old);
      renameSync(tmp, dir);
      rmSync(old, { recursive: true, force: true });
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e instanceof TrainingError ? e : new TrainingError(`cannot write the run to ${dir}: ${fsReason(e)}`);
    }
    say(`saved: ${dir}`);
  }
  return {
    dir, backend, history: result.history, metrics, epochsRun: result.epochsRun, stoppedEarly: result.stoppedEarly, interrupted: result.interrupted,
    ...(result.stopReason ? { stopReason: result.stopReason } : {}),
    model,
  };
}
