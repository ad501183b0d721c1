// dlpc: a thin adapter over the driver (check, summary, compile) and the runtime (run, predict).
// Exit codes: 0 ok, 1 errors in the input or a failed run, 2 usage errors.
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from "node:fs";
import { basename, dirname, join, resolve, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { compile, type CompileResult } from "./driver.ts";
import { renderSummaryLine, renderTerminal, toJson } from "./diagnostics/render.ts";
import { summaryJson, summaryText } from "./summary.ts";
import { emitPipeline } from "./codegen/emit.ts";

const USAGE = `dlpc — the dlp compiler

usage:
  dlpc check FILE... [--format text|json]     report every shape and configuration error
  dlpc summary FILE [--format text|json]       Keras-style table of layers, shapes and params
  dlpc compile FILE... [-o DIR]                emit DIR/<pipeline>.ts (default build/)
  dlpc run FILE [--epochs N] [--backend B] [--set NAME=VALUE]... [--limit N] [--out DIR]
                                               train, evaluate and save (FILE: .dlp or compiled .ts)
  dlpc predict RUN_DIR INPUT                   class probabilities from a saved model

backends: auto (default), tensorflow-gpu, tensorflow, wasm, cpu`;

class UsageError extends Error {}

interface Parsed {
  positional: string[];
  flags: Map<string, string[]>;
}

const VALUE_FLAGS = new Set(["--format", "-o", "--out", "--epochs", "--backend", "--set", "--limit"]);

function parseArgs(argv: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("-") && a !== "-") {
      const [k, inline] = a.includes("=") && a.startsWith("--") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
      if (VALUE_FLAGS.has(k)) {
        const v = inline ?? argv[++i];
        if (v === undefined) throw new UsageError(`${k} needs a value`);
        flags.set(k, [...(flags.get(k) ?? []), v]);
      } else if (k === "--help" || k === "-h" || k === "--quiet") flags.set(k, ["true"]);
      else throw new UsageError(`unknown option ${a}`);
    } else positional.push(a);
  }
  return { positional, flags };
}

function flag(p: Parsed, k: string): string | undefined {
  const v = p.flags.get(k);
  return v ? v[v.length - 1] : undefined;
}

function format(p: Parsed): "text" | "json" {
  const f = flag(p, "--format") ?? "text";
  if (f !== "text" && f !== "json") throw new UsageError(`--format is text or json, not ${f}`);
  return f;
}

function readSource(file: string): string {
  if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

const useColor = () => !process.env.NO_COLOR && process.stderr.isTTY === true;

function printDiagnostics(r: CompileResult): void {
  const color = useColor();
  for (const d of r.diagnostics) process.stderr.write(renderTerminal(d, { file: r.file, text: r.text, lines: r.lines }, color) + "\n\n");
  const line = renderSummaryLine(r.diagnostics, color);
  if (line) process.stderr.write(line + "\n");
}

export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    // Runtime errors (missing data, NaN loss, bad files) carry clean messages: no stack.
    process.stderr.write(`error: ${(e as Error).message ?? String(e)}\n`);
    if (process.env.DLP_DEBUG) process.stderr.write(String((e as Error).stack) + "\n");
    return 1;
  }
}

async function dispatch(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") {
    process.stdout.write(USAGE + "\n");
    return cmd ? 0 : 2;
  }
  const p = parseArgs(rest);
  switch (cmd) {
    case "check":
      return check(p);
    case "summary":
      return summary(p);
    case "compile":
      return compileCmd(p);
    case "run":
      return run(p);
    case "predict":
      return predict(p);
    default:
      throw new UsageError(`unknown command \`${cmd}\``);
  }
}

function check(p: Parsed): number {
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

function summary(p: Parsed): number {
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

/** Compiles one file to DIR/<pipeline>.ts; returns the path, or undefined after printing errors. */
export function compileTo(file: string, outDir: string): string | undefined {
  const r = compile(readSource(file), { file });
  if (r.hasErrors || !r.checked) {
    printDiagnostics(r);
    return undefined;
  }
  if (r.diagnostics.length) printDiagnostics(r);
  const code = emitPipeline(r.checked, relative(process.cwd(), resolve(file)) || file, r.sourceHash);
  mkdirSync(outDir, { recursive: true });
  const target = join(outDir, `${r.checked.ir.name}.ts`);
  const tmp = `${target}.tmp-${process.pid}`;
  writeFileSync(tmp, code);
  renameSync(tmp, target);
  return target;
}

function compileCmd(p: Parsed): number {
  if (p.positional.length === 0) throw new UsageError("compile needs at least one .dlp file");
  const outDir = flag(p, "-o") ?? "build";
  let failed = false;
  for (const f of p.positional) {
    const target = compileTo(f, outDir);
    if (target) process.stdout.write(`${f} -> ${target}\n`);
    else failed = true;
  }
  return failed ? 1 : 0;
}

function parseSet(values: string[]): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const s of values) {
    const eq = s.indexOf("=");
    if (eq <= 0) throw new UsageError(`--set takes NAME=VALUE, not ${s}`);
    const k = s.slice(0, eq);
    const v = s.slice(eq + 1);
    out[k] = v === "true" ? true : v === "false" ? false : v !== "" && !Number.isNaN(Number(v)) ? Number(v) : v;
  }
  return out;
}

function positiveInt(p: Parsed, k: string): number | undefined {
  const v = flag(p, k);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${k} takes a positive integer, not ${v}`);
  return n;
}

async function run(p: Parsed): Promise<number> {
  if (p.positional.length !== 1) throw new UsageError("run takes one .dlp or compiled .ts file");
  const file = p.positional[0];
  let modulePath: string;
  if (file.endsWith(".ts")) {
    if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
    modulePath = file;
  } else {
    const built = compileTo(file, "build");
    if (!built) return 1;
    modulePath = built;
  }
  const backend = flag(p, "--backend") ?? "auto";
  if (!["auto", "tensorflow-gpu", "tensorflow", "wasm", "cpu"].includes(backend)) throw new UsageError(`unknown backend ${backend}`);
  const mod = (await import(pathToFileURL(resolve(modulePath)).href)) as { pipeline?: unknown };
  if (!mod.pipeline) throw new Error(`${modulePath} does not export a compiled pipeline`);
  const runtime = await import("../runtime/index.ts");
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
  });
  process.stdout.write(`saved to ${result.dir}\n`);
  return 0;
}

async function predict(p: Parsed): Promise<number> {
  if (p.positional.length !== 2) throw new UsageError("predict takes RUN_DIR and INPUT");
  const [dir, input] = p.positional;
  if (!existsSync(join(dir, "model.json"))) throw new UsageError(`${dir} holds no model.json (expected a run folder such as runs/mnist_cnn)`);
  if (!existsSync(input)) throw new UsageError(`no such file: ${input}`);
  const runtime = await import("../runtime/index.ts");
  await runtime.predict(dir, input);
  return 0;
}

export const _internal = { parseArgs, basename, dirname };
