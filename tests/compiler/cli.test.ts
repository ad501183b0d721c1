// The CLI contract: exit codes, JSON diagnostics shape, summary JSON, compile output.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dlpc = (...args: string[]) => spawnSync(process.execPath, ["bin/dlpc.mjs", ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });

test("check: 0 on a clean file, 1 with errors, 2 on usage errors", () => {
  assert.is(dlpc("check", "pipelines/fashion_cnn.dlp").status, 0);
  const bad = dlpc("check", "tests/golden/errors/conv_too_small.dlp");
  assert.is(bad.status, 1);
  assert.match(bad.stderr, "error[DLP3001]");
  assert.match(bad.stderr, "conv_too_small.dlp:14:5");
  assert.not.match(bad.stderr, "    at ");
  assert.is(dlpc("check").status, 2);
  assert.is(dlpc("check", "no/such.dlp").status, 2);
  assert.is(dlpc("frobnicate").status, 2);
});

test("check --format json prints the documented fields", () => {
  const r = dlpc("check", "tests/golden/errors/units_vs_classes.dlp", "--format", "json");
  assert.is(r.status, 1);
  const ds = JSON.parse(r.stdout) as Record<string, unknown>[];
  assert.is(ds.length, 1);
  for (const k of ["code", "severity", "file", "line", "column", "endLine", "endColumn", "message", "notes", "help"]) assert.ok(k in ds[0], k);
  assert.is(ds[0].code, "DLP5001");
  assert.is(ds[0].line, 9);
  assert.is(ds[0].column, 5);
});

test("summary --format json", () => {
  const r = dlpc("summary", "pipelines/mnist_cnn.dlp", "--format", "json");
  assert.is(r.status, 0);
  const s = JSON.parse(r.stdout);
  assert.is(s.pipeline, "mnist_cnn");
  assert.is(s.totalParams, 34826);
  assert.equal(s.layers[0], { name: "conv2d", type: "Conv2D", outputShape: [null, 26, 26, 32], params: 320 });
});

test("compile writes DIR/<pipeline>.ts; a file with errors writes nothing", () => {
  const dir = mkdtempSync(join(tmpdir(), "dlpc-"));
  const ok = dlpc("compile", "pipelines/mnist_mlp.dlp", "-o", dir);
  assert.is(ok.status, 0);
  assert.match(readFileSync(join(dir, "mnist_mlp.ts"), "utf8"), "export const pipeline: CompiledPipeline<Params>");
  const bad = dlpc("compile", "tests/golden/errors/bad_args.dlp", "-o", dir);
  assert.is(bad.status, 1);
  assert.not.ok(existsSync(join(dir, "args.ts")));
});

test("run on a file with errors prints diagnostics and trains nothing", () => {
  const r = dlpc("run", "tests/golden/errors/softmax_one_unit.dlp", "--out", mkdtempSync(join(tmpdir(), "dlpc-")));
  assert.is(r.status, 1);
  assert.match(r.stderr, "DLP5002");
  assert.not.match(r.stderr, "epoch");
});

