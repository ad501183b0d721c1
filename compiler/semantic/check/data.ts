// The data section: source, x (transforms and the declared input shape), y (labels), split,
// augmentation, shuffle; each leaf a term so a param read there reaches data(p).
import type { Expr, Span } from "../../../grammar/ast.ts";
import { exprText } from "../../../grammar/ast.ts";
import { diag, type Diagnostic } from "../../diagnostics/diagnostic.ts";
import { definedTwice } from "../../diagnostics/builders.ts";
import type { Augment, ColumnSpec, DataSpec, LabelSpec, SourceSpec, SplitSpec, Transform } from "../../../runtime/spec.ts";
import type { Args, TensorShape } from "../layers/types.ts";
import { fmtShape } from "../layers/index.ts";
import { AUGMENTS, SOURCES, TRANSFORMS, type SourceInfo, type Terms } from "../catalog.ts";
import { asCall, callOf, settingOf, type SectionIR, type Setting } from "../lower.ts";
import { didYouMean, meantHelp } from "../names.ts";
import { evalExpr, termOf, validateArgs, type Env } from "../values.ts";
import { derive, lit, operand, tuple, valueOf, type ParamRefs, type Term, type Traced } from "../term.ts";
import { unknownSetting, checkCall } from "./call.ts";
import { checkDeclaredLabels, checkDeclaredShape, checkWindowRows, checkWindowShape, shapeHint, sourceFacts, type LabelValues } from "../data_facts.ts";
import { labelKey } from "../../../runtime/data/label_values.ts";
import type { DataFacts } from "../../../runtime/data/probe.ts";
import { checkTable, columnNames, isTableExpr, type TableSource } from "./columns.ts";
import { columnWidth } from "../../../runtime/data/columns.ts";

// ---- data -------------------------------------------------------------------------------

/** A head's labels as declared in the data section, for the model's output checks. */
export interface LabelsDecl {
  spec: LabelSpec;
  span: Span;
  declared: "class" | "onehot" | "binary" | "regression";
  /** With per-step labels (`as class(5) per step`), the labels' steps (the window's length). */
  steps?: number;
}

/** One data field that is a model input, as the model check needs it. */
export interface InputDecl {
  name: string;
  shape: Traced<TensorShape>;
  span: Span;
}

/** One data field that is a model output (a head's labels). */
export interface OutputDecl extends LabelsDecl {
  name: string;
  /** The field's name where it is written. */
  nameSpan: Span;
}

export interface DataResult {
  spec?: Traced<DataSpec>;
  /** The first output's labels (a one-output pipeline's `y`). */
  labels?: LabelsDecl;
  /** The first model input, known even when the labels have an error (so the model is still checked). */
  inputShape?: Traced<TensorShape>;
  /** Every input field whose shape is known, in the order written. */
  inputs: InputDecl[];
  /** The names of every input field, known shape or not. */
  inputNames: string[];
  /** Every output field whose labels checked, in the order written. */
  outputs: OutputDecl[];
  /** The names of every output field, whose labels checked or not (a head whose labels have an error still exists). */
  outputNames?: string[];
}

/** A per-sample shape whose dims may read params (`as image[s, s, 1]`, `pad_sequences(maxlen)`). */
type TShape = Traced<TensorShape>;

const DATA_SETTINGS = ["source", "split", "augment", "shuffle"];
const LABEL_KINDS = ["class", "onehot", "binary", "regression"];

/** A data field: `x`, `y`, or any name; an output when declared `as` a label encoding (or named `y`). */
interface Field {
  name: string;
  nameSpan: Span;
  value: Expr;
  output: boolean;
  /** Words after the value (`per step`). */
  more: Expr[];
}

function isOutputField(name: string, e: Expr): boolean {
  if (name === "y") return true;
  if (name === "x") return false;
  if (e.kind !== "as") return false;
  const c = callOf(e.type);
  return !!c && LABEL_KINDS.includes(c.name.name);
}

