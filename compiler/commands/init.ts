// `dlpc init --data PATH [--target COLUMN] [-o FILE] [--force]`: looks at a CSV file, a folder of
// IDX files or a folder of images (one sub-folder per class, or train/ and test/ holding them)
// and writes a runnable .dlp for it: the source, the input's type and shape, the label encoding
// and class count, a model that suits the data, and a loss, optimizer and metrics that match the
// labels. The text is checked by the compiler before it is written (like Ludwig's init_config,
// but typed and shape-checked): what init writes compiles without errors.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { compile } from "../driver.ts";
import { formatDlp } from "../format/format.ts";
import { UsageError, type Parsed, flag, printDiagnostics } from "../cli_util.ts";
import { splitCsvLine } from "../../runtime/data/csv.ts";
import { isMissing, parseBinary, parseDate } from "../../runtime/data/columns.ts";
import { inferColumn, type Inferred } from "../../runtime/data/infer.ts";
import { readIdx } from "../../runtime/data/idx.ts";
import { decodeImage, isImageFile } from "../../runtime/data/images.ts";

interface Draft {
  /** What init saw, for the comment at the top and the line it prints. */
  summary: string;
  data: string[];
  model: string[];
  train: string[];
  evaluate: string;
}

export async function initCommand(p: Parsed): Promise<number> {
  const data = flag(p, "--data");
  if (!data) throw new UsageError("init needs --data PATH (a CSV file, a folder of IDX files or a folder of images)");
  if (p.positional.length) throw new UsageError(`init takes no file argument (got ${p.positional.join(" ")}); the data is --data PATH`);
  if (!existsSync(data)) throw new UsageError(`no such file or folder: ${data}`);
  const target = flag(p, "--target");
  const isDir = statSync(data).isDirectory();
  if (target !== undefined && (isDir || extname(data).toLowerCase() !== ".csv")) throw new UsageError("--target names a CSV column; the labels of IDX and image folders are their own");
  const name = identifier(basename(data, extname(data)));
  const draft = !isDir ? csvDraft(data, target) : hasIdx(data) ? idxDraft(data) : imagesDraft(data);
  const text = render(name, draft);

  const formatted = formatDlp(text);
  if (!formatted.ok) throw new Error(`dlpc init wrote text that does not parse:\n${text}`);
  const out = flag(p, "-o") ?? `${name}.dlp`;
  const r = compile(formatted.text, { file: out });
  if (r.hasErrors) {
    printDiagnostics(r);
    throw new Error(`dlpc init wrote a pipeline with errors for ${data}; please report it with the lines above`);
  }
  if (existsSync(out) && !p.flags.has("--force")) throw new UsageError(`${out} exists; pass --force to replace it, or -o FILE`);
  try {
    writeFileSync(out, formatted.text);
  } catch (e) {
    throw new Error(`cannot write ${out}: ${(e as Error).message}`);
  }
  if (r.diagnostics.length) printDiagnostics(r);
  process.stdout.write(`wrote ${out}: ${draft.summary}\nrun it with: dlpc run ${/\s/.test(out) ? JSON.stringify(out) : out}\n`);
  return 0;
}

/** A pipeline name from a file or folder name: letters, digits and _, not starting with a digit. */
function identifier(s: string): string {
  const id = s.normalize("NFKD").replace(/[^\w]/g, "_").replace(/_+/g, "_").replace(/^_|_$/g, "").toLowerCase();
  return !id ? "data" : /^\d/.test(id) ? `data_${id}` : id;
}

const str = (s: string): string => JSON.stringify(s);

function render(name: string, d: Draft): string {
  return [
    `// Written by \`dlpc init\`: ${d.summary.replace(/[\r\n]+/g, " ")}.`,
    "// A starting point: change the model, the epochs and the optimizer to suit.",
    `pipeline ${name} {`,
    "  seed 42",
    "  data {",
    ...d.data.map((l) => `    ${l}`),
    "  }",
    "  model {",
    ...d.model.map((l) => `    ${l}`),
    "  }",
    "  train {",
    ...d.train.map((l) => `    ${l}`),
    "  }",
    `  ${d.evaluate}`,
    "}",
    "",
  ].join("\n");
}

