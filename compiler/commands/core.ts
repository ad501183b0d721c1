// The commands that check, compile, run and predict: loaded by compiler/cli.ts only once a command
// runs, so that `dlpc --help` and `dlpc --version` load no parser.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compile } from "../driver.ts";
import { toJson } from "../diagnostics/render.ts";
import { BACKENDS, compileOrReport, UsageError, type Parsed, flag, format, readSource, printDiagnostics, parseSet, positiveInt } from "../cli_util.ts";
import { summaryJson, summaryText } from "../summary.ts";
import { jsString } from "../codegen/escape.ts";

export function check(p: Parsed): number {
  if (p.positional.length === 0) throw new UsageError("check needs at least one .dlp file");
  const fmt = format(p);
  let failed = false;
  const all: unknown[] = [];
  for (const f of p.positional) {
    const r = compile(readSource(f), { file: f });
    failed ||= r.hasErrors;
    if (fmt === "json") all.push(...r.diagnostics.map((d) => toJson(d, { file: f, text: r.text, lines: r.lines })));
    else printDiagnostics(r);
  }
  if (fmt === "json") process.stdout.write(JSON.stringify(all, null, 2) + "\n");
  return failed ? 1 : 0;
}

export function summary(p: Parsed): number {
  if (p.positional.length !== 1) throw new UsageError("summary takes one .dlp file");
  const f = p.positional[0];
  const r = compile(readSource(f), { file: f });
  if (r.hasErrors || !r.checked?.model) {
    printDiagnostics(r);
    return 1;
  }
  if (format(p) === "json") process.stdout.write(JSON.stringify(summaryJson(r.checked), null, 2) + "\n");
  else process.stdout.write(summaryText(r.checked) + "\n");
  return 0;
}

/** Compiles one file to DIR/<pipeline>.ts; returns the path, or undefined after printing errors.
 *  The emitter (ts-morph, ~0.5 s to load) is imported only here, so `check` and `summary` start fast. */
async function compileTo(file: string, outDir: string): Promise<string | undefined> {
  const r = compileOrReport(readSource(file), file);
  if (!r) return undefined;
  const { writeCompiled } = await import("../codegen/write.ts");
  return writeCompiled(r.checked, file, r.sourceHash, outDir);
}

export async function compileCmd(p: Parsed): Promise<number> {
  if (p.positional.length === 0) throw new UsageError("compile needs at least one .dlp file");
  const outDir = flag(p, "-o") ?? "build";
  let failed = false;
  for (const f of p.positional) {
    const target = await compileTo(f, outDir);
    if (target) {
      if (!p.flags.has("--quiet")) process.stdout.write(`${f} -> ${target}\n`);
    }
    else failed = true;
  }
  return failed ? 1 : 0;
}

export async function run(p: Parsed): Promise<number> {
  if (p.positional.length !== 1) throw new UsageError("run takes one .dlp or compiled .ts file");
  const file = p.positional[0];
  let modulePath: string;
  if (file.endsWith(".ts")) {
    if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
    modulePath = file;
  } else {
    const built = await compileForRun(file, "build", p.flags.has("--quiet"));
    if (!built) return 1;
    modulePath = built;
  }
  const backend = flag(p, "--backend") ?? "auto";
  if (!(BACKENDS as readonly string[]).includes(backend)) throw new UsageError(`unknown backend ${backend}`);
  const mod = (await import(pathToFileURL(resolve(modulePath)).href)) as { pipeline?: unknown };
  if (!mod.pipeline) throw new Error(`${modulePath} does not export a compiled pipeline`);
  const runtime = await import("../../runtime/index.ts");
  const pipeline = mod.pipeline as Parameters<typeof runtime.runPipeline>[0];
  const params = parseSet(p.flags.get("--set") ?? []);
  for (const k of Object.keys(params)) {
    if (!(k in pipeline.defaults)) {
      const names = Object.keys(pipeline.defaults);
      throw new UsageError(`--set ${k}: the pipeline has no param \`${k}\`${names.length ? ` (params: ${names.join(", ")})` : ""}`);
    }
  }
  const result = await runtime.runPipeline(pipeline, {
    backend: backend as "auto",
    epochs: positiveInt(p, "--epochs"),
    limit: positiveInt(p, "--limit"),
    out: flag(p, "--out") ?? "runs",
    params,
    quiet: p.flags.has("--quiet"),
    ...(flag(p, "--seed") !== undefined ? { seed: seedFlag(p) } : {}),
    ...(p.flags.has("--resume") ? { resume: true } : {}),
  });
  process.stdout.write(`saved to ${result.dir}\n`);
  return result.interrupted ? 130 : 0;
}

