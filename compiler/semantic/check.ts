// The checker: data → model input → every layer → output → loss ↔ labels, the training
// settings, and the tuning space — for every combination of the params that change shapes.
import type { CallExpr, Expr, NameExpr, Span, Statement } from "../../grammar/ast.ts";
import { exprText, forEachChild } from "../../grammar/ast.ts";
import { diag, type Diagnostic } from "../diagnostics/diagnostic.ts";
import type {
  Augment, CallbackSpec, DataSpec, EvaluateSpec, LabelSpec, MetricSpec, OptimizerSpec, ParamSpec, SourceSpec,
  SplitSpec, TrainSpec, Transform, TuneSpec, StrategySpec, ScheduleSpec,
} from "../../runtime/spec.ts";
import type { ArgValue, Args, TensorShape } from "./layers/types.ts";
import { fmtShape } from "./layers/index.ts";
import { AUGMENTS, CALLBACKS, LOSSES, LOSS_ALIASES, METRICS, OPTIMIZERS, SCHEDULES, SOURCES, STRATEGIES, TRANSFORMS, type Entry, type SourceInfo, type Terms } from "./catalog.ts";
import { argNamed, asCall, callOf, settingOf, type PipelineIR, type ParamIR, type SectionIR, type Setting } from "./lower.ts";
import { SHAPES_NOTE, SHAPES_PENDING, blockReadClosure, branchModel, commitBranch, detachBranch, finishModel, interpretModel, modelUnits, newBlockMemo, sameOutcome, startModel, statementNames, stepModel, type LayerInstance, type ModelResult, type ModelWalk } from "./model.ts";
import { didYouMean } from "./names.ts";
import { SpaceError, buildSpace, gridSize } from "../../runtime/tune/space.ts";
import { bindArgs, evalExpr, namesIn, termOf, termsOf, validateArgs, type CallSignature, type Env } from "./values.ts";
import { derive, lit, operand, paramRefs, tuple, valueOf, type ParamRefs, type Term, type Traced } from "./term.ts";
import { sampledSpace } from "./budget.ts";

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

const tick = (s: string) => "`" + s + "`";

/** True when the expression reads a param. */
const readsAParam = (e: Expr, refs: ParamRefs): boolean => [...namesIn(e)].some((n) => refs.has(n));

export function checkPipeline(ir: PipelineIR, out: Diagnostic[]): CheckedPipeline {
  const paramNames = paramRefs(ir.params.map((p) => p.name));
  const defaults: Env = new Map(ir.params.map((p) => [p.name, p.default]));
  const result: CheckedPipeline = { ir, traced: {}, evaluate: null, tune: null, params: [], combinationsChecked: 0, statementRuns: 0 };

  const metricsComputed = new Set<string>(["loss", "val_loss"]);
  let lossName: string | undefined;
  let lossSpan: Span | undefined;
  if (ir.train) {
    const t = checkTrain(ir.train, defaults, paramNames, out);
    result.traced.train = t.spec;
    result.train = t.spec && valueOf<TrainSpec>(t.spec);
    lossName = result.train?.loss;
    lossSpan = t.lossSpan;
    for (const m of result.train?.metrics ?? []) {
      const n = m.name === "top_k" ? "top_k" : m.name;
      metricsComputed.add(n);
      metricsComputed.add("val_" + n);
    }
  }
  let labelsDecl: { spec: LabelSpec; span: Span; declared: "class" | "onehot" | "binary" | "regression" } | undefined;
  let dataInput: TensorShape | undefined;
  if (ir.data) {
    const d = checkData(ir.data, defaults, paramNames, out, lossName);
    result.traced.data = d.spec;
    result.data = d.spec && valueOf<DataSpec>(d.spec);
    labelsDecl = d.labels;
    dataInput = d.inputShape && valueOf<TensorShape>(d.inputShape);
  }
  // evaluate and tune are one for the whole study and are not functions of a trial's params:
  // a param read there (which `--set` or a trial could change) is refused, never frozen silently.
  const fixed = studyConstants(ir);
  if (ir.evaluate) result.evaluate = checkEvaluate(ir.evaluate, fixed, out);
  for (const m of result.evaluate?.metrics ?? []) metricsComputed.add(m.name);

  // Which params change shapes: those named in the model, its blocks, or the data section.
  const modelNames = statementNames(ir.model?.body.statements ?? []);
  const blockNames = new Map([...ir.blocks].map(([n, b]) => [n, statementNames(b.body)]));
  const dataNames = statementNames(ir.data?.body.statements ?? []);
  const shapeNames = new Set<string>([...modelNames, ...[...blockNames.values()].flatMap((x) => [...x]), ...dataNames]);
  const shapeParams = ir.params.filter((p) => shapeNames.has(p.name) && p.space);

  result.params = ir.params.map((p) => ({
    name: p.name,
    default: p.default as number | string | boolean,
    ...(p.space ? { space: p.space } : {}),
    ...(p.condition ? { condition: p.condition } : {}),
    affectsShape: shapeNames.has(p.name),
  }));

  const inputShape = result.data?.inputShape ?? dataInput;
  if (ir.model && inputShape) {
    result.inputShape = inputShape;
    checkModel(ir, inputShape, shapeParams, defaults, paramNames, labelsDecl, lossName, lossSpan, out, result);
  } else if (ir.model) {
    // The input is unknown (its own error is reported): still report the model's unknown
    // names and bad arguments, which do not depend on it; shapes stay unchecked.
    interpretModel(ir.model.body.statements, null, new Map(defaults), ir.blocks, out, "");
  }

  if (ir.tune) result.tune = checkTune(ir.tune, ir, result.params, metricsComputed, fixed, out);
  unreadParams(ir, modelNames, blockNames, dataNames, out);
  warnings(result, out);
  return result;
}

/** DLP6009: a tuned param that no section reads makes every trial the same. */
function unreadParams(ir: PipelineIR, modelNames: Set<string>, blockNames: Map<string, Set<string>>, dataNames: Set<string>, out: Diagnostic[]): void {
  if (!ir.params.some((p) => p.space)) return;
  const read = new Set<string>([...dataNames, ...(ir.train ? statementNames(ir.train.body.statements) : [])]);
  // The model and the blocks it calls, directly or through other blocks.
  const stack = [...modelNames];
  while (stack.length) {
    const n = stack.pop()!;
    if (read.has(n)) continue;
    read.add(n);
    for (const x of blockNames.get(n) ?? []) stack.push(x);
  }
  for (const p of ir.params) {
    if (!p.space || read.has(p.name)) continue;
    out.push(diag("DLP6009", "warning", `the tuned param \`${p.name}\` is read nowhere`, p.nameSpan, { label: "no data, model or train setting reads it", related: p.spaceExpr ? [{ span: p.spaceExpr.span, message: "its tuning space" }] : [], help: `every trial would train the same pipeline: use \`${p.name}\` in a setting or layer, or remove its \`tune\` space` }));
  }
}

// ---- combinations of the shape-affecting params ----------------------------------------

const MAX_COMBOS = 512;

function candidates(p: ParamIR): ArgValue[] {
  const s = p.space!;
  const vals: ArgValue[] = [p.default];
  switch (s.kind) {
    case "choice":
      vals.push(...s.values);
      break;
    case "int": {
      const count = Math.floor((s.high - s.low) / s.step) + 1;
      if (count <= 16) for (let k = 0; k < count; k++) vals.push(s.low + k * s.step);
      else vals.push(s.low, s.high, s.low + Math.floor((count - 1) / 2) * s.step);
      break;
    }
    case "uniform":
    case "log_uniform":
      vals.push(s.low, s.high);
      break;
  }
  return [...new Set(vals)];
}

