#!/usr/bin/env node
// dlpc. Compiler commands run from the esbuild bundle in dist/cli/ (made by `npm ci`'s prepare
// step, bin/build.mjs) while it is fresher than all of its sources: a cold `dlpc check` then
// skips compiling TypeScript on the fly. Otherwise, and for the commands that train (their
// generated pipelines are TypeScript too), the sources run through tsx's loader, so a clean
// clone works with no build step at all.
import { readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const BUNDLED = new Set(["check", "summary", "compile", "fmt", "import", "lsp", "help", "--help", "-h", "--version", "-V"]);

// An installed copy (npm install -g, a project's node_modules) gets its files written at install
// time, after the bundle was built by `npm pack`'s prepare step, so there mtimes say nothing: the
// bundle is used while every source still has the size it was built from. A checkout (also one
// `npm link`ed, whose real path is the repository) judges by mtime.
const installed = realpathSync(root).split(/[\\/]/).includes("node_modules");

function freshBundle() {
  if (process.env.DLP_NO_BUNDLE || !BUNDLED.has(argv[0] ?? "help")) return null;
  try {
    const dir = join(root, "dist", "cli");
    const { builtAt, inputs, sizes } = JSON.parse(readFileSync(join(dir, "inputs.json"), "utf8"));
    for (let i = 0; i < inputs.length; i++) {
      const st = statSync(join(root, inputs[i]));
      if (st.mtimeMs > builtAt && !(installed && sizes?.[i] === st.size)) return null;
    }
    return join(dir, "cli.js");
  } catch {
    return null;
  }
}

if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  process.stdout.write(`${JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version}\n`);
  process.exit(0);
}

// `dlpc predict … | head`: a reader that stops early ends dlpc quietly, like any Unix tool.
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (e) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });

const bundle = freshBundle();
let main;
if (bundle) ({ main } = await import(pathToFileURL(bundle).href));
else {
  const { register } = await import("tsx/esm/api");
  // dlp's own tsconfig, not whichever one the user's folder has.
  register({ tsconfig: join(root, "tsconfig.json") });
  // After tsx, so these run first: `dlp/runtime` is this package's runtime, and build/*.ts is ESM.
  const { register: registerHooks } = await import("node:module");
  const rootUrl = pathToFileURL(realpathSync(root) + "/").href;
  registerHooks(pathToFileURL(join(root, "bin", "hooks.mjs")).href, { data: { root: rootUrl, runtime: new URL("runtime/index.ts", rootUrl).href } });
  ({ main } = await import("../compiler/cli.ts"));
}
process.exitCode = await main(argv);
