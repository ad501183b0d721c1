// PostgreSQL storage for many workers on many machines. A claim is one transaction that locks
// the study row (SELECT … FOR UPDATE), so proposals are serialised and every trial number is
// taken exactly once (primary key (study, number) backs it up). Running trials carry a heartbeat
// stamped with the database clock; one older than staleMs is marked lost and its job retried, and
// a late result of a lost trial is refused (finish only updates a row still running for that worker).
import { spawn } from "node:child_process";
import { isIP } from "node:net";
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

/** How long a connection (name lookup, TCP, authentication) may take by default: `--connect-timeout`. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3000;

export interface PostgresOptions {
  /** Milliseconds to wait for a connection, name lookup included, before giving up (default 3000). */
  connectTimeoutMs?: number;
}

/** The host:port a URL connects to, as a user would type it (pg's defaults: PGHOST, PGPORT, localhost:5432). */
export function endpointOf(url: string): { host: string; port: number; label: string; database: string; user: string } {
  let host = "";
  let port = "";
  let database = "";
  let user = "";
  try {
    const u = new URL(url);
    host = decodeURIComponent(u.hostname).replace(/^\[(.*)\]$/, "$1") || u.searchParams.get("host") || "";
    port = u.port || u.searchParams.get("port") || "";
    database = decodeURIComponent(u.pathname.replace(/^\//, ""));
    user = decodeURIComponent(u.username);
  } catch {
    // an unparsable URL: pg reports it; the defaults below name what it falls back to
  }
  host ||= process.env.PGHOST || "localhost";
  const p = Number(port || process.env.PGPORT || 5432);
  const label = host.startsWith("/") ? `${host}/.s.PGSQL.${p}` : isIP(host) === 6 ? `[${host}]:${p}` : `${host}:${p}`;
  return { host, port: p, label, database: database || user || process.env.PGDATABASE || "", user: user || process.env.PGUSER || "" };
}

/** pg's or the system's connection error in our words: what happened at host:port and what to check. */
export function connectFailure(e: unknown, url: string, timeoutMs: number): Error {
  const { host, label, database, user } = endpointOf(url);
  const err = e as { code?: string; message?: string; cause?: unknown };
  const inner = (err.cause ?? {}) as { code?: string; message?: string };
  const code = err.code ?? inner.code ?? "";
  const text = [err.message, inner.message].filter(Boolean).join(": ");
  const secs = `${+(timeoutMs / 1000).toFixed(2)} s`;
  let why: string;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_FAIL" || code === "EAI_NONAME" || code === "DLP_LOOKUP_TIMEOUT") {
    why = code === "DLP_LOOKUP_TIMEOUT"
      ? `the host name "${host}" could not be looked up within ${secs}: check the DNS server (/etc/resolv.conf), or use the server's IP address`
      : `the host name "${host}" does not resolve: check its spelling in the URL${code === "EAI_AGAIN" ? " and that the DNS server answers" : ""}`;
  } else if (code === "ECONNREFUSED" || (code === "ENOENT" && host.startsWith("/"))) {
    why = `nothing accepts connections at ${label}: check that PostgreSQL runs there and listens on that ${host.startsWith("/") ? "socket" : "address and port (listen_addresses, port in postgresql.conf)"}`;
  } else if (code === "EHOSTUNREACH" || code === "ENETUNREACH" || code === "EADDRNOTAVAIL") {
    why = `there is no network route to ${label}: check the host in the URL and this machine's network`;
  } else if (code === "ETIMEDOUT" || /timeout/i.test(text)) {
    why = `${label} did not answer within ${secs}: check the host and port, and that no firewall drops the connection (a slow link: raise --connect-timeout)`;
  } else if (code === "ECONNRESET" || code === "EPIPE" || /terminated unexpectedly/.test(text)) {
    why = `${label} closed the connection before PostgreSQL answered: check that a PostgreSQL server (not another service) listens there, and its SSL settings (sslmode in the URL)`;
  } else if (code === "28P01") {
    why = `PostgreSQL at ${label} refused the password of user "${user}": check the URL's user and password, PGPASSWORD or ~/.pgpass`;
  } else if (code === "28000") {
    why = `PostgreSQL at ${label} does not let user "${user}" in from this machine: check the user, and pg_hba.conf on the server`;
  } else if (code === "3D000") {
    why = `there is no database "${database}" at ${label}: create it (createdb ${database}) or fix the URL's path`;
  } else if (code === "57P03" || code === "53300") {
    why = `PostgreSQL at ${label} does not accept connections now (${code === "57P03" ? "it is starting up or shutting down" : "too many connections"}): try again shortly`;
  } else if (/SSL|certificate|self.signed/i.test(text)) {
    why = `the SSL handshake with ${label} failed: check sslmode and the certificates in the URL`;
  } else {
    why = `connecting to ${label} failed`;
  }
  const cause = text ? ` (cause: ${text.split("\n")[0]}${code && !text.includes(code) ? `, ${code}` : ""})` : code ? ` (cause: ${code})` : "";
  return new Error(`cannot reach the PostgreSQL study database at ${label} (${redactUrl(url)}): ${why}${cause}`);
}

/** Whether an error comes from pg or the connection (wrapped in our words), not from dlp itself. */
function isLibraryError(e: unknown): boolean {
  if (e instanceof pg.DatabaseError) return true;
  const m = e instanceof Error ? e.message : "";
  return /^(Connection terminated|Client has encountered a connection error|Client was closed|Cannot use a pool after calling end)/.test(m) || /^E[A-Z]+$/.test((e as { code?: string }).code ?? "");
}

/** A failed query in our words: which database, what it means, what to do. */
export function queryFailure(e: unknown, url: string): Error {
  const { label } = endpointOf(url);
  const err = e as { code?: string; message?: string; table?: string };
  const code = err.code ?? "";
  const text = err.message ?? String(e);
  let why: string;
  if (code === "42501") why = "the database user may not read or write the study tables: GRANT it SELECT, INSERT, UPDATE on dlp_studies and dlp_trials (or CREATE on the schema)";
  else if (code === "25006") why = "the database is read-only (a standby, or default_transaction_read_only): point --storage at the primary";
  else if (code === "53100") why = "the database server's disk is full";
  else if (code === "57P01" || code === "57P02" || code === "57P03") why = "the server is shutting down or restarting: run the worker again once it is back (the study resumes)";
  else if (code === "40P01") why = "a deadlock with another worker was broken by the server: run the worker again (the study resumes)";
  else if (code.startsWith("08") || /^Connection terminated|connection error|ECONNRESET|EPIPE/.test(text + code)) why = "the connection was lost: check the server and the network, then run the worker again (the study resumes)";
  else if (code === "42P01" || code === "42703") why = "the study tables are missing or not dlp's (dlp_studies, dlp_trials): is this the right database?";
  else why = "a query failed";
  return new Error(`the PostgreSQL study database at ${label} (${redactUrl(url)}): ${why} (cause: ${text.split("\n")[0]}${code && !text.includes(code) ? `, ${code}` : ""})`);
}

/**
 * Looks the host name up within `ms`. The system resolver (getaddrinfo) cannot be cancelled, and
 * a lookup still in flight keeps the process from exiting until its own timeout (10 s with an
 * unanswering DNS server, whatever pg's timeout says), so the first lookup runs in a child
 * process, killed at the deadline. Once it has answered, pg's own lookup of the name is quick.
 */
export function lookupWithin(host: string, ms: number): Promise<void> {
  if (!host || host.startsWith("/") || isIP(host) !== 0 || host === "localhost") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = `require("node:dns").lookup(process.argv[1], (e) => { process.stdout.write(e ? JSON.stringify({ code: e.code, message: e.message }) : "ok"); });`;
    const child = spawn(process.execPath, ["-e", script, host], { stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, NODE_OPTIONS: "" } });
    let out = "";
    let settled = false;
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    const timer = setTimeout(() => settle(() => {
      child.kill("SIGKILL");
      reject(Object.assign(new Error(`looking up ${host} took more than ${ms} ms`), { code: "DLP_LOOKUP_TIMEOUT" }));
    }), ms);
    child.stdout!.on("data", (d) => (out += String(d)));
    child.once("error", () => settle(resolve)); // no child process to be had: pg looks the name up itself
    child.once("close", () => settle(() => {
      if (out === "ok" || out === "") return resolve();
      try {
        const e = JSON.parse(out) as { code: string; message: string };
        reject(Object.assign(new Error(e.message), { code: e.code }));
      } catch {
        resolve();
      }
    }));
  });
}

