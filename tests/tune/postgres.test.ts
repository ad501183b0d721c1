// PostgreSQL storage: a throwaway cluster on loopback, three worker processes sharing a study,
// one killed with SIGKILL mid-trial. Skipped (with the reason printed) only when the PostgreSQL
// server binaries are not installed.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
    assert.match((e as Error).message, /cannot reach the PostgreSQL study database at 127\.0\.0\.1:\d+ \(postgres:\/\/dlp:\*\*\*@127\.0\.0\.1:\d+\/db\): 127\.0\.0\.1:\d+ did not answer within 1\.5 s/);
  } finally {
    await storage.close().catch(() => undefined);
    for (const s of sockets) s.destroy();
    server.close();
  }
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
});

/** `dlpc ARGS`: exit code, stdout, stderr and the wall time. */
function dlpc(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["bin/dlpc.mjs", ...args], { env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += String(d)));
    child.stderr!.on("data", (d) => (stderr += String(d)));
    child.once("exit", (code) => resolve({ code, stdout, stderr, ms: Date.now() - t0 }));
  });
}

/** How long `dlpc tune --help` takes now: the start-up every CLI timing below includes. */
async function startup(): Promise<number> {
  return (await dlpc(["tune", "--help"])).ms;
}

const FILE = "tests/tune/fixtures/tiny_random.dlp";

test("dlpc tune on a closed port: one line naming host:port and what to check, before compiling anything", async () => {
  const r = await dlpc(["tune", FILE, "--storage", "postgres://dlp:hunter2@127.0.0.1:1/studies", "--out", join(tmpdir(), "dlp-never")]);
  assert.is(r.code, 1, r.stderr);
  assert.is(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /^error: cannot reach the PostgreSQL study database at 127\.0\.0\.1:1 \(postgres:\/\/dlp:\*\*\*@127\.0\.0\.1:1\/studies\): nothing accepts connections at 127\.0\.0\.1:1: check that PostgreSQL runs there/);
  assert.match(r.stderr, /\(cause: connect ECONNREFUSED 127\.0\.0\.1:1\)\n$/);
  assert.not.match(r.stderr + r.stdout, /hunter2/);
  assert.not.ok(existsSync(join(tmpdir(), "dlp-never")), "nothing was written");
});

test("dlpc tune --worker on a host name that does not resolve says so", async () => {
  const r = await dlpc(["tune", "--worker", "--storage", "postgresql://dlp@no-such-host.invalid:6543/studies", "--study", "s"]);
  assert.is(r.code, 1, r.stderr);
  assert.is(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /at no-such-host\.invalid:6543 \(postgresql:\/\/dlp@no-such-host\.invalid:6543\/studies\): the host name "no-such-host\.invalid" does not resolve: check its spelling/);
  assert.match(r.stderr, /\(cause: getaddrinfo E[A-Z_]+ no-such-host\.invalid\)/);
});

test("a server that accepts and never answers: --connect-timeout bounds the whole command", async () => {
  const sockets: import("node:net").Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as import("node:net").AddressInfo).port;
  try {
    const base = await startup();
    const r = await dlpc(["tune", FILE, "--storage", `postgres://dlp:pw@127.0.0.1:${port}/db`, "--connect-timeout", "1.5"]);
    assert.is(r.code, 1, r.stderr);
    assert.is(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port} did not answer within 1\\.5 s: check the host and port, and that no firewall drops the connection \\(a slow link: raise --connect-timeout\\)`));
    // The timeout and the start-up (measured just before), with room for a loaded machine.
    assert.ok(r.ms < base + 1500 + 4000, `took ${r.ms} ms, start-up ${base} ms`);
    const bad = await dlpc(["tune", FILE, "--storage", `postgres://dlp:pw@127.0.0.1:${port}/db`, "--connect-timeout", "0"]);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /--connect-timeout takes seconds \(a number above 0, at most 3600\), not 0/);
    const sqlite = await dlpc(["tune", FILE, "--storage", join(tmpdir(), "x.sqlite"), "--connect-timeout", "2"]);
    assert.is(sqlite.code, 2);
    assert.match(sqlite.stderr, /--connect-timeout applies to a PostgreSQL --storage/);
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
});

