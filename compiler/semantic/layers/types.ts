// The one table that drives the compiler: each layer is defined once, here, and the
// checker, `dlpc summary`, the emitter, hover/completion in the editor and the docs read it.
import type { Code } from "../../diagnostics/codes.ts";

/** One axis of a per-sample shape (the batch axis is never included). `null` = unknown length. */
export type Dim = number | null;
export type TensorShape = Dim[];

/** An argument value after evaluation: numbers, enum identifiers as strings, booleans, tuples,
 *  and a nested layer call (the `layer` argument of `bidirectional(lstm(64))`). */
export type ArgValue = number | string | boolean | ArgValue[] | LayerValue;
export interface LayerValue {
  layer: string;
  args: Args;
}
export type Args = Record<string, ArgValue>;

/** A failed shape rule. The checker turns it into a coded diagnostic at the call's span. */
export interface ShapeFailure {
  failure: true;
  /** A catalogue code, e.g. "DLP3001" (see compiler/diagnostics/codes.ts). */
  code: Code;
  /** Title of the diagnostic, lower-case, no final period. */
  message: string;
  /** Label under the call: what it received, e.g. "needs at least 3×3, receives 1×1×64". */
  label: string;
  /** An argument the failure is about; the caret goes under that argument when present. */
  arg?: string;
  help?: string;
  /** The help as an edit: give argument `arg` the value `value` (written as dlp text). */
  fix?: { arg: string; value: string };
}

export interface ParamCount {
  trainable: number;
  nonTrainable: number;
}

/** An argument as the emitter sees it: TypeScript code, plus its value when it is a literal. */
export interface ArgCode {
  code: string;
  literal?: ArgValue;
}

/** How a layer call becomes TypeScript: `tf.layers.<factory>({ key: code, ... })`. */
export interface TfjsCall {
  factory: string;
  /** Config entries in emission order; values are TypeScript expressions. */
  config: [string, string][];
}

export interface ArgDoc {
  name: string;
  type: string; // for hover/completion: "int ≥ 1", "same | valid", ...
  doc: string;
}

export interface LayerDef {
  /** The name written in .dlp, e.g. "conv2d". */
  name: string;
  /** Keras class name, shown by `dlpc summary` ("Conv2D"); its snake case names the layer instances. */
  kerasClass: string;
  /** One line for hover and docs. */
  doc: string;
  /** Arguments that may be given without a name, in order. */
  positional: string[];
  /** JSON Schema (draft-07, for ajv) of the args object, with defaults filled by ajv (useDefaults). */
  schema: Record<string, unknown>;
  argDocs: ArgDoc[];
  /** "many": a merge layer taking several tensors (add, concatenate, multiply). */
  inputs: "one" | "many";
  /** Output shape, or a failure explaining why the input cannot go through. */
  shape(inputs: TensorShape[], args: Args): TensorShape | ShapeFailure;
  /** Weight counts (none when the shape rule fails). `output`: this call's `shape` result when
   *  the caller has it already, to save running the shape rule a second time. */
  params(inputs: TensorShape[], args: Args, output?: TensorShape | ShapeFailure): ParamCount;
  /** The tfjs layer this becomes; `args` holds every given argument (defaults not included). */
  tfjs(args: Record<string, ArgCode>): TfjsCall;
}

export function isFailure(x: TensorShape | ShapeFailure): x is ShapeFailure {
  return !Array.isArray(x);
}