const classifierTrain = (epochs: number): string[] => [
  "loss sparse_categorical_crossentropy",
  "optimizer adam(lr: 1e-3)",
  "batch 32",
  `epochs ${epochs}`,
  "metrics accuracy",
  "early_stop(monitor: val_loss, patience: 3)",
];

// ---- CSV --------------------------------------------------------------------------------------

function csvDraft(file: string, target: string | undefined): Draft {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length < 2) throw new Error(`${file}: expected a header row and at least one data row`);
  const delimiter = [",", ";", "\t"].map((d) => [d, splitCsvLine(lines[0]!, d).length] as const).sort((a, b) => b[1] - a[1])[0]![0];
  const header = splitCsvLine(lines[0]!, delimiter);
  const rows = lines.slice(1).map((l, i) => {
    const cells = splitCsvLine(l, delimiter);
    if (cells.length !== header.length) throw new Error(`${file}:${i + 2}: expected ${header.length} columns as in the header, found ${cells.length}`);
    return cells;
  });
  const label = target ?? header.find((h) => /^(label|target|class|y)$/i.test(h.trim())) ?? header[header.length - 1]!;
  const li = header.indexOf(label);
  if (li < 0) throw new UsageError(`--target ${label}: ${file} has no such column (columns: ${header.join(", ")})`);
  const numericCols = header.map((_, j) => j !== li && rows.every((r) => isNum(r[j]!)));
  const features = header.filter((_, j) => numericCols[j]);
  const labels = rows.map((r) => r[li]!);
  // Any column that is not all numbers (text, categories, dates, missing cells): typed columns.
  if (header.some((_, j) => j !== li && !numericCols[j])) return typedCsvDraft(file, header, rows, li, labels, delimiter);
  const { classify, classes, what } = labelKind(labels);
  const args = [str(file), `label: ${str(label)}`];
  if (delimiter !== ",") args.push(`delimiter: ${str(delimiter)}`);
  const hidden = Math.max(16, Math.min(128, 2 ** Math.ceil(Math.log2(features.length * 2))));
  const summary = `CSV ${file}, ${rows.length} rows, ${features.length} numeric features, label "${label}": ${what}`;
  const data = [`source csv(${args.join(", ")})`, `x = (features |> standardize()) as vector[${features.length}]`];
  return finish(summary, data, [`dense(${hidden}, activation: relu)`, `dense(${hidden}, activation: relu)`], classify, classes);
}

const isNum = (c: string): boolean => c.trim() !== "" && Number.isFinite(Number(c));

/** Class labels (text, or small non-negative integers) or a regression target. */
function labelKind(labels: string[]): { classify: boolean; classes: number; what: string } {
  const numericLabels = labels.every(isNum);
  const distinct = new Set(labels.map((l) => l.trim()));
  const ints = numericLabels && labels.every((c) => Number.isInteger(Number(c)) && Number(c) >= 0);
  const classify = !numericLabels || (ints && distinct.size <= 20 && Math.max(...labels.map(Number)) < 100);
  const classes = !numericLabels ? distinct.size : classify ? Math.max(...labels.map(Number)) + 1 : 0;
  return { classify, classes, what: classify ? `${classes} classes` : "a number (regression)" };
}

