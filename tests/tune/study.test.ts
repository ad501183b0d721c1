import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ParamSpec } from "../../runtime/spec.ts";
import { SqliteStorage } from "../../runtime/tune/sqlite.ts";
import { FingerprintError, MemoryStorage } from "../../runtime/tune/storage.ts";
import { runStudy, type StudyUpdate, type TrialOutcome, type TrialRequest } from "../../runtime/tune/study.ts";
import { renderStudyHtml, renderTrialTable } from "../../runtime/tune/report.ts";
import { params as workerParams, spec as workerSpec } from "./fixtures/synthetic.ts";

const WORKER = new URL("./fixtures/study_worker.ts", import.meta.url).pathname;
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), "dlp-tune-"));
  dirs.push(d);
  return d;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const params: ParamSpec[] = [
  { name: "lr", default: 0.01, affectsShape: false, space: { kind: "log_uniform", low: 1e-4, high: 1e-1 } },
  { name: "act", default: "relu", affectsShape: false, space: { kind: "choice", values: ["relu", "tanh"] } },
];

test("a trial that throws is recorded as failed with its message and the study goes on", async () => {
  const updates: StudyUpdate[] = [];
  const res = await runStudy({
    spec: { strategy: { kind: "random", trials: 6 }, objective: { metric: "val_loss", direction: "minimize" } },
    params,
    seed: 2,
    storage: new MemoryStorage(),
    studyName: "f",
    fingerprint: "a",
    onUpdate: (u) => updates.push(u),
    objective: async (t): Promise<TrialOutcome> => {
      if (t.number === 2) throw new Error("NaN loss at epoch 3");
      if (t.number === 4) return { metrics: { acc: 1 }, epochsRun: 1 };
      return { metrics: { val_loss: t.params.lr as number }, epochsRun: 5 };
    },
  });
  assert.is(res.trials.length, 6);
  assert.is(res.trials[2]!.status, "failed");
  assert.is(res.trials[2]!.error, "NaN loss at epoch 3");
  assert.is(res.trials[4]!.status, "failed");
  assert.match(res.trials[4]!.error!, /no "val_loss"/);
  assert.is(res.trials.filter((t) => t.status === "complete").length, 4);
  assert.ok(res.best && res.best.status === "complete");
  assert.is(updates.filter((u) => u.event.kind === "finished").length, 6);
  const table = renderTrialTable(res.trials, { metric: "val_loss", best: res.best });
  assert.match(table, /failed/);
  assert.match(table, /NaN loss at epoch 3/);
  assert.match(table, /lr\s+act\s+val_loss\s+status\s+epochs/);
  const html = renderStudyHtml(res);
  assert.match(html, /<svg/);
  assert.match(html, /val_loss vs lr/);
  assert.match(html, /val_loss vs act/);
  assert.not.match(html, /<script|https?:\/\/(?!www\.w3\.org)/);
});

test("sqlite: an interrupted study resumes where it stopped and retries the lost trial", async () => {
  const dir = tmp();
  const file = join(dir, "study.sqlite");
  const log = join(dir, "log");
  const child = spawn(process.execPath, ["--import", "tsx", WORKER, file, "resume", "8", "300", log], { stdio: "ignore" });
  // Kill it in the middle of its fourth trial.
  for (let i = 0; i < 200; i++) {
    if (existsSync(log) && /start 3 /.test(readFileSync(log, "utf8"))) break;
    await sleep(50);
  }
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
  const before = readFileSync(log, "utf8");
  assert.match(before, /start 3 /);
  assert.not.match(before, /done 3 /);

  const ran: TrialRequest[] = [];
  const storage = new SqliteStorage(file);
  const res = await runStudy({
    spec: workerSpec(8),
    params: workerParams,
    seed: 11,
    storage,
    studyName: "resume",
    fingerprint: "synthetic-v1",
    objective: async (t) => {
      ran.push(t);
      return { metrics: { loss: (t.params.x as number) * (t.params.k as number) }, epochsRun: 1 };
    },
  });
  await storage.close();
  const lost = res.trials.filter((t) => t.lost);
  assert.is(lost.length, 1);
  assert.is(lost[0]!.number, 3);
  assert.match(lost[0]!.error!, /interrupted/);
  const complete = res.trials.filter((t) => t.status === "complete");
  assert.is(complete.length, 8);
  assert.is(new Set(complete.map((t) => t.job)).size, 8);
  // The first three were not rerun; the lost one's configuration was retried first.
  assert.is(ran.length, 5);
  assert.equal(ran[0]!.params, lost[0]!.params);
  assert.is(ran[0]!.seed, lost[0]!.seed);
});

