// PostgreSQL storage for many workers on many machines. A claim is one transaction that locks
// the study row (SELECT … FOR UPDATE), so proposals are serialised and every trial number is
// taken exactly once (primary key (study, number) backs it up). Running trials carry a heartbeat
// stamped with the database clock; one older than staleMs is marked lost and its job retried, and
// a late result of a lost trial is refused (finish only updates a row still running for that worker).
import pg from "pg";
import { checkMeta, type ClaimDecision, type ClaimResult, type Storage } from "./storage.ts";
import type { StudyMeta, TrialRecord } from "./types.ts";

/** The URL with its password replaced by ***. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url.replace(/(\/\/[^:/@]+:)[^@]*@/, "$1***@");
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS dlp_studies (
  name text PRIMARY KEY, fingerprint text NOT NULL, seed double precision NOT NULL, space text NOT NULL,
  created_at double precision NOT NULL);
CREATE TABLE IF NOT EXISTS dlp_trials (
  study text NOT NULL REFERENCES dlp_studies(name) ON DELETE CASCADE, number integer NOT NULL,
  status text NOT NULL, worker text NOT NULL, heartbeat timestamptz NOT NULL DEFAULT now(), data jsonb NOT NULL,
  PRIMARY KEY (study, number));
CREATE INDEX IF NOT EXISTS dlp_trials_running ON dlp_trials (study, status);
ALTER TABLE dlp_studies ADD COLUMN IF NOT EXISTS pipeline text;
`;

export interface PostgresOptions {
  /** Milliseconds to wait for a connection before giving up (default 5000). */
  connectTimeoutMs?: number;
}

export class PostgresStorage implements Storage {
  readonly shared = true;
  readonly location: string;
  private pool: pg.Pool;
  private ready: Promise<void> | null = null;

