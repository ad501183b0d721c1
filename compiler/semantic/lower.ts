// Gives the generic statements their meaning: one pipeline with its params, data, blocks,
// model, train, evaluate and tune sections. Structural mistakes (unknown sections or
// settings, duplicates, malformed params) are reported here with "did you mean".
import type { Argument, Block, CallExpr, Expr, NameExpr, SourceFile, Span, Statement } from "../../grammar/ast.ts";
import { exprText, headName } from "../../grammar/ast.ts";
import { diag, type Code, type Diagnostic } from "../diagnostics/diagnostic.ts";
import { definedTwice } from "../diagnostics/builders.ts";
import { didYouMean, meantHelp } from "./names.ts";
import { evalExpr, type Env } from "./values.ts";
import type { ArgValue } from "./layers/types.ts";
import type { ConditionSpec, SpaceSpec } from "../../runtime/spec.ts";
import { reservedParamName } from "./reserved.ts";
import type { ModelNode } from "./model_ir.ts";
import { lowerModelBody } from "./model_lower.ts";

export interface ParamIR {
  name: string;
  nameSpan: Span;
  span: Span;
  defaultExpr: Expr;
  default: ArgValue;
  spaceExpr?: CallExpr;
  space?: SpaceSpec;
  conditionExpr?: Expr;
  condition?: ConditionSpec;
}

export interface BlockIR {
  name: string;
  nameSpan: Span;
  span: Span;
  params: NameExpr[];
  inputs: NameExpr[];
  body: Statement[];
  /** The body as model IR (filled once every block of the file is known). */
  nodes: ModelNode[];
}

export interface Setting {
  /** The setting's name (`loss`, `batch`, …) and its span. */
  name: NameExpr;
  /** Values after the name: `split validation 10% stratified` → [validation, 10%, stratified]. */
  values: Expr[];
  /** Comma-separated further values (`metrics accuracy, auc`). */
  more: Expr[];
  block?: Block;
  stmt: Statement;
}

export interface SectionIR {
  name: NameExpr;
  /** Words between the section name and `{` (`evaluate test {`). */
  qualifiers: Expr[];
  span: Span;
  body: Block;
}

export interface PipelineIR {
  name: string;
  nameSpan: Span;
  span: Span;
  seed: number;
  seedSpan?: Span;
  params: ParamIR[];
  blocks: Map<string, BlockIR>;
  data?: SectionIR;
  model?: SectionIR;
  /** The model section as model IR: what the checker and the emitter walk. */
  modelNodes: ModelNode[];
  train?: SectionIR;
  evaluate?: SectionIR;
  tune?: SectionIR;
}

export const SECTIONS = ["data", "model", "train", "evaluate", "tune"] as const;
type SectionName = (typeof SECTIONS)[number];
const PIPELINE_ITEMS = ["seed", "param", "block", ...SECTIONS];

export function settingOf(s: Statement): Setting | undefined {
  const first = s.groups[0][0];
  if (first.kind !== "name") return undefined;
  return { name: first, values: s.groups[0].slice(1), more: s.groups.slice(1).flat(), block: s.block, stmt: s };
}

