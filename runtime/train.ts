// The training loop, Keras fit-like: shuffled batches sliced from one typed array, optional
// augmentation, gradient clipping, learning-rate schedules, validation every epoch, callbacks
// (early_stop, checkpoint, reduce_lr), a stop on a non-finite loss or SIGINT that keeps the best
// weights, and progress on stderr.
import { tf } from "./tf.ts";
import { batchNormInferenceWhenFrozen } from "./freeze.ts";
import type { Augment, CallbackSpec, LabelSpec, TrainSpec } from "./spec.ts";
import type { Split } from "./data/types.ts";
import { augmentBatch, checkAugment } from "./data/augment.ts";
import { lossJs, lossTensor } from "./losses.ts";
import { computeMetrics, metricKey, type Predictions } from "./metrics.ts";
import { disposeOptimizer, makeOptimizer, scheduledLr, setLearningRate } from "./optimizers.ts";
import { mulberry32, permutation, type StatefulRng } from "./rng.ts";
import { checkPattern, formatPattern, optimizerState, restoreOptimizer, saveTensors, toTensor, type LoopState, type MonitorState, type TrainCheckpoint } from "./checkpoint.ts";
import { saveModel } from "./io.ts";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { Progress } from "./progress.ts";
import { TrainingError } from "./errors.ts";

export type History = Record<string, number[]>;

export interface TrainOptions {
  epochs: number;
  /** Epochs already done (resumed runs): numbering and schedules continue from here. */
  initialEpoch?: number;
  seed: number;
  shuffle: boolean;
  augment: Augment[];
  labels: LabelSpec;
  /** A model with several heads (TrainSpec.heads): every head's labels, in the model's output order. */
  outputs?: { name: string; labels: LabelSpec }[];
  quiet?: boolean;
  /** Called after each epoch with its logs (the tuner reports intermediate values here). */
  onEpochEnd?: (epoch: number, logs: Record<string, number>) => void | Promise<void>;
  /** Stop after the current batch when this becomes true (SIGINT sets it too). */
  shouldStop?: () => boolean;
  /** The PRNG installed as Math.random (dropout draws from it): checkpoints save its state. */
  mathRandom?: StatefulRng;
  /** Called after every complete epoch with the whole training state (the run writes it to disk). */
  onCheckpoint?: (state: TrainCheckpoint) => void | Promise<void>;
  /** A checkpoint to continue from: weights, optimizer, PRNGs, history and callback state. */
  resume?: TrainCheckpoint;
  /** Folder that checkpoint(path: …) writes its model files into (the run folder). */
  checkpointDir?: string;
}

export interface TrainResult {
  history: History;
  epochsRun: number;
  stoppedEarly: boolean;
  stopReason?: string;
  /** True when SIGINT (Ctrl-C) stopped training. */
  interrupted: boolean;
  /** The epoch (1-based) whose weights the model holds at the end, when the best were restored. */
  bestEpoch?: number;
  trainSamplesPerSecond: number;
}

/**
 * Dense targets of a batch of `b` samples: one-hot for classes, [B,1] for binary, [B,outputs] for
 * regression; with per-step labels [B, steps, …] of the same.
 */
export function targetTensor(y: Int32Array | Float32Array, labels: LabelSpec, b = labels.kind === "regression" ? y.length / labels.outputs : y.length): tf.Tensor {
  const width = labels.kind === "class" ? labels.classes : labels.kind === "binary" ? 1 : labels.outputs;
  const dense = labels.kind === "class" ? 1 : width;
  const shape = labels.perStep ? [b, y.length / (b * dense), width] : [b, width];
  if (labels.kind === "class") {
    // The one-hot rows written here rather than by tf.oneHot + cast + reshape: three kernels and
    // an upload fewer per batch, the same values (a label outside 0..classes-1 gives a zero row,
    // as tf.oneHot does; the labels were checked when the data loaded).
    const ids = y instanceof Int32Array ? y : Int32Array.from(y);
    const k = labels.classes;
    const hot = new Float32Array(ids.length * k);
    for (let i = 0; i < ids.length; i++) { const c = ids[i]!; if (c >= 0 && c < k) hot[i * k + c] = 1; }
    return tf.tensor(hot, shape);
  }
  return tf.tensor(Float32Array.from(y), shape);
}

/**
 * Per-class loss weights of `class_weight`: the explicit list, or scikit-learn's "balanced"
 * n / (classes · count_c) from the training labels (0 for a class with no samples).
 */
