// k-fold cross-validation (`split kfold K [stratified]`): the folds partition the training pool
// (disjoint, every sample validates once, classes in proportion when stratified); a run trains
// every fold and writes per-fold metrics with their mean and std; the checker's errors.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadDataset, runPipeline } from "dlp/runtime";
import { kfoldAssign } from "../../runtime/data/dataset.ts";
import { mulberry32 } from "../../runtime/rng.ts";
import { compile } from "../../compiler/driver.ts";
import { compileText, scratchDir } from "./compiled.ts";
import { trialRunner } from "../../runtime/tune/trial.ts";

test("kfoldAssign deals equal folds, and per class when stratified", () => {
  const plain = kfoldAssign(20, 5, false, () => 0, mulberry32(1));
  for (let f = 0; f < 5; f++) assert.is(plain.filter((x) => x === f).length, 4);
  const y = Array.from({ length: 20 }, (_, i) => (i < 15 ? 0 : 1));
  const strat = kfoldAssign(20, 5, true, (i) => y[i]!, mulberry32(1));
  for (let f = 0; f < 5; f++) {
    const members = [...strat.keys()].filter((i) => strat[i] === f);
    assert.equal([members.filter((i) => y[i] === 0).length, members.filter((i) => y[i] === 1).length], [3, 1], `fold ${f}`);
  }
  assert.throws(() => kfoldAssign(3, 5, false, () => 0, mulberry32(1)), /split kfold 5: only 3 training samples, fewer than the folds/);
});

const text = (split: string): string => `pipeline cv {
  seed 2
  data {
    source mnist
    x = images / 255 as vector[784]
    y = labels as class(10)
    ${split}
  }
  model {
    dense(8, activation: relu)
    dense(10, activation: softmax)
  }
  train {
    loss sparse_categorical_crossentropy
    batch 32
    epochs 1
    metrics accuracy
  }
  evaluate test { accuracy }
}
`;

test("the checker reads split kfold K [stratified] and rejects bad fold counts", () => {
  const ok = compile(text("split kfold 3 stratified"), { file: "cv.dlp" });
  assert.not.ok(ok.hasErrors, ok.diagnostics.map((d) => d.message).join("\n"));
  assert.equal(ok.checked?.data?.split.kfold, { k: 3, stratified: true });
  for (const [bad, re] of [["split kfold 1", /`kfold` takes a number of folds, 2 or more/], ["split kfold 3 shuffled", /unexpected `shuffled` in split kfold/]] as const) {
    const r = compile(text(bad), { file: "cv.dlp" });
    assert.ok(r.diagnostics.some((d) => d.code === "DLP2004" && re.test(d.message)), `${bad}: ${r.diagnostics.map((d) => d.message).join("; ")}`);
  }
});

test("the folds partition the training pool: disjoint, each sample validates once", async () => {
  const { pipeline } = await compileText(text("split kfold 3 stratified"), "cv.dlp");
  const spec = pipeline.data(pipeline.defaults);
  const rows = new Map<string, number>();
  let total = 0;
  for (let f = 0; f < 3; f++) {
    const d = await loadDataset(spec, { seed: 2, limit: 90, fold: f });
    assert.is(d.validation!.n + d.train.n, 90);
    total += d.validation!.n;
    for (let i = 0; i < d.validation!.n; i++) {
      const key = Buffer.from(d.validation!.x.buffer, i * 784 * 4, 784 * 4).toString("base64") + d.validation!.y[i];
      rows.set(key, (rows.get(key) ?? 0) + 1);
    }
  }
  assert.is(total, 90);
  assert.ok([...rows.values()].every((c) => c === 1), "no sample validates twice");
  const both = await compileText(text("split kfold 3\n    split validation 10%"), "cv.dlp");
  let err: Error | null = null;
  try { await loadDataset(both.pipeline.data(both.pipeline.defaults), { seed: 2, limit: 90 }); } catch (e) { err = e as Error; }
  assert.match(err?.message ?? "", /split kfold and split validation are both given/);
});

