// PostgreSQL storage: a throwaway cluster on loopback, three worker processes sharing a study,
// one killed with SIGKILL mid-trial. Skipped (with the reason printed) only when the PostgreSQL
// server binaries are not installed.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { PostgresStorage, redactUrl } from "../../runtime/tune/postgres.ts";
import { runStudy } from "../../runtime/tune/study.ts";
import { params, spec } from "./fixtures/synthetic.ts";

const WORKER = new URL("./fixtures/study_worker.ts", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function findBin(): string | null {
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (existsSync(join(root, v, "bin", "initdb"))) return join(root, v, "bin");
  }
  try {
    const p = execFileSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" }).trim();
    return p ? p.replace(/\/initdb$/, "") : null;
  } catch {
    return null;
  }
}

const bin = findBin();
const root = process.getuid?.() === 0;
const asPg = (cmd: string, args: string[]): string =>
  root ? execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], { encoding: "utf8" }) : execFileSync(cmd, args, { encoding: "utf8" });

let dataDir = "";
let sockDir = "";
let url = "";

test.before(() => {
  if (!bin) return;
  const base = mkdtempSync(join(tmpdir(), "dlp-pg-"));
  dataDir = join(base, "data");
  sockDir = base;
  if (root) chownSync(base, Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })), Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" })));
  const port = 54000 + (process.pid % 900);
  asPg(join(bin, "initdb"), ["-D", dataDir, "-A", "trust", "-U", "postgres", "--no-sync"]);
  asPg(join(bin, "pg_ctl"), ["-D", dataDir, "-l", join(base, "log"), "-w", "-o", `-k ${sockDir} -p ${port} -h 127.0.0.1 -F`, "start"]);
  url = `postgres://postgres:s3cret@127.0.0.1:${port}/postgres`;
});

