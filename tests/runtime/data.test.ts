// Loaders on small files in the real formats, and every bad-input case: each is a DataError
// naming the file and the byte offset or line.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { PNG } from "pngjs";
import jpeg from "jpeg-js";
import { loadDataset, type DataSpec } from "dlp/runtime";
import { dataError } from "./data_error.ts";
import { encodeIdx, parseIdx } from "../../runtime/data/idx.ts";

const tmp = (): string => mkdtempSync(join(tmpdir(), "dlp-data-"));

function dataSpec(source: DataSpec["source"], extra: Partial<DataSpec> = {}): DataSpec {
  return {
    source, inputs: [{ name: "x", transforms: [{ op: "scale", by: 1 / 255 }, { op: "reshape", shape: [4, 4, 1] }], shape: [4, 4, 1] }],
    outputs: [{ name: "y", labels: { kind: "class", classes: 3, encoding: "onehot" } }], split: {}, augment: [], shuffle: true, ...extra,
  };
}

function writeIdxSet(dir: string, n: number, labels: number[] = Array.from({ length: n }, (_, i) => i % 3), gz = false): void {
  const img = encodeIdx([n, 4, 4], Array.from({ length: n * 16 }, (_, i) => (i * 7) % 256));
  const lab = encodeIdx([n], labels);
  const w = (name: string, b: Buffer): void => writeFileSync(join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(b) : b);
  w("train-images-idx3-ubyte", img);
  w("train-labels-idx1-ubyte", lab);
  w("t10k-images-idx3-ubyte", encodeIdx([6, 4, 4], new Array(96).fill(10)));
  w("t10k-labels-idx1-ubyte", encodeIdx([6], [0, 1, 2, 0, 1, 2]));
}

test("idx: gzipped and plain files load with splits and transforms", async () => {
  for (const gz of [false, true]) {
    const dir = tmp();
    writeIdxSet(dir, 30, undefined, gz);
    const d = await loadDataset(dataSpec({ kind: "idx", dir }, { split: { validation: { fraction: 0.2, stratified: true } } }), { seed: 1 });
    assert.is(d.train.n, 24);
    assert.is(d.validation?.n, 6);
    assert.is(d.test?.n, 6);
    assert.equal(d.inputShape, [4, 4, 1]);
    const valLabels = Array.from(d.validation!.y).sort();
    assert.equal(valLabels, [0, 0, 1, 1, 2, 2], "stratified: two of each class");
    assert.ok(Math.abs(d.test!.x[0]! - 10 / 255) < 1e-6);
  }
});

test("idx: wrong magic number", async () => {
  const dir = tmp();
  writeIdxSet(dir, 6);
  const bad = encodeIdx([6, 4, 4], new Array(96).fill(0));
  bad[0] = 0x50;
  writeFileSync(join(dir, "train-images-idx3-ubyte"), bad);
  await dataError(loadDataset(dataSpec({ kind: "idx", dir }), { seed: 1 }), /train-images-idx3-ubyte/, /wrong magic number 50 00 08 03 at byte offset 0/);
});

test("idx: truncated file (short read)", async () => {
  const dir = tmp();
  writeIdxSet(dir, 6);
  writeFileSync(join(dir, "train-images-idx3-ubyte"), encodeIdx([6, 4, 4], new Array(96).fill(0)).subarray(0, 16 + 50));
  await dataError(loadDataset(dataSpec({ kind: "idx", dir }), { seed: 1 }), /train-images-idx3-ubyte: short read/, /byte offset 66/, /50 of 96 values/);
  assert.throws(() => parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0]), "x.idx"), /truncated IDX header.*byte offset 6/);
});

test("idx: label/image count mismatch", async () => {
  const dir = tmp();
  writeIdxSet(dir, 6);
  writeFileSync(join(dir, "train-labels-idx1-ubyte"), encodeIdx([5], [0, 1, 2, 0, 1]));
  await dataError(loadDataset(dataSpec({ kind: "idx", dir }), { seed: 1 }), /count mismatch/, /holds 6 images/, /holds 5 labels/);
});

test("idx: labels outside the declared classes", async () => {
  const dir = tmp();
  writeIdxSet(dir, 6, [0, 1, 2, 7, 1, 0]);
  await dataError(loadDataset(dataSpec({ kind: "idx", dir }), { seed: 1 }), /train-labels-idx1-ubyte at byte offset 11/, /label 7 is outside the declared classes/);
});

