// Typed columns: a table of raw cells (a CSV read by column name, or raw texts) becomes one
// dense vector per sample, the way Keras's preprocessing layers do it — Normalization, StringLookup
// (+ one-hot), TextVectorization — plus binary and date columns and a missing-value policy. What
// is fitted (means, ranges, vocabularies, fill values) comes from the training rows only, is
// recorded in the FittedColumn and saved in preprocess.json, so `dlpc predict` and the browser
// page encode a new row exactly as training did (encodeRow is the one function all three use).
import type { ColumnSpec } from "../spec.ts";
import { DataError } from "../errors.ts";
import type { FittedColumn, RawX } from "./types.ts";

type Table = Extract<RawX, { kind: "table" }>;

/** Cells read as missing (pandas' defaults, and the `?` of the UCI adult data). */
const MISSING = new Set(["", "na", "n/a", "nan", "null", "none", "?"]);
export const isMissing = (cell: string): boolean => cell.length <= 8 && MISSING.has(cell.trim().toLowerCase());

const TRUE = new Set(["1", "true", "yes", "y", "t"]);
const FALSE = new Set(["0", "false", "no", "n", "f"]);

/** Values per sample a column contributes to the input vector. */
export function columnWidth(c: { kind: ColumnSpec["kind"]; maxTokens?: number; oneHot?: boolean; maxlen?: number }): number {
  switch (c.kind) {
    case "numeric":
    case "binary":
      return 1;
    case "date":
      return 4;
    case "category":
      return c.oneHot ? c.maxTokens! : 1;
    case "text":
      return c.maxlen!;
  }
}

export function parseBinary(cell: string): 0 | 1 | undefined {
  const v = cell.trim().toLowerCase();
  return TRUE.has(v) ? 1 : FALSE.has(v) ? 0 : undefined;
}

