// dlpc: a thin adapter over the driver (check, summary, compile) and the runtime (run, predict).
// Exit codes: 0 ok, 1 errors in the input or a failed run, 2 usage errors, 130 a run stopped by
// Ctrl-C (its best weights still evaluated and saved).
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compile, type CompileResult } from "./driver.ts";
import { toJson } from "./diagnostics/render.ts";
import { BACKENDS, compileOrReport, UsageError, type Parsed, flag, format, readSource, printDiagnostics, parseSet, positiveInt } from "./cli_util.ts";
import { summaryJson, summaryText } from "./summary.ts";

/** The commands, their arguments and options: commander parses them and writes `--help`; each
 *  action gets the same `Parsed` record the command modules take. */
function program(run: (name: string, p: Parsed) => Promise<number>): Command {
  const prog = new Command("dlpc")
    .description("dlpc: the dlp compiler. Checks every shape and configuration error of a .dlp pipeline before anything trains, then trains it on TensorFlow.js.")
    .version(version(), "-V, --version", "print the version")
    .helpOption("-h, --help", "show help (dlpc help COMMAND: one command's)")
    .helpCommand("help [command]", "show help for a command")
    .showSuggestionAfterError(true)
    .exitOverride()
    .addHelpText("after", `\nbackends (--backend): ${BACKENDS.join(", ")}\nexit codes: 0 ok, 1 errors in the input or a failed run, 2 usage errors, 130 stopped by Ctrl-C\nNO_COLOR=1 turns colour off; colour is used only on a terminal`);
  const add = (name: string, args: string, description: string): Command => {
    const cmd = prog.command(`${name} ${args}`.trim()).description(description).helpOption("-h, --help", "show this help");
    cmd.action(async (...a: unknown[]) => {
      const self = a[a.length - 1] as Command;
      const positional = (self.args as string[]).slice();
      const flags = new Map<string, string[]>();
      for (const o of self.options) {
        const key = o.attributeName();
        if (self.getOptionValueSource(key) !== "cli") continue;
        const v = self.getOptionValue(key) as unknown;
        const values = Array.isArray(v) ? v.map(String) : [String(v)];
        flags.set((o.long ?? o.short)!, values);
      }
      result = await run(name, { positional, flags });
    });
    return cmd;
  };
  const collect = (v: string, prev: string[] = []) => [...prev, v];
  const fmt = () => new Option("--format <format>", "output format").choices(["text", "json"]).default("text");
  const backend = () => new Option("--backend <backend>", "where tensors run").choices([...BACKENDS]).default("auto");
  add("check", "<file...>", "report every shape and configuration error (exit 0 clean, 1 errors)").addOption(fmt());
  add("summary", "<file>", "Keras-style table of layers, output shapes and params").addOption(fmt());
  add("compile", "<file...>", "emit DIR/<pipeline>.ts").option("-o <dir>", "output folder", "build").option("-q, --quiet", "print errors only");
  add("run", "<file>", "compile, train, evaluate and save to DIR/<pipeline>/ (FILE: .dlp or compiled .ts)")
    .option("--epochs <n>", "override the pipeline's epochs")
    .addOption(backend())
    .option("--set <name=value>", "override a param (repeatable)", collect)
    .option("--seed <n>", "the seed for weights, shuffling and augmentation (a tuning trial's, to retrain it)")
    .option("--limit <n>", "use only the first N training samples (a quick try)")
    .option("--out <dir>", "output folder", "runs")
    .option("-q, --quiet", "no progress, only the result and errors");
  add("predict", "<run_dir> <input...>", "top-k classes and probabilities of a saved model for images, folders of images, IDX, CSV or JSON files")
    .addOption(new Option("--format <format>", "output format").choices(["table", "csv", "json"]).default("table"))
    .option("-k, --top <k>", "how many classes to show per sample", "3")
    .addOption(backend());
  add("tune", "[file]", "search the pipeline's tuned params with its strategy")
    .option("--trials <n>", "the trial budget")
    .option("--storage <url>", "sqlite file or postgresql://… URL shared by workers")
    .option("--study <name>", "study name (default: the pipeline's)")
    .option("--out <dir>", "output folder", "runs")
    .option("--epochs <n>", "override the pipeline's epochs")
    .option("--limit <n>", "use only the first N training samples")
    .addOption(backend())
    .option("--worker", "join a running study (with --storage and --study) as one more worker")
    .option("-q, --quiet", "no live table, only the result and errors");
  add("fmt", "<file...>", "rewrite files in the canonical format (a folder: its .dlp files; -: stdin to stdout)").option("--check", "only report the files that would change");
  add("import", "<model_json>", "a Keras to_json() / tfjs model.json topology as a .dlp pipeline").option("-o <file>", "write the .dlp here instead of stdout");
  add("lsp", "", "the language server (diagnostics, hover, completion, quick fixes) over stdio").option("--stdio", "talk over stdin/stdout (the default)");
  return prog;
}

let result = 0;