/**
 * `dlpc run x.dlp`: checks the file (diagnostics always print), then reuses OUT/<pipeline>.ts when
 * it was emitted from this exact text (same sourceFile and sourceHash) by the current emitter
 * (newer than compiler/codegen/), else compiles it like `dlpc compile`.
 */
async function compileForRun(file: string, outDir: string, quiet = false): Promise<string | undefined> {
  const r = compileOrReport(readSource(file), file);
  if (!r) return undefined;
  const target = join(outDir, `${r.checked.ir.name}.ts`);
  try {
    const code = readFileSync(target, "utf8");
    const codegen = fileURLToPath(new URL("../codegen/", import.meta.url));
    const emitterTime = Math.max(...["emit.ts", "write.ts", "escape.ts"].map((f) => statSync(join(codegen, f)).mtimeMs));
    const sourceFile = relative(process.cwd(), resolve(file)) || file;
    if (code.includes(`sourceFile: ${jsString(sourceFile)},`) && code.includes(`sourceHash: ${jsString(r.sourceHash)},`) && statSync(target).mtimeMs >= emitterTime) {
      if (!quiet) process.stderr.write(`using ${target} (up to date with ${file})\n`);
      return target;
    }
  } catch {
    // No usable build output: compile below.
  }
  const { writeCompiled } = await import("../codegen/write.ts");
  const written = writeCompiled(r.checked, file, r.sourceHash, outDir);
  if (!quiet) process.stderr.write(`compiled ${file} -> ${written}\n`);
  return written;
}

