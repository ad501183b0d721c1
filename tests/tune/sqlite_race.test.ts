// SQLite study storage under fire: several processes share one study file and are SIGKILLed at
// random moments (mid-claim, mid-trial, mid-finish) and replaced, over RACE_ROUNDS studies
// (default 200). Afterwards every study holds exactly its trials: numbers 0..n-1 each once, every
// job complete exactly once, nothing left running, and every trial a process reported done is
// recorded complete or, if its process died before recording it, marked lost and retried.
//   RACE_ROUNDS=1000 node bin/test.mjs sqlite_race      (a longer campaign)
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSync } from "esbuild";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { SqliteStorage } from "../../runtime/tune/sqlite.ts";

const ROUNDS = Number(process.env.RACE_ROUNDS ?? 200);
const TRIALS = 4;
const PROCS = 3;
const LIMIT_MS = Number(process.env.RACE_LIMIT_MS ?? 240_000);

test(`${PROCS} processes, random SIGKILLs, ${ROUNDS} studies of ${TRIALS} trials on one file: none lost or duplicated`, async () => {
  // Bundled once so that a replacement process starts in a fraction of a second (beside
  // node_modules, so better-sqlite3 resolves).
  mkdirSync("build/test-race", { recursive: true });
  const bundle = join("build/test-race", "race_worker.mjs");
  buildSync({ entryPoints: ["tests/tune/fixtures/race_worker.ts"], bundle: true, platform: "node", format: "esm", outfile: bundle, external: ["better-sqlite3"], logLevel: "error" });
  const dir = mkdtempSync(join(tmpdir(), "dlp-race-"));
  const file = join(dir, "study.sqlite");
  const log = join(dir, "done.log");
  const t0 = Date.now();
  let kills = 0;
  let finished = false;
  const live = new Set<ChildProcess>();
  const start = (): void => {
    const c = spawn(process.execPath, [bundle, file, String(ROUNDS), String(TRIALS), log], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    c.stderr!.on("data", (d) => (err += String(d)));
    live.add(c);
    c.once("exit", (code, signal) => {
      live.delete(c);
      if (signal === null && code !== 0) process.stderr.write(`race worker exited ${code}: ${err}\n`);
      if (signal === null && code === 0) finished = true;
      else if (!finished) start();
    });
  };
  for (let i = 0; i < PROCS; i++) start();
  try {
    while (!finished) {
      assert.ok(Date.now() - t0 < LIMIT_MS, `not done within ${LIMIT_MS} ms (${kills} kills)`);
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 70));
      const victims = [...live];
      if (!finished && victims.length) {
        victims[Math.floor(Math.random() * victims.length)]!.kill("SIGKILL");
        kills++;
      }
    }
    // One process ran every round to its end; let the others finish or stop them.
    for (const c of live) c.kill("SIGKILL");
    while (live.size) await new Promise((r) => setTimeout(r, 20));

    const storage = new SqliteStorage(file);
    const done = new Set(existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : []);
    let lost = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const trials = await storage.trials(`r${r}`);
      assert.equal(trials.map((t) => t.number), [...trials.keys()], `r${r}: trial numbers 0..n-1, each once`);
      const complete = trials.filter((t) => t.status === "complete");
      assert.is(complete.length, TRIALS, `r${r}: ${complete.length} complete trials`);
      assert.is(new Set(complete.map((t) => t.job)).size, TRIALS, `r${r}: a job completed twice`);
      assert.not.ok(trials.some((t) => t.status === "running"), `r${r}: a trial left running`);
      for (const t of trials) {
        if (t.status === "failed") {
          assert.ok(t.lost, `r${r}#${t.number}: failed but not lost: ${t.error}`);
          lost++;
        }
      }
      // A lost job is retried: every job of a failed trial has a complete one.
      for (const t of trials.filter((x) => x.lost)) assert.ok(complete.some((c) => c.job === t.job), `r${r}: lost job ${t.job} never retried`);
      // What a process reported done is recorded complete, unless it died before recording it.
      for (const line of done) {
        const [, study, n] = line.split(" ");
        if (study !== `r${r}`) continue;
        const t = trials[Number(n)];
        assert.ok(t && (t.status === "complete" || t.lost), `r${r}#${n}: done in the log, ${t?.status ?? "absent"} in the study`);
      }
    }
    await storage.close();
    process.stdout.write(`\n  sqlite race: ${ROUNDS} studies × ${TRIALS} trials, ${PROCS} processes, ${kills} SIGKILLs, ${lost} trials lost and retried, 0 lost or duplicated, ${Math.round((Date.now() - t0) / 1000)} s\n`);
    assert.ok(kills >= Math.min(ROUNDS / 10, 20), `only ${kills} kills`);
  } finally {
    finished = true;
    for (const c of live) c.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
