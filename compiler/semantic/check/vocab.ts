// The ids a model input holds, for the embedding check (issue 17): an `embedding(input_dim: D)`
// looks each id up in a table of D rows, so an input whose ids reach D fails at run time (tfjs:
// a gather out of range, silently zero on some backends). The data section knows the id range
// from its declarations alone: `text(num_words: N)` gives ids 0..N-1 (0 padding, 1 OOV, 2.. the
// vocabulary, runtime/data/columns.ts), `category(max_tokens: N)` ids 0..N-1 (0 OOV), `source
// imdb(num_words: N)` ids below N (others become the OOV id 2). An input of one-hot or scaled
// values holds no ids at all. Each model input's shape gets its ids as a tag (by identity, so
// the shape stays a plain array); layers that only move values (reshape, flatten, permute) pass
// the tag on, and the embedding that reads a tagged shape is checked, under the values of the
// combination of the tuning space being walked.
import type { Expr, Span } from "../../../grammar/ast.ts";
import { exprText } from "../../../grammar/ast.ts";
import { diag, type Diagnostic } from "../../diagnostics/diagnostic.ts";
import type { ColumnSpec, DataSpec, Transform } from "../../../runtime/spec.ts";
import type { Args, TensorShape } from "../layers/types.ts";
import type { SectionIR } from "../lower.ts";

/** What a model input holds: integer ids below `range`, or values that are not ids. */
export type InputIds =
  | { kind: "ids"; range: number; what: string; span?: Span; expr?: string }
  | { kind: "values"; what: string; span?: Span };

const tags = new WeakMap<readonly unknown[], InputIds>();

/** A copy of `shape` that carries `ids` (the shape itself is shared by other walks). */
export function tagShape<S extends readonly unknown[] | null>(shape: S, ids: InputIds | undefined): S {
  if (!shape || !ids) return shape;
  const copy = [...shape] as unknown as S;
  tags.set(copy!, ids);
  return copy;
}

export const idsOfShape = (shape: readonly unknown[] | null | undefined): InputIds | undefined => (shape ? tags.get(shape) : undefined);

/** Layers whose output holds the same values as their input, moved: ids stay ids. */
const ID_KEEPING = new Set(["reshape", "flatten", "permute", "repeat_vector"]);

/** The output of an id-keeping layer carries its input's tag. */
export function passIds(layer: string, inputs: readonly (readonly unknown[] | null)[], result: readonly unknown[] | null): void {
  if (!result || inputs.length !== 1 || !ID_KEEPING.has(layer)) return;
  const t = idsOfShape(inputs[0]);
  if (t) tags.set(result, t);
}

/** A key part for memoised block calls: the ids their inputs carry. */
export function idsKey(inputs: readonly (readonly unknown[] | null)[]): string {
  return inputs.map((s) => {
    const t = idsOfShape(s);
    return !t ? "" : t.kind === "ids" ? `#${t.range}` : "#v";
  }).join(",");
}

/** Where the data section writes the stage that sets a column's ids (or the imdb source's). */
interface Written { span: Span; arg?: Expr; oneHot?: Span }

function writtenStages(sec: SectionIR): { columns: Map<string, Written>; imdb?: Written } {
  const columns = new Map<string, Written>();
  let imdb: Written | undefined;
  const argOf = (call: Extract<Expr, { kind: "call" }>, name: string): Expr | undefined => call.args.find((a) => a.name?.name === name)?.value ?? call.args.find((a) => !a.name)?.value;
  const headNames = (e: Expr): string[] => {
    if (e.kind === "name") return [e.name];
    if (e.kind === "string") return [e.value];
    if (e.kind === "call" && e.callee.kind === "name" && e.callee.name === "columns") return e.args.flatMap((a) => headNames(a.value));
    return [];
  };
  const visit = (node: unknown): void => {
    if (!node || typeof node !== "object") return;
    if (Array.isArray(node)) return node.forEach(visit);
    const e = node as Expr;
    if (e.kind === "pipe") {
      const names = headNames(e.stages[0]!);
      for (const st of e.stages.slice(1)) {
        const c = st.kind === "call" ? st : undefined;
        if (c?.callee.kind === "name" && c.callee.name === "one_hot") for (const n of names) { const w = columns.get(n); if (w && !w.oneHot) w.oneHot = c.span; }
        if (!c || c.callee.kind !== "name" || (c.callee.name !== "text" && c.callee.name !== "category")) continue;
        const arg = argOf(c, c.callee.name === "text" ? "num_words" : "max_tokens");
        for (const n of names) if (!columns.has(n)) columns.set(n, { span: c.span, ...(arg ? { arg } : {}) });
      }
    }
    if (e.kind === "call" && e.callee.kind === "name" && e.callee.name === "imdb" && !imdb) {
      const arg = argOf(e, "num_words");
      imdb = { span: e.span, ...(arg ? { arg } : {}) };
    }
    for (const [k, v] of Object.entries(node)) if (k !== "span" && v && typeof v === "object") visit(v);
  };
  visit(sec.body);
  return { columns, ...(imdb ? { imdb } : {}) };
}

/** The written expression of an id range, when it reads a param (`num_words: vocab`): the fix writes it, so it holds in every combination. */
function paramExpr(arg: Expr | undefined): string | undefined {
  if (!arg || arg.kind === "number") return undefined;
  return exprText(arg);
}

