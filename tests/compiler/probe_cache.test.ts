// The check-time data probe on a keystroke re-check (issue 13: the language server re-checks on
// every edit): a pipeline whose csv / idx / images files are there reads them on its first
// check only; re-checks of the same or an edited text answer from the cache (path + mtime +
// size) and read no file contents; a data file that changes is read again. Plus the declared
// label values of an IDX source checked against its label bytes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { compile } from "../../compiler/driver.ts";
import { encodeIdx } from "../../runtime/data/idx.ts";
import { clearProbeCache, probeReads } from "../../runtime/data/probe.ts";

const dir = mkdtempSync(join(tmpdir(), "dlp-probe-cache-"));
const csvFile = join(dir, "t.csv");
writeFileSync(csvFile, "a,b,label\n" + Array.from({ length: 50 }, (_, i) => `${i},${i * 2},${i % 3}`).join("\n") + "\n");
const idxDir = join(dir, "digits");
mkdirSync(idxDir);
writeFileSync(join(idxDir, "train-images-idx3-ubyte"), encodeIdx([4, 8, 8], new Uint8Array(256)));
writeFileSync(join(idxDir, "train-labels-idx1-ubyte"), encodeIdx([4], [0, 3, 11, 2]));
const imgDir = join(dir, "shapes");
for (const c of ["circle", "square"]) {
  mkdirSync(join(imgDir, c), { recursive: true });
  writeFileSync(join(imgDir, c, "a.png"), PNG.sync.write(new PNG({ width: 4, height: 4 })));
}

const pipeline = (source: string, x: string, y: string, units: number) => `pipeline p {
  data {
    source ${source}
    x = ${x}
    y = labels as ${y}
  }
  model {
    flatten()
    dense(${units}, activation: softmax)
  }
  train { loss sparse_categorical_crossentropy }
}
`;
const cases = [
  { name: "csv", text: (u: number) => pipeline(`csv(${JSON.stringify(csvFile)})`, "features as vector[2]", "class(3)", u).replace("flatten()\n", ""), file: csvFile, units: 3 },
  { name: "idx", text: (u: number) => pipeline(`idx(${JSON.stringify(idxDir)})`, "images / 255 as image[8, 8, 1]", "class([0, 2, 3, 11])", u), file: join(idxDir, "train-labels-idx1-ubyte"), units: 4 },
  { name: "images", text: (u: number) => pipeline(`images(${JSON.stringify(imgDir)}, size: [4, 4], channels: 1)`, "images / 255 as image[4, 4, 1]", "class(2)", u), file: join(imgDir, "square", "a.png"), units: 2 },
];
const errors = (text: string) => compile(text, { file: "p.dlp" }).diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`);

for (const c of cases) {
  test(`${c.name}: the first check reads the files, keystroke re-checks read nothing, a changed file is read again`, () => {
    clearProbeCache();
    const r0 = probeReads();
    assert.equal(errors(c.text(c.units)), []);
    const r1 = probeReads();
    assert.ok(r1 > r0, "the first check reads the data");
    for (let k = 0; k < 5; k++) assert.equal(errors(c.text(c.units)), []);
    // A keystroke: the output width typed one digit at a time (an error on the way).
    assert.is(errors(c.text(c.units + 10)).length, 1);
    assert.equal(errors(c.text(c.units)), []);
    assert.is(probeReads(), r1, "re-checks of an unchanged file read no contents");
    utimesSync(c.file, new Date(), new Date(Date.now() + 10_000));
    if (c.name === "images") utimesSync(join(imgDir, "square"), new Date(), new Date(Date.now() + 10_000));
    assert.equal(errors(c.text(c.units)), []);
    assert.ok(probeReads() > r1, "a changed file is read again");
  });
}

test("idx: class([…]) is checked against the label bytes; a missing value names its byte offset", () => {
  const text = pipeline(`idx(${JSON.stringify(idxDir)})`, "images / 255 as image[8, 8, 1]", "class([0, 2, 3])", 3);
  const d = compile(text, { file: "p.dlp" }).diagnostics.find((x) => x.code === "DLP4006");
  assert.ok(d, "a label not listed is an error");
  assert.is(d!.message, 'label "11" is not one of the declared classes');
  assert.match(d!.notes.join("\n"), /train-labels-idx1-ubyte at byte offset 10 \(label 2\): "11"/);
  // from: numbers the labels; 0..11 do not fit 4 classes from 0.
  assert.match(errors(pipeline(`idx(${JSON.stringify(idxDir)})`, "images / 255 as image[8, 8, 1]", "class(4, from: 1)", 4)).join("\n"), /DLP4006 the data has label 0, below `from: 1`/);
});

test.run();