export function checkData(sec: SectionIR, env: Env, refs: ParamRefs, out: Diagnostic[], lossName: string | undefined, probe = true, lossFor?: (head: string) => string | undefined): DataResult {
  let source: CheckedSource | undefined;
  const fields: Field[] = [];
  const splits: Setting[] = [];
  const split: SplitSpec = {};
  const augment: Traced<Augment>[] = [];
  let shuffle: Traced<boolean> = true;
  let sourceWritten = false;
  let splitTest: Setting | undefined;
  // The fields first: a CSV read by column names is probed for the columns its inputs read (and
  // its label column).
  const early: { xs: Expr[]; y?: Expr; ys: Expr[] } = { xs: [], ys: [] };
  for (const st of sec.body.statements) {
    const first = st.groups[0][0];
    if (first.kind !== "assign" || first.target.kind !== "name") continue;
    if (isOutputField(first.target.name, first.value)) { early.y ??= first.value; early.ys.push(first.value); }
    else early.xs.push(first.value);
  }
  const none: DataResult = { inputs: [], inputNames: [], outputs: [] };
  for (const st of sec.body.statements) {
    const first = st.groups[0][0];
    if (first.kind === "assign" && first.target.kind === "name") {
      const name = first.target.name;
      const more = [...st.groups[0].slice(1), ...st.groups.slice(1).flat()];
      const before = fields.find((f) => f.name === name);
      if (before) out.push(definedTwice(`the data field \`${name}\` is defined twice`, first.target.span, before.nameSpan));
      else if (DATA_SETTINGS.includes(name)) out.push(diag("DLP2004", "error", `\`${name}\` is a data setting, not a field name`, first.target.span, { label: "a setting's name", help: `write \`${name} …\` without \`=\`, or name the field otherwise` }));
      else fields.push({ name, nameSpan: first.target.span, value: first.value, output: isOutputField(name, first.value), more });
      continue;
    }
    const s = settingOf(st);
    if (!s) {
      out.push(diag("DLP1001", "error", `unexpected \`${exprText(first)}\` in data`, first.span, { help: "the data section holds `source …`, fields `x = …`, `y = …` (or named ones, `img = … as image[…]`, `digit = labels as class(10)`), `split …`, `augment { … }`, `shuffle …`" }));
      continue;
    }
    switch (s.name.name) {
      case "source":
        sourceWritten = true;
        source = checkSource(s, env, refs, out, probe, early);
        break;
      case "split":
        checkSplit(s, split, out);
        splits.push(s);
        if (split.test && !splitTest) splitTest = s;
        break;
      case "augment":
        checkAugment(s, env, refs, augment, out);
        break;
      case "shuffle": {
        const v = s.values[0] ? evalExpr(s.values[0], env) : undefined;
        if (typeof v !== "boolean") out.push(diag("DLP2004", "error", "`shuffle` takes true or false", s.values[0]?.span ?? s.name.span, {}));
        else shuffle = termOf(s.values[0], v, refs);
        break;
      }
      default:
        unknownSetting(s, "data", [...DATA_SETTINGS, "x", "y"], out);
    }
  }
  if (!source) {
    if (sourceWritten) return none; // its own error was reported
    out.push(diag("DLP2005", "error", "the data section has no `source`", sec.name.span, { label: "missing `source …`", help: `add e.g. \`source fashion_mnist\`; sources: ${Object.keys(SOURCES).join(", ")}` }));
    return none;
  }
  const inputFields = fields.filter((f) => !f.output);
  const outputFields = fields.filter((f) => f.output);
  if (!inputFields.length) {
    out.push(diag("DLP2005", "error", "the data section does not define `x`", sec.name.span, { label: "missing `x = …`", help: `add e.g. \`x = ${xExample(source)}\`` }));
    return none;
  }
  if (splitTest && source.info.ownTest) ownTestSplit(splitTest, source, out);
  if (source.window) {
    timeSplits(splits, split, out);
    const splitAt = Object.fromEntries(splits.flatMap((st) => (st.values[0]?.kind === "name" ? [[st.values[0].name, st.stmt.span]] : [])));
    checkWindowRows(source.facts, source.window, split, splitAt, source.span, out);
  }
  const inputs: (InputDecl & { transforms: Traced<Transform>[] })[] = [];
  let anyFailed = false;
  for (const f of inputFields) {
    const more = f.more;
    if (more[0]) out.push(diag("DLP2004", "error", `unexpected \`${exprText(more[0])}\` after the input declaration`, { start: more[0].span.start, end: more[more.length - 1]!.span.end }, { help: "write e.g. `x = features as series[24, 3]`" }));
    const errorsBefore = out.filter((d) => d.severity === "error").length;
    const x = checkX(f.value, source, env, refs, out, f.name);
    if (!x) {
      anyFailed = true;
      // Never an empty data spec without a word: every refusal above reports itself, and this catches one that did not.
      if (out.filter((d) => d.severity === "error").length === errorsBefore) {
        out.push(diag("DLP2004", "error", "cannot read this input expression", f.value.span, { help: `write e.g. \`${f.name} = ${xExample(source)}\`` }));
      }
      continue;
    }
    if (x.failed) anyFailed = true;
    inputs.push({ name: f.name, shape: x.shape, span: f.nameSpan, transforms: x.transforms });
  }
  const inputDecls: InputDecl[] = inputs.map(({ transforms: _t, ...d }) => d);
  const firstInput = inputs.length === inputFields.length ? inputs[0]?.shape : undefined;
  const partial = (outputs: OutputDecl[]): DataResult => ({ ...(firstInput ? { inputShape: firstInput } : {}), inputs: inputDecls, inputNames: inputFields.map((f) => f.name), outputs, outputNames: outputFields.map((f) => f.name), ...(outputs[0] ? { labels: decl(outputs[0]) } : {}) });
  // The labels do not depend on the inputs: they are checked (and reported) whatever the inputs' outcome.
  const outputs: (OutputDecl & { traced: Traced<LabelSpec>; fromFeatures?: Traced<Transform>[]; columns?: string[] })[] = [];
  let outputsFailed = false;
  for (const f of outputFields) {
    const l = checkY(f.value, f.more, source, env, refs, out, lossFor?.(f.name) ?? lossName, f.name);
    if (!l) { outputsFailed = true; continue; }
    outputs.push({ ...l, name: f.name, nameSpan: f.nameSpan });
  }
  if (!outputFields.length && !anyFailed && source.info.y.classes) {
    const spec: LabelSpec = { kind: "class", classes: source.info.y.classes, encoding: "sparse" };
    outputs.push({ name: "y", nameSpan: sec.name.span, spec, traced: spec, span: sec.name.span, declared: "class" });
  }
  const outputDecls: OutputDecl[] = outputs.map(({ traced: _t, fromFeatures: _f, columns: _c, ...d }) => d);
  if (outputsFailed || anyFailed) return partial(outputDecls);
  if (!outputs.length) {
    out.push(diag("DLP2005", "error", "the data section does not define `y`", sec.name.span, { label: "missing `y = …`", help: "add e.g. `y = labels as class(10)`" }));
    return partial([]);
  }
  const spec: Traced<DataSpec> = {
    source: source.spec,
    inputs: inputs.map((i) => ({ name: i.name, transforms: i.transforms, shape: i.shape })),
    outputs: outputs.map((o) => ({ name: o.name, labels: o.traced, ...(o.fromFeatures ? { fromFeatures: o.fromFeatures } : {}), ...(o.columns ? { columns: o.columns } : {}) })),
    split,
    augment,
    shuffle,
  };
  return { spec, ...partial(outputDecls) };
}

/** An `x = …` for this source in its own shape (what its files hold, when read): the help's example. */
function xExample(source: CheckedSource): string {
  const name = source.info.x.name;
  const known = source.xShape ? valueOf<TensorShape>(source.xShape) : source.facts?.sampleShape;
  const dims = known && known.every((d) => d !== null) ? (known as number[]) : undefined;
  if (name === "sequences") return `${name} |> pad_sequences(200)`;
  if (dims?.length === 1) return `${name} |> standardize() as vector[${dims[0]}]`;
  if (dims?.length === 2) return `${name} / 255 as image[${dims[0]}, ${dims[1]}, 1]`;
  if (dims?.length === 3) return `${name} / 255 as image[${dims.join(", ")}]`;
  return name === "features" ? `${name} |> standardize() as vector[N]` : `${name} / 255 as image[H, W, C]`;
}

const decl = (o: OutputDecl): LabelsDecl => ({ spec: o.spec, span: o.span, declared: o.declared, ...(o.steps !== undefined ? { steps: o.steps } : {}) });

interface CheckedSource {
  spec: Traced<SourceSpec>;
  info: SourceInfo;
  /** The per-sample shape of the source's inputs, when known statically. */
  xShape: TShape | null;
  span: Span;
  /** The source's name as written (`mnist`). */
  name: string;
  /** What a bounded read of the source's files shows (csv, idx, images); for diagnostics only. */
  facts?: DataFacts;
  /** A window source: its steps per sample, horizon and target columns. */
  window?: { steps: number; horizon: number; stride: number; targets: string[] };
  /** A source whose inputs are named columns (csv, text_files): what the checker knows of them. */
  table?: TableSource;
  /** A CSV: every column a head reads its labels from (none of them is an input). */
  headColumns: string[];
  /** A CSV read at check time: the facts of a probe that reads `column` as the label column. */
  factsFor?: (column: string) => DataFacts | undefined;
}

/**
 * The CSV column(s) a head's `y = COLUMN as …` or `pair = columns(a, b) as …` names (not the
 * source's `labels` field, nor a target computed from `features`).
 */
function headColumns(y: Expr | undefined): string[] | undefined {
  if (y?.kind !== "as") return undefined;
  const v = y.value;
  if (v.kind === "name") return v.name !== "labels" && v.name !== "features" ? [v.name] : undefined;
  if (v.kind === "call" && v.callee.kind === "name" && v.callee.name === "columns" && v.args.length > 0 && v.args.every((a) => !a.name && a.value.kind === "name")) return v.args.map((a) => (a.value as { name: string }).name);
  return undefined;
}

/** The label column of a CSV source: the first head's that names one column (none when a head reads `labels`: that is the source's `label:` column). */
function labelColumn(ys: Expr[]): { column: string; at: Expr } | undefined {
  if (ys.some((y) => y.kind === "as" && y.value.kind === "name" && y.value.name === "labels")) return undefined;
  for (const y of ys) {
    const c = headColumns(y);
    if (c?.length === 1) return { column: c[0]!, at: y };
  }
  return undefined;
}