  constructor(readonly url: string, opts: PostgresOptions = {}) {
    this.location = redactUrl(url);
    this.pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000, max: 4 });
    this.pool.on("error", () => undefined); // idle client errors surface on the next query
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (e) {
      const why = e instanceof Error ? e.message || (e as NodeJS.ErrnoException).code || e.name : String(e);
      throw new Error(`cannot reach the PostgreSQL study database at ${this.location}: ${why}`);
    }
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.connect();
    try {
      await c.query("BEGIN");
      const out = await fn(c);
      await c.query("COMMIT");
      return out;
    } catch (e) {
      await c.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  private schema(): Promise<void> {
    // DDL locks whole tables, even when IF NOT EXISTS makes it a no-op (ALTER TABLE takes
    // dlp_studies exclusively, CREATE INDEX dlp_trials in share mode), and a worker joining a
    // running study would deadlock with a claim that holds the study row and inserts a trial.
    // So the DDL runs only when something is missing; then an advisory lock serialises the
    // workers, and the tables are locked in the order a claim takes them (studies, trials).
    this.ready ??= (async () => {
      const complete = await this.pool.query(
        `SELECT to_regclass('dlp_trials_running') IS NOT NULL
            AND EXISTS (SELECT 1 FROM information_schema.columns
                         WHERE table_schema = current_schema() AND table_name = 'dlp_studies' AND column_name = 'pipeline') AS ok`,
      ).catch((e: unknown) => {
        const why = e instanceof Error ? e.message || (e as NodeJS.ErrnoException).code || e.name : String(e);
        throw new Error(`cannot reach the PostgreSQL study database at ${this.location}: ${why}`);
      });
      if ((complete.rows[0] as { ok: boolean }).ok) return;
      await this.tx(async (c) => {
        await c.query("SELECT pg_advisory_xact_lock(8412307)");
        for (const table of ["dlp_studies", "dlp_trials"]) {
          const exists = await c.query("SELECT to_regclass($1) IS NOT NULL AS ok", [table]);
          if ((exists.rows[0] as { ok: boolean }).ok) await c.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
        }
        await c.query(SCHEMA);
      });
    })().catch((e: unknown) => {
      this.ready = null;
      throw e;
    });
    return this.ready;
  }

  async open(meta: StudyMeta): Promise<void> {
    await this.schema();
    await this.tx(async (c) => {
      await c.query(
        "INSERT INTO dlp_studies (name, fingerprint, seed, space, created_at, pipeline) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING",
        [meta.name, meta.fingerprint, meta.seed, meta.space, meta.createdAt, meta.pipeline ?? null],
      );
      const r = await c.query("SELECT name, fingerprint, seed, space, created_at FROM dlp_studies WHERE name = $1", [meta.name]);
      const row = r.rows[0] as { name: string; fingerprint: string; seed: number; space: string; created_at: number };
      checkMeta({ name: row.name, fingerprint: row.fingerprint, seed: Number(row.seed), space: row.space, createdAt: Number(row.created_at) }, meta);
    });
  }

  async claim(study: string, staleMs: number, decide: (trials: TrialRecord[]) => ClaimDecision): Promise<ClaimResult> {
    await this.schema();
    return this.tx(async (c) => {
      const s = await c.query("SELECT name FROM dlp_studies WHERE name = $1 FOR UPDATE", [study]);
      if (s.rowCount === 0) throw new Error(`study "${study}" does not exist in ${this.location}`);
      const stale = await c.query(
        `SELECT number, data FROM dlp_trials WHERE study = $1 AND status = 'running'
           AND heartbeat < now() - make_interval(secs => $2::double precision / 1000)`,
        [study, staleMs],
      );
      for (const row of stale.rows as { number: number; data: TrialRecord }[]) {
        const t: TrialRecord = {
          ...row.data,
          status: "failed",
          lost: true,
          error: `lost: worker ${row.data.worker} sent no heartbeat for ${Math.round(staleMs / 1000)} s; its configuration is retried`,
          finishedAt: Date.now(),
        };
        await c.query("UPDATE dlp_trials SET status = 'failed', data = $3 WHERE study = $1 AND number = $2", [study, row.number, JSON.stringify(t)]);
      }
      const all = await c.query("SELECT data FROM dlp_trials WHERE study = $1 ORDER BY number", [study]);
      const d = decide((all.rows as { data: TrialRecord }[]).map((r) => r.data));
      if (d === "wait" || d === "done") return { kind: d };
      await c.query("INSERT INTO dlp_trials (study, number, status, worker, heartbeat, data) VALUES ($1, $2, $3, $4, now(), $5)", [
        study,
        d.number,
        d.status,
        d.worker,
        JSON.stringify(d),
      ]);
      return { kind: "run", trial: d };
    });
  }

  async heartbeat(study: string, number: number, worker: string): Promise<void> {
    await this.pool.query("UPDATE dlp_trials SET heartbeat = now() WHERE study = $1 AND number = $2 AND worker = $3 AND status = 'running'", [
      study,
      number,
      worker,
    ]);
  }

  async finish(study: string, trial: TrialRecord): Promise<boolean> {
    const c = await this.connect();
    try {
      const r = await c.query(
        "UPDATE dlp_trials SET status = $4, data = $5, heartbeat = now() WHERE study = $1 AND number = $2 AND worker = $3 AND status = 'running'",
        [study, trial.number, trial.worker, trial.status, JSON.stringify(trial)],
      );
      return r.rowCount === 1;
    } finally {
      c.release();
    }
  }

  async trials(study: string): Promise<TrialRecord[]> {
    const c = await this.connect();
    try {
      const r = await c.query("SELECT data FROM dlp_trials WHERE study = $1 ORDER BY number", [study]);
      return (r.rows as { data: TrialRecord }[]).map((x) => x.data);
    } finally {
      c.release();
    }
  }

  async meta(study: string): Promise<StudyMeta | null> {
    const c = await this.connect();
    try {
      const r = await c.query("SELECT name, fingerprint, seed, space, created_at, pipeline FROM dlp_studies WHERE name = $1", [study]);
      const row = r.rows[0] as { name: string; fingerprint: string; seed: number; space: string; created_at: number; pipeline: string | null } | undefined;
      if (!row) return null;
      const meta: StudyMeta = { name: row.name, fingerprint: row.fingerprint, seed: Number(row.seed), space: row.space, createdAt: Number(row.created_at) };
      if (row.pipeline !== null) meta.pipeline = row.pipeline;
      return meta;
    } finally {
      c.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** `postgres://…` or `postgresql://…` → PostgresStorage; anything else is a SQLite file path. */
export async function openStorage(where: string): Promise<Storage> {
  if (/^postgres(ql)?:\/\//.test(where)) return new PostgresStorage(where);
  const { SqliteStorage } = await import("./sqlite.ts");
  return new SqliteStorage(where);
}