export class PostgresStorage implements Storage {
  readonly shared = true;
  readonly location: string;
  private pool: pg.Pool;
  private ready: Promise<void> | null = null;
  private looked: Promise<void> | null = null;
  readonly connectTimeoutMs: number;

  constructor(readonly url: string, opts: PostgresOptions = {}) {
    this.location = redactUrl(url);
    this.connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: this.connectTimeoutMs, max: 4 });
    this.pool.on("error", () => undefined); // idle client errors surface on the next query
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      // The first connection looks the host up in bounded time (see lookupWithin); pg's own timeout covers the rest.
      this.looked ??= lookupWithin(endpointOf(this.url).host, this.connectTimeoutMs).catch((e: unknown) => {
        this.looked = null;
        throw e;
      });
      await this.looked;
      return await this.pool.connect();
    } catch (e) {
      throw connectFailure(e, this.url, this.connectTimeoutMs);
    }
  }

  /** Connects and makes sure the tables exist: a database that cannot be reached fails here, before any work. */
  async check(): Promise<void> {
    await this.schema();
  }

  /** Runs `fn` on a pooled connection; pg's errors come back in our words. */
  private async use<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.connect();
    let broken = false;
    try {
      return await fn(c);
    } catch (e) {
      if (!isLibraryError(e)) throw e;
      broken = !(e instanceof pg.DatabaseError);
      throw queryFailure(e, this.url);
    } finally {
      c.release(broken);
    }
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.use(async (c) => {
      await c.query("BEGIN");
      try {
        const out = await fn(c);
        await c.query("COMMIT");
        return out;
      } catch (e) {
        await c.query("ROLLBACK").catch(() => undefined);
        throw e;
      }
    });
  }

  private schema(): Promise<void> {
    // DDL locks whole tables, even when IF NOT EXISTS makes it a no-op (ALTER TABLE takes
    // dlp_studies exclusively, CREATE INDEX dlp_trials in share mode), and a worker joining a
    // running study would deadlock with a claim that holds the study row and inserts a trial.
    // So the DDL runs only when something is missing; then an advisory lock serialises the
    // workers, and the tables are locked in the order a claim takes them (studies, trials).
    this.ready ??= (async () => {
      const complete = await this.use((probe) => probe.query(
        `SELECT to_regclass('dlp_trials_running') IS NOT NULL
            AND EXISTS (SELECT 1 FROM information_schema.columns
                         WHERE table_schema = current_schema() AND table_name = 'dlp_studies' AND column_name = 'pipeline') AS ok`,
      ));
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
    return this.use(async (c) => {
      const r = await c.query(
        "UPDATE dlp_trials SET status = $4, data = $5, heartbeat = now() WHERE study = $1 AND number = $2 AND worker = $3 AND status = 'running'",
        [study, trial.number, trial.worker, trial.status, JSON.stringify(trial)],
      );
      return r.rowCount === 1;
    });
  }

  async trials(study: string): Promise<TrialRecord[]> {
    return this.use(async (c) => {
      const r = await c.query("SELECT data FROM dlp_trials WHERE study = $1 ORDER BY number", [study]);
      return (r.rows as { data: TrialRecord }[]).map((x) => x.data);
    });
  }

  async meta(study: string): Promise<StudyMeta | null> {
    return this.use(async (c) => {
      const r = await c.query("SELECT name, fingerprint, seed, space, created_at, pipeline FROM dlp_studies WHERE name = $1", [study]);
      const row = r.rows[0] as { name: string; fingerprint: string; seed: number; space: string; created_at: number; pipeline: string | null } | undefined;
      if (!row) return null;
      const meta: StudyMeta = { name: row.name, fingerprint: row.fingerprint, seed: Number(row.seed), space: row.space, createdAt: Number(row.created_at) };
      if (row.pipeline !== null) meta.pipeline = row.pipeline;
      return meta;
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** `postgres://…` or `postgresql://…` → PostgresStorage; anything else is a SQLite file path. */
export async function openStorage(where: string, opts: PostgresOptions = {}): Promise<Storage> {
  if (/^postgres(ql)?:\/\//.test(where)) return new PostgresStorage(where, opts);
  const { SqliteStorage } = await import("./sqlite.ts");
  return new SqliteStorage(where);
}