test.after(() => {
  if (!bin || !dataDir) return;
  try {
    asPg(join(bin, "pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
  } finally {
    rmSync(sockDir, { recursive: true, force: true });
  }
});

const pgTest = (name: string, fn: () => Promise<void>): void => {
  if (bin) test(name, fn);
  else test.skip(name, fn);
};
if (!bin) console.log("tests/tune/postgres: SKIPPED — PostgreSQL server binaries (initdb, pg_ctl) not found; apt-get install postgresql");

test("an unreachable database fails fast with the URL, password hidden", async () => {
  const t0 = Date.now();
  const storage = new PostgresStorage("postgres://dlp:hunter2@127.0.0.1:1/studies");
  try {
    await storage.trials("x");
    assert.unreachable("connected to nothing");
  } catch (e) {
    const msg = (e as Error).message;
    assert.match(msg, /127\.0\.0\.1:1/);
    assert.match(msg, /dlp:\*\*\*@/);
    assert.not.match(msg, /hunter2/);
  } finally {
    await storage.close();
  }
  assert.ok(Date.now() - t0 < 5500);
  assert.is(redactUrl("postgresql://u:p%40ss@db.example:5432/x"), "postgresql://u:***@db.example:5432/x");
});

test("a server that never answers times out within 5 s instead of hanging", async () => {
  const sockets: import("node:net").Socket[] = [];
  const server = createServer((s) => sockets.push(s)); // accepts, says nothing
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as import("node:net").AddressInfo).port;
  const storage = new PostgresStorage(`postgres://dlp:pw@127.0.0.1:${port}/db`, { connectTimeoutMs: 1500 });
  const t0 = Date.now();
  try {
    await storage.trials("x");
    assert.unreachable("got an answer from a silent server");
  } catch (e) {
    assert.match((e as Error).message, /cannot reach the PostgreSQL study database at postgres:\/\/dlp:\*\*\*@127\.0\.0\.1/);
  } finally {
    await storage.close().catch(() => undefined);
    for (const s of sockets) s.destroy();
    server.close();
  }
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
});

pgTest("a worker joining a ready database takes no table locks, so it cannot deadlock with a running claim", async () => {
  // What a claim in progress holds: the study row FOR UPDATE (ROW SHARE on dlp_studies) and an
  // inserted trial (ROW EXCLUSIVE on dlp_trials). The schema DDL a joining worker used to run
  // (ALTER TABLE, CREATE INDEX … IF NOT EXISTS) waited on both, and the claim on it.
  const first = new PostgresStorage(url);
  await first.claim("no-such-study", 60_000, () => "wait").catch(() => undefined); // creates the schema
  await first.close();
  const { default: pg } = await import("pg");
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();
  const joining = new PostgresStorage(url);
  try {
    await holder.query("BEGIN");
    await holder.query("LOCK TABLE dlp_studies IN ROW SHARE MODE");
    await holder.query("LOCK TABLE dlp_trials IN ROW EXCLUSIVE MODE");
    const outcome = await Promise.race([
      joining.claim("no-such-study", 60_000, () => "wait").then(() => "claimed", (e: Error) => e.message),
      sleep(5000).then(() => "blocked"),
    ]);
    assert.match(outcome, /does not exist/);
  } finally {
    await holder.query("ROLLBACK").catch(() => undefined);
    await holder.end();
    await joining.close();
  }
});

pgTest("three workers share a study; one killed mid-trial; every trial accounted for exactly once", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dlp-pgw-"));
  const log = join(dir, "log");
  const trials = 24;
  const start = (): ChildProcess => spawn(process.execPath, ["--import", "tsx", WORKER, url, "shared", String(trials), "400", log, "worker"], { stdio: ["ignore", "ignore", "pipe"] });
  const workers = [start(), start(), start()];
  const errs: string[] = [];
  for (const w of workers) w.stderr!.on("data", (d) => errs.push(String(d)));
  const exits = workers.map((w) => new Promise<number | null>((r) => w.once("exit", (code) => r(code))));
  const victim = workers[1]!;
  // Wait until the victim is in the middle of a trial (it has started one more than it finished).
  let killedTrial = -1;
  for (let i = 0; i < 400 && killedTrial < 0; i++) {
    await sleep(25);
    if (!existsSync(log)) continue;
    const lines = readFileSync(log, "utf8").trim().split("\n");
    const mine = lines.filter((l) => l.endsWith(` ${victim.pid}`));
    const started = mine.filter((l) => l.startsWith("start")).map((l) => Number(l.split(" ")[1]));
    const finished = new Set(mine.filter((l) => l.startsWith("done")).map((l) => Number(l.split(" ")[1])));
    const open = started.filter((n) => !finished.has(n));
    if (started.length >= 1 && open.length === 1) {
      victim.kill("SIGKILL");
      killedTrial = open[0]!;
    }
  }
  assert.ok(killedTrial >= 0, "the victim never started a trial");
  const codes = await Promise.all(exits);
  assert.is(codes[0], 0, errs.join(""));
  assert.is(codes[2], 0, errs.join(""));

  const storage = new PostgresStorage(url);
  const all = await storage.trials("shared");
  const lines = readFileSync(log, "utf8").trim().split("\n");
  const doneLines = lines.filter((l) => l.startsWith("done")).map((l) => Number(l.split(" ")[1]));
  // No trial number ran to completion twice.
  assert.is(new Set(doneLines).size, doneLines.length);
  const complete = all.filter((t) => t.status === "complete");
  assert.is(complete.length, trials);
  assert.is(new Set(complete.map((t) => t.job)).size, trials, "each job completed exactly once");
  const lost = all.filter((t) => t.lost);
  assert.is(lost.length, 1);
  assert.is(lost[0]!.number, killedTrial);
  assert.match(lost[0]!.error!, /heartbeat/);
  const retry = complete.find((t) => t.job === lost[0]!.job)!;
  assert.ok(retry, "the killed trial's configuration was retried");
  assert.equal(retry.params, lost[0]!.params);
  assert.is(all.length, trials + 1);
  // Every completed trial's result is in the database once, and matches the log.
  assert.equal(new Set(complete.map((t) => t.number)), new Set(doneLines));
  // Joining the finished study does nothing more.
  const again = await runStudy({ spec: spec(trials), params, seed: 11, storage, studyName: "shared", fingerprint: "synthetic-v1", worker: true, objective: async () => { throw new Error("should not run"); } });
  assert.is(again.trials.length, trials + 1);
  // A changed fingerprint is refused across workers too.
  try {
    await runStudy({ spec: spec(trials), params, seed: 11, storage, studyName: "shared", fingerprint: "synthetic-v2", worker: true, objective: async () => ({ metrics: { loss: 0 }, epochsRun: 0 }) });
    assert.unreachable("joined a changed study");
  } catch (e) {
    assert.match((e as Error).message, /fingerprint: synthetic-v1 -> synthetic-v2/);
  }
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

pgTest("dlpc tune with --storage postgresql:// and another machine's `dlpc tune --worker` share one study", async () => {
  const out1 = mkdtempSync(join(tmpdir(), "dlp-pgcli-a-"));
  const out2 = mkdtempSync(join(tmpdir(), "dlp-pgcli-b-"));
  const env = { ...process.env, NO_COLOR: "1" };
  const common = ["--storage", url, "--study", "cli", "--limit", "600", "--epochs", "3"];
  const run = (args: string[]) =>
    new Promise<{ code: number | null; pid: number; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ["bin/dlpc.mjs", "tune", ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr!.on("data", (d) => (stderr += String(d)));
      child.once("exit", (code) => resolve({ code, pid: child.pid!, stderr }));
    });
  // The lead starts the study (it stores the pipeline with it) and runs 2 trials.
  const lead = await run(["tests/tune/fixtures/tiny_random.dlp", ...common, "--trials", "2", "--out", out1]);
  assert.is(lead.code, 0, lead.stderr);
  // A worker given no file compiles the stored pipeline and carries the study to 4 trials.
  const worker = await run(["--worker", ...common, "--trials", "4", "--out", out2]);
  assert.is(worker.code, 0, worker.stderr);
  // Then two at once, to 8: every trial claimed once, whoever gets it.
  const [a, b] = await Promise.all([run(["--worker", ...common, "--trials", "8", "--out", out1]), run(["--worker", ...common, "--trials", "8", "--out", out2])]);
  assert.is(a.code, 0, a.stderr);
  assert.is(b.code, 0, b.stderr);
  const storage = new PostgresStorage(url);
  const all = (await storage.trials("cli")).sort((x, y) => x.number - y.number);
  await storage.close();
  assert.equal(all.map((t) => t.number), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.ok(all.every((t) => t.status === "complete"), JSON.stringify(all.map((t) => t.error)));
  assert.is(new Set(all.map((t) => JSON.stringify(t.params))).size, 8, "no configuration ran twice");
  const pid = (t: (typeof all)[number]) => Number(t.worker.split(":")[1]);
  assert.equal(all.slice(0, 2).map(pid), [lead.pid, lead.pid]);
  assert.equal(all.slice(2, 4).map(pid), [worker.pid, worker.pid]);
  assert.ok(all.slice(4).every((t) => pid(t) === a.pid || pid(t) === b.pid));
  assert.ok(existsSync(join(out1, "tiny_random", "tune", "best.json")));
  rmSync(out1, { recursive: true, force: true });
  rmSync(out2, { recursive: true, force: true });
});

test.run();
