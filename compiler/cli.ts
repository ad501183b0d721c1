// dlpc: a thin adapter over the driver (check, summary, compile) and the runtime (run, predict).
// Exit codes: 0 ok, 1 errors in the input or a failed run, 2 usage errors, 130 a run stopped by
// Ctrl-C (its best weights still evaluated and saved).
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, Option } from "commander";
import { BACKENDS, UsageError, type Parsed } from "./usage.ts";

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
    .option("--resume", "continue a crashed, killed or stopped run from its last finished epoch (bit-identical to an uninterrupted run)")
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
    .option("--stale <seconds>", "a trial whose worker sends no heartbeat this long is declared lost and retried (default 60)")
    .option("--connect-timeout <seconds>", "how long to wait for a PostgreSQL --storage to answer, name lookup included (default 3)")
    .option("-q, --quiet", "no live table, only the result and errors");
  add("init", "", "write a checked, runnable .dlp for a CSV file, a folder of IDX files or a folder of images")
    .requiredOption("--data <path>", "the data: a .csv file, a folder of train-/t10k- IDX files, or a folder with one sub-folder of images per class")
    .option("--target <column>", "the CSV column to predict (default: a column named label, target, class or y, else the last)")
    .option("-o <file>", "where to write the .dlp (default: <data name>.dlp)")
    .option("--force", "replace the file if it exists");
  add("fmt", "<file...>", "rewrite files in the canonical format (a folder: its .dlp files; -: stdin to stdout)").option("--check", "only report the files that would change");
  add("import", "<model_json>", "a Keras to_json() / tfjs model.json topology as a .dlp pipeline").option("-o <file>", "write the .dlp here instead of stdout");
  add("export", "<run_dir>", "a saved run's model as ONNX (opset 13; default RUN_DIR/model.onnx)")
    .option("--format <format>", "export format (onnx)", "onnx")
    .option("-o <file>", "where to write the model");
  add("lsp", "", "the language server (diagnostics, hover, completion, quick fixes) over stdio").option("--stdio", "talk over stdin/stdout (the default)");
  return prog;
}

let result = 0;

/** A short usage reminder for one command (the full text is its --help). */
function usageHint(prog: Command, name: string | undefined): string {
  const cmd = name ? prog.commands.find((c) => c.name() === name) : undefined;
  return cmd ? `usage: dlpc ${cmd.name()} ${cmd.usage()}\n(dlpc help ${cmd.name()} for the options)\n` : `usage: dlpc COMMAND [options]\n(dlpc --help for the commands)\n`;
}

/** Runs dlpc with these arguments; `prepare` (the bundle's precompiled validators) runs once a
 *  command is chosen, not for `--help` or `--version`. */
export async function main(argv: string[], prepare?: () => Promise<void>): Promise<number> {
  let current: string | undefined;
  const prog = program(async (name, p) => {
    current = name;
    await prepare?.();
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
export function reportFailure(e: unknown): number {
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
      return (await import("./commands/core.ts")).check(p);
    case "summary":
      return (await import("./commands/core.ts")).summary(p);
    case "compile":
      return (await import("./commands/core.ts")).compileCmd(p);
    case "run":
      return (await import("./commands/core.ts")).run(p);
    case "predict":
      return (await import("./commands/core.ts")).predict(p);
    case "tune":
      return (await import("./commands/tune.ts")).tuneCommand(p);
    case "init":
      return (await import("./commands/init.ts")).initCommand(p);
    case "fmt":
      return (await import("./format/command.ts")).fmtCommand(p);
    case "import":
      return (await import("./import/command.ts")).importCommand(p);
    case "export":
      return (await import("./commands/export.ts")).exportCommand(p);
    case "lsp":
      return (await import("./lsp/server.ts")).startServer();
    default:
      throw new UsageError(`unknown command \`${cmd}\``);
  }
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
