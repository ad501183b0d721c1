// The CIFAR-10 binary loader on a tiny fixture in the real format (records of 1 label byte and
// 3072 pixel bytes: the red, green and blue 32×32 planes), through the data spec that dlpc emits
// for pipelines/cifar10_cnn.dlp; then truncated and corrupt files, each a DataError naming the
// file and the byte offset; and one short training run of the compiled pipeline.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { loadDataset, runPipeline, type CompiledPipeline, type DataSpec } from "dlp/runtime";
import { dataError, withData } from "./data_error.ts";
import { compilePipeline } from "./compiled.ts";

const RECORD = 3073;
const pixel = (r: number, c: number, k: number): number => (r * 7 + c * 50 + k) % 256;

/** `n` records starting at record number `first`; labels `label(r)`. */
function batch(first: number, n: number, label: (r: number) => number = (r) => r % 10): Buffer {
  const b = Buffer.alloc(n * RECORD);
  for (let i = 0; i < n; i++) {
    const r = first + i;
    b[i * RECORD] = label(r);
    for (let c = 0; c < 3; c++) for (let k = 0; k < 1024; k++) b[i * RECORD + 1 + c * 1024 + k] = pixel(r, c, k);
  }
  return b;
}

/** $DLP_DATA with cifar-10-batches-bin/: five training batches of `per` records and a test batch of 6. */
function fixture(per = 4, gz = false): { root: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), "dlp-cifar-"));
  const dir = join(root, "cifar-10-batches-bin");
  mkdirSync(dir);
  const w = (name: string, b: Buffer): void => writeFileSync(join(dir, name), gz ? gzipSync(b) : b);
  for (let i = 1; i <= 5; i++) w(`data_batch_${i}.bin`, batch((i - 1) * per, per));
  w("test_batch.bin", batch(1000, 6));
  return { root, dir };
}

let compiled: CompiledPipeline | null = null;
async function cifar(): Promise<CompiledPipeline> {
  compiled ??= (await compilePipeline("pipelines/cifar10_cnn.dlp")).pipeline;
  return compiled;
}

async function spec(extra: Partial<DataSpec> = {}): Promise<DataSpec> {
  const p = await cifar();
  // The pipeline's own `validation last 5000` needs the real 50 000 images; the fixture has 20.
  return { ...p.data(p.defaults), split: { validation: { last: 4 } }, shuffle: false, ...extra };
}

test("cifar10: five training batches and the test batch, channels-last samples, labels and class names", async () => {
  for (const gz of [false, true]) {
    const { root } = fixture(4, gz);
    const d = await withData(root, async () => loadDataset(await spec(), { seed: 1 }));
    assert.equal(d.inputShape, [32, 32, 3]);
    assert.is(d.train.n, 16);
    assert.is(d.validation?.n, 4);
    assert.is(d.test?.n, 6);
    assert.is(d.classNames?.[0], "airplane");
    assert.is(d.classNames?.[9], "truck");
    // Records in file order (batch 1 first); validation is the last 4 (batch 5).
    assert.equal(Array.from(d.train.y), Array.from({ length: 16 }, (_, r) => r % 10));
    assert.equal(Array.from(d.validation!.y), [16, 17, 18, 19].map((r) => r % 10));
    assert.equal(Array.from(d.test!.y), [1000, 1001, 1002, 1003, 1004, 1005].map((r) => r % 10));
    // Pixel (row p, column q, channel c) of record r comes from plane c at p·32 + q, scaled by 1/255.
    for (const [r, p, q, c] of [[0, 0, 0, 0], [3, 5, 7, 1], [9, 31, 31, 2], [15, 12, 0, 2]] as const) {
      const got = d.train.x[r * 3072 + (p * 32 + q) * 3 + c]!;
      assert.ok(Math.abs(got - pixel(r, c, p * 32 + q) / 255) < 1e-6, `record ${r} (${p}, ${q}, ${c}): ${got}`);
    }
    const t = d.test!.x[2 * 3072 + (1 * 32 + 2) * 3 + 1]!;
    assert.ok(Math.abs(t - pixel(1002, 1, 34) / 255) < 1e-6, "test batch pixels");
  }
});