export function lowerFile(file: SourceFile, out: Diagnostic[]): { pipeline?: PipelineIR; blocks: Map<string, BlockIR> } {
  const blocks = new Map<string, BlockIR>();
  let pipeline: PipelineIR | undefined;
  for (const s of file.statements) {
    const head = headName(s);
    if (head?.name === "block") {
      lowerBlock(s, blocks, out);
      continue;
    }
    if (head?.name === "pipeline" && s.groups[0][0].kind === "name") {
      if (pipeline) {
        out.push(definedTwice("a file holds one pipeline", s.groups[0][0].span, pipeline.nameSpan, { second: "second pipeline", first: "first pipeline", help: "move the second pipeline into a file of its own" }));
        continue;
      }
      pipeline = lowerPipeline(s, blocks, out);
      continue;
    }
    const alt = head ? didYouMean(head.name, ["pipeline", "block"]) : undefined;
    out.push(
      diag("DLP2001", "error", head ? `unknown top-level item \`${head.name}\`` : "expected `pipeline NAME { … }` or `block NAME(…) (…) { … }`", head?.span ?? s.span, {
        label: "not a pipeline or block",
        help: meantHelp(alt) ?? "a file holds `pipeline NAME { … }` and `block` definitions",
      }),
    );
  }
  if (!pipeline && !out.some((d) => d.severity === "error")) {
    out.push(diag("DLP2005", "error", "no pipeline in this file", file.span.end > 0 ? { start: 0, end: 0 } : file.span, { help: "add `pipeline NAME { data { … } model { … } train { … } }`" }));
  }
  if (pipeline) for (const [k, v] of blocks) if (!pipeline.blocks.has(k)) pipeline.blocks.set(k, v);
  // The model IR, now that every block name is known (a block may be defined after its use).
  const all = pipeline?.blocks ?? blocks;
  for (const b of all.values()) b.nodes = lowerModelBody(b.body, all);
  if (pipeline?.model) pipeline.modelNodes = lowerModelBody(pipeline.model.body.statements, all);
  return { pipeline, blocks };
}

function lowerPipeline(s: Statement, blocks: Map<string, BlockIR>, out: Diagnostic[]): PipelineIR | undefined {
  const nameExpr = s.groups[0][1];
  const head = s.groups[0][0] as NameExpr;
  if (!nameExpr || nameExpr.kind !== "name") {
    out.push(diag("DLP1001", "error", "a pipeline needs a name", nameExpr?.span ?? head.span, { label: "expected a name", help: "write `pipeline my_model { … }`" }));
    return undefined;
  }
  if (!s.block) {
    out.push(diag("DLP1001", "error", "a pipeline needs a body", s.span, { label: "expected `{`", help: `write \`pipeline ${nameExpr.name} { … }\`` }));
    return undefined;
  }
  const p: PipelineIR = { name: nameExpr.name, nameSpan: nameExpr.span, span: s.span, seed: 42, params: [], blocks, modelNodes: [] };
  for (const st of s.block.statements) {
    const h = headName(st);
    const first = st.groups[0][0];
    if (!h || first.kind !== "name") {
      out.push(diag("DLP2001", "error", `unexpected \`${exprText(first)}\` in a pipeline`, first.span, { help: `a pipeline holds ${PIPELINE_ITEMS.map((x) => "`" + x + "`").join(", ")}` }));
      continue;
    }
    switch (h.name) {
      case "seed": {
        const v = st.groups[0][1];
        const val = v ? evalExpr(v, new Map()) : undefined;
        if (typeof val !== "number" || !Number.isInteger(val) || val < 0) {
          out.push(diag("DLP2004", "error", "the seed must be a non-negative integer", v?.span ?? h.span, { label: v ? `found ${exprText(v)}` : "missing value", help: "write `seed 42`" }));
        } else {
          p.seed = val;
          p.seedSpan = v!.span;
        }
        break;
      }
      case "param":
        lowerParam(st, p, out);
        break;
      case "block":
        lowerBlock(st, blocks, out);
        break;
      default: {
        if ((SECTIONS as readonly string[]).includes(h.name)) {
          const key = h.name as SectionName;
          if (!st.block) {
            out.push(diag("DLP1001", "error", `\`${h.name}\` needs a \`{ … }\` body`, st.span, { label: "expected `{`" }));
            break;
          }
          const prev = p[key];
          if (prev) {
            out.push(definedTwice(`\`${h.name}\` section given twice`, h.span, prev.name.span, { second: "second section", first: "first section", help: "merge the two sections" }));
            break;
          }
          p[key] = { name: h, qualifiers: st.groups[0].slice(1), span: st.span, body: st.block };
          break;
        }
        const alt = didYouMean(h.name, PIPELINE_ITEMS);
        out.push(
          diag("DLP2001", "error", `unknown pipeline item \`${h.name}\``, h.span, {
            label: "unknown",
            help: meantHelp(alt) ?? `a pipeline holds ${PIPELINE_ITEMS.map((x) => "`" + x + "`").join(", ")}`,
            fix: alt ? { title: `rename to \`${alt}\``, span: h.span, text: alt } : undefined,
          }),
        );
      }
    }
  }
  for (const req of ["data", "model", "train"] as const) {
    if (!p[req]) out.push(diag("DLP2005", "error", `pipeline \`${p.name}\` has no \`${req}\` section`, p.nameSpan, { label: `missing \`${req} { … }\``, help: `add a \`${req} { … }\` section` }));
  }
  return p;
}