// A DNS server that never answers: getaddrinfo waits 10 s and more, and a lookup in flight keeps
// the process alive, so the CLI must not only report in time but also exit in time. Needs a
// mount namespace (root) to give the child its own /etc/resolv.conf.
const canUnshare = root && spawnSync("unshare", ["-m", "true"]).status === 0;
(canUnshare ? test : test.skip)("an unanswering DNS server: the error and the exit both come within the timeout", async () => {
  if (!canUnshare) return;
  const dir = mkdtempSync(join(tmpdir(), "dlp-dns-"));
  // glibc's resolv.conf takes no port, so the silent server (it reads queries and never answers)
  // listens on 127.0.0.1:53, started by the script inside the namespace.
  writeFileSync(join(dir, "resolv.conf"), "nameserver 127.0.0.1\noptions timeout:10 attempts:2\n");
  writeFileSync(
    join(dir, "run.sh"),
    [
      "set -e",
      `mount --bind ${join(dir, "resolv.conf")} /etc/resolv.conf`,
      `${process.execPath} -e 'const s=require("dgram").createSocket("udp4");s.bind(53,"127.0.0.1",()=>console.log("up"));setTimeout(()=>{},60000)' > ${join(dir, "dns.log")} &`,
      "DNS=$!",
      `for i in $(seq 50); do [ -s ${join(dir, "dns.log")} ] && break; sleep 0.1; done`,
      `start=$(date +%s%N)`,
      `${process.execPath} bin/dlpc.mjs tune --worker --storage postgres://dlp@db.example.org/db --study s --connect-timeout 2 2> ${join(dir, "err")} || echo "exit $?" > ${join(dir, "code")}`,
      `echo $(( ($(date +%s%N) - start) / 1000000 )) > ${join(dir, "ms")}`,
      "kill $DNS",
    ].join("\n"),
  );
  try {
    const base = await startup();
    const r = spawnSync("unshare", ["-m", "sh", join(dir, "run.sh")], { encoding: "utf8", timeout: 60_000 });
    assert.is(r.status, 0, r.stderr);
    const err = readFileSync(join(dir, "err"), "utf8");
    const ms = Number(readFileSync(join(dir, "ms"), "utf8"));
    assert.is(readFileSync(join(dir, "code"), "utf8").trim(), "exit 1");
    assert.is(err.trim().split("\n").length, 1, err);
    assert.match(err, /at db\.example\.org:5432 \(postgres:\/\/dlp@db\.example\.org\/db\): the host name "db\.example\.org" could not be looked up within 2 s: check the DNS server/);
    // The resolver itself would give up after 20 s (timeout:10 attempts:2); the CLI must exit at its 2 s.
    assert.ok(ms < base + 2000 + 6000, `exited after ${ms} ms, start-up ${base} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

pgTest("a database that does not exist, and a user without rights on the tables, in words", async () => {
  const wrongDb = url.replace(/\/postgres$/, "/no_such_db");
  const r = await dlpc(["tune", "--worker", "--storage", wrongDb, "--study", "s"]);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /: there is no database "no_such_db" at 127\.0\.0\.1:\d+: create it \(createdb no_such_db\) or fix the URL's path \(cause: database "no_such_db" does not exist, 3D000\)\n$/);
  assert.not.match(r.stderr, /s3cret/);
  // The tables exist (made by the owner); a login role that was granted nothing.
  const owner = new PostgresStorage(url);
  await owner.check();
  await owner.close();
  const { default: pg } = await import("pg");
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query("DROP ROLE IF EXISTS dlp_nobody");
  await admin.query("CREATE ROLE dlp_nobody LOGIN");
  await admin.end();
  const nobody = url.replace("postgres:s3cret@", "dlp_nobody@");
  const w = await dlpc(["tune", "--worker", "--storage", nobody, "--study", "s"]);
  assert.is(w.code, 1, w.stderr);
  assert.is(w.stderr.trim().split("\n").length, 1, w.stderr);
  assert.match(w.stderr, /^error: the PostgreSQL study database at 127\.0\.0\.1:\d+ \(postgres:\/\/dlp_nobody@127\.0\.0\.1:\d+\/postgres\): the database user may not read or write the study tables: GRANT it SELECT, INSERT, UPDATE on dlp_studies and dlp_trials/);
  assert.match(w.stderr, /\(cause: permission denied for table dlp_studies, 42501\)/);
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

pgTest("a hostile study row (file name, pipeline text, trial params) is data to `dlpc tune --worker`: no code of it runs", async () => {
  // Each payload would leave a marker file in the worker's folder if any of it ever ran as code.
  const work = mkdtempSync(join(tmpdir(), "dlp-pghostile-"));
  const P = (n: number): string => `import("node:fs").then((f)=>f.writeFileSync("pwned-${n}","x"))`;
  const dq = (s: string): string => s.replace(/"/g, '\\"');
  const choices = [`plain`, `a\u2028${P(1)}`, `b*/${P(2)}/*`, `\`\${${P(3)}}\``, `</script><script>${P(4)}</script>`];
  const text = readFileSync(FILE, "utf8").replace("param lr", `param note = "plain" tune choice(${choices.map((c) => `"${dq(c)}"`).join(", ")})\n  param lr`);
  writeFileSync(join(work, "h.dlp"), text);
  const cli = (args: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [join(process.cwd(), "bin/dlpc.mjs"), "tune", ...args], { cwd: work, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout!.on("data", (d) => (out += String(d)));
      child.stderr!.on("data", (d) => (out += String(d)));
      child.once("exit", (code) => resolve({ code, out }));
    });
  const common = ["--storage", url, "--study", "hostile", "--limit", "300", "--epochs", "1"];
  try {
    const lead = await cli(["h.dlp", ...common, "--trials", "1", "--out", "out1"]);
    assert.is(lead.code, 0, lead.out);
    // Now the row as an attacker with write access to the database leaves it: a stored file name
    // that would end a comment or a string, and a finished trial whose params and metrics hold code.
    const { default: pg } = await import("pg");
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const file = `runs/x\u2028${P(5)}//*/${P(6)}/h\u2028${P(7)}\u2029\`\${${P(8)}}\`*\u002f"+${P(9)}+"'.dlp`;
    await db.query("UPDATE dlp_studies SET pipeline = $1 WHERE name = 'hostile'", [JSON.stringify({ file, text })]);
    const first = (await db.query("SELECT data FROM dlp_trials WHERE study = 'hostile' AND number = 0")).rows[0].data as Record<string, unknown>;
    const evil = {
      ...first,
      number: 1,
      job: `job\u2028${P(10)}`,
      params: { ...(first.params as object), note: `\`\${${P(11)}}\`</script><script>${P(12)}</script>\u2028` },
      metrics: { ...(first.metrics as object), [`<img src=x onerror='${P(13)}'>`]: 1 },
      worker: `evil\u2028${P(14)}:1:x`,
    };
    await db.query("INSERT INTO dlp_trials (study, number, status, worker, data) VALUES ('hostile', 1, 'complete', $1, $2)", [evil.worker, JSON.stringify(evil)]);
    await db.end();

    const worker = await cli(["--worker", ...common, "--trials", "4", "--out", "out2"]);
    assert.is(worker.code, 0, worker.out);
    assert.match(worker.out, /study "hostile" in postgres:\/\/postgres:\*\*\*@/);
    const storage = new PostgresStorage(url);
    const all = (await storage.trials("hostile")).sort((a, b) => a.number - b.number);
    await storage.close();
    assert.equal(all.map((t) => t.number), [0, 1, 2, 3]);
    assert.ok(all.slice(2).every((t) => t.status === "complete" && choices.includes(String(t.params.note))), JSON.stringify(all.map((t) => [t.status, t.error])));
    // No payload ran: not in the worker's folder, nor anywhere under it (build/, out2/), nor in the repository.
    const found = (dir: string): string[] => readdirSync(dir, { recursive: true }).map(String).filter((f) => /pwned-/.test(f));
    assert.equal(found(work), []);
    assert.not.ok(readdirSync(process.cwd()).some((f) => f.startsWith("pwned-")));
    // What the worker compiled and wrote is inert: the emitted module holds no raw line separator,
    // and the HTML report escapes the stored params and metric names.
    for (const f of readdirSync(join(work, "build"))) assert.not.match(readFileSync(join(work, "build", f), "utf8"), /[\u2028\u2029]/, f);
    const html = readFileSync(join(work, "out2", "tiny_random", "tune", "report.html"), "utf8");
    assert.not.ok(html.includes("<script>import("), "a stored param became a script element");
    assert.not.ok(html.includes("<img src=x"), "a stored metric name became an element");
    assert.ok(html.includes("&lt;/script&gt;&lt;script&gt;"), "the stored param is shown, escaped");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
