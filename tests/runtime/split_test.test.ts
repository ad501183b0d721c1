// `split test N%` carves a test set out of the training data. On a source that has its own test
// set it would be ignored: that is an error naming the source, not silence; on a source with
// none, it carves one.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDataset, type DataSpec } from "dlp/runtime";
import { dataError } from "./data_error.ts";
import { encodeIdx } from "../../runtime/data/idx.ts";

function idxDir(withTest: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), "dlp-split-"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "train-images-idx3-ubyte"), encodeIdx([20, 4, 4], Array.from({ length: 320 }, (_, i) => (i * 7) % 256)));
  writeFileSync(join(dir, "train-labels-idx1-ubyte"), encodeIdx([20], Array.from({ length: 20 }, (_, i) => i % 2)));
  if (withTest) {
    writeFileSync(join(dir, "t10k-images-idx3-ubyte"), encodeIdx([6, 4, 4], new Array(96).fill(10)));
    writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), encodeIdx([6], [0, 1, 0, 1, 0, 1]));
  }
  return dir;
}

const spec = (dir: string, test: { fraction?: number; last?: number }): DataSpec => ({
  source: { kind: "idx", dir }, inputs: [{ name: "x", transforms: [{ op: "reshape", shape: [4, 4, 1] }], shape: [4, 4, 1] }],
  outputs: [{ name: "y", labels: { kind: "class", classes: 2, encoding: "sparse" } }], split: { test }, augment: [], shuffle: true,
});

test("split test on a source with its own test set is an error", async () => {
  await dataError(loadDataset(spec(idxDir(true), { fraction: 0.3 }), { seed: 1 }), /^`split test 30%`: the source has its own test set \(/, /remove the `split test` line/);
  await dataError(loadDataset(spec(idxDir(true), { last: 5 }), { seed: 1 }), /^`split test last 5`:/);
});

test("split test on a source without one carves it from the training data", async () => {
  const d = await loadDataset(spec(idxDir(false), { fraction: 0.3 }), { seed: 1 });
  assert.ok(d.test, "a test set");
  assert.is(d.test!.n, 6);
  assert.is(d.train.n, 14);
});

test.run();
