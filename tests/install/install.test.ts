// dlp as a user installs it: `npm pack`, then the tarball installed into a fresh project outside
// the repository, and that project's `dlpc` compiling and running .dlp files in folders with
// spaces and non-ASCII names, given by absolute, relative and symlinked paths. The install is
// offline: a lockfile for the temporary project is derived from the repository's own (same
// versions, same integrity hashes), so `npm ci --offline` takes every package from npm's cache,
// where the repository's own `npm ci` put them. It is a real install, scripts on: better-sqlite3
// compiles its addon there (no prebuilt binary can be downloaded offline; node-gyp gets the
// machine's Node headers through --nodedir) and dlp's own `install` step builds its oneDNN addon,
// so `dlpc tune` on SQLite and the native backend are checked in the installed copy itself.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";

const REPO = realpathSync(join(import.meta.dirname, "..", ".."));
const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8"));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const base = mkdtempSync(join(realpathSync(tmpdir()), "dlp install "));
const project = join(base, "projét à moi");
const tarballs: string[] = [];

interface Out { code: number | null; stdout: string; stderr: string }
const show = (o: Out) => `exit ${o.code}\n--- stdout\n${o.stdout}\n--- stderr\n${o.stderr}`;

/** The installed `dlpc` (node_modules/.bin/dlpc, a symlink into node_modules/dlp/bin), run in cwd. */
function dlpc(cwd: string, ...args: string[]): Out {
  const r = spawnSync(join(project, "node_modules", ".bin", "dlpc"), args, { cwd, encoding: "utf8", timeout: 240_000, env: { ...process.env, NO_COLOR: "1", DLP_NO_BUNDLE: "" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The repository's lockfile, re-rooted: dlp itself comes from the tarball, and every package it
 *  depends on (not the repository's dev tools) is hoisted to the same place and version. */
function lockfileFor(tarball: string): object {
  const lock = JSON.parse(readFileSync(join(REPO, "package-lock.json"), "utf8"));
  const packages: Record<string, unknown> = {
    "": { name: "dlp-install-test", version: "1.0.0", dependencies: { dlp: `file:${tarball}` } },
    "node_modules/dlp": {
      version: pkg.version,
      resolved: `file:${tarball}`,
      license: pkg.license,
      dependencies: pkg.dependencies,
      optionalDependencies: pkg.optionalDependencies,
      bin: pkg.bin,
      engines: pkg.engines,
      // As npm writes it for a package with an install step; `npm ci` runs only the steps the
      // lockfile announces.
      ...(pkg.scripts?.install ? { hasInstallScript: true } : {}),
    },
  };
  for (const [path, entry] of Object.entries(lock.packages as Record<string, { dev?: boolean; link?: boolean }>)) {
    if (!path.startsWith("node_modules/") || entry.dev || entry.link) continue;
    packages[path] = entry;
  }
  return { name: "dlp-install-test", version: "1.0.0", lockfileVersion: 3, requires: true, packages };
}

const tiny = `pipeline flowers {
  seed 1
  data {
    source csv("flowers.csv", label: "kind")
    x = (features |> standardize()) as vector[2]
    y = labels as class(2)
    split validation 20%
  }
  model { dense(2, activation: softmax) }
  train {
    loss sparse_categorical_crossentropy
    optimizer sgd(lr: 0.05)
    batch 8
    epochs 1
  }
  evaluate validation { accuracy }
}
`;
const rows = Array.from({ length: 40 }, (_, i) => `${i % 2 ? 1 + i / 40 : -1 - i / 40},${(i * 7) % 5},${i % 2 ? "b" : "a"}`);

test.before(() => {
  try {
    install();
  } catch (e) {
    // uvu reports a failed hook as failed tests, without the reason.
    const x = e as { message: string; stderr?: string };
    console.error(`install failed: ${x.message}\n${x.stderr ?? ""}`);
    throw e;
  }
});

function install(): void {
  // `npm pack` runs the prepare step (the CLI bundle in dist/), as it does for a release.
  const packed = execFileSync(npm, ["pack", "--json", "--pack-destination", base], { cwd: REPO, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const [info] = JSON.parse(packed.slice(packed.indexOf("[")));
  tarballs.push(join(base, info.filename));
  const shipped = (info.files as { path: string }[]).map((f) => f.path);
  assert.ok(shipped.includes("bin/dlpc.mjs") && shipped.includes("runtime/index.ts") && shipped.includes("dist/cli/cli.js"), shipped.join(", "));
  const extra = shipped.filter((f) => /^(tests|bench|editors)\//.test(f) || /\.test\.ts$/.test(f));
  assert.equal(extra, [], "no tests, benchmarks or editor extensions in the package");
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "dlp-install-test", version: "1.0.0", private: true, dependencies: { dlp: `file:${tarballs[0]}` } }, null, 2));
  writeFileSync(join(project, "package-lock.json"), JSON.stringify(lockfileFor(tarballs[0]), null, 2));
  // Scripts on (npm's default): every package's install step runs, dlp's included. The compilers
  // run at -O0 (CFLAGS/CXXFLAGS come after node-gyp's own flags): the same build steps, minutes
  // less on a loaded machine for better-sqlite3's 9 MB sqlite3.c.
  const nodedir = join(dirname(process.execPath), "..");
  const r = spawnSync(npm, ["ci", "--offline", "--foreground-scripts", `--nodedir=${nodedir}`, "--no-audit", "--no-fund"], {
    cwd: project, encoding: "utf8", timeout: 900_000, maxBuffer: 1 << 26,
    env: { ...process.env, CFLAGS: "-O0", CXXFLAGS: "-O0" },
  });
  installLog = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0) throw Object.assign(new Error(`npm ci in the test project failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ""})`), { stderr: installLog.slice(-4000) });
}

/** What dlp's own install step printed (its one line: built, or why not). */
let installLog = "";
/** oneDNN's headers, which dlp's install step needs for the native addon (apt-get install libdnnl-dev). */
const ONEDNN = existsSync("/usr/include/oneapi/dnnl/dnnl.hpp") || existsSync("/usr/include/dnnl.hpp");

test.after(() => {
  if (!process.env.DLP_KEEP_TEMP) rmSync(base, { recursive: true, force: true });
});

test("the installed dlpc reports its version and checks a file through its bundle", () => {
  const v = dlpc(project, "--version");
  assert.is(v.code, 0, show(v));
  assert.is(v.stdout.trim(), pkg.version);
  assert.ok(existsSync(join(project, "node_modules", "dlp", "dist", "cli", "cli.js")), "the bundle is shipped");
  // The installed files carry the install's time, newer than the bundle: it is still the one
  // used, so --help and check start without tsx (moved away here, which the TypeScript path needs).
  const tsx = join(project, "node_modules", "tsx");
  renameSync(tsx, `${tsx}.away`);
  try {
    const h = dlpc(project, "--help");
    assert.is(h.code, 0, show(h));
    assert.match(h.stdout, "Usage: dlpc");
    writeFileSync(join(project, "ok.dlp"), tiny);
    const c = dlpc(project, "check", "ok.dlp");
    assert.is(c.code, 0, show(c));
  } finally {
    renameSync(`${tsx}.away`, tsx);
  }
});

test("the install ran the install steps: better-sqlite3 compiled in the installed copy, dlp's native addon built when oneDNN is there", () => {
  const installed = join(project, "node_modules");
  assert.ok(existsSync(join(installed, "better-sqlite3", "build", "Release", "better_sqlite3.node")), `better-sqlite3's addon was built by its install script\n${installLog}`);
  const addon = join(installed, "dlp", "native", "build", "Release", "dlp_native.node");
  if (ONEDNN) {
    assert.match(installLog, /dlpc: built the native addon \(oneDNN\)/);
    assert.ok(existsSync(addon), "dlp's install step built native/build/Release/dlp_native.node");
  } else {
    assert.match(installLog, /dlpc: native addon not built: oneDNN's headers are missing/);
    assert.not.ok(existsSync(addon));
  }
});

test("the installed dlpc tunes on SQLite storage and trains on the native backend when oneDNN is there", () => {
  const work = join(base, "étude");
  mkdirSync(work);
  writeFileSync(join(work, "flowers.csv"), `x1,x2,kind\n${rows.join("\n")}\n`);
  const tuned = tiny.replace("  seed 1\n", "  seed 1\n  param lr = 0.05 tune log_uniform(0.01, 0.1)\n").replace("sgd(lr: 0.05)", "sgd(lr: lr)").replace(/\}\n$/, "  tune {\n    strategy random(trials: 2)\n    objective minimize val_loss\n  }\n}\n");
  writeFileSync(join(work, "flowers.dlp"), tuned);
  const c = dlpc(work, "check", "flowers.dlp");
  assert.is(c.code, 0, show(c));
  const t = dlpc(work, "tune", "flowers.dlp", "--storage", "study file.sqlite", "--quiet");
  assert.is(t.code, 0, show(t));
  const trials = JSON.parse(readFileSync(join(work, "runs", "flowers", "tune", "trials.json"), "utf8")) as { storage: string; trials: { status: string }[] };
  assert.is(trials.storage, "sqlite:study file.sqlite");
  assert.equal(trials.trials.map((x) => x.status), ["complete", "complete"]);
  // The study is a real SQLite database (its header), written by the installed better-sqlite3.
  assert.is(readFileSync(join(work, "study file.sqlite")).subarray(0, 16).toString("latin1"), "SQLite format 3\0");
  // A second tune of the same study resumes it from the database: nothing left to run.
  const again = dlpc(work, "tune", "flowers.dlp", "--storage", "study file.sqlite", "--quiet");
  assert.is(again.code, 0, show(again));

  const r = dlpc(work, "run", "flowers.dlp");
  assert.is(r.code, 0, show(r));
  const backend = `${r.stdout}\n${r.stderr}`.split("\n").find((l) => l.startsWith("backend: "));
  assert.ok(backend, show(r));
  if (ONEDNN) assert.match(backend!, /^backend: native \(wasm \+ oneDNN /);
  else assert.match(backend!, /^backend: wasm/);
});

test("compile and run in a folder with spaces and non-ASCII letters: build/ and runs/ are written there, the code imports the installed runtime", () => {
  const work = join(base, "données d'essai");
  mkdirSync(join(work, "sous dossier"), { recursive: true });
  writeFileSync(join(work, "flowers.csv"), `x1,x2,kind\n${rows.join("\n")}\n`);
  // Data paths are relative to the current folder; this copy names its CSV by absolute path.
  writeFileSync(join(work, "sous dossier", "flowers.dlp"), tiny.replace('"flowers.csv"', JSON.stringify(join(work, "flowers.csv"))));
  writeFileSync(join(work, "flowers.dlp"), tiny);

  const r = dlpc(work, "run", "flowers.dlp", "--backend", "wasm");
  assert.is(r.code, 0, show(r));
  assert.is(r.stdout, `saved to ${join(work, "runs", "flowers")}\n`);
  const built = readFileSync(join(work, "build", "flowers.ts"), "utf8");
  assert.match(built, 'from "dlp/runtime"');
  for (const f of ["model.json", "weights.bin", "metrics.json", "history.json"]) assert.ok(existsSync(join(work, "runs", "flowers", f)), f);
  assert.not.ok(existsSync(join(REPO, "runs", "flowers")), "nothing written into the repository");

  // The same pipeline by its absolute path, through a symlinked folder and by a relative path,
  // from another folder: build/ and runs/ go to the current folder.
  const other = join(base, "ailleurs");
  mkdirSync(other);
  symlinkSync(join(work, "sous dossier"), join(other, "lien"));
  for (const file of [join(work, "sous dossier", "flowers.dlp"), join("lien", "flowers.dlp"), relative(other, join(work, "sous dossier", "flowers.dlp"))]) {
    rmSync(join(other, "runs"), { recursive: true, force: true });
    const o = dlpc(other, "run", file, "--backend", "wasm");
    assert.is(o.code, 0, `${file}\n${show(o)}`);
    assert.ok(existsSync(join(other, "runs", "flowers", "model.json")), file);
  }
  assert.equal(readdirSync(join(other, "build")), ["flowers.ts"]);
});

test("an output folder that cannot be written is one clear line, no stack", () => {
  const work = join(base, "lecture seule");
  mkdirSync(work);
  writeFileSync(join(work, "flowers.csv"), `x1,x2,kind\n${rows.join("\n")}\n`);
  writeFileSync(join(work, "flowers.dlp"), tiny);
  writeFileSync(join(work, "build"), "a file where the build folder would go\n");
  const r = dlpc(work, "run", "flowers.dlp", "--backend", "wasm");
  assert.is(r.code, 1, show(r));
  assert.match(r.stderr, /^error: cannot write build[\\/]flowers\.ts: /m);
  assert.not.match(r.stderr, /^\s+at /m);
  assert.is(r.stderr.trim().split("\n").length, 1, show(r));
});

test.run();
