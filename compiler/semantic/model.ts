// Shape interpretation of a model section for one assignment of param values: walks the model IR
// (model_ir.ts: sequential calls, named tensors, blocks, repeat, if/else) through the layer
// table. A failed layer poisons its output so one root cause gives one error, but only as far
// as the error reaches (issue 13, recovery): its output keeps the axes its arguments fix
// (conv2d's filters, dense's units, reshape's target) and the rest are POISONED — an axis
// unknown because of an earlier error. A layer reading a poisoned axis reports nothing (its
// error would be a cascade) and poisons its own output in turn, while a layer whose output does
// not depend on those axes (dense over a poisoned vector, a global pool, flatten) makes the
// shape known again, so an independent mistake further down is still reported, once. A shape
// of unknown rank (`null`) is poisoned whole; flatten() turns it into a vector again.
import type { Argument, CallExpr, Expr, NameExpr, Span, Statement } from "../../grammar/ast.ts";
import { exprText } from "../../grammar/ast.ts";
import { diag, type Diagnostic } from "../diagnostics/diagnostic.ts";
import { LAYERS, fmtShape } from "./layers/index.ts";
import { isFailure, type Args, type ArgValue, type LayerDef, type ParamCount, type TensorShape } from "./layers/types.ts";
import { bindArgs, evalExpr, namesIn, statementNames, validateArgs, type BoundArgs, type CallSignature } from "./values.ts";
export { statementNames };
import { layerMeant, meantHelp } from "./names.ts";
import type { BlockIR } from "./lower.ts";
import { isCallIR, isTensorInput, signatureOf, type CallIR, type ModelNode, type TensorIR } from "./model_ir.ts";
import { blockCallProblem, blockStack, newBudget, repeatTooLarge, spend, type WorkBudget } from "./budget.ts";
import { blockParamArgs, blockTrainable, freezeFrom, freezeProblem } from "./freeze.ts";
import { checkEmbeddingIds, idsKey, idsOfShape, passIds } from "./check/vocab.ts";

export interface LayerInstance {
  def: LayerDef;
  /** Keras-style instance name: conv2d, conv2d_1, … */
  name: string;
  call: CallExpr;
  args: Args;
  inputs: TensorShape[];
  output: TensorShape;
  params: ParamCount;
}

/** A call of a user block (`conv_block(32)`) with the shapes it maps; for editor hover and inlay hints. */
export interface BlockCallInstance {
  block: string;
  call: CallExpr;
  inputs: TensorShape[];
  output: TensorShape;
}

/** One named head of `return { name = tensor, … }` as a walk found it. */
export interface HeadResult {
  name: NameExpr;
  /** Undefined when an error made it unknowable. */
  output?: TensorShape;
  span: Span;
  /** The layers its expression applied (the recording walk), else its output layer: for the output checks. */
  layers: LayerInstance[];
}

export interface ModelResult {
  /** The model's named heads, when it returns `{ name = tensor, … }`. */
  heads?: HeadResult[];
  /** The data inputs (of a model with several) that the model reads. */
  usedInputs?: Set<string>;
  /** Output shape; undefined when an error made it unknowable. */
  output?: TensorShape;
  /** The statement that produced the output, for labels. */
  outputSpan?: Span;
  layers: LayerInstance[];
  blockCalls: BlockCallInstance[];
  /** The `shapes:` note of the walk up to the output (the recording walk only). */
  shapesNote?: string[];
}

type TShape = TensorShape | null; // null: poisoned by an earlier error, rank and all

/** An axis unknown because of an earlier error (NaN, unlike `null`, a variable axis such as a
 *  time axis: arithmetic on it stays poisoned and no comparison with it holds). */
export const POISONED = Number.NaN;
/** Whether a shape has an axis poisoned by an earlier error. */
export const isPoisoned = (s: readonly (number | null)[]): boolean => s.some((d) => d !== null && Number.isNaN(d));

/** What a failed layer (or one fed a poisoned shape) passes on: its output with every input
 *  axis poisoned — the axes its arguments fix stay known — or null when even that fails. */
function recoveredShape(def: LayerDef, inputs: TensorShape[], args: Args): TShape {
  if (def.name === "reshape" && Array.isArray(args.target_shape)) return (args.target_shape as number[]).map((d) => (d === -1 ? POISONED : d));
  try {
    const r = def.shape(inputs.map((x) => x.map(() => POISONED)), args);
    return isFailure(r) ? null : r;
  } catch {
    return null;
  }
}

interface Ctx {
  blocks: Map<string, BlockIR>;
  out: Diagnostic[];
  /** "with filters = 64 and kernel = 7": added to every diagnostic of a non-default combination. */
  context: string;
  layers: LayerInstance[];
  blockCalls: BlockCallInstance[];
  counters: Map<string, number>;
  depth: number;
  /** Recent shapes for the `shapes:` note, formatted only when a layer fails. Kept by the
   *  recording walk only: a diagnostic of another combination gets a placeholder note and
   *  checkModel takes its notes from a run of that combination alone. */
  trace: TraceStep[];
  /** Keep every layer and block call (the default combination: summary, hover, warnings).
   *  Other combinations of the tuning space only need the output layer, kept in `last`. */
  record: boolean;
  last?: LayerInstance;
  /** Block calls already interpreted, shared by the walks of one check (see applyBlock). */
  memo?: BlockMemo;
  /** Layer and block applications left to this check (shared by its walks and branches). */
  work?: WorkBudget;
  /** The data inputs in scope by name (a model with several inputs), and those read so far. */
  inputs?: ReadonlySet<string>;
  usedInputs: Set<string>;
  /** Several inputs and no statement yet: a layer with no input named has none to read. */
  noInput: boolean;
  heads?: HeadResult[];
  /** The layers that computed each top-level named tensor (a head `return { digit = t }` checks t's). */
  producers: Map<string, LayerInstance[]>;
}

