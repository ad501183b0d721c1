// Round trip: every pipeline (.dlp) → compile → the emitted module builds the tfjs model →
// model.toJSON() → dlpc import → .dlp → the same summary (layer types, output shapes,
// params, totals) as the original.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compilePipeline } from "../runtime/compiled.ts";
import { importModel } from "../../compiler/import/importer.ts";
import { compile } from "../../compiler/driver.ts";
import { summaryJson } from "../../compiler/summary.ts";
import { formatDlp } from "../../compiler/format/format.ts";
import { tf } from "dlp/runtime";
import { dlpFiles } from "../dlp_files.ts";

const FILES = dlpFiles("pipelines");

for (const file of FILES) {
  test(`round trip ${file}`, async () => {
    await tf.setBackend("cpu");
    const c = await compilePipeline(file);
    const model = c.pipeline.buildModel(c.pipeline.defaults);
    const json = JSON.stringify(model.toJSON(null, false));
    model.dispose();
    const imported = importModel(json, `${c.summary.pipeline}.json`);
    const r = compile(imported.text, { file: "imported.dlp" });
    assert.not.ok(r.hasErrors, r.diagnostics.map((d) => d.message).join("\n") + "\n" + imported.text);
    const got = summaryJson(r.checked!);
    const want = c.summary;
    // A graph with branches has several topological orders (tfjs lists layers by depth, the
    // .dlp by the order they were written), so layers compare as a sorted list without names.
    const rows = (s: typeof got) => s.layers.map((l) => `${l.type} ${JSON.stringify(l.outputShape)} ${l.params}`).sort();
    assert.equal(rows(got), rows(want), imported.text);
    assert.equal([got.totalParams, got.trainableParams, got.nonTrainableParams], [want.totalParams, want.trainableParams, want.nonTrainableParams]);
    if (imported.text.match(/ = /) === null) assert.equal(got.layers, want.layers, "a sequential model keeps its order and names");
    const f = formatDlp(imported.text);
    assert.ok(f.ok && !f.changed, "the import writes canonically formatted text");
  });
}

test.run();