// param NAME = DEFAULT [tune SPACE] [when COND]
function lowerParam(st: Statement, p: PipelineIR, out: Diagnostic[]): void {
  const words = st.groups[0];
  const assign = words[1];
  if (!assign || assign.kind !== "assign" || assign.target.kind !== "name") {
    out.push(diag("DLP1001", "error", "malformed param", assign?.span ?? words[0].span, { label: "expected `NAME = default`", help: "write `param lr = 1e-3 tune log_uniform(1e-4, 1e-2)`" }));
    return;
  }
  const name = assign.target;
  const reserved = reservedParamName(name);
  if (reserved) {
    out.push(reserved);
    return;
  }
  if (p.params.some((q) => q.name === name.name)) {
    const first = p.params.find((q) => q.name === name.name)!;
    out.push(definedTwice(`param \`${name.name}\` defined twice`, name.span, first.nameSpan));
    return;
  }
  const env: Env = new Map(p.params.map((q) => [q.name, q.default]));
  const def = evalExpr(assign.value, env);
  if (def === undefined || (typeof def === "object" && !Array.isArray(def))) {
    out.push(diag("DLP2004", "error", `the default of \`${name.name}\` must be a number, a name or true/false`, assign.value.span, { label: `found ${exprText(assign.value)}` }));
    return;
  }
  const param: ParamIR = { name: name.name, nameSpan: name.span, span: st.span, defaultExpr: assign.value, default: def };
  let i = 2;
  while (i < words.length) {
    const w = words[i];
    if (w.kind === "name" && w.name === "tune") {
      const sp = words[i + 1];
      if (!sp || sp.kind !== "call" || sp.callee.kind !== "name") {
        out.push(diag("DLP1001", "error", "`tune` needs a space", sp?.span ?? w.span, { label: "expected `choice(…)`, `uniform(a, b)`, `log_uniform(a, b)` or `int(a..b)`" }));
        return;
      }
      param.spaceExpr = sp;
      param.space = lowerSpace(sp, name.name, def, env, out);
      i += 2;
      continue;
    }
    if (w.kind === "name" && w.name === "when") {
      const c = words[i + 1];
      if (!c) {
        out.push(diag("DLP1001", "error", "`when` needs a condition", w.span, { label: "expected e.g. `when layers >= 3`" }));
        return;
      }
      param.conditionExpr = c;
      param.condition = lowerCondition(c, p, out);
      i += 2;
      continue;
    }
    const alt = w.kind === "name" ? didYouMean(w.name, ["tune", "when"]) : undefined;
    out.push(diag("DLP1001", "error", `unexpected \`${exprText(w)}\` in param \`${name.name}\``, w.span, { help: meantHelp(alt) ?? "a param reads `param NAME = default [tune SPACE] [when CONDITION]`" }));
    return;
  }
  p.params.push(param);
}

