// SQLite storage through better-sqlite3: a real SQLite on the study file, with its own file
// locking, a write-ahead log and transactions, so several processes can share one study and a
// process killed at any point loses nothing: every claim (reap the trials of dead workers, show
// the strategy every trial, insert its proposal) is one IMMEDIATE transaction, so two processes
// can never take the same trial number, and a transaction cut short by a kill is rolled back.
// A running trial is lost when its worker's process is gone (same host, pid not alive) or its
// heartbeat is older than the stale timeout; its configuration is then retried.
import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { checkMeta, type ClaimDecision, type ClaimResult, type Storage } from "./storage.ts";
import type { StudyMeta, TrialRecord } from "./types.ts";
import { pidAlive } from "../process.ts";
import { causeOf, fsFailure } from "../library_errors.ts";

/** How long a process waits for another one's write transaction before giving up (ms). */
const BUSY_TIMEOUT_MS = 30_000;


/** Whether a worker id (`host:pid:nonce`, see runStudy) names a process of this host that has ended. */
export function workerGone(worker: string): boolean {
  const parts = worker.split(":");
  if (parts.length < 3) return false;
  const pid = Number(parts[parts.length - 2]);
  const host = parts.slice(0, -2).join(":");
  return host === hostname() && !pidAlive(pid);
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS studies (
  name TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, seed REAL NOT NULL, space TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
  study TEXT NOT NULL, number INTEGER NOT NULL, status TEXT NOT NULL, worker TEXT NOT NULL,
  heartbeat REAL NOT NULL, data TEXT NOT NULL, PRIMARY KEY (study, number));
`;

interface StudyRow {
  name: string;
  fingerprint: string;
  seed: number;
  space: string;
  created_at: number;
  pipeline: string | null;
}

export class SqliteStorage implements Storage {
  readonly shared = true;
  readonly location: string;
  private db: Database.Database | null = null;

  constructor(readonly file: string) {
    this.location = `sqlite:${file}`;
  }

  /** The default study database of a study folder: DIR/study.sqlite. */
  static inFolder(dir: string): SqliteStorage {
    return new SqliteStorage(join(dir, "study.sqlite"));
  }

  private database(): Database.Database {
    if (this.db) return this.db;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
    } catch (e) {
      throw new Error(`${fsFailure("cannot make the folder of the study database", dirname(this.file), e)} (or choose another --storage / --out)`);
    }
    let opened: Database.Database | undefined;
    try {
      const db = (opened = new Database(this.file, { timeout: BUSY_TIMEOUT_MS }));
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.transaction(() => {
        db.exec(SCHEMA);
        // Files made before the pipeline column (a study started by an older dlpc).
        const cols = db.prepare("SELECT name FROM pragma_table_info('studies')").all() as { name: string }[];
        if (!cols.some((c) => c.name === "pipeline")) db.exec("ALTER TABLE studies ADD COLUMN pipeline TEXT");
      }).immediate();
    } catch (e) {
      try {
        opened?.close();
      } catch {
        // the open failed; nothing to close
      }
      throw new Error(`${this.file}: cannot open the study database: ${sqliteReason(e)}`);
    }
    this.db = opened;
    return opened;
  }

  /** Runs `f` in one IMMEDIATE transaction (the write lock taken at once); errors name the file. */
  private tx<T>(f: (db: Database.Database) => T): T {
    const db = this.database();
    try {
      return db.transaction(() => f(db)).immediate();
    } catch (e) {
      if (isSqliteError(e)) throw new Error(`${this.file}: ${sqliteReason(e)}`);
      throw e;
    }
  }

  async open(meta: StudyMeta): Promise<void> {
    this.tx((db) => {
      const row = db.prepare("SELECT name, fingerprint, seed, space, created_at, pipeline FROM studies WHERE name = ?").get(meta.name) as StudyRow | undefined;
      if (row) checkMeta(toMeta(row), meta);
      else db.prepare("INSERT INTO studies (name, fingerprint, seed, space, created_at, pipeline) VALUES (?, ?, ?, ?, ?, ?)").run(meta.name, meta.fingerprint, meta.seed, meta.space, meta.createdAt, meta.pipeline ?? null);
      this.reap(db, meta.name, Infinity);
    });
  }

  /** Marks running trials of ended processes (and, within staleMs, silent ones) failed + lost. */
  private reap(db: Database.Database, study: string, staleMs: number): void {
    const now = Date.now();
    const running = db.prepare("SELECT number, worker, heartbeat, data FROM trials WHERE study = ? AND status = 'running'").all(study) as { number: number; worker: string; heartbeat: number; data: string }[];
    const update = db.prepare("UPDATE trials SET status = 'failed', data = ? WHERE study = ? AND number = ? AND status = 'running'");
    for (const r of running) {
      const gone = workerGone(r.worker);
      const silent = now - r.heartbeat > staleMs;
      if (!gone && !silent) continue;
      const t = JSON.parse(r.data) as TrialRecord;
      const error = gone
        ? `interrupted: the process running it (${r.worker}) ended before it finished; its configuration is retried`
        : `lost: worker ${r.worker} sent no heartbeat for ${Math.round(staleMs / 1000)} s; its configuration is retried`;
      update.run(JSON.stringify({ ...t, status: "failed", lost: true, error, finishedAt: now }), study, r.number);
    }
  }

  private load(db: Database.Database, study: string): TrialRecord[] {
    return (db.prepare("SELECT data FROM trials WHERE study = ? ORDER BY number").all(study) as { data: string }[]).map((r) => JSON.parse(r.data) as TrialRecord);
  }

  async claim(study: string, staleMs: number, decide: (trials: TrialRecord[]) => ClaimDecision): Promise<ClaimResult> {
    return this.tx((db) => {
      if (!db.prepare("SELECT 1 FROM studies WHERE name = ?").get(study)) throw new Error(`study "${study}" does not exist in ${this.location}`);
      this.reap(db, study, staleMs);
      const d = decide(this.load(db, study));
      if (d === "wait" || d === "done") return { kind: d } as ClaimResult;
      // The primary key (study, number) refuses a number taken twice; inside the write
      // transaction no other process can have taken it since `load`.
      db.prepare("INSERT INTO trials (study, number, status, worker, heartbeat, data) VALUES (?, ?, ?, ?, ?, ?)").run(study, d.number, d.status, d.worker, Date.now(), JSON.stringify(d));
      return { kind: "run", trial: d } as ClaimResult;
    });
  }

  async heartbeat(study: string, number: number, worker: string): Promise<void> {
    this.tx((db) => db.prepare("UPDATE trials SET heartbeat = ? WHERE study = ? AND number = ? AND worker = ? AND status = 'running'").run(Date.now(), study, number, worker));
  }

  async finish(study: string, trial: TrialRecord): Promise<boolean> {
    return this.tx(
      (db) =>
        db.prepare("UPDATE trials SET status = ?, data = ?, heartbeat = ? WHERE study = ? AND number = ? AND worker = ? AND status = 'running'").run(trial.status, JSON.stringify(trial), Date.now(), study, trial.number, trial.worker).changes === 1,
    );
  }

  /** A read outside a transaction; errors name the file, like `tx`'s. */
  private read<T>(f: (db: Database.Database) => T): T {
    const db = this.database();
    try {
      return f(db);
    } catch (e) {
      if (isSqliteError(e)) throw new Error(`${this.file}: ${sqliteReason(e)}`);
      throw e;
    }
  }

  async trials(study: string): Promise<TrialRecord[]> {
    return this.read((db) => this.load(db, study));
  }

  async meta(study: string): Promise<StudyMeta | null> {
    const row = this.read((db) => db.prepare("SELECT name, fingerprint, seed, space, created_at, pipeline FROM studies WHERE name = ?").get(study) as StudyRow | undefined);
    return row ? toMeta(row) : null;
  }

  async close(): Promise<void> {
    if (this.db) {
      this.db.close();
      this.db = null;
    }
  }
}

function toMeta(row: StudyRow): StudyMeta {
  const meta: StudyMeta = { name: row.name, fingerprint: row.fingerprint, seed: Number(row.seed), space: row.space, createdAt: Number(row.created_at) };
  if (row.pipeline !== null) meta.pipeline = row.pipeline;
  return meta;
}

function isSqliteError(e: unknown): boolean {
  return e instanceof Error && (e.name === "SqliteError" || /^SQLITE_/.test((e as { code?: string }).code ?? ""));
}

/** SQLite's error in our words: what happened, its code, what to do, and SQLite's text as the cause. */
export function sqliteReason(e: unknown): string {
  const code = (e as { code?: string }).code ?? "";
  const cause = causeOf(e);
  if (code.startsWith("SQLITE_BUSY")) return `another process held the study database for more than ${BUSY_TIMEOUT_MS / 1000} s (${code}): is another \`dlpc tune\` of this study stuck? stop it, or wait and run again${cause}`;
  if (code.startsWith("SQLITE_NOTADB") || code.startsWith("SQLITE_CORRUPT")) return `the file is not a SQLite database, or is damaged (${code}): move it away to start the study afresh, or restore it from a copy${cause}`;
  if (code.startsWith("SQLITE_READONLY") || code.startsWith("SQLITE_CANTOPEN") || code.startsWith("SQLITE_PERM") || code.startsWith("SQLITE_AUTH")) return `cannot open or write the file or its folder (${code}): check their permissions, or choose another --storage / --out${cause}`;
  if (code.startsWith("SQLITE_FULL")) return `the disk is full (${code}): free some space and run again (the study resumes)${cause}`;
  if (code.startsWith("SQLITE_IOERR")) return `a read or write of the file failed (${code}): check the disk and the file system${cause}`;
  return `SQLite failed${code ? ` (${code})` : ""}${cause}`;
}