/** Results of block calls that reported nothing, by block, input shapes and the values the
 *  block reads. Walks of other combinations reuse them instead of re-running the body. */
export interface BlockMemo {
  results: Map<string, { output: TShape; last?: LayerInstance }>;
  /** Names each block's body reads, with those of the blocks it calls. */
  reads: Map<string, string[]>;
}

export function newBlockMemo(blocks: Map<string, BlockIR>): BlockMemo {
  const reads = new Map<string, string[]>();
  for (const [name, names] of blockReadClosure(blocks)) reads.set(name, [...names].sort());
  return { results: new Map(), reads };
}

/** For each block, the names its body reads, with those of the blocks it calls (transitively). */
export function blockReadClosure(blocks: Map<string, BlockIR>): Map<string, Set<string>> {
  const direct = new Map<string, Set<string>>();
  for (const [name, b] of blocks) direct.set(name, statementNames(b.body));
  const closed = new Map<string, Set<string>>();
  for (const name of direct.keys()) {
    const all = new Set<string>();
    const stack = [name];
    const seen = new Set<string>();
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      seen.add(n);
      for (const x of direct.get(n) ?? []) {
        all.add(x);
        if (direct.has(x)) stack.push(x);
      }
    }
    closed.set(name, all);
  }
  return closed;
}

function memoKey(block: BlockIR, inputs: TShape[], values: ReadonlyMap<string, ArgValue>, reads: string[]): string {
  let key = block.name;
  for (const s of inputs) key += "|" + (s ? s.join(",") : "?");
  for (const n of reads) {
    if (!values.has(n)) continue;
    const v = values.get(n);
    key += "|" + n + "=" + (typeof v === "object" ? JSON.stringify(v) : String(v));
  }
  return key;
}

interface TraceStep {
  layer?: string;
  shape: TShape;
}

/** How the note listing the recent layers and shapes before a failing layer starts. */
export const SHAPES_NOTE = "shapes: ";
/** The note a walk that keeps no trace gives instead (see Ctx.trace). */
export const SHAPES_PENDING = SHAPES_NOTE + "…";

function traceNote(trace: TraceStep[]): string[] {
  if (trace.length <= 1) return [];
  const steps = trace.slice(-8).map((t) => (t.layer ? `${t.layer} ${t.shape ? fmtShape(t.shape) : "?"}` : t.shape ? fmtShape(t.shape) : "?"));
  return [`${SHAPES_NOTE}${steps.join(" → ")}`];
}

/** The named tensors in scope: a Map, or a fork's `TensorOverlay` over its parent walk's. */
interface TensorTable {
  get(name: string): TShape | undefined;
  has(name: string): boolean;
  set(name: string, shape: TShape): unknown;
  keys(): Iterable<string>;
}

/** A branch's tensors: its own assignments over the walk's table, which it reads but never
 *  writes (see branchModel). Saves copying the whole table per branch; a detached branch
 *  goes on with its overlay as its table (so a walk's table can be a short chain of them). */
class TensorOverlay implements TensorTable {
  private readonly own = new Map<string, TShape>();
  constructor(readonly parent: TensorTable) {}
  get(name: string): TShape | undefined {
    return this.own.has(name) ? this.own.get(name) : this.parent.get(name);
  }
  has(name: string): boolean {
    return this.own.has(name) || this.parent.has(name);
  }
  set(name: string, shape: TShape): this {
    this.own.set(name, shape);
    return this;
  }
  /** The same own assignments (names and shapes) as another overlay. */
  sameOwn(o: TensorOverlay): boolean {
    if (this.own.size !== o.own.size) return false;
    for (const [k, v] of this.own) {
      if (!o.own.has(k) || !sameShape(v, o.own.get(k))) return false;
    }
    return true;
  }
  /** Writes the own assignments into the table underneath. */
  commitTo(table: TensorTable): void {
    for (const [k, v] of this.own) table.set(k, v);
  }
  /** In the order a copied Map would list them: the parent's, then names new here. */
  *keys(): IterableIterator<string> {
    yield* this.parent.keys();
    for (const k of this.own.keys()) if (!this.parent.has(k)) yield k;
  }
}

interface Scope {
  tensors: TensorTable;
  values: ReadonlyMap<string, ArgValue>;
}

/** Interprets a whole model for one assignment of param values. `inputShape` null: the data
 *  input is unknown (its own error was reported), so only name and argument errors show. */
export function interpretModel(
  body: ModelNode[],
  inputShape: TensorShape | null,
  values: ReadonlyMap<string, ArgValue>,
  blocks: Map<string, BlockIR>,
  out: Diagnostic[],
  context: string,
  named?: ReadonlyMap<string, TShape>,
): ModelResult {
  const w = startModel(inputShape, values, blocks, out, true, context, undefined, undefined, named);
  for (const unit of modelUnits(body)) stepModel(w, unit);
  return finishModel(w);
}

