// Typed columns in `x = …` (issue 17): a CSV's columns are data fields by their header names
// (`age`, a rank-1 value per row), `columns(a, b)` groups numeric columns, stages piped after a
// column type it (`category(max_tokens: 16) |> one_hot()`, `binary()`, `date()`,
// `text(num_words, maxlen)`), fill its missing cells and scale it, and `concat(…)` joins several
// into one input vector. The result is one `columns` transform (runtime/data/columns.ts) and the
// vector's width, which the checker knows from the declarations alone.
import type { Expr, Span } from "../../../grammar/ast.ts";
import { exprText } from "../../../grammar/ast.ts";
import { diag, type Diagnostic } from "../../diagnostics/diagnostic.ts";
import type { ColumnSpec } from "../../../runtime/spec.ts";
import { parseBinary, parseDate } from "../../../runtime/data/columns.ts";
import type { DataFacts } from "../../../runtime/data/probe.ts";
import { COLUMN_STAGES } from "../catalog.ts";
import { asCall, callOf } from "../lower.ts";
import { didYouMean, meantHelp } from "../names.ts";
import type { Env } from "../values.ts";
import { derive, lit, Term, type ParamRefs, type Traced } from "../term.ts";
import { checkCall } from "./call.ts";

/** What the checker knows of a table source: the fields it can name, from its header when read. */
export interface TableSource {
  /** `csv` or `text_files`. */
  source: string;
  /** The source's classic fields (`features`, `labels`), never columns. */
  reserved: string[];
  /** The names a column may have: the CSV header (undefined when the file was not read), or `texts`. */
  names?: string[];
  /** The file the names come from, for messages. */
  file?: string;
  facts?: DataFacts;
}

const STAGES_HELP = "column stages are category(max_tokens), one_hot(), binary(), date(), text(num_words, maxlen), fill(mean|median|mode|value: V), standardize(), min_max(), normalize(mean, std)";

/** Whether `e` is written in terms of table columns (so it is checked here, not as a classic field). */
export function isTableExpr(e: Expr, t: TableSource): boolean {
  if (e.kind === "name") return !t.reserved.includes(e.name);
  if (e.kind === "call" && e.callee.kind === "name") return e.callee.name === "concat" || e.callee.name === "columns";
  if (e.kind === "pipe") return isTableExpr(e.stages[0]!, t);
  if (e.kind === "as") return isTableExpr(e.value, t);
  if (e.kind === "binary") return isTableExpr(e.left, t);
  return false;
}

/** The column names an x expression reads (for the probe's per-column facts). */
export function columnNames(e: Expr, t: TableSource): string[] {
  if (e.kind === "name") return t.reserved.includes(e.name) ? [] : [e.name];
  if (e.kind === "call" && e.callee.kind === "name" && (e.callee.name === "concat" || e.callee.name === "columns")) return e.args.flatMap((a) => columnNames(a.value, t));
  if (e.kind === "pipe") return columnNames(e.stages[0]!, t);
  if (e.kind === "as") return columnNames(e.value, t);
  if (e.kind === "binary") return columnNames(e.left, t);
  return [];
}

export interface CheckedTable {
  columns: Traced<ColumnSpec>[];
  /** Values per sample. */
  width: Term;
}

/** A table expression that is one block or `concat(block, …)`; undefined after reporting. */
export function checkTable(e: Expr, t: TableSource, env: Env, refs: ParamRefs, out: Diagnostic[]): CheckedTable | undefined {
  const blocks: { columns: Traced<ColumnSpec>[]; width: Term }[] = [];
  const parts = e.kind === "call" && e.callee.kind === "name" && e.callee.name === "concat" ? e.args : [{ value: e, span: e.span, name: undefined }];
  if (parts.length === 0) {
    out.push(diag("DLP2005", "error", "`concat` needs the columns to join", e.span, { help: "write e.g. `concat(age |> standardize(), city |> category(max_tokens: 16) |> one_hot())`" }));
    return undefined;
  }
  let ok = true;
  for (const p of parts) {
    if (p.name) {
      out.push(diag("DLP2004", "error", "`concat` takes columns, not named arguments", p.span, { help: "write `concat(a, b |> standardize())`" }));
      ok = false;
      continue;
    }
    const b = checkBlock(p.value, t, env, refs, out);
    if (b) blocks.push(b);
    else ok = false;
  }
  if (!ok) return undefined;
  const widths = blocks.map((b) => b.width);
  return { columns: blocks.flatMap((b) => b.columns), width: derive(widths, (...v) => (v as number[]).reduce((a, b) => a + b, 0), (...c) => c.join(" + "), true) };
}

