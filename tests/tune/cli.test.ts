// `dlpc tune` end to end on tiny studies over the embedded MNIST digits: the live output, the
// files it writes, resuming, refusing a changed pipeline, Ctrl-C, failed trials, Hyperband's
// checkpoint resumption, the exact reproduce command, and memory across 20 trials.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";

const FIX = "tests/tune/fixtures";
const env = { ...process.env, NO_COLOR: "1", DLP_DEBUG: "" };
const dlpc = (...args: string[]) => spawnSync(process.execPath, ["bin/dlpc.mjs", ...args], { encoding: "utf8", env });
const tmp = (): string => mkdtempSync(join(tmpdir(), "dlp-tune-cli-"));

interface Trial {
  number: number;
  status: string;
  lost: boolean;
  value: number | null;
  params: Record<string, number | string>;
  epochs: number | null;
  initialEpoch: number;
  epochsRun: number;
  resumeFrom: string | null;
  parent: number | null;
  startedAt: number;
  seed: number;
  worker: string;
  error: string | null;
  finishedAt: number | null;
}
const trialsOf = (dir: string, name: string): Trial[] => (JSON.parse(readFileSync(join(dir, name, "tune", "trials.json"), "utf8")) as { trials: Trial[] }).trials;

test("tune runs the study, prints the table and the best trial, writes trials.json, best.json and report.html", () => {
  const out = tmp();
  const r = dlpc("tune", `${FIX}/tiny_random.dlp`, "--limit", "300", "--out", out);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /study "tiny_random" in sqlite:.*study\.sqlite: random, 3 trials, maximize val_accuracy/);
  assert.match(r.stdout, /trial 0 started: units=\d+ lr=/);
  assert.match(r.stdout, /#\s+units\s+lr\s+val_accuracy\s+status\s+epochs/);
  const trials = trialsOf(out, "tiny_random");
  assert.is(trials.length, 3);
  assert.ok(trials.every((t) => t.status === "complete" && typeof t.value === "number"));
  // No configuration twice, and each trial has its own seed.
  assert.is(new Set(trials.map((t) => JSON.stringify(t.params))).size, 3);
  assert.is(new Set(trials.map((t) => t.seed)).size, 3);
  const best = JSON.parse(readFileSync(join(out, "tiny_random", "tune", "best.json"), "utf8"));
  const top = Math.max(...trials.map((t) => t.value!));
  assert.is(best.value, top);
  assert.is(best.metric, "val_accuracy");
  assert.match(best.command, /^dlpc run tests\/tune\/fixtures\/tiny_random\.dlp --set units=\d+ --set lr=[0-9.e-]+ --seed \d+ --limit 300$/);
  assert.match(r.stdout, `reproduce: ${best.command}`);
  assert.match(r.stdout, new RegExp(`best trial: #${best.trial}, val_accuracy = ${top.toFixed(4)}`));
  const html = readFileSync(join(out, "tiny_random", "tune", "report.html"), "utf8");
  assert.match(html, "<svg");
  assert.match(html, "units");

  // The reproduce command retrains the best trial exactly: same val_accuracy at its best epoch.
  const repro = dlpc(...best.command.split(" ").slice(1), "--out", join(out, "repro"));
  assert.is(repro.status, 0, repro.stderr);
  const history = JSON.parse(readFileSync(join(out, "repro", "tiny_random", "history.json"), "utf8")) as { val_accuracy: number[] };
  assert.is(Math.max(...history.val_accuracy), best.value);

  // Resuming with a larger budget keeps the first three trials and adds two.
  const more = dlpc("tune", `${FIX}/tiny_random.dlp`, "--limit", "300", "--out", out, "--trials", "5", "--quiet");
  assert.is(more.status, 0, more.stderr);
  const after = trialsOf(out, "tiny_random");
  assert.equal(after.map((t) => t.number), [0, 1, 2, 3, 4]);
  for (let i = 0; i < 3; i++) assert.equal(after[i], trials[i]);
  assert.is(new Set(after.map((t) => JSON.stringify(t.params))).size, 5);

  // A changed model is refused, naming what changed.
  const changed = join(out, "tiny_random.dlp");
  writeFileSync(changed, readFileSync(`${FIX}/tiny_random.dlp`, "utf8").replace("dense(10, activation: softmax)", "dense(16, activation: relu)\n    dense(10, activation: softmax)"));
  const refused = dlpc("tune", changed, "--limit", "300", "--out", out, "--quiet");
  assert.is(refused.status, 1);
  assert.match(refused.stderr, 'study "tiny_random" was started with a different pipeline or search space, so it cannot be resumed');
  assert.match(refused.stderr, /pipeline\.model/);
  assert.not.match(refused.stderr, "    at ");
  assert.is(trialsOf(out, "tiny_random").length, 5);
});