// ---- stepwise interpretation, for checking many combinations of the tuning space ----------
// The checker steps walks through the top-level statements together, branching a walk where a
// statement reads params whose values differ among its combinations and merging branches that
// end in the same state, instead of re-running the whole model for every combination (see
// checkModel in check.ts).

/** The state of one walk through a model. */
export interface ModelWalk {
  ctx: Ctx;
  scope: Scope;
  current: TShape;
  span?: Span;
  returned: boolean;
}

/** `named`: each data input's shape by field name, tensors the model reads by name
 *  (`img |> conv2d(…)`); with several there is no implicit current input. */
export function startModel(inputShape: TShape, values: ReadonlyMap<string, ArgValue>, blocks: Map<string, BlockIR>, out: Diagnostic[], record: boolean, context = "", memo?: BlockMemo, work: WorkBudget = newBudget(), named?: ReadonlyMap<string, TShape>): ModelWalk {
  const multi = !!named && named.size > 1;
  const ctx: Ctx = { blocks, out, context, layers: [], blockCalls: [], counters: new Map(), depth: 0, trace: [{ shape: inputShape }], record, memo, work, usedInputs: new Set(), noInput: multi, producers: new Map(), ...(named ? { inputs: new Set(named.keys()) } : {}) };
  // One input is the implicit input and a tensor of its field name.
  const tensors = new Map<string, TShape>(multi ? [...named] : [["input", inputShape], ...(named ?? [])]);
  return { ctx, scope: { tensors, values }, current: multi ? null : inputShape, returned: false };
}

/** The units `stepModel` runs: the top-level statements of the model IR (an `if` holds its `else`). */
export function modelUnits(body: ModelNode[]): ModelNode[][] {
  return body.map((n) => [n]);
}

export function stepModel(w: ModelWalk, unit: ModelNode[]): void {
  if (w.returned) return;
  const r = execBody(unit, w.scope, w.current, w.ctx);
  w.current = r.current;
  if (r.span !== undefined) w.span = r.span;
  if (r.returned) w.returned = true;
}

/** A walk's next unit run for a group of combinations that read other param values: its own
 *  diagnostics (`out`), values, trace and output layer, and its named tensors as an overlay on
 *  the walk's, which it reads but never writes. The walk itself is left as it was, so several
 *  branches can run the same unit from the same state; `commitBranch` then moves one of them
 *  into the walk and `detachBranch` makes another an independent walk. A recording branch
 *  appends to the walk's layer lists directly (only the default combination records, and its
 *  branch is always the one committed). */
export function branchModel(w: ModelWalk, values: ReadonlyMap<string, ArgValue>, out: Diagnostic[], record: boolean): ModelWalk {
  const c = w.ctx;
  const ctx: Ctx = {
    blocks: c.blocks,
    out,
    context: c.context,
    layers: record ? c.layers : [],
    blockCalls: record ? c.blockCalls : [],
    counters: record ? c.counters : new Map(),
    depth: c.depth,
    trace: record ? c.trace : [],
    record,
    last: c.last,
    memo: c.memo,
    work: c.work,
    ...(c.inputs ? { inputs: c.inputs } : {}),
    usedInputs: record ? c.usedInputs : new Set(c.usedInputs),
    noInput: c.noInput,
    producers: new Map(c.producers),
    ...(c.heads ? { heads: c.heads } : {}),
  };
  return { ctx, scope: { tensors: new TensorOverlay(w.scope.tensors), values }, current: w.current, span: w.span, returned: w.returned };
}

/** Whether two branches of the same walk ended the unit in the same state: the same current
 *  shape, named tensors and output layer. Such branches behave the same from here on for every
 *  param they agree on, so they can go on as one walk. Only the shape trace may differ (it
 *  feeds the `shapes:` note of a later diagnostic; checkModel re-derives those). */
export function sameOutcome(a: ModelWalk, b: ModelWalk): boolean {
  if (a.returned !== b.returned || !sameShape(a.current, b.current) || a.span?.start !== b.span?.start || a.span?.end !== b.span?.end) return false;
  const ta = a.scope.tensors as TensorOverlay;
  const tb = b.scope.tensors as TensorOverlay;
  if (!ta.sameOwn(tb)) return false;
  const ha = a.ctx.heads, hb = b.ctx.heads;
  if (ha || hb) {
    if (!ha || !hb || ha.length !== hb.length) return false;
    for (let i = 0; i < ha.length; i++) {
      if (ha[i]!.name.name !== hb[i]!.name.name || !sameShape(ha[i]!.output ?? null, hb[i]!.output ?? null) || !sameLast(ha[i]!.layers.at(-1), hb[i]!.layers.at(-1))) return false;
    }
  }
  return sameLast(a.ctx.last, b.ctx.last);
}

/** Makes the walk continue from branch `b` (run from the walk's current state). */
export function commitBranch(w: ModelWalk, b: ModelWalk): void {
  const own = b.scope.tensors as TensorOverlay;
  // A table another walk now reads (see detachBranch) stays as it is: the walk goes on in the
  // branch's overlay instead of writing the branch's tensors into it.
  if (frozenTables.has(w.scope.tensors)) w.scope.tensors = own;
  else own.commitTo(w.scope.tensors);
  w.current = b.current;
  w.span = b.span;
  w.returned = b.returned;
  w.ctx.trace = b.ctx.trace;
  w.ctx.last = b.ctx.last;
  w.ctx.noInput = b.ctx.noInput;
  w.ctx.producers = b.ctx.producers;
  for (const n of b.ctx.usedInputs) w.ctx.usedInputs.add(n);
  if (b.ctx.heads) w.ctx.heads = b.ctx.heads;
}