export function classWeights(cw: NonNullable<TrainSpec["classWeight"]>, train: Split, labels: LabelSpec): Float32Array {
  if (labels.kind === "regression") throw new TrainingError("class_weight needs class or binary labels; this pipeline's targets are regression values");
  // As Keras: "class_weight not supported for 3+ dimensional targets".
  if (labels.perStep) throw new TrainingError("class_weight weighs one label per sample; this pipeline's labels are per step (Keras refuses class_weight for 3-D targets too)");
  const classes = labels.kind === "class" ? labels.classes : 2;
  if (cw !== "balanced") {
    if (cw.length !== classes) throw new TrainingError(`class_weight lists ${cw.length} weight${cw.length === 1 ? "" : "s"}, but the labels have ${classes} classes (one weight per class, class 0 first)`);
    return Float32Array.from(cw);
  }
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < train.n; i++) counts[train.y[i * train.yWidth]!]! += 1;
  return Float32Array.from(counts, (c) => (c > 0 ? train.n / (classes * c) : 0));
}

/** Copies the samples `idx[start..end)` of a split into a batch (the split itself is never copied). */
export function sliceBatch(split: Split, idx: Int32Array | null, start: number, end: number): { x: Float32Array; y: Int32Array | Float32Array; b: number } {
  const per = split.x.length / Math.max(1, split.n);
  const b = end - start;
  if (!idx) return { x: split.x.slice(start * per, end * per), y: split.y.slice(start * split.yWidth, end * split.yWidth), b };
  const x = new Float32Array(b * per);
  const y = split.y instanceof Int32Array ? new Int32Array(b * split.yWidth) : new Float32Array(b * split.yWidth);
  for (let i = 0; i < b; i++) {
    const s = idx[start + i]!;
    x.set(split.x.subarray(s * per, s * per + per), i * per);
    for (let k = 0; k < split.yWidth; k++) y[i * split.yWidth + k] = split.y[s * split.yWidth + k]!;
  }
  return { x, y, b };
}

/** The inputs and targets of samples `idx[start..end)` of every input and head (a model with several). */
export function sliceHeads(split: Split, idx: Int32Array | null, start: number, end: number): { xs: Float32Array[]; ys: (Int32Array | Float32Array)[]; b: number } {
  const b = end - start;
  const inputs = split.inputs ?? [{ name: "x", x: split.x, sampleShape: split.sampleShape }];
  const outputs = split.outputs ?? [{ name: "y", y: split.y, yWidth: split.yWidth }];
  const rows = (src: Float32Array | Int32Array, per: number, into: Float32Array | Int32Array): void => {
    for (let i = 0; i < b; i++) {
      const s = idx ? idx[start + i]! : start + i;
      into.set(src.subarray(s * per, s * per + per), i * per);
    }
  };
  const xs = inputs.map((i) => {
    const per = i.sampleShape.reduce((a, c) => a * c, 1);
    const x = new Float32Array(b * per);
    rows(i.x, per, x);
    return x;
  });
  const ys = outputs.map((o) => {
    const y = o.y instanceof Int32Array ? new Int32Array(b * o.yWidth) : new Float32Array(b * o.yWidth);
    rows(o.y, o.yWidth, y);
    return y;
  });
  return { xs, ys, b };
}

/** Runs a model with several inputs and outputs over a split in batches; returns each head's [n, width] outputs. */
export function predictHeads(model: tf.LayersModel, split: Split, batchSize: number): { p: Float32Array; width: number }[] {
  const inputs = split.inputs ?? [{ name: "x", x: split.x, sampleShape: split.sampleShape }];
  const outs: { p: Float32Array; width: number }[] = [];
  for (let s = 0; s < split.n; s += batchSize) {
    const e = Math.min(split.n, s + batchSize);
    const { xs, b } = sliceHeads(split, null, s, e);
    const ps = tf.tidy(() => {
      const r = model.predict(xs.map((x, k) => tf.tensor(x, [b, ...inputs[k]!.sampleShape])));
      return (Array.isArray(r) ? r : [r]).map((t) => t.reshape([b, -1]));
    });
    ps.forEach((p, k) => {
      const width = p.shape[1]!;
      outs[k] ??= { p: new Float32Array(split.n * width), width };
      outs[k]!.p.set(p.dataSync() as Float32Array, s * width);
      p.dispose();
    });
  }
  return outs;
}

/**
 * Loss and metrics of a split for a model with several heads, keyed as Keras names them: `loss`
 * (the weighted sum), `digit_loss`, `digit_accuracy`, `recon_mae`, …; and each head's predictions.
 */
