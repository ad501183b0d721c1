// Plain-data records shared by the strategies, the study engine and the storages.
import type { ParamSpec, Params, TuneSpec } from "../spec.ts";

export type TrialStatus = "running" | "complete" | "failed";

export interface TrialRecord {
  number: number;
  /** The strategy's slot this trial fills; a retried trial reuses the key of the one it replaces. */
  job: string;
  params: Params;
  seed: number;
  status: TrialStatus;
  /** Failed because its worker died (process killed, stale heartbeat): the job is retried. */
  lost: boolean;
  /** The objective metric, in the study's own direction; null until complete. */
  value: number | null;
  metrics: Record<string, number>;
  /** Total epochs the trial trains to; null: the pipeline's own training length. */
  epochs: number | null;
  initialEpoch: number;
  resumeFrom: string | null;
  epochsRun: number;
  checkpointDir: string | null;
  /** Hyperband/ASHA bookkeeping. */
  bracket: number | null;
  rung: number | null;
  /** The trial whose checkpoint this one continues. */
  parent: number | null;
  error: string | null;
  worker: string;
  startedAt: number;
  finishedAt: number | null;
}

/** What a strategy asks to run next. */
export interface Job {
  job: string;
  params: Params;
  epochs: number | null;
  initialEpoch: number;
  resumeFrom: string | null;
  bracket: number | null;
  rung: number | null;
  parent: number | null;
  /** Keep this seed (a promoted or retried trial continues its configuration's seed). */
  seed?: number;
}

export type Decision = { kind: "run"; job: Job } | { kind: "wait" } | { kind: "done" };

/** What a study stores once, and compares on resume. */
export interface StudyMeta {
  name: string;
  fingerprint: string;
  seed: number;
  /** JSON of the search space and strategy: shown as a diff when a resume is refused. */
  space: string;
  createdAt: number;
  /** The pipeline the study tunes (JSON {file, text} of its .dlp), so `dlpc tune --worker` can join with only the storage and the study name. Kept by shared storages. */
  pipeline?: string;
}

export interface SpaceDescription {
  seed: number;
  objective: TuneSpec["objective"];
  strategy: Record<string, unknown>;
  params: Record<string, Omit<ParamSpec, "name" | "default">>;
}