/** Branch `b` as a walk of its own with the given values. It keeps its overlay as its table,
 *  over the table of the walk it came from, which from now on is never written. */
export function detachBranch(b: ModelWalk, values: ReadonlyMap<string, ArgValue>): ModelWalk {
  const own = b.scope.tensors as TensorOverlay;
  frozenTables.add(own.parent);
  return { ctx: b.ctx, scope: { tensors: own, values }, current: b.current, span: b.span, returned: b.returned };
}

/** Tables that detached walks read through their overlays. */
const frozenTables = new WeakSet<TensorTable>();

function sameShape(a: TShape | undefined, b: TShape | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

function sameLast(a: LayerInstance | undefined, b: LayerInstance | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.def !== b.def || a.call !== b.call || !sameShape(a.output, b.output)) return false;
  const ka = Object.keys(a.args);
  if (ka.length !== Object.keys(b.args).length) return false;
  for (const k of ka) if (!sameValue(a.args[k], b.args[k])) return false;
  return true;
}

function sameValue(a: ArgValue | undefined, b: ArgValue | undefined): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
  return true;
}

export function finishModel(w: ModelWalk): ModelResult {
  const layers = w.ctx.record ? w.ctx.layers : w.ctx.last ? [w.ctx.last] : [];
  return { output: w.current ?? undefined, outputSpan: w.span, layers, blockCalls: w.ctx.blockCalls, ...(w.ctx.heads ? { heads: w.ctx.heads } : {}), ...(w.ctx.inputs ? { usedInputs: w.ctx.usedInputs } : {}), ...(w.ctx.record ? { shapesNote: traceNote(w.ctx.trace) } : {}) };
}

function push(ctx: Ctx, d: Diagnostic): void {
  if (ctx.context) d.notes.unshift(ctx.context);
  ctx.out.push(d);
}

function execBody(body: ModelNode[], scope: Scope, current: TShape, ctx: Ctx): { current: TShape; returned: boolean; span?: Span } {
  let span: Span | undefined;
  for (const node of body) {
    switch (node.kind) {
      case "repeat":
        current = execRepeat(node, scope, current, ctx);
        span = node.span;
        continue;
      case "if": {
        const v = node.cond ? evalExpr(node.cond, scope.values) : undefined;
        if (typeof v !== "boolean" || !node.then) {
          push(ctx, diag("DLP1001", "error", "`if` needs a condition on params and a block", node.cond?.span ?? node.head.span, { label: "expected e.g. `if layers >= 3 { … }`" }));
          current = null;
        } else if (v) {
          current = execBody(node.then, scope, current, ctx).current;
        } else if (node.orElse) {
          current = execBody(node.orElse, scope, current, ctx).current;
        }
        span = node.span;
        continue;
      }
      case "return":
        if (node.heads) return { current: execHeads(node, scope, current, ctx), returned: true, span: node.span };
        if (!node.value) {
          push(ctx, diag("DLP1001", "error", "`return` needs a tensor", node.head.span, { label: "expected e.g. `return relu(add(x, h))`" }));
          return { current: null, returned: true, span: node.span };
        }
        return { current: evalTensor(node.value, scope, current, ctx), returned: true, span: node.span };
      case "freeze": {
        const bad = freezeProblem(node, ctx.depth > 0);
        if (bad) push(ctx, bad);
        else if (ctx.record) freezeFrom(ctx.layers, 0);
        continue;
      }
      case "invalid": {
        if (node.why === "assign-target") {
          push(ctx, diag("DLP1001", "error", "only a name can be assigned", node.span, {}));
          continue;
        }
        const head = node.head;
        const alt = head ? layerMeant(head.name, [...LAYERS.keys(), "repeat", "if", "return"]) : undefined;
        push(ctx, diag("DLP1001", "error", `unexpected statement in a model: \`${exprText(node.first)} …\``, node.span, { label: "expected a layer call, `name = …`, `repeat`, `if` or `return`", help: meantHelp(alt !== head?.name ? alt : undefined, { call: true }) }));
        current = null;
        continue;
      }
      case "assign": {
        if (ctx.depth === 0 && ctx.inputs?.has(node.target.name)) {
          push(ctx, diag("DLP2002", "error", `\`${node.target.name}\` is a data input`, node.target.span, { label: "assigned here", help: "name this tensor otherwise: the input keeps its name for the whole model" }));
          current = null;
          continue;
        }
        const before = ctx.layers.length;
        const lastBefore = ctx.last;
        const v = evalTensor(node.value, scope, current, ctx);
        if (ctx.depth === 0) ctx.producers.set(node.target.name, ctx.record ? ctx.layers.slice(before) : ctx.last && ctx.last !== lastBefore ? [ctx.last] : []);
        scope.tensors.set(node.target.name, v);
        current = v;
        span = node.valueSpan;
        ctx.noInput = false;
        continue;
      }
      case "layers":
        current = evalTensor(node.value, scope, current, ctx);
        span = node.span;
        ctx.noInput = false;
        continue;
      default: {
        const unhandled: never = node;
        throw new Error(`execBody: unhandled model node ${JSON.stringify((unhandled as ModelNode).kind)}`);
      }
    }
  }
  return { current, returned: false, span };
}

