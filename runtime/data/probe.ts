// Check-time data facts: what `dlpc check` (and the language server, on every keystroke) may
// learn about a data source from a bounded read — an IDX header and its label bytes, a CSV
// header and its first rows, a folder listing. Never more than PROBE_BYTES of a file is read and
// no gzip stream is inflated past that; results are cached per path, modification time and size,
// so an unchanged file costs one stat. A file that is absent gives `absent` (the facts are then
// unknown, as at run time they would be an error of their own); a malformed one gives the same
// DataError text the run would print, naming the file and the byte or line.
import { opendirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { inferColumn } from "./infer.ts";
import { DataError } from "../errors.ts";
import { splitCsvLine } from "./csv.ts";
import { isMissing } from "./columns.ts";
import { gunzipHead, isGzip, readHead } from "./bounded.ts";
import { findIdxFiles } from "./idx.ts";
import { isImageFile } from "./images.ts";

/** The most bytes a probe reads from one file (and inflates from one gzip stream). */
export const PROBE_BYTES = 1 << 20;

/** Label values seen in a bounded prefix (or the whole label set, when `complete`). */
export type LabelFacts =
  | { kind: "ids"; min: number; max: number; minAt: string; maxAt: string; complete: boolean }
  | { kind: "names"; names: string[]; complete: boolean; firstAt: string }
  | { kind: "non_integer"; value: string; at: string };

export interface DataFacts {
  /** The file or folder the facts come from, as the pipeline names it. */
  file: string;
  /** Per-sample shape of the inputs, when the data fixes it (CSV features, IDX image dims). */
  sampleShape?: number[];
  /** Where that shape is written, for notes: `data/t.csv:1 (header)`. */
  shapeAt?: string;
  labels?: LabelFacts;
  /** Classes known exactly (an image folder's class sub-folders). */
  classes?: { names: string[]; at: string; /** "image" or "text": what the class folders hold. */ noun?: string };
  /** The source has a test set of its own (t10k files, a test/ folder). */
  hasTest?: boolean;
  /** Training samples, when a header says so (a CSV's data rows, when it was read whole). */
  samples?: number;
  /**
   * The distinct label values read (a CSV label column, IDX label bytes), each with where it was
   * first seen, up to LABEL_VALUES of them (`more` when there were others), for the declared label
   * values (`class(["cat", "dog"])`) to be checked against.
   */
  labelValues?: { values: { value: string; at: string }[]; complete: boolean; more: boolean };
  /** A window source: the feature columns each step holds, and where they are named. */
  window?: { features: number; at: string };
  /** A CSV's header (its column names, in order). */
  header?: string[];
  /** Typed-column reads, per requested column in the part read: its distinct values, missing
   *  cells, the first few values and the kind its cells look like (runtime/data/infer.ts). */
  distinct?: Record<string, { count: number; complete: boolean; missing?: number; examples?: string[]; looks?: string }>;
}

/** The most distinct label values a probe keeps. */
export const LABEL_VALUES = 1024;

function addValue(seen: Map<string, string>, value: string, at: string): boolean {
  if (seen.has(value)) return true;
  if (seen.size >= LABEL_VALUES) return false;
  seen.set(value, at);
  return true;
}

export type Probe =
  | { kind: "facts"; facts: DataFacts }
  /** Nothing at that path (a note, not an error: the data may be made later). */
  | { kind: "absent"; path: string }
  /** The file is there but malformed: the message names the file and where. */
  | { kind: "bad"; message: string };

export type ProbeRequest =
  /** `table`: typed columns are read (their cells are not numbers necessarily, the label column may be absent). */
  | { kind: "csv"; path: string; label: string; features?: string[]; delimiter: string; table?: string[]; /** Other heads' label columns: out of the default features. */ exclude?: string[] }
  /** A CSV time series cut into windows: the first target is probed as the label column. */
  | { kind: "window"; path: string; target: string[]; features?: string[]; delimiter: string }
  | { kind: "idx"; dir: string }
  | { kind: "images"; dir: string }
  /** A folder of .txt files per class (source text_files). */
  | { kind: "text_files"; dir: string };

const cache = new Map<string, { stamp: string; probe: Probe }>();
/** Files (and class folders) whose contents probes have read since the process started. */
let contentReads = 0;
/** How many file contents (and class folder listings) the probes have read so far: a check
 *  answered from the cache adds none (tests count it across re-checks). */
export function probeReads(): number {
  return contentReads;
}
const CACHE_ENTRIES = 64;

function stampOf(path: string): string | undefined {
  try {
    const s = statSync(path);
    let stamp = `${s.mtimeMs}:${s.size}:${s.isDirectory() ? "d" : "f"}`;
    // A folder's own mtime does not change when a file inside a sub-folder does: add theirs.
    if (s.isDirectory()) {
      for (const n of safeList(path).slice(0, 256)) {
        try {
          const c = statSync(join(path, n));
          stamp += `|${n}:${c.mtimeMs}:${c.size}`;
        } catch {
          // vanished between listing and stat: the next check sees it
        }
      }
    }
    return stamp;
  } catch {
    return undefined;
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Facts about one source, from a bounded read; cached per path + mtime + size. */
export function probeData(req: ProbeRequest): Probe {
  const path = req.kind === "csv" || req.kind === "window" ? req.path : req.dir;
  const stamp = stampOf(path);
  if (stamp === undefined) return { kind: "absent", path };
  const key = JSON.stringify(req);
  const hit = cache.get(key);
  if (hit && hit.stamp === stamp) return hit.probe;
  let probe: Probe;
  try {
    probe = { kind: "facts", facts: req.kind === "csv" ? probeCsv(req) : req.kind === "window" ? probeWindow(req) : req.kind === "idx" ? probeIdx(req.dir) : req.kind === "images" ? probeImages(req.dir) : probeImages(req.dir, "text_files") };
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    probe = { kind: "bad", message: e.message };
  }
  if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(key, { stamp, probe });
  return probe;
}

/** The complete lines of a text prefix, and whether they are the whole file. */
function prefixLines(file: string): { lines: string[]; complete: boolean } {
  let size: number;
  try {
    const s = statSync(file);
    if (s.isDirectory()) throw new DataError(`${file} is a folder; \`source csv\` takes a CSV file`, file);
    size = s.size;
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`cannot read ${file}: ${(e as Error).message}`, file);
  }
  contentReads++;
  const head = readHead(file, PROBE_BYTES);
  if (isGzip(head)) throw new DataError(`${file}: a gzip stream (byte offset 0); \`source csv\` reads plain text: gunzip it first`, file);
  let text = head.toString("utf8");
  const complete = head.length >= size;
  if (!complete) text = text.slice(0, Math.max(0, text.lastIndexOf("\n")));
  return { lines: text.split(/\r?\n/), complete };
}

/** A window source's CSV: as a CSV whose label is the first target, every target out of the default features. */
function probeWindow(req: Extract<ProbeRequest, { kind: "window" }>): DataFacts {
  const { sampleShape, shapeAt: _at, ...facts } = probeCsv({ kind: "csv", path: req.path, label: req.target[0]!, delimiter: req.delimiter, ...(req.features ? { features: req.features } : {}) }, req.target);
  const n = sampleShape![0]!;
  const besides = req.features ? "" : ` besides the target${req.target.length === 1 ? "" : "s"} ${req.target.map((t) => `"${t}"`).join(", ")}`;
  return { ...facts, window: { features: n, at: `${req.path}:1 (header: ${n} feature column${n === 1 ? "" : "s"}${besides})` } };
}

function probeCsv(req: Extract<ProbeRequest, { kind: "csv" }>, targets: string[] = [req.label]): DataFacts {
  const file = req.path;
  const { lines, complete } = prefixLines(file);
  if (lines.length === 0 || lines[0]!.trim() === "") throw new DataError(`${file}:1: the file is empty; expected a header row`, file);
  const header = splitCsvLine(lines[0]!, req.delimiter);
  const labelCol = header.indexOf(req.label);
  if (labelCol < 0 && !req.table) throw new DataError(`${file}:1: no column named "${req.label}" in the header (columns: ${header.join(", ")})`, file);
  for (const t of targets) if (!req.table && !header.includes(t)) throw new DataError(`${file}:1: no column named "${t}" in the header (columns: ${header.join(", ")})`, file);
  const featureNames = req.table ? [] : req.features ?? header.filter((h) => !targets.includes(h) && !req.exclude?.includes(h));
  const tableCols = (req.table ?? []).map((n) => header.indexOf(n)).filter((i) => i >= 0);
  const distinct = tableCols.map(() => new Set<string>());
  const missing = tableCols.map(() => 0);
  const featureCols = featureNames.map((name) => {
    const i = header.indexOf(name);
    if (i < 0) throw new DataError(`${file}:1: no column named "${name}" in the header (columns: ${header.join(", ")})`, file);
    return i;
  });
  let ids: Extract<LabelFacts, { kind: "ids" }> | undefined;
  const names = new Map<string, string>();
  let nonInteger: Extract<LabelFacts, { kind: "non_integer" }> | undefined;
  let rows = 0;
  const seen = new Map<string, string>();
  let more = false;
  for (let li = 1; li < lines.length; li++) {
    const raw = lines[li]!;
    if (raw.trim() === "") continue;
    const cells = splitCsvLine(raw, req.delimiter);
    const at = `${file}:${li + 1}`;
    if (cells.length !== header.length) throw new DataError(`${at}: expected ${header.length} columns as in the header, found ${cells.length}`, file);
    for (const c of featureCols) {
      const cell = cells[c]!;
      if (!Number.isFinite(cell === "" ? NaN : Number(cell))) throw new DataError(`${at}: column "${header[c]}" is not a number: "${cell}"`, file);
    }
    rows++;
    tableCols.forEach((c, k) => {
      if (isMissing(cells[c]!)) missing[k]!++;
      else if (distinct[k]!.size <= 100000) distinct[k]!.add(cells[c]!.trim());
    });
    if (labelCol < 0) continue;
    const cell = cells[labelCol]!;
    // As the run reads it (runtime/data/csv.ts): labels are never filled.
    if (isMissing(cell)) throw new DataError(`${at}: label column "${req.label}" has a missing value${cell.trim() === "" ? "" : ` ("${cell}")`}; labels are never filled: fix the file or remove the row`, file);
    if (!addValue(seen, cell, at)) more = true;
    const v = cell === "" ? NaN : Number(cell);
    if (!Number.isFinite(v)) {
      if (!names.has(cell)) names.set(cell, at);
    } else if (!Number.isInteger(v)) {
      nonInteger ??= { kind: "non_integer", value: cell, at };
    } else if (!ids) ids = { kind: "ids", min: v, max: v, minAt: at, maxAt: at, complete };
    else {
      if (v < ids.min) { ids.min = v; ids.minAt = at; }
      if (v > ids.max) { ids.max = v; ids.maxAt = at; }
    }
  }
  if (rows === 0 && complete) throw new DataError(`${file}: no data rows after the header`, file);
  const facts: DataFacts = req.table
    ? { file, header, distinct: Object.fromEntries(tableCols.map((c, k) => [header[c]!, { count: distinct[k]!.size, complete, missing: missing[k]!, examples: [...distinct[k]!].slice(0, 5), looks: inferColumn([...distinct[k]!]).kind }])) }
    : { file, header, sampleShape: [featureCols.length], shapeAt: `${file}:1 (header: ${featureCols.length} feature column${featureCols.length === 1 ? "" : "s"} besides ${[req.label, ...(req.exclude ?? [])].map((c) => `"${c}"`).join(", ")})` };
  // Labels as the runtime reads them: all numbers → ids (or regression targets), else names.
  if (names.size > 0) {
    const sorted = [...names.keys()].sort();
    facts.labels = { kind: "names", names: sorted, complete, firstAt: names.get(sorted[0]!)! };
  } else if (nonInteger) facts.labels = nonInteger;
  else if (ids) facts.labels = ids;
  if (complete) facts.samples = rows;
  if (seen.size > 0) facts.labelValues = { values: [...seen].map(([value, at]) => ({ value, at })), complete, more };
  return facts;
}

/** Bytes per element of each IDX type code. */
const IDX_ITEM: Record<number, number> = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 };

/** An IDX file's dimensions from its header (gzipped or not), reading at most PROBE_BYTES. */
function idxHead(file: string): { dims: number[]; data: Buffer; complete: boolean } {
  contentReads++;
  const raw = readHead(file, PROBE_BYTES);
  const size = statSync(file).size;
  const buf = isGzip(raw) ? gunzipHead(raw, PROBE_BYTES, file) : raw;
  if (buf.length < 4) throw new DataError(`${file}: truncated IDX header: ${buf.length} bytes, the magic number alone needs 4 (byte offset 0)`, file);
  const itemSize = IDX_ITEM[buf[2]!];
  if (buf[0] !== 0 || buf[1] !== 0 || itemSize === undefined || buf[3] === 0) {
    const hex = Array.from(buf.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new DataError(`${file}: not an IDX file: wrong magic number ${hex} at byte offset 0 (expected 00 00 <type 08..0e> <ndims>)`, file);
  }
  const ndims = buf[3]!;
  const headerLen = 4 + 4 * ndims;
  if (buf.length < headerLen) throw new DataError(`${file}: truncated IDX header: ${ndims} dimensions need ${headerLen} bytes, the file has ${buf.length} (byte offset ${buf.length})`, file);
  const dims = Array.from({ length: ndims }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  // Raw files: the size must match the header (as at run time); gzip: only the prefix is known.
  const need = headerLen + count * itemSize;
  if (!isGzip(raw) && size < need) {
    throw new DataError(`${file}: short read: dimensions ${dims.join("×")} need ${need} bytes but the file ends at byte offset ${size} (the file is truncated)`, file);
  }
  if (!isGzip(raw) && size > need) throw new DataError(`${file}: ${size - need} unexpected bytes after the data, starting at byte offset ${need} (the header declares ${need} bytes)`, file);
  const data = buf.subarray(headerLen);
  return { dims, data, complete: buf[2] === 0x08 && data.length >= count };
}

function probeIdx(dir: string): DataFacts {
  if (!statSync(dir).isDirectory()) throw new DataError(`${dir} is a file; \`source idx\` takes the folder holding the IDX files`, dir);
  const f = findIdxFiles(dir);
  if (!f.trainImages || !f.trainLabels) throw new DataError(`${dir}: no train-images-idx*-ubyte and train-labels-idx1-ubyte files (gzipped or not)`, dir);
  const images = idxHead(f.trainImages);
  const labels = idxHead(f.trainLabels);
  if (images.dims.length < 2) throw new DataError(`${f.trainImages}: expected an images file with at least 2 dimensions, found ${images.dims.length} (byte offset 3)`, f.trainImages);
  if (labels.dims.length !== 1) throw new DataError(`${f.trainLabels}: expected a labels file with 1 dimension, found ${labels.dims.length} (byte offset 3)`, f.trainLabels);
  if (images.dims[0] !== labels.dims[0]) {
    throw new DataError(`${f.trainImages} holds ${images.dims[0]} images but ${f.trainLabels} holds ${labels.dims[0]} labels (their headers, byte offset 4)`, f.trainLabels);
  }
  const facts: DataFacts = { file: dir, sampleShape: images.dims.slice(1), shapeAt: `${f.trainImages} (IDX header: ${images.dims.join("×")})`, samples: images.dims[0]!, hasTest: !!(f.testImages && f.testLabels) };
  const n = Math.min(labels.data.length, labels.dims[0]!);
  if (n > 0) {
    let min = 0;
    let max = 0;
    for (let i = 1; i < n; i++) {
      if (labels.data[i]! < labels.data[min]!) min = i;
      if (labels.data[i]! > labels.data[max]!) max = i;
    }
    const at = (i: number) => `${f.trainLabels} at byte offset ${8 + i} (label ${i})`;
    facts.labels = { kind: "ids", min: labels.data[min]!, max: labels.data[max]!, minAt: at(min), maxAt: at(max), complete: labels.complete };
    const seen = new Map<string, string>();
    for (let i = 0; i < n; i++) addValue(seen, String(labels.data[i]!), at(i));
    facts.labelValues = { values: [...seen].map(([value, at]) => ({ value, at })).sort((a, b) => Number(a.value) - Number(b.value)), complete: labels.complete, more: false };
  }
  return facts;
}

function probeImages(dir: string, source: "images" | "text_files" = "images"): DataFacts {
  const text = source === "text_files";
  const isSample = text ? (n: string) => n.toLowerCase().endsWith(".txt") : isImageFile;
  if (!statSync(dir).isDirectory()) throw new DataError(`${dir} is a file; \`source ${source}\` takes a folder with one sub-folder of ${text ? ".txt files" : "images"} per class`, dir);
  const isDirAt = (p: string) => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  };
  const split = isDirAt(join(dir, "train")) && isDirAt(join(dir, "test"));
  const root = split ? join(dir, "train") : dir;
  const classes = safeList(root).filter((n) => isDirAt(join(root, n)));
  if (classes.length === 0) throw new DataError(`${root}: no class sub-folders (expected one folder of ${text ? ".txt files" : "images"} per class)`, root);
  // One image per class folder is enough to know it is not empty; the listing stops there.
  for (const c of classes) {
    contentReads++;
    const d = opendirSync(join(root, c));
    let found = false;
    try {
      for (let e = d.readSync(); e && !found; e = d.readSync()) found = isSample(e.name);
    } finally {
      d.closeSync();
    }
    if (!found) throw new DataError(`${join(root, c)}: a class folder with no ${text ? ".txt" : ".png/.jpg/.jpeg"} files`, join(root, c));
  }
  return { file: dir, classes: { names: classes, at: `${root} (${classes.length} class folder${classes.length === 1 ? "" : "s"}: ${abbreviate(classes)})`, ...(text ? { noun: "text" } : {}) }, hasTest: split };
}

function abbreviate(names: string[]): string {
  return names.length <= 6 ? names.join(", ") : `${names.slice(0, 5).join(", ")}, … ${names[names.length - 1]}`;
}

/** Drops every cached probe (tests). */
export function clearProbeCache(): void {
  cache.clear();
}
