// CSV with a header row. Feature cells must be numbers; the label column may hold numbers or
// class names (sorted names become ids 0..k-1). Errors name the file and the line.
import { readFileSync } from "node:fs";
import { fsFailure } from "../library_errors.ts";
import { DataError } from "../errors.ts";
import type { RawPart } from "./types.ts";

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
}

export interface CsvResult {
  part: RawPart;
  featureNames: string[];
  classNames?: string[];
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

export function readCsv(file: string, opts: CsvOptions): CsvResult {
  const { header, rows } = readCsvRows(file, opts.delimiter ?? ",");
  const labelNames = typeof opts.label === "string" ? [opts.label] : opts.label;
  const labelCols = labelNames.map((name) => {
    const i = header.indexOf(name);
    if (i < 0) throw new DataError(`${file}:1: no column named "${name}" in the header (columns: ${header.join(", ")})`, file);
    return i;
  });
  const labelCol = labelCols[0]!;
  const label = labelNames[0]!;
  if (labelCols.length > 1 && opts.labelKind !== "real") throw new DataError(`${file}: class labels come from one column, not ${labelCols.length} (${labelNames.join(", ")})`, file);
  const featureNames = opts.table ?? opts.features ?? header.filter((_, i) => !labelCols.includes(i));
  const featureCols = featureNames.map((name) => {
    const i = header.indexOf(name);
    if (i < 0) throw new DataError(`${file}:1: no column named "${name}" in the header (columns: ${header.join(", ")})`, file);
    return i;
  });
  if (rows.length === 0) throw new DataError(`${file}: no data rows after the header`, file);
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
  const labelCells = labelCols.length === 1 ? rows.map((r) => r.cells[labelCol]!) : rows.flatMap((r) => labelCols.map((c) => r.cells[c]!));
  const lineOf = (k: number) => rows[Math.floor(k / labelCols.length)]!.line;
  const colOf = (k: number) => labelNames[k % labelCols.length]!;
  let y: Int32Array | Float32Array;
  let classNames: string[] | undefined;
  const numeric = labelCells.every((c) => c !== "" && Number.isFinite(Number(c)));
  if (opts.labelKind === "real") {
    if (!numeric) {
      const bad = labelCells.findIndex((c) => !(c !== "" && Number.isFinite(Number(c))));
      throw new DataError(`${file}:${lineOf(bad)}: label column "${colOf(bad)}" is not a number: "${labelCells[bad]}"`, file);
    }
    y = Float32Array.from(labelCells, Number);
  } else if (numeric) {
    const bad = labelCells.findIndex((c) => !Number.isInteger(Number(c)));
    if (bad >= 0) throw new DataError(`${file}:${rows[bad]!.line}: class label "${labelCells[bad]}" in column "${label}" is not an integer`, file);
    y = Int32Array.from(labelCells, Number);
  } else {
    classNames = [...new Set(labelCells)].sort();
    const id = new Map(classNames.map((n, i) => [n, i]));
    y = Int32Array.from(labelCells, (c) => id.get(c)!);
  }
  const part: RawPart = {
    x: xs,
    y,
    yWidth: labelCols.length,
    labelAt: (i) => `${file}:${rows[i]!.line} (column${labelCols.length === 1 ? "" : "s"} ${labelNames.map((n) => `"${n}"`).join(", ")})`,
    sampleAt: (i) => `${file}:${rows[i]!.line}`,
  };
  return classNames ? { part, featureNames, classNames } : { part, featureNames };
}
