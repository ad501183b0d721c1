// The smaller faults: secrets in printed hints, unwritable output folders, file system errors in
// words, leftovers of an interrupted save, the stale timeout flag.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resumeCommand, withoutPassword } from "../../runtime/tune/resume_hint.ts";
import { cleanLeftovers, fsReason, prepareOutDir } from "../../runtime/outdir.ts";

test("the resume hint names storage and study and never prints a password", () => {
  const url = "postgresql://alice:s3cr%40t-pw@db.example:5432/studies?sslmode=require";
  const hint = resumeCommand("pipelines/x.dlp", url, "st1");
  assert.not.ok(hint.includes("s3cr"), hint);
  assert.match(hint, /^dlpc tune pipelines\/x\.dlp --storage '?postgresql:\/\/alice@db\.example:5432\/studies\?sslmode=require'? --study st1/);
  assert.match(hint, /PGPASSWORD/);
  assert.not.ok(withoutPassword("postgres://u@h/db?password=hunter2").includes("hunter2"));
  assert.is(withoutPassword("postgres://u@h/db"), "postgres://u@h/db");
  assert.is(resumeCommand("a b.dlp", undefined, undefined), "dlpc tune 'a b.dlp'");
  assert.not.ok(resumeCommand("x.dlp", "not a url://u:pw@h", undefined).includes(":pw@"));
});

test("file system errors are named in words, EROFS as a read-only file system", () => {
  const err = (code: string) => Object.assign(new Error(`${code}: raw`), { code });
  assert.is(fsReason(err("EROFS")), "read-only file system (EROFS)");
  assert.is(fsReason(err("ENOSPC")), "no space left on the device (ENOSPC)");
  assert.is(fsReason(err("EACCES")), "permission denied (EACCES)");
});

test("an output folder that cannot be written fails before training, in words", () => {
  const dir = mkdtempSync(join(tmpdir(), "dlp-out-"));
  try {
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    assert.throws(() => prepareOutDir(join(file, "runs", "p"), "p"), /cannot write the run to .*a path component is a file, not a folder \(ENOTDIR\); choose another folder with --out/);
    prepareOutDir(join(dir, "runs", "p"), "p");
    assert.ok(existsSync(join(dir, "runs")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("leftovers of a killed save (.NAME.tmp-PID-…, .old) are removed on the next run, a live one is kept", () => {
  const dir = mkdtempSync(join(tmpdir(), "dlp-left-"));
  try {
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
    mkdirSync(join(dir, `.p.tmp-${dead}-1`));
    mkdirSync(join(dir, `.p.tmp-${dead}-1.old`));
    mkdirSync(join(dir, `.p.tmp-${process.pid}-2`));
    mkdirSync(join(dir, `.other.tmp-${dead}-1`));
    const removed = cleanLeftovers(dir, "p").sort();
    assert.equal(removed, [`.p.tmp-${dead}-1`, `.p.tmp-${dead}-1.old`]);
    assert.ok(existsSync(join(dir, `.p.tmp-${process.pid}-2`)), "this process's own save is kept");
    assert.ok(existsSync(join(dir, `.other.tmp-${dead}-1`)), "another pipeline's folder is not touched");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--stale SECONDS is a tune flag taking a positive integer", () => {
  const dlpc = (...args: string[]) => spawnSync(process.execPath, ["bin/dlpc.mjs", ...args], { encoding: "utf8" });
  assert.match(dlpc("tune", "--help").stdout, /--stale <seconds>/);
  const bad = dlpc("tune", "no-such.dlp", "--stale", "0");
  assert.is(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /--stale/);
  assert.match(bad.stderr, /positive integer/);
});

test.run();
