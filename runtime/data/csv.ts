// CSV with a header row. Feature cells must be numbers; the label column may hold numbers or
// class names (sorted names become ids 0..k-1). Errors name the file and the line.
import { readFileSync } from "node:fs";
import { fsFailure } from "../library_errors.ts";
import { DataError } from "../errors.ts";
import type { RawPart } from "./types.ts";
import { isMissing } from "./columns.ts";

/** Splits one line on the delimiter, honouring double quotes ("" inside quotes is a quote). */
export function splitCsvLine(line: string, delimiter: string): string[] {
  // No quotes: the same cells as the loop below, without building each one character by character
  // (a 784-column row splits several times faster, which the check-time probe of a CSV feels).
  if (delimiter.length > 0 && !line.includes('"')) {
    const cells = line.split(delimiter);
    // Trimmed in place, and only cells that can need it (an end outside printable ASCII).
    for (let i = 0; i < cells.length; i++) {
      const s = cells[i]!;
      if (s.length === 0) continue;
      const a = s.charCodeAt(0), b = s.charCodeAt(s.length - 1);
      if (a <= 32 || a >= 127 || b <= 32 || b >= 127) cells[i] = s.trim();
    }
    return cells;
  }
  const cells: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; }
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur.trim() === "") {
      quoted = true;
      cur = "";
    } else if (line.startsWith(delimiter, i)) {
      cells.push(cur.trim());
      cur = "";
      i += delimiter.length - 1;
    } else cur += c;
  }
  cells.push(cur.trim());
  return cells;
}

export interface CsvOptions {
  /** The label column; several for real-valued targets (a window source's `target: [a, b]`), `yWidth` values per row. */
  label: string | string[];
  features?: string[];
  delimiter?: string;
  /** "class": integer ids or names; "real": numeric targets. */
  labelKind: "class" | "real";
  /** Typed columns: these columns' raw cells become the samples (a table), `features` is unused. */
  table?: string[];
  /** Further label columns, one entry per head (a model with several heads): read as `label` is. */
  heads?: { columns: string[]; labelKind: "class" | "real" }[];
}

export interface CsvResult {
  part: RawPart;
  featureNames: string[];
  classNames?: string[];
  /** Each of `opts.heads`' labels, in its order. */
  heads?: CsvLabels[];
}

/** The header and the non-blank rows (cells and 1-based line) of a CSV file; rows must match the header's width. */
export function readCsvRows(file: string, delimiter = ","): { header: string[]; rows: { cells: string[]; line: number }[] } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new DataError(fsFailure("cannot read", file, e), file);
  }
  const lines = text.split(/\r?\n/);
  if (lines.length === 0 || lines[0]!.trim() === "") throw new DataError(`${file}:1: the file is empty; expected a header row`, file);
  const header = splitCsvLine(lines[0]!, delimiter);
  const rows: { cells: string[]; line: number }[] = [];
  for (let li = 1; li < lines.length; li++) {
    const raw = lines[li]!;
    if (raw.trim() === "") continue;
    const cells = splitCsvLine(raw, delimiter);
    if (cells.length !== header.length) {
      throw new DataError(`${file}:${li + 1}: expected ${header.length} columns as in the header, found ${cells.length}`, file);
    }
    rows.push({ cells, line: li + 1 });
  }
  return { header, rows };
}

/** One head's labels read from its column(s): class ids (or names, sorted) or real targets. */
export interface CsvLabels {
  y: Int32Array | Float32Array;
  yWidth: number;
  classNames?: string[];
  labelAt: (i: number) => string;
}

/**
 * The label cells of `names` (one column for class labels, one or more for real targets). A
 * missing cell (empty, NA, ?, …) is an error naming the file, the line and the column: labels are
 * never filled.
 */
