// Where a study's trials live. Every storage gives the engine one atomic step, `claim`: mark
// trials of dead workers as lost, show the decider every trial, insert what it proposes.
import type { StudyMeta, TrialRecord } from "./types.ts";

export type ClaimDecision = TrialRecord | "wait" | "done";
export type ClaimResult = { kind: "run"; trial: TrialRecord } | { kind: "wait" } | { kind: "done" };

export interface Storage {
  /** Where the study lives, for messages (passwords hidden). */
  readonly location: string;
  /** Whether several processes may share a study through this storage. */
  readonly shared: boolean;
  /** Creates the study, or checks the stored fingerprint and space against `meta` (throws FingerprintError). */
  open(meta: StudyMeta): Promise<void>;
  /**
   * One atomic step: running trials whose worker is gone (stale heartbeat, dead process) become
   * failed + lost, then `decide` sees every trial and its answer is inserted as a running trial.
   */
  claim(study: string, staleMs: number, decide: (trials: TrialRecord[]) => ClaimDecision): Promise<ClaimResult>;
  /** Keeps a running trial alive. */
  heartbeat(study: string, number: number, worker: string): Promise<void>;
  /** Records a finished trial; false when it had meanwhile been declared lost (its result is discarded). */
  finish(study: string, trial: TrialRecord): Promise<boolean>;
  trials(study: string): Promise<TrialRecord[]>;
  meta(study: string): Promise<StudyMeta | null>;
  close(): Promise<void>;
}

export class FingerprintError extends Error {
  override name = "FingerprintError";
  constructor(study: string, readonly changes: string[]) {
    super(
      `study "${study}" was started with a different pipeline or search space, so it cannot be resumed:\n` +
        changes.map((c) => `  ${c}`).join("\n") +
        `\nstart a new study (another name or folder) or restore the original pipeline`,
    );
  }
}

/** Paths whose values differ between two JSON values, as "path: old -> new" lines. */
export function jsonDiff(a: unknown, b: unknown, path = ""): string[] {
  const show = (v: unknown): string => (v === undefined ? "(absent)" : JSON.stringify(v));
  if (a === b) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    if (Array.isArray(a) && Array.isArray(b) && a.length !== b.length) return [`${path || "(root)"}: ${show(a)} -> ${show(b)}`];
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => jsonDiff(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return [`${path || "(root)"}: ${show(a)} -> ${show(b)}`];
}

/** Throws FingerprintError when `given` does not match what the study was created with. */
export function checkMeta(stored: StudyMeta, given: StudyMeta): void {
  const changes: string[] = [];
  if (stored.fingerprint !== given.fingerprint) changes.push(`fingerprint: ${stored.fingerprint} -> ${given.fingerprint}`);
  let a: unknown;
  let b: unknown;
  try {
    a = JSON.parse(stored.space);
    b = JSON.parse(given.space);
  } catch {
    a = stored.space;
    b = given.space;
  }
  changes.push(...jsonDiff(a, b));
  if (stored.seed !== given.seed && !changes.some((c) => c.startsWith("seed:"))) changes.push(`seed: ${stored.seed} -> ${given.seed}`);
  if (changes.length > 0) throw new FingerprintError(given.name, changes);
}

/** In-process storage (benchmarks, tests, throwaway studies). */
export class MemoryStorage implements Storage {
  readonly location = "memory";
  readonly shared = false;
  private studies = new Map<string, { meta: StudyMeta; trials: TrialRecord[] }>();
  async open(meta: StudyMeta): Promise<void> {
    const s = this.studies.get(meta.name);
    if (s) checkMeta(s.meta, meta);
    else this.studies.set(meta.name, { meta, trials: [] });
  }
  private get(study: string): { meta: StudyMeta; trials: TrialRecord[] } {
    const s = this.studies.get(study);
    if (!s) throw new Error(`study "${study}" is not open`);
    return s;
  }
  async claim(study: string, _staleMs: number, decide: (trials: TrialRecord[]) => ClaimDecision): Promise<ClaimResult> {
    const s = this.get(study);
    const d = decide(s.trials.map((t) => ({ ...t })));
    if (d === "wait" || d === "done") return { kind: d };
    s.trials.push({ ...d });
    return { kind: "run", trial: d };
  }
  async heartbeat(): Promise<void> {}
  async finish(study: string, trial: TrialRecord): Promise<boolean> {
    const s = this.get(study);
    const i = s.trials.findIndex((t) => t.number === trial.number);
    if (i < 0 || s.trials[i]!.status !== "running") return false;
    s.trials[i] = { ...trial };
    return true;
  }
  async trials(study: string): Promise<TrialRecord[]> {
    return this.get(study).trials.map((t) => ({ ...t }));
  }
  async meta(study: string): Promise<StudyMeta | null> {
    return this.studies.get(study)?.meta ?? null;
  }
  async close(): Promise<void> {}
}