/** `return { digit = …, recon = … }`: each head's tensor, kept in `ctx.heads` for the output checks. */
function execHeads(node: Extract<ModelNode, { kind: "return" }>, scope: Scope, current: TShape, ctx: Ctx): TShape {
  if (ctx.depth > 0) {
    push(ctx, diag("DLP1001", "error", "a block returns one tensor; named heads are the model's", node.span, { label: "named heads in a block", help: "return one tensor here, and name the heads in the model's `return { … }`" }));
    return null;
  }
  for (const bad of node.badHeads ?? []) push(ctx, diag("DLP1001", "error", "each head is written `name = tensor`", bad.span, { label: `found ${exprText(bad)}`, help: "write e.g. `return { digit = h |> dense(10, activation: softmax), recon = h |> dense(784) }`" }));
  const heads: HeadResult[] = [];
  let last: TShape = null;
  for (const h of node.heads!) {
    const twice = heads.find((x) => x.name.name === h.name.name);
    if (twice) push(ctx, diag("DLP2002", "error", `the head \`${h.name.name}\` is returned twice`, h.name.span, { label: "second definition", related: [{ span: twice.name.span, message: "first definition" }] }));
    const before = ctx.layers.length;
    const lastBefore = ctx.last;
    const shape = evalTensor(h.value, scope, current, ctx);
    let layers = ctx.record ? ctx.layers.slice(before) : ctx.last && ctx.last !== lastBefore ? [ctx.last] : [];
    // A head that names a tensor: the output checks look at the layers that computed it.
    if (!layers.length && h.value.kind === "ref") layers = ctx.producers.get(h.value.name.name) ?? [];
    if (!twice) heads.push({ name: h.name, ...(shape ? { output: shape } : {}), span: h.span, layers });
    last = shape;
  }
  ctx.heads = heads;
  return last;
}

/** A layer that reads the implicit current tensor where a model with several inputs has none yet. */
function noInput(call: CallExpr, ctx: Ctx): boolean {
  if (!ctx.noInput || ctx.depth > 0) return false;
  ctx.noInput = false;
  const names = [...(ctx.inputs ?? [])];
  push(ctx, diag("DLP2005", "error", "this layer reads no input: the model has several", call.span, { label: "which input?", help: `name the input it reads, e.g. \`${names[0]} |> ${exprText(call)}\`; the inputs are ${names.map((n) => `\`${n}\``).join(", ")}` }));
  return true;
}

function execRepeat(node: Extract<ModelNode, { kind: "repeat" }>, scope: Scope, current: TShape, ctx: Ctx): TShape {
  const countExpr = node.count;
  const n = countExpr ? evalExpr(countExpr, scope.values) : undefined;
  if (!node.body || typeof n !== "number" || !Number.isInteger(n) || n < 0) {
    push(ctx, diag("DLP2004", "error", "`repeat` needs a non-negative integer count and a block", countExpr?.span ?? node.span, { label: countExpr ? `found ${exprText(countExpr)}${typeof n === "number" ? ` = ${n}` : ""}` : "missing count", help: "write `repeat 3 { … }` or `repeat blocks as i { … }`" }));
    return null;
  }
  const tooMany = repeatTooLarge(n, countExpr!.span);
  if (tooMany) {
    push(ctx, tooMany);
    return null;
  }
  const outerBefore = ctx.work?.outer;
  if (ctx.work) ctx.work.outer ??= node.span;
  try {
    return repeatRounds(node.body, n, node.loopVar, scope, current, ctx);
  } finally {
    if (ctx.work) ctx.work.outer = outerBefore;
  }
}

function repeatRounds(body: ModelNode[], n: number, loopVar: NameExpr | undefined, scope: Scope, current: TShape, ctx: Ctx): TShape {
  for (let k = 0; k < n; k++) {
    const values = loopVar ? new BlockValues(scope.values).set(loopVar.name, k) : scope.values;
    current = execBody(body, { tensors: scope.tensors, values }, current, ctx).current;
    if (current === null) break;
  }
  return current;
}

function evalTensor(e: TensorIR, scope: Scope, current: TShape, ctx: Ctx): TShape {
  switch (e.kind) {
    case "ref": {
      if (scope.tensors.has(e.name.name)) {
        if (ctx.inputs?.has(e.name.name)) ctx.usedInputs.add(e.name.name);
        return scope.tensors.get(e.name.name)!;
      }
      if (e.call) return applyCall(e.call, [current], scope, ctx);
      const alt = layerMeant(e.name.name, [...scope.tensors.keys(), ...LAYERS.keys(), ...ctx.blocks.keys()]);
      push(ctx, diag("DLP2001", "error", `unknown tensor or layer \`${e.name.name}\``, e.name.span, { label: "not defined", help: meantHelp(alt) ?? "name a layer, a block, or a tensor assigned earlier" , fix: alt ? { title: `rename to \`${alt}\``, span: e.name.span, text: alt } : undefined }));
      return null;
    }
    case "pipe": {
      let acc = evalTensor(e.head, scope, current, ctx);
      for (const stage of e.stages) {
        if (isCallIR(stage)) acc = applyCall(stage, [acc], scope, ctx);
        else if (stage.kind === "ref") acc = evalTensor(stage, scope, acc, ctx);
        else {
          push(ctx, diag("DLP1001", "error", "each stage after `|>` is a layer or block call", (stage as { expr: Expr }).expr.span, { label: "not a call" }));
          return null;
        }
      }
      return acc;
    }
    case "error":
      return null;
    case "other":
      push(ctx, diag("DLP1001", "error", `\`${exprText(e.expr)}\` is not a tensor`, e.expr.span, { label: "expected a layer call or a tensor name" }));
      return null;
    default:
      return applyCall(e, null, scope, ctx, current);
  }
}

