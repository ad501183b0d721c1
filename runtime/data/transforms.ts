// Per-sample transforms on a pool held in one Float32Array. Standardize statistics are fitted
// on the training indices only and recorded, so predict can repeat them.
import type { Transform } from "../spec.ts";
import { DataError } from "../errors.ts";
import type { FittedTransform, RawX } from "./types.ts";
import { columnWidth, encodeColumns, fitColumns } from "./columns.ts";

export interface Pool {
  data: Float32Array;
  sampleShape: number[];
  n: number;
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
export const fmtShape = (s: (number | null)[]): string => s.map((d) => (d === null ? "?" : String(d))).join("×");

export function padSequences(seqs: Int32Array[], t: Extract<Transform, { op: "pad_sequences" }>): Float32Array {
  const out = new Float32Array(seqs.length * t.maxlen).fill(t.value);
  seqs.forEach((s, i) => {
    const kept = s.length <= t.maxlen ? s : t.truncating === "pre" ? s.subarray(s.length - t.maxlen) : s.subarray(0, t.maxlen);
    const at = t.padding === "pre" ? t.maxlen - kept.length : 0;
    for (let k = 0; k < kept.length; k++) out[i * t.maxlen + at + k] = kept[k]!;
  });
  return out;
}

/** Fits (standardize) and resolves the transforms against the training samples of the first pool. */
export function fitTransforms(transforms: Transform[], first: RawX, trainIdx: Int32Array, where: string): FittedTransform[] {
  const fitted: FittedTransform[] = [];
  // Fitting standardize needs the data as transformed so far: replay on a copy of the training rows.
  let pool: Pool | null = first.kind === "dense" ? { data: first.data, sampleShape: first.sampleShape, n: first.data.length / Math.max(1, size(first.sampleShape)) } : null;
  let seqs = first.kind === "sequences" ? first.seqs : null;
  let copied = false;
  for (const t of transforms) {
    if (t.op === "columns") {
      if (first.kind !== "table" || fitted.length > 0) throw new DataError(`${where}: typed columns apply to the raw cells of a table (a CSV file or raw texts), as the first transform`);
      const f: FittedTransform = { op: "columns", columns: fitColumns(t.columns, first, trainIdx, where) };
      fitted.push(f);
      // Encoded here only when a later standardize needs the values; the widths alone otherwise.
      const needs = transforms.slice(1).some((u) => u.op === "standardize");
      pool = needs ? encodeColumns(f.columns, first, where) : { data: new Float32Array(0), sampleShape: [f.columns.reduce((a, c) => a + columnWidth(c), 0)], n: first.n };
      copied = true;
      continue;
    }
    if (first.kind === "table" && fitted.length === 0) throw new DataError(`${where}: the samples are raw table cells; name the columns to read (\`x = age\`, \`columns(a, b)\`, \`concat(…)\`)`);
    if (t.op === "pad_sequences") {
      if (!seqs) throw new DataError(`${where}: pad_sequences applies to token sequences, but the samples are already ${fmtShape(pool!.sampleShape)} arrays`);
      pool = { data: padSequences(seqs, t), sampleShape: [t.maxlen], n: seqs.length };
      seqs = null;
      copied = true;
      fitted.push(t);
      continue;
    }
    if (!pool) throw new DataError(`${where}: the samples are variable-length token sequences; add pad_sequences(maxlen) before ${t.op}`);
    if (t.op === "standardize") {
      const per = size(pool.sampleShape);
      const mean = new Float64Array(per);
      const sq = new Float64Array(per);
      for (const i of trainIdx) for (let k = 0; k < per; k++) { const v = pool.data[i * per + k]!; mean[k] += v; sq[k] += v * v; }
      const n = Math.max(1, trainIdx.length);
      const m: number[] = [], s: number[] = [];
      for (let k = 0; k < per; k++) {
        const mu = mean[k]! / n;
        const sd = Math.sqrt(Math.max(0, sq[k]! / n - mu * mu));
        m.push(mu);
        s.push(sd > 1e-7 ? sd : 1);
      }
      const f: FittedTransform = { op: "standardize", mean: m, std: s };
      fitted.push(f);
      if (!copied) { pool = { ...pool, data: pool.data.slice() }; copied = true; }
      applyOne(pool, f, where);
      continue;
    }
    fitted.push(t);
    // Only standardize needs the intermediate values; shape changes are tracked cheaply.
    if (t.op === "reshape" || t.op === "channels_last") pool = { ...pool, sampleShape: nextShape(pool.sampleShape, t, where) };
    else if (transforms.slice(transforms.indexOf(t) + 1).some((u) => u.op === "standardize")) {
      if (!copied) { pool = { ...pool, data: pool.data.slice() }; copied = true; }
      applyOne(pool, t, where);
    }
  }
  return fitted;
}

function nextShape(shape: number[], t: FittedTransform, where: string): number[] {
  if (t.op === "reshape") {
    if (size(t.shape) !== size(shape)) {
      throw new DataError(`${where}: samples are ${fmtShape(shape)} (${size(shape)} values) and cannot be reshaped to ${fmtShape(t.shape)} (${size(t.shape)} values)`);
    }
    return t.shape.slice();
  }
  if (t.op === "channels_last") {
    if (shape.length !== 3) throw new DataError(`${where}: channels_last needs [channels, height, width] samples, found ${fmtShape(shape)}`);
    return [shape[1]!, shape[2]!, shape[0]!];
  }
  return shape;
}

/** Applies one fitted transform in place (channels_last permutes through a scratch buffer). */
export function applyOne(pool: Pool, t: FittedTransform, where: string): void {
  const d = pool.data;
  switch (t.op) {
    case "scale": for (let i = 0; i < d.length; i++) d[i] = d[i]! * t.by; break;
    case "shift": for (let i = 0; i < d.length; i++) d[i] = d[i]! + t.by; break;
    case "normalize": { const inv = 1 / (t.std || 1); for (let i = 0; i < d.length; i++) d[i] = (d[i]! - t.mean) * inv; break; }
    case "standardize": {
      const per = t.mean.length;
      if (per !== size(pool.sampleShape)) throw new DataError(`${where}: standardize was fitted on ${per} features, the samples have ${size(pool.sampleShape)}`);
      for (let i = 0; i < d.length; i++) { const k = i % per; d[i] = (d[i]! - t.mean[k]!) / t.std[k]!; }
      break;
    }
    case "reshape": pool.sampleShape = nextShape(pool.sampleShape, t, where); break;
    case "channels_last": {
      const [c, h, w] = pool.sampleShape as [number, number, number];
      const per = c * h * w;
      const tmp = new Float32Array(per);
      for (let s = 0; s < pool.n; s++) {
        const base = s * per;
        for (let ci = 0; ci < c; ci++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) tmp[(y * w + x) * c + ci] = d[base + (ci * h + y) * w + x]!;
        d.set(tmp, base);
      }
      pool.sampleShape = nextShape(pool.sampleShape, t, where);
      break;
    }
    case "pad_sequences": throw new DataError(`${where}: pad_sequences must come before the other transforms`);
    case "columns": throw new DataError(`${where}: typed columns must come before the other transforms`);
  }
}

/** Turns raw features into a transformed dense pool (a new array; the raw one can be dropped). */
export function applyTransforms(raw: RawX, fitted: FittedTransform[], where: string): Pool {
  let pool: Pool | null = raw.kind === "dense" ? { data: raw.data, sampleShape: raw.sampleShape.slice(), n: raw.data.length / Math.max(1, size(raw.sampleShape)) } : null;
  for (const t of fitted) {
    if (t.op === "columns") {
      if (raw.kind !== "table" || pool) throw new DataError(`${where}: typed columns apply to the raw cells of a table only`);
      pool = encodeColumns(t.columns, raw, where);
      continue;
    }
    if (raw.kind === "table" && !pool) throw new DataError(`${where}: the samples are raw table cells; the run's preprocessing names no columns`);
    if (t.op === "pad_sequences") {
      if (raw.kind !== "sequences" || pool) throw new DataError(`${where}: pad_sequences applies to token sequences only`);
      pool = { data: padSequences(raw.seqs, t), sampleShape: [t.maxlen], n: raw.seqs.length };
      continue;
    }
    if (!pool) throw new DataError(`${where}: the samples are variable-length token sequences; add pad_sequences(maxlen) first`);
    applyOne(pool, t, where);
  }
  if (!pool) throw new DataError(`${where}: the samples are variable-length token sequences; add pad_sequences(maxlen)`);
  return pool;
}
