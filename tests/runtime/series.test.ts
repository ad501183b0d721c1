// Sequences of vectors end to end (issue 13, point 1): a CSV of flattened windows declared
// `as series[steps, features]`, an lstm with per-step outputs and time_distributed(dense) over
// them, trained by `dlpc run` on data this test generates; the label is whether the first
// feature rises over the window, which a model that reads the steps in order can learn.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, scratchDir } from "./compiled.ts";
import { compile } from "../../compiler/driver.ts";

const STEPS = 6;
const FEATURES = 2;
const pipeline = `pipeline rising {
  seed 3
  data {
    source csv("windows.csv", label: "rises")
    x = features as series[${STEPS}, ${FEATURES}]
    y = labels as class(2)
    split validation 20%
  }
  model {
    lstm(16, return_sequences: true)
    time_distributed(dense(8, activation: relu))
    global_avg_pool1d()
    dense(2, activation: softmax)
  }
  train {
    loss sparse_categorical_crossentropy
    optimizer adam(lr: 0.01)
    batch 32
    epochs 12
  }
  evaluate validation { accuracy }
}
`;

function windows(n: number, seed: number): string {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const header = [...Array.from({ length: STEPS * FEATURES }, (_, i) => `t${Math.floor(i / FEATURES)}_f${i % FEATURES}`), "rises"];
  const rows = [header.join(",")];
  for (let r = 0; r < n; r++) {
    const rises = r % 2;
    const slope = (rises ? 1 : -1) * (0.2 + rand() * 0.3);
    const cells: string[] = [];
    for (let t = 0; t < STEPS; t++) cells.push((slope * t + rand() * 0.3).toFixed(3), (rand() - 0.5).toFixed(3));
    rows.push([...cells, String(rises)].join(","));
  }
  return rows.join("\n") + "\n";
}

test("`as series[steps, features]` gives the recurrent layers steps × features, and time_distributed keeps the steps", () => {
  const r = compile(pipeline.replace("windows.csv", "absent.csv"), { file: "rising.dlp" });
  assert.equal(r.diagnostics.filter((d) => d.severity === "error"), []);
  assert.equal(r.checked!.inputShape, [STEPS, FEATURES]);
  const shapes = r.checked!.model!.layers.map((l) => l.output);
  assert.equal(shapes.slice(0, 2), [[STEPS, 16], [STEPS, 8]]);
});

test("a series model trains with dlpc run and learns the direction of the series", () => {
  const cwd = scratchDir("series");
  writeFileSync(join(cwd, "windows.csv"), windows(400, 11));
  writeFileSync(join(cwd, "rising.dlp"), pipeline);
  const run = spawnSync(process.execPath, [join(REPO, "bin", "dlpc.mjs"), "run", "rising.dlp", "--out", "out"], { cwd, encoding: "utf8", timeout: 300_000 });
  assert.is(run.status, 0, `${run.stdout}\n${run.stderr}`);
  const metrics = JSON.parse(readFileSync(join(cwd, "out", "rising", "metrics.json"), "utf8"));
  assert.is(metrics.evaluatedOn, "validation");
  const acc = metrics.test?.accuracy;
  assert.ok(typeof acc === "number" && acc >= 0.9, `validation accuracy ${acc} (metrics: ${JSON.stringify(metrics).slice(0, 300)})`);
});

test("the declared series must hold what the file holds, and a variable time axis is refused with a fix", () => {
  const cwd = scratchDir("series-bad");
  const csv = join(cwd, "windows.csv");
  writeFileSync(csv, windows(4, 1));
  const wrong = compile(pipeline.replace("windows.csv", csv).replace(`series[${STEPS}, ${FEATURES}]`, "series[5, 2]"), { file: "rising.dlp" });
  assert.equal(wrong.diagnostics.map((d) => d.code), ["DLP4003"]);
  assert.is(wrong.diagnostics[0]!.message, "the data holds 12 values per sample, `series[5, 2]` needs 10");
  const variable = compile(pipeline.replace(`series[${STEPS}, ${FEATURES}]`, "series[None, 2]"), { file: "rising.dlp" });
  const e = variable.diagnostics.find((d) => d.severity === "error");
  assert.is(e?.message, "a series needs a fixed number of steps");
  const batch = compile(pipeline.replace(`series[${STEPS}, ${FEATURES}]`, `series[None, ${STEPS}, ${FEATURES}]`), { file: "rising.dlp" });
  assert.is(batch.diagnostics.find((d) => d.severity === "error")?.code, "DLP4001");
});

test("time_distributed checks its layer on one step and names the wrapper", () => {
  const text = pipeline.replace("time_distributed(dense(8, activation: relu))", "time_distributed(conv2d(8, 3))");
  const r = compile(text.replace("windows.csv", "absent.csv"), { file: "rising.dlp" });
  const e = r.diagnostics.find((d) => d.severity === "error");
  assert.ok(e, JSON.stringify(r.diagnostics));
  assert.match(e!.message, /inside time_distributed/);
  const flat = compile(text.replace("lstm(16, return_sequences: true)", "lstm(16)").replace("time_distributed(conv2d(8, 3))", "time_distributed(dense(8))").replace("absent.csv", "absent.csv"), { file: "rising.dlp" });
  assert.is(flat.diagnostics.find((d) => d.severity === "error")?.code, "DLP3007");
});

test.run();
