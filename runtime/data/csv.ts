// CSV with a header row. Feature cells must be numbers; the label column may hold numbers or
// class names (sorted names become ids 0..k-1). Errors name the file and the line.
import { readFileSync } from "node:fs";
import { fsFailure } from "../library_errors.ts";
import { DataError } from "../errors.ts";
import type { RawPart } from "./types.ts";

/** Splits one line on the delimiter, honouring double quotes ("" inside quotes is a quote). */
export function splitCsvLine(line: string, delimiter: string): string[] {
  // Without quotes the cells are the plain pieces (the common case, several times faster).
  if (!line.includes('"')) return line.split(delimiter).map((c) => c.trim());
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
  label: string;
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
  const labelCol = header.indexOf(opts.label);
  if (labelCol < 0) throw new DataError(`${file}:1: no column named "${opts.label}" in the header (columns: ${header.join(", ")})`, file);
  const featureNames = opts.table ?? opts.features ?? header.filter((_, i) => i !== labelCol);
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
    featureCols.forEach((c, j) => { cells[featureNames[j]!] = rows.map((r) => r.cells[c]!); });
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
  const labelCells = rows.map((r) => r.cells[labelCol]!);
  let y: Int32Array | Float32Array;
  let classNames: string[] | undefined;
  const numeric = labelCells.every((c) => c !== "" && Number.isFinite(Number(c)));
  if (opts.labelKind === "real") {
    if (!numeric) {
      const bad = labelCells.findIndex((c) => !(c !== "" && Number.isFinite(Number(c))));
      throw new DataError(`${file}:${rows[bad]!.line}: label column "${opts.label}" is not a number: "${labelCells[bad]}"`, file);
    }
    y = Float32Array.from(labelCells, Number);
  } else if (numeric) {
    const bad = labelCells.findIndex((c) => !Number.isInteger(Number(c)));
    if (bad >= 0) throw new DataError(`${file}:${rows[bad]!.line}: class label "${labelCells[bad]}" in column "${opts.label}" is not an integer`, file);
    y = Int32Array.from(labelCells, Number);
  } else {
    classNames = [...new Set(labelCells)].sort();
    const id = new Map(classNames.map((n, i) => [n, i]));
    y = Int32Array.from(labelCells, (c) => id.get(c)!);
  }
  const part: RawPart = {
    x: xs,
    y,
    yWidth: 1,
    labelAt: (i) => `${file}:${rows[i]!.line} (column "${opts.label}")`,
    sampleAt: (i) => `${file}:${rows[i]!.line}`,
  };
  return classNames ? { part, featureNames, classNames } : { part, featureNames };
}