/** `COLUMN |> stage …` or `columns(a, b) |> stage …`: each named column gets the same stages. */
function checkBlock(e: Expr, t: TableSource, env: Env, refs: ParamRefs, out: Diagnostic[]): { columns: Traced<ColumnSpec>[]; width: Term } | undefined {
  const stages = e.kind === "pipe" ? e.stages.slice(1) : [];
  const head = e.kind === "pipe" ? e.stages[0]! : e;
  const names = columnsOf(head, t, out);
  if (!names) return undefined;
  let kind: ColumnSpec["kind"] = "numeric";
  let typeSpan: Span | undefined;
  const spec: { fill?: Traced<NonNullable<ColumnSpec["fill"]>>; scale?: Traced<NonNullable<ColumnSpec["scale"]>>; maxTokens?: Term; oneHot?: boolean; numWords?: Term; maxlen?: Term } = {};
  const seen = new Map<string, Span>();
  for (const st of stages) {
    const c = callOf(st);
    const def = c ? COLUMN_STAGES[c.name.name] : undefined;
    if (!c || !def) {
      const name = c?.name.name ?? exprText(st);
      const alt = didYouMean(name, Object.keys(COLUMN_STAGES));
      out.push(diag("DLP2001", "error", `unknown column stage \`${name}\``, (c?.name ?? st).span, { label: `applied to column ${names.map((n) => `\`${n.name}\``).join(", ")}`, help: meantHelp(alt) ?? STAGES_HELP }));
      return undefined;
    }
    const stage = def.stage;
    const again = seen.get(stage);
    if (again) {
      out.push(diag("DLP2004", "error", `a column takes one ${stage === "type" ? "type" : stage === "scale" ? "scaling" : stage} stage`, st.span, { label: "a second one", related: [{ span: again, message: "the first one" }] }));
      return undefined;
    }
    seen.set(stage, st.span);
    if (stage === "fill") {
      const f = checkFill(c.call, c.name.span, env, refs, out);
      if (!f) return undefined;
      spec.fill = f;
      continue;
    }
    const r = checkCall(asCall(c.name, c.call), def, env, out, refs);
    if (!r) return undefined;
    if (stage === "type") {
      if (seen.has("scale") || seen.has("one_hot")) {
        out.push(diag("DLP2004", "error", `\`${c.name.name}()\` types the column, so it comes before the scaling`, st.span, { help: "write the type first: `col |> date() |> standardize()`" }));
        return undefined;
      }
      kind = c.name.name as ColumnSpec["kind"];
      typeSpan = st.span;
      if (kind === "category") spec.maxTokens = r.t.max_tokens;
      if (kind === "text") { spec.numWords = r.t.num_words; spec.maxlen = r.t.maxlen; }
      continue;
    }
    if (stage === "one_hot") {
      if (kind !== "category") {
        out.push(diag("DLP2004", "error", "`one_hot()` encodes a categorical column", st.span, { label: kind === "numeric" ? "the column is numeric" : `the column is ${kind}`, help: "write `col |> category(max_tokens: N) |> one_hot()`" }));
        return undefined;
      }
      spec.oneHot = true;
      continue;
    }
    // scale
    if (kind === "category" || kind === "text") {
      out.push(diag("DLP2004", "error", `\`${c.name.name}()\` scales numbers, the column is ${kind === "text" ? "text" : "categorical"}`, st.span, { related: typeSpan ? [{ span: typeSpan, message: "typed here" }] : [] }));
      return undefined;
    }
    const name = c.name.name;
    spec.scale = name === "normalize" ? { kind: "normalize", mean: r.t.mean!, std: r.t.std! } : ({ kind: name } as Traced<NonNullable<ColumnSpec["scale"]>>);
  }
  if (t.source === "text_files" && kind !== "text") {
    out.push(diag("DLP2004", "error", "raw texts are encoded with `text(num_words, maxlen)`", e.span, { label: kind === "numeric" ? "no text() stage" : `typed ${kind}`, help: "write `x = texts |> text(num_words: 10000, maxlen: 200)`" }));
    return undefined;
  }
  if (spec.fill && !fillFits(kind, spec.fill, seen.get("fill")!, out)) return undefined;
  const width: Term = kind === "date" ? lit(4) : kind === "text" ? spec.maxlen! : kind === "category" && spec.oneHot ? spec.maxTokens! : lit(1);
  if (kind === "category") categoryWarning(names.map((n) => n.name), spec.maxTokens!.value as number, typeSpan!, t, out);
  const columns = names.map(({ name }) => ({
    column: name,
    kind,
    ...(spec.fill ? { fill: spec.fill } : {}),
    ...(spec.scale ? { scale: spec.scale } : {}),
    ...(spec.maxTokens ? { maxTokens: spec.maxTokens } : {}),
    ...(spec.oneHot ? { oneHot: true } : {}),
    ...(spec.numWords ? { numWords: spec.numWords, maxlen: spec.maxlen! } : {}),
  })) as Traced<ColumnSpec>[];
  return { columns, width: names.length === 1 ? width : derive([width], (w) => (w as number) * names.length, (c) => `${names.length} * ${c}`, true) };
}