/** `piped`: explicit inputs from `|>` (null when the call stands alone, using `current`). */
function applyCall(node: CallIR, piped: TShape[] | null, scope: Scope, ctx: Ctx, current: TShape = null): TShape {
  const call = node.call;
  const spent = spend(ctx.work, call.span);
  if (spent !== true) {
    if (spent) push(ctx, spent);
    return null;
  }
  switch (node.kind) {
    case "apply": {
      // block(params)(tensors)
      const tensorInputs = node.inputs.map((a) => evalTensor(a, scope, current, ctx));
      return applyBlock(ctx.blocks.get(node.block)!, node.params, tensorInputs, scope, ctx);
    }
    case "uncallable":
      push(ctx, diag("DLP1001", "error", `\`${exprText(call.callee)}\` cannot be called`, call.callee.span, { label: "expected a layer or block name" }));
      return null;
    case "block":
      if (!piped && noInput(call, ctx)) return null;
      return applyBlock(ctx.blocks.get(node.block)!, call, piped ?? [current], scope, ctx);
    case "unknown": {
      const name = node.name.name;
      const alt = layerMeant(name, [...LAYERS.keys(), ...ctx.blocks.keys()]);
      push(ctx, diag("DLP2001", "error", `unknown layer \`${name}\``, call.callee.span, { label: "not a layer or block", help: meantHelp(alt) ?? "see `docs/layers.md` for the layers dlp knows", fix: alt ? { title: `rename to \`${alt}\``, span: call.callee.span, text: alt } : undefined }));
      return null;
    }
  }
  const def = node.def;
  const sig = signatureOf(def);
  // Unnamed arguments that are tensors are inputs, not settings. A merge layer takes only
  // tensors, so there an unknown name is an unknown tensor (with "did you mean"), not a setting.
  let inputs: TShape[] = piped ?? [];
  let tensorArgs: Set<Argument> | undefined;
  for (const a of node.args) {
    if (!isTensorInput(a, def, scope.tensors)) continue;
    (tensorArgs ??= new Set()).add(a.arg);
    inputs.push(evalTensor(a.tensor, scope, current, ctx));
  }
  if (inputs.length === 0) {
    if (noInput(call, ctx)) return null;
    inputs = [current];
  }
  const bound = tensorArgs ? bindArgs(call, sig, ctx.out, (a) => tensorArgs!.has(a)) : bindPlain(call, def, sig, ctx.out);
  if (!bound.ok) return null;
  // Argument expressions are pure functions of the values they name: a call evaluated with the
  // same values before (another walk, another `repeat`, the same block argument) validates the
  // same way, so reuse the args ajv accepted (defaults filled) then.
  const key = tensorArgs ? undefined : argsKey(bound, scope.values);
  let known = key === undefined ? undefined : validatedCache.get(call);
  if (known && known.def !== def) known = undefined;
  const hit = key === undefined ? undefined : known?.byKey.get(key);
  let args: Args;
  if (hit) args = cloneArgs(hit);
  else {
    args = {};
    if (!evalAndValidate(args, bound, sig, call, scope, ctx)) return null;
    if (key !== undefined) {
      if (!known) validatedCache.set(call, (known = { def, byKey: new Map() }));
      if (known.byKey.size >= 64) known.byKey.clear();
      known.byKey.set(key, cloneArgs(args));
    }
  }
  // A shape of unknown rank (an earlier error): flatten makes it a vector again; anything else
  // passes the poison on without a word.
  if (inputs.some((s) => s === null)) {
    const r: TShape = def.name === "flatten" && inputs.length === 1 ? [POISONED] : null;
    if (ctx.record && r) ctx.trace.push({ layer: def.name, shape: r });
    return r;
  }
  // The number of inputs is the layer table's rule too (DLP3010), checked by def.shape.
  const shapes = inputs as TensorShape[];
  const ids = def.name === "embedding" && shapes.length === 1 ? idsOfShape(shapes[0]) : undefined;
  const idsProblem = ids && checkEmbeddingIds(ids, args, call.span, call.callee.span, (n) => bound.exprs.get(n)?.value.span, (a, v) => argEdit(call, bound, a, v));
  if (idsProblem) push(ctx, idsProblem);
  const result = def.shape(shapes, args);
  if (isFailure(result) && shapes.some(isPoisoned)) {
    const r = recoveredShape(def, shapes, args);
    if (ctx.record && r) ctx.trace.push({ layer: def.name, shape: r });
    return r;
  }
  if (isFailure(result)) {
    const argExpr = result.arg ? bound.exprs.get(result.arg)?.value : undefined;
    push(
      ctx,
      diag(result.code, "error", result.message, argExpr ? argExpr.span : call.span, {
        label: result.label,
        notes: ctx.record ? traceNote(ctx.trace) : [SHAPES_PENDING],
        help: result.help,
        related: argExpr ? [{ span: call.callee.span, message: `in this ${def.name}` }] : [],
        ...(result.fix ? { fix: argEdit(call, bound, result.fix.arg, result.fix.value) } : {}),
      }),
    );
    const r = recoveredShape(def, shapes, args);
    if (ctx.record && r) ctx.trace.push({ layer: `${def.name} (failed)`, shape: r });
    return r;
  }
  passIds(def.name, shapes, result);
  if (ctx.record) ctx.trace.push({ layer: def.name, shape: result });
  if (!ctx.record) {
    // Only the output layer matters here (activation and span for the loss checks).
    ctx.last = { def, name: def.name, call, args, inputs: shapes, output: result, params: NO_PARAMS };
    return result;
  }
  const n = ctx.counters.get(def.kerasClass) ?? 0;
  ctx.counters.set(def.kerasClass, n + 1);
  const base = snake(def.kerasClass);
  const layer: LayerInstance = { def, name: n === 0 ? base : `${base}_${n}`, call, args, inputs: shapes, output: result, params: def.params(shapes, args, result) };
  ctx.layers.push(layer);
  ctx.last = layer;
  return result;
}

