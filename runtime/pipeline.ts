// The contract between code emitted by dlpc and the runtime: a generated module exports
// `pipeline: CompiledPipeline<Params>`. Its functions turn a configuration of the params into the
// plain data of spec.ts (and, for the model, a tfjs LayersModel).
import type * as tfTypes from "@tensorflow/tfjs";
import type { DataSpec, EvaluateSpec, Params, ParamSpec, TrainSpec, TuneSpec } from "./spec.ts";

export interface CompiledPipeline<P extends Params = Params> {
  name: string;
  /** The .dlp file this was compiled from (for reports and error messages). */
  sourceFile: string;
  /** sha256 of the .dlp text, to tell an up-to-date build from a stale one. */
  sourceHash: string;
  seed: number;
  params: ParamSpec[];
  defaults: P;
  data(p: P): DataSpec;
  buildModel(p: P): tfTypes.LayersModel;
  train(p: P): TrainSpec;
  evaluate: EvaluateSpec | null;
  tune: TuneSpec | null;
}
