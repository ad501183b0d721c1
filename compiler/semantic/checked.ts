// The checked pipeline: what the checker hands to the emitter, the summary and the editor. A leaf
// of the compiler's import graph (types only), so every section checker and every reader can
// import it without a circle.
import type { DataSpec, EvaluateSpec, ParamSpec, TrainSpec, TuneSpec } from "../../runtime/spec.ts";
import type { TensorShape } from "./layers/types.ts";
import type { PipelineIR } from "./lower.ts";
import type { ModelResult } from "./model.ts";
import type { Traced } from "./term.ts";

/** The specs with their leaves as terms: each value with the code that computes it from `p`. */
export interface TracedSpecs {
  data?: Traced<DataSpec>;
  train?: Traced<TrainSpec>;
}

export interface CheckedPipeline {
  ir: PipelineIR;
  data?: DataSpec;
  train?: TrainSpec;
  /** What the emitter writes: `data` and `train` with every field that reads a param as its code. */
  traced: TracedSpecs;
  evaluate: EvaluateSpec | null;
  tune: TuneSpec | null;
  params: ParamSpec[];
  /** The model at the default params (summary, hover, inlay hints). */
  model?: ModelResult;
  /** The model input per sample, from the data section. */
  inputShape?: TensorShape;
  combinationsChecked: number;
  /** How many times a top-level model statement was interpreted to check them all (a measure
   *  of the checker's work, printed by bench/check_speed.ts). */
  statementRuns: number;
}

