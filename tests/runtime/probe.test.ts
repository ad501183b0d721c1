// Check-time data facts (runtime/data/probe.ts): what a bounded read of a CSV, an IDX folder and
// an image folder tells, the same error texts as a run for malformed files, the prefix bound,
// and the cache that makes an unchanged file cost one stat.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { PNG } from "pngjs";
import { encodeIdx } from "../../runtime/data/idx.ts";
import { clearProbeCache, probeData, PROBE_BYTES, type DataFacts } from "../../runtime/data/probe.ts";

const dir = mkdtempSync(join(tmpdir(), "dlp-probe-"));
const csv = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const facts = (p: ReturnType<typeof probeData>): DataFacts => {
  if (p.kind !== "facts") throw new Error(`expected facts, got ${JSON.stringify(p)}`);
  return p.facts;
};
const bad = (p: ReturnType<typeof probeData>): string => {
  if (p.kind !== "bad") throw new Error(`expected a malformed-file result, got ${JSON.stringify(p)}`);
  return p.message;
};
const req = (path: string, more: { label?: string; features?: string[] } = {}) => ({ kind: "csv" as const, path, label: more.label ?? "label", delimiter: ",", ...(more.features ? { features: more.features } : {}) });

test("a CSV gives its feature count from the header and the label ids with the lines they are on", () => {
  const p = csv("ids.csv", "a,b,label,c\n1,2,3,4\n5,6,1,8\n9,10,7,11\n");
  const f = facts(probeData(req(p)));
  assert.equal(f.sampleShape, [3]);
  assert.match(f.shapeAt!, /ids\.csv:1 \(header: 3 feature columns besides "label"\)/);
  assert.equal(f.labels, { kind: "ids", min: 1, max: 7, minAt: `${p}:3`, maxAt: `${p}:4`, complete: true });
  assert.equal(f.samples, 3);
  assert.equal(facts(probeData(req(p, { features: ["a", "c"] }))).sampleShape, [2]);
});

test("a CSV with class names as labels gives the sorted names", () => {
  const p = csv("names.csv", "x,label\n1,dog\n2,cat\n3,dog\n");
  assert.equal(facts(probeData(req(p))).labels, { kind: "names", names: ["cat", "dog"], complete: true, firstAt: `${p}:3` });
});

test("a CSV that the run would refuse gives the run's message, naming the file and line", () => {
  assert.match(bad(probeData(req(csv("text.csv", "x,label\n1,0\nhello,1\n")))), /text\.csv:3: column "x" is not a number: "hello"/);
  assert.match(bad(probeData(req(csv("cols.csv", "x,y,label\n1,2,0\n1,0\n")))), /cols\.csv:3: expected 3 columns as in the header, found 2/);
  assert.match(bad(probeData(req(csv("nolabel.csv", "x,y\n1,2\n")))), /nolabel\.csv:1: no column named "label" in the header \(columns: x, y\)/);
  assert.match(bad(probeData(req(csv("empty.csv", "")))), /empty\.csv:1: the file is empty/);
  const gz = join(dir, "gz.csv");
  writeFileSync(gz, gzipSync("x,label\n1,0\n"));
  assert.match(bad(probeData(req(gz))), /gz\.csv: a gzip stream \(byte offset 0\)/);
});

test("a CSV larger than the probe bound is read only up to it, and its labels are marked incomplete", () => {
  const row = "1,2,3\n";
  const rows = Math.ceil((PROBE_BYTES * 2) / row.length);
  const p = csv("big.csv", "a,b,label\n" + row.repeat(rows) + "4,5,99\n");
  const f = facts(probeData(req(p)));
  assert.equal(f.sampleShape, [2]);
  assert.equal(f.labels?.kind, "ids");
  assert.equal((f.labels as { max: number }).max, 3, "the label 99 after the bound is not read");
  assert.equal((f.labels as { complete: boolean }).complete, false);
  assert.equal(f.samples, undefined);
});

test("an absent file is `absent`, not an error", () => {
  assert.equal(probeData(req(join(dir, "nope.csv"))), { kind: "absent", path: join(dir, "nope.csv") });
  assert.equal(probeData({ kind: "images", dir: join(dir, "nope") }).kind, "absent");
});

