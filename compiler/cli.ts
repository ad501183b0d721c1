// dlpc: a thin adapter over the driver (check, summary, compile) and the runtime (run, predict).
// Exit codes: 0 ok, 1 errors in the input or a failed run, 2 usage errors, 130 a run stopped by
// Ctrl-C (its best weights still evaluated and saved).
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { compile, type CompileResult } from "./driver.ts";
import { toJson } from "./diagnostics/render.ts";
import { BACKENDS, compileOrReport, UsageError, type Parsed, parseArgs, flag, format, readSource, printDiagnostics, parseSet, positiveInt } from "./cli_util.ts";
import { summaryJson, summaryText } from "./summary.ts";
import { jsString } from "./codegen/escape.ts";

const USAGE = `dlpc — the dlp compiler

usage:
  dlpc check FILE... [--format text|json]     report every shape and configuration error
  dlpc summary FILE [--format text|json]       Keras-style table of layers, shapes and params
  dlpc compile FILE... [-o DIR]                emit DIR/<pipeline>.ts (default build/)
  dlpc run FILE [--epochs N] [--backend B] [--set NAME=VALUE]... [--seed N] [--limit N] [--out DIR]
                                               train, evaluate and save (FILE: .dlp or compiled .ts)
  dlpc predict RUN_DIR INPUT                   class probabilities from a saved model
  dlpc tune FILE [--trials N] [--storage URL] [--study NAME] [--out DIR] [--epochs N] [--limit N] [--backend B] [--stale SECONDS]
                                               search the pipeline's tuned params with its strategy
  dlpc tune --worker --storage URL --study NAME [--trials N] [--out DIR] [--stale SECONDS]
                                               join a running study as one more worker (its pipeline
                                               comes from the study; --trials: the budget it works to)
  dlpc fmt FILE... [--check]                   rewrite files in the canonical format (--check: only report)
  dlpc import MODEL.json [-o FILE.dlp]         a Keras / tfjs model topology as a .dlp model section
  dlpc lsp [--stdio]                           the language server, over stdio

backends: auto (default), tensorflow-gpu, tensorflow, wasm, cpu`;

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
    case "tune":
      return (await import("./commands/tune.ts")).tuneCommand(p);
    case "fmt":
      return (await import("./format/command.ts")).fmtCommand(p);
    case "import":
      return (await import("./import/command.ts")).importCommand(p);
    case "lsp":
      return (await import("./lsp/server.ts")).startServer();
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

/** Compiles one file to DIR/<pipeline>.ts; returns the path, or undefined after printing errors.
 *  The emitter (ts-morph, ~0.5 s to load) is imported only here, so `check` and `summary` start fast. */
async function compileTo(file: string, outDir: string): Promise<string | undefined> {
  const r = compileOrReport(readSource(file), file);
  if (!r) return undefined;
  const { writeCompiled } = await import("./codegen/write.ts");
  return writeCompiled(r.checked, file, r.sourceHash, outDir);
}

async function compileCmd(p: Parsed): Promise<number> {
  if (p.positional.length === 0) throw new UsageError("compile needs at least one .dlp file");
  const outDir = flag(p, "-o") ?? "build";
  let failed = false;
  for (const f of p.positional) {
    const target = await compileTo(f, outDir);
    if (target) process.stdout.write(`${f} -> ${target}\n`);
    else failed = true;
  }
  return failed ? 1 : 0;
}

async function run(p: Parsed): Promise<number> {
  if (p.positional.length !== 1) throw new UsageError("run takes one .dlp or compiled .ts file");
  const file = p.positional[0];
  let modulePath: string;
  if (file.endsWith(".ts")) {
    if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
    modulePath = file;
  } else {
    const built = await compileForRun(file, "build");
    if (!built) return 1;
    modulePath = built;
  }
  const backend = flag(p, "--backend") ?? "auto";
  if (!(BACKENDS as readonly string[]).includes(backend)) throw new UsageError(`unknown backend ${backend}`);
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
    ...(flag(p, "--seed") !== undefined ? { seed: seedFlag(p) } : {}),
  });
  process.stdout.write(`saved to ${result.dir}\n`);
  return result.interrupted ? 130 : 0;
}

/**
 * `dlpc run x.dlp`: checks the file (diagnostics always print), then reuses OUT/<pipeline>.ts when
 * it was emitted from this exact text (same sourceFile and sourceHash) by the current emitter
 * (newer than compiler/codegen/), else compiles it like `dlpc compile`.
 */
async function compileForRun(file: string, outDir: string): Promise<string | undefined> {
  const r = compileOrReport(readSource(file), file);
  if (!r) return undefined;
  const target = join(outDir, `${r.checked.ir.name}.ts`);
  try {
    const code = readFileSync(target, "utf8");
    const codegen = resolve(new URL(".", import.meta.url).pathname, "codegen");
    const emitterTime = Math.max(...["emit.ts", "write.ts", "escape.ts"].map((f) => statSync(join(codegen, f)).mtimeMs));
    const sourceFile = relative(process.cwd(), resolve(file)) || file;
    if (code.includes(`sourceFile: ${jsString(sourceFile)},`) && code.includes(`sourceHash: ${jsString(r.sourceHash)},`) && statSync(target).mtimeMs >= emitterTime) {
      process.stderr.write(`using ${target} (up to date with ${file})\n`);
      return target;
    }
  } catch {
    // No usable build output: compile below.
  }
  const { writeCompiled } = await import("./codegen/write.ts");
  const written = writeCompiled(r.checked, file, r.sourceHash, outDir);
  process.stderr.write(`compiled ${file} -> ${written}\n`);
  return written;
}

/** --seed N: a tuning trial's seed (weights, shuffling, augmentation), to retrain it exactly. */
function seedFlag(p: Parsed): number {
  const v = flag(p, "--seed")!;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--seed takes a non-negative integer, not ${v}`);
  return n;
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

