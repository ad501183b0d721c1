// Data bombs and lies: a gzip IDX that inflates far past its header, a header that declares
// gigabytes, a large file with a wrong magic number, a truncated file, a PNG declaring a huge
// canvas. Each fails fast, in bounded memory, with an error naming the file and the offset.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { encodeIdx, readIdx } from "../../runtime/data/idx.ts";
import { decodeImage } from "../../runtime/data/images.ts";
import { readMaybeGzip } from "../../runtime/data/files.ts";

const dir = mkdtempSync(join(tmpdir(), "dlp-bombs-"));
const at = (name: string) => join(dir, name);

function bounded(f: () => unknown, re: RegExp, maxMs = 3000, maxGrowthMB = 200): void {
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  assert.throws(f, re);
  const ms = performance.now() - t0;
  const grew = (process.memoryUsage().rss - rss0) / 1e6;
  assert.ok(ms < maxMs, `took ${Math.round(ms)} ms`);
  assert.ok(grew < maxGrowthMB, `memory grew ${Math.round(grew)} MB`);
}

test("a gzip IDX that inflates far past its header's 10×28×28 is refused without inflating it", () => {
  const header = encodeIdx([10, 28, 28], new Uint8Array(10 * 28 * 28));
  const bomb = gzipSync(Buffer.concat([header, Buffer.alloc(300 * 1024 * 1024)]), { level: 9 });
  assert.ok(bomb.length < 1024 * 1024, `bomb is ${bomb.length} bytes`);
  writeFileSync(at("bomb-idx3-ubyte.gz"), bomb);
  bounded(() => readIdx(at("bomb-idx3-ubyte.gz")), /bomb-idx3-ubyte\.gz: the gzip stream inflates to more than 7857 bytes, which its IDX header declares 7856 bytes/);
});

test("an IDX header declaring gigabytes is refused before anything is allocated", () => {
  const lie = Buffer.alloc(16);
  lie[2] = 0x08;
  lie[3] = 3;
  lie.writeUInt32BE(4_000_000, 4);
  lie.writeUInt32BE(1000, 8);
  lie.writeUInt32BE(1000, 12);
  writeFileSync(at("lie-idx3-ubyte"), lie);
  bounded(() => readIdx(at("lie-idx3-ubyte")), /lie-idx3-ubyte: its IDX header \(byte offset 4\) declares dimensions 4000000×1000×1000/);
  writeFileSync(at("lie-idx3-ubyte.gz"), gzipSync(lie));
  bounded(() => readIdx(at("lie-idx3-ubyte.gz")), /declares dimensions 4000000×1000×1000/);
});

test("a 1 GB file with a wrong magic number is refused after reading its first bytes", () => {
  const fd = openSync(at("big-idx3-ubyte"), "w");
  writeSync(fd, Buffer.from("GIF89a"));
  closeSync(fd);
  // Sparse: 1 GB long, no disk used.
  const fd2 = openSync(at("big-idx3-ubyte"), "r+");
  writeSync(fd2, Buffer.from([0]), 0, 1, 1024 ** 3 - 1);
  closeSync(fd2);
  bounded(() => readIdx(at("big-idx3-ubyte")), /big-idx3-ubyte: not an IDX file: wrong magic number 47 49 46 38 at byte offset 0/, 1000, 50);
});

test("a truncated IDX names where it ends; a gzip trailer that lies is caught", () => {
  const ok = encodeIdx([5, 4, 4], new Uint8Array(80));
  writeFileSync(at("cut-idx3-ubyte"), ok.subarray(0, 50));
  assert.throws(() => readIdx(at("cut-idx3-ubyte")), /cut-idx3-ubyte: short read: dimensions 5×4×4 need 96 bytes but the file ends at byte offset 50/);
  const gz = gzipSync(Buffer.alloc(1_000_000));
  gz.writeUInt32LE(1000, gz.length - 4); // the trailer claims 1000 bytes
  writeFileSync(at("trailer.csv.gz"), gz);
  bounded(() => readMaybeGzip(at("trailer.csv.gz")), /trailer\.csv\.gz: the gzip stream inflates to more than 1001 bytes, which its gzip trailer declares 1000 bytes/);
});

test("a PNG declaring a 100000×100000 canvas is refused from its header", () => {
  const png = Buffer.alloc(64);
  png.writeUInt32BE(0x89504e47, 0);
  png.writeUInt32BE(0x0d0a1a0a, 4);
  png.writeUInt32BE(13, 8);
  png.writeUInt32BE(0x49484452, 12);
  png.writeUInt32BE(100000, 16);
  png.writeUInt32BE(100000, 20);
  writeFileSync(at("huge.png"), png);
  bounded(() => decodeImage(at("huge.png")), /huge\.png: the PNG header \(byte offset 16\) declares 100000×100000 pixels/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
