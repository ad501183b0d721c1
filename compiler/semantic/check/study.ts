// The study-wide sections, evaluate and tune: one for every trial, so a param read there is
// refused (DLP6010), never frozen silently.
import type { CallExpr, Expr, Span } from "../../../grammar/ast.ts";
import { exprText, forEachChild } from "../../../grammar/ast.ts";
import { diag, type Diagnostic } from "../../diagnostics/diagnostic.ts";
import type { EvaluateSpec, MetricSpec, ParamSpec, TuneSpec, StrategySpec } from "../../../runtime/spec.ts";
import { METRICS, STRATEGIES } from "../catalog.ts";
import { asCall, callOf, settingOf, type PipelineIR, type SectionIR } from "../lower.ts";
import { didYouMean, meantHelp } from "../names.ts";
import { SpaceError, buildSpace, gridSize } from "../../../runtime/tune/space.ts";
import { evalExpr, type Env } from "../values.ts";
import { valueOf } from "../term.ts";
import { unknownSetting, NO_PARAMS, checkCall } from "./call.ts";

// ---- evaluate ------------------------------------------------------------------------------

/** What the study-wide sections see: no param values, and which names are params (DLP6010). */
export interface StudyConstants {
  env: Env;
  params: Map<string, boolean>;
}

export function studyConstants(ir: PipelineIR): StudyConstants {
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

export function checkEvaluate(sec: SectionIR, fixed: StudyConstants, out: Diagnostic[]): EvaluateSpec {
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
        out.push(diag("DLP2001", "error", `unknown metric \`${c.name.name}\``, c.name.span, { label: "unknown", help: meantHelp(alt) ?? `metrics: ${Object.keys(METRICS).join(", ")}, confusion_matrix` }));
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

export function checkTune(sec: SectionIR, ir: PipelineIR, params: ParamSpec[], computed: Set<string>, fixed: StudyConstants, out: Diagnostic[]): TuneSpec | null {
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
          out.push(diag("DLP2001", "error", `unknown tuning strategy \`${c ? c.name.name : ""}\``, c?.name.span ?? s.name.span, { label: "unknown", help: meantHelp(alt) ?? `strategies: ${Object.keys(STRATEGIES).join(", ")}` }));
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
          out.push(diag("DLP6005", "error", `the objective \`${metric.name}\` is never computed`, metric.span, { label: "not a computed metric", notes: [`computed: ${[...computed].join(", ")}`], help: meantHelp(alt) ?? `add the metric to \`train { metrics … }\`` }));
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

