// Hyper-parameter tuning, in the parts Keras Tuner and Optuna users know:
//   space.ts       the search space (Keras Tuner's HyperParameters, Optuna's distributions);
//   strategies.ts  what to try next: grid, random, bayesian (Keras Tuner's oracles, Optuna's
//                  samplers) and hyperband / ASHA, which also stop and promote trials by rung
//                  (Optuna's pruners);
//   storage.ts, sqlite.ts, postgres.ts  the record of a study's trials (Optuna's storages), shared
//                  by several workers in PostgreSQL;
//   study.ts       the study loop: claim a trial, run the objective, record it (Study.optimize,
//                  Tuner.search);
//   trial.ts       the objective for a compiled pipeline: train one configuration and score it
//                  (Tuner.run_trial);
//   session.ts     `dlpc tune` once the pipeline is compiled: storage, live table, Ctrl-C, results;
//   report.ts      the trial table and the study's HTML report.
// It loads TensorFlow.js only when a trial runner starts (trial.ts).
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
export { metricsAtBest, trialRunner } from "./trial.ts";
export type { Backend, TrialRunner, TrialRunnerOptions } from "./trial.ts";
export { describePipeline, fingerprintOf, reproduceCommand, tunePipeline } from "./session.ts";
export type { TuneSessionOptions } from "./session.ts";
export type { Decision, Job, SpaceDescription, StudyMeta, TrialRecord, TrialStatus } from "./types.ts";
