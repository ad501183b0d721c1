#!/usr/bin/env node
// Runs every tests/**/*.test.ts with uvu, TypeScript loaded through tsx.
// Usage: node bin/test.mjs [pattern]   (pattern filters test file paths, a regex)
import { register } from "tsx/esm/api";
import { parse } from "uvu/parse";
import { run } from "uvu/run";
import { existsSync } from "node:fs";
import { ensureSystemDeps } from "./system-deps.mjs";
// Installs (as root) or names the Debian packages the tests need before anything runs.
if (!ensureSystemDeps()) process.exit(1);
// A clone installed before oneDNN was there has no addon yet: build it now, so the native
// parity tests run against a real build (DLP_NATIVE=0 keeps it off on purpose).
if (process.env.DLP_NATIVE !== "0" && !existsSync(new URL("../native/build/Release/dlp_native.node", import.meta.url))) {
  const { buildNative } = await import("./build_native.mjs");
  buildNative();
}
register();
const pattern = process.argv[2] ? new RegExp(process.argv[2]) : /\.test\.ts$/;
const { suites } = await parse("tests", /\.test\.ts$/, { ignore: /^golden|fixtures/ });
const chosen = suites.filter((s) => pattern.test(s.file));
// uvu prints "Total/Passed"; keep them to add the plain closing line CI reads.
let total = 0, passed = 0, skipped = 0;
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
  const text = String(chunk).replace(/\x1b\[[0-9;]*m/g, "");
  const t = /Total:\s+(\d+)/.exec(text); if (t) total = Number(t[1]);
  const p = /Passed:\s+(\d+)/.exec(text); if (p) passed = Number(p[1]);
  const s = /Skipped:\s+(\d+)/.exec(text); if (s) skipped = Number(s[1]);
  return write(chunk, ...rest);
};
await run(chosen, { bail: false });
process.stdout.write = write;
const failed = Math.max(0, total - passed - skipped);
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
if (failed > 0 || total === 0) process.exitCode = 1;