/** The default first, then every combination (or, past MAX_COMBOS, each param's extremes one
 *  at a time plus a seeded sample), each as the values of `ps` in order. */
function combinations(ps: ParamIR[], defaults: Env): ArgValue[][] {
  const lists = ps.map(candidates);
  const total = lists.reduce((a, l) => a * l.length, 1);
  const dflt = ps.map((p) => defaults.get(p.name)!);
  const out: ArgValue[][] = [dflt];
  if (total <= MAX_COMBOS) {
    const row = [...dflt];
    const rec = (i: number) => {
      if (i === ps.length) {
        if (row.some((v, k) => v !== dflt[k])) out.push([...row]);
        return;
      }
      for (const v of lists[i]) {
        row[i] = v;
        rec(i + 1);
      }
    };
    rec(0);
    return out;
  }
  ps.forEach((p, i) => {
    for (const v of lists[i]) if (v !== dflt[i]) out.push(dflt.map((d, k) => (k === i ? v : d)));
  });
  let state = 12345;
  const rand = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  while (out.length < MAX_COMBOS) out.push(ps.map((_, i) => lists[i][Math.floor(rand() * lists[i].length)]));
  return out;
}

/** Shape-checks the model for every combination of the shape-affecting params.
 *
 *  Rather than interpreting the whole model once per combination, walks go through the
 *  top-level statements ("units") in lockstep, each walk standing for a set of combinations
 *  that reached the same state. At each unit a walk's combinations are grouped by the values
 *  of the params the unit reads (with the blocks it calls); one group runs the unit once. If
 *  the groups end the unit in the same state (a tuned kernel size under `padding: same`, a
 *  repeat count of a shape-keeping block) they go on as one walk again; if not, the walk
 *  splits. A diagnostic found by a group is the one every combination of it gives; it is
 *  reported once, with the first of those combinations in enumeration order, exactly as a
 *  per-combination loop would. */
function checkModel(
  ir: PipelineIR,
  inputShape: TensorShape,
  shapeParams: ParamIR[],
  defaults: Env,
  paramNames: ParamRefs,
  labelsDecl: DataResult["labels"],
  lossName: string | undefined,
  lossSpan: Span | undefined,
  out: Diagnostic[],
  result: CheckedPipeline,
): void {
  const model = ir.model!;
  const rows = combinations(shapeParams, defaults);
  result.combinationsChecked = rows.length;
  const total = shapeParams.reduce((a, p) => a * candidates(p).length, 1);
  if (total > MAX_COMBOS) out.push(sampledSpace(total, rows.length, shapeParams.map((p) => p.name), shapeParams[0]!.spaceExpr?.span ?? model.span));
  // The full values of a combination, made only for the combinations that run something.
  const envs = new Map<number, Env>();
  const envOf = (i: number): Env => {
    let env = envs.get(i);
    if (!env) {
      const m = new Map(defaults);
      shapeParams.forEach((p, k) => m.set(p.name, rows[i][k]));
      envs.set(i, (env = m));
    }
    return env;
  };
  const units = modelUnits(model.body.statements);
  const shapeNames = new Set(shapeParams.map((p) => p.name));

  // The shape params each unit reads (through the blocks it calls too), and those the data
  // section reads (pad_sequences(maxlen) changes the input).
  const blockNames = blockReadClosure(ir.blocks);
  const readsOf = (sts: Statement[]) => [...statementNames(sts, blockNames)].filter((n) => shapeNames.has(n)).sort();
  const unitReads = units.map(readsOf);
  const dataReads = ir.data ? readsOf(ir.data.body.statements) : [];

  // Each combination's values as small integers per param, so grouping is cheap.
  const valueIds = shapeParams.map(() => new Map<ArgValue | undefined, number>());
  const paramIndex = new Map(shapeParams.map((p, i) => [p.name, i]));
  const ids = rows.map((row) =>
    row.map((v, i) => {
      let id = valueIds[i].get(v);
      if (id === undefined) valueIds[i].set(v, (id = valueIds[i].size));
      return id;
    }),
  );
  /** Splits combination indices (ascending) by the values of some params, groups in order of their first index. */
  const split = (idxs: number[], names: string[]): number[][] => {
    if (names.length === 0 || idxs.length === 1) return [idxs];
    const cols = names.map((n) => paramIndex.get(n)!);
    // A mixed-radix number over the value ids while it stays exact, else their list as text.
    const exact = cols.reduce((a, c) => a * valueIds[c].size, 1) <= Number.MAX_SAFE_INTEGER;
    const groups = new Map<number | string, number[]>();
    for (const i of idxs) {
      const row = ids[i];
      let key: number | string = 0;
      if (exact) for (const c of cols) key = key * valueIds[c].size + row[c];
      else key = cols.map((c) => row[c]).join(",");
      const g = groups.get(key);
      if (g) g.push(i);
      else groups.set(key, [i]);
    }
    return [...groups.values()];
  };

  const found: { d: Diagnostic; rank: number; seq: number }[] = [];
  const collect = (ds: Diagnostic[], rank: number) => {
    for (const d of ds) found.push({ d, rank, seq: found.length });
    ds.length = 0;
  };

  interface Walk {
    idxs: number[];
    walk: ModelWalk;
    /** Groupings of `idxs` already made, by the names they split on. */
    splits: Map<string, number[][]>;
  }
  const groupsOf = (w: Walk, names: string[]): number[][] => {
    const key = names.join(",");
    let g = w.splits.get(key);
    if (!g) w.splits.set(key, (g = split(w.idxs, names)));
    return g;
  };

  const memo = rows.length > 1 ? newBlockMemo(ir.blocks) : undefined;
  let walks: Walk[] = split(rows.map((_, i) => i), dataReads).map((idxs) => {
    const rep = idxs[0];
    const inShape = rep === 0 || !ir.data ? inputShape : dataInputShape(ir.data, envOf(rep), paramNames, lossName) ?? inputShape;
    return { idxs, walk: startModel(inShape, envOf(rep), ir.blocks, [], rep === 0, "", memo), splits: new Map() };
  });

  for (let u = 0; u < units.length; u++) {
    const next: Walk[] = [];
    for (const w of walks) {
      const groups = groupsOf(w, unitReads[u]);
      result.statementRuns += groups.length;
      if (groups.length === 1) {
        stepModel(w.walk, units[u]);
        collect(w.walk.ctx.out, w.idxs[0]);
        next.push(w);
        continue;
      }
      // Run the unit once per group from the same state, then merge the groups that ended
      // in the same state (in order, so each class keeps its first combination's state).
      const classes: { idxs: number[][]; branch: ModelWalk }[] = [];
      for (const g of groups) {
        const rep = g[0];
        const b = branchModel(w.walk, envOf(rep), [], rep === 0);
        stepModel(b, units[u]);
        collect(b.ctx.out, rep);
        const same = classes.find((c) => sameOutcome(c.branch, b));
        if (same) same.idxs.push(g);
        else classes.push({ idxs: [g], branch: b });
      }
      const merged = (gs: number[][]) => (gs.length === 1 ? gs[0] : gs.flat().sort((x, y) => x - y));
      // Detach the other classes before the first is committed into the walk's table. The
      // first class holds the walk's first combination, so the walk keeps its values.
      const detached = classes.slice(1).map((c): Walk => {
        const idxs = merged(c.idxs);
        return { idxs, walk: detachBranch(c.branch, envOf(idxs[0])), splits: new Map() };
      });
      commitBranch(w.walk, classes[0].branch);
      if (classes[0].idxs.length !== groups.length) {
        w.idxs = merged(classes[0].idxs);
        w.splits = new Map();
      }
      next.push(w, ...detached);
    }
    walks = next;
  }

  for (const w of walks) {
    const m = finishModel(w.walk);
    if (w.idxs[0] === 0) result.model = m;
    if (m.output) {
      const local: Diagnostic[] = [];
      checkOutput(m, labelsDecl, lossName, lossSpan, ir, local, "");
      collect(local, w.idxs[0]);
    }
  }

  // One report per code and span: the one from the first combination in enumeration order.
  const best = new Map<string, { d: Diagnostic; rank: number; seq: number }>();
  for (const f of found) {
    const key = `${f.d.code}@${f.d.span.start}:${f.d.span.end}`;
    const prev = best.get(key);
    if (!prev || f.rank < prev.rank) best.set(key, f);
  }
  // Only the recording walk (the default combination) keeps the recent layers and shapes a
  // diagnostic lists in its `shapes:` note, and walks merge whatever their recent layers, so
  // the other combinations' shape errors take their notes from a run of their own
  // combination alone (there are few: one per code and span).
  const alone = new Map<number, Diagnostic[]>();
  const runAlone = (rank: number): Diagnostic[] => {
    let ds = alone.get(rank);
    if (!ds) {
      ds = [];
      const inShape = ir.data && dataReads.length ? dataInputShape(ir.data, envOf(rank), paramNames, lossName) ?? inputShape : inputShape;
      interpretModel(model.body.statements, inShape, envOf(rank), ir.blocks, ds, "");
      alone.set(rank, ds);
    }
    return ds;
  };
  for (const f of [...best.values()].sort((a, b) => a.rank - b.rank || a.seq - b.seq)) {
    if (f.rank > 0 && f.d.notes.some((n) => n.startsWith(SHAPES_NOTE))) {
      const own = runAlone(f.rank).find((d) => d.code === f.d.code && d.span.start === f.d.span.start && d.span.end === f.d.span.end && d.message === f.d.message);
      if (own) f.d = own;
      else f.d.notes = f.d.notes.filter((n) => n !== SHAPES_PENDING);
    }
    if (f.rank > 0) {
      const context = describeCombo(envOf(f.rank), shapeParams);
      if (!f.d.notes.includes(context)) f.d.notes.unshift(context);
    }
    out.push(f.d);
  }
}

