// `dlpc check` against the user's data files (issue 13, point 2): the declared input shape and
// labels of `csv(…)`, `idx(…)` and `images(…)` sources are compared with what a bounded read of
// the files shows. The error goldens (tests/golden/errors/data_*.dlp) show the terminal text;
// this file covers the IDX path, binary labels, class names, and the rule that facts change
// diagnostics only, never the emitted code.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../../compiler/driver.ts";
import { emitPipeline } from "../../compiler/codegen/emit.ts";
import { encodeIdx } from "../../runtime/data/idx.ts";

const dir = mkdtempSync(join(tmpdir(), "dlp-facts-"));
const idxDir = join(dir, "digits");
mkdirSync(idxDir);
writeFileSync(join(idxDir, "train-images-idx3-ubyte"), encodeIdx([4, 8, 8], new Uint8Array(256)));
writeFileSync(join(idxDir, "train-labels-idx1-ubyte"), encodeIdx([4], [0, 3, 11, 2]));

const idxPipeline = (dir: string, x: string, y: string) => `pipeline p {
  data {
    source idx(${JSON.stringify(dir)})
    x = images / 255 as ${x}
    y = labels as ${y}
  }
  model {
    flatten()
    dense(12, activation: softmax)
  }
  train { loss sparse_categorical_crossentropy }
}
`;
const codes = (text: string) => compile(text, { file: "p.dlp" }).diagnostics.map((d) => `${d.severity}:${d.code}`);

test("an IDX folder's image dims are checked against `as image[…]`", () => {
  const r = compile(idxPipeline(idxDir, "image[28, 28, 1]", "class(12)"), { file: "p.dlp" });
  const e = r.diagnostics.find((d) => d.code === "DLP4003");
  assert.ok(e, JSON.stringify(r.diagnostics));
  assert.is(e!.message, "the data holds 64 values per sample, `image[28, 28, 1]` needs 784");
  assert.is(e!.help, "write `image[8, 8, 1]`");
  assert.match(e!.notes.join("\n"), /train-images-idx3-ubyte \(IDX header: 4×8×8\)/);
  assert.equal(codes(idxPipeline(idxDir, "image[8, 8, 1]", "class(12)")), []);
});

test("IDX labels above the declared classes name the label's byte offset", () => {
  const r = compile(idxPipeline(idxDir, "image[8, 8, 1]", "class(10)"), { file: "p.dlp" });
  const e = r.diagnostics.find((d) => d.code === "DLP4006");
  assert.ok(e, JSON.stringify(r.diagnostics));
  assert.is(e!.message, "labels go up to 11, outside the declared 10 classes");
  assert.match(e!.notes[0]!, /train-labels-idx1-ubyte at byte offset 10 \(label 2\): 11/);
  assert.is(e!.help, "write `class(12)`");
});

const csvPipeline = (file: string, y: string) => `pipeline p {
  data {
    source csv(${JSON.stringify(file)})
    x = features as vector[1]
    y = labels as ${y}
  }
  model { dense(1, activation: sigmoid) }
  train { loss binary_crossentropy }
}
`;

test("binary labels other than 0 and 1, and more class names than classes, are errors", () => {
  const ids = join(dir, "ids.csv");
  writeFileSync(ids, "x,label\n1,0\n2,2\n");
  assert.equal(codes(csvPipeline(ids, "binary")), ["error:DLP4006"]);
  const names = join(dir, "names.csv");
  writeFileSync(names, "x,label\n1,cat\n2,dog\n3,emu\n");
  assert.equal(codes(csvPipeline(names, "binary")), ["error:DLP4006"]);
  writeFileSync(names, "x,label\n1,cat\n2,dog\n");
  assert.equal(codes(csvPipeline(names, "binary")), []);
  const frac = join(dir, "frac.csv");
  writeFileSync(frac, "x,label\n1,0.5\n");
  assert.equal(codes(csvPipeline(frac, "class(2)")), ["error:DLP4011"]);
});

test("an absent file is an info note, and the emitted code is the same with or without the data", () => {
  const file = join(dir, "later.csv");
  const text = csvPipeline(file, "binary");
  const before = compile(text, { file: "p.dlp" });
  assert.equal(before.diagnostics.map((d) => `${d.severity}:${d.code}`), ["info:DLP4012"]);
  writeFileSync(file, "x,label\n1,0\n2,1\n");
  const after = compile(text, { file: "p.dlp" });
  assert.equal(after.diagnostics, []);
  assert.is(emitPipeline(after.checked!, "p.dlp", after.sourceHash), emitPipeline(before.checked!, "p.dlp", before.sourceHash));
});

test("`split test` on an idx folder: an error when its files hold a test set, nothing when they do not", () => {
  const withSplit = idxPipeline(idxDir, "image[8, 8, 1]", "class(12)").replace("y = labels as class(12)", "y = labels as class(12)\n    split test 20%");
  assert.equal(codes(withSplit), [], "no t10k files: the split is the only test set");
  const d = join(dir, "digits-with-test");
  mkdirSync(d);
  writeFileSync(join(d, "train-images-idx3-ubyte"), encodeIdx([4, 8, 8], new Uint8Array(256)));
  writeFileSync(join(d, "train-labels-idx1-ubyte"), encodeIdx([4], [0, 3, 11, 2]));
  writeFileSync(join(d, "t10k-images-idx3-ubyte"), encodeIdx([1, 8, 8], new Uint8Array(64)));
  writeFileSync(join(d, "t10k-labels-idx1-ubyte"), encodeIdx([1], [5]));
  const r = compile(withSplit.replace(JSON.stringify(idxDir), JSON.stringify(d)), { file: "p.dlp" });
  assert.equal(r.diagnostics.map((x) => `${x.severity}:${x.code}`), ["error:DLP4007"]);
  assert.match(r.diagnostics[0]!.message, /whose folder holds its own test set/);
});

test.run();