function lowerSpace(call: CallExpr, param: string, def: ArgValue, env: Env, out: Diagnostic[]): SpaceSpec | undefined {
  const kind = (call.callee as NameExpr).name;
  const vals = call.args.map((a) => evalExpr(a.value, env));
  const nums = vals.filter((v): v is number => typeof v === "number");
  const named = (n: string) => call.args.find((a) => a.name?.name === n);
  // Every caller names its code (DLP6001 empty space, DLP6003 log range, DLP2004/2005 form).
  const bad = (message: string, span: Span, help: string | undefined, code: Code) => {
    out.push(diag(code, "error", message, span, { label: "in this space", help }));
    return undefined;
  };
  let space: SpaceSpec | undefined;
  switch (kind) {
    case "choice": {
      if (call.args.length === 0) return bad(`the space of \`${param}\` is empty`, call.span, "list at least one value: `choice(32, 64)`", "DLP6001");
      const values: (number | string | boolean)[] = [];
      for (let k = 0; k < vals.length; k++) {
        const v = vals[k];
        if (v === undefined || typeof v === "object") return bad("a choice lists numbers, names or true/false", call.args[k].value.span, undefined, "DLP2004");
        values.push(v);
      }
      const dup = values.findIndex((v, k) => values.indexOf(v) !== k);
      if (dup >= 0) return bad(`\`${values[dup]}\` is listed twice in the space of \`${param}\``, call.args[dup].value.span, "remove the duplicate", "DLP6001");
      space = { kind: "choice", values };
      break;
    }
    case "uniform":
    case "log_uniform": {
      if (nums.length < 2 || call.args.length < 2) return bad(`\`${kind}\` needs a low and a high bound`, call.span, `write \`${kind}(0.1, 0.5)\``, "DLP2005");
      const [low, high] = nums;
      if (!(low < high)) return bad(`the space of \`${param}\` is empty: ${low} is not below ${high}`, call.argsSpan, "write the smaller bound first", "DLP6001");
      if (kind === "log_uniform" && low <= 0) return bad(`a log range must stay above zero, and \`${param}\`'s starts at ${low}`, call.args[0].value.span, "use a positive low bound such as 1e-5, or `uniform`", "DLP6003");
      const step = named("step") ? evalExpr(named("step")!.value, env) : undefined;
      space = kind === "uniform" ? { kind, low, high, ...(typeof step === "number" ? { step } : {}) } : { kind, low, high };
      break;
    }
    case "int": {
      const r = call.args[0]?.value;
      let low: number | undefined, high: number | undefined, step = 1;
      if (r && r.kind === "range") {
        const lo = evalExpr(r.low, env), hi = evalExpr(r.high, env), st = r.step ? evalExpr(r.step, env) : 1;
        if (typeof lo === "number") low = lo;
        if (typeof hi === "number") high = hi;
        if (typeof st === "number") step = st;
      } else if (nums.length >= 2) {
        [low, high] = nums;
        const st = named("step") ? evalExpr(named("step")!.value, env) : 1;
        if (typeof st === "number") step = st;
      }
      if (low === undefined || high === undefined || !Number.isInteger(low) || !Number.isInteger(high)) return bad("`int` needs an integer range", call.span, "write `int(1..4)` or `int(16..128 step 16)`", "DLP2004");
      // Past 2^53 a float cannot count by one (1e308 + 1 === 1e308): no exact integer range there.
      if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) return bad(`the bounds of an \`int\` range must be exact integers, within ±${Number.MAX_SAFE_INTEGER}`, call.span, "use smaller bounds", "DLP2004");
      if (!(low <= high)) return bad(`the space of \`${param}\` is empty: ${low}..${high}`, call.argsSpan, "write the smaller bound first", "DLP6001");
      if (!Number.isSafeInteger(step) || step < 1) return bad("the step of an `int` range must be a positive integer", call.span, undefined, "DLP2004");
      space = { kind: "int", low, high, step, ...(named("log") ? { log: true } : {}) };
      break;
    }
    default: {
      const alt = didYouMean(kind, ["choice", "uniform", "log_uniform", "int"]);
      out.push(diag("DLP2001", "error", `unknown space \`${kind}\``, call.callee.span, { label: "unknown", help: meantHelp(alt) ?? "spaces are `choice(…)`, `uniform(a, b)`, `log_uniform(a, b)`, `int(a..b step s)`" }));
      return undefined;
    }
  }
  if (space && !inSpace(def, space)) {
    out.push(diag("DLP6007", "warning", `the default of \`${param}\` lies outside its tuning space`, call.span, { label: `default ${String(def)} is not in this space`, help: "make the default one of the values the space can produce" }));
  }
  return space;
}