test("idx: samples of the wrong size for the pipeline's input", async () => {
  const dir = tmp();
  writeIdxSet(dir, 6);
  await dataError(loadDataset(dataSpec({ kind: "idx", dir }, { inputs: [{ name: "x", transforms: [], shape: [5, 5] }] }), { seed: 1 }), /train-images-idx3-ubyte at byte offset 16/, /samples are 4×4 after the transforms but the pipeline's input is 5×5/);
  await dataError(loadDataset(dataSpec({ kind: "idx", dir }, { inputs: [{ name: "x", transforms: [{ op: "reshape", shape: [3, 3] }], shape: [3, 3] }] }), { seed: 1 }), /cannot be reshaped to 3×3/);
});

const csvSpec = (path: string, extra: Partial<DataSpec> = {}): DataSpec => ({
  source: { kind: "csv", path, label: "species" }, inputs: [{ name: "x", transforms: [{ op: "standardize" }], shape: [2] }],
  outputs: [{ name: "y", labels: { kind: "class", classes: 2, encoding: "sparse" } }], split: { test: { last: 2 } }, augment: [], shuffle: false, ...extra,
});

test("csv: header, class names, standardize fitted on the training rows", async () => {
  const dir = tmp();
  const f = join(dir, "iris.csv");
  writeFileSync(f, "a,b,species\n1,10,setosa\n2,20,virginica\n3,30,setosa\n\"4\",40,virginica\n100,1000,setosa\n200,2000,virginica\n");
  const d = await loadDataset(csvSpec(f), { seed: 3 });
  assert.is(d.train.n, 4);
  assert.is(d.test?.n, 2);
  assert.equal(d.classNames, ["setosa", "virginica"]);
  assert.equal(Array.from(d.train.y), [0, 1, 0, 1]);
  const mean = (k: number): number => [0, 1, 2, 3].reduce((a, i) => a + d.train.x[i * 2 + k]!, 0) / 4;
  assert.ok(Math.abs(mean(0)) < 1e-6 && Math.abs(mean(1)) < 1e-6, "train features centred");
  assert.ok(d.test!.x[0]! > 10, "test standardized with the training statistics");
});

test("csv: a row with the wrong column count names the line", async () => {
  const dir = tmp();
  const f = join(dir, "bad.csv");
  writeFileSync(f, "a,b,species\n1,2,x\n3,4\n");
  await dataError(loadDataset(csvSpec(f, { split: {} }), { seed: 1 }), new RegExp(`${f.replace(/[.]/g, "\\.")}:3: expected 3 columns as in the header, found 2`));
});

test("csv: a non-numeric cell names the line and the column", async () => {
  const dir = tmp();
  const f = join(dir, "bad.csv");
  writeFileSync(f, "a,b,species\n1,2,x\n3,4,y\n5,abc,x\n");
  await dataError(loadDataset(csvSpec(f, { split: {} }), { seed: 1 }), /bad\.csv:4: column "b" is not a number: "abc"/);
});

test("csv: numeric labels outside the declared classes name the line", async () => {
  const dir = tmp();
  const f = join(dir, "bad.csv");
  writeFileSync(f, "a,b,species\n1,2,0\n3,4,1\n5,6,2\n");
  await dataError(loadDataset(csvSpec(f, { split: {} }), { seed: 1 }), /bad\.csv:4 \(column "species"\): label 2 is outside the declared classes/);
});

function png(w: number, h: number, v: number): Buffer {
  const p = new PNG({ width: w, height: h });
  p.data.fill(v);
  for (let i = 3; i < p.data.length; i += 4) p.data[i] = 255;
  return PNG.sync.write(p);
}

function jpg(w: number, h: number, v: number): Buffer {
  const data = Buffer.alloc(w * h * 4, v);
  return jpeg.encode({ data, width: w, height: h }, 95).data;
}

const imageSpec = (dir: string, extra: Partial<DataSpec> = {}): DataSpec => ({
  source: { kind: "images", dir, size: [4, 4], channels: 1 }, inputs: [{ name: "x", transforms: [{ op: "scale", by: 1 / 255 }], shape: [4, 4, 1] }],
  outputs: [{ name: "y", labels: { kind: "class", classes: 2, encoding: "onehot" } }], split: {}, augment: [], shuffle: true, ...extra,
});

test("images: PNG and JPEG in class folders, resized", async () => {
  const dir = tmp();
  mkdirSync(join(dir, "cat"));
  mkdirSync(join(dir, "dog"));
  writeFileSync(join(dir, "cat", "a.png"), png(8, 8, 200));
  writeFileSync(join(dir, "cat", "b.jpg"), jpg(6, 10, 100));
  writeFileSync(join(dir, "dog", "c.png"), png(4, 4, 50));
  const d = await loadDataset(imageSpec(dir), { seed: 1 });
  assert.is(d.train.n, 3);
  assert.equal(d.classNames, ["cat", "dog"]);
  assert.equal(Array.from(d.train.y), [0, 0, 1]);
  assert.ok(Math.abs(d.train.x[0]! - 200 / 255) < 0.01);
  assert.ok(Math.abs(d.train.x[16]! - 100 / 255) < 0.03, "jpeg decoded");
});

test("images: a corrupt file and an image of the wrong size are DataErrors naming the file", async () => {
  const dir = tmp();
  mkdirSync(join(dir, "cat"));
  writeFileSync(join(dir, "cat", "a.png"), png(4, 4, 1));
  writeFileSync(join(dir, "cat", "broken.png"), png(4, 4, 1).subarray(0, 30));
  await dataError(loadDataset(imageSpec(dir), { seed: 1 }), /broken\.png: cannot decode this PNG: /);
  writeFileSync(join(dir, "cat", "broken.png"), Buffer.from("hello"));
  await dataError(loadDataset(imageSpec(dir), { seed: 1 }), /broken\.png: not a PNG or JPEG image/);
  const dir2 = tmp();
  mkdirSync(join(dir2, "cat"));
  writeFileSync(join(dir2, "cat", "a.png"), png(4, 4, 1));
  await dataError(loadDataset(imageSpec(dir2, { inputs: [{ name: "x", transforms: [{ op: "scale", by: 1 / 255 }], shape: [8, 8, 1] }] }), { seed: 1 }), /a\.png: samples are 4×4×1 after the transforms but the pipeline's input is 8×8×1/);
});

test("a missing named source lists every place looked and the install command", async () => {
  const saved = process.env["DLP_DATA"];
  process.env["DLP_DATA"] = tmp();
  try {
    await dataError(loadDataset(dataSpec({ kind: "cifar10" }), { seed: 1 }), /cifar10/, /cifar-10-batches-bin/);
    await dataError(loadDataset(dataSpec({ kind: "imdb" }), { seed: 1 }), /imdb\/train\.txt|imdb \(train\.txt/);
  } finally {
    if (saved === undefined) delete process.env["DLP_DATA"]; else process.env["DLP_DATA"] = saved;
  }
});

test("imdb text format: ids per line, num_words, pad_sequences", async () => {
  const root = tmp();
  mkdirSync(join(root, "imdb"));
  writeFileSync(join(root, "imdb", "train.txt"), "1\t1 14 22 5000\n0\t1 3\n1\t1 9 9 9 9 9 9\n");
  const saved = process.env["DLP_DATA"];
  process.env["DLP_DATA"] = root;
  try {
    const d = await loadDataset({
      source: { kind: "imdb", numWords: 100 }, inputs: [{ name: "x", transforms: [{ op: "pad_sequences", maxlen: 4, padding: "pre", truncating: "pre", value: 0 }], shape: [4] }], outputs: [{ name: "y", labels: { kind: "binary" } }], split: {}, augment: [], shuffle: false,
    }, { seed: 1 });
    assert.equal(Array.from(d.train.x.subarray(0, 12)), [1, 14, 22, 2, 0, 0, 1, 3, 9, 9, 9, 9]);
  } finally {
    if (saved === undefined) delete process.env["DLP_DATA"]; else process.env["DLP_DATA"] = saved;
  }
});

test("fashion_mnist resolves from the Debian package when installed", async () => {
  const d = await loadDataset({
    source: { kind: "fashion_mnist" }, inputs: [{ name: "x", transforms: [{ op: "scale", by: 1 / 255 }, { op: "reshape", shape: [28, 28, 1] }], shape: [28, 28, 1] }],
    outputs: [{ name: "y", labels: { kind: "class", classes: 10, encoding: "onehot" } }], split: { validation: { last: 100 } }, augment: [], shuffle: true,
  }, { seed: 1, limit: 500 });
  assert.is(d.train.n, 400);
  assert.is(d.validation?.n, 100);
  assert.is(d.test?.n, 500);
  assert.is(d.classNames?.[9], "Ankle boot");
});

test.run();