/** The edit giving a call's argument `arg` the text `value`: its expression replaced when it is
 *  written, else `arg: value` added before the closing parenthesis. */
export function argEdit(call: CallExpr, bound: BoundArgs, arg: string, value: string): { title: string; span: Span; text: string } {
  const title = `set ${arg}: ${value}`;
  const given = bound.exprs.get(arg);
  if (given) return { title, span: given.value.span, text: value };
  // A bare `max_pool` (no parentheses: its argsSpan is the name's) gets them.
  if (call.argsSpan.start < call.callee.span.end) return { title, span: { start: call.span.end, end: call.span.end }, text: `(${arg}: ${value})` };
  const end = call.argsSpan.end - 1;
  return { title, span: { start: end, end }, text: `${call.args.length ? ", " : ""}${arg}: ${value}` };
}

function applyBlock(block: BlockIR, call: CallExpr, inputs: TShape[], scope: Scope, ctx: Ctx): TShape {
  const blocked = blockCallProblem(block.name, call.span);
  if (blocked) {
    push(ctx, blocked);
    return null;
  }
  const trainable = blockTrainable(block, call, scope.values);
  if (typeof trainable !== "boolean") {
    push(ctx, trainable);
    return null;
  }
  const callArgs = blockParamArgs(block, call);
  if (callArgs.length !== block.params.length || callArgs.some((a) => a.name && !block.params.some((p) => p.name === a.name!.name))) {
    push(ctx, diag("DLP2006", "error", `block \`${block.name}\` takes ${block.params.length} argument${block.params.length === 1 ? "" : "s"}, given ${callArgs.length}`, call.span, { label: `expected (${block.params.map((p) => p.name).join(", ")})`, related: [{ span: block.nameSpan, message: "defined here" }] }));
    return null;
  }
  if (inputs.length !== block.inputs.length) {
    push(ctx, diag("DLP2006", "error", `block \`${block.name}\` takes ${block.inputs.length} tensor${block.inputs.length === 1 ? "" : "s"}, given ${inputs.length}`, call.span, { label: `expected (${block.inputs.map((p) => p.name).join(", ")})`, related: [{ span: block.nameSpan, message: "defined here" }] }));
    return null;
  }
  const values = new BlockValues(scope.values);
  for (let k = 0; k < block.params.length; k++) {
    const a = callArgs.find((x) => x.name?.name === block.params[k].name) ?? callArgs.filter((x) => !x.name)[k];
    const v = a ? evalExpr(a.value, scope.values) : undefined;
    if (v === undefined) {
      push(ctx, diag("DLP2004", "error", `cannot evaluate argument \`${block.params[k].name}\``, a?.span ?? call.span, {}));
      return null;
    }
    values.set(block.params[k].name, v);
  }
  // Same block, same input shapes, same values read: same result. Reused only on walks that
  // do not record layers, and only when the first run reported nothing (a call that reports
  // runs again, so that each combination reaching it reports).
  let key: string | undefined;
  if (ctx.memo) {
    key = memoKey(block, inputs, values, ctx.memo.reads.get(block.name) ?? []) + idsKey(inputs);
    const hit = ctx.record ? undefined : ctx.memo.results.get(key);
    if (hit) {
      if (hit.last) ctx.last = hit.last;
      return hit.output;
    }
  }
  const outBefore = ctx.out.length;
  const lastBefore = ctx.last;
  const layersBefore = ctx.layers.length;
  const tensors = new Map<string, TShape>();
  for (let k = 0; k < block.inputs.length; k++) tensors.set(block.inputs[k].name, inputs[k]);
  ctx.depth++;
  blockStack.push(block.name);
  let r: ReturnType<typeof execBody>;
  try {
    r = execBody(block.nodes, { tensors, values }, inputs[0], ctx);
  } finally {
    blockStack.pop();
    ctx.depth--;
  }
  if (!trainable && ctx.record) freezeFrom(ctx.layers, layersBefore);
  if (key !== undefined && ctx.out.length === outBefore) {
    ctx.memo!.results.set(key, { output: r.current, last: ctx.last !== lastBefore ? ctx.last : undefined });
  }
  if (ctx.record && r.current && inputs.every((s) => s !== null)) ctx.blockCalls.push({ block: block.name, call, inputs: inputs as TensorShape[], output: r.current });
  return r.current;
}