function checkSource(s: Setting, env: Env, refs: ParamRefs, out: Diagnostic[], probe: boolean, early: { xs: Expr[]; y?: Expr; ys: Expr[] }): CheckedSource | undefined {
  const v = s.values[0];
  const c = v ? callOf(v) : undefined;
  if (!c) {
    out.push(diag("DLP2005", "error", "`source` needs a data source", v?.span ?? s.name.span, { help: `sources: ${Object.keys(SOURCES).join(", ")}` }));
    return undefined;
  }
  const info = SOURCES[c.name.name];
  if (!info) {
    const alt = didYouMean(c.name.name, Object.keys(SOURCES));
    out.push(diag("DLP4004", "error", `unknown data source \`${c.name.name}\``, c.name.span, { label: "unknown source", help: meantHelp(alt) ?? `sources: ${Object.keys(SOURCES).join(", ")}`, fix: alt ? { title: `rename to \`${alt}\``, span: c.name.span, text: alt } : undefined }));
    return undefined;
  }
  const checked = checkCall(asCall(c.name, c.call), info.sig, env, out, refs);
  if (!checked) return undefined;
  const { t } = checked;
  let spec = info.toSpec ? info.toSpec(t) : ({ kind: c.name.name } as Traced<SourceSpec>);
  const name = c.name.name;
  let table: TableSource | undefined = name === "csv" ? { source: name, reserved: [info.x.name, info.y.name] } : name === "text_files" ? { source: name, reserved: [info.y.name], names: [info.x.name], file: "the text folder" } : undefined;
  const tableXs = table ? early.xs.filter((x) => isTableExpr(x, table!)) : [];
  const typed = tableXs.length > 0;
  const labelAt = name === "csv" ? labelColumn(early.ys) : undefined;
  const label = labelAt?.column;
  // Every head's label columns (a model with several heads reads each from its own columns).
  const headCols = name === "csv" ? [...new Set(early.ys.flatMap((y) => headColumns(y) ?? []))] : [];
  if (label && name === "csv") {
    const written = c.call?.args.find((a) => a.name?.name === "label");
    if (written && t.label!.value !== label) {
      out.push(diag("DLP2004", "error", `the label column is \`${t.label!.value}\` here and \`${label}\` in \`y = …\``, written.span, { related: [{ span: labelAt.at.span, message: "y names another column" }], help: "name the label column once: remove `label:` and keep `y = COLUMN as …`" }));
      return undefined;
    }
    spec = { ...(spec as Extract<Traced<SourceSpec>, { kind: "csv" }>), label };
  }
  // Typed columns read their cells as text; `x = features` with `y = COLUMN` keeps the numeric read.
  const others = headCols.filter((h) => h !== label);
  const request = name === "csv" && (typed || label || others.length) ? { ...(typed ? { columns: [...new Set(tableXs.flatMap((x) => columnNames(x, table!)))] } : {}), ...(label ? { label } : {}), ...(others.length ? { exclude: others } : {}) } : undefined;
  const facts = probe ? sourceFacts(name, checked.args, v.span, out, request) : undefined;
  // Another head's column: the same probe, that column read as the label (its values, its kind).
  const cache = new Map<string, DataFacts | undefined>();
  const factsFor = facts && name === "csv" ? (column: string): DataFacts | undefined => {
    if (column === label) return facts;
    // Every other head's column stays out of the features, as in the first probe.
    const exclude = [...new Set([label ?? String(checked.args.label ?? "label"), ...headCols])].filter((h) => h !== column);
    if (!cache.has(column)) cache.set(column, facts.header?.includes(column) ? sourceFacts(name, checked.args, v.span, out, { ...request, label: column, exclude }) : undefined);
    return cache.get(column);
  } : undefined;
  if (table && name === "csv" && facts?.header) table = { ...table, names: facts.header, file: facts.file, facts };
  if (!typed) table = undefined;
  const a = checked.args;
  const window = info.windowSteps ? { steps: info.windowSteps(t), horizon: typeof a.horizon === "number" ? a.horizon : 1, stride: typeof a.stride === "number" ? a.stride : 1, targets: (Array.isArray(a.target) ? a.target : [a.target]).map(String) } : undefined;
  return { spec, info, xShape: info.xShape ? info.xShape(t) : info.x.shape, span: c.name.span, name, headColumns: headCols, ...(facts ? { facts } : {}), ...(factsFor ? { factsFor } : {}), ...(table ? { table } : {}), ...(window ? { window } : {}) };
}

/** DLP4007: `split test` on a source that has a test set of its own (the run would refuse it). */
function ownTestSplit(s: Setting, source: CheckedSource, out: Diagnostic[]): void {
  const own = source.info.ownTest!;
  const name = source.name;
  // A folder source read at check time: its files say whether it holds a test set.
  const known = source.facts?.hasTest;
  if (!own.always && known === false) return;
  if (!own.always && known === true) {
    out.push(diag("DLP4007", "error", `\`split test\` on \`${name}\`, whose folder holds its own test set`, s.stmt.span, {
      label: "a second test set",
      related: [{ span: source.span, message: `its test set: ${own.what}` }],
      notes: [`found in ${source.facts!.file}`],
      help: "remove this line to evaluate on the source's own test set, or write `split validation …` instead",
    }));
    return;
  }
  out.push(
    diag("DLP4007", own.always ? "error" : "warning", own.always ? `\`split test\` on \`${name}\`, which has its own test set` : `\`split test\` on \`${name}\`, whose folder may hold its own test set`, s.stmt.span, {
      label: own.always ? "a second test set" : "a second test set, if the folder holds one",
      related: [{ span: source.span, message: own.always ? `its test set: ${own.what}` : `its test set, when present: ${own.what}` }],
      help: "remove this line to evaluate on the source's own test set, or write `split validation …` instead",
    }),
  );
}

