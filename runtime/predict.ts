// predict(runDir, input): the saved model on a new input, prepared with the run's recorded
// transforms. Input: a PNG/JPEG image, an IDX file, a CSV (header row, feature columns) or a
// JSON array (one sample or an array of samples).
import { readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { tf } from "./tf.ts";
import { initBackend, type BackendChoice } from "./backend.ts";
import { loadModel } from "./io.ts";
import { DataError } from "./errors.ts";
import { readIdx } from "./data/idx.ts";
import { decodeImage, isImageFile } from "./data/images.ts";
import { imageGeometry, pixelsToSample, rawShape } from "./export/geometry.ts";
import { readCsvRows, splitCsvLine } from "./data/csv.ts";
import { readWhole } from "./data/files.ts";
import { applyTransforms } from "./data/transforms.ts";
import type { Preprocess, RawX } from "./data/types.ts";

export interface Prediction {
  classNames: string[] | null;
  /** One row of probabilities (or outputs) per sample. */
  outputs: number[][];
  /** Argmax class per sample (classification), else null. */
  predicted: (number | null)[];
}

type Input = { data: Float32Array; sampleShape: number[] } | { table: Extract<RawX, { kind: "table" }> };

/** One input file as samples for the run of `pre` (exported for tests). */
export function readInput(input: string, pre: Preprocess): Input {
  const ext = extname(input).toLowerCase();
  if (isImageFile(input)) {
    // The picture becomes a raw sample of the run's source (a 28×28 digit even for an MLP that
    // takes 784-vectors); the recorded transforms then run on it. predict.html does the same.
    const g = imageGeometry(pre);
    if (!g) throw new DataError(`${input}: the run's samples are not images (source ${pre.sourceKind}, input ${pre.inputShape.join("×")}); give a JSON, CSV or IDX input`, input);
    const img = decodeImage(input);
    if (img.width === 0 || img.height === 0) throw new DataError(`${input}: image has size ${img.width}×${img.height}`, input);
    return { data: pixelsToSample(img, g), sampleShape: [1, ...rawShape(g)] };
  }
  if (ext === ".json") {
    let v: unknown;
    try { v = JSON.parse(readFileSync(input, "utf8")); } catch (e) { throw new DataError(`${input}: not valid JSON: ${(e as Error).message}`, input); }
    const t = tf.tensor(v as number[]);
    const flat = t.dataSync() as Float32Array;
    const shape = t.shape;
    t.dispose();
    const per = pre.inputShape.reduce((a, b) => a * b, 1);
    if (flat.length % per !== 0) throw new DataError(`${input}: ${flat.length} values are not a whole number of samples of ${pre.inputShape.join("×")}`, input);
    const n = flat.length / per;
    return { data: Float32Array.from(flat), sampleShape: shape.length > 1 && shape[0] === n && n > 1 ? shape : [n, ...pre.inputShape] };
  }
  if (ext === ".txt" && pre.transforms[0]?.op === "columns") {
    // A raw-text model (source text_files): the file is one sample's text.
    const cols = pre.transforms[0].columns;
    if (cols.length !== 1 || cols[0]!.kind !== "text") throw new DataError(`${input}: the model reads the columns ${cols.map((c) => c.column).join(", ")}; give a CSV file with a header naming them`, input);
    const text = readWhole(input).toString("utf8");
    return { table: { kind: "table", cells: { [cols[0]!.column]: [text] }, n: 1, at: () => input } };
  }
  if (ext === ".csv" && pre.transforms[0]?.op === "columns") {
    // Typed columns: the header names the columns; the saved vocabularies and statistics encode them
    // (the columns of every input of a model with several).
    const cols = (pre.inputs ?? [pre]).flatMap((i) => (i.transforms[0]?.op === "columns" ? i.transforms[0].columns : []));
    const r = readCsvRows(input, pre.delimiter);
    const cells: Record<string, string[]> = {};
    for (const c of cols) {
      const at = r.header.indexOf(c.column);
      if (at < 0) throw new DataError(`${input}:1: no column named "${c.column}" in the header (columns: ${r.header.join(", ")}); the model reads ${[...new Set(cols.map((k) => k.column))].join(", ")}`, input);
      cells[c.column] = r.rows.map((row) => row.cells[at]!);
    }
    return { table: { kind: "table", cells, n: r.rows.length, at: (i) => `${input}:${r.rows[i]!.line}` } };
  }
  if (ext === ".csv") {
    const lines = readFileSync(input, "utf8").split(/\r?\n/).filter((l) => l.trim() !== "");
    const rows = lines.slice(1).map((l, i) => splitCsvLine(l, ",").map((c) => {
      const v = Number(c);
      if (!Number.isFinite(v)) throw new DataError(`${input}:${i + 2}: "${c}" is not a number`, input);
      return v;
    }));
    return { data: Float32Array.from(rows.flat()), sampleShape: [rows.length, rows[0]?.length ?? 0] };
  }
  const idx = readIdx(input);
  return { data: Float32Array.from(idx.data), sampleShape: idx.dims.length === pre.inputShape.length ? [1, ...idx.dims] : idx.dims };
}

/** One sample's outputs: `input` is the file it came from, `index` its position in that file
 *  (null for a file that holds one sample, such as an image). */
export interface PredictedSample {
  input: string;
  index: number | null;
  /** A per-step model (a [steps, width] output, `per step` labels): the step these outputs are for. */
  step?: number;
  /** The model's output (a model with several heads: its first class head's, named by `head`). */
  outputs: number[];
  head?: string;
  /** A model with several heads: every head's outputs, by name. */
  heads?: Record<string, number[]>;
}

/** The run's model on several inputs (the model and its preprocessing load once). */
export async function predictFiles(runDir: string, inputs: string[], options: { backend?: BackendChoice } = {}): Promise<{ classNames: string[] | null; samples: PredictedSample[]; /** A model with several heads: each head's name, kind and class names, in the model's output order. */ heads: NonNullable<Preprocess["heads"]> | null }> {
  await initBackend(options.backend ?? "auto");
  let pre: Preprocess;
  try {
    pre = JSON.parse(readFileSync(join(runDir, "preprocess.json"), "utf8")) as Preprocess;
  } catch (e) {
    throw new DataError(`${join(runDir, "preprocess.json")}: cannot read the run's preprocessing (${(e as Error).message}); is ${runDir} a dlp run folder?`);
  }
  const model = await loadModel(runDir);
  const samples: PredictedSample[] = [];
  try {
    // Every input of the model is prepared from the same raw sample, each with its own transforms.
    const modelInputs = pre.inputs ?? [{ name: "x", transforms: pre.transforms, inputShape: pre.inputShape }];
    const heads = pre.heads;
    const primary = heads ? Math.max(0, heads.findIndex((h) => h.kind !== "regression")) : 0;
    for (const inputPath of inputs) {
      const raw = readInput(inputPath, pre);
      const n = "table" in raw ? raw.table.n : raw.sampleShape[0]!;
      const pools = modelInputs.map((mi) => {
        const per = mi.inputShape.reduce((a, b) => a * b, 1);
        const source = "table" in raw ? raw.table : { kind: "dense" as const, data: modelInputs.length > 1 ? raw.data.slice() : raw.data, sampleShape: raw.sampleShape.slice(1) };
        const pool = applyTransforms(source, mi.transforms, inputPath);
        if (pool.data.length !== n * per) {
          const which = modelInputs.length > 1 ? ` \`${mi.name}\`` : "";
          throw new DataError(`${inputPath}: the input has ${pool.sampleShape.join("×")} values per sample after the run's transforms, the model's input${which} needs ${mi.inputShape.join("×")}`, inputPath);
        }
        return pool;
      });
      const ys = tf.tidy(() => {
        const r = model.predict(pools.length === 1 ? tf.tensor(pools[0]!.data, [n, ...modelInputs[0]!.inputShape]) : pools.map((pl, k) => tf.tensor(pl.data, [n, ...modelInputs[k]!.inputShape])));
        return Array.isArray(r) ? r : [r];
      });
      // A one-head per-step output [n, steps, width]: one row per step, each with its own outputs.
      const steps = !heads && ys.length === 1 && ys[0]!.rank === 3 ? ys[0]!.shape[1]! : 0;
      const outs = tf.tidy(() => ys.map((t) => (steps ? t.reshape([n * steps, -1]) : t.reshape([n, -1]))));
      const rows = outs.map((t) => t.arraySync() as number[][]);
      tf.dispose([...ys, ...outs]);
      const single = n === 1 && (isImageFile(inputPath) || extname(inputPath).toLowerCase() === ".txt");
      if (steps) {
        rows[0]!.forEach((outputs, k) => samples.push({ input: inputPath, index: Math.floor(k / steps), step: k % steps, outputs }));
        continue;
      }
      for (let k = 0; k < n; k++) {
        const s: PredictedSample = { input: inputPath, index: single ? null : k, outputs: rows[primary]![k]! };
        if (heads) {
          s.head = heads[primary]!.name;
          s.heads = Object.fromEntries(heads.map((h, j) => [h.name, rows[j]![k]!]));
        }
        samples.push(s);
      }
    }
  } finally {
    model.dispose();
  }
  return { classNames: pre.classNames ?? null, samples, heads: pre.heads ?? null };
}

export async function predict(runDir: string, inputPath: string, options: { backend?: BackendChoice; quiet?: boolean } = {}): Promise<Prediction> {
  const { classNames, samples } = await predictFiles(runDir, [inputPath], options);
  const outputs = samples.map((s) => s.outputs);
  const n = outputs.length;
  const isClass = outputs[0] !== undefined && (outputs[0].length > 1 || classNames !== null);
  const predicted = outputs.map((row) => (!isClass ? null : row.length === 1 ? (row[0]! >= 0.5 ? 1 : 0) : row.indexOf(Math.max(...row))));
  if (!options.quiet) {
    outputs.forEach((row, i) => {
      const label = (k: number): string => classNames?.[k] ?? String(k);
      if (row.length > 1) {
        const ranked = row.map((p, k) => [p, k] as const).sort((a, b) => b[0] - a[0]);
        process.stdout.write(`${n > 1 ? `sample ${i}: ` : ""}${label(ranked[0]![1])} (${(ranked[0]![0] * 100).toFixed(1)}%)\n`);
        for (const [p, k] of ranked) process.stdout.write(`  ${label(k).padEnd(14)} ${p.toFixed(4)}\n`);
      } else process.stdout.write(`${n > 1 ? `sample ${i}: ` : ""}${row.map((v) => v.toFixed(4)).join(" ")}\n`);
    });
  }
  return { classNames, outputs, predicted };
}