test("a trial that fails at run time is recorded with its error and the study goes on", () => {
  const out = tmp();
  const r = dlpc("tune", `${FIX}/tiny_diverges.dlp`, "--limit", "300", "--out", out);
  assert.is(r.status, 0, r.stderr);
  const trials = trialsOf(out, "tiny_diverges");
  assert.is(trials.length, 2);
  const failed = trials.find((t) => t.params.lr === 1e30)!;
  const ok = trials.find((t) => t.params.lr === 1e-2)!;
  assert.is(failed.status, "failed");
  assert.is(failed.lost, false);
  assert.match(failed.error!, /NaN|not finite|infinite/i);
  assert.is(ok.status, "complete");
  assert.match(r.stdout, /trial \d failed: training stopped: loss became NaN at epoch 1/);
  assert.match(r.stdout, `best trial: #${ok.number}`);
});

test("hyperband promotes a trial by resuming its checkpoint instead of retraining", () => {
  const out = tmp();
  const r = dlpc("tune", `${FIX}/tiny_hyperband.dlp`, "--limit", "300", "--out", out, "--quiet");
  assert.is(r.status, 0, r.stderr);
  const trials = trialsOf(out, "tiny_hyperband");
  assert.ok(trials.every((t) => t.status === "complete"), JSON.stringify(trials.map((t) => [t.status, t.error])));
  const promoted = trials.filter((t) => t.initialEpoch > 0);
  assert.ok(promoted.length >= 1, "no promoted trial");
  for (const t of promoted) {
    const parent = trials.find((p) => p.number === t.parent)!;
    assert.equal(t.params, parent.params);
    assert.is(t.resumeFrom, join(out, "tiny_hyperband", "tune", "trials", "tiny_hyperband", String(parent.number)));
    assert.is(t.epochsRun, t.epochs! - t.initialEpoch, "a promoted trial trains only the epochs it adds");
  }
  const total = trials.reduce((a, t) => a + t.epochsRun, 0);
  const fromScratch = trials.reduce((a, t) => a + (t.epochs ?? 0), 0);
  assert.ok(total < fromScratch, `${total} epochs trained, ${fromScratch} without resumption`);
});