/** The data section's labels, split and evaluation, the output layer, and the training for the labels. */
function finish(summary: string, data: string[], body: string[], classify: boolean, classes: number): Draft {
  if (classify) {
    return {
      summary,
      data: [...data, `y = labels as class(${classes})`, `split validation 20%${classes <= 50 ? " stratified" : ""}`],
      model: [...body, `dense(${classes}, activation: softmax)`],
      train: classifierTrain(50),
      evaluate: "evaluate validation { accuracy, confusion_matrix }",
    };
  }
  return {
    summary,
    data: [...data, "y = labels as regression", "split validation 20%"],
    model: [...body, "dense(1)"],
    train: ["loss mse", "optimizer adam(lr: 1e-3)", "batch 32", "epochs 100", "metrics mae", "early_stop(monitor: val_loss, patience: 5)"],
    evaluate: "evaluate validation { mae }",
  };
}

// ---- typed CSV columns ------------------------------------------------------------------------
// A table with text, categories, dates or missing cells is written with the typed column stages
// (Ludwig's input feature types, inferred as its `init_config` does from a sample of the rows):
// numbers standardized (missing cells filled with the training median), yes/no columns binary,
// dates as year/month/day/weekday, columns of few distinct values looked up in a vocabulary and
// one-hot encoded, and long strings tokenized into word ids that an embedding branch reads.

/** Rows looked at to tell a column's kind. */
const SAMPLE_ROWS = 5000;

const KEYWORDS = new Set(["as", "true", "false", "and", "or", "not", "step", "features", "labels", "texts"]);
const isName = (s: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) && !KEYWORDS.has(s);

/** A block's head: one column by its name, or `columns(…)` (a header name that is not a name is a string there). */
const head = (cols: string[]): string => (cols.length === 1 && isName(cols[0]!) ? cols[0]! : `columns(${cols.map((c) => (isName(c) ? c : str(c))).join(", ")})`);

