// The data the compiler hands the runtime: what a compiled pipeline's `data(p)`, `train(p)`,
// `evaluate` and `tune` give (the module contract itself, with its functions, is pipeline.ts).
// Everything here is plain data — types of JSON-able values, no functions, no classes, no
// imports — so that it can be printed, hashed (tuning studies), stored and written into reports
// (tests/structure/spec.test.ts holds it to that).

/** Per-sample shape: the batch axis is never written. `null` is an unknown length. */
export type Shape = (number | null)[];

export type SourceSpec =
  | { kind: "mnist" }
  | { kind: "fashion_mnist" }
  | { kind: "cifar10" }
  /** Token-id sequences; `numWords` keeps the most frequent ids (others become `oov`). */
  | { kind: "imdb"; numWords?: number }
  /** A folder holding train-/t10k- style IDX files (gzipped or not). */
  | { kind: "idx"; dir: string }
  /** A CSV file with a header row; `label` names the label column, `features` the inputs (default: all others). */
  | { kind: "csv"; path: string; label: string; features?: string[]; delimiter?: string }
  /** One sub-folder of .txt files per class (Keras text_dataset_from_directory): each file is one
   *  sample's raw text (the field `text`), labels are the sub-folder names in sorted order. */
  | { kind: "text_files"; dir: string }
  /** One sub-folder per class, PNG/JPEG files resized to `size`. */
  | { kind: "images"; dir: string; size: [number, number]; channels: 1 | 3 }
  /**
   * Windows over a CSV time series (rows in time order), Keras's timeseries_dataset_from_array:
   * each sample is `length` consecutive rows of the `features` columns (default: every column but
   * the targets), a window starting every `stride` rows. Its label is the `target` column(s)
   * `horizon` rows after the window's last step, or, for per-step labels, `horizon` rows after
   * each of its steps. Splits are cut by time (the last rows), never through a window.
   */
  | { kind: "window"; path: string; length: number; stride: number; target: string[]; horizon: number; features?: string[]; delimiter?: string };

/** Applied to the input features, in order, before the split. */
export type Transform =
  | { op: "scale"; by: number } // x * by  (`images / 255` becomes by = 1/255)
  | { op: "shift"; by: number } // x + by
  | { op: "reshape"; shape: number[] } // per-sample shape, element count preserved
  | { op: "standardize" } // per-feature mean / std, fitted on the training split only
  | { op: "normalize"; mean: number; std: number }
  | { op: "pad_sequences"; maxlen: number; padding: "pre" | "post"; truncating: "pre" | "post"; value: number }
  | { op: "channels_last" } // [C,H,W] samples -> [H,W,C]
  /** Typed CSV columns (or raw text) encoded into one vector per sample; always the first transform. */
  | { op: "columns"; columns: ColumnSpec[] };

/**
 * How one CSV column becomes part of the input vector, as Keras's preprocessing layers do it; every
 * statistic and vocabulary is fitted on the training split only and saved with the model.
 * numeric: the number (width 1); binary: yes/no, true/false, y/n, t/f, 1/0 -> 1/0 (width 1);
 * date: YYYY-MM-DD[ time] -> year, month, day, weekday (Monday 0) (width 4); category
 * (StringLookup): id 0 for a value outside the vocabulary, 1.. for the `maxTokens - 1` most
 * frequent training values (width 1, or `maxTokens` one-hot); text (TextVectorization):
 * lower-cased, punctuation stripped, split on whitespace, the `numWords - 2` most frequent
 * training tokens as ids 2.., 1 for any other token, 0 padding after the text, `maxlen` ids.
 */
export interface ColumnSpec {
  column: string;
  kind: "numeric" | "binary" | "date" | "category" | "text";
  /** A missing cell (empty, NA, N/A, NaN, null, ?): an error naming file, line and column unless
   *  filled; a category's missing cell is out of vocabulary (id 0), a text's is empty. */
  fill?: { kind: "mean" | "median" | "mode" } | { kind: "value"; value: number | string };
  /** numeric, binary, date: standardize (fitted mean/std), min_max (fitted to [0, 1]) or fixed normalize. */
  scale?: { kind: "standardize" } | { kind: "min_max" } | { kind: "normalize"; mean: number; std: number };
  maxTokens?: number;
  oneHot?: boolean;
  numWords?: number;
  maxlen?: number;
}
/**
 * `perStep`: one label per time step of a series sample (`as class(5) per step`): the model's
 * output is [steps, width], and losses and metrics average over the steps, as Keras does.
 */