function checkSplit(s: Setting, split: SplitSpec, out: Diagnostic[]): void {
  const [which, ...rest] = s.values;
  if (which?.kind === "name" && which.name === "kfold") {
    // `split kfold 5 [stratified]`: k-fold cross-validation, each fold the validation set once.
    const k = rest[0];
    if (!k || k.kind !== "number" || !Number.isInteger(k.value) || k.value < 2) {
      out.push(diag("DLP2004", "error", "`kfold` takes a number of folds, 2 or more", k?.span ?? which.span, { label: k ? `found ${exprText(k)}` : "missing", help: "write `split kfold 5` or `split kfold 5 stratified`" }));
      return;
    }
    const extra = rest.slice(1).find((w) => !(w.kind === "name" && w.name === "stratified"));
    if (extra) {
      out.push(diag("DLP2004", "error", `unexpected \`${exprText(extra)}\` in split kfold`, extra.span, { help: "write `split kfold 5` or `split kfold 5 stratified`" }));
      return;
    }
    split.kfold = { k: k.value, stratified: rest.length > 1 };
    return;
  }
  if (!which || which.kind !== "name" || !["validation", "test"].includes(which.name)) {
    out.push(diag("DLP2004", "error", "`split` names `validation` or `test`", which?.span ?? s.name.span, { help: "write `split validation 10% stratified` or `split validation last 5000`" }));
    return;
  }
  const part: { fraction?: number; last?: number; stratified?: boolean } = {};
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i];
    if (w.kind === "number") {
      if (w.unit === "%" || (w.value > 0 && w.value < 1)) {
        if (!(w.value > 0 && w.value < 1)) out.push(diag("DLP2004", "error", "a split fraction lies strictly between 0% and 100%", w.span, { label: `found ${w.raw}` }));
        else part.fraction = w.value;
      } else out.push(diag("DLP2004", "error", "a split is a fraction (`10%`, `0.1`) or `last N`", w.span, { label: `found ${w.raw}`, help: `write \`${w.value}%\` or \`last ${w.value}\`` }));
    } else if (w.kind === "name" && w.name === "last") {
      const n = rest[i + 1];
      if (!n || n.kind !== "number" || !Number.isInteger(n.value) || n.value < 1) out.push(diag("DLP2004", "error", "`last` takes a sample count", n?.span ?? w.span, {}));
      else part.last = n.value;
      i++;
    } else if (w.kind === "name" && w.name === "stratified") part.stratified = true;
    else out.push(diag("DLP2004", "error", `unexpected \`${exprText(w)}\` in split`, w.span, { help: meantHelp(didYouMean(exprText(w), ["stratified", "last"])) ?? "write `split validation 10% stratified`" }));
  }
  if (part.fraction === undefined && part.last === undefined) {
    out.push(diag("DLP2005", "error", "a split needs a size", s.stmt.span, { help: "write `split validation 10%` or `split validation last 5000`" }));
    return;
  }
  split[which.name as "validation" | "test"] = part;
}

function checkAugment(s: Setting, env: Env, refs: ParamRefs, augment: Traced<Augment>[], out: Diagnostic[]): void {
  if (!s.block) {
    out.push(diag("DLP1001", "error", "`augment` needs a block", s.stmt.span, { help: "write `augment train { rotate 10deg; flip horizontal }`" }));
    return;
  }
  for (const st of s.block.statements) {
    const a = settingOf(st);
    if (!a) continue;
    const sig = AUGMENTS[a.name.name];
    if (!sig) {
      unknownSetting(a, "augment", Object.keys(AUGMENTS), out);
      continue;
    }
    // `zoom 0.9..1.2` and `rotate 10deg`: words as positional values.
    const args: Args = {};
    const t: Terms = {};
    const values = [...a.values, ...a.more];
    for (let i = 0; i < values.length && i < sig.positional.length; i++) {
      const w = values[i];
      const name = sig.positional[i];
      if (w.kind === "range") {
        const lo = evalExpr(w.low, env);
        const hi = evalExpr(w.high, env);
        if (lo === undefined || hi === undefined) continue;
        args[name] = [lo, hi];
        t[name] = tuple([termOf(w.low, lo, refs), termOf(w.high, hi, refs)]);
        continue;
      }
      const v = evalExpr(w, env);
      if (v === undefined) continue;
      args[name] = v;
      t[name] = termOf(w, v, refs);
    }
    const fake = asCall(a.name);
    if (!validateArgs(args, sig, { exprs: new Map(values.slice(0, sig.positional.length).map((w, i) => [sig.positional[i], { value: w, span: w.span }])), ok: true }, fake, out)) continue;
    for (const [k, v] of Object.entries(args)) t[k] ??= lit(v); // schema defaults
    if (a.name.name === "zoom") {
      const [lo, hi] = args.range as number[];
      if (!(lo <= hi)) {
        out.push(diag("DLP2004", "error", "a zoom range goes from the smaller to the larger factor", values[0].span, {}));
        continue;
      }
    }
    augment.push(sig.toSpec(t, undefined));
  }
}