/** A short usage reminder for one command (the full text is its --help). */
function usageHint(prog: Command, name: string | undefined): string {
  const cmd = name ? prog.commands.find((c) => c.name() === name) : undefined;
  return cmd ? `usage: dlpc ${cmd.name()} ${cmd.usage()}\n(dlpc help ${cmd.name()} for the options)\n` : `usage: dlpc COMMAND [options]\n(dlpc --help for the commands)\n`;
}

export async function main(argv: string[]): Promise<number> {
  let current: string | undefined;
  const prog = program(async (name, p) => {
    current = name;
    return dispatch(name, p);
  });
  prog.configureOutput({
    writeOut: (s) => process.stdout.write(s),
    writeErr: (s) => process.stderr.write(s),
    // Subcommands share this configuration: `current` (set before a subcommand parses) says whose hint.
    outputError: (s, write) => write(`${s}${usageHint(prog, current)}`),
  });
  prog.hook("preSubcommand", (_, sub) => {
    current = sub.name();
  });
  result = 0;
  try {
    if (argv.length === 0) {
      process.stderr.write(prog.helpInformation());
      return 2;
    }
    await prog.parseAsync(argv, { from: "user" });
    return result;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return 0;
      return 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n${usageHint(prog, current)}`);
      return 2;
    }
    return reportFailure(e);
  }
}

/** Errors the input causes (missing data, NaN loss, bad files) carry clean messages: one line, no
 *  stack. Anything else is a bug in dlpc: one line, and the whole trace in a file to report. */
function reportFailure(e: unknown): number {
  const err = e instanceof Error ? e : new Error(String(e));
  const internal = !(e instanceof Error) || e instanceof TypeError || e instanceof ReferenceError || e instanceof RangeError || e instanceof SyntaxError || (e as { code?: string }).code === "ERR_ASSERTION";
  if (!internal) {
    process.stderr.write(`error: ${err.message}\n`);
    if (process.env.DLP_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
  let where = "";
  try {
    const file = join(tmpdir(), `dlpc-crash-${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}.log`);
    writeFileSync(file, `dlpc ${version()} on node ${process.version} (${process.platform}-${process.arch})\nargv: ${JSON.stringify(process.argv.slice(2))}\ncwd: ${process.cwd()}\n\n${err.stack ?? err.message}\n`);
    where = ` (the full trace is in ${file}; please attach it to a bug report)`;
  } catch {
    where = ` (set DLP_DEBUG=1 for the trace)`;
  }
  process.stderr.write(`internal error: ${err.name}: ${err.message.split("\n")[0]}${where}\n`);
  if (process.env.DLP_DEBUG) process.stderr.write(`${err.stack}\n`);
  return 1;
}

async function dispatch(cmd: string, p: Parsed): Promise<number> {
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
    if (target) {
      if (!p.flags.has("--quiet")) process.stdout.write(`${f} -> ${target}\n`);
    }
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
    const built = await compileForRun(file, "build", p.flags.has("--quiet"));
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
    quiet: p.flags.has("--quiet"),
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
async function compileForRun(file: string, outDir: string, quiet = false): Promise<string | undefined> {
  const r = compileOrReport(readSource(file), file);
  if (!r) return undefined;
  const target = join(outDir, `${r.checked.ir.name}.ts`);
  try {
    const code = readFileSync(target, "utf8");
    const codegen = fileURLToPath(new URL("codegen/", import.meta.url));
    const emitterTime = Math.max(statSync(join(codegen, "emit.ts")).mtimeMs, statSync(join(codegen, "write.ts")).mtimeMs);
    const sourceFile = relative(process.cwd(), resolve(file)) || file;
    if (code.includes(`sourceFile: ${JSON.stringify(sourceFile)},`) && code.includes(`sourceHash: ${JSON.stringify(r.sourceHash)},`) && statSync(target).mtimeMs >= emitterTime) {
      if (!quiet) process.stderr.write(`using ${target} (up to date with ${file})\n`);
      return target;
    }
  } catch {
    // No usable build output: compile below.
  }
  const { writeCompiled } = await import("./codegen/write.ts");
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

async function predict(p: Parsed): Promise<number> {
  if (p.positional.length !== 2) throw new UsageError("predict takes RUN_DIR and INPUT");
  const [dir, input] = p.positional;
  if (!existsSync(join(dir, "model.json"))) throw new UsageError(`${dir} holds no model.json (expected a run folder such as runs/mnist_cnn)`);
  if (!existsSync(input)) throw new UsageError(`no such file: ${input}`);
  const runtime = await import("../runtime/index.ts");
  await runtime.predict(dir, input);
  return 0;
}


/** This package's version, from the package.json above this module (compiler/ or dist/cli/). */
export function version(): string {
  for (let dir = new URL(".", import.meta.url); ; dir = new URL("..", dir)) {
    try {
      const pkg = JSON.parse(readFileSync(fileURLToPath(new URL("package.json", dir)), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "dlp" && pkg.version) return pkg.version;
    } catch {
      // none here: one folder up
    }
    if (new URL("..", dir).href === dir.href) return "unknown";
  }
}
