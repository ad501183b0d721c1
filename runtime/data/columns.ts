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
export const isMissing = (cell: string): boolean => {
  if (cell.length > 8) return false;
  // Fast path (no trim, no lower-casing): every missing marker starts, once trimmed, with n, N or
  // ?, so a cell that starts with any other printable ASCII character is a value.
  const c0 = cell.charCodeAt(0);
  if (c0 > 32 && c0 < 127 && c0 !== 110 && c0 !== 78 && c0 !== 63) return false;
  return MISSING.has(cell.trim().toLowerCase());
};

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
  const t = cell.trim();
  const v = Number(t);
  return t !== "" && Number.isFinite(v) ? v : undefined;
}

function missingError(at: string, column: string, cell: string): DataError {
  return new DataError(`${at}: column "${column}" has a missing value${cell.trim() === "" ? "" : ` ("${cell}")`}; add \`|> fill(mean)\`, \`fill(median)\`, \`fill(mode)\` or \`fill(value: …)\` to the column, or fix the file`);
}

type RawColumn = { column: string; kind: ColumnSpec["kind"]; fill?: number | string };

/** The one number of a numeric or binary cell (before scaling); throws on a bad cell. `at(row)` names it. */
function rawValue(c: RawColumn, cell: string, at: (row: number) => string, row: number): number {
  if (isMissing(cell)) {
    if (c.fill === undefined) throw missingError(at(row), c.column, cell);
    cell = String(c.fill);
  }
  if (c.kind === "numeric") {
    const v = parseNumber(cell);
    if (v === undefined) throw new DataError(`${at(row)}: column "${c.column}" is not a number: "${cell}" (declare it \`|> category(max_tokens: N)\`, \`binary()\`, \`date()\` or \`text(…)\` if it is not numeric)`);
    return v;
  }
  const v = parseBinary(cell);
  if (v === undefined) throw new DataError(`${at(row)}: column "${c.column}" is declared binary() but holds "${cell}" (binary cells are 1/0, true/false, yes/no, y/n, t/f)`);
  return v;
}