/** x = FIELD [/ k | * k | - k | + k] [|> standardize() | normalize(m, s) | pad_sequences(n)] [as image[…] | vector[n] | sequence[n]] */
function checkX(e: Expr, source: CheckedSource, env: Env, refs: ParamRefs, out: Diagnostic[], field = "x"): { shape: TShape; transforms: Traced<Transform>[]; failed: boolean } | undefined {
  const transforms: Traced<Transform>[] = [];
  // The declared shape disagrees with the data (its error is reported): the model is still
  // checked on the declared shape, which is the one it was written for (issue 13: one error
  // must not hide the others).
  let failed = false;
  const table = source.table;
  const isConcat = (e: Expr): boolean => e.kind === "call" && e.callee.kind === "name" && e.callee.name === "concat";
  const go = (x: Expr): TShape | null | undefined => {
    // Typed columns: one block (`age |> standardize()`) or `concat(…)`, then the usual transforms.
    if (table && isTableExpr(x, table) && (x.kind === "name" || x.kind === "call" || (x.kind === "pipe" && !isConcat(x.stages[0]!) && x.stages[x.stages.length - 1]!.kind !== "as"))) {
      if (transforms.length > 0) {
        out.push(diag("DLP2004", "error", "typed columns are read before any other transform", x.span, { help: "write the columns first: `x = concat(a, b) |> standardize()`" }));
        return undefined;
      }
      const r = checkTable(x, table, env, refs, out);
      if (!r) return undefined;
      const spec = valueOf<SourceSpec>(source.spec);
      const labelCols = spec.kind === "csv" ? [...new Set([spec.label, ...source.headColumns])] : [];
      const leak = valueOf<ColumnSpec[]>(r.columns).find((c) => labelCols.includes(c.column));
      if (leak) {
        out.push(diag("DLP2004", "error", `the label column \`${leak.column}\` is also an input`, x.span, { label: "the model would read its own answer", help: `remove \`${leak.column}\` from ${field}` }));
        return undefined;
      }
      transforms.push({ op: "columns", columns: r.columns });
      return [r.width];
    }
    switch (x.kind) {
      case "name": {
        if (x.name === source.info.x.name) return source.xShape;
        const alt = didYouMean(x.name, [source.info.x.name]);
        out.push(diag("DLP4004", "error", `source has no field \`${x.name}\``, x.span, { label: `the inputs of this source are \`${source.info.x.name}\``, help: meantHelp(alt) ?? `write \`${field} = ${source.info.x.name} …\``, fix: { title: `use \`${source.info.x.name}\``, span: x.span, text: source.info.x.name } }));
        return undefined;
      }
      case "binary": {
        const inner = go(x.left);
        if (inner === undefined) return undefined;
        const k = evalExpr(x.right, env);
        if (typeof k !== "number" || !["/", "*", "+", "-"].includes(x.op)) {
          out.push(diag("DLP2004", "error", "inputs are scaled or shifted by a number", x.span, { help: "write e.g. `images / 255`" }));
          return undefined;
        }
        if (x.op === "/" && k === 0) {
          out.push(diag("DLP2004", "error", "division by zero", x.right.span, {}));
          return undefined;
        }
        const kt = termOf(x.right, k, refs);
        // `images / 255` is written `1 / 255`, as the source said, and `images / sc` reads the param.
        if (x.op === "/") transforms.push({ op: "scale", by: derive([kt], (v) => 1 / (v as number), (c) => `1 / ${operand(c)}`) });
        else if (x.op === "*") transforms.push({ op: "scale", by: kt });
        else transforms.push({ op: "shift", by: x.op === "+" ? kt : derive([kt], (v) => -(v as number), (c) => `-${operand(c)}`) });
        return inner;
      }
      case "pipe": {
        // `as` binds tighter than `|>`: `features |> standardize() as vector[2]` declares the piped result.
        const last = x.stages[x.stages.length - 1];
        if (last.kind === "as") return go({ kind: "as", value: { kind: "pipe", stages: [...x.stages.slice(0, -1), last.value], span: { start: x.span.start, end: last.value.span.end } }, type: last.type, span: x.span });
        let shape = go(x.stages[0]);
        if (shape === undefined) return undefined;
        for (const stage of x.stages.slice(1)) {
          const c = callOf(stage);
          if (!c) {
            out.push(diag("DLP2004", "error", "a data transform is a call", stage.span, { label: `found ${exprText(stage)}`, help: "transforms are standardize(), normalize(mean, std), pad_sequences(maxlen), channels_last()" }));
            return undefined;
          }
          const def = TRANSFORMS[c.name.name];
          if (!def) {
            const alt = didYouMean(c.name.name, Object.keys(TRANSFORMS));
            out.push(diag("DLP2001", "error", `unknown data transform \`${c.name.name}\``, c.name.span, { help: meantHelp(alt) ?? "transforms are standardize(), normalize(mean, std), pad_sequences(maxlen), channels_last()" }));
            return undefined;
          }
          const r = checkCall(asCall(c.name, c.call), def, env, out, refs);
          if (!r) return undefined;
          const next = def.shape(shape, r.t);
          if (next && !Array.isArray(next)) {
            out.push(diag(next.code, "error", next.message, stage.span, { label: `samples are ${shape ? fmtShape(valueOf<TensorShape>(shape)) : "of unknown shape"}` }));
            return undefined;
          }
          transforms.push(def.toSpec(r.t, undefined));
          shape = next;
        }
        return shape;
      }
      case "as": {
        const tinner = go(x.value);
        if (tinner === undefined) return undefined;
        const inner = tinner && valueOf<TensorShape>(tinner);
        const t = x.type;
        if (t.kind !== "index" || t.target.kind !== "name" || !["image", "vector", "sequence", "series"].includes(t.target.name)) {
          out.push(diag("DLP2004", "error", "inputs are declared `as image[H, W, C]`, `as vector[N]`, `as series[steps, features]` or `as sequence[N]`", t.span, { label: `found ${exprText(t)}` }));
          return undefined;
        }
        const dims: number[] = [];
        const dimTerms: Term[] = [];
        for (const d of t.items) {
          const v = evalExpr(d, env);
          if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
            if (t.target.name === "series" && d.kind === "name" && (d.name === "None" || d.name === "null") && t.items.length === 2 && d === t.items[0]) {
              out.push(diag("DLP2004", "error", "a series needs a fixed number of steps", d.span, { label: "a variable time axis", help: "give the steps, e.g. `series[30, " + exprText(t.items[1]!) + "]`: cut or pad the series to that length (a window over a long series)" }));
            } else if (d.kind === "name" && (d.name === "None" || d.name === "batch" || d.name === "null")) {
              out.push(diag("DLP4001", "error", "the batch axis is written into the input shape", d.span, { label: "the batch axis is implicit", help: `remove it: \`${t.target.name}[${t.items.filter((i) => i !== d).map(exprText).join(", ")}]\``, fix: { title: "remove the batch axis", span: { start: d.span.start, end: t.items[t.items.indexOf(d) + 1]?.span.start ?? d.span.end }, text: "" } }));
            } else out.push(diag("DLP2004", "error", "dimensions are positive integers", d.span, { label: `found ${exprText(d)}` }));
            return undefined;
          }
          dims.push(v);
          dimTerms.push(termOf(d, v, refs));
        }
        const kind = t.target.name;
        const wantRank = kind === "image" ? 3 : kind === "series" ? 2 : 1;
        if ((kind === "image" && dims.length === 4) || (kind === "series" && dims.length === 3)) {
          out.push(diag("DLP4001", "error", "the batch axis is written into the input shape", t.items[0].span, { label: kind === "image" ? `image[${dims.join(", ")}] has 4 axes; images have height, width, channels` : `series[${dims.join(", ")}] has 3 axes; a series has steps and features`, help: `the batch axis is implicit: write \`${kind}[${dims.slice(1).join(", ")}]\``, fix: { title: "remove the batch axis", span: { start: t.items[0].span.start, end: t.items[1].span.start }, text: "" } }));
          return undefined;
        }
        if (dims.length !== wantRank) {
          out.push(diag("DLP2004", "error", `\`${kind}\` takes ${wantRank} dimension${wantRank === 1 ? "" : "s"}`, t.span, { label: `given ${dims.length}`, help: kind === "image" ? "write `image[height, width, channels]`" : kind === "series" ? "write `series[steps, features]`" : `write \`${kind}[length]\`` }));
          return undefined;
        }
        if (source.window) {
          // A window's axes are its steps and the file's columns: compared axis by axis, never reshaped.
          if (kind !== "series") {
            out.push(diag("DLP2004", "error", `a window source yields series, not \`${kind}\``, t.span, { label: `found ${exprText(t)}`, help: `write \`series[${source.window.steps}, ${source.facts?.window?.features ?? "features"}]\`` }));
            return undefined;
          }
          if (!checkWindowShape(source.facts, source.window.steps, dims, t.items.map((d) => ({ span: d.span, literal: d.kind === "number" })), source.span, out)) failed = true;
          return dimTerms;
        }
        if (!inner && !checkDeclaredShape(source.facts, kind, dims, exprText(t), t.span, out)) failed = true;
        if (inner) {
          const known = inner.every((d) => d !== null);
          const have = known ? (inner as number[]).reduce((a, b) => a * b, 1) : null;
          const want = dims.reduce((a, b) => a * b, 1);
          const cols = transforms[0] && valueOf<Transform>(transforms[0]);
          if (have !== null && have !== want && cols?.op === "columns" && transforms.length === 1) {
            const parts = cols.columns.map((c) => `${c.column} ${columnWidth(c)}`);
            out.push(diag("DLP4003", "error", `the columns give ${have} values per sample, \`${exprText(t)}\` needs ${want}`, t.span, { label: `${have} values`, notes: [`${parts.join(" + ")} = ${have}`] }));
            failed = true;
            return dimTerms;
          }
          if (have !== null && have !== want) {
            out.push(diag("DLP4003", "error", `the data holds ${have} values per sample, \`${exprText(t)}\` needs ${want}`, t.span, { label: `${fmtShape(inner)} = ${have} values`, notes: [`source ${fmtShape(inner)} → ${exprText(t)} (${dims.join("×")} = ${want})`], help: kind === "image" && inner.length >= 2 ? `write \`image[${inner.length === 2 ? `${inner[0]}, ${inner[1]}, 1` : inner.join(", ")}]\`` : undefined }));
            failed = true;
            return dimTerms;
          }
          // Channels-first: same element count, but the source is channels-last.
          if (kind === "image" && inner.length === 3 && dims[0] <= 4 && dims[2] > 4 && inner[2] === dims[0]) {
            out.push(diag("DLP4002", "error", "channels-first shape for channels-last data", t.span, { label: `image[${dims.join(", ")}] puts the ${dims[0]} channels first`, notes: [`the source yields ${fmtShape(inner)} (height × width × channels)`], help: `write \`image[${dims[1]}, ${dims[2]}, ${dims[0]}]\``, fix: { title: "use channels-last", span: { start: t.items[0].span.start, end: t.items[2].span.end }, text: `${dims[1]}, ${dims[2]}, ${dims[0]}` } }));
            return undefined;
          }
        }
        // A declared shape that reads a param may differ from the source's in another trial: always reshape then.
        if (!inner || inner.length !== dims.length || inner.some((d, i) => d !== dims[i]) || dimTerms.some((d) => d.dynamic)) transforms.push({ op: "reshape", shape: dimTerms });
        return dimTerms;
      }
      default:
        out.push(diag("DLP2004", "error", `unexpected \`${exprText(x)}\` in the definition of ${field}`, x.span, { help: `write e.g. \`${field} = ${xExample(source)}\`` }));
        return undefined;
    }
  };
  const shape = go(e);
  if (shape === undefined) return undefined;
  if (shape !== null && source.window && valueOf<TensorShape>(shape).includes(null)) {
    out.push(diag("DLP3006", "error", "the number of features per step is not declared", e.span, { label: "a window's features are known at run time only", help: shapeHint(source.facts, source.window.steps) ?? `declare it: \`as series[${source.window.steps}, F]\` with F the feature columns` }));
    return undefined;
  }
  if (shape === null) {
    out.push(diag("DLP3006", "error", "the input shape is unknown", e.span, { label: "this source's sample shape is only known at run time", help: shapeHint(source.facts) ?? "declare it: `as image[H, W, C]`, `as vector[N]` or `|> pad_sequences(maxlen)`" }));
    return undefined;
  }
  return { shape, transforms, failed };
}