function columnIds(c: ColumnSpec, w: Written | undefined): InputIds | undefined {
  if (c.kind === "text") return { kind: "ids", range: c.numWords!, what: `text(num_words: ${c.numWords}) gives ids 0..${c.numWords! - 1} (0 padding, 1 out of vocabulary)`, ...(w ? { span: w.span } : {}), ...(paramExpr(w?.arg) ? { expr: paramExpr(w?.arg) } : {}) };
  if (c.kind === "category" && !c.oneHot) return { kind: "ids", range: c.maxTokens!, what: `category(max_tokens: ${c.maxTokens}) gives ids 0..${c.maxTokens! - 1} (0 out of vocabulary)`, ...(w ? { span: w.span } : {}), ...(paramExpr(w?.arg) ? { expr: paramExpr(w?.arg) } : {}) };
  if (c.kind === "category") return { kind: "values", what: `column \`${c.column}\` is one-hot encoded (${c.maxTokens} values of 0 or 1)`, ...(w ? { span: w.oneHot ?? w.span } : {}) };
  if (c.scale) return { kind: "values", what: `column \`${c.column}\` is ${c.scale.kind === "min_max" ? "scaled to [0, 1]" : c.scale.kind === "normalize" ? "normalized" : "standardized"} (real values)` };
  if (c.kind === "date") return { kind: "values", what: `column \`${c.column}\` is a date (year, month, day, weekday)` };
  // A numeric column may hold ids written as numbers (a user id); its range is the file's.
  return undefined;
}

/** The ids of each model input of `spec`, by input name; inputs with no known ids are absent. */
export function inputIds(spec: DataSpec | undefined, sec: SectionIR | undefined): Map<string, InputIds> {
  const out = new Map<string, InputIds>();
  if (!spec || !sec) return out;
  let written: ReturnType<typeof writtenStages> | undefined;
  const w = () => (written ??= writtenStages(sec));
  for (const input of spec.inputs) {
    let ids: InputIds | undefined;
    const ts: Transform[] = input.transforms;
    let start = 0;
    if (ts[0]?.op === "columns") {
      start = 1;
      const parts = ts[0].columns.map((c) => ({ c, ids: columnIds(c, w().columns.get(c.column)) }));
      const values = parts.find((p) => p.ids?.kind === "values");
      if (values) ids = values.ids;
      else if (parts.every((p) => p.ids?.kind === "ids")) {
        const widest = parts.reduce((a, b) => ((b.ids as { range: number }).range > (a.ids as { range: number }).range ? b : a));
        ids = parts.length === 1 ? widest.ids : { ...(widest.ids as Extract<InputIds, { kind: "ids" }>), what: `${(widest.ids as { what: string }).what}, the widest of the columns` };
        // Several columns: the fix writes the number, their expressions differ.
        if (parts.length > 1 && ids?.kind === "ids") delete ids.expr;
      }
    } else if (spec.source.kind === "imdb" && spec.source.numWords !== undefined) {
      const n = spec.source.numWords;
      const s = w().imdb;
      ids = { kind: "ids", range: n, what: `imdb(num_words: ${n}) gives ids 0..${n - 1}`, ...(s ? { span: s.span } : {}), ...(paramExpr(s?.arg) ? { expr: paramExpr(s?.arg) } : {}) };
    }
    for (const t of ts.slice(start)) {
      if (!ids) break;
      if (t.op === "reshape") continue;
      if (t.op === "pad_sequences" && ids.kind === "ids") {
        if (t.value >= ids.range) ids = { ...ids, range: t.value + 1, what: `${ids.what}, padded with ${t.value}` };
        if (ids.kind === "ids") delete ids.expr;
        continue;
      }
      if (t.op === "standardize" || t.op === "normalize") ids = { kind: "values", what: `the input is ${t.op}d (real values)` };
      else if (t.op === "scale" && !Number.isInteger(t.by)) ids = { kind: "values", what: `the input is scaled by ${t.by} (real values)` };
      else ids = undefined;
    }
    if (ids) out.set(input.name, ids);
  }
  return out;
}

/** The embedding reading an input that carries `ids`: DLP4031 when its table is smaller than the
 *  ids reach, DLP4032 when the input holds no ids. `edit` builds the fix of one argument. */
export function checkEmbeddingIds(
  ids: InputIds,
  args: Args,
  callSpan: Span,
  calleeSpan: Span,
  argSpan: (name: string) => Span | undefined,
  edit: (arg: string, value: string) => { title: string; span: Span; text: string },
): Diagnostic | undefined {
  const argName = args.vocab !== undefined && args.input_dim === undefined ? "vocab" : "input_dim";
  const at = argSpan(argName) ?? callSpan;
  const from = ids.span ? [{ span: ids.span, message: ids.kind === "ids" ? `ids up to ${ids.range - 1}` : "not ids" }] : [];
  if (ids.kind === "values") {
    return diag("DLP4032", "error", "an embedding looks up integer ids, its input holds other values", callSpan, {
      label: "expects ids",
      related: from,
      notes: [ids.what],
      help: "feed it ids: `category(max_tokens: N)` without `one_hot()`, or `text(num_words: N, maxlen: L)`; or replace the embedding with `dense(…)` for real-valued features",
    });
  }
  const d = (args.input_dim ?? args.vocab) as number;
  if (typeof d !== "number" || d >= ids.range) return undefined;
  const want = ids.expr ?? String(ids.range);
  return diag("DLP4031", "error", `embedding input_dim ${d} is smaller than the input's ids (up to ${ids.range - 1})`, at, {
    label: `rows 0..${d - 1}`,
    related: [...from, ...(at !== callSpan ? [{ span: calleeSpan, message: "in this embedding" }] : [])],
    notes: [ids.what, `an id of ${d} or more is out of the table's range at run time`],
    help: `give the table a row for every id: \`${argName}: ${want}\``,
    fix: edit(argName, want),
  });
}