export function inSpace(v: ArgValue, s: SpaceSpec): boolean {
  switch (s.kind) {
    case "choice":
      return s.values.includes(v as number | string | boolean);
    case "uniform":
    case "log_uniform":
      return typeof v === "number" && v >= s.low && v <= s.high;
    case "int":
      return typeof v === "number" && Number.isInteger(v) && v >= s.low && v <= s.high && (v - s.low) % s.step === 0;
  }
}

function lowerCondition(c: Expr, p: PipelineIR, out: Diagnostic[]): ConditionSpec | undefined {
  if (c.kind !== "binary" || c.left.kind !== "name" || !["==", "!=", "<", "<=", ">", ">="].includes(c.op)) {
    out.push(diag("DLP1001", "error", "a param condition compares another param with a value", c.span, { label: "expected e.g. `layers >= 3`" }));
    return undefined;
  }
  const other = c.left.name;
  if (!p.params.some((q) => q.name === other)) {
    const alt = didYouMean(other, p.params.map((q) => q.name));
    out.push(diag("DLP6008", "error", `condition on unknown param \`${other}\``, c.left.span, { label: "not a param defined above", help: meantHelp(alt) ?? "a condition may only name a param defined before this one" }));
    return undefined;
  }
  const value = evalExpr(c.right, new Map());
  if (value === undefined || typeof value === "object") {
    out.push(diag("DLP2004", "error", "a condition compares with a number, a name or true/false", c.right.span, {}));
    return undefined;
  }
  return { param: other, op: c.op as ConditionSpec["op"], value };
}

// block NAME(params) (inputs) { … return EXPR }
function lowerBlock(st: Statement, blocks: Map<string, BlockIR>, out: Diagnostic[]): void {
  const sig = st.groups[0][1];
  const head = st.groups[0][0];
  let call: CallExpr | undefined;
  let inputsCall: CallExpr | undefined;
  if (sig?.kind === "call" && sig.callee.kind === "call") {
    inputsCall = sig;
    call = sig.callee;
  } else if (sig?.kind === "call") {
    call = sig;
  }
  if (!call || call.callee.kind !== "name" || !st.block) {
    out.push(diag("DLP1001", "error", "malformed block definition", sig?.span ?? head.span, { label: "expected `block NAME(params) (inputs) { … }`", help: "write `block residual(filters) (x) { … return relu(add(x, h)) }`" }));
    return;
  }
  const names = (c: CallExpr | undefined): NameExpr[] | undefined => {
    if (!c) return [];
    const r: NameExpr[] = [];
    for (const a of c.args) {
      if (a.name || a.value.kind !== "name") return undefined;
      r.push(a.value);
    }
    return r;
  };
  const params = names(call);
  const inputs = inputsCall ? names(inputsCall) : [{ kind: "name" as const, name: "x", span: call.span }];
  if (!params || !inputs || inputs.length === 0) {
    out.push(diag("DLP1001", "error", "block parameters and inputs are plain names", call.span, { label: "expected names", help: "write `block residual(filters) (x) { … }`" }));
    return;
  }
  const name = call.callee.name;
  if (blocks.has(name)) {
    out.push(diag("DLP2002", "error", `block \`${name}\` defined twice`, call.callee.span, { label: "second definition", related: [{ span: blocks.get(name)!.nameSpan, message: "first definition" }] }));
    return;
  }
  blocks.set(name, { name, nameSpan: call.callee.span, span: st.span, params, inputs, body: st.block.statements, nodes: [] });
}

/** Arguments of a setting given as a call (`adam(lr: lr)`) or a bare name (`adam`). */
export function callOf(e: Expr): { name: NameExpr; call?: CallExpr } | undefined {
  if (e.kind === "name") return { name: e };
  if (e.kind === "call" && e.callee.kind === "name") return { name: e.callee, call: e };
  return undefined;
}

/** A synthetic empty call for a bare name, so one code path validates both forms. */
export function asCall(name: NameExpr, call?: CallExpr): CallExpr {
  return call ?? { kind: "call", callee: name, args: [], argsSpan: { start: name.span.end, end: name.span.end }, span: name.span };
}

export function argNamed(call: CallExpr | undefined, n: string): Argument | undefined {
  return call?.args.find((a) => a.name?.name === n);
}