test("the esbuild bundle (dist/cli, built by npm ci's prepare step) and the TypeScript sources give the same answers", () => {
  const build = spawnSync(process.execPath, ["bin/build.mjs"], { encoding: "utf8" });
  assert.is(build.status, 0, build.stderr);
  assert.ok(existsSync("dist/cli/cli.js"), build.stdout + build.stderr);
  const viaSources = (...args: string[]) => spawnSync(process.execPath, ["bin/dlpc.mjs", ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1", DLP_NO_BUNDLE: "1" } });
  for (const args of [["check", "tests/golden/errors/conv_too_small.dlp", "--format", "json"], ["summary", "pipelines/resnet_small.dlp"], ["check", "tests/golden/errors/syntax_errors.dlp"]]) {
    const a = dlpc(...args);
    const b = viaSources(...args);
    assert.is(a.status, b.status, args.join(" "));
    assert.is(a.stdout, b.stdout, args.join(" "));
    assert.is(a.stderr, b.stderr, args.join(" "));
  }
});

test("--version, dlpc help CMD and CMD --help; a usage error prints one line and a short hint, exit 2", () => {
  const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
  for (const args of [["--version"], ["-V"]]) {
    const v = dlpc(...args);
    assert.is(v.status, 0);
    assert.is(v.stdout, `${pkg.version}\n`);
  }
  const top = dlpc("--help");
  assert.is(top.status, 0);
  for (const c of ["check", "summary", "compile", "run", "predict", "tune", "fmt", "import", "lsp"]) assert.match(top.stdout, new RegExp(`^  ${c} `, "m"), c);
  const a = dlpc("help", "run");
  const b = dlpc("run", "--help");
  assert.is(a.status, 0);
  assert.is(b.status, 0);
  assert.is(a.stdout, b.stdout);
  assert.match(a.stdout, "Usage: dlpc run [options] <file>");
  assert.match(a.stdout, "--set <name=value>");
  assert.not.match(a.stdout, "tune", "one command's help, not the whole list");

  const bad = dlpc("run", "x.dlp", "--epoch", "3");
  assert.is(bad.status, 2);
  assert.is(bad.stdout, "");
  assert.equal(bad.stderr.trim().split("\n"), ["error: unknown option '--epoch'", "(Did you mean --epochs?)", "usage: dlpc run [options] <file>", "(dlpc help run for the options)"]);
  const fmt = dlpc("check", "--format", "yaml", "pipelines/mnist_mlp.dlp");
  assert.is(fmt.status, 2);
  assert.match(fmt.stderr, /^error: option '--format <format>' argument 'yaml' is invalid/);
  assert.ok(fmt.stderr.split("\n").length <= 4, fmt.stderr);
  const typo = dlpc("chek", "x.dlp");
  assert.is(typo.status, 2);
  assert.match(typo.stderr, "(Did you mean check?)");
  const none = dlpc();
  assert.is(none.status, 2);
  assert.match(none.stderr, "Usage: dlpc [options] [command]");
});

test("a reader that stops early (dlpc … | head) ends dlpc quietly", () => {
  // Enough JSON that the pipe fills and head has exited before dlpc is done writing.
  const files = Array.from({ length: 400 }, () => "tests/golden/errors/conv_too_small.dlp");
  const r = spawnSync("bash", ["-c", `node bin/dlpc.mjs check --format json ${files.join(" ")} | head -c 10; echo " exit=\${PIPESTATUS[0]}"`], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  assert.is(r.status, 0);
  assert.is(r.stderr, "", "no EPIPE stack, no minified source");
  assert.is(r.stdout, '[\n  {\n     exit=0\n');
});

test("an internal error prints one line and writes the whole trace to a file", async () => {
  const { reportFailure } = await import("../../compiler/cli.ts");
  let err = "";
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => { err += s; return true; }) as typeof process.stderr.write;
  let code: number;
  try {
    code = reportFailure(new TypeError("Cannot read properties of undefined (reading 'shape')"));
  } finally {
    process.stderr.write = write;
  }
  assert.is(code, 1);
  const m = /^internal error: TypeError: Cannot read properties of undefined \(reading 'shape'\) \(the full trace is in (.+\.log); please attach it to a bug report\)\n$/.exec(err);
  assert.ok(m, err);
  const trace = readFileSync(m![1]!, "utf8");
  assert.match(trace, /argv: /);
  assert.match(trace, /TypeError: Cannot read properties of undefined[^\n]*\n\s+at /);
  rmSync(m![1]!);
  // An error the input causes (bad data, a diverging loss) stays one plain line, with no file.
  err = "";
  process.stderr.write = ((s: string) => { err += s; return true; }) as typeof process.stderr.write;
  try {
    reportFailure(new Error("flowers.csv:12: column \"x2\" is not a number"));
  } finally {
    process.stderr.write = write;
  }
  assert.is(err, 'error: flowers.csv:12: column "x2" is not a number\n');
});

test.run();
