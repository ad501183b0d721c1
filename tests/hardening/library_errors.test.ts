// Library error texts never reach the user raw: each path where pngjs, jpeg-js, zlib, h5wasm,
// better-sqlite3 or the file system fails is driven for real (a truncated PNG, a damaged JPEG
// and gzip, a folder given as a file, a non-HDF5 and a truncated .h5, a text file and a file
// with damaged pages as the SQLite study, an --out that is a file, a full disk) and must give
// one message in our words naming the file and what to do, the library's text only as a
// trailing "(cause: …)". (pg's paths are in tests/tune/postgres.test.ts.)
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import Database from "better-sqlite3";
import { PNG } from "pngjs";
import { decodeImage, readImageFolder } from "../../runtime/data/images.ts";
import { readIdx } from "../../runtime/data/idx.ts";
import { readCsv } from "../../runtime/data/csv.ts";
import { readSourceLayers } from "../../runtime/weights.ts";
import { SqliteStorage } from "../../runtime/tune/sqlite.ts";
import { causeOf, fsFailure } from "../../runtime/library_errors.ts";

const dir = mkdtempSync(join(tmpdir(), "dlp-liberr-"));
const at = (f: string): string => join(dir, f);
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** The message of what `f` throws (sync or async). */
async function failure(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected a failure");
}

const oneLine = (m: string): void => assert.not.match(m, /\n/, m);