test("Ctrl-C stops the running trial, keeps it for the resume, and the resume retries it", async () => {
  const out = tmp();
  // Long trials (40 epochs), so the interrupt lands inside trial 1.
  const args = ["bin/dlpc.mjs", "tune", `${FIX}/tiny_random.dlp`, "--limit", "600", "--epochs", "40", "--trials", "2", "--out", out];
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += String(d)));
  const code = await new Promise<number | null>((resolve) => {
    child.stdout.on("data", (d) => {
      stdout += String(d);
      // Soon after the start: a trial of 40 epochs on 600 samples takes about 2 s here.
      if (/trial 1 started/.test(stdout) && !child.killed) setTimeout(() => child.kill("SIGINT"), 100);
    });
    child.once("exit", (c) => resolve(c));
  });
  assert.is(code, 130, stderr);
  assert.match(stderr, "interrupt: stopping the running trial");
  assert.match(stdout, /study interrupted after 1 complete trials; resume with: dlpc tune tests\/tune\/fixtures\/tiny_random\.dlp/);
  const cut = trialsOf(out, "tiny_random");
  assert.is(cut.length, 2);
  assert.is(cut[1]!.status, "failed");
  assert.is(cut[1]!.lost, true);
  // It stopped within its first epochs, not after all 40 (trial 0 ran them all).
  assert.ok(cut[1]!.finishedAt! - cut[1]!.startedAt < (cut[0]!.finishedAt! - cut[0]!.startedAt) / 2, "the trial ran on after Ctrl-C");
  const resumed = dlpc(...args.slice(1), "--quiet");
  assert.is(resumed.status, 0, resumed.stderr);
  const all = trialsOf(out, "tiny_random");
  const retried = all.find((t) => t.number > 1 && JSON.stringify(t.params) === JSON.stringify(cut[1]!.params))!;
  assert.ok(retried, "the interrupted configuration was not retried");
  assert.is(retried.status, "complete");
  assert.is(retried.seed, cut[1]!.seed);
  assert.is(all.filter((t) => t.status === "complete").length, 2);
});

test("bad invocations: no tune section, worker without a shared storage, unknown study", () => {
  const r = dlpc("tune", "pipelines/mnist_cnn.dlp", "--out", tmp());
  assert.is(r.status, 1);
  assert.match(r.stderr, "pipelines/mnist_cnn.dlp has no `tune` section");
  assert.not.match(r.stderr, "    at ");
  const w = dlpc("tune", "--worker", "--study", "x");
  assert.is(w.status, 2);
  assert.match(w.stderr, "tune --worker needs --storage postgresql://");
  const e = dlpc("tune", "tests/golden/errors/tune_space.dlp");
  assert.is(e.status, 1);
  assert.match(e.stderr, "error[DLP6003]");
  const down = dlpc("tune", "--worker", "--storage", "postgres://u:secret@127.0.0.1:1/db", "--study", "x");
  assert.is(down.status, 1);
  assert.match(down.stderr, "postgres://u:***@127.0.0.1:1/db");
  assert.not.match(down.stderr, "secret");
});

test("memory does not grow across 20 trials in one process", async () => {
  const { compile } = await import("../../compiler/driver.ts");
  const { writeCompiled } = await import("../../compiler/codegen/write.ts");
  const { trialRunner } = await import("../../runtime/tune/index.ts");
  const { tf } = await import("../../runtime/index.ts");
  // Inside the package, so the emitted module resolves its runtime import like build/ does.
  const dir = join("build", ".test-tune", String(process.pid));
  mkdirSync(dir, { recursive: true });
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const src = join(dir, "tiny_random.dlp");
  copyFileSync(`${FIX}/tiny_random.dlp`, src);
  const r = compile(readFileSync(src, "utf8"), { file: src });
  const mod = (await import(pathToFileURL(resolve(writeCompiled(r.checked!, src, r.sourceHash, dir))).href)) as { pipeline: Parameters<typeof trialRunner>[0] };
  const runner = await trialRunner(mod.pipeline, { trialsDir: join(dir, "trials"), backend: "cpu", limit: 128, epochs: 1, metric: "val_accuracy", direction: "maximize" });
  const tensors: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < 20; i++) {
    const out = await runner.objective({ number: i, params: { units: [8, 16, 32][i % 3]!, lr: 0.01 }, seed: 100 + i, initialEpoch: 0 });
    assert.ok(typeof out.metrics.val_accuracy === "number");
    tensors.push(tf.memory().numTensors);
    rss.push(process.memoryUsage().rss);
  }
  assert.ok(tensors.every((n) => n === tensors[0]), `tensors after each trial: ${tensors.join(" ")}`);
  const growth = (rss[19]! - rss[4]!) / 2 ** 20;
  assert.ok(growth < 64, `RSS grew ${growth.toFixed(1)} MiB from trial 5 to trial 20`);
  assert.ok(existsSync(join(dir, "trials", "19", "model.json")));
});

test.run();