/** Evaluates the bound argument expressions into `args` and validates them (ajv fills the
 *  defaults); false after reporting why not. */
function evalAndValidate(args: Args, bound: BoundArgs, sig: CallSignature, call: CallExpr, scope: Scope, ctx: Ctx): boolean {
  for (const [k, a] of bound.exprs) {
    const v = evalExpr(a.value, scope.values);
    if (v === undefined) {
      push(ctx, diag("DLP2004", "error", `cannot evaluate \`${exprText(a.value)}\``, a.value.span, { label: "expected a number, a name, true/false or a list" }));
      return false;
    }
    args[k] = v;
  }
  const before = ctx.out.length;
  if (!validateArgs(args, sig, bound, call, ctx.out, ctx.context)) {
    // ajv reported at the argument; keep its context note consistent with push()
    for (let k = before; k < ctx.out.length; k++) if (ctx.context && !ctx.out[k].notes.includes(ctx.context)) ctx.out[k].notes.unshift(ctx.context);
    return false;
  }
  return true;
}

/** Per call site: the args it evaluated to, by `argsKey`, after ajv accepted them. Only calls
 *  that passed validation are kept, so a call with a bad argument reports it each time. */
const validatedCache = new WeakMap<CallExpr, { def: LayerDef; byKey: Map<string, Args> }>();

/** The values of the names the argument expressions read, as a string that tells any two
 *  apart; undefined when an argument is something else than numbers, strings, booleans, names,
 *  lists and operators over them (a nested layer call), or a name's value is not a plain value. */
function argsKey(bound: BoundArgs, env: ReadonlyMap<string, ArgValue>): string | undefined {
  let key = "";
  for (const a of bound.exprs.values()) {
    const k = exprKey(a.value, env);
    if (k === undefined) return undefined;
    key += k;
  }
  return key;
}
function exprKey(e: Expr, env: ReadonlyMap<string, ArgValue>): string | undefined {
  switch (e.kind) {
    case "number":
    case "string":
    case "bool":
      return "";
    case "name": {
      if (!env.has(e.name)) return "~;";
      const v = valueKey(env.get(e.name)!);
      return v === undefined ? undefined : v + ";";
    }
    case "list": {
      let k = "";
      for (const i of e.items) {
        const x = exprKey(i, env);
        if (x === undefined) return undefined;
        k += x;
      }
      return k;
    }
    case "unary":
      return exprKey(e.operand, env);
    case "binary": {
      const l = exprKey(e.left, env);
      const r = l === undefined ? undefined : exprKey(e.right, env);
      return r === undefined ? undefined : l + r;
    }
    default:
      return undefined;
  }
}
function valueKey(v: ArgValue): string | undefined {
  switch (typeof v) {
    case "number":
      return Object.is(v, -0) ? "n-0" : "n" + String(v);
    case "string":
      return "s" + JSON.stringify(v);
    case "boolean":
      return v ? "t" : "f";
  }
  if (!Array.isArray(v)) return undefined;
  let k = "[";
  for (const x of v) {
    const y = valueKey(x);
    if (y === undefined) return undefined;
    k += y + ",";
  }
  return k + "]";
}
function cloneArgs(args: Args): Args {
  const out: Args = {};
  for (const k in args) out[k] = cloneValue(args[k]);
  return out;
}
function cloneValue(v: ArgValue): ArgValue {
  return Array.isArray(v) ? v.map(cloneValue) : v;
}

/** bindArgs depends only on the call's syntax and the layer: a call that bound cleanly binds
 *  the same way on every walk (calls that reported something are bound again, to report it). */
const boundCache = new WeakMap<CallExpr, { def: LayerDef; bound: BoundArgs }>();
function bindPlain(call: CallExpr, def: LayerDef, sig: CallSignature, out: Diagnostic[]): BoundArgs {
  const hit = boundCache.get(call);
  if (hit && hit.def === def) return hit.bound;
  const before = out.length;
  const bound = bindArgs(call, sig, out, noTensors);
  if (bound.ok && out.length === before) boundCache.set(call, { def, bound });
  return bound;
}

/** The values inside a block call or a `repeat … as i` round: its own names (the block's
 *  parameters, the loop variable) over the enclosing scope's, which stays shared instead of
 *  being copied on every call. Readers only use get/has. */
class BlockValues extends Map<string, ArgValue> {
  constructor(private readonly outer: ReadonlyMap<string, ArgValue>) {
    super();
  }
  override get(name: string): ArgValue | undefined {
    return super.has(name) ? super.get(name) : this.outer.get(name);
  }
  override has(name: string): boolean {
    return super.has(name) || this.outer.has(name);
  }
}

function noTensors(): boolean {
  return false;
}

const NO_PARAMS: ParamCount = { trainable: 0, nonTrainable: 0 };
const snakeCache = new Map<string, string>();

export function snake(cls: string): string {
  let s = snakeCache.get(cls);
  if (s === undefined) snakeCache.set(cls, (s = snakeUncached(cls)));
  return s;
}

function snakeUncached(cls: string): string {
  return cls
    .replace(/(\d)D/g, "$1d")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();
}
