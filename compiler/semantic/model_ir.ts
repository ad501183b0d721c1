// The model IR: what lowering makes of a `model { … }` section or a block body, and what both the
// checker (model.ts, the shape walk) and the emitter (codegen/emit.ts) walk. Statement forms
// (`repeat`, `if`/`else`, `return`, `name = …`) and tensor expressions (layer call, block call,
// `block(params)(tensors)`, `|>` stages, tensor names) are decided here once; argument values stay
// expressions (the checker evaluates them, the emitter writes them). Malformed statements are
// nodes too: the checker reports them where a walk reaches them, as it always did.
// Types and small pure helpers only, so the emitter can import it (tests/structure/deps.test.ts).
import type { Argument, CallExpr, Expr, NameExpr, Span, Statement } from "../../grammar/ast.ts";
import type { LayerDef } from "./layers/types.ts";
import type { CallSignature } from "./values.ts";

/** One statement of a model or block body. `source`: the statements it came from (an `if` with its `else`). */
export type ModelNode = (
  | { kind: "layers"; value: TensorIR; span: Span }
  | { kind: "assign"; target: NameExpr; value: TensorIR; valueSpan: Span }
  /** `repeat N { … }` / `repeat N as i { … }`; count or body missing: reported when reached. */
  | { kind: "repeat"; count?: Expr; loopVar?: NameExpr; body?: ModelNode[]; span: Span }
  /** `if COND { … } [else { … }]`; `hasElse` with `orElse` undefined: an `else` without a block. */
  | { kind: "if"; cond?: Expr; head: NameExpr; then?: ModelNode[]; hasElse: boolean; orElse?: ModelNode[]; span: Span }
  /** `return TENSOR`, or a model's named heads `return { digit = …, recon = … }` (`heads`; `badHeads`: entries that are not `name = tensor`). */
  | { kind: "return"; value?: TensorIR; heads?: HeadIR[]; badHeads?: Expr[]; head: NameExpr; span: Span }
  /** `freeze`: every layer built before it is frozen (compiler/semantic/freeze.ts); `words`: anything written after it (an error). */
  | { kind: "freeze"; inWords: boolean; span: Span }
  /** A statement a model cannot hold (`foo bar`, a block after a call, `a.b = …`). */
  | { kind: "invalid"; why: "statement" | "assign-target"; head?: NameExpr; first: Expr; span: Span }
) & { source: Statement[] };

/** One named head of `return { name = tensor, … }`: the model output trained on the data field `name`. */
export interface HeadIR {
  name: NameExpr;
  value: TensorIR;
  span: Span;
}

/** A call: of a layer, of a user block, `block(params)(tensors)`, or of something that is neither. */
export type CallIR =
  /** `name`: the layer as written (the table's key or an alias). */
  | { kind: "layer"; call: CallExpr; name: string; def: LayerDef; args: ArgIR[] }
  | { kind: "block"; call: CallExpr; block: string }
  | { kind: "apply"; call: CallExpr; params: CallExpr; block: string; inputs: TensorIR[] }
  | { kind: "unknown"; call: CallExpr; name: NameExpr }
  | { kind: "uncallable"; call: CallExpr };

export type TensorIR =
  | CallIR
  /** A bare name: a tensor in scope, else (`call`) a layer or block called with no arguments. */
  | { kind: "ref"; name: NameExpr; call?: CallIR }
  | { kind: "pipe"; head: TensorIR; stages: (TensorIR | { kind: "bad-stage"; expr: Expr })[] }
  | { kind: "error" }
  /** Anything else (a number, a string): not a tensor, reported where a tensor is needed. */
  | { kind: "other"; expr: Expr };

/** An argument of a layer call, with its value lowered as a tensor in case it is one. */
export interface ArgIR {
  arg: Argument;
  tensor: TensorIR;
  /** A tensor whatever is in scope (a layer or block call, a pipe); a bare name is a tensor
   *  only when a tensor of that name is in scope. */
  always: boolean;
}

export const isCallIR = (t: { kind: string }): t is CallIR => t.kind === "layer" || t.kind === "block" || t.kind === "apply" || t.kind === "unknown" || t.kind === "uncallable";

/** Whether an unnamed argument of a layer call is one of its input tensors (not a setting): the
 *  one rule, for the checker and the emitter. `tensors`: the tensor names in scope. */
export function isTensorInput(a: ArgIR, def: LayerDef, tensors: { has(name: string): boolean }): boolean {
  if (a.arg.name || Object.prototype.hasOwnProperty.call((def.schema.properties ?? {}) as object, "layer")) return false;
  if (def.inputs === "many") return true;
  return a.always || (a.tensor.kind === "ref" && tensors.has(a.tensor.name.name));
}

const signatures = new WeakMap<LayerDef, CallSignature & { takesLayer: boolean }>();
/** A layer's call signature for argument binding (the checker's and the emitter's). */
export function signatureOf(def: LayerDef): CallSignature & { takesLayer: boolean } {
  let sig = signatures.get(def);
  if (!sig) {
    // A layer that wraps another (bidirectional) takes a layer call as an argument, not a tensor.
    const takesLayer = Object.prototype.hasOwnProperty.call((def.schema.properties ?? {}) as object, "layer");
    signatures.set(def, (sig = { what: def.name, positional: def.positional, schema: def.schema, takesLayer }));
  }
  return sig;
}

/** The `trainable:` argument of a block call, unless the block has a parameter of that name. */
export function blockTrainableArg(block: { params: { name: string }[] }, call: CallExpr): Argument | undefined {
  if (block.params.some((p) => p.name === "trainable")) return undefined;
  return call.args.find((a) => a.name?.name === "trainable");
}

/** The call's arguments that bind to the block's parameters (all but its `trainable:`). */
export function blockParamArgs(block: { params: { name: string }[] }, call: CallExpr): Argument[] {
  const t = blockTrainableArg(block, call);
  return t ? call.args.filter((a) => a !== t) : call.args;
}