export function evaluateHeads(model: tf.LayersModel, split: Split, spec: Pick<TrainSpec, "batchSize">, heads: NonNullable<TrainSpec["heads"]>, outputs: { name: string; labels: LabelSpec }[], metricsOf?: (head: number) => TrainSpec["metrics"]): { logs: Record<string, number>; preds: Predictions[] } {
  const ps = predictHeads(model, split, spec.batchSize);
  const ys = split.outputs ?? [{ name: "y", y: split.y, yWidth: split.yWidth }];
  const logs: Record<string, number> = { loss: 0 };
  const preds: Predictions[] = [];
  heads.forEach((h, k) => {
    const { p, width } = ps[k] ?? { p: new Float32Array(0), width: 0 };
    const y = ys[k]!.y;
    const labels = outputs[k]!.labels;
    const pr: Predictions = { p, width, n: split.n, y };
    const target = labels.kind === "class" ? (i: number, c: number) => (y[i] === c ? 1 : 0) : (i: number, c: number) => y[i * width + c]!;
    const l = lossJs(h.loss, p, width, split.n, target, h.lossDelta ?? 1);
    logs[`${h.name}_loss`] = l;
    logs["loss"]! += h.weight * l;
    for (const [m, v] of Object.entries(computeMetrics(pr, labels, metricsOf ? metricsOf(k) : h.metrics))) logs[`${h.name}_${m}`] = v;
    preds.push(pr);
  });
  return { logs, preds };
}

/** A model with several inputs and one head: every input's rows `start..end` (of the order `idx`) as tensors; undefined with one input. */
function severalInputs(split: Split, start: number, end: number, idx: Int32Array | null = null): tf.Tensor[] | undefined {
  if (!split.inputs || split.inputs.length < 2) return undefined;
  const { xs, b } = sliceHeads(split, idx, start, end);
  return xs.map((x, k) => tf.tensor(x, [b, ...split.inputs![k]!.sampleShape]));
}

/** Runs the model over a split in batches; returns [n, width] probabilities. */
export function predictSplit(model: tf.LayersModel, split: Split, batchSize: number): Float32Array {
  let out: Float32Array | null = null;
  let width = 0;
  for (let s = 0; s < split.n; s += batchSize) {
    const e = Math.min(split.n, s + batchSize);
    const { x, b } = sliceBatch(split, null, s, e);
    const p = tf.tidy(() => {
      const t = model.predict(severalInputs(split, s, e) ?? tf.tensor(x, [b, ...split.sampleShape])) as tf.Tensor;
      return t.reshape([b, -1]);
    });
    const values = p.dataSync() as Float32Array;
    if (!out) { width = p.shape[1]!; out = new Float32Array(split.n * width); }
    out.set(values, s * width);
    p.dispose();
  }
  return out ?? new Float32Array(0);
}

/** A split's predictions, `width` values per label: with per-step labels each step counts as one
 *  (n = samples × steps), so losses, metrics and the confusion matrix average over steps as Keras does. */
export function predictions(model: tf.LayersModel, split: Split, batchSize: number, width: number): Predictions {
  const p = predictSplit(model, split, batchSize);
  return { p, width, n: split.n > 0 ? p.length / width : 0, y: split.y };
}

/** Loss and metrics of a split, keyed like Keras ("loss", "accuracy", ...). */
export function evaluateSplit(model: tf.LayersModel, split: Split, spec: Pick<TrainSpec, "loss" | "lossDelta" | "batchSize">, labels: LabelSpec, metrics: TrainSpec["metrics"], width: number): { logs: Record<string, number>; preds: Predictions } {
  const pr = predictions(model, split, spec.batchSize, width);
  const target = labels.kind === "class" ? (i: number, k: number) => (pr.y[i] === k ? 1 : 0) : (i: number, k: number) => pr.y[i * width + k]!;
  const logs: Record<string, number> = { loss: lossJs(spec.loss, pr.p, width, pr.n, target, spec.lossDelta ?? 1) };
  Object.assign(logs, computeMetrics(pr, labels, metrics));
  return { logs, preds: pr };
}

interface Monitor { key: string; mode: "min" | "max"; best: number; wait: number }

function improved(m: Monitor, v: number, minDelta = 0): boolean {
  return m.mode === "min" ? v < m.best - minDelta : v > m.best + minDelta;
}

function resolveMonitor(key: string, hasValidation: boolean, note: (s: string) => void): string {
  if (key.startsWith("val_") && !hasValidation) {
    const k = key.slice(4);
    note(`warning: ${key} is monitored but there is no validation split; monitoring ${k} instead`);
    return k;
  }
  return key;
}

type Weights = tf.Tensor[];

