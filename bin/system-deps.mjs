// The Debian packages the test suite needs from the system, checked before any test runs.
// `npm test` must pass on a fresh machine by itself: as root with apt-get it installs what is
// missing; otherwise it stops at once naming the exact packages, instead of failing one test
// deep in the suite (or skipping it, which would hide the missing piece).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";

function onPath(cmd) {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir && existsSync(join(dir, cmd)));
}

function postgresServer() {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return onPath("initdb");
  return readdirSync(root).some((v) => existsSync(join(root, v, "bin", "initdb"))) || onPath("initdb");
}

/** Each entry: the Debian package, what needs it, and how to tell it is there. */
export const SYSTEM_DEPS = [
  { pkg: "neovim", for: "the real-editor LSP test (tests/lsp/neovim.test.ts)", present: () => onPath("nvim") },
  { pkg: "postgresql", for: "the multi-worker tuning tests (tests/tune/postgres.test.ts)", present: postgresServer },
  {
    pkg: "chromium",
    for: "the report.html and browser-export tests (tests/browser/)",
    present: () => existsSync(process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"),
  },
  {
    pkg: "libdnnl-dev",
    for: "the native backend's addon (oneDNN) and its parity tests (tests/runtime/native.test.ts)",
    present: () => existsSync("/usr/include/oneapi/dnnl/dnnl.hpp") || existsSync("/usr/include/dnnl.hpp"),
  },
  {
    pkg: "dataset-fashion-mnist",
    for: "the end-to-end training test on real Fashion-MNIST",
    present: () => existsSync("/usr/share/datasets/fashion-mnist"),
  },
];

/** Missing packages, in list order. */
export function missingSystemDeps(deps = SYSTEM_DEPS) {
  return deps.filter((d) => !d.present());
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  return r.status === 0;
}

/**
 * Makes sure every system package is there. Returns true when all are (after installing them
 * as root with apt-get when needed); prints what is missing and how to get it and returns false
 * otherwise.
 */
export function ensureSystemDeps(deps = SYSTEM_DEPS) {
  let missing = missingSystemDeps(deps);
  if (missing.length === 0) return true;
  const names = missing.map((d) => d.pkg);
  const canInstall = process.getuid?.() === 0 && onPath("apt-get") && process.env.DLP_NO_APT !== "1";
  if (canInstall) {
    console.log(`npm test: installing the system packages the tests need: ${names.join(" ")}`);
    // `apt-get update` once: a fresh machine has no package lists yet.
    if (run("apt-get", ["update", "-qq"]) && run("apt-get", ["install", "-y", "-qq", ...names])) {
      missing = missingSystemDeps(deps);
      if (missing.length === 0) return true;
    }
  }
  console.error("npm test: missing system packages (Debian):");
  for (const d of missingSystemDeps(deps)) console.error(`  ${d.pkg.padEnd(22)} for ${d.for}`);
  console.error(`install them with: sudo apt-get install ${missingSystemDeps(deps).map((d) => d.pkg).join(" ")}`);
  return false;
}