test("cifar10: `validation last N` under --limit: absolute while it fits, else the same proportion", async () => {
  const { root } = fixture(4);
  // last 4 with --limit 10: still the last 4.
  const a = await withData(root, async () => loadDataset(await spec({ split: { validation: { last: 4 } } }), { seed: 1, limit: 10 }));
  assert.is(a.train.n, 6);
  assert.equal(Array.from(a.validation!.y), [6, 7, 8, 9]);
  assert.is(a.test?.n, 6, "the test batch holds only 6");
  // last 12 of 20 would leave nothing of the 10 kept: 12/20 of them, the last 6, validate.
  const b = await withData(root, async () => loadDataset(await spec({ split: { validation: { last: 12 } } }), { seed: 1, limit: 10 }));
  assert.is(b.train.n, 4);
  assert.equal(Array.from(b.validation!.y), [4, 5, 6, 7, 8, 9]);
});

test("cifar10: a truncated batch names the file and the byte offset of the cut record", async () => {
  const { root, dir } = fixture(4);
  writeFileSync(join(dir, "data_batch_3.bin"), batch(8, 4).subarray(0, 2 * RECORD + 100));
  await withData(root, async () => dataError(loadDataset(await spec(), { seed: 1 }),
    /data_batch_3\.bin: truncated CIFAR-10 batch/, /record at byte offset 6146 has 100 of its 3073 bytes/));
  writeFileSync(join(dir, "data_batch_3.bin"), Buffer.alloc(0));
  await withData(root, async () => dataError(loadDataset(await spec(), { seed: 1 }), /data_batch_3\.bin: empty CIFAR-10 batch/));
});

test("cifar10: a corrupt label byte names the file and its byte offset", async () => {
  const { root, dir } = fixture(4);
  writeFileSync(join(dir, "data_batch_2.bin"), batch(4, 4, (r) => (r === 6 ? 200 : r % 10)));
  await withData(root, async () => dataError(loadDataset(await spec(), { seed: 1 }),
    /data_batch_2\.bin at byte offset 6146/, /label 200 is outside the declared classes/));
  // The test batch is checked too, before training.
  const f2 = fixture(4);
  writeFileSync(join(f2.dir, "test_batch.bin"), batch(0, 2, () => 10));
  await withData(f2.root, async () => dataError(loadDataset(await spec(), { seed: 1 }), /test_batch\.bin at byte offset 0/, /label 10/));
});

test("cifar10: a corrupt gzip stream and a missing batch", async () => {
  const { root, dir } = fixture(4);
  writeFileSync(join(dir, "data_batch_4.bin"), Buffer.concat([gzipSync(batch(0, 1)).subarray(0, 40)]));
  await withData(root, async () => dataError(loadDataset(await spec(), { seed: 1 }), /data_batch_4\.bin: the gzip stream ends early \(the file is truncated\); the file is damaged: fetch or copy it again \(cause: unexpected end of file\)/));
  const f2 = fixture(4);
  const { rmSync } = await import("node:fs");
  rmSync(join(f2.dir, "data_batch_5.bin"));
  await withData(f2.root, async () => dataError(loadDataset(await spec(), { seed: 1 }), /cifar10 \(data_batch_1\.bin/, /cifar-10-batches-bin/, /cs\.toronto\.edu/));
});

test("cifar10_cnn.dlp trains on the fixture (shapes of data and model agree end to end)", async () => {
  const { root } = fixture(8);
  const p = await cifar();
  const r = await withData(root, () => runPipeline({ ...p, data: (q) => ({ ...p.data(q), split: { validation: { last: 8 } } }) },
    { backend: "wasm", epochs: 1, quiet: true, save: false, report: false }));
  assert.is(r.epochsRun, 1);
  assert.ok(Number.isFinite(r.history["loss"]![0]!));
  assert.is(r.metrics.test ? r.metrics.evaluatedOn : null, "test");
  assert.is(r.metrics.confusionMatrix?.length, 10);
  r.model.dispose();
});

test.run();