test("a truncated PNG and a damaged one: pngjs's `waitng on finished stream` only as the cause", async () => {
  const good = PNG.sync.write(new PNG({ width: 4, height: 4 }));
  writeFileSync(at("cut.png"), good.subarray(0, good.length - 20));
  const m = await failure(() => decodeImage(at("cut.png")));
  oneLine(m);
  assert.match(m, new RegExp(`^${at("cut.png")}: cannot decode this PNG: the file ends before the image does \\(truncated or cut short in a download\\); replace or re-save the image \\(cause: There are some read requests waitng on finished stream\\)$`));
  const damaged = Buffer.from(good);
  damaged[30] ^= 0xff;
  writeFileSync(at("damaged.png"), damaged);
  assert.match(await failure(() => decodeImage(at("damaged.png"))), /damaged\.png: cannot decode this PNG: the compressed pixel data is damaged or followed by stray bytes; replace or re-save the image \(cause: /);
});

test("a damaged JPEG", async () => {
  writeFileSync(at("cut.jpg"), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
  const m = await failure(() => decodeImage(at("cut.jpg")));
  oneLine(m);
  assert.match(m, /cut\.jpg: cannot decode this JPEG: its structure is damaged or the file is truncated; replace or re-save the image \(cause: unknown JPEG marker 0\)$/);
});

test("a damaged gzip stream, and a folder where a data file should be", async () => {
  const gz = Buffer.from(gzipSync(Buffer.alloc(1000)));
  gz[12] ^= 0xff;
  gz[13] ^= 0xff;
  writeFileSync(at("train-images-idx3-ubyte.gz"), gz);
  const m = await failure(() => readIdx(at("train-images-idx3-ubyte.gz")));
  oneLine(m);
  assert.match(m, /train-images-idx3-ubyte\.gz: the gzip stream is damaged \(at its start\); the file is damaged: fetch or copy it again \(cause: invalid distance too far back\)$/);
  mkdirSync(at("t10k-labels-idx1-ubyte"));
  assert.is(await failure(() => readIdx(at("t10k-labels-idx1-ubyte"))), `cannot read ${at("t10k-labels-idx1-ubyte")}: is a folder (EISDIR); give a file, not a folder`);
  assert.is(await failure(() => readCsv(at("t10k-labels-idx1-ubyte"), { label: "y" } as never)), `cannot read ${at("t10k-labels-idx1-ubyte")}: is a folder (EISDIR); give a file, not a folder`);
  writeFileSync(at("not-a-folder"), "x");
  assert.match(await failure(() => readImageFolder(at("not-a-folder"), [8, 8], 1)), /image folder .*not-a-folder does not exist/);
});

test("a full disk (ENOSPC, from /dev/full) and an unknown error keep the library's text as the cause", () => {
  if (!existsSync("/dev/full")) return;
  let err: unknown;
  try {
    writeFileSync("/dev/full", "x");
  } catch (e) {
    err = e;
  }
  assert.is(fsFailure("cannot write", "/dev/full", err), "cannot write /dev/full: no space left on the device (ENOSPC); free some space on that disk, or choose another folder");
  assert.is(fsFailure("cannot read", "x", new Error("odd\nsecond line")), "cannot read x: odd");
  assert.is(causeOf(new Error("")), "");
});

/** readSourceLayers in a process of its own, to see what it prints on stderr. */
function h5Child(file: string): { message: string; stderr: string } {
  const script = `import(${JSON.stringify(resolve("runtime/weights.ts"))}).then((m) => m.readSourceLayers(${JSON.stringify(file)})).then(() => console.log("READ"), (e) => console.log("ERR " + e.message))`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { encoding: "utf8" });
  return { message: r.stdout.trim(), stderr: r.stderr };
}

test("a non-HDF5 .h5 and a truncated one: one line, no HDF5-DIAG stack on the terminal", async () => {
  writeFileSync(at("not.h5"), "hello, this is not HDF5");
  const m = await failure(() => readSourceLayers(at("not.h5")));
  assert.is(m, `init_weights: ${at("not.h5")} is not an HDF5 file (its first bytes are not the HDF5 signature): give a Keras .h5 weights file, a tfjs model.json or a dlp run folder`);
  writeFileSync(at("cut.h5"), Buffer.concat([Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 7)]));
  const r = h5Child(at("cut.h5"));
  assert.match(r.message, new RegExp(`^ERR init_weights: ${at("cut.h5")} has the HDF5 signature but cannot be read: the file is damaged or truncated; copy or save it again \\(cause: H5F__superblock_prefix_decode\\(\\): bad superblock version number\\)$`));
  assert.not.match(r.stderr, /HDF5-DIAG|#0\d\d:/, r.stderr.slice(0, 400));
  assert.not.match(r.message, /name not defined/);
});

test("a text file as the SQLite study, a file with damaged pages, and a path under a file", async () => {
  writeFileSync(at("notes.sqlite"), "this is not a database, but long enough to look like the header of something. ".repeat(10));
  const m = await failure(() => new SqliteStorage(at("notes.sqlite")).meta("s"));
  oneLine(m);
  assert.is(m, `${at("notes.sqlite")}: cannot open the study database: the file is not a SQLite database, or is damaged (SQLITE_NOTADB): move it away to start the study afresh, or restore it from a copy (cause: file is not a database)`);

  const db = new Database(at("damaged.sqlite"));
  db.exec("CREATE TABLE t (x TEXT)");
  const ins = db.prepare("INSERT INTO t VALUES (?)");
  for (let i = 0; i < 500; i++) ins.run("y".repeat(200));
  db.close();
  const store = new SqliteStorage(at("damaged.sqlite"));
  await store.meta("s"); // opens, makes the study tables after the data
  await store.close();
  const bytes = readFileSync(at("damaged.sqlite"));
  for (let i = 4096; i < bytes.length; i++) bytes[i] = 0x5a; // every page after the first
  writeFileSync(at("damaged.sqlite"), bytes);
  const d = await failure(async () => {
    const s = new SqliteStorage(at("damaged.sqlite"));
    try {
      await s.trials("s");
    } finally {
      await s.close();
    }
  });
  oneLine(d);
  assert.match(d, new RegExp(`^${at("damaged.sqlite")}: (cannot open the study database: )?the file is not a SQLite database, or is damaged \\(SQLITE_(CORRUPT|NOTADB)\\): move it away to start the study afresh, or restore it from a copy \\(cause: (database disk image is malformed|file is not a database)\\)$`));

  writeFileSync(at("a-file"), "x");
  assert.is(
    await failure(() => new SqliteStorage(at("a-file/tune/study.sqlite")).meta("s")),
    `cannot make the folder of the study database ${at("a-file/tune")}: a path component is a file, not a folder (ENOTDIR); check the path: one of its folders is a file (or choose another --storage / --out)`,
  );
});

/** `dlpc ARGS` from the repository root. */
const dlpc = (args: string[]) => spawnSync(process.execPath, ["bin/dlpc.mjs", ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });

test("dlpc tune with a text file as --storage, and with --out a file: one line each, no stack", () => {
  const r = dlpc(["tune", "tests/tune/fixtures/tiny_random.dlp", "--storage", at("notes.sqlite"), "--out", at("out-ok"), "--limit", "100"]);
  assert.is(r.status, 1, r.stderr);
  assert.is(r.stderr.trim().split("\n").filter((l) => l.startsWith("error:")).length, 1, r.stderr);
  assert.match(r.stderr, /error: .*notes\.sqlite: cannot open the study database: the file is not a SQLite database, or is damaged \(SQLITE_NOTADB\)/);
  assert.not.match(r.stderr, /\n\s+at /);
  const o = dlpc(["tune", "tests/tune/fixtures/tiny_random.dlp", "--out", at("a-file"), "--limit", "100"]);
  assert.is(o.status, 1, o.stderr);
  assert.match(o.stderr, new RegExp(`error: cannot make the study folder ${at("a-file")}/tiny_random/tune: (already exists \\(EEXIST\\); check the path: a file is in the way|a path component is a file, not a folder \\(ENOTDIR\\); check the path: one of its folders is a file) \\(choose another folder with --out\\)\\n$`));
});

test.run();
