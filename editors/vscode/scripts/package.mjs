#!/usr/bin/env node
// Packages the extension into a .vsix, offline: vsce from the repository's node_modules,
// --no-dependencies (the extension needs none), into --out DIR (default build/vsix, ignored by git).
// Usage: node editors/vscode/scripts/package.mjs [--out DIR]
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ext = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const root = resolve(ext, "../..");
const args = process.argv.slice(2);
const outIdx = args.indexOf("--out");
if (outIdx >= 0 && !args[outIdx + 1]) {
  console.error("error: --out needs a directory");
  process.exit(2);
}
const outDir = resolve(outIdx >= 0 ? args[outIdx + 1] : join(root, "build/vsix"));
const vsce = join(root, "node_modules/@vscode/vsce/vsce");
if (!existsSync(vsce)) {
  console.error(`error: ${vsce} not found; run npm ci (vsce is a dev dependency)`);
  process.exit(1);
}
const { name, version } = JSON.parse(readFileSync(join(ext, "package.json"), "utf8"));
mkdirSync(outDir, { recursive: true });
const target = join(outDir, `${name}-${version}.vsix`);
const r = spawnSync(process.execPath, [vsce, "package", "--no-dependencies", "--allow-missing-repository", "--out", target], {
  cwd: ext,
  stdio: ["ignore", "inherit", "inherit"],
  // Offline: no update checks, no npm registry lookups.
  env: { ...process.env, VSCE_TELEMETRY_DISABLED: "1", npm_config_offline: "true", npm_config_update_notifier: "false" },
});
if (r.status !== 0) {
  console.error(`error: vsce package failed (exit ${r.status})`);
  process.exit(1);
}
console.log(target);
