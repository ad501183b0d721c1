// The train section: loss, optimizer, schedule, batch, epochs, metrics, callbacks, clipping,
// class weights, initial weights; each leaf a term so a param read there reaches train(p).
import type { CallExpr, Expr, NameExpr, Span } from "../../../grammar/ast.ts";
import { exprText } from "../../../grammar/ast.ts";
import { diag, type Diagnostic } from "../../diagnostics/diagnostic.ts";
import { definedTwice } from "../../diagnostics/builders.ts";
import type { CallbackSpec, MetricSpec, OptimizerSpec, TrainSpec, ScheduleSpec } from "../../../runtime/spec.ts";
import { CALLBACKS, LOSSES, LOSS_ALIASES, METRICS, OPTIMIZERS, SCHEDULES, type Entry, type Terms } from "../catalog.ts";
import { argNamed, asCall, callOf, settingOf, type SectionIR, type Setting } from "../lower.ts";
import { didYouMean, meantHelp } from "../names.ts";
import { evalExpr, termOf, type Env } from "../values.ts";
import { derive, operand, type ParamRefs, type Term, type Traced } from "../term.ts";
import { tick, readsAParam, unknownSetting, checkCall } from "./call.ts";

// ---- train -------------------------------------------------------------------------------

const TRAIN_SETTINGS = ["loss", "loss_weights", "optimizer", "batch", "epochs", "metrics", "early_stop", "checkpoint", "reduce_lr", "schedule", "clip_norm", "class_weight", "init_weights"];

/** One entry of a per-head setting: `loss { digit = sparse_categorical_crossentropy, recon = mse }`. */
interface HeadEntry {
  name: NameExpr;
  /** `digit = accuracy, f1`: the value, then the comma-separated ones that follow it. */
  values: Expr[];
}

/** The entries of `SETTING { head = value, … }`: each `name = …` starts one; a comma-separated
 *  value after it without `=` adds to it (`metrics { digit = accuracy, f1; recon = mae }`). */
function headEntries(s: Setting, out: Diagnostic[], many: boolean): HeadEntry[] {
  const entries: HeadEntry[] = [];
  for (const st of s.block?.statements ?? []) {
    for (const g of st.groups) {
      const a = g[0];
      if (g.length === 1 && a.kind === "assign" && a.target.kind === "name") {
        const twice = entries.find((e) => e.name.name === (a.target as NameExpr).name);
        if (twice) out.push(definedTwice(`the head \`${a.target.name}\` is given twice in \`${s.name.name}\``, a.target.span, twice.name.span));
        else entries.push({ name: a.target, values: [a.value] });
      } else if (many && entries.length && g.length === 1 && a.kind !== "assign") entries[entries.length - 1]!.values.push(a);
      else out.push(diag("DLP1001", "error", `each entry of \`${s.name.name} { … }\` is \`head = value\``, a.span, { label: `found ${exprText(a)}`, help: `write e.g. \`${s.name.name} { digit = ${s.name.name === "loss" ? "sparse_categorical_crossentropy" : s.name.name === "loss_weights" ? "1.0" : "accuracy"}, recon = ${s.name.name === "loss" ? "mse" : s.name.name === "loss_weights" ? "0.5" : "mae"} }\`` }));
    }
  }
  if (!entries.length && !out.some((d) => d.span.start >= s.stmt.span.start && d.span.end <= s.stmt.span.end)) out.push(diag("DLP2005", "error", `\`${s.name.name} { … }\` names no head`, s.stmt.span, { help: `write \`${s.name.name} { head = …, … }\`, one entry per head of the model` }));
  return entries;
}

/** What the train section says per head, by head name, for check.ts to match with the data's outputs. */
export interface HeadSettings {
  losses: Map<string, { name: NameExpr; loss: TrainSpec["loss"]; fields: Partial<Traced<TrainSpec>>; span: Span }>;
  weights: Map<string, { name: NameExpr; weight: Term }>;
  metrics: Map<string, { name: NameExpr; metrics: Traced<MetricSpec>[] }>;
}