/** YYYY-MM-DD (optionally followed by a time) -> [year, month, day, weekday with Monday 0]. */
export function parseDate(cell: string): number[] | undefined {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(cell.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return undefined;
  return [y, mo, d, (t.getUTCDay() + 6) % 7];
}

/** TextVectorization's default standardize and split: lower_and_strip_punctuation, whitespace. */
const PUNCTUATION = /[!"#$%&()*+,\-./:;<=>?@[\\\]^_`{|}~']/g;
export function tokenize(text: string): string[] {
  return text.toLowerCase().replace(PUNCTUATION, "").split(/\s+/).filter((t) => t !== "");
}

function parseNumber(cell: string): number | undefined {
  const v = Number(cell.trim());
  return cell.trim() !== "" && Number.isFinite(v) ? v : undefined;
}

function missingError(at: string, column: string, cell: string): DataError {
  return new DataError(`${at}: column "${column}" has a missing value${cell.trim() === "" ? "" : ` ("${cell}")`}; add \`|> fill(mean)\`, \`fill(median)\`, \`fill(mode)\` or \`fill(value: …)\` to the column, or fix the file`);
}

/** The raw numbers of one numeric, binary or date cell (before scaling); throws on a bad cell. */
function rawValues(c: { column: string; kind: ColumnSpec["kind"]; fill?: number | string }, cell: string, at: () => string): number[] {
  if (isMissing(cell)) {
    if (c.fill === undefined) throw missingError(at(), c.column, cell);
    cell = String(c.fill);
  }
  if (c.kind === "numeric") {
    const v = parseNumber(cell);
    if (v === undefined) throw new DataError(`${at()}: column "${c.column}" is not a number: "${cell}" (declare it \`|> category(max_tokens: N)\`, \`binary()\`, \`date()\` or \`text(…)\` if it is not numeric)`);
    return [v];
  }
  if (c.kind === "binary") {
    const v = parseBinary(cell);
    if (v === undefined) throw new DataError(`${at()}: column "${c.column}" is declared binary() but holds "${cell}" (binary cells are 1/0, true/false, yes/no, y/n, t/f)`);
    return [v];
  }
  const d = parseDate(cell);
  if (!d) throw new DataError(`${at()}: column "${c.column}" is declared date() but "${cell}" is not a date (YYYY-MM-DD, optionally followed by a time)`);
  return d;
}

function mode(values: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | undefined;
  let bestN = 0;
  for (const [v, n] of counts) if (n > bestN || (n === bestN && v < best!)) { best = v; bestN = n; }
  return best;
}

/** The `size` most frequent keys, ties broken by the key's order (deterministic). */
function topByCount(counts: Map<string, number>, size: number): string[] {
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, Math.max(0, size)).map(([k]) => k);
}

function columnCells(x: Table, column: string, where: string): string[] {
  const cells = x.cells[column];
  if (!cells) throw new DataError(`${where}: no column named "${column}" (columns read: ${Object.keys(x.cells).join(", ")})`);
  return cells;
}

/** Fits every column on the training rows `trainIdx` of the table. */
export function fitColumns(specs: ColumnSpec[], x: Table, trainIdx: Int32Array, where: string): FittedColumn[] {
  return specs.map((s) => {
    const cells = columnCells(x, s.column, where);
    const f: FittedColumn = { column: s.column, kind: s.kind };
    const train = Array.from(trainIdx, (i) => cells[i]!);
    const present = s.fill && s.fill.kind !== "value" ? Array.from(trainIdx).filter((i) => !isMissing(cells[i]!)) : [];
    if (s.fill) {
      if (s.fill.kind === "value") f.fill = s.fill.value;
      else if (s.fill.kind === "mode") {
        f.fill = mode(present.map((i) => cells[i]!.trim()));
        if (f.fill === undefined) throw new DataError(`${where}: column "${s.column}" has no value in the training split to take fill(mode) from`);
        if (s.kind === "numeric") f.fill = Number(f.fill);
      } else {
        const v = present.map((i) => rawValues({ column: s.column, kind: s.kind }, cells[i]!, () => x.at(i))[0]!).sort((a, b) => a - b);
        if (v.length === 0) throw new DataError(`${where}: column "${s.column}" has no value in the training split to take fill(${s.fill.kind}) from`);
        f.fill = s.fill.kind === "mean" ? v.reduce((a, b) => a + b, 0) / v.length : v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
      }
    }
    if (s.kind === "category") {
      f.maxTokens = s.maxTokens!;
      f.oneHot = !!s.oneHot;
      const counts = new Map<string, number>();
      for (const c of train) {
        const v = isMissing(c) ? (f.fill !== undefined ? String(f.fill) : undefined) : c.trim();
        if (v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      f.vocab = topByCount(counts, f.maxTokens - 1);
      return f;
    }
    if (s.kind === "text") {
      f.numWords = s.numWords!;
      f.maxlen = s.maxlen!;
      const counts = new Map<string, number>();
      for (const c of train) for (const t of tokenize(c)) counts.set(t, (counts.get(t) ?? 0) + 1);
      f.vocab = topByCount(counts, f.numWords - 2);
      return f;
    }
    if (s.scale) {
      const width = columnWidth(s);
      if (s.scale.kind === "normalize") {
        f.shift = Array(width).fill(s.scale.mean);
        f.mul = Array(width).fill(1 / s.scale.std);
      } else {
        // One pass over the training rows: sums, squares, minimum and maximum of each value.
        const sum = new Float64Array(width), sq = new Float64Array(width);
        const lo = new Float64Array(width).fill(Infinity), hi = new Float64Array(width).fill(-Infinity);
        for (const i of trainIdx) {
          const v = rawValues(f, cells[i]!, () => x.at(i));
          for (let k = 0; k < width; k++) {
            const e = v[k]!;
            sum[k] += e; sq[k] += e * e;
            if (e < lo[k]!) lo[k] = e;
            if (e > hi[k]!) hi[k] = e;
          }
        }
        const n = Math.max(1, trainIdx.length);
        f.shift = [];
        f.mul = [];
        for (let k = 0; k < width; k++) {
          if (s.scale.kind === "standardize") {
            const mean = sum[k]! / n;
            const sd = Math.sqrt(Math.max(0, sq[k]! / n - mean * mean));
            f.shift.push(mean);
            f.mul.push(sd > 1e-7 ? 1 / sd : 1);
          } else {
            const a = trainIdx.length ? lo[k]! : 0;
            const b = trainIdx.length ? hi[k]! : 1;
            f.shift.push(a);
            f.mul.push(b - a > 1e-12 ? 1 / (b - a) : 1);
          }
        }
      }
    }
    return f;
  });
}

/** Writes one row's encoding of every column into `out` at `offset` (the shared encoder). */
export function encodeRow(cols: FittedColumn[], cellOf: (column: string) => string, at: () => string, out: Float32Array, offset: number, lookups: Map<string, number>[]): void {
  let o = offset;
  cols.forEach((c, ci) => {
    const cell = cellOf(c.column);
    const width = columnWidth(c);
    if (c.kind === "category") {
      const v = isMissing(cell) ? (c.fill !== undefined ? String(c.fill) : undefined) : cell.trim();
      const id = v === undefined ? 0 : lookups[ci]!.get(v) ?? 0;
      if (c.oneHot) { out.fill(0, o, o + width); out[o + id] = 1; } else out[o] = id;
    } else if (c.kind === "text") {
      const ids = tokenize(cell);
      const table = lookups[ci]!;
      out.fill(0, o, o + width);
      for (let k = 0; k < ids.length && k < width; k++) out[o + k] = table.get(ids[k]!) ?? 1;
    } else {
      const v = rawValues(c, cell, at);
      for (let k = 0; k < width; k++) out[o + k] = c.shift ? (v[k]! - c.shift[k]!) * c.mul![k]! : v[k]!;
    }
    o += width;
  });
}

/** The id of each vocabulary entry (category 1.., text 2..), per column. */
export function lookupsOf(cols: FittedColumn[]): Map<string, number>[] {
  return cols.map((c) => new Map((c.vocab ?? []).map((v, i) => [v, i + (c.kind === "text" ? 2 : 1)])));
}

/** Encodes every row of the table: n samples of sum(widths) values. */
export function encodeColumns(cols: FittedColumn[], x: Table, where: string): { data: Float32Array; sampleShape: number[]; n: number } {
  const width = cols.reduce((a, c) => a + columnWidth(c), 0);
  const cells = cols.map((c) => columnCells(x, c.column, where));
  const data = new Float32Array(x.n * width);
  const lookups = lookupsOf(cols);
  const index = new Map(cols.map((c, i) => [c.column, i]));
  for (let r = 0; r < x.n; r++) encodeRow(cols, (name) => cells[index.get(name)!]![r]!, () => x.at(r), data, r * width, lookups);
  return { data, sampleShape: [width], n: x.n };
}