function typedCsvDraft(file: string, header: string[], rows: string[][], li: number, labels: string[], delimiter: string): Draft {
  const sample = rows.length <= SAMPLE_ROWS ? rows : rows.filter((_, i) => i % Math.ceil(rows.length / SAMPLE_ROWS) === 0);
  // A kind read from the sample holds for every row, or the column is read again whole.
  const kindOf = (j: number): Inferred => {
    const k = inferColumn(sample.map((r) => r[j]!));
    const fits = k.kind === "numeric" ? isNum : k.kind === "binary" ? (c: string) => parseBinary(c) !== undefined : k.kind === "date" ? (c: string) => parseDate(c) !== undefined : undefined;
    return sample === rows || !fits || rows.every((r) => isMissing(r[j]!) || fits(r[j]!)) ? k : inferColumn(rows.map((r) => r[j]!));
  };
  const cols = header.map((name, j) => ({ name, j, inferred: j === li ? undefined : kindOf(j) }));
  const blocks: string[] = [];
  const texts: { name: string; numWords: number; maxlen: number }[] = [];
  const described: string[] = [];
  const skipped: string[] = [];
  const group = (kind: string, missing: boolean) => cols.filter((c) => c.inferred?.kind === kind && c.inferred.kind !== "skip" && (c.inferred.missing > 0) === missing).map((c) => c.name);
  const numeric = group("numeric", false);
  if (numeric.length) blocks.push(`${head(numeric)} |> standardize()`);
  const filled = group("numeric", true);
  if (filled.length) blocks.push(`${head(filled)} |> fill(median) |> standardize()`);
  for (const c of cols) {
    const t = c.inferred;
    if (!t) continue;
    if (t.kind === "skip") {
      skipped.push(`${c.name} (${t.why})`);
      continue;
    }
    const missing = t.missing ? `, ${t.missing} missing` : "";
    const alone = t.missing ? ` (${t.missing} missing)` : "";
    if (t.kind === "numeric") described.push(`${c.name} numeric${alone}`);
    else if (t.kind === "binary") {
      blocks.push(`${head([c.name])} |> binary()${t.missing ? " |> fill(mode)" : ""}`);
      described.push(`${c.name} binary${alone}`);
    } else if (t.kind === "date") {
      blocks.push(`${head([c.name])} |> date()${t.missing ? " |> fill(mode)" : ""} |> standardize()`);
      described.push(`${c.name} date${alone}`);
    } else if (t.kind === "category") {
      // A missing cell is the out-of-vocabulary id 0, as any value outside the vocabulary.
      blocks.push(`${head([c.name])} |> category(max_tokens: ${t.distinct + 1}) |> one_hot()`);
      described.push(`${c.name} category (${t.distinct} values${missing})`);
    } else {
      texts.push({ name: c.name, numWords: t.numWords, maxlen: t.maxlen });
      described.push(`${c.name} text (${t.numWords - 2} words, ${t.maxlen} per row${missing})`);
    }
  }
  const label = header[li]!;
  if (blocks.length === 0 && texts.length === 0) throw new Error(`${file}: no column besides "${label}" that dlp can read (${skipped.join(", ")})`);
  const { classify, classes, what } = labelKind(labels);
  const args = [str(file), `label: ${str(label)}`];
  if (delimiter !== ",") args.push(`delimiter: ${str(delimiter)}`);
  const summary = `CSV ${file}, ${rows.length} rows, label "${label}": ${what}; columns: ${described.join(", ")}${skipped.length ? `; left out: ${skipped.join(", ")}` : ""}`;
  const data = [`source csv(${args.join(", ")})`];
  const tabular = blocks.length === 0 ? undefined : blocks.length === 1 ? blocks[0]! : `concat(${blocks.join(", ")})`;
  const hidden = 32;
  const textField = (name: string, k: number) => {
    const base = `${identifier(name)}_words`;
    return header.includes(base) || base === "x" ? `${base}_${k}` : base;
  };
  const embed = (t: { numWords: number }) => `embedding(${t.numWords}, ${Math.min(64, Math.max(8, 2 ** Math.round(Math.log2(Math.sqrt(t.numWords) * 2))))})`;
  if (texts.length === 0) {
    data.push(`x = ${tabular!}`);
    return finish(summary, data, [`dense(${hidden}, activation: relu)`, `dense(${hidden}, activation: relu)`], classify, classes);
  }
  if (!tabular && texts.length === 1) {
    const t = texts[0]!;
    data.push(`x = ${head([t.name])} |> text(num_words: ${t.numWords}, maxlen: ${t.maxlen})`);
    return finish(summary, data, [embed(t), "global_avg_pool1d()", `dense(${hidden}, activation: relu)`], classify, classes);
  }
  // Several inputs: each text column through its own embedding branch, merged with the other columns.
  const branches: string[] = [];
  const model: string[] = [];
  texts.forEach((t, k) => {
    const field = textField(t.name, k);
    data.push(`${field} = ${head([t.name])} |> text(num_words: ${t.numWords}, maxlen: ${t.maxlen})`);
    model.push(`t${k} = ${field} |> ${embed(t)} |> global_avg_pool1d()`);
    branches.push(`t${k}`);
  });
  if (tabular) {
    data.unshift(data.shift()!, `x = ${tabular}`);
    model.push(`f = x |> dense(${hidden}, activation: relu)`);
    branches.push("f");
  }
  model.push(`concatenate(${branches.join(", ")}) |> dense(${hidden}, activation: relu)`);
  return finish(summary, data, model, classify, classes);
}

// ---- IDX --------------------------------------------------------------------------------------

const IDX_TRAIN = /^train-images[-.]idx\d-ubyte(\.gz)?$/;

function hasIdx(dir: string): boolean {
  return readdirSync(dir).some((f) => IDX_TRAIN.test(f));
}