test("a k-fold run trains every fold and writes per-fold metrics, mean and std", async () => {
  const cwd = scratchDir("kfold");
  const { pipeline } = await compileText(text("split kfold 3 stratified"), "cv.dlp");
  const r = await runPipeline(pipeline, { backend: "cpu", limit: 90, out: cwd, quiet: true });
  r.model.dispose();
  const m = JSON.parse(readFileSync(join(r.dir, "metrics.json"), "utf8"));
  const cv = m.crossValidation;
  assert.is(cv.k, 3);
  assert.is(cv.folds.length, 3);
  const vals = cv.folds.map((f: { final: Record<string, number> }) => f.final["val_loss"]!);
  const mean = vals.reduce((a: number, b: number) => a + b, 0) / 3;
  assert.ok(Math.abs(cv.mean["val_loss"] - mean) < 1e-12);
  assert.ok(Math.abs(cv.std["val_loss"] - Math.sqrt(vals.reduce((a: number, v: number) => a + (v - mean) ** 2, 0) / 3)) < 1e-12);
  assert.ok(typeof cv.mean["test_accuracy"] === "number");
  for (const f of ["1", "2", "3"]) assert.ok(existsSync(join(r.dir, "folds", f, "model.json")), `fold ${f} saved`);
  const fm = JSON.parse(readFileSync(join(r.dir, "folds", "2", "metrics.json"), "utf8"));
  assert.match(fm.data, /60 train, 30 validation/);
  // The run's history (what a tuner's objective reads) is the mean over the folds.
  const fh = [1, 2, 3].map((f) => JSON.parse(readFileSync(join(r.dir, "folds", String(f), "history.json"), "utf8")) as Record<string, number[]>);
  const want = fh.reduce((a, h) => a + h["val_accuracy"]![0]!, 0) / 3;
  assert.ok(Math.abs(r.history["val_accuracy"]![0]! - want) < 1e-12, `history ${r.history["val_accuracy"]} vs mean ${want}`);
  assert.equal(JSON.parse(readFileSync(join(r.dir, "history.json"), "utf8")), r.history);
  assert.ok(Math.abs(m.final["val_loss"] - cv.mean["val_loss"]) < 1e-12, "metrics.final is the cross-validated mean");

  // report.html beside metrics.json: a row per fold linking its report, then mean ± std.
  const html = readFileSync(join(r.dir, "report.html"), "utf8");
  assert.match(html, /<h1>cv: 3-fold cross-validation \(stratified\)<\/h1>/);
  for (const f of [1, 2, 3]) {
    assert.match(html, new RegExp(`<tr data-fold="${f}"><td><a href="folds/${f}/report\\.html">fold ${f}</a></td>`));
    assert.ok(existsSync(join(r.dir, "folds", String(f), "report.html")), `fold ${f}'s report exists`);
    assert.ok(html.includes(`<td>${cv.folds[f - 1].final["val_loss"].toFixed(4)}</td>`), `fold ${f}'s val_loss is in its row`);
  }
  const meanCell = (key: string): string => `<td data-metric="${key}">${cv.mean[key].toFixed(4)} ± ${cv.std[key].toFixed(4)}</td>`;
  for (const key of ["val_loss", "val_accuracy", "test_accuracy"]) assert.ok(html.includes(meanCell(key)), `mean ± std of ${key}: ${meanCell(key)} in ${/<tfoot>.*<\/tfoot>/.exec(html)?.[0]}`);
  assert.not.ok(existsSync(join(r.dir, "kfold.json")) || existsSync(`${r.dir}.partial`), "no resume leftovers in a finished run");
});

test("a tuning trial of a k-fold pipeline is scored on the cross-validated mean (issue 15: the objective can be the CV mean)", async () => {
  const cwd = scratchDir("kfold-trial");
  const { pipeline } = await compileText(text("split kfold 3 stratified").replace("epochs 1", "epochs 2"), "cv.dlp");
  const runner = await trialRunner(pipeline, { trialsDir: cwd, backend: "cpu", limit: 90, metric: "val_accuracy", direction: "maximize" });
  const outcome = await runner.objective({ number: 1, params: {}, seed: 5, initialEpoch: 0 });
  const folds = [1, 2, 3].map((f) => JSON.parse(readFileSync(join(cwd, "1", "folds", String(f), "history.json"), "utf8")) as Record<string, number[]>);
  const mean = [0, 1].map((e) => folds.reduce((a, h) => a + h["val_accuracy"]![e]!, 0) / 3);
  const best = mean[1]! > mean[0]! ? 1 : 0;
  assert.ok(Math.abs(outcome.metrics["val_accuracy"]! - mean[best]!) < 1e-12, `objective ${outcome.metrics["val_accuracy"]} vs the folds' mean ${mean}`);
  assert.is(outcome.epochsRun, 2);
});

test.run();