export type LabelSpec =
  /**
   * Integer class ids in [0, classes); `encoding` is what the loss wants. The file's own label
   * values, when they are not 0..classes-1: `from` (labels from..from+classes-1, `class(3, from: 1)`)
   * or `values` (class i is the label written values[i], `class(["cat", "dog"])`).
   */
  | { kind: "class"; classes: number; encoding: "sparse" | "onehot"; from?: number; values?: (string | number)[]; perStep?: boolean }
  /** 0/1 labels for a single sigmoid unit; `from` / `values` as for `class` (`class(["no", "yes"])` under binary_crossentropy). */
  | { kind: "binary"; from?: number; values?: (string | number)[]; perStep?: boolean }
  /** Real-valued targets. */
  | { kind: "regression"; outputs: number; perStep?: boolean };

export interface SplitSpec {
  /** Validation carved from the training set: a fraction, or the last N samples. */
  validation?: { fraction?: number; last?: number; stratified?: boolean };
  /** When the source has no test set of its own, one is carved the same way. */
  test?: { fraction?: number; last?: number; stratified?: boolean };
  /** k-fold cross-validation of the training pool (after any test carve): each fold validates once. */
  kfold?: { k: number; stratified: boolean };
}

export type Augment =
  | { op: "rotate"; degrees: number } // uniform in [-degrees, degrees]
  | { op: "shift"; width: number; height: number } // fractions of the image size
  | { op: "shear"; degrees: number }
  | { op: "zoom"; min: number; max: number }
  | { op: "flip"; mode: "horizontal" | "vertical" | "both" }
  | { op: "noise"; std: number };

/** One model input: the source's features through its own transforms (a data field `name = … as TYPE[…]`). */
export interface InputSpec {
  /** The data field's name, the model input of that name (`x` in a one-input pipeline). */
  name: string;
  transforms: Transform[];
  /** The per-sample shape after transforms. */
  shape: Shape;
}

/** One model output (a head) and its targets (a data field `name = … as class(N)|binary|regression(N)`). */
export interface OutputSpec {
  /** The data field's name, the model head of that name (`y` in a one-output pipeline). */
  name: string;
  labels: LabelSpec;
  /**
   * Targets computed from the source's features through these transforms (a head that
   * reconstructs its input, `recon = images / 255 as regression(784)`); absent: the source's labels.
   */
  fromFeatures?: Transform[];
  /**
   * A CSV source: the column(s) this head's labels are read from (`amount = hours as regression`,
   * `pair = columns(a, b) as regression(2)`), from the same rows as the inputs; absent: the
   * source's `label` column. No label column is read as an input feature by default.
   */
  columns?: string[];
}

export interface DataSpec {
  source: SourceSpec;
  /** The model's inputs, in the order of the data section (one for a one-input pipeline). */
  inputs: InputSpec[];
  /** The model's outputs (heads), in the order of the data section. */
  outputs: OutputSpec[];
  split: SplitSpec;
  augment: Augment[];
  /** Shuffle training samples each epoch with the pipeline seed. */
  shuffle: boolean;
}

export type LossName =
  | "mse"
  | "mae"
  | "huber"
  | "binary_crossentropy"
  | "categorical_crossentropy"
  | "sparse_categorical_crossentropy";

export type ScheduleSpec =
  | { kind: "exponential"; decayRate: number; decaySteps: number; staircase: boolean } // per step
  | { kind: "step"; every: number; factor: number } // per epoch
  | { kind: "cosine"; epochs: number; minLr: number }; // per epoch

export interface OptimizerSpec {
  name: "sgd" | "adam" | "rmsprop" | "adagrad" | "adamax";
  learningRate: number;
  momentum?: number; // sgd, rmsprop
  nesterov?: boolean; // sgd
  beta1?: number; // adam, adamax
  beta2?: number;
  epsilon?: number;
  rho?: number; // rmsprop decay of the squared-gradient average
  /** Keras' legacy per-step decay: lr / (1 + decay * step). */
  decay?: number;
  schedule?: ScheduleSpec;
}