/** The raw numbers of one numeric, binary or date cell (before scaling); throws on a bad cell. */
function rawValues(c: RawColumn, cell: string, at: (row: number) => string, row: number): number[] {
  if (c.kind !== "date") return [rawValue(c, cell, at, row)];
  if (isMissing(cell)) {
    if (c.fill === undefined) throw missingError(at(row), c.column, cell);
    cell = String(c.fill);
  }
  const d = parseDate(cell);
  if (!d) throw new DataError(`${at(row)}: column "${c.column}" is declared date() but "${cell}" is not a date (YYYY-MM-DD, optionally followed by a time)`);
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
    const at = (i: number): string => x.at(i);
    const present = s.fill && s.fill.kind !== "value" ? Array.from(trainIdx).filter((i) => !isMissing(cells[i]!)) : [];
    if (s.fill) {
      if (s.fill.kind === "value") f.fill = s.fill.value;
      else if (s.fill.kind === "mode") {
        f.fill = mode(present.map((i) => cells[i]!.trim()));
        if (f.fill === undefined) throw new DataError(`${where}: column "${s.column}" has no value in the training split to take fill(mode) from`);
        if (s.kind === "numeric") f.fill = Number(f.fill);
      } else {
        // A typed array sorts numerically without a comparator call per comparison.
        const v = Float64Array.from(present, (i) => rawValues({ column: s.column, kind: s.kind }, cells[i]!, at, i)[0]!).sort();
        if (v.length === 0) throw new DataError(`${where}: column "${s.column}" has no value in the training split to take fill(${s.fill.kind}) from`);
        f.fill = s.fill.kind === "mean" ? v.reduce((a, b) => a + b, 0) / v.length : v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
      }
    }
    if (s.kind === "category") {
      f.maxTokens = s.maxTokens!;
      f.oneHot = !!s.oneHot;
      const counts = new Map<string, number>();
      const fill = f.fill !== undefined ? String(f.fill) : undefined;
      for (let j = 0; j < trainIdx.length; j++) {
        const c = cells[trainIdx[j]!]!;
        const v = isMissing(c) ? fill : c.trim();
        if (v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      f.vocab = topByCount(counts, f.maxTokens - 1);
      return f;
    }
    if (s.kind === "text") {
      f.numWords = s.numWords!;
      f.maxlen = s.maxlen!;
      const counts = new Map<string, number>();
      for (let j = 0; j < trainIdx.length; j++) for (const t of tokenize(cells[trainIdx[j]!]!)) counts.set(t, (counts.get(t) ?? 0) + 1);
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
        if (width === 1) {
          // Numeric and binary: one value a cell, no array per cell.
          let s1 = 0, s2 = 0, a = Infinity, b = -Infinity;
          for (let j = 0; j < trainIdx.length; j++) {
            const i = trainIdx[j]!;
            const e = rawValue(f, cells[i]!, at, i);
            s1 += e; s2 += e * e;
            if (e < a) a = e;
            if (e > b) b = e;
          }
          sum[0] = s1; sq[0] = s2; lo[0] = a; hi[0] = b;
        } else for (let j = 0; j < trainIdx.length; j++) {
          const i = trainIdx[j]!;
          const v = rawValues(f, cells[i]!, at, i);
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

/**
 * Writes one cell's encoding (`columnWidth(c)` values) into `out` at `o`; returns the offset after
 * it. `out` is zero there when `zeroed` (a fresh array). `at(row)` names the cell in an error.
 */
function encodeCell(c: FittedColumn, cell: string, lookup: Map<string, number>, out: Float32Array, o: number, at: (row: number) => string, row: number, zeroed: boolean): number {
  const width = columnWidth(c);
  if (c.kind === "category") {
    const v = isMissing(cell) ? (c.fill !== undefined ? String(c.fill) : undefined) : cell.trim();
    const id = v === undefined ? 0 : lookup.get(v) ?? 0;
    if (c.oneHot) { if (!zeroed) out.fill(0, o, o + width); out[o + id] = 1; } else out[o] = id;
  } else if (c.kind === "text") {
    const ids = tokenize(cell);
    if (!zeroed) out.fill(0, o, o + width);
    for (let k = 0; k < ids.length && k < width; k++) out[o + k] = lookup.get(ids[k]!) ?? 1;
  } else if (width === 1) {
    const v = rawValue(c, cell, at, row);
    out[o] = c.shift ? (v - c.shift[0]!) * c.mul![0]! : v;
  } else {
    const v = rawValues(c, cell, at, row);
    for (let k = 0; k < width; k++) out[o + k] = c.shift ? (v[k]! - c.shift[k]!) * c.mul![k]! : v[k]!;
  }
  return o + width;
}

/** Writes one row's encoding of every column into `out` at `offset` (the shared encoder). */
export function encodeRow(cols: FittedColumn[], cellOf: (column: string) => string, at: () => string, out: Float32Array, offset: number, lookups: Map<string, number>[]): void {
  let o = offset;
  for (let ci = 0; ci < cols.length; ci++) o = encodeCell(cols[ci]!, cellOf(cols[ci]!.column), lookups[ci]!, out, o, at, 0, false);
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
  const at = (i: number): string => x.at(i);
  // Row by row (the first bad cell in file order is the one reported), as encodeRow, without a
  // closure or a column lookup per cell; `data` is fresh, so one-hot slots need no clearing.
  for (let r = 0; r < x.n; r++) {
    let o = r * width;
    for (let ci = 0; ci < cols.length; ci++) o = encodeCell(cols[ci]!, cells[ci]![r]!, lookups[ci]!, data, o, at, r, true);
  }
  return { data, sampleShape: [width], n: x.n };
}
