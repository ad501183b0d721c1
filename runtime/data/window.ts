// `source window(…)`: a CSV time series (one row per time step, in time order) cut into windows,
// as Keras's timeseries_dataset_from_array does: sample i is rows [s, s + length) of the feature
// columns, s = i · stride, and its label the target column(s) `horizon` rows after the window's
// last step — or, with per-step labels, `horizon` rows after each of its steps.
//
// Splits are cut by time before any window is: the test set is the last rows, the validation set
// the rows before them, and a window lies wholly inside one part. Windows overlap, so carving
// windows instead (or drawing them at random) would put rows of validation windows inside
// training ones, and the score would measure memory rather than forecasting.
import type { LabelSpec, SourceSpec, SplitSpec } from "../spec.ts";
import { DataError } from "../errors.ts";
import { readCsv } from "./csv.ts";
import type { RawPart, RawSource } from "./types.ts";

export type WindowSpec = Extract<SourceSpec, { kind: "window" }>;

export interface WindowSplits {
  /** `train` holds the training windows, then the validation ones; `test` the test windows. */
  raw: RawSource;
  trainIdx: Int32Array;
  valIdx: Int32Array | null;
}

type Part = { fraction?: number; last?: number };

/** Rows held out for a split part: a fraction of the rows, or the rows `last N` windows span. */
function heldRows(p: Part | undefined, rows: number, span: number, stride: number): number {
  if (!p) return 0;
  if (p.last !== undefined) return (Math.floor(p.last) - 1) * stride + span;
  return Math.round((p.fraction ?? 0) * rows);
}

/** Window starts inside rows [lo, hi): every `stride` rows while the window and its targets fit. */
function starts(lo: number, hi: number, span: number, stride: number): number[] {
  const out: number[] = [];
  for (let s = lo; s + span <= hi; s += stride) out.push(s);
  return out;
}

/** The time split of `rows` rows: train | validation | test as row ranges [lo, hi), and the window starts in each. */
export function timeParts(rows: number, span: number, stride: number, split: Pick<SplitSpec, "validation" | "test">): Record<"train" | "validation" | "test", { lo: number; hi: number; starts: number[] }> {
  const testRows = heldRows(split.test, rows, span, stride);
  const valRows = heldRows(split.validation, rows - testRows, span, stride);
  const b = rows - testRows;
  const a = b - valRows;
  const part = (lo: number, hi: number) => ({ lo, hi, starts: starts(lo, hi, span, stride) });
  return { train: part(0, a), validation: part(a, b), test: part(b, rows) };
}

