#!/usr/bin/env node
// Bundles the compiler's CLI (check, summary, compile, fmt, import, lsp) into dist/cli/ with
// esbuild, code-split so each command loads only what it needs, with the argument validators
// precompiled (dist/gen/validators.mjs, see compiler/semantic/validators.ts and schemas.ts). bin/dlpc.mjs uses the bundle
// while it is fresher than every source file it was built from, and runs the TypeScript
// sources through tsx otherwise, so a stale or missing bundle is never wrong, only slower.
// Runs as npm's `prepare` step (after `npm ci`); a failure leaves the tsx path and exits 0.
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "cli");
try {
  const esbuild = await import("esbuild");
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  // The argument validators, precompiled (ajv standalone code) so that a cold check does not
  // compile JSON Schemas; the bundle's entry registers them before the CLI runs.
  const gen = join(root, "dist", "gen");
  rmSync(gen, { recursive: true, force: true });
  mkdirSync(gen, { recursive: true });
  const { register } = await import("tsx/esm/api");
  const unregister = register();
  const { precompiledModule } = await import("../compiler/semantic/schemas.ts");
  await unregister();
  writeFileSync(join(gen, "validators.mjs"), precompiledModule());
  writeFileSync(
    join(gen, "entry.mjs"),
    [
      'import { main as cli } from "../../compiler/cli.ts";',
      "// The validators load once a command runs: `dlpc --help` and `--version` need none.",
      "export const main = (argv) =>",
      "  cli(argv, async () => {",
      '    const gen = await import("./validators.mjs");',
      '    const { registerPrecompiled } = await import("../../compiler/semantic/validators.ts");',
      "    registerPrecompiled(gen.keys.map((k, i) => [k, gen[`v${i}`]]));",
      "  });",
      "",
    ].join("\n"),
  );
  const result = await esbuild.build({
    entryPoints: [{ in: join(gen, "entry.mjs"), out: "cli" }],
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    outdir: out,
    metafile: true,
    logLevel: "warning",
    // Runtime-heavy or native packages stay outside: they load from node_modules when a command needs them.
    external: ["@tensorflow/*", "ts-morph", "typescript", "pg", "better-sqlite3", "tsx", "chevrotain", "h5wasm", "onnx-proto", "protobufjs"],
    banner: { js: "import { createRequire as __dlpRequire } from 'node:module'; const require = __dlpRequire(import.meta.url);" },
  });
  // Freshness is judged on this package's own sources: its dependencies are bundled too, but where
  // they lie depends on how the package was installed (hoisted, symlinked), not on this build.
  const inputs = Object.keys(result.metafile.inputs)
    .map((f) => relative(root, join(process.cwd(), f)))
    .filter((f) => !f.startsWith("..") && !f.split(/[\\/]/).includes("node_modules"));
  // Each source's size too: an installed copy's files all carry the install's time (see bin/dlpc.mjs).
  const sizes = inputs.map((f) => statSync(join(root, f)).size);
  writeFileSync(join(out, "inputs.json"), JSON.stringify({ builtAt: Date.now(), inputs, sizes }, null, 1));
  console.log(`dlpc: bundled the compiler CLI into ${relative(process.cwd(), out) || out} (${inputs.length} sources)`);
} catch (e) {
  rmSync(out, { recursive: true, force: true });
  console.warn(`dlpc: no bundle (${e?.message ?? e}); the CLI runs from the TypeScript sources through tsx`);
}