test("sqlite: a study refuses to resume when the fingerprint or space changed, and shows what changed", async () => {
  const dir = tmp();
  const run = (fingerprint: string, ps: ParamSpec[]) => {
    const storage = SqliteStorage.inFolder(dir);
    return runStudy({
      spec: { strategy: { kind: "random", trials: 2 }, objective: { metric: "m", direction: "maximize" } },
      params: ps,
      seed: 1,
      storage,
      studyName: "fp",
      fingerprint,
      objective: async () => ({ metrics: { m: 1 }, epochsRun: 1 }),
    }).finally(() => storage.close());
  };
  await run("model-hash-1", params);
  assert.ok(existsSync(join(dir, "study.sqlite")));
  const again = await run("model-hash-1", params);
  assert.is(again.trials.length, 2, "same fingerprint resumes (nothing left to do)");
  const changed: ParamSpec[] = [{ ...params[0]!, space: { kind: "log_uniform", low: 1e-4, high: 0.5 } }, params[1]!];
  try {
    await run("model-hash-2", changed);
    assert.unreachable("resumed a changed study");
  } catch (e) {
    assert.instance(e, FingerprintError);
    const msg = (e as Error).message;
    assert.match(msg, /fingerprint: model-hash-1 -> model-hash-2/);
    assert.match(msg, /params\.lr\.space\.high: 0\.1 -> 0\.5/);
  }
});

test("sqlite: two processes share a study file, each trial exactly once", async () => {
  const dir = tmp();
  const file = join(dir, "study.sqlite");
  const logs = [join(dir, "log1"), join(dir, "log2")];
  const kids = logs.map((log) => spawn(process.execPath, ["--import", "tsx", WORKER, file, "shared", "10", "60", log], { stdio: "ignore" }));
  await Promise.all(kids.map((k) => new Promise((r) => k.once("exit", r))));
  const storage = new SqliteStorage(file);
  const trials = await storage.trials("shared");
  await storage.close();
  const complete = trials.filter((t) => t.status === "complete");
  assert.is(complete.length, 10);
  assert.is(new Set(complete.map((t) => t.job)).size, 10, "no job run twice");
  assert.equal(trials.map((t) => t.number), [...trials.keys()], "trial numbers 0..n-1, none taken twice");
  const started = logs.map((l) => (existsSync(l) ? readFileSync(l, "utf8").split("\n").filter((x) => x.startsWith("start")).length : 0));
  assert.is(started[0]! + started[1]!, 10, `every trial started once in all (${started})`);
});

test("memory: 20 trials of a synthetic objective do not grow the heap noticeably", async () => {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const dir = tmp();
  const once = async (name: string) => {
    const storage = SqliteStorage.inFolder(dir);
    await runStudy({
      spec: { strategy: { kind: "bayesian", trials: 20, initial: 5 }, objective: { metric: "loss", direction: "minimize" } },
      params,
      seed: 4,
      storage,
      studyName: name,
      fingerprint: "mem",
      objective: async (t) => ({ metrics: { loss: Math.abs(Math.log10(t.params.lr as number) + 2) + (t.params.act === "relu" ? 0 : 0.1) }, epochsRun: 1 }),
    });
    await storage.close();
  };
  await once("warmup");
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 3; i++) await once(`m${i}`);
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  assert.ok(grown < 4 * 1024 * 1024, `heap grew ${(grown / 1048576).toFixed(2)} MiB over 60 trials`);
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test.run();
