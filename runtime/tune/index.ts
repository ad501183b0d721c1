// Hyper-parameter tuning: strategies, the study engine, storages and reports.
export { hash32, trialSeed, Rng } from "./rng.ts";
export { buildSpace, conditionHolds, configKey, decode, encode, gridConfigs, gridSize, isDiscrete, sample, SpaceError } from "./space.ts";
export type { Dim, Space } from "./space.ts";
export { GP } from "./gp.ts";
export {
  AshaStrategy,
  BayesianStrategy,
  GridStrategy,
  HyperbandStrategy,
  hyperbandSchedule,
  latinHypercube,
  lossOf,
  makeStrategy,
  RandomStrategy,
} from "./strategies.ts";
export type { BayesianOptions, Bracket, Rung, Strategy, StrategyContext } from "./strategies.ts";
export { bestTrial, decideNext, describeSpace, runStudy, TrialInterrupted } from "./study.ts";
export type { StudyEvent, StudyOptions, StudyResult, StudyUpdate, TrialOutcome, TrialRequest } from "./study.ts";
export { checkMeta, FingerprintError, jsonDiff, MemoryStorage } from "./storage.ts";
export type { ClaimDecision, ClaimResult, Storage } from "./storage.ts";
export { SqliteStorage } from "./sqlite.ts";
export { openStorage, PostgresStorage, redactUrl } from "./postgres.ts";
export { renderStudyHtml, renderTrialTable } from "./report.ts";
export type { Decision, Job, SpaceDescription, StudyMeta, TrialRecord, TrialStatus } from "./types.ts";
