// SQLite storage through sql.js (SQLite compiled to wasm): the whole database lives in memory
// and is written back atomically (temp file + rename) after every change. One process at a time
// owns a study file (a lock file names its pid); a running trial found on open belonged to a
// process that died, so it is marked lost and its configuration retried.
import { existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import initSqlJs from "sql.js";
import type { Database, SqlValue } from "sql.js";
import { checkMeta, type ClaimDecision, type ClaimResult, type Storage } from "./storage.ts";
import type { StudyMeta, TrialRecord } from "./types.ts";

type SqlJs = Awaited<ReturnType<typeof initSqlJs>>;
let sqlJs: Promise<SqlJs> | null = null;
function loadSqlJs(): Promise<SqlJs> {
  sqlJs ??= initSqlJs();
  return sqlJs;
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS studies (
  name TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, seed REAL NOT NULL, space TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
  study TEXT NOT NULL, number INTEGER NOT NULL, status TEXT NOT NULL, worker TEXT NOT NULL,
  heartbeat REAL NOT NULL, data TEXT NOT NULL, PRIMARY KEY (study, number));
`;

export class SqliteStorage implements Storage {
  readonly shared = false;
  readonly location: string;
  private db: Database | null = null;
  private lockPath: string;
  private ownsLock = false;

  constructor(readonly file: string) {
    this.location = `sqlite:${file}`;
    this.lockPath = `${file}.lock`;
  }

  /** The default study database of a study folder: DIR/study.sqlite. */
  static inFolder(dir: string): SqliteStorage {
    return new SqliteStorage(join(dir, "study.sqlite"));
  }

  private async database(): Promise<Database> {
    if (this.db) return this.db;
    mkdirSync(dirname(this.file), { recursive: true });
    this.lock();
    const SQL = await loadSqlJs();
    const db = existsSync(this.file) ? new SQL.Database(readFileSync(this.file)) : new SQL.Database();
    db.run(SCHEMA);
    this.db = db;
    return db;
  }

  private lock(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(this.lockPath, String(process.pid), { flag: "wx" });
        this.ownsLock = true;
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        const pid = Number(readFileSync(this.lockPath, "utf8").trim());
        if (pid === process.pid) return; // this process already holds it (another storage object)
        if (pidAlive(pid)) {
          throw new Error(`${this.file} is in use by process ${pid}; SQLite studies take one process at a time (use a postgres:// storage for several workers)`);
        }
        unlinkSync(this.lockPath); // its owner died
      }
    }
    throw new Error(`could not lock ${this.file}`);
  }

  private persist(): void {
    const db = this.db!;
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, db.export());
    renameSync(tmp, this.file);
  }

  private rows(sql: string, params: SqlValue[] = []): SqlValue[][] {
    const res = this.db!.exec(sql, params);
    return res[0]?.values ?? [];
  }

  async open(meta: StudyMeta): Promise<void> {
    await this.database();
    const row = this.rows("SELECT name, fingerprint, seed, space, created_at FROM studies WHERE name = ?", [meta.name])[0];
    if (row) {
      checkMeta({ name: String(row[0]), fingerprint: String(row[1]), seed: Number(row[2]), space: String(row[3]), createdAt: Number(row[4]) }, meta);
    } else {
      this.db!.run("INSERT INTO studies (name, fingerprint, seed, space, created_at) VALUES (?, ?, ?, ?, ?)", [
        meta.name,
        meta.fingerprint,
        meta.seed,
        meta.space,
        meta.createdAt,
      ]);
    }
    // Whoever ran these is gone: this process holds the lock and has not started them.
    for (const t of this.load(meta.name)) {
      if (t.status !== "running") continue;
      this.write(meta.name, {
        ...t,
        status: "failed",
        lost: true,
        error: `interrupted: the process running it (${t.worker}) ended before it finished; its configuration is retried`,
        finishedAt: Date.now(),
      });
    }
    this.persist();
  }

  private load(study: string): TrialRecord[] {
    return this.rows("SELECT data FROM trials WHERE study = ? ORDER BY number", [study]).map((r) => JSON.parse(String(r[0])) as TrialRecord);
  }

  private write(study: string, t: TrialRecord): void {
    this.db!.run("INSERT OR REPLACE INTO trials (study, number, status, worker, heartbeat, data) VALUES (?, ?, ?, ?, ?, ?)", [
      study,
      t.number,
      t.status,
      t.worker,
      Date.now(),
      JSON.stringify(t),
    ]);
  }

  async claim(study: string, _staleMs: number, decide: (trials: TrialRecord[]) => ClaimDecision): Promise<ClaimResult> {
    await this.database();
    const d = decide(this.load(study));
    if (d === "wait" || d === "done") return { kind: d };
    this.write(study, d);
    this.persist();
    return { kind: "run", trial: d };
  }

  async heartbeat(study: string, number: number, worker: string): Promise<void> {
    // Liveness of a single owner is its pid (the lock); the column is kept for inspection.
    await this.database();
    this.db!.run("UPDATE trials SET heartbeat = ? WHERE study = ? AND number = ? AND worker = ? AND status = 'running'", [Date.now(), study, number, worker]);
  }

  async finish(study: string, trial: TrialRecord): Promise<boolean> {
    await this.database();
    const row = this.rows("SELECT status, worker FROM trials WHERE study = ? AND number = ?", [study, trial.number])[0];
    if (!row || row[0] !== "running" || row[1] !== trial.worker) return false;
    this.write(study, trial);
    this.persist();
    return true;
  }

  async trials(study: string): Promise<TrialRecord[]> {
    await this.database();
    return this.load(study);
  }

  async meta(study: string): Promise<StudyMeta | null> {
    await this.database();
    const row = this.rows("SELECT name, fingerprint, seed, space, created_at FROM studies WHERE name = ?", [study])[0];
    return row ? { name: String(row[0]), fingerprint: String(row[1]), seed: Number(row[2]), space: String(row[3]), createdAt: Number(row[4]) } : null;
  }

  async close(): Promise<void> {
    if (this.db) {
      this.persist();
      this.db.close();
      this.db = null;
    }
    if (this.ownsLock) {
      try {
        unlinkSync(this.lockPath);
      } catch {
        // already gone
      }
      this.ownsLock = false;
    }
  }
}