/** The source field an expression reads: `images` in `images / 255 |> standardize()`. */
function rootName(e: Expr): string | undefined {
  if (e.kind === "name") return e.name;
  if (e.kind === "binary") return rootName(e.left);
  if (e.kind === "pipe") return rootName(e.stages[0]);
  return undefined;
}

type CheckedLabels = LabelsDecl & { traced: Traced<LabelSpec>; fromFeatures?: Traced<Transform>[]; /** A CSV head: the column(s) its labels are read from. */ columns?: string[] };

/** `y = labels as ENCODING [per step]`: the encoding, then one label per sample or per time step. */
function checkY(e: Expr, more: Expr[], source: CheckedSource, env: Env, refs: ParamRefs, out: Diagnostic[], lossName: string | undefined, field = "y"): CheckedLabels | undefined {
  const perStep = more.length === 2 && more.every((w, i) => w.kind === "name" && w.name === ["per", "step"][i]);
  if (more.length && !perStep) {
    out.push(diag("DLP2004", "error", `unexpected \`${more.map(exprText).join(" ")}\` after the labels`, { start: more[0]!.span.start, end: more[more.length - 1]!.span.end }, { help: "write `per step` for one label per time step (`y = labels as class(5) per step`), or nothing for one label per sample" }));
    // A misspelt `per step` (`per steps`, `each step`) still means per step for the checks after it.
    const meant = more.some((w) => w.kind === "name" && /^(time_?)?steps?$/.test(w.name));
    const r = checkEncoding(e, source, env, refs, out, lossName, field);
    return r && meant ? { ...r, spec: { ...r.spec, perStep: true }, traced: { ...r.traced, perStep: true }, ...(source.window ? { steps: source.window.steps } : {}) } : r;
  }
  const perStepSpan = perStep ? { start: more[0]!.span.start, end: more[1]!.span.end } : undefined;
  if (perStepSpan && !source.window) {
    out.push(diag("DLP4020", "error", `\`${source.name}\` has one label per sample, not one per step`, perStepSpan, {
      label: "per-step labels",
      related: [{ span: source.span, message: "one label per sample" }],
      help: "cut a time series into windows with `source window(\"series.csv\", length: N, target: \"column\")`, whose labels can be per step, or remove `per step`",
    }));
  }
  const r = checkEncoding(e, source, env, refs, out, lossName, field);
  // Refused per-step labels still reach the output check as per step (steps unknown), which is what the model was written for.
  if (r && perStep && !source.window) return { ...r, spec: { ...r.spec, perStep: true }, traced: { ...r.traced, perStep: true } };
  if (!r || !source.window || e.kind !== "as") return r;
  const targets = source.window.targets;
  let labels = r;
  if (r.spec.kind === "regression") {
    const written = callOf(e.type)?.call?.args.length ?? 0;
    if (!written && targets.length > 1) labels = { ...r, spec: { ...r.spec, outputs: targets.length }, traced: { ...(r.traced as Extract<Traced<LabelSpec>, { kind: "regression" }>), outputs: targets.length } };
    else if (r.spec.outputs !== targets.length) {
      const want = `regression${targets.length === 1 ? "" : `(${targets.length})`}`;
      out.push(diag("DLP4023", "error", `\`${exprText(e.type)}\` declares ${r.spec.outputs} value${r.spec.outputs === 1 ? "" : "s"}${perStep ? " per step" : ""}, the window has ${targets.length} target column${targets.length === 1 ? "" : "s"}`, e.type.span, {
        label: `${r.spec.outputs} value${r.spec.outputs === 1 ? "" : "s"}`,
        related: [{ span: source.span, message: `target: ${targets.map((t) => `"${t}"`).join(", ")}` }],
        help: `write \`${want}\`, or name ${r.spec.outputs} target columns`,
        fix: { title: `declare ${want}`, span: e.type.span, text: want },
      }));
      // The model is checked against what the data holds.
      labels = { ...r, spec: { ...r.spec, outputs: targets.length }, traced: { ...(r.traced as Extract<Traced<LabelSpec>, { kind: "regression" }>), outputs: targets.length } };
    }
  } else if (targets.length > 1) {
    out.push(diag("DLP4023", "error", `class labels come from one target column, the window names ${targets.length}`, e.type.span, {
      label: `\`${exprText(e.type)}\``,
      related: [{ span: source.span, message: `target: ${targets.map((t) => `"${t}"`).join(", ")}` }],
      help: "name the one column that holds the classes in `target:`, or declare `regression(N)` for real-valued targets",
    }));
  }
  if (!perStep) return labels;
  return { ...labels, spec: { ...labels.spec, perStep: true }, traced: { ...labels.traced, perStep: true }, steps: source.window.steps };
}