function describeCombo(env: Env, ps: ParamIR[]): string {
  const parts = ps.map((p) => `${p.name} = ${String(env.get(p.name))}`);
  return `with ${parts.join(" and ")} (a combination of the tuning space)`;
}

// ---- data -------------------------------------------------------------------------------

interface DataResult {
  spec?: Traced<DataSpec>;
  labels?: { spec: LabelSpec; span: Span; declared: "class" | "onehot" | "binary" | "regression" };
  /** The model input, known even when the labels have an error (so the model is still checked). */
  inputShape?: Traced<TensorShape>;
}

/** A per-sample shape whose dims may read params (`as image[s, s, 1]`, `pad_sequences(maxlen)`). */
type TShape = Traced<TensorShape>;

/** The model input under some params' values (for the combinations of the shape check). */
function dataInputShape(sec: SectionIR, env: Env, refs: ParamRefs, lossName: string | undefined): TensorShape | undefined {
  const s = checkData(sec, env, refs, [], lossName).spec?.inputShape;
  return s && valueOf<TensorShape>(s);
}

const DATA_SETTINGS = ["source", "split", "augment", "shuffle"];

function checkData(sec: SectionIR, env: Env, refs: ParamRefs, out: Diagnostic[], lossName: string | undefined): DataResult {
  let source: CheckedSource | undefined;
  let xExpr: Expr | undefined;
  let yExpr: Expr | undefined;
  const split: SplitSpec = {};
  const augment: Traced<Augment>[] = [];
  let shuffle: Traced<boolean> = true;
  let sourceWritten = false;
  for (const st of sec.body.statements) {
    const first = st.groups[0][0];
    if (first.kind === "assign" && first.target.kind === "name") {
      if (first.target.name === "x") {
        xExpr = first.value;
      } else if (first.target.name === "y") yExpr = first.value;
      else out.push(diag("DLP2001", "error", `unknown data field \`${first.target.name}\``, first.target.span, { label: "the data section defines `x` and `y`", help: didYouMean(first.target.name, ["x", "y"]) ? `did you mean \`${didYouMean(first.target.name, ["x", "y"])}\`?` : undefined }));
      continue;
    }
    const s = settingOf(st);
    if (!s) {
      out.push(diag("DLP1001", "error", `unexpected \`${exprText(first)}\` in data`, first.span, { help: "the data section holds `source …`, `x = …`, `y = …`, `split …`, `augment { … }`, `shuffle …`" }));
      continue;
    }
    switch (s.name.name) {
      case "source":
        sourceWritten = true;
        source = checkSource(s, env, refs, out);
        break;
      case "split":
        checkSplit(s, split, out);
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
    if (sourceWritten) return {}; // its own error was reported
    out.push(diag("DLP2005", "error", "the data section has no `source`", sec.name.span, { label: "missing `source …`", help: `add e.g. \`source fashion_mnist\`; sources: ${Object.keys(SOURCES).join(", ")}` }));
    return {};
  }
  if (!xExpr) {
    out.push(diag("DLP2005", "error", "the data section does not define `x`", sec.name.span, { label: "missing `x = …`", help: `add e.g. \`x = ${source.info.x.name} / 255 as image[28, 28, 1]\`` }));
    return {};
  }
  const errorsBefore = out.filter((d) => d.severity === "error").length;
  const x = checkX(xExpr, source, env, refs, out);
  if (!x) {
    // Never an empty data spec without a word: every refusal above reports itself, and this catches one that did not.
    if (out.filter((d) => d.severity === "error").length === errorsBefore) {
      out.push(diag("DLP2004", "error", "cannot read this input expression", xExpr.span, { help: `write e.g. \`x = ${source.info.x.name} / 255 as image[28, 28, 1]\`` }));
    }
    return {};
  }
  let labels: (DataResult["labels"] & { traced: Traced<LabelSpec> }) | undefined;
  if (yExpr) {
    labels = checkY(yExpr, source, env, refs, out, lossName);
    if (!labels) return { inputShape: x.shape }; // its own error was reported
  } else if (source.info.y.classes) {
    const spec: LabelSpec = { kind: "class", classes: source.info.y.classes, encoding: "sparse" };
    labels = { spec, traced: spec, span: sec.name.span, declared: "class" };
  }
  if (!labels) {
    out.push(diag("DLP2005", "error", "the data section does not define `y`", sec.name.span, { label: "missing `y = …`", help: "add e.g. `y = labels as class(10)`" }));
    return {};
  }
  const { traced, ...decl } = labels;
  return { spec: { source: source.spec, transforms: x.transforms, inputShape: x.shape, labels: traced, split, augment, shuffle }, labels: decl, inputShape: x.shape };
}

function unknownSetting(s: Setting, where: string, allowed: string[], out: Diagnostic[]): void {
  const alt = didYouMean(s.name.name, allowed);
  out.push(
    diag("DLP2001", "error", `unknown ${where} setting \`${s.name.name}\``, s.name.span, {
      label: "unknown",
      help: alt ? `did you mean \`${alt}\`?` : `${where} settings are ${allowed.map(tick).join(", ")}`,
      fix: alt ? { title: `rename to \`${alt}\``, span: s.name.span, text: alt } : undefined,
    }),
  );
}

/** A checked call: its evaluated args with defaults, and each as a term (value and code). */
interface CheckedCall {
  args: Args;
  t: Record<string, Term>;
}

const NO_PARAMS: ParamRefs = new Map();

/** Checks a call against a signature; returns evaluated args with defaults and their terms, or undefined. */
function checkCall(call: CallExpr, sig: CallSignature, env: Env, out: Diagnostic[], refs: ParamRefs): CheckedCall | undefined {
  const bound = bindArgs(call, sig, out);
  if (!bound.ok) return undefined;
  const args: Args = {};
  for (const [k, a] of bound.exprs) {
    const v = evalExpr(a.value, env);
    if (v === undefined) {
      out.push(diag("DLP2004", "error", `cannot evaluate \`${exprText(a.value)}\``, a.value.span, {}));
      return undefined;
    }
    args[k] = v;
  }
  if (!validateArgs(args, sig, bound, call, out)) return undefined;
  return { args, t: termsOf(args, bound.exprs, refs) };
}

interface CheckedSource {
  spec: Traced<SourceSpec>;
  info: SourceInfo;
  /** The per-sample shape of the source's inputs, when known statically. */
  xShape: TShape | null;
  span: Span;
}

function checkSource(s: Setting, env: Env, refs: ParamRefs, out: Diagnostic[]): CheckedSource | undefined {
  const v = s.values[0];
  const c = v ? callOf(v) : undefined;
  if (!c) {
    out.push(diag("DLP2005", "error", "`source` needs a data source", v?.span ?? s.name.span, { help: `sources: ${Object.keys(SOURCES).join(", ")}` }));
    return undefined;
  }
  const info = SOURCES[c.name.name];
  if (!info) {
    const alt = didYouMean(c.name.name, Object.keys(SOURCES));
    out.push(diag("DLP4004", "error", `unknown data source \`${c.name.name}\``, c.name.span, { label: "unknown source", help: alt ? `did you mean \`${alt}\`?` : `sources: ${Object.keys(SOURCES).join(", ")}`, fix: alt ? { title: `rename to \`${alt}\``, span: c.name.span, text: alt } : undefined }));
    return undefined;
  }
  const checked = checkCall(asCall(c.name, c.call), info.sig, env, out, refs);
  if (!checked) return undefined;
  const { t } = checked;
  const spec = info.toSpec ? info.toSpec(t) : ({ kind: c.name.name } as Traced<SourceSpec>);
  return { spec, info, xShape: info.xShape ? info.xShape(t) : info.x.shape, span: c.name.span };
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
    else out.push(diag("DLP2004", "error", `unexpected \`${exprText(w)}\` in split`, w.span, { help: didYouMean(exprText(w), ["stratified", "last"]) ? `did you mean \`${didYouMean(exprText(w), ["stratified", "last"])}\`?` : "write `split validation 10% stratified`" }));
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
function checkX(e: Expr, source: CheckedSource, env: Env, refs: ParamRefs, out: Diagnostic[]): { shape: TShape; transforms: Traced<Transform>[] } | undefined {
  const transforms: Traced<Transform>[] = [];
  const go = (x: Expr): TShape | null | undefined => {
    switch (x.kind) {
      case "name": {
        if (x.name === source.info.x.name) return source.xShape;
        const alt = didYouMean(x.name, [source.info.x.name]);
        out.push(diag("DLP4004", "error", `source has no field \`${x.name}\``, x.span, { label: `the inputs of this source are \`${source.info.x.name}\``, help: alt ? `did you mean \`${alt}\`?` : `write \`x = ${source.info.x.name} …\``, fix: { title: `use \`${source.info.x.name}\``, span: x.span, text: source.info.x.name } }));
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
            out.push(diag("DLP2001", "error", `unknown data transform \`${c.name.name}\``, c.name.span, { help: alt ? `did you mean \`${alt}\`?` : "transforms are standardize(), normalize(mean, std), pad_sequences(maxlen), channels_last()" }));
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
        if (t.kind !== "index" || t.target.kind !== "name" || !["image", "vector", "sequence"].includes(t.target.name)) {
          out.push(diag("DLP2004", "error", "inputs are declared `as image[H, W, C]`, `as vector[N]` or `as sequence[N]`", t.span, { label: `found ${exprText(t)}` }));
          return undefined;
        }
        const dims: number[] = [];
        const dimTerms: Term[] = [];
        for (const d of t.items) {
          const v = evalExpr(d, env);
          if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
            if (d.kind === "name" && (d.name === "None" || d.name === "batch" || d.name === "null")) {
              out.push(diag("DLP4001", "error", "the batch axis is written into the input shape", d.span, { label: "the batch axis is implicit", help: `remove it: \`${t.target.name}[${t.items.filter((i) => i !== d).map(exprText).join(", ")}]\``, fix: { title: "remove the batch axis", span: { start: d.span.start, end: t.items[t.items.indexOf(d) + 1]?.span.start ?? d.span.end }, text: "" } }));
            } else out.push(diag("DLP2004", "error", "dimensions are positive integers", d.span, { label: `found ${exprText(d)}` }));
            return undefined;
          }
          dims.push(v);
          dimTerms.push(termOf(d, v, refs));
        }
        const kind = t.target.name;
        const wantRank = kind === "image" ? 3 : 1;
        if (kind === "image" && dims.length === 4) {
          out.push(diag("DLP4001", "error", "the batch axis is written into the input shape", t.items[0].span, { label: `image[${dims.join(", ")}] has 4 axes; images have height, width, channels`, help: `the batch axis is implicit: write \`image[${dims.slice(1).join(", ")}]\``, fix: { title: "remove the batch axis", span: { start: t.items[0].span.start, end: t.items[1].span.start }, text: "" } }));
          return undefined;
        }
        if (dims.length !== wantRank) {
          out.push(diag("DLP2004", "error", `\`${kind}\` takes ${wantRank} dimension${wantRank === 1 ? "" : "s"}`, t.span, { label: `given ${dims.length}`, help: kind === "image" ? "write `image[height, width, channels]`" : `write \`${kind}[length]\`` }));
          return undefined;
        }
        if (inner) {
          const known = inner.every((d) => d !== null);
          const have = known ? (inner as number[]).reduce((a, b) => a * b, 1) : null;
          const want = dims.reduce((a, b) => a * b, 1);
          if (have !== null && have !== want) {
            out.push(diag("DLP4003", "error", `the data holds ${have} values per sample, \`${exprText(t)}\` needs ${want}`, t.span, { label: `${fmtShape(inner)} = ${have} values`, notes: [`source ${fmtShape(inner)} → ${exprText(t)} (${dims.join("×")} = ${want})`], help: kind === "image" && inner.length >= 2 ? `write \`image[${inner.length === 2 ? `${inner[0]}, ${inner[1]}, 1` : inner.join(", ")}]\`` : undefined }));
            return undefined;
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
        out.push(diag("DLP2004", "error", `unexpected \`${exprText(x)}\` in the definition of x`, x.span, { help: "write e.g. `x = images / 255 as image[28, 28, 1]`" }));
        return undefined;
    }
  };
  const shape = go(e);
  if (shape === undefined) return undefined;
  if (shape === null) {
    out.push(diag("DLP3006", "error", "the input shape is unknown", e.span, { label: "this source's sample shape is only known at run time", help: "declare it: `as image[H, W, C]`, `as vector[N]` or `|> pad_sequences(maxlen)`" }));
    return undefined;
  }
  return { shape, transforms };
}

function checkY(e: Expr, source: CheckedSource, env: Env, refs: ParamRefs, out: Diagnostic[], lossName: string | undefined): (DataResult["labels"] & { traced: Traced<LabelSpec> }) | undefined {
  if (e.kind !== "as") {
    out.push(diag("DLP2004", "error", "labels are declared with `as`", e.span, { help: "write `y = labels as class(10)`, `as onehot(10)`, `as binary` or `as regression`" }));
    return undefined;
  }
  if (e.value.kind !== "name" || e.value.name !== source.info.y.name) {
    out.push(diag("DLP4004", "error", `source has no field \`${exprText(e.value)}\``, e.value.span, { label: `the labels of this source are \`${source.info.y.name}\``, fix: { title: `use \`${source.info.y.name}\``, span: e.value.span, text: source.info.y.name } }));
    return undefined;
  }
  const c = callOf(e.type);
  const kinds = ["class", "onehot", "binary", "regression"];
  if (!c || !kinds.includes(c.name.name)) {
    const alt = c ? didYouMean(c.name.name, kinds) : undefined;
    out.push(diag("DLP2001", "error", `unknown label encoding \`${exprText(e.type)}\``, e.type.span, { help: alt ? `did you mean \`${alt}\`?` : "labels are `class(N)`, `onehot(N)`, `binary` or `regression`" }));
    return undefined;
  }
  const kind = c.name.name as "class" | "onehot" | "binary" | "regression";
  const binary = { spec: { kind: "binary" } as LabelSpec, traced: { kind: "binary" } as Traced<LabelSpec>, span: e.type.span };
  if (kind === "binary") return { ...binary, declared: "binary" };
  const arg = c.call?.args[0]?.value;
  if (kind === "regression") {
    const n = arg ? evalExpr(arg, env) : 1;
    const outputs = typeof n === "number" ? n : 1;
    return { spec: { kind: "regression", outputs }, traced: { kind: "regression", outputs: arg && typeof n === "number" ? termOf(arg, n, refs) : outputs }, span: e.type.span, declared: "regression" };
  }
  const n = arg ? evalExpr(arg, env) : source.info.y.classes ?? undefined;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 2) {
    out.push(diag("DLP2004", "error", `\`${kind}\` needs the number of classes (at least 2)`, e.type.span, { label: arg ? `found ${exprText(arg)}` : "missing", help: `write \`${kind}(10)\`` }));
    return undefined;
  }
  if (source.info.y.classes !== null && n < source.info.y.classes) {
    out.push(diag("DLP4006", "error", `labels go up to ${source.info.y.classes - 1}, outside the declared ${n} classes`, e.type.span, { label: `this source has ${source.info.y.classes} classes`, help: `write \`${kind}(${source.info.y.classes})\`` }));
    return undefined;
  }
  const encoding: "sparse" | "onehot" = kind === "onehot" ? "onehot" : lossName === "categorical_crossentropy" ? "onehot" : "sparse";
  if (n === 2 && lossName === "binary_crossentropy" && kind === "class") return { ...binary, declared: "class" };
  return { spec: { kind: "class", classes: n, encoding }, traced: { kind: "class", classes: arg ? termOf(arg, n, refs) : n, encoding }, span: e.type.span, declared: kind };
}

// ---- output ↔ labels ↔ loss ---------------------------------------------------------------

function lastActivation(layers: LayerInstance[]): { name: string; layer?: LayerInstance } {
  const last = layers[layers.length - 1];
  if (!last) return { name: "linear" };
  const act = last.args.activation;
  if (typeof act === "string") return { name: act, layer: last };
  if (["softmax", "sigmoid", "relu", "tanh", "elu", "leaky_relu", "softplus", "linear"].includes(last.def.name)) return { name: last.def.name, layer: last };
  if (last.def.name === "activation" && typeof last.args.fn === "string") return { name: last.args.fn, layer: last };
  return { name: "linear", layer: last };
}

function checkOutput(m: ModelResult, labels: DataResult["labels"], lossName: string | undefined, lossSpan: Span | undefined, ir: PipelineIR, out: Diagnostic[], context: string): void {
  const shape = m.output!;
  const at = m.layers[m.layers.length - 1]?.call.span ?? m.outputSpan ?? ir.model!.name.span;
  const related = lossSpan ? [{ span: lossSpan, message: "the loss" }] : [];
  if (shape.length !== 1) {
    out.push(diag("DLP5007", "error", `the model's output is ${fmtShape(shape)} per sample; a loss needs a vector`, at, { label: `output ${fmtShape(shape)}`, help: "add `flatten()` or `global_avg_pool()` and a dense layer before the output" }));
    return;
  }
  const units = shape[0];
  const act = lastActivation(m.layers);
  if (act.name === "softmax" && units === 1) {
    out.push(diag("DLP5002", "error", "softmax over one unit always outputs 1", at, { label: "softmax on 1 unit", help: "use `activation: sigmoid` for a binary output, or one unit per class with softmax" }));
    return;
  }
  if (!lossName || !labels) return;
  const loss = LOSSES[lossName];
  const spec = labels.spec;
  if (loss.labels === "regression") {
    if (spec.kind === "class") out.push(diag("DLP5006", "warning", `${lossName} on class labels`, lossSpan ?? at, { label: "a regression loss", help: spec.classes === 2 ? "use `binary_crossentropy`" : "use `sparse_categorical_crossentropy`" }));
    return;
  }
  if (lossName === "binary_crossentropy") {
    const classes = spec.kind === "class" ? spec.classes : 2;
    if (classes > 2 || units !== 1) {
      out.push(diag("DLP5003", "error", `binary cross-entropy on ${classes > 2 ? `${classes} classes` : `${units} output units`}`, lossSpan ?? at, { label: "binary_crossentropy", related: [{ span: at, message: `output has ${units} unit${units === 1 ? "" : "s"}` }], help: classes > 2 ? "use `sparse_categorical_crossentropy` with a softmax over the classes" : "end the model with `dense(1, activation: sigmoid)`" }));
      return;
    }
    if (act.name !== "sigmoid") out.push(diag("DLP5005", "error", "binary cross-entropy needs a sigmoid output", at, { label: `output activation is ${act.name}`, related, help: "add `activation: sigmoid` to the last layer", fix: act.layer && act.name === "linear" ? addActivationFix(act.layer, "sigmoid") : undefined }));
    return;
  }
  // categorical / sparse categorical
  if (spec.kind === "binary") {
    out.push(diag("DLP5004", "error", `${lossName} on binary labels`, lossSpan ?? at, { label: "labels are binary", help: "use `binary_crossentropy` with `dense(1, activation: sigmoid)`, or declare `class(2)`" }));
    return;
  }
  if (spec.kind === "regression") {
    out.push(diag("DLP5004", "error", `${lossName} on regression targets`, lossSpan ?? at, { label: "labels are real values", help: "use `mse`, `mae` or `huber`" }));
    return;
  }
  if (labels.declared === "onehot" && lossName === "sparse_categorical_crossentropy") {
    out.push(diag("DLP5004", "error", "sparse categorical cross-entropy on one-hot labels", lossSpan ?? at, { label: "expects integer labels", related: [{ span: labels.span, message: "labels are one-hot" }], help: "use `categorical_crossentropy`, or declare `class(N)` and let the loss choose", fix: lossSpan ? { title: "use categorical_crossentropy", span: lossSpan, text: "categorical_crossentropy" } : undefined }));
    return;
  }
  if (units !== spec.classes) {
    out.push(diag("DLP5001", "error", `the output has ${units} units but the labels have ${spec.classes} classes`, at, { label: `${units} units`, related: [{ span: labels.span, message: `${spec.classes} classes` }], help: `use ${spec.classes} units in the last layer` + (units !== null && units < spec.classes ? `; labels up to ${spec.classes - 1} fall outside [0, ${units})` : "") }));
    return;
  }
  if (act.name !== "softmax") {
    out.push(diag("DLP5005", "error", `${lossName} needs a softmax output`, at, { label: `output activation is ${act.name}`, related, help: "add `activation: softmax` to the last layer", fix: act.layer && act.name === "linear" ? addActivationFix(act.layer, "softmax") : undefined }));
  }
}

function addActivationFix(l: LayerInstance, act: string) {
  const end = l.call.span.end - 1; // before `)`
  return { title: `add activation: ${act}`, span: { start: end, end }, text: l.call.args.length ? `, activation: ${act}` : `activation: ${act}` };
}

// ---- train -------------------------------------------------------------------------------

const TRAIN_SETTINGS = ["loss", "optimizer", "batch", "epochs", "metrics", "early_stop", "checkpoint", "reduce_lr", "schedule", "clip_norm", "class_weight", "init_weights"];

function checkTrain(sec: SectionIR, env: Env, refs: ParamRefs, out: Diagnostic[]): { spec?: Traced<TrainSpec>; lossSpan?: Span } {
  let loss: TrainSpec["loss"] | undefined;
  let lossSpan: Span | undefined;
  let lossFields: Partial<Traced<TrainSpec>> = {};
  let optimizer: Traced<OptimizerSpec> | undefined;
  let batchSize: Traced<number> = 32;
  let epochs: Traced<number> = 10;
  let clipNorm: Term | undefined;
  let classWeight: Traced<TrainSpec["classWeight"]>;
  let initWeights: Traced<TrainSpec["initWeights"]>;
  // Made once the section is read: a cosine schedule spans the epochs unless given its own.
  let schedule: { def: Entry<ScheduleSpec, { epochs: Traced<number> }>; t: Terms } | undefined;
  const metrics: Traced<MetricSpec>[] = [];
  const callbacks: Traced<CallbackSpec>[] = [];
  const positiveInt = (s: Setting): Term | undefined => {
    const v = s.values[0] ? evalExpr(s.values[0], env) : undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      out.push(diag("DLP2004", "error", `\`${s.name.name}\` must be a positive integer`, s.values[0]?.span ?? s.name.span, { label: s.values[0] ? `found ${exprText(s.values[0])}` : "missing value" }));
      return undefined;
    }
    return termOf(s.values[0], v, refs);
  };
  for (const st of sec.body.statements) {
    const first = st.groups[0][0];
    const callSetting = first.kind === "call" && first.callee.kind === "name" ? first.callee.name : undefined;
    if (callSetting && CALLBACKS[callSetting]) {
      const r = checkCall(first as CallExpr, CALLBACKS[callSetting], env, out, refs);
      if (r) callbacks.push(CALLBACKS[callSetting].toSpec(r.t, undefined));
      continue;
    }
    const s = settingOf(st);
    if (!s) {
      if (callSetting) {
        const alt = didYouMean(callSetting, TRAIN_SETTINGS);
        out.push(diag("DLP2001", "error", `unknown train setting \`${callSetting}\``, (first as CallExpr).callee.span, { help: alt ? `did you mean \`${alt}\`?` : `train settings are ${TRAIN_SETTINGS.map(tick).join(", ")}` }));
      } else out.push(diag("DLP1001", "error", `unexpected \`${exprText(first)}\` in train`, first.span, { help: `train settings are ${TRAIN_SETTINGS.map(tick).join(", ")}` }));
      continue;
    }
    switch (s.name.name) {
      case "loss": {
        const c = s.values[0] ? callOf(s.values[0]) : undefined;
        if (!c) {
          out.push(diag("DLP2005", "error", "`loss` needs a loss name", s.name.span, { help: `losses: ${Object.keys(LOSSES).join(", ")}` }));
          break;
        }
        const name = LOSS_ALIASES[c.name.name] ?? c.name.name;
        const def = LOSSES[name];
        if (!def) {
          const alt = didYouMean(c.name.name, [...Object.keys(LOSSES), ...Object.keys(LOSS_ALIASES)]);
          out.push(diag("DLP2001", "error", `unknown loss \`${c.name.name}\``, c.name.span, { label: "unknown", help: alt ? `did you mean \`${alt}\`?` : `losses: ${Object.keys(LOSSES).join(", ")}`, fix: alt ? { title: `rename to \`${alt}\``, span: c.name.span, text: alt } : undefined }));
          break;
        }
        const r = checkCall(asCall(c.name, c.call), def.sig, env, out, refs);
        if (!r) break;
        loss = name as TrainSpec["loss"];
        lossSpan = c.name.span;
        lossFields = def.toSpec?.(r.t) ?? {};
        break;
      }
      case "optimizer": {
        const c = s.values[0] ? callOf(s.values[0]) : undefined;
        if (!c) {
          out.push(diag("DLP2005", "error", "`optimizer` needs an optimizer", s.name.span, { help: `optimizers: ${Object.keys(OPTIMIZERS).join(", ")}` }));
          break;
        }
        const sig = OPTIMIZERS[c.name.name];
        if (!sig) {
          const alt = didYouMean(c.name.name, Object.keys(OPTIMIZERS));
          out.push(diag("DLP2001", "error", `unknown optimizer \`${c.name.name}\``, c.name.span, { label: "unknown", help: alt ? `did you mean \`${alt}\`?` : `optimizers: ${Object.keys(OPTIMIZERS).join(", ")}`, fix: alt ? { title: `rename to \`${alt}\``, span: c.name.span, text: alt } : undefined }));
          break;
        }
        const r = checkCall(asCall(c.name, c.call), sig, env, out, refs);
        if (!r) break;
        optimizer = sig.toSpec(r.t, undefined);
        if (c.name.name === "sgd" && r.args.nesterov === true && !(Number(r.args.momentum) > 0)) {
          out.push(diag("DLP2004", "error", "Nesterov momentum needs a momentum above 0", (argNamed(c.call, "nesterov") ?? s.stmt).span, { help: "add `momentum: 0.9`" }));
        }
        break;
      }
      case "batch": {
        const v = positiveInt(s);
        if (v !== undefined) batchSize = v;
        break;
      }
      case "epochs": {
        const v = positiveInt(s);
        if (v !== undefined) epochs = v;
        break;
      }
      case "metrics": {
        for (const w of [...s.values, ...s.more]) {
          const c = callOf(w);
          if (!c) continue;
          const sig = METRICS[c.name.name];
          if (!sig) {
            const alt = didYouMean(c.name.name, Object.keys(METRICS));
            out.push(diag("DLP2001", "error", `unknown metric \`${c.name.name}\``, c.name.span, { label: "unknown", help: alt ? `did you mean \`${alt}\`?` : `metrics: ${Object.keys(METRICS).join(", ")}`, fix: alt ? { title: `rename to \`${alt}\``, span: c.name.span, text: alt } : undefined }));
            continue;
          }
          const r = checkCall(asCall(c.name, c.call), sig, env, out, refs);
          if (r) metrics.push(sig.toSpec(r.t, undefined));
        }
        break;
      }
      case "schedule": {
        const c = s.values[0] ? callOf(s.values[0]) : undefined;
        const sig = c ? SCHEDULES[c.name.name] : undefined;
        if (!c || !sig) {
          out.push(diag("DLP2001", "error", `unknown schedule \`${c ? c.name.name : ""}\``, c?.name.span ?? s.name.span, { help: `schedules: ${Object.keys(SCHEDULES).join(", ")}` }));
          break;
        }
        const r = checkCall(asCall(c.name, c.call), sig, env, out, refs);
        if (!r) break;
        schedule = { def: sig, t: r.t };
        break;
      }
      case "clip_norm": {
        const v = s.values[0] ? evalExpr(s.values[0], env) : undefined;
        if (typeof v !== "number" || v <= 0) out.push(diag("DLP2004", "error", "`clip_norm` must be a positive number", s.values[0]?.span ?? s.name.span, {}));
        else clipNorm = termOf(s.values[0], v, refs);
        break;
      }
      case "class_weight": {
        // `class_weight balanced` (n / (classes · count), from the training split) or one weight
        // per class, class 0 first: `class_weight 1, 5`. Each weight is a term, so `class_weight 1, w`
        // reads the trial's `w`.
        const exprs = [...s.values, ...s.more];
        const vs = exprs.map((e) => evalExpr(e, env));
        if (vs.length === 1 && vs[0] === "balanced" && readsAParam(exprs[0], refs)) {
          // A string param would let `--set` pass any word where the runtime takes `balanced` or weights.
          out.push(diag("DLP2004", "error", "`class_weight balanced` is written as the word, not read from a param", exprs[0].span, { label: "a param", help: "write `class_weight balanced`, or weights that read params: `class_weight 1, w`" }));
        } else if (vs.length === 1 && vs[0] === "balanced") classWeight = "balanced";
        else if (vs.length > 0 && vs.every((w) => typeof w === "number" && Number.isFinite(w) && w >= 0) && vs.some((w) => (w as number) > 0)) classWeight = exprs.map((e, i) => termOf(e, vs[i]!, refs));
        else {
          const bad = exprs.find((e, i) => !(typeof vs[i] === "number" && (vs[i] as number) >= 0)) ?? exprs[0];
          out.push(diag("DLP2004", "error", "`class_weight` is `balanced` or one non-negative weight per class", bad?.span ?? s.name.span, { label: bad ? `found ${exprText(bad)}` : "missing value", help: "e.g. `class_weight balanced` or `class_weight 1, 5` (class 0 first)" }));
        }
        break;
      }
      case "init_weights": {
        // `init_weights "runs/base"` (a run folder, a tfjs model.json or a Keras .h5), then
        // `by_name`, `by_order` (the default) or `first N` (by order, the file's first N weighted layers: a base without its head).
        // The path (a quoted string or a string param) and N are terms: a param there reaches the trial.
        const pathExpr = s.values[0];
        const path = pathExpr ? evalExpr(pathExpr, env) : undefined;
        const pathIsParam = pathExpr?.kind === "name" && refs.has(pathExpr.name);
        const how = s.values[1] ? evalExpr(s.values[1], env) : "by_order";
        const count = s.values[2] ? evalExpr(s.values[2], env) : undefined;
        const countOk = how === "first" ? typeof count === "number" && Number.isInteger(count) && count >= 1 : s.values.length <= 2;
        if (typeof path !== "string" || !(pathExpr?.kind === "string" || pathIsParam) || path === "") {
          out.push(diag("DLP2004", "error", "`init_weights` takes a quoted path: a run folder, a tfjs model.json or a Keras .h5 weights file", s.values[0]?.span ?? s.name.span, { label: s.values[0] ? `found ${exprText(s.values[0])}` : "missing path", help: 'e.g. `init_weights "runs/base"` or `init_weights "base.h5" by_name`' }));
        } else if ((how !== "by_order" && how !== "by_name" && how !== "first") || !countOk || s.values.length > 3 || s.more.length) {
          const bad = (how !== "by_order" && how !== "by_name" && how !== "first" ? s.values[1] : undefined) ?? s.values[2] ?? s.values[3] ?? s.more[0] ?? s.values[1]!;
          out.push(diag("DLP2004", "error", "`init_weights` matches layers `by_order` (the default), `by_name`, or `first N` (the file's first N layers with weights)", bad.span, { label: `found ${exprText(bad)}` }));
        } else initWeights = { path: termOf(pathExpr!, path, refs), match: s.values[1] && readsAParam(s.values[1], refs) ? derive([termOf(s.values[1], how, refs)], (v) => (v === "by_name" ? "name" : "order"), (c) => `${operand(c)} === "by_name" ? "name" : "order"`) : how === "by_name" ? "name" : "order", ...(how === "first" ? { layers: termOf(s.values[2]!, count as number, refs) } : {}) };
        break;
      }
      default:
        unknownSetting(s, "train", TRAIN_SETTINGS, out);
    }
  }
  if (!loss) {
    if (!out.some((d) => d.severity === "error" && d.span.start >= sec.span.start && d.span.end <= sec.span.end)) out.push(diag("DLP2005", "error", "the train section has no `loss`", sec.name.span, { label: "missing `loss …`", help: "add e.g. `loss sparse_categorical_crossentropy`" }));
    return {};
  }
  optimizer ??= { name: "adam", learningRate: 0.001 };
  if (schedule) optimizer.schedule = schedule.def.toSpec(schedule.t, { epochs });
  const spec: Traced<TrainSpec> = { loss, optimizer, batchSize, epochs, metrics, callbacks, ...lossFields };
  if (clipNorm !== undefined) spec.clipNorm = clipNorm;
  if (classWeight !== undefined) spec.classWeight = classWeight;
  if (initWeights !== undefined) spec.initWeights = initWeights;
  return { spec, lossSpan };
}

// ---- evaluate ------------------------------------------------------------------------------

/** What the study-wide sections see: no param values, and which names are params (DLP6010). */
interface StudyConstants {
  env: Env;
  params: Map<string, boolean>;
}

function studyConstants(ir: PipelineIR): StudyConstants {
  return { env: new Map(), params: new Map(ir.params.map((p) => [p.name, !!p.space])) };
}

/** Reports the params an expression of a study-wide section reads; true when there are none. */
function readsNoTuned(e: Expr | CallExpr, where: string, c: StudyConstants, out: Diagnostic[]): boolean {
  let ok = true;
  const visit = (x: Expr): void => {
    if (x.kind === "name" && c.params.has(x.name)) {
      const tuned = c.params.get(x.name);
      out.push(diag("DLP6010", "error", `the ${tuned ? "tuned " : ""}param \`${x.name}\` is read in the ${where} section`, x.span, { label: tuned ? "tuned" : "a param", help: `the ${where} section is one for every trial and every \`--set\`: write the value itself` }));
      ok = false;
    } else if (x.kind === "call") for (const a of x.args) visit(a.value);
    else forEachChild(x, visit);
  };
  visit(e);
  return ok;
}

function checkEvaluate(sec: SectionIR, fixed: StudyConstants, out: Diagnostic[]): EvaluateSpec {
  const q = sec.qualifiers[0];
  let split: "test" | "validation" = "test";
  if (q) {
    if (q.kind === "name" && (q.name === "test" || q.name === "validation")) split = q.name;
    else out.push(diag("DLP2004", "error", "evaluate on `test` or `validation`", q.span, { label: `found ${exprText(q)}` }));
  }
  const metrics: MetricSpec[] = [];
  let confusionMatrix = false;
  for (const st of sec.body.statements) {
    for (const w of st.groups.flat()) {
      const c = callOf(w);
      if (!c) continue;
      if (c.name.name === "confusion_matrix") {
        confusionMatrix = true;
        continue;
      }
      const sig = METRICS[c.name.name];
      if (!sig) {
        const alt = didYouMean(c.name.name, [...Object.keys(METRICS), "confusion_matrix"]);
        out.push(diag("DLP2001", "error", `unknown metric \`${c.name.name}\``, c.name.span, { label: "unknown", help: alt ? `did you mean \`${alt}\`?` : `metrics: ${Object.keys(METRICS).join(", ")}, confusion_matrix` }));
        continue;
      }
      if (c.call && !readsNoTuned(c.call, "evaluate", fixed, out)) continue;
      const r = checkCall(asCall(c.name, c.call), sig, fixed.env, out, NO_PARAMS);
      if (r) metrics.push(valueOf<MetricSpec>(sig.toSpec(r.t, undefined)));
    }
  }
  return { split, metrics, confusionMatrix };
}

// ---- tune ------------------------------------------------------------------------------------

/** How many configurations the runtime's grid visits; NaN when the space is refused (its error is reported where it is declared). */
function runtimeGridSize(params: ParamSpec[]): number {
  try {
    return gridSize(buildSpace(params));
  } catch (e) {
    if (e instanceof SpaceError) return NaN;
    throw e;
  }
}

function checkTune(sec: SectionIR, ir: PipelineIR, params: ParamSpec[], computed: Set<string>, fixed: StudyConstants, out: Diagnostic[]): TuneSpec | null {
  let strategy: StrategySpec | undefined;
  let strategySpan: Span = sec.name.span;
  let objective: TuneSpec["objective"] | undefined;
  let trials: number | undefined;
  for (const st of sec.body.statements) {
    const s = settingOf(st);
    if (!s) continue;
    switch (s.name.name) {
      case "strategy": {
        const c = s.values[0] ? callOf(s.values[0]) : undefined;
        const sig = c ? STRATEGIES[c.name.name] : undefined;
        if (!c || !sig) {
          const alt = c ? didYouMean(c.name.name, Object.keys(STRATEGIES)) : undefined;
          out.push(diag("DLP2001", "error", `unknown tuning strategy \`${c ? c.name.name : ""}\``, c?.name.span ?? s.name.span, { label: "unknown", help: alt ? `did you mean \`${alt}\`?` : `strategies: ${Object.keys(STRATEGIES).join(", ")}` }));
          break;
        }
        if (c.call && !readsNoTuned(c.call, "tune", fixed, out)) break;
        const r = checkCall(asCall(c.name, c.call), sig, fixed.env, out, NO_PARAMS);
        if (!r) break;
        strategySpan = s.values[0].span;
        strategy = valueOf<StrategySpec>(sig.toSpec(r.t, undefined));
        break;
      }
      case "objective": {
        const [dir, metric] = s.values;
        if (!dir || dir.kind !== "name" || !["maximize", "minimize"].includes(dir.name) || !metric || metric.kind !== "name") {
          out.push(diag("DLP2004", "error", "an objective reads `maximize METRIC` or `minimize METRIC`", s.stmt.span, { help: "write `objective maximize val_accuracy`" }));
          break;
        }
        if (!computed.has(metric.name)) {
          const alt = didYouMean(metric.name, [...computed]);
          out.push(diag("DLP6005", "error", `the objective \`${metric.name}\` is never computed`, metric.span, { label: "not a computed metric", notes: [`computed: ${[...computed].join(", ")}`], help: alt ? `did you mean \`${alt}\`?` : `add the metric to \`train { metrics … }\`` }));
          break;
        }
        objective = { metric: metric.name, direction: dir.name as "maximize" | "minimize" };
        break;
      }
      case "trials": {
        if (s.values[0] && !readsNoTuned(s.values[0], "tune", fixed, out)) break;
        const v = s.values[0] ? evalExpr(s.values[0], fixed.env) : undefined;
        if (typeof v !== "number" || !Number.isInteger(v) || v < 1) out.push(diag("DLP2004", "error", "`trials` must be a positive integer", s.values[0]?.span ?? s.name.span, {}));
        else trials = v;
        break;
      }
      default:
        unknownSetting(s, "tune", ["strategy", "objective", "trials"], out);
    }
  }
  const tuned = ir.params.filter((p) => p.space);
  if (!strategy) strategy = { kind: "random", trials: trials ?? 20 };
  if (!objective) objective = { metric: "val_loss", direction: "minimize" };
  if (tuned.length === 0) {
    out.push(diag("DLP6001", "warning", "nothing to tune: no param declares a `tune` space", sec.name.span, { help: "add e.g. `param lr = 1e-3 tune log_uniform(1e-4, 1e-2)`" }));
  }
  if (strategy.kind === "grid") {
    let continuous = false;
    for (const p of tuned) {
      const s = p.space!;
      if (s.kind === "uniform" && s.step === undefined || s.kind === "log_uniform") {
        out.push(diag("DLP6004", "error", `grid search over the continuous space of \`${p.name}\``, p.spaceExpr!.span, { label: "no step", related: [{ span: strategySpan, message: "grid strategy" }], help: "give a step (`uniform(0.1, 0.5, step: 0.1)`), a `choice(…)`, or use `random` / `bayesian`" }));
        continuous = true;
      }
    }
    // The runtime's own count, `when` conditions included (a param that exists only for some
    // values of another adds its values to those configurations alone).
    const size = continuous ? NaN : runtimeGridSize(params);
    if (trials !== undefined && Number.isFinite(size) && trials > size) {
      out.push(diag("DLP6006", "warning", `${trials} trials asked for a grid of ${size} combinations`, strategySpan, { help: `the grid runs ${size} trials` }));
    }
  }
  return { strategy, objective, ...(trials !== undefined ? { trials } : {}) };
}

// ---- warnings ---------------------------------------------------------------------------------

function warnings(r: CheckedPipeline, out: Diagnostic[]): void {
  const lr = r.train?.optimizer.learningRate;
  if (lr !== undefined && (lr < 1e-6 || lr > 1) && r.ir.train) {
    const at = findSetting(r.ir.train, "optimizer") ?? r.ir.train.name;
    out.push(diag("DLP7003", "warning", `learning rate ${lr} is outside the usual 1e-6..1`, at.span, { label: `lr = ${lr}`, help: "typical values: 1e-3 for adam, 1e-2 for sgd" }));
  }
  const layers = r.model?.layers ?? [];
  const total = layers.reduce((a, l) => a + l.params.trainable + l.params.nonTrainable, 0);
  // Only after a feature map (image or sequence) was flattened: an MLP's first layer on a vector
  // input always holds most parameters, and pooling cannot shrink a vector.
  let sawMap = false;
  for (const l of layers) {
    const n = l.params.trainable + l.params.nonTrainable;
    if (l.inputs.some((x) => x.length >= 2)) sawMap = true;
    if (l.def.name === "dense" && sawMap && l.inputs[0]?.length === 1 && total > 100_000 && n / total > 0.9) {
      out.push(diag("DLP7002", "warning", `this dense layer holds ${Math.round((100 * n) / total)}% of the model's parameters`, l.call.span, { label: `${n.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} parameters`, notes: [`its input has ${fmtShape(l.inputs[0])} values`], help: "shrink its input with pooling or `global_avg_pool()` first" }));
    }
    if (l.def.name === "dropout" && typeof l.args.rate === "number" && l.args.rate > 0.7) {
      out.push(diag("DLP7001", "warning", `dropout ${l.args.rate} drops most activations`, l.call.span, { label: `keeps ${Math.round((1 - l.args.rate) * 100)}%`, help: "rates of 0.1–0.5 are usual" }));
    }
  }
}

function findSetting(sec: SectionIR, name: string): NameExpr | undefined {
  for (const st of sec.body.statements) {
    const s = settingOf(st);
    if (s?.name.name === name) return s.name;
  }
  return undefined;
}
