// In-memory data set shapes shared by the loaders, the split and the training loop.

/** Raw features of one pool before transforms: dense samples, or variable-length token ids. */
export type RawX =
  | { kind: "dense"; data: Float32Array; sampleShape: number[] }
  | { kind: "sequences"; seqs: Int32Array[] }
  /** Raw cells of named columns (a CSV read for typed columns, or raw texts), `n` rows; `at(i)`
   *  names row i's file and line for errors. */
  | { kind: "table"; cells: Record<string, string[]>; n: number; at: (i: number) => string };

export interface RawPart {
  x: RawX;
  /** Class ids or 0/1 labels (Int32Array), or real targets (Float32Array, `yWidth` per sample). */
  y: Int32Array | Float32Array;
  yWidth: number;
  /** Where sample i's label was read, for error messages ("file.idx at byte 8012"). */
  labelAt: (i: number) => string;
  /** Where sample i's features were read. */
  sampleAt: (i: number) => string;
}

export interface RawSource {
  train: RawPart;
  /** The source's own test set, when it has one. */
  test: RawPart | null;
  classNames?: string[];
  /** A CSV read for several heads: each head's labels (loadSource's `heads`, in its order), for the training rows. */
  heads?: { y: Int32Array | Float32Array; yWidth: number; labelAt: (i: number) => string; classNames?: string[] }[];
  /** A one-line description: what was read and from where. */
  description: string;
}

/** One split, samples contiguous in a single typed array; batches are sliced from it. */
export interface Split {
  x: Float32Array;
  /** Per-sample shape (no batch axis). */
  sampleShape: number[];
  y: Int32Array | Float32Array;
  yWidth: number;
  n: number;
  /**
   * Every input's samples and every head's targets, in the DataSpec's order (loadDataset always
   * sets them; `x`/`sampleShape` and `y`/`yWidth` are the first of each, which is all a
   * one-input, one-output pipeline has).
   */
  inputs?: { name: string; x: Float32Array; sampleShape: number[] }[];
  outputs?: { name: string; y: Int32Array | Float32Array; yWidth: number }[];
}

/** What predict needs to prepare a new input the way training data was prepared. */
export interface Preprocess {
  /** The first input's (a one-input pipeline's) transforms and shape. */
  transforms: FittedTransform[];
  inputShape: number[];
  /** A model with several inputs: each one's fitted transforms and shape, by name, in the model's order. */
  inputs?: { name: string; transforms: FittedTransform[]; inputShape: number[] }[];
  /** A model with several heads: each one's name and label kind, in the model's output order (`classNames` are the first class head's). */
  heads?: { name: string; kind: "class" | "binary" | "regression"; /** A class head's class names (each head its own). */ classNames?: string[] }[];
  sourceKind: string;
  /** A CSV source's cell delimiter when it is not a comma (`dlpc predict` reads CSV inputs with it). */
  delimiter?: string;
  classNames?: string[];
  imageSize?: [number, number];
  channels?: number;
}

export type FittedTransform =
  | { op: "scale"; by: number }
  | { op: "shift"; by: number }
  | { op: "reshape"; shape: number[] }
  | { op: "standardize"; mean: number[]; std: number[] }
  | { op: "normalize"; mean: number; std: number }
  | { op: "pad_sequences"; maxlen: number; padding: "pre" | "post"; truncating: "pre" | "post"; value: number }
  | { op: "channels_last" }
  | { op: "columns"; columns: FittedColumn[] };

/** A ColumnSpec with what was fitted on the training split (see runtime/data/columns.ts). */
export interface FittedColumn {
  column: string;
  kind: "numeric" | "binary" | "date" | "category" | "text";
  /** The value a missing cell takes (resolved from fill(mean|median|mode|value)). */
  fill?: number | string;
  /** Per output value: (v - shift) * mul, from standardize / min_max / normalize. */
  shift?: number[];
  mul?: number[];
  /** category: ids 1.. ; text: ids 2.. */
  vocab?: string[];
  maxTokens?: number;
  oneHot?: boolean;
  numWords?: number;
  maxlen?: number;
}

export interface Dataset {
  train: Split;
  validation: Split | null;
  test: Split | null;
  inputShape: number[];
  /** Number of classes for class labels, 1 for binary, `outputs` for regression. */
  outputWidth: number;
  classNames: string[] | undefined;
  description: string;
  preprocess: Preprocess;
}