export type MetricSpec =
  | { name: "accuracy" }
  | { name: "auc" }
  | { name: "precision" }
  | { name: "recall" }
  /** F1 of the positive class (binary), else the macro average over classes. */
  | { name: "f1" }
  | { name: "top_k"; k: number }
  | { name: "mse" }
  | { name: "mae" };

export type CallbackSpec =
  | { kind: "early_stop"; monitor: string; patience: number; minDelta: number; mode: "min" | "max"; restoreBest: boolean }
  /**
   * Keeps the best weights by `monitor` (restored at the end). With `path`, also writes the model
   * (a tfjs folder, relative to the run folder; a Keras-style pattern such as
   * "checkpoints/model.{epoch:02d}-{val_loss:.2f}") on every improvement, or every epoch when
   * `bestOnly` is false, keeping the last `keep` of them.
   */
  | { kind: "checkpoint"; monitor: string; mode: "min" | "max"; path?: string; bestOnly?: boolean; keep?: number }
  | { kind: "reduce_lr"; monitor: string; factor: number; patience: number; minLr: number; mode: "min" | "max" };

/** A model with several heads: one head's loss, its weight in the total loss, its metrics (Keras's dict forms of `compile()`). */
export interface HeadTrainSpec {
  /** The head: the data output field of that name. */
  name: string;
  loss: LossName;
  /** Huber's delta. */
  lossDelta?: number;
  /** The factor of this head's loss in the total loss that trains the model (Keras's `loss_weights`), 1 by default. */
  weight: number;
  metrics: MetricSpec[];
}

export interface TrainSpec {
  /** The loss of a one-head model (with `heads`: the first head's). */
  loss: LossName;
  /** Huber's delta. */
  lossDelta?: number;
  optimizer: OptimizerSpec;
  batchSize: number;
  epochs: number;
  /** The metrics of a one-head model (with `heads`: the first head's). */
  metrics: MetricSpec[];
  /**
   * A model with several heads: each head's loss, weight and metrics, in the data section's
   * output order. The total loss is Σ weight · loss; the history names each part as Keras does
   * (`digit_loss`, `digit_accuracy`, `val_recon_mae`).
   */
  heads?: HeadTrainSpec[];
  callbacks: CallbackSpec[];
  /** Gradient clipping by global norm, when set. */
  clipNorm?: number;
  /**
   * Keras's class_weight: each training sample's loss is scaled by its class's weight (validation
   * and test losses are not). "balanced" is scikit-learn's n / (classes · count) on the training split.
   */
  classWeight?: "balanced" | number[];
  /** Pretrained weights copied in before training: a run folder, a tfjs model.json or a Keras .h5 (runtime/weights.ts). */
  initWeights?: { path: string; match: "order" | "name"; /** Only the file's first N weighted layers (a base without its head). */ layers?: number };
}

export interface EvaluateSpec {
  split: "test" | "validation";
  metrics: MetricSpec[];
  confusionMatrix: boolean;
}

export type ParamValue = number | string | boolean;

export type SpaceSpec =
  | { kind: "choice"; values: ParamValue[] }
  | { kind: "uniform"; low: number; high: number; step?: number }
  | { kind: "log_uniform"; low: number; high: number }
  | { kind: "int"; low: number; high: number; step: number; log?: boolean };

/** A param exists only when `param op value` holds (e.g. units3 when layers >= 3). */
export interface ConditionSpec {
  param: string;
  op: "==" | "!=" | "<" | "<=" | ">" | ">=" | "in";
  value: ParamValue | ParamValue[];
}

export interface ParamSpec {
  name: string;
  default: ParamValue;
  space?: SpaceSpec;
  condition?: ConditionSpec;
  /** True when changing the param changes tensor shapes (the compiler checked every combination). */
  affectsShape: boolean;
}

export type StrategySpec =
  | { kind: "grid" }
  | { kind: "random"; trials: number }
  | { kind: "bayesian"; trials: number; initial: number }
  | { kind: "hyperband"; maxEpochs: number; factor: number; iterations: number }
  | { kind: "asha"; maxEpochs: number; factor: number; trials: number; minEpochs: number };

export interface TuneSpec {
  strategy: StrategySpec;
  objective: { metric: string; direction: "maximize" | "minimize" };
  /** Trials cap for grid (a space larger than this is truncated with a warning at compile time). */
  trials?: number;
}

export type Params = Record<string, ParamValue>;
