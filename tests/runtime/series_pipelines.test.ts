// pipelines/series_seq2seq.dlp and series_tagger.dlp end to end (issue 13): their generator
// (pipelines/series_data.ts) writes the data, `dlpc run` trains each for a few epochs, and each
// must learn what a model that ignores the time axis cannot. The seq2seq regressor's test MSE
// must fall below a fifth of the test targets' variance (what predicting their mean scores);
// measured 0.033 against a variance near 1 after 6 epochs. The tagger's per-step accuracy must
// reach 0.7 where the most frequent regime is under 0.4 of the test steps; measured 0.911 after
// 6 epochs.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, scratchDir } from "./compiled.ts";
import { writeSeriesData } from "../../pipelines/series_data.ts";

const dlpc = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [join(REPO, "bin", "dlpc.mjs"), ...args], { cwd, encoding: "utf8", timeout: 480_000 });

function generated(): string {
  const cwd = scratchDir("series-pipelines");
  writeSeriesData(join(cwd, "data"));
  return cwd;
}

/** The last `fraction` of a CSV column's values (a window source's test rows). */
function lastRows(file: string, column: string, fraction: number): number[] {
  const [head, ...rows] = readFileSync(file, "utf8").trim().split("\n");
  const c = head!.split(",").indexOf(column);
  const vals = rows.map((r) => Number(r.split(",")[c]));
  return vals.slice(vals.length - Math.round(fraction * vals.length));
}

test("series_seq2seq: a gru with per-step outputs forecasts every next hour of the window", () => {
  const cwd = generated();
  const check = dlpc(cwd, "check", join(REPO, "pipelines", "series_seq2seq.dlp"));
  assert.is(check.status, 0, check.stdout + check.stderr);
  assert.not.match(check.stdout + check.stderr, /DLP4012/); // the data was there: the declarations were checked against it
  const run = dlpc(cwd, "run", join(REPO, "pipelines", "series_seq2seq.dlp"), "--epochs", "6", "--out", "out");
  assert.is(run.status, 0, run.stdout + run.stderr);
  const m = JSON.parse(readFileSync(join(cwd, "out", "series_seq2seq", "metrics.json"), "utf8"));
  assert.is(m.evaluatedOn, "test");
  const y = lastRows(join(cwd, "data", "load.csv"), "load", 0.15);
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  const variance = y.reduce((a, b) => a + (b - mean) ** 2, 0) / y.length;
  assert.ok(variance > 0.5, `test variance ${variance}`);
  assert.ok(m.test.mse < variance / 5, `test mse ${m.test.mse} against a variance of ${variance}`);
  assert.ok(Math.abs(m.test.loss - m.test.mse) < 1e-6, "the mse loss is the mse metric, both averaged over steps");
});

test("series_tagger: each step is tagged with its regime, far above the majority class", () => {
  const cwd = generated();
  const run = dlpc(cwd, "run", join(REPO, "pipelines", "series_tagger.dlp"), "--epochs", "6", "--out", "out");
  assert.is(run.status, 0, run.stdout + run.stderr);
  const m = JSON.parse(readFileSync(join(cwd, "out", "series_tagger", "metrics.json"), "utf8"));
  const cm = m.confusionMatrix as number[][];
  const counted = cm.flat().reduce((a, b) => a + b, 0);
  // The confusion matrix counts steps: 32 per test window.
  assert.is(counted % 32, 0);
  const majority = Math.max(...cm.map((row) => row.reduce((a, b) => a + b, 0))) / counted;
  assert.ok(majority < 0.45, `majority share ${majority}`);
  assert.ok(m.test.accuracy >= 0.7, `test accuracy ${m.test.accuracy} (majority ${majority})`);
  // dlpc predict on one window (JSON, 32 steps × 2 features): one row per step, each step's regime.
  const rows = readFileSync(join(cwd, "data", "tags.csv"), "utf8").trim().split("\n").slice(-32).map((r) => r.split(",").map(Number));
  writeFileSync(join(cwd, "window.json"), JSON.stringify([rows.map((r) => r.slice(0, 2))]));
  const p = dlpc(cwd, "predict", join("out", "series_tagger"), "window.json", "--top", "1", "--format", "json");
  assert.is(p.status, 0, p.stdout + p.stderr);
  const steps = JSON.parse(p.stdout) as { row: number; step: number; top: { class: string }[] }[];
  assert.equal(steps.map((s) => s.step), Array.from({ length: 32 }, (_, i) => i));
  const hits = steps.filter((s, i) => s.top[0]!.class === String(rows[i]![2])).length;
  assert.ok(hits >= 20, `${hits} of 32 steps tagged right`);
});

test.run();