export function loadWindows(source: WindowSpec, labels: LabelSpec, split: SplitSpec, limit?: number): WindowSplits {
  const file = source.path;
  const real = labels.kind === "regression";
  const csv = readCsv(file, {
    label: source.target,
    labelKind: real ? "real" : "class",
    ...(source.features ? { features: source.features } : {}),
    ...(source.delimiter ? { delimiter: source.delimiter } : {}),
  });
  const rowsPart = csv.part;
  if (rowsPart.x.kind !== "dense") throw new DataError(`${file}: expected numeric feature columns`, file);
  const data = rowsPart.x.data;
  const features = rowsPart.x.sampleShape[0]!;
  const k = rowsPart.yWidth;
  if (features === 0) throw new DataError(`${file}:1: no feature columns besides the target${k === 1 ? "" : "s"} ${source.target.map((t) => `"${t}"`).join(", ")}; list the inputs with \`features: [...]\` (a target's own past may be one)`, file);
  if (labels.kind === "regression" && k !== labels.outputs) throw new DataError(`${file}: the window has ${k} target column${k === 1 ? "" : "s"}, the pipeline declares ${labels.outputs} value${labels.outputs === 1 ? "" : "s"}`, file);
  const rows = data.length / features;
  const L = source.length;
  const h = source.horizon;
  const stride = source.stride;
  const span = L + h;
  const lineOf = (r: number) => rowsPart.sampleAt(r).slice(file.length + 1);
  if (rows < span) throw new DataError(`${file}: ${rows} data row${rows === 1 ? "" : "s"} (up to line ${lineOf(rows - 1)}), one window needs ${span} (length ${L}${h ? ` + horizon ${h}` : ""})`, file);
  if (split.kfold) throw new DataError(`${file}: split kfold shuffles overlapping windows across folds; a window source is split by time (\`split validation 20%\` takes the last rows)`, file);
  for (const [name, p] of [["validation", split.validation], ["test", split.test]] as const) {
    if (p?.stratified) throw new DataError(`${file}: split ${name} stratified draws windows from the whole series; a window source takes the last rows (remove \`stratified\`)`, file);
  }

  // Train | validation | test, in time order; the test set is carved first, as for other sources.
  const parts = timeParts(rows, span, stride, split);
  const a = parts.validation.lo;
  const b = parts.test.lo;
  const trainStarts = parts.train.starts;
  const valStarts = parts.validation.starts;
  const testStarts = parts.test.starts;
  const rowsText = (lo: number, hi: number) => (hi > lo ? `rows ${lo + 1}–${hi} (lines ${lineOf(lo)}–${lineOf(hi - 1)})` : "no rows");
  if (trainStarts.length === 0) throw new DataError(`${file}: the training part, ${rowsText(0, a)} of ${rows}, holds no window of ${span} rows; shorten the window or the held-out splits`, file);
  if (split.validation && valStarts.length === 0) throw new DataError(`${file}: the validation part, ${rowsText(a, b)}, holds no window of ${span} rows (length ${L}${h ? ` + horizon ${h}` : ""}); take a larger validation split or a shorter window`, file);
  if (split.test && testStarts.length === 0) throw new DataError(`${file}: the test part, ${rowsText(b, rows)}, holds no window of ${span} rows (length ${L}${h ? ` + horizon ${h}` : ""}); take a larger test split or a shorter window`, file);
  const cap = (s: number[]) => (limit !== undefined && limit < s.length ? s.slice(0, Math.max(1, Math.floor(limit))) : s);

  const perStep = labels.perStep === true;
  const yPer = (perStep ? L : 1) * k;
  const part = (ss: number[]): RawPart => {
    const x = new Float32Array(ss.length * L * features);
    const y = real ? new Float32Array(ss.length * yPer) : new Int32Array(ss.length * yPer);
    ss.forEach((s, i) => {
      x.set(data.subarray(s * features, (s + L) * features), i * L * features);
      const first = perStep ? s + h : s + L - 1 + h;
      for (let t = 0; t < yPer / k; t++) for (let j = 0; j < k; j++) y[i * yPer + t * k + j] = rowsPart.y[(first + t) * k + j]!;
    });
    const where = (i: number) => `${file}:${lineOf(ss[i]!)}–${lineOf(ss[i]! + L - 1)} (window ${i + 1})`;
    return {
      x: { kind: "dense", data: x, sampleShape: [L, features] },
      y,
      yWidth: yPer,
      labelAt: (i) => `${rowsPart.labelAt(perStep ? ss[i]! + h : ss[i]! + L - 1 + h)} (the target of window ${i + 1})`,
      sampleAt: where,
    };
  };
  const tr = cap(trainStarts);
  const va = cap(valStarts);
  const pool = part([...tr, ...va]);
  const test = testStarts.length && split.test ? part(cap(testStarts)) : null;
  const range = (from: number, n: number) => Int32Array.from({ length: n }, (_, i) => from + i);
  return {
    raw: {
      train: pool,
      test,
      ...(csv.classNames ? { classNames: csv.classNames } : {}),
      description: `window ${file} (${rows} rows, windows of ${L} every ${stride}${h ? `, ${h} ahead` : ""}, split by time)`,
    },
    trainIdx: range(0, tr.length),
    valIdx: split.validation ? range(tr.length, va.length) : null,
  };
}