/** Timed data is split by time: the last rows are the validation and test sets (DLP4022). */
function timeSplits(splits: Setting[], split: SplitSpec, out: Diagnostic[]): void {
  for (const s of splits) {
    const words = s.values.filter((w) => w.kind === "name");
    const kfold = words.find((w) => w.kind === "name" && w.name === "kfold");
    const strat = words.find((w) => w.kind === "name" && w.name === "stratified");
    const bad = kfold ?? strat;
    if (!bad || (kfold && !split.kfold)) continue;
    out.push(diag("DLP4022", "error", kfold ? "k-fold splits of overlapping windows leak time" : "a stratified split of windows leaks time", kfold ? s.stmt.span : bad.span, {
      label: kfold ? "folds of shuffled windows" : "draws windows from the whole series",
      notes: ["windows overlap: a validation window drawn between training windows shares their rows, so the score would measure memory, not forecasting"],
      help: kfold ? "write `split validation 20%`: a window source validates on the last rows of the series" : "remove `stratified`: a window source takes the last rows of the series",
      ...(strat && !kfold ? { fix: { title: "remove `stratified`", span: { start: s.values[s.values.indexOf(strat) - 1]!.span.end, end: strat.span.end }, text: "" } } : {}),
    }));
  }
}

function checkEncoding(e: Expr, source: CheckedSource, env: Env, refs: ParamRefs, out: Diagnostic[], lossName: string | undefined, field: string): CheckedLabels | undefined {
  if (e.kind !== "as") {
    out.push(diag("DLP2004", "error", "labels are declared with `as`", e.span, { help: `write \`${field} = labels as class(10)\`, \`as onehot(10)\`, \`as binary\` or \`as regression\`` }));
    return undefined;
  }
  // A target computed from the inputs (a head that reconstructs its input): a regression of the
  // features' values, after the same kind of transforms as an input.
  if (rootName(e.value) === source.info.x.name && source.info.x.name !== source.info.y.name) return checkFeatureTarget(e, source, env, refs, out, field);
  const header = source.facts?.header;
  // The facts of this head's own label column (a CSV head reads its labels from its column).
  let facts = source.facts;
  let columns: string[] | undefined;
  const many = source.name === "csv" ? headColumns(e) : undefined;
  if (source.name === "csv" && e.value.kind === "call" && many && many.length > 0) {
    // `pair = columns(a, b) as regression(2)`: real-valued targets, one per column.
    const c = callOf(e.type);
    const args = e.value.kind === "call" ? e.value.args : [];
    let ok = true;
    args.forEach((a, i) => {
      const col = many[i]!;
      if (!header || header.includes(col)) return;
      const alt = didYouMean(col, header);
      out.push(diag("DLP4004", "error", `no column \`${col}\` in ${source.facts!.file}`, a.value.span, { label: "not in the header", notes: [`columns: ${header.join(", ")}`], help: meantHelp(alt) ?? "name a column of the header", ...(alt ? { fix: { title: `rename to \`${alt}\``, span: a.value.span, text: alt } } : {}) }));
      ok = false;
    });
    if (!ok) return undefined;
    if (!c || c.name.name !== "regression") {
      out.push(diag("DLP2004", "error", "labels read from several columns are a regression of their values", e.type.span, { label: `found ${exprText(e.type)}`, help: `write \`${field} = ${exprText(e.value)} as regression(${many.length})\`, or read class labels from one column` }));
      return undefined;
    }
    for (const col of many) if (!checkDeclaredLabels(source.factsFor?.(col), "regression", undefined, e.type.span, out)) return undefined;
    const arg = c.call?.args[0]?.value;
    const n = arg ? evalExpr(arg, env) : many.length;
    if (n !== many.length) {
      out.push(diag("DLP4003", "error", `\`${exprText(e.type)}\` declares ${String(n)} value(s), ${exprText(e.value)} reads ${many.length} column(s)`, e.type.span, { label: `${many.length} columns`, help: `write \`regression(${many.length})\``, fix: { title: `declare regression(${many.length})`, span: e.type.span, text: `regression(${many.length})` } }));
      return undefined;
    }
    const outputs = arg ? termOf(arg, many.length, refs) : many.length;
    return { spec: { kind: "regression", outputs: many.length }, traced: { kind: "regression", outputs }, span: e.type.span, declared: "regression", columns: many };
  }
  if (source.name === "csv" && e.value.kind === "name") {
    // `y = income as …` names the label column; `y = labels` reads the source's `label:` column.
    const column = e.value.name === source.info.y.name ? (valueOf<SourceSpec>(source.spec) as Extract<SourceSpec, { kind: "csv" }>).label : e.value.name;
    if (header && !header.includes(column)) {
      const alt = didYouMean(column, header);
      const named = e.value.name === source.info.y.name;
      out.push(diag("DLP4004", "error", `no column \`${column}\` in ${source.facts!.file}`, e.value.span, {
        label: named ? `\`labels\` reads the column \`${column}\` (the source's \`label:\`)` : "not in the header",
        notes: [`columns: ${header.join(", ")}`],
        help: named ? `name the label column: \`y = ${alt ?? header[header.length - 1]} as …\`` : meantHelp(alt) ?? "name a column of the header",
        ...(alt && !named ? { fix: { title: `rename to \`${alt}\``, span: e.value.span, text: alt } } : {}),
      }));
      return undefined;
    }
    if (e.value.name !== source.info.y.name) {
      columns = [column];
      facts = source.factsFor ? source.factsFor(column) : facts;
    }
  } else if (e.value.kind !== "name" || e.value.name !== source.info.y.name) {
    out.push(diag("DLP4004", "error", `source has no field \`${exprText(e.value)}\``, e.value.span, { label: `the labels of this source are \`${source.info.y.name}\``, fix: { title: `use \`${source.info.y.name}\``, span: e.value.span, text: source.info.y.name } }));
    return undefined;
  }
  const c = callOf(e.type);
  const kinds = ["class", "onehot", "binary", "regression"];
  if (!c || !kinds.includes(c.name.name)) {
    const alt = c ? didYouMean(c.name.name, kinds) : undefined;
    out.push(diag("DLP2001", "error", `unknown label encoding \`${exprText(e.type)}\``, e.type.span, { help: meantHelp(alt) ?? "labels are `class(N)`, `onehot(N)`, `binary` or `regression`" }));
    return undefined;
  }
  const kind = c.name.name as "class" | "onehot" | "binary" | "regression";
  const binary = { spec: { kind: "binary" } as LabelSpec, traced: { kind: "binary" } as Traced<LabelSpec>, span: e.type.span };
  const col = columns ? { columns } : {};
  if (kind === "binary") return checkDeclaredLabels(facts, kind, 2, e.type.span, out) ? { ...binary, declared: "binary", ...col } : undefined;
  const arg = c.call?.args[0]?.value;
  if (kind === "regression") {
    if (!checkDeclaredLabels(facts, kind, undefined, e.type.span, out)) return undefined;
    const n = arg ? evalExpr(arg, env) : 1;
    const outputs = typeof n === "number" ? n : 1;
    return { spec: { kind: "regression", outputs }, traced: { kind: "regression", outputs: arg && typeof n === "number" ? termOf(arg, n, refs) : outputs }, span: e.type.span, declared: "regression", ...col };
  }
  const lv = labelValuesOf(c.call?.args ?? [], kind, source, env, out);
  if (!lv) return undefined;
  const positional = c.call?.args.find((a) => !a.name)?.value;
  const n = lv.values ? lv.values.length : positional ? evalExpr(positional, env) : source.info.y.classes ?? undefined;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 2) {
    out.push(diag("DLP2004", "error", `\`${kind}\` needs the number of classes (at least 2)`, e.type.span, { label: arg ? `found ${exprText(arg)}` : "missing", help: `write \`${kind}(10)\`` }));
    return undefined;
  }
  if (source.info.y.classes !== null && n < source.info.y.classes) {
    out.push(diag("DLP4006", "error", `labels go up to ${source.info.y.classes - 1}, outside the declared ${n} classes`, e.type.span, { label: `this source has ${source.info.y.classes} classes`, help: `write \`${kind}(${source.info.y.classes})\`` }));
    return undefined;
  }
  if (!checkDeclaredLabels(facts, kind, n, e.type.span, out, lv)) return undefined;
  const encoding: "sparse" | "onehot" = kind === "onehot" ? "onehot" : lossName === "categorical_crossentropy" ? "onehot" : "sparse";
  const values = { ...(lv.from !== undefined ? { from: lv.from } : {}), ...(lv.values ? { values: lv.values } : {}) };
  // Two classes under binary cross-entropy: one sigmoid unit, the label values mapped to 0 and 1.
  if (n === 2 && lossName === "binary_crossentropy" && kind === "class") return { spec: { kind: "binary", ...values }, traced: { kind: "binary", ...values }, span: e.type.span, declared: "class", ...col };
  return { spec: { kind: "class", classes: n, encoding, ...values }, traced: { kind: "class", classes: positional && !lv.values ? termOf(positional, n, refs) : n, encoding, ...values }, span: e.type.span, declared: kind, ...col };
}