/** The column names a block's head reads: one name, or `columns(a, b, …)`. */
function columnsOf(head: Expr, t: TableSource, out: Diagnostic[]): { name: string; span: Span }[] | undefined {
  const items: Expr[] = head.kind === "call" && head.callee.kind === "name" && head.callee.name === "columns" ? head.args.map((a) => a.value) : [head];
  if (head.kind === "call" && items.length === 0) {
    out.push(diag("DLP2005", "error", "`columns` needs the columns to group", head.span, { help: "write e.g. `columns(age, hours)`" }));
    return undefined;
  }
  const names: { name: string; span: Span }[] = [];
  for (const it of items) {
    if (it.kind === "call" && it.callee.kind === "name" && it.callee.name === "concat") {
      out.push(diag("DLP2004", "error", "`concat` joins the whole input; it cannot be nested", it.span, { help: "list every column in the one `concat(…)`" }));
      return undefined;
    }
    const name = it.kind === "name" ? it.name : it.kind === "string" ? it.value : undefined;
    if (name === undefined) {
      out.push(diag("DLP2004", "error", `a column is named by its header name, found \`${exprText(it)}\``, it.span, { help: "write e.g. `age`, `columns(age, hours)` or `concat(age, city |> category(max_tokens: 8))`" }));
      return undefined;
    }
    if (t.reserved.includes(name)) {
      out.push(diag("DLP4004", "error", `\`${name}\` is the source's whole ${name === "features" ? "feature matrix" : "label field"}, not a column`, it.span, { help: "name the columns by their header names: `columns(a, b)`" }));
      return undefined;
    }
    if (t.names && !t.names.includes(name)) {
      const alt = didYouMean(name, t.names);
      out.push(diag("DLP4004", "error", `no column \`${name}\` in ${t.file ?? "the data"}`, it.span, {
        label: "not in the header",
        notes: [`${t.source === "csv" ? "columns" : "fields"}: ${t.names.join(", ")}`],
        help: meantHelp(alt) ?? (t.source === "csv" ? "name a column of the header" : `this source's field is \`${t.names.join("`, `")}\``),
        ...(alt ? { fix: { title: `rename to \`${alt}\``, span: it.span, text: alt } } : {}),
      }));
      return undefined;
    }
    names.push({ name, span: it.span });
  }
  return names;
}

/** `fill(mean)`, `fill(median)`, `fill(mode)` or `fill(V)` / `fill(value: V)`. */
function checkFill(call: Extract<Expr, { kind: "call" }> | undefined, span: Span, env: Env, refs: ParamRefs, out: Diagnostic[]): Traced<NonNullable<ColumnSpec["fill"]>> | undefined {
  const a = call?.args[0];
  if (call && call.args.length === 1 && !a!.name && a!.value.kind === "name" && ["mean", "median", "mode"].includes(a!.value.name)) return { kind: a!.value.name as "mean" };
  const r = checkCall(asCall(call ? (call.callee as Extract<Expr, { kind: "name" }>) : { kind: "name", name: "fill", span }, call), COLUMN_STAGES.fill!, env, out, refs);
  if (!r) return undefined;
  return { kind: "value", value: r.t.value! };
}

function fillFits(kind: ColumnSpec["kind"], fill: Traced<NonNullable<ColumnSpec["fill"]>>, span: Span, out: Diagnostic[]): boolean {
  const bad = (message: string, help: string): boolean => {
    out.push(diag("DLP2004", "error", message, span, { help }));
    return false;
  };
  if (kind === "text") return bad("a text column has no missing-value policy: an empty or missing text is all padding", "remove the `fill(…)`");
  if (fill.kind === "mean" || fill.kind === "median") return kind === "numeric" ? true : bad(`fill(${fill.kind}) needs a numeric column, this one is ${kind}`, "write `fill(mode)` or `fill(value: …)`");
  if (fill.kind !== "value") return true;
  const v = fill.value instanceof Term ? fill.value.value : fill.value;
  if (kind === "numeric" && typeof v !== "number") return bad(`a numeric column is filled with a number, found ${JSON.stringify(v)}`, "write e.g. `fill(0)` or `fill(median)`");
  if (kind === "binary" && parseBinary(String(v)) === undefined) return bad(`a binary column is filled with 0/1, true/false or yes/no, found ${JSON.stringify(v)}`, "write `fill(0)`");
  if (kind === "date" && !parseDate(String(v))) return bad(`a date column is filled with a date (YYYY-MM-DD), found ${JSON.stringify(v)}`, 'write e.g. `fill("2000-01-01")`');
  return true;
}

/** DLP4030: the file read at check time has more distinct values than the vocabulary holds. */
function categoryWarning(columns: string[], maxTokens: number, span: Span, t: TableSource, out: Diagnostic[]): void {
  for (const c of columns) {
    const d = t.facts?.distinct?.[c];
    if (!d || d.count <= maxTokens - 1) continue;
    out.push(diag("DLP4030", "warning", `column \`${c}\` has ${d.count}${d.complete ? "" : " or more"} distinct values, the vocabulary holds ${maxTokens - 1}`, span, {
      label: `category(max_tokens: ${maxTokens})`,
      notes: [`${t.facts!.file}${d.complete ? "" : " (in the first part read at check time)"}`, "values outside the vocabulary (the least frequent in the training split) share the out-of-vocabulary id 0"],
      help: `write \`category(max_tokens: ${d.count + 1})\` to give every value its own id`,
    }));
  }
}