function readLabels(file: string, header: string[], rows: { cells: string[]; line: number }[], names: string[], kind: "class" | "real"): CsvLabels {
  const cols = names.map((name) => {
    const i = header.indexOf(name);
    if (i < 0) throw new DataError(`${file}:1: no column named "${name}" in the header (columns: ${header.join(", ")})`, file);
    return i;
  });
  if (cols.length > 1 && kind !== "real") throw new DataError(`${file}: class labels come from one column, not ${cols.length} (${names.join(", ")})`, file);
  const cells = cols.length === 1 ? rows.map((r) => r.cells[cols[0]!]!) : rows.flatMap((r) => cols.map((c) => r.cells[c]!));
  const lineOf = (k: number) => rows[Math.floor(k / cols.length)]!.line;
  const colOf = (k: number) => names[k % cols.length]!;
  const gap = cells.findIndex((c) => isMissing(c));
  if (gap >= 0) throw new DataError(`${file}:${lineOf(gap)}: label column "${colOf(gap)}" has a missing value${cells[gap]!.trim() === "" ? "" : ` ("${cells[gap]}")`}; labels are never filled: fix the file or remove the row`, file);
  let y: Int32Array | Float32Array;
  let classNames: string[] | undefined;
  const numeric = cells.every((c) => Number.isFinite(Number(c)));
  if (kind === "real") {
    if (!numeric) {
      const bad = cells.findIndex((c) => !Number.isFinite(Number(c)));
      throw new DataError(`${file}:${lineOf(bad)}: label column "${colOf(bad)}" is not a number: "${cells[bad]}"`, file);
    }
    y = Float32Array.from(cells, Number);
  } else if (numeric) {
    const bad = cells.findIndex((c) => !Number.isInteger(Number(c)));
    if (bad >= 0) throw new DataError(`${file}:${rows[bad]!.line}: class label "${cells[bad]}" in column "${names[0]}" is not an integer`, file);
    y = Int32Array.from(cells, Number);
  } else {
    classNames = [...new Set(cells)].sort();
    const id = new Map(classNames.map((n, i) => [n, i]));
    y = Int32Array.from(cells, (c) => id.get(c)!);
  }
  const labelAt = (i: number) => `${file}:${rows[i]!.line} (column${cols.length === 1 ? "" : "s"} ${names.map((n) => `"${n}"`).join(", ")})`;
  return classNames ? { y, yWidth: cols.length, classNames, labelAt } : { y, yWidth: cols.length, labelAt };
}

export function readCsv(file: string, opts: CsvOptions): CsvResult {
  const { header, rows } = readCsvRows(file, opts.delimiter ?? ",");
  const labelNames = typeof opts.label === "string" ? [opts.label] : opts.label;
  const labels = (names: string[], kind: "class" | "real") => readLabels(file, header, rows, names, kind);
  // Every head's label columns are out of the default features (a model must not read its answers).
  const notFeatures = new Set([...labelNames, ...(opts.heads ?? []).flatMap((h) => h.columns)]);
  const featureNames = opts.table ?? opts.features ?? header.filter((h) => !notFeatures.has(h));
  const featureCols = featureNames.map((name) => {
    const i = header.indexOf(name);
    if (i < 0) throw new DataError(`${file}:1: no column named "${name}" in the header (columns: ${header.join(", ")})`, file);
    return i;
  });
  if (rows.length === 0) throw new DataError(`${file}: no data rows after the header`, file);
  const first = labels(labelNames, opts.labelKind);
  const nf = featureCols.length;
  let xs: RawPart["x"];
  if (opts.table) {
    const cells: Record<string, string[]> = {};
    // One pass over the rows for every column (not one per column: rows are scattered objects).
    const cols = featureCols.map(() => new Array<string>(rows.length));
    for (let r = 0; r < rows.length; r++) {
      const rc = rows[r]!.cells;
      for (let j = 0; j < nf; j++) cols[j]![r] = rc[featureCols[j]!]!;
    }
    featureCols.forEach((_, j) => { cells[featureNames[j]!] = cols[j]!; });
    xs = { kind: "table", cells, n: rows.length, at: (i) => `${file}:${rows[i]!.line}` };
  } else {
    const x = new Float32Array(rows.length * nf);
    rows.forEach(({ cells, line }, r) => {
      featureCols.forEach((c, j) => {
        const cell = cells[c]!;
        const v = cell === "" ? NaN : Number(cell);
        if (!Number.isFinite(v)) throw new DataError(`${file}:${line}: column "${header[c]}" is not a number: "${cell}"`, file);
        x[r * nf + j] = v;
      });
    });
    xs = { kind: "dense", data: x, sampleShape: [nf] };
  }
  const part: RawPart = { x: xs, y: first.y, yWidth: first.yWidth, labelAt: first.labelAt, sampleAt: (i) => `${file}:${rows[i]!.line}` };
  const heads = opts.heads?.map((h) => labels(h.columns, h.labelKind));
  return { part, featureNames, ...(first.classNames ? { classNames: first.classNames } : {}), ...(heads ? { heads } : {}) };
}