/** Sets a model's weights from a checkpoint, naming the first weight whose shape differs. */
function setWeightsChecked(model: tf.LayersModel, saved: { name: string; shape: number[] }[], tensors: tf.Tensor[], what: string): void {
  const dst = model.weights;
  if (saved.length !== dst.length) throw new TrainingError(`${what} holds ${saved.length} weight tensors, the model has ${dst.length}`);
  saved.forEach((w, i) => {
    const want = dst[i]!.shape.join("×"), got = w.shape.join("×");
    if (want !== got) throw new TrainingError(`${what}: weight ${i} (${w.name}) is ${got}, the model's ${dst[i]!.name} needs ${want}`);
  });
  model.setWeights(tensors);
}

/** Writes the model as a tfjs folder at `dir` atomically (DIR.tmp, then renamed over DIR). */
async function saveModelAtomic(model: tf.LayersModel, dir: string): Promise<void> {
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  await saveModel(model, tmp);
  const old = `${dir}.old-${process.pid}`;
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

function snapshot(model: tf.LayersModel, old: Weights | null): Weights {
  old?.forEach((t) => t.dispose());
  return model.getWeights().map((w) => tf.keep(w.clone()));
}

/** Gradients scaled down to a global norm of at most `clipNorm` (Keras's `global_clipnorm`), when set. */
function clipByGlobalNorm(grads: tf.NamedTensorMap, clipNorm: number | undefined): tf.NamedTensorMap {
  if (!clipNorm) return grads;
  const norm = tf.sqrt(tf.addN(Object.values(grads).map((t) => tf.sum(tf.square(t)))));
  const scale = tf.minimum(1, tf.div(clipNorm, tf.maximum(norm, 1e-12)));
  return Object.fromEntries(Object.entries(grads).map(([k, t]) => [k, tf.mul(t, scale)]));
}

/** Trains `model` in place. The model need not be compiled. */
export async function trainModel(model: tf.LayersModel, spec: TrainSpec, data: { train: Split; validation: Split | null }, opts: TrainOptions): Promise<TrainResult> {
  const { train, validation } = data;
  const progress = new Progress(opts.quiet ?? false);
  checkAugment(opts.augment, train.sampleShape);
  const width = opts.labels.kind === "class" ? opts.labels.classes : opts.labels.kind === "binary" ? 1 : opts.labels.outputs;
  const optimizer = makeOptimizer(spec.optimizer);
  batchNormInferenceWhenFrozen(model);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const rng = mulberry32(opts.seed ^ 0x9e3779b9);
  let history: History = {};
  const push = (k: string, v: number): void => { (history[k] ??= []).push(v); };
  const steps = Math.ceil(train.n / spec.batchSize);
  const resume = opts.resume;
  const initialEpoch = resume ? resume.loop.epoch : opts.initialEpoch ?? 0;
  const lastEpoch = resume ? resume.loop.targetEpochs : initialEpoch + opts.epochs;
  const trainMetricKeys = opts.labels.kind !== "regression" && spec.metrics.some((m) => m.name === "accuracy");
  // A model with several heads: one loss per head, weighted into the total (Keras's dict losses).
  const heads = spec.heads && spec.heads.length > 1 ? spec.heads : null;
  const headOutputs = opts.outputs ?? [];
  if (heads) {
    if (headOutputs.length !== heads.length || heads.some((h, k) => h.name !== headOutputs[k]!.name)) throw new TrainingError(`the train spec's heads (${heads.map((h) => h.name).join(", ")}) differ from the data's outputs (${headOutputs.map((o) => o.name).join(", ")})`);
    if (model.outputs.length !== heads.length) throw new TrainingError(`the model has ${model.outputs.length} output(s), the train spec ${heads.length} heads`);
    if (spec.classWeight) throw new TrainingError("class_weight needs a model with one output (as in Keras); this model has several heads");
    if (opts.augment.length) throw new TrainingError("augment needs a model with one input; this model has several");
  }
  if (!heads && train.inputs && train.inputs.length > 1 && opts.augment.length) throw new TrainingError("augment needs a model with one input; this model has several");
  const headHits = heads ? heads.map((h, k) => headOutputs[k]!.labels.kind !== "regression" && h.metrics.some((m) => m.name === "accuracy")) : [];
  const cw = spec.classWeight ? classWeights(spec.classWeight, train, opts.labels) : null;
  if (cw && spec.classWeight === "balanced") progress.note(`class_weight balanced: ${Array.from(cw, (w, k) => `${k}: ${w.toFixed(3)}`).join(", ")}`);
  const regLosses = (): tf.Scalar[] => {
    const m = model as tf.LayersModel & { calculateLosses?: () => tf.Scalar[] };
    return typeof m.calculateLosses === "function" ? m.calculateLosses() : [];
  };

  // Callback state. "best" is what checkpoint/early_stop keep; without them, val_loss (or loss).
  const cbs: CallbackSpec[] = spec.callbacks;
  const note = (s: string): void => progress.note(s);
  const ckpt = cbs.find((c) => c.kind === "checkpoint");
  const early = cbs.find((c) => c.kind === "early_stop");
  const reduce = cbs.find((c) => c.kind === "reduce_lr");
  const bestSpec = ckpt ?? early ?? { monitor: validation ? "val_loss" : "loss", mode: "min" as const };
  let best: Monitor = { key: resolveMonitor(bestSpec.monitor, !!validation, note), mode: bestSpec.mode, best: bestSpec.mode === "min" ? Infinity : -Infinity, wait: 0 };
  let earlyM: Monitor | null = early ? { key: resolveMonitor(early.monitor, !!validation, note), mode: early.mode, best: early.mode === "min" ? Infinity : -Infinity, wait: 0 } : null;
  let reduceM: Monitor | null = reduce ? { key: resolveMonitor(reduce.monitor, !!validation, note), mode: reduce.mode, best: reduce.mode === "min" ? Infinity : -Infinity, wait: 0 } : null;
  let lrFactor = 1;
  let bestWeights: Weights | null = null;
  let bestEpoch: number | undefined;
  // checkpoint(path: …): model files written per epoch or per improvement, the last `keep` kept.
  const ckptPath = ckpt?.kind === "checkpoint" ? ckpt.path : undefined;
  if (ckptPath !== undefined) checkPattern(ckptPath);
  if (ckptPath !== undefined && !opts.checkpointDir) note(`checkpoint: this run saves nothing, so "${ckptPath}" files are not written`);
  let savedFiles: string[] = [];
  let stopReason: string | undefined;
  let stoppedEarly = false;
  let epochsRun = 0;
  let trainSeconds = 0;
  let samplesSeen = 0;
  let resumedDone = false;
  if (resume) {
    const l = resume.loop;
    setWeightsChecked(model, resume.weights, resume.weights.map((t) => toTensor(t)), "the checkpoint");
    restoreOptimizer(optimizer, resume.optimizer, l.optimizerScalars, "the checkpoint");
    rng.setState(l.rng);
    if (l.mathRandom !== null) opts.mathRandom?.setState(l.mathRandom);
    history = JSON.parse(JSON.stringify(l.history)) as History;
    lrFactor = l.lrFactor;
    const monitor = (m: MonitorState): Monitor => ({ ...m, best: m.best ?? (m.mode === "min" ? Infinity : -Infinity) });
    best = monitor(l.best);
    if (earlyM && l.early) earlyM = monitor(l.early);
    if (reduceM && l.reduce) reduceM = monitor(l.reduce);
    bestWeights = resume.bestWeights ? resume.bestWeights.map((t) => tf.keep(toTensor(t))) : null;
    if (l.bestEpoch !== null) bestEpoch = l.bestEpoch;
    savedFiles = l.savedFiles.slice();
    trainSeconds = l.trainSeconds;
    samplesSeen = l.samplesSeen;
    epochsRun = l.epoch;
    if (l.done) { resumedDone = true; if (l.stopReason) stopReason = l.stopReason; }
  }
  // JSON has no Infinity: a monitor that never saw a finite value is stored as null.
  const monitorState = (m: Monitor): MonitorState => ({ ...m, best: Number.isFinite(m.best) ? m.best : null });
  const checkpointState = async (epochsDone: number, done: boolean): Promise<void> => {
    if (!opts.onCheckpoint) return;
    const o = optimizerState(optimizer);
    const loop: LoopState = {
      epoch: epochsDone, targetEpochs: lastEpoch, done, ...(done && stopReason ? { stopReason } : {}),
      rng: rng.getState(), mathRandom: opts.mathRandom ? opts.mathRandom.getState() : null,
      history, lrFactor, best: monitorState(best), early: earlyM ? monitorState(earlyM) : null, reduce: reduceM ? monitorState(reduceM) : null,
      bestEpoch: bestEpoch ?? null, optimizerScalars: o.scalars, savedFiles, trainSeconds, samplesSeen,
    };
    await opts.onCheckpoint({
      loop,
      weights: saveTensors(model.weights.map((w) => ({ name: w.name, tensor: w.read() }))),
      bestWeights: bestWeights ? saveTensors(bestWeights.map((t, i) => ({ name: model.weights[i]?.name ?? String(i), tensor: t }))) : null,
      optimizer: o.tensors,
    });
  };
  const writeModelFile = async (epoch: number, logs: Record<string, number>, improvedNow: boolean): Promise<void> => {
    if (ckptPath === undefined || !opts.checkpointDir || ckpt?.kind !== "checkpoint") return;
    if ((ckpt.bestOnly ?? true) && !improvedNow) return;
    const rel = formatPattern(ckptPath, epoch, logs);
    await saveModelAtomic(model, join(opts.checkpointDir, rel));
    savedFiles = [...savedFiles.filter((f) => f !== rel), rel];
    while (ckpt.keep !== undefined && savedFiles.length > ckpt.keep) {
      const gone = savedFiles.shift()!;
      rmSync(join(opts.checkpointDir, gone), { recursive: true, force: true });
    }
  };

  let interrupted = false;
  const onSigint = (): void => { interrupted = true; note("interrupt: stopping after the current batch (Ctrl-C again to abort)"); process.removeListener("SIGINT", onSigint); };
  process.on("SIGINT", onSigint);
  const shouldStop = (): boolean => interrupted || (opts.shouldStop?.() ?? false);
  const augmented = (x: tf.Tensor): tf.Tensor => (opts.augment.length ? augmentBatch(x, opts.augment, rng) : x);
  const divergedAt = (lossV: number, epoch: number, b: number): string =>
    `loss became ${Number.isNaN(lossV) ? "NaN" : "infinite"} at epoch ${epoch + 1}, batch ${b + 1} of ${steps}` + (bestWeights ? `; the best weights (epoch ${bestEpoch}) were kept` : "");

  try {
    for (let epoch = initialEpoch; epoch < lastEpoch && !resumedDone; epoch++) {
      progress.epochStart();
      const order = opts.shuffle ? permutation(train.n, rng) : null;
      let lossSum = 0, correct = 0, seen = 0, batchesDone = 0;
      const headLoss = heads ? heads.map(() => 0) : [];
      const headCorrect = heads ? heads.map(() => 0) : [];
      let lr = 0;
      const t0 = performance.now();
      for (let b = 0; b < steps; b++) {
        lr = scheduledLr(spec.optimizer, epoch, epoch * steps + b) * lrFactor;
        setLearningRate(optimizer, lr);
        const s = b * spec.batchSize;
        if (heads) {
          const mb = sliceHeads(train, order, s, Math.min(train.n, s + spec.batchSize));
          const r = tf.tidy(() => {
            const xs = mb.xs.map((x, k) => tf.tensor(x, [mb.b, ...train.inputs![k]!.sampleShape]));
            const ys = mb.ys.map((y, k) => targetTensor(y, headOutputs[k]!.labels));
            const parts: tf.Scalar[] = [];
            const hits: tf.Scalar[] = [];
            const guards: tf.Scalar[] = [];
            const { value, grads } = tf.variableGrads(() => {
              const out = model.apply(xs, { training: true });
              const preds = (Array.isArray(out) ? out : [out]) as tf.Tensor[];
              let loss: tf.Scalar = tf.scalar(0);
              preds.forEach((pred, k) => {
                const h = heads[k]!;
                const part = lossTensor(h.loss, ys[k]!, pred, h.lossDelta ?? 1);
                parts.push(tf.keep(part));
                if (headHits[k]) {
                  const y = ys[k]!;
                  hits.push(tf.keep((y.shape[1] === 1
                    ? tf.sum(tf.equal(tf.greaterEqual(pred, 0.5).toFloat(), y).toFloat())
                    : tf.sum(tf.equal(tf.argMax(pred, -1), tf.argMax(y, -1)).toFloat())) as tf.Scalar));
                }
                // As below: a NaN prediction makes the batch's loss NaN whatever the clipping.
                guards.push(tf.keep(tf.sum(pred) as tf.Scalar));
                loss = tf.add(loss, tf.mul(h.weight, part));
              });
              for (const reg of regLosses()) loss = tf.add(loss, reg);
              return loss;
            }, vars);
            optimizer.applyGradients(clipByGlobalNorm(grads, spec.clipNorm));
            return { lossT: value, parts, hits, guards } as unknown as tf.TensorContainerObject;
          }) as unknown as { lossT: tf.Scalar; parts: tf.Scalar[]; hits: tf.Scalar[]; guards: tf.Scalar[] };
          let lossV = (await r.lossT.data())[0]!;
          r.lossT.dispose();
          for (const g of r.guards) { lossV += 0 * (await g.data())[0]!; g.dispose(); }
          const partV = await Promise.all(r.parts.map(async (t) => { const v = (await t.data())[0]!; t.dispose(); return v; }));
          const hitV = await Promise.all(r.hits.map(async (t) => { const v = (await t.data())[0]!; t.dispose(); return v; }));
          await new Promise<void>((res) => setImmediate(res));
          if (!Number.isFinite(lossV)) {
            stopReason = divergedAt(lossV, epoch, b);
            break;
          }
          lossSum += lossV * mb.b;
          seen += mb.b;
          partV.forEach((v, k) => { headLoss[k]! += v * mb.b; });
          let hk = 0;
          heads.forEach((_, k) => { if (headHits[k]) headCorrect[k]! += hitV[hk++]!; });
          const running: Record<string, number> = { loss: lossSum / seen };
          heads.forEach((h, k) => {
            running[`${h.name}_loss`] = headLoss[k]! / seen;
            if (headHits[k]) running[`${h.name}_accuracy`] = headCorrect[k]! / seen;
          });
          progress.batch(epoch + 1, lastEpoch, b + 1, steps, running);
          batchesDone = b + 1;
          // A stop at the last batch leaves a complete epoch: it is recorded, then the run stops after it.
          if (b + 1 < steps && shouldStop()) { stopReason = `interrupted at epoch ${epoch + 1}, batch ${b + 1} of ${steps}`; break; }
          continue;
        }
        const e = Math.min(train.n, s + spec.batchSize);
        const batch = sliceBatch(train, order, s, e);
        const { lossT, hitsT, guardT } = tf.tidy(() => {
          // Several inputs (no augmentation, refused above): each input's rows; else the batch's x.
          const x = severalInputs(train, s, e, order) ?? augmented(tf.tensor(batch.x, [batch.b, ...train.sampleShape]));
          const y = targetTensor(batch.y, opts.labels, batch.b);
          const sw = cw ? tf.tensor1d(Float32Array.from(batch.y, (c) => cw[c]!)) : undefined;
          let hits: tf.Scalar | null = null;
          let guard: tf.Scalar | null = null;
          const { value, grads } = tf.variableGrads(() => {
            const pred = model.apply(x, { training: true }) as tf.Tensor;
            if (trainMetricKeys) {
              hits = tf.keep(width === 1
                ? tf.sum(tf.equal(tf.greaterEqual(pred, 0.5).toFloat(), y).toFloat())
                : tf.sum(tf.equal(tf.argMax(pred, -1), tf.argMax(y, -1)).toFloat())) as tf.Scalar;
            }
            let loss = lossTensor(spec.loss, y, pred, spec.lossDelta ?? 1, sw);
            for (const r of regLosses()) loss = tf.add(loss, r);
            // The cross-entropies clip predictions, and clipping maps NaN to a bound on some
            // backends (wasm), so diverged weights could train on with a finite loss: the batch's
            // loss is read as loss + 0 · Σpred, which is the loss for finite predictions and NaN
            // otherwise. Σpred is kept off the loss's gradient path (it would add only zeros to the
            // gradients, at the price of a dozen kernels per batch forward and backward).
            guard = tf.keep(tf.sum(pred)) as tf.Scalar;
            return loss;
          }, vars);
          optimizer.applyGradients(clipByGlobalNorm(grads, spec.clipNorm));
          return (hits ? { lossT: value, hitsT: hits, guardT: guard! } : { lossT: value, guardT: guard! }) as tf.TensorContainerObject;
        }) as unknown as { lossT: tf.Scalar; hitsT?: tf.Scalar; guardT: tf.Scalar };
        const lossV = (await lossT.data())[0]! + 0 * (await guardT.data())[0]!;
        lossT.dispose();
        guardT.dispose();
        // Per-step labels: the hits count every step; accuracy is their share of the labels.
        if (hitsT) { correct += (await hitsT.data())[0]! / (opts.labels.perStep ? batch.y.length / batch.b : 1); hitsT.dispose(); }
        // Let signals and timers run between batches (wasm reads resolve without yielding).
        await new Promise<void>((r) => setImmediate(r));
        if (!Number.isFinite(lossV)) {
          stopReason = divergedAt(lossV, epoch, b);
          break;
        }
        lossSum += lossV * batch.b;
        seen += batch.b;
        const running: Record<string, number> = { loss: lossSum / seen };
        if (trainMetricKeys) running["accuracy"] = correct / seen;
        progress.batch(epoch + 1, lastEpoch, b + 1, steps, running);
        batchesDone = b + 1;
        if (b + 1 < steps && shouldStop()) { stopReason = `interrupted at epoch ${epoch + 1}, batch ${b + 1} of ${steps}`; break; }
      }
      trainSeconds += (performance.now() - t0) / 1000;
      samplesSeen += seen;
      if (stopReason && seen === 0) break;
      if (stopReason && stopReason.startsWith("loss became")) break;
      const logs: Record<string, number> = { loss: lossSum / Math.max(1, seen) };
      if (trainMetricKeys && !heads) logs["accuracy"] = correct / Math.max(1, seen);
      if (heads) heads.forEach((h, k) => {
        logs[`${h.name}_loss`] = headLoss[k]! / Math.max(1, seen);
        if (headHits[k]) logs[`${h.name}_accuracy`] = headCorrect[k]! / Math.max(1, seen);
      });
      // Interrupted mid-epoch (Ctrl-C, or shouldStop): as Keras, the partial epoch is not an epoch.
      // Its progress line shows the batches done; it enters neither the history, nor the best
      // weights, nor reduce_lr / early_stop / onEpochEnd; the model is restored to the best
      // complete epoch below, and --resume restarts from the last complete one.
      if (stopReason?.startsWith("interrupted at epoch")) {
        progress.epochEnd(epoch + 1, lastEpoch, steps, logs, batchesDone);
        break;
      }
      if (validation && validation.n > 0) {
        const v = heads ? evaluateHeads(model, validation, spec, heads, headOutputs).logs : evaluateSplit(model, validation, spec, opts.labels, spec.metrics, width).logs;
        for (const [k, val] of Object.entries(v)) logs[`val_${k}`] = val;
      }
      logs["lr"] = lr;
      epochsRun++;
      for (const [k, v] of Object.entries(logs)) push(k, v);
      push("epoch", epoch + 1);
      progress.epochEnd(epoch + 1, lastEpoch, steps, logs);

      const bv = logs[best.key];
      const improvedNow = bv !== undefined && Number.isFinite(bv) && improved(best, bv);
      if (improvedNow) {
        best.best = bv;
        bestWeights = snapshot(model, bestWeights);
        bestEpoch = epoch + 1;
      }
      await writeModelFile(epoch + 1, logs, improvedNow);
      if (reduceM && reduce?.kind === "reduce_lr") {
        const v = logs[reduceM.key];
        if (v !== undefined && improved(reduceM, v)) { reduceM.best = v; reduceM.wait = 0; }
        else if (++reduceM.wait >= reduce.patience) {
          const next = Math.max(reduce.minLr, lr * reduce.factor);
          if (next < lr) { lrFactor *= next / lr; note(`reduce_lr: ${reduceM.key} has not improved for ${reduce.patience} epochs; learning rate ${lr.toExponential(2)} -> ${next.toExponential(2)}`); }
          reduceM.wait = 0;
        }
      }
      await opts.onEpochEnd?.(epoch + 1, logs);
      if (stopReason) break;
      let earlyStop = false;
      if (earlyM && early?.kind === "early_stop") {
        const v = logs[earlyM.key];
        if (v !== undefined && improved(earlyM, v, early.minDelta)) { earlyM.best = v; earlyM.wait = 0; }
        else if (++earlyM.wait >= early.patience) {
          stopReason = `early_stop: ${earlyM.key} did not improve for ${early.patience} epochs (best ${earlyM.best.toFixed(4)})`;
          earlyStop = true;
        }
      }
      await checkpointState(epoch + 1, earlyStop);
      if (earlyStop) break;
      if (shouldStop()) { stopReason = `interrupted after epoch ${epoch + 1}`; break; }
    }
  } catch (e) {
    // An error mid-training (a callback, a kernel) must not strand the optimizer's state.
    bestWeights?.forEach((t) => t.dispose());
    disposeOptimizer(optimizer);
    throw e;
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
  if (stopReason) stoppedEarly = true;
  const diverged = stopReason?.startsWith("loss became") ?? false;
  if (diverged && !bestWeights) {
    disposeOptimizer(optimizer);
    throw new TrainingError(`training stopped: ${stopReason}; no epoch finished with a finite loss, so there are no weights to keep (lower the learning rate, or add clip_norm)`);
  }
  // Restore the best weights when a checkpoint or a restoring early_stop asks, or after divergence / interrupt.
  // A stop mid-epoch (SIGINT or shouldStop) restores too: the weights it left belong to no recorded epoch.
  const midEpoch = stopReason?.startsWith("interrupted at epoch") ?? false;
  const restore = bestWeights && (ckpt || (early?.kind === "early_stop" && early.restoreBest) || diverged || interrupted || midEpoch);
  let held: number | undefined;
  if (restore && bestWeights) {
    model.setWeights(bestWeights);
    held = bestEpoch;
    if (stopReason) note(`${stopReason}; restored the best weights (epoch ${bestEpoch}, ${best.key} ${best.best.toFixed(4)})`);
  } else if (stopReason) note(stopReason);
  bestWeights?.forEach((t) => t.dispose());
  disposeOptimizer(optimizer);
  return {
    history, epochsRun, stoppedEarly, interrupted,
    ...(stopReason ? { stopReason } : {}),
    ...(held !== undefined ? { bestEpoch: held } : {}),
    trainSamplesPerSecond: trainSeconds > 0 ? samplesSeen / trainSeconds : 0,
  };
}

export { metricKey };
