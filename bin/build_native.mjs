#!/usr/bin/env node
// Builds dlp's native addon (native/: oneDNN kernels for the `native` backend, runtime/native.ts)
// with npm's bundled node-gyp against the machine's Node headers, offline. Runs as the package's
// `install` step and as `npm run build:native`. It never fails the install: without
// oneDNN's headers (apt-get install libdnnl-dev), with DLP_NATIVE=0, or on a compiler error it
// prints one line and exits 0, and training runs on the wasm backend.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, realpathSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, "native");
const HOW = "apt-get install libdnnl-dev, then npm run build:native";

/** npm's own node-gyp: beside the npm running this script, else beside the npm on PATH. */
function nodeGyp() {
  const candidates = [];
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), "..", "node_modules", "node-gyp", "bin", "node-gyp.js"));
  for (const p of (process.env.PATH ?? "").split(":")) {
    const npm = join(p, "npm");
    if (existsSync(npm)) candidates.push(join(dirname(realpathSync(npm)), "..", "node_modules", "node-gyp", "bin", "node-gyp.js"));
  }
  candidates.push(join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"));
  return candidates.find((c) => existsSync(c));
}

/** The Node headers node-gyp compiles against: the installed ones (no download). */
function nodeDir() {
  const prefix = join(dirname(process.execPath), "..");
  return existsSync(join(prefix, "include", "node", "node_api.h")) ? prefix : null;
}

export function buildNative() {
  if (process.env.DLP_NATIVE === "0") {
    console.log("dlpc: native addon not built (DLP_NATIVE=0); training uses the wasm backend");
    return false;
  }
  if (!existsSync("/usr/include/oneapi/dnnl/dnnl.hpp") && !existsSync("/usr/include/dnnl.hpp")) {
    console.log(`dlpc: native addon not built: oneDNN's headers are missing (${HOW}); training uses the wasm backend`);
    return false;
  }
  const gyp = nodeGyp();
  const headers = nodeDir();
  if (!gyp || !headers) {
    console.log(`dlpc: native addon not built: ${!gyp ? "npm's node-gyp was not found" : "Node's headers (include/node/node_api.h) are missing"}; training uses the wasm backend`);
    return false;
  }
  const started = Date.now();
  const r = spawnSync(process.execPath, [gyp, "rebuild", `--nodedir=${headers}`], { cwd: dir, encoding: "utf8", env: { ...process.env, npm_config_nodedir: headers } });
  const log = join(dir, "build", "build.log");
  mkdirSync(dirname(log), { recursive: true });
  writeFileSync(log, `${r.stdout ?? ""}\n${r.stderr ?? ""}\n${r.error ? String(r.error) : ""}`);
  if (r.status !== 0) {
    console.log(`dlpc: native addon build failed (see ${relative(process.cwd(), log) || log}); training uses the wasm backend`);
    return false;
  }
  console.log(`dlpc: built the native addon (oneDNN) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

// As npm's `install` step (this package's own, also when it is installed from its tarball) and as
// `npm run build:native`: whatever goes wrong is one line, never a failed install.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    buildNative();
  } catch (e) {
    console.log(`dlpc: native addon not built (${e?.message ?? e}); training uses the wasm backend`);
  }
}
