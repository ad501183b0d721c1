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
  const isNum = (c: string): boolean => c.trim() !== "" && Number.isFinite(Number(c));
  const numericCols = header.map((_, j) => j !== li && rows.every((r) => isNum(r[j]!)));
  const features = header.filter((_, j) => numericCols[j]);
  const skipped = header.filter((_, j) => j !== li && !numericCols[j]);
  if (features.length === 0) throw new Error(`${file}: no numeric feature column besides "${label}" (dlp reads numbers; encode text columns first)`);
  const labels = rows.map((r) => r[li]!);
  const numericLabels = labels.every(isNum);
  const distinct = new Set(labels);
  const ints = numericLabels && labels.every((c) => Number.isInteger(Number(c)) && Number(c) >= 0);
  const classify = !numericLabels || (ints && distinct.size <= 20 && Math.max(...labels.map(Number)) < 100);
  const classes = !numericLabels ? distinct.size : classify ? Math.max(...labels.map(Number)) + 1 : 0;
  const args = [str(file), `label: ${str(label)}`];
  if (skipped.length) args.push(`features: [${features.map(str).join(", ")}]`);
  if (delimiter !== ",") args.push(`delimiter: ${str(delimiter)}`);
  const hidden = Math.max(16, Math.min(128, 2 ** Math.ceil(Math.log2(features.length * 2))));
  const what = classify ? `${classes} classes` : "a number (regression)";
  const summary = `CSV ${file}, ${rows.length} rows, ${features.length} numeric features, label "${label}": ${what}${skipped.length ? `; non-numeric columns left out: ${skipped.join(", ")}` : ""}`;
  const data = [`source csv(${args.join(", ")})`, `x = (features |> standardize()) as vector[${features.length}]`];
  if (classify) {
    return {
      summary,
      data: [...data, `y = labels as class(${classes})`, `split validation 20%${classes <= 50 ? " stratified" : ""}`],
      model: [`dense(${hidden}, activation: relu)`, `dense(${hidden}, activation: relu)`, `dense(${classes}, activation: softmax)`],
      train: classifierTrain(50),
      evaluate: "evaluate validation { accuracy, confusion_matrix }",
    };
  }
  return {
    summary,
    data: [...data, "y = labels as regression", "split validation 20%"],
    model: [`dense(${hidden}, activation: relu)`, `dense(${hidden}, activation: relu)`, "dense(1)"],
    train: ["loss mse", "optimizer adam(lr: 1e-3)", "batch 32", "epochs 100", "metrics mae", "early_stop(monitor: val_loss, patience: 5)"],
    evaluate: "evaluate validation { mae }",
  };
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