function idxDraft(dir: string): Draft {
  const files = readdirSync(dir);
  const images = join(dir, files.find((f) => IDX_TRAIN.test(f))!);
  const labelsName = files.find((f) => /^train-labels[-.]idx1-ubyte(\.gz)?$/.test(f));
  if (!labelsName) throw new Error(`${dir}: ${basename(images)} has no train-labels-idx1-ubyte beside it`);
  const x = readIdx(images);
  const y = readIdx(join(dir, labelsName));
  let max = 0;
  for (let i = 0; i < y.data.length; i++) max = Math.max(max, Number(y.data[i]));
  const classes = max + 1;
  const dims = x.dims.slice(1);
  const hasTest = files.some((f) => /^t10k-images[-.]idx\d-ubyte(\.gz)?$/.test(f));
  const summary = `IDX ${dir}, ${x.dims[0]} samples of ${dims.join("×")}, ${classes} classes${hasTest ? ", with a t10k test set" : ""}`;
  const split = "split validation 10% stratified";
  const evaluate = hasTest ? "evaluate test { accuracy, confusion_matrix }" : "evaluate validation { accuracy, confusion_matrix }";
  if (dims.length === 2 || dims.length === 3) {
    const [h, w, c = 1] = dims;
    return {
      summary,
      data: [`source idx(${str(dir)})`, `x = images / 255 as image[${h}, ${w}, ${c}]`, `y = labels as class(${classes})`, split],
      model: cnn(h!, w!, classes),
      train: classifierTrain(10),
      evaluate,
    };
  }
  const n = dims.reduce((a, b) => a * b, 1);
  return {
    summary,
    data: [`source idx(${str(dir)})`, `x = images / 255 as vector[${n}]`, `y = labels as class(${classes})`, split],
    model: ["dense(128, activation: relu)", `dense(${classes}, activation: softmax)`],
    train: classifierTrain(10),
    evaluate,
  };
}

/** Two conv blocks (three for larger images), then global average pooling: few parameters. */
function cnn(h: number, w: number, classes: number): string[] {
  const blocks = Math.min(h, w) >= 48 ? 3 : Math.min(h, w) >= 12 ? 2 : 1;
  const layers: string[] = [];
  for (let b = 0; b < blocks; b++) layers.push(`conv2d(${32 * 2 ** b}, 3, activation: relu, padding: same)`, "max_pool(2)");
  return [...layers, "global_avg_pool()", `dense(${classes}, activation: softmax)`];
}

// ---- image folders ----------------------------------------------------------------------------

function imagesDraft(dir: string): Draft {
  const sub = (d: string): string[] => readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const top = sub(dir);
  const split = top.includes("train") && top.includes("test");
  const classDir = split ? join(dir, "train") : dir;
  const classes = sub(classDir).filter((c) => readdirSync(join(classDir, c)).some(isImageFile));
  if (classes.length < 2) throw new Error(`${dir}: expected a CSV file, a folder of IDX files (train-images-idx3-ubyte …) or a folder of images with one sub-folder per class (found ${classes.length} class folder${classes.length === 1 ? "" : "s"} with images)`);
  const first = join(classDir, classes[0]!, readdirSync(join(classDir, classes[0]!)).filter(isImageFile).sort()[0]!);
  const img = decodeImage(first);
  const count = classes.reduce((n, c) => n + readdirSync(join(classDir, c)).filter(isImageFile).length, 0);
  // Small pictures keep their size; larger ones are resized to 64 pixels on their short side.
  const scale = Math.min(1, 64 / Math.min(img.width, img.height));
  const h = Math.max(8, Math.round(img.height * scale));
  const w = Math.max(8, Math.round(img.width * scale));
  const summary = `images ${dir}, ${count} images in ${classes.length} classes (${classes.slice(0, 5).join(", ")}${classes.length > 5 ? ", …" : ""})${split ? ", with train/ and test/" : ""}, read at ${h}×${w}`;
  return {
    summary,
    data: [`source images(${str(dir)}, size: [${h}, ${w}])`, `x = images / 255 as image[${h}, ${w}, 3]`, `y = labels as class(${classes.length})`, "split validation 20% stratified"],
    model: cnn(h, w, classes.length),
    train: classifierTrain(20),
    evaluate: split ? "evaluate test { accuracy, confusion_matrix }" : "evaluate validation { accuracy, confusion_matrix }",
  };
}