export function checkTrain(sec: SectionIR, env: Env, refs: ParamRefs, out: Diagnostic[]): { spec?: Traced<TrainSpec>; lossSpan?: Span; heads: HeadSettings } {
  const heads: HeadSettings = { losses: new Map(), weights: new Map(), metrics: new Map() };
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
        out.push(diag("DLP2001", "error", `unknown train setting \`${callSetting}\``, (first as CallExpr).callee.span, { help: meantHelp(alt) ?? `train settings are ${TRAIN_SETTINGS.map(tick).join(", ")}` }));
      } else out.push(diag("DLP1001", "error", `unexpected \`${exprText(first)}\` in train`, first.span, { help: `train settings are ${TRAIN_SETTINGS.map(tick).join(", ")}` }));
      continue;
    }
    switch (s.name.name) {
      case "loss": {
        if (s.block && !s.values.length) {
          for (const e of headEntries(s, out, false)) {
            const l = checkLoss(e.values[0]!, env, refs, out);
            if (l) heads.losses.set(e.name.name, { name: e.name, ...l });
          }
          const first = [...heads.losses.values()][0];
          if (first && !loss) {
            loss = first.loss;
            lossSpan = first.span;
            lossFields = first.fields;
          }
          break;
        }
        if (!s.values[0] || !callOf(s.values[0])) {
          out.push(diag("DLP2005", "error", "`loss` needs a loss name", s.name.span, { help: `losses: ${Object.keys(LOSSES).join(", ")}` }));
          break;
        }
        const l = checkLoss(s.values[0], env, refs, out);
        if (!l) break;
        loss = l.loss;
        lossSpan = l.span;
        lossFields = l.fields;
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
          out.push(diag("DLP2001", "error", `unknown optimizer \`${c.name.name}\``, c.name.span, { label: "unknown", help: meantHelp(alt) ?? `optimizers: ${Object.keys(OPTIMIZERS).join(", ")}`, fix: alt ? { title: `rename to \`${alt}\``, span: c.name.span, text: alt } : undefined }));
          break;
        }
        const r = checkCall(asCall(c.name, c.call), sig, env, out, refs);
        if (!r) break;
        optimizer = sig.toSpec(r.t, undefined);
        if (c.name.name === "sgd" && r.args.nesterov === true && !(Number(r.args.momentum) > 0)) {
          // The edit: the written momentum becomes 0.9, or `momentum: 0.9` is added (Keras's usual value with Nesterov).
          const m = argNamed(c.call, "momentum");
          const fix = m ? { title: "use momentum: 0.9", span: m.value.span, text: "0.9" } : c.call ? { title: "add momentum: 0.9", span: { start: c.call.argsSpan.end - 1, end: c.call.argsSpan.end - 1 }, text: ", momentum: 0.9" } : undefined;
          out.push(diag("DLP2004", "error", "Nesterov momentum needs a momentum above 0", (argNamed(c.call, "nesterov") ?? s.stmt).span, { help: m ? "use `momentum: 0.9`" : "add `momentum: 0.9`", ...(fix ? { fix } : {}) }));
        }
        break;
      }
      case "loss_weights": {
        if (!s.block || s.values.length) {
          out.push(diag("DLP2004", "error", "`loss_weights` takes one weight per head", s.stmt.span, { help: "write `loss_weights { digit = 1.0, recon = 0.5 }`" }));
          break;
        }
        for (const e of headEntries(s, out, false)) {
          const w = e.values[0]!;
          const v = evalExpr(w, env);
          if (typeof v !== "number" || !Number.isFinite(v) || v < 0) out.push(diag("DLP2004", "error", "a loss weight is a non-negative number", w.span, { label: `found ${exprText(w)}` }));
          else heads.weights.set(e.name.name, { name: e.name, weight: termOf(w, v, refs) });
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
        if (s.block && !s.values.length) {
          for (const e of headEntries(s, out, true)) heads.metrics.set(e.name.name, { name: e.name, metrics: checkMetrics(e.values, env, refs, out) });
          break;
        }
        metrics.push(...checkMetrics([...s.values, ...s.more], env, refs, out));
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
  const firstMetrics = [...heads.metrics.values()][0];
  if (firstMetrics && !metrics.length) metrics.push(...firstMetrics.metrics);
  if (!loss) {
    if (!out.some((d) => d.severity === "error" && d.span.start >= sec.span.start && d.span.end <= sec.span.end)) out.push(diag("DLP2005", "error", "the train section has no `loss`", sec.name.span, { label: "missing `loss …`", help: "add e.g. `loss sparse_categorical_crossentropy`" }));
    return { heads };
  }
  optimizer ??= { name: "adam", learningRate: 0.001 };
  if (schedule) optimizer.schedule = schedule.def.toSpec(schedule.t, { epochs });
  const spec: Traced<TrainSpec> = { loss, optimizer, batchSize, epochs, metrics, callbacks, ...lossFields };
  if (clipNorm !== undefined) spec.clipNorm = clipNorm;
  if (classWeight !== undefined) spec.classWeight = classWeight;
  if (initWeights !== undefined) spec.initWeights = initWeights;
  return { spec, lossSpan, heads };
}

function checkLoss(v: Expr, env: Env, refs: ParamRefs, out: Diagnostic[]): { loss: TrainSpec["loss"]; fields: Partial<Traced<TrainSpec>>; span: Span } | undefined {
  const c = callOf(v);
  if (!c) {
    out.push(diag("DLP2005", "error", "a loss is a loss name", v.span, { label: `found ${exprText(v)}`, help: `losses: ${Object.keys(LOSSES).join(", ")}` }));
    return undefined;
  }
  const name = LOSS_ALIASES[c.name.name] ?? c.name.name;
  const def = LOSSES[name];
  if (!def) {
    const alt = didYouMean(c.name.name, [...Object.keys(LOSSES), ...Object.keys(LOSS_ALIASES)]);
    out.push(diag("DLP2001", "error", `unknown loss \`${c.name.name}\``, c.name.span, { label: "unknown", help: meantHelp(alt) ?? `losses: ${Object.keys(LOSSES).join(", ")}`, fix: alt ? { title: `rename to \`${alt}\``, span: c.name.span, text: alt } : undefined }));
    return undefined;
  }
  const r = checkCall(asCall(c.name, c.call), def.sig, env, out, refs);
  if (!r) return undefined;
  return { loss: name as TrainSpec["loss"], fields: def.toSpec?.(r.t) ?? {}, span: c.name.span };
}

function checkMetrics(ws: Expr[], env: Env, refs: ParamRefs, out: Diagnostic[]): Traced<MetricSpec>[] {
  const metrics: Traced<MetricSpec>[] = [];
  for (const w of ws) {
    const c = callOf(w);
    if (!c) continue;
    const sig = METRICS[c.name.name];
    if (!sig) {
      const alt = didYouMean(c.name.name, Object.keys(METRICS));
      out.push(diag("DLP2001", "error", `unknown metric \`${c.name.name}\``, c.name.span, { label: "unknown", help: meantHelp(alt) ?? `metrics: ${Object.keys(METRICS).join(", ")}`, fix: alt ? { title: `rename to \`${alt}\``, span: c.name.span, text: alt } : undefined }));
      continue;
    }
    const r = checkCall(asCall(c.name, c.call), sig, env, out, refs);
    if (r) metrics.push(sig.toSpec(r.t, undefined));
  }
  return metrics;
}