/** Sources whose label values come from the user's files, so `from:` / a list of values applies. */
const FILE_LABELS = ["csv", "idx", "images"];

/**
 * `class(3, from: 1)` and `class(["cat", "dog"])`: the label values the files hold, when they are
 * not 0..N-1. Undefined after an error.
 */
function labelValuesOf(args: { name?: { name: string; span: Span }; value: Expr; span: Span }[], kind: string, source: CheckedSource, env: Env, out: Diagnostic[]): LabelValues | undefined {
  const lv: LabelValues = {};
  const usage = `write \`${kind}(N)\`, \`${kind}(N, from: 1)\` (labels 1..N) or \`${kind}(["cat", "dog"])\` (the label values, class i the i-th)`;
  let ok = true;
  const positional = args.filter((a) => !a.name);
  for (const a of positional.slice(1)) {
    out.push(diag("DLP2004", "error", `\`${kind}\` takes one positional argument`, a.span, { label: `unexpected \`${exprText(a.value)}\``, help: usage }));
    ok = false;
  }
  for (const a of args) {
    if (!a.name) continue;
    if (a.name.name !== "from") {
      const alt = didYouMean(a.name.name, ["from"]);
      out.push(diag("DLP2001", "error", `\`${kind}\` has no argument \`${a.name.name}\``, a.name.span, { help: meantHelp(alt) ?? usage, ...(alt ? { fix: { title: `rename to \`${alt}\``, span: a.name.span, text: alt } } : {}) }));
      ok = false;
      continue;
    }
    const v = evalExpr(a.value, env);
    if (typeof v !== "number" || !Number.isInteger(v)) {
      out.push(diag("DLP2004", "error", "`from:` takes a whole number: the label of the first class", a.value.span, { label: `found ${exprText(a.value)}`, help: `write \`${kind}(N, from: 1)\` for labels 1..N` }));
      ok = false;
    } else lv.from = v;
  }
  const first = positional[0];
  const v0 = first ? evalExpr(first.value, env) : undefined;
  if (Array.isArray(v0)) {
    const bad = v0.findIndex((x) => typeof x !== "string" && typeof x !== "number");
    const keys = v0.map((x) => (typeof x === "string" || typeof x === "number" ? labelKey(x) : ""));
    const dup = keys.findIndex((k, i) => keys.indexOf(k) !== i);
    if (bad >= 0 || v0.length < 2) {
      out.push(diag("DLP2004", "error", "a list of label values holds two or more names or numbers", first!.value.span, { label: bad >= 0 ? `item ${bad + 1} is not a name or a number` : `${v0.length} value${v0.length === 1 ? "" : "s"}`, help: usage }));
      ok = false;
    } else if (dup >= 0) {
      out.push(diag("DLP2004", "error", `the label value ${JSON.stringify(v0[dup])} is listed twice`, first!.value.span, { label: "each class has one label value", help: "remove the second one" }));
      ok = false;
    } else lv.values = v0 as (string | number)[];
    if (lv.from !== undefined) {
      out.push(diag("DLP2004", "error", "`from:` with a list of label values", first!.value.span, { label: "the list already gives each class its value", help: "remove `from:`, or give the class count instead of the list" }));
      ok = false;
    }
  }
  if ((lv.from !== undefined || lv.values) && !FILE_LABELS.includes(source.name)) {
    const classes = source.info.y.classes;
    out.push(diag("DLP2004", "error", `\`${source.name}\` numbers its own labels`, (lv.values ? first : args.find((a) => a.name?.name === "from"))?.span ?? source.span, { label: "label values apply to the csv, idx and images sources", help: classes ? `write \`${kind}(${classes})\`: its labels are 0..${classes - 1}` : `write \`${kind}(N)\``, ...(classes ? { fix: { title: `write \`${kind}(${classes})\``, span: { start: args[0]!.span.start, end: args[args.length - 1]!.span.end }, text: String(classes) } } : {}) }));
    ok = false;
  }
  return ok ? lv : undefined;
}


/** `recon = images / 255 as regression(784)`: the head's targets are the features' values. */
function checkFeatureTarget(e: Expr & { kind: "as" }, source: CheckedSource, env: Env, refs: ParamRefs, out: Diagnostic[], field: string): (LabelsDecl & { traced: Traced<LabelSpec>; fromFeatures: Traced<Transform>[] }) | undefined {
  const c = callOf(e.type);
  if (!c || c.name.name !== "regression") {
    out.push(diag("DLP2004", "error", `a target read from \`${source.info.x.name}\` is a regression of its values`, e.type.span, { label: `found ${exprText(e.type)}`, help: `write \`${field} = ${exprText(e.value)} as regression(N)\` with N the values per sample, or read the class labels from \`${source.info.y.name}\`` }));
    return undefined;
  }
  const x = checkX(e.value, source, env, refs, out, field);
  if (!x || x.failed) return undefined;
  const shape = valueOf<TensorShape>(x.shape);
  const width = shape.reduce<number>((a, b) => a * (b ?? 1), 1);
  const arg = c.call?.args[0]?.value;
  const n = arg ? evalExpr(arg, env) : width;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
    out.push(diag("DLP2004", "error", "`regression` takes the number of target values per sample", arg?.span ?? e.type.span, { label: arg ? `found ${exprText(arg)}` : "missing" }));
    return undefined;
  }
  if (n !== width) {
    out.push(diag("DLP4003", "error", `the data holds ${width} values per sample, \`${exprText(e.type)}\` needs ${n}`, e.type.span, { label: `${fmtShape(shape)} = ${width} values`, help: `write \`regression(${width})\`` }));
    return undefined;
  }
  const outputs = arg ? termOf(arg, n, refs) : n;
  return { spec: { kind: "regression", outputs: n }, traced: { kind: "regression", outputs }, span: e.type.span, declared: "regression", fromFeatures: x.transforms };
}