/** --seed N: a tuning trial's seed (weights, shuffling, augmentation), to retrain it exactly. */
function seedFlag(p: Parsed): number {
  const v = flag(p, "--seed")!;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--seed takes a non-negative integer, not ${v}`);
  return n;
}

export async function predict(p: Parsed): Promise<number> {
  const [dir, ...given] = p.positional;
  if (!dir || given.length === 0) throw new UsageError("predict takes RUN_DIR and at least one INPUT (an image, a folder of images, an IDX, CSV or JSON file)");
  if (!existsSync(join(dir, "model.json"))) throw new UsageError(`${dir} holds no model.json (expected a run folder such as runs/mnist_cnn)`);
  const fmt = flag(p, "--format") ?? "table";
  if (fmt !== "table" && fmt !== "csv" && fmt !== "json") throw new UsageError(`--format is table, csv or json, not ${fmt}`);
  const top = positiveInt(p, "--top") ?? 3;
  const backend = flag(p, "--backend") ?? "auto";
  if (!(BACKENDS as readonly string[]).includes(backend)) throw new UsageError(`unknown backend ${backend}`);
  const inputs = predictInputs(given);
  const runtime = await import("../../runtime/index.ts");
  const { classNames, samples, heads } = await runtime.predictFiles(dir, inputs, { backend: backend as "auto" });
  process.stdout.write(heads ? headsText(samples, heads, fmt) : predictionText(samples, classNames, top, fmt));
  return 0;
}

/** The files `dlpc predict` reads: each INPUT as given, a folder standing for every image under it
 *  (recursively, in name order). */
function predictInputs(given: string[]): string[] {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const f = join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (IMAGE_FILE.test(e.name)) files.push(f);
    }
  };
  for (const g of given) {
    let st;
    try {
      st = statSync(g);
    } catch {
      throw new UsageError(`no such file or folder: ${g}`);
    }
    if (st.isDirectory()) {
      const before = files.length;
      walk(g);
      if (files.length === before) throw new UsageError(`${g} holds no .png or .jpg images`);
    } else files.push(g);
  }
  return files;
}

const IMAGE_FILE = /\.(png|jpe?g)$/i;

/** One head's answer: a class head's most likely class (its name) and probability, a regression head's values. */
function headAnswer(out: number[], head: { kind: "class" | "binary" | "regression"; classNames?: string[] }): { class: string; probability: number } | number[] {
  if (head.kind === "regression") return out;
  const probs = out.length === 1 ? [1 - out[0]!, out[0]!] : out;
  const k = probs.indexOf(Math.max(...probs));
  return { class: head.classNames?.[k] ?? String(k), probability: probs[k]! };
}

/** A regression head wider than this is folded into one column in the terminal table. */
const WIDE_HEAD = 8;

/**
 * A model with several heads: every head answers, a column per head (class heads their class
 * name and its probability, `HEAD` and `HEAD_prob`; regression heads their values, `HEAD` or
 * `HEAD_0`, `HEAD_1`, …). JSON rows carry `answers` by head and every head's raw outputs.
 */
export function headsText(samples: { input: string; index: number | null; heads?: Record<string, number[]> }[], heads: { name: string; kind: "class" | "binary" | "regression"; classNames?: string[] }[], fmt: "table" | "csv" | "json"): string {
  const answers = samples.map((s) => Object.fromEntries(heads.map((h) => [h.name, headAnswer(s.heads?.[h.name] ?? [], h)])));
  if (fmt === "json") return JSON.stringify(samples.map((s, i) => ({ input: s.input, ...(s.index !== null ? { row: s.index } : {}), answers: answers[i], heads: s.heads })), null, 2) + "\n";
  const width = (h: { name: string }) => Math.max(0, ...samples.map((s) => s.heads?.[h.name]?.length ?? 0));
  // In the terminal a wide regression head (a reconstructed image) is one column of its first
  // values and its count; CSV keeps every value.
  const folded = (h: { name: string; kind: string }) => fmt === "table" && h.kind === "regression" && width(h) > WIDE_HEAD;
  const header = ["input", "row", ...heads.flatMap((h) => (h.kind !== "regression" ? [h.name, `${h.name}_prob`] : width(h) === 1 || folded(h) ? [h.name] : Array.from({ length: width(h) }, (_, j) => `${h.name}_${j}`)))];
  const body = samples.map((s, i) => [s.input, s.index === null ? "" : String(s.index), ...heads.flatMap((h) => {
    const a = answers[i]![h.name]!;
    if (Array.isArray(a) && folded(h)) return [`${a.slice(0, 3).map((v) => v.toFixed(4)).join(" ")} … (${a.length} values; --format csv lists them)`];
    return Array.isArray(a) ? a.map((v) => String(v)) : [a.class, a.probability.toFixed(4)];
  })]);
  return tableText(header, body, fmt, samples.every((s) => s.index === null));
}

/** A header and rows as CSV, or as an aligned table (without the row column when `noRow`). */
function tableText(header: string[], body: string[][], fmt: "table" | "csv", noRow: boolean): string {
  if (fmt === "csv") {
    const cell = (c: string): string => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
    return [header, ...body].map((r) => r.map(cell).join(",")).join("\n") + "\n";
  }
  const drop = noRow ? 1 : -1;
  const rows = [header, ...body].map((r) => r.filter((_, j) => j !== drop));
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => (r[j] ?? "").length)));
  return rows.map((r) => r.map((c, j) => (j === r.length - 1 ? c : c.padEnd(widths[j]!))).join("  ")).join("\n") + "\n";
}

/** Rows of top-k classes and probabilities (classification) or of outputs (regression). */
export function predictionText(samples: { input: string; index: number | null; step?: number; outputs: number[]; heads?: Record<string, number[]> }[], classNames: string[] | null, top: number, fmt: "table" | "csv" | "json"): string {
  const classify = samples.some((s) => s.outputs.length > 1) || classNames !== null;
  // A per-step model: a `step` column after `row`.
  const stepped = samples.some((s) => s.step !== undefined);
  const label = (k: number): string => classNames?.[k] ?? String(k);
  const ranked = samples.map((s) => {
    // One sigmoid unit: the probability of class 1.
    const probs = s.outputs.length === 1 ? [1 - s.outputs[0]!, s.outputs[0]!] : s.outputs;
    return probs.map((pr, k) => ({ class: label(k), probability: pr })).sort((a, b) => b.probability - a.probability).slice(0, top);
  });
  if (fmt === "json") {
    // A model with several heads: the first class head ranked, and every head's outputs.
    const rows = samples.map((s, i) => ({ input: s.input, ...(s.index !== null ? { row: s.index } : {}), ...(s.step !== undefined ? { step: s.step } : {}), ...(classify ? { top: ranked[i] } : { outputs: s.outputs }), ...(s.heads ? { heads: s.heads } : {}) }));
    return JSON.stringify(rows, null, 2) + "\n";
  }
  const k = classify ? Math.max(0, ...ranked.map((r) => r.length)) : Math.max(0, ...samples.map((s) => s.outputs.length));
  const header = ["input", "row", ...(stepped ? ["step"] : []), ...(classify ? Array.from({ length: k }, (_, j) => [`class_${j + 1}`, `prob_${j + 1}`]).flat() : Array.from({ length: k }, (_, j) => (k === 1 ? "output" : `output_${j}`)))];
  const body = samples.map((s, i) => [s.input, s.index === null ? "" : String(s.index), ...(stepped ? [String(s.step ?? "")] : []), ...(classify ? ranked[i]!.flatMap((r) => [r.class, r.probability.toFixed(4)]) : s.outputs.map((v) => String(v)))]);
  // The table: no row column when every input is one sample.
  return tableText(header, body, fmt, samples.every((s) => s.index === null));
}