test("an IDX folder gives the sample shape, the label range and whether it has a test set", () => {
  const d = join(dir, "idx");
  mkdirSync(d);
  writeFileSync(join(d, "train-images-idx3-ubyte"), encodeIdx([3, 4, 5], new Uint8Array(60)));
  writeFileSync(join(d, "train-labels-idx1-ubyte.gz"), gzipSync(encodeIdx([3], [1, 9, 4])));
  const f = facts(probeData({ kind: "idx", dir: d }));
  assert.equal(f.sampleShape, [4, 5]);
  assert.equal(f.samples, 3);
  assert.equal(f.hasTest, false);
  assert.equal(f.labels, { kind: "ids", min: 1, max: 9, minAt: `${join(d, "train-labels-idx1-ubyte.gz")} at byte offset 8 (label 0)`, maxAt: `${join(d, "train-labels-idx1-ubyte.gz")} at byte offset 9 (label 1)`, complete: true });
  writeFileSync(join(d, "t10k-images-idx3-ubyte"), encodeIdx([1, 4, 5], new Uint8Array(20)));
  writeFileSync(join(d, "t10k-labels-idx1-ubyte"), encodeIdx([1], [0]));
  assert.equal(facts(probeData({ kind: "idx", dir: d })).hasTest, true, "a new file in the folder is seen (the cache key holds the listing)");
});

test("IDX files that disagree or are damaged are named with the byte offset", () => {
  const d = join(dir, "idx-bad");
  mkdirSync(d);
  writeFileSync(join(d, "train-images-idx3-ubyte"), encodeIdx([3, 2, 2], new Uint8Array(12)));
  writeFileSync(join(d, "train-labels-idx1-ubyte"), encodeIdx([2], [0, 1]));
  assert.match(bad(probeData({ kind: "idx", dir: d })), /holds 3 images but .*train-labels-idx1-ubyte holds 2 labels/);
  writeFileSync(join(d, "train-labels-idx1-ubyte"), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
  assert.match(bad(probeData({ kind: "idx", dir: d })), /train-labels-idx1-ubyte: not an IDX file: wrong magic number 01 02 03 04 at byte offset 0/);
  writeFileSync(join(d, "train-labels-idx1-ubyte"), encodeIdx([3], [0, 1, 2]));
  writeFileSync(join(d, "train-images-idx3-ubyte"), encodeIdx([3, 2, 2], new Uint8Array(12)).subarray(0, 20));
  assert.match(bad(probeData({ kind: "idx", dir: d })), /train-images-idx3-ubyte: short read: dimensions 3×2×2 need 28 bytes but the file ends at byte offset 20/);
  assert.match(bad(probeData({ kind: "idx", dir: join(dir, "ids.csv") })), /is a file; `source idx` takes the folder/);
});

test("an image folder gives its class folders, sorted as the run numbers them", () => {
  const d = join(dir, "imgs");
  const png = new PNG({ width: 2, height: 2 });
  for (const c of ["zebra", "ant", "cat"]) {
    mkdirSync(join(d, c), { recursive: true });
    writeFileSync(join(d, c, "a.png"), PNG.sync.write(png));
  }
  const f = facts(probeData({ kind: "images", dir: d }));
  assert.equal(f.classes?.names, ["ant", "cat", "zebra"]);
  assert.equal(f.hasTest, false);
  mkdirSync(join(d, "empty"));
  utimesSync(d, new Date(), new Date(Date.now() + 5000));
  assert.match(bad(probeData({ kind: "images", dir: d })), /imgs\/empty: a class folder with no \.png\/\.jpg\/\.jpeg files/);
});

test("an unchanged file is answered from the cache; a changed one is read again", () => {
  clearProbeCache();
  const p = csv("cache.csv", "x,label\n1,0\n");
  const first = probeData(req(p));
  assert.is(probeData(req(p)), first, "same object: nothing was read");
  writeFileSync(p, "x,y,label\n1,2,0\n");
  utimesSync(p, new Date(), new Date(Date.now() + 5000));
  assert.equal(facts(probeData(req(p))).sampleShape, [2]);
});

test.run();
