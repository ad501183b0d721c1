// Evaluating argument expressions (for checking, with concrete param values) and emitting
// them as TypeScript (for codegen, with params as `p.name`). Both read the same AST.
import type { ErrorObject } from "ajv";
import { validator } from "./validators.ts";
import { forEachChild, type Argument, type CallExpr, type Expr, type Span, type Statement } from "../../grammar/ast.ts";
import type { ArgValue, Args } from "./layers/types.ts";
import { diag, type Diagnostic } from "../diagnostics/diagnostic.ts";
import { argumentMeant, didYouMean, meantHelp } from "./names.ts";
import { definedTwice } from "../diagnostics/builders.ts";
import { getLayer } from "./layers/index.ts";
import { Term, lit, numberCode, type ParamRefs } from "./term.ts";

export type Env = ReadonlyMap<string, ArgValue>;

/** Evaluates an expression; bare names not in `env` are symbols (enum values such as `relu`). */
export function evalExpr(e: Expr, env: Env): ArgValue | undefined {
  switch (e.kind) {
    case "number":
      return e.value;
    case "string":
      return e.value;
    case "bool":
      return e.value;
    case "name":
      return env.has(e.name) ? env.get(e.name) : e.name;
    case "list": {
      const out: ArgValue[] = [];
      for (const i of e.items) {
        const v = evalExpr(i, env);
        if (v === undefined) return undefined;
        out.push(v);
      }
      return out;
    }
    case "unary": {
      const v = evalExpr(e.operand, env);
      if (e.op === "-") return typeof v === "number" ? -v : undefined;
      return typeof v === "boolean" ? !v : undefined;
    }
    case "binary": {
      const a = evalExpr(e.left, env);
      const b = evalExpr(e.right, env);
      if (a === undefined || b === undefined) return undefined;
      switch (e.op) {
        case "and":
          return a === true && b === true;
        case "or":
          return a === true || b === true;
        case "==":
          return a === b;
        case "!=":
          return a !== b;
      }
      if (typeof a !== "number" || typeof b !== "number") return undefined;
      switch (e.op) {
        case "+":
          return a + b;
        case "-":
          return a - b;
        case "*":
          return a * b;
        case "/":
          return b === 0 ? undefined : a / b;
        case "<":
          return a < b;
        case "<=":
          return a <= b;
        case ">":
          return a > b;
        case ">=":
          return a >= b;
      }
      return undefined;
    }
    case "call": {
      // A nested layer call as an argument (bidirectional(lstm(64))).
      if (e.callee.kind !== "name") return undefined;
      // Positional arguments take the nested layer's positional names, as at top level
      // (bidirectional(lstm(64)) is lstm(units: 64)); the schema then checks them.
      const positional = getLayer(e.callee.name)?.positional ?? [];
      const args: Args = {};
      let pos = 0;
      for (const a of e.args) {
        const v = evalExpr(a.value, env);
        if (v === undefined) return undefined;
        const key = a.name ? a.name.name : positional[pos] ?? `#${pos}`;
        if (!a.name) pos++;
        args[key] = v;
      }
      return { layer: e.callee.name, args };
    }
    default:
      return undefined;
  }
}

const TS_OPS: Record<string, string> = { and: "&&", or: "||", "==": "===", "!=": "!==" };

/** Emits an expression as TypeScript. `names` maps bound names to code; other names become string literals. */
export function emitExpr(e: Expr, names: ReadonlyMap<string, string>): string {
  switch (e.kind) {
    case "number":
      return numberCode(e.value);
    case "string":
      return JSON.stringify(e.value);
    case "bool":
      return String(e.value);
    case "name":
      return names.get(e.name) ?? JSON.stringify(e.name);
    case "list":
      return `[${e.items.map((i) => emitExpr(i, names)).join(", ")}]`;
    case "unary":
      return e.op === "-" ? `-${wrap(e.operand, names)}` : `!${wrap(e.operand, names)}`;
    case "binary":
      return `${wrap(e.left, names)} ${TS_OPS[e.op] ?? e.op} ${wrap(e.right, names)}`;
    default:
      return "undefined";
  }
}

function wrap(e: Expr, names: ReadonlyMap<string, string>): string {
  const s = emitExpr(e, names);
  return e.kind === "binary" ? `(${s})` : s;
}

export { numberCode };

/** Names read by statements, nested blocks included; with `closure`, also those of the user blocks they call. */
export function statementNames(sts: Statement[], closure?: Map<string, Set<string>>): Set<string> {
  const names = new Set<string>();
  const walk = (list: Statement[]) => {
    for (const s of list) {
      for (const g of s.groups) for (const e of g) namesIn(e, names);
      if (s.block) walk(s.block.statements);
    }
  };
  walk(sts);
  if (closure) for (const n of [...names]) for (const x of closure.get(n) ?? []) names.add(x);
  return names;
}

/** Names an expression depends on (for "does this param affect shapes"). */
export function namesIn(e: Expr, out = new Set<string>()): Set<string> {
  const visit = (x: Expr): void => {
    if (x.kind === "name") out.add(x.name);
    else forEachChild(x, visit);
  };
  visit(e);
  return out;
}

// ---- calls checked against a JSON Schema ---------------------------------------------

export interface CallSignature {
  /** What the call is, for messages: "conv2d", "optimizer adam". */
  what: string;
  positional: string[];
  schema: Record<string, unknown>;
}

export interface BoundArgs {
  /** Argument expressions by name. */
  exprs: Map<string, Argument>;
  ok: boolean;
}

/** Matches positional and named arguments to names; reports unknown, duplicate and surplus ones. */
export function bindArgs(call: CallExpr, sig: CallSignature, out: Diagnostic[], skip: (a: Argument) => boolean = () => false): BoundArgs {
  const exprs = new Map<string, Argument>();
  const props = Object.keys((sig.schema.properties ?? {}) as Record<string, unknown>);
  let ok = true;
  let pos = 0;
  for (const a of call.args) {
    if (skip(a)) continue;
    let name: string;
    if (a.name) {
      name = a.name.name;
      if (!props.includes(name)) {
        const meant = argumentMeant(name, props);
        const alt = meant?.name;
        out.push(
          diag("DLP2003", "error", `unknown argument \`${name}\` for ${sig.what}`, a.name.span, {
            label: meant?.keras ? "Keras's spelling" : "unknown argument",
            help: meantHelp(alt, { note: meant?.keras ? `(dlp's name for Keras's \`${name}\`)` : undefined }) ?? `${sig.what} takes ${props.map((p) => "`" + p + "`").join(", ") || "no arguments"}`,
            fix: alt ? { title: `rename to \`${alt}\``, span: a.name.span, text: alt } : undefined,
          }),
        );
        ok = false;
        continue;
      }
    } else {
      if (pos >= sig.positional.length) {
        out.push(
          diag("DLP2006", "error", `too many positional arguments for ${sig.what}`, a.span, {
            label: `${sig.what} takes ${sig.positional.length} positional argument${sig.positional.length === 1 ? "" : "s"}`,
            help: sig.positional.length ? `positional arguments are ${sig.positional.map((p) => "`" + p + "`").join(", ")}; name the others` : "name the arguments",
          }),
        );
        ok = false;
        continue;
      }
      name = sig.positional[pos++];
    }
    if (exprs.has(name)) {
      out.push(definedTwice(`argument \`${name}\` given twice`, a.span, exprs.get(name)!.span, { second: "second value", first: "first value" }));
      ok = false;
      continue;
    }
    exprs.set(name, a);
  }
  return { exprs, ok };
}

/** Validates evaluated args (filling defaults); errors map to the argument's span. */
export function validateArgs(
  args: Args,
  sig: CallSignature,
  bound: BoundArgs,
  call: CallExpr,
  out: Diagnostic[],
  context = "",
): boolean {
  const v = validator(sig.schema);
  if (v(args)) return true;
  const seen = new Set<string>();
  for (const err of v.errors ?? []) {
    const d = ajvDiagnostic(err, sig, bound, call, args, context);
    const key = d.code + d.span.start + d.message;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return false;
}

function ajvDiagnostic(err: ErrorObject, sig: CallSignature, bound: BoundArgs, call: CallExpr, args: Args, context: string): Diagnostic {
  const argName = err.instancePath.split("/")[1];
  const where: Span = argName && bound.exprs.has(argName) ? bound.exprs.get(argName)!.value.span : call.span;
  const notes = context ? [context] : [];
  if (err.keyword === "required") {
    const missing = (err.params as { missingProperty: string }).missingProperty;
    return diag("DLP2005", "error", `${sig.what} needs \`${missing}\``, call.span, {
      label: `missing \`${missing}\``,
      notes,
      help: `write \`${missing}: …\`${sig.positional.includes(missing) ? ` or give it as positional argument ${sig.positional.indexOf(missing) + 1}` : ""}`,
    });
  }
  const given = argName !== undefined ? formatValue(args[argName]) : "";
  if (err.keyword === "enum") {
    const allowed = ((err.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String);
    const alt = didYouMean(String(args[argName] ?? ""), allowed);
    return diag("DLP2004", "error", `\`${given}\` is not a valid \`${argName}\` for ${sig.what}`, where, {
      label: `expected one of ${allowed.slice(0, 8).join(", ")}${allowed.length > 8 ? ", …" : ""}`,
      notes,
      help: meantHelp(alt),
      fix: alt && argName && bound.exprs.has(argName) ? { title: `replace with \`${alt}\``, span: where, text: alt } : undefined,
    });
  }
  const expectation = describeAjv(err);
  return diag("DLP2004", "error", `invalid \`${argName ?? "arguments"}\` for ${sig.what}: ${expectation}`, where, {
    label: argName ? `found ${given}` : expectation,
    notes,
    help: argName ? `\`${argName}\` ${expectation}` : undefined,
  });
}

function describeAjv(err: ErrorObject): string {
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case "type":
      return `must be ${p.type === "integer" ? "an integer" : p.type === "number" ? "a number" : p.type === "boolean" ? "true or false" : p.type === "string" ? "a name or string" : String(p.type)}`;
    case "minimum":
      return `must be ≥ ${p.limit}`;
    case "maximum":
      return `must be ≤ ${p.limit}`;
    case "exclusiveMinimum":
      return `must be > ${p.limit}`;
    case "exclusiveMaximum":
      return `must be < ${p.limit}`;
    case "minItems":
    case "maxItems":
      return `must have ${p.limit} items`;
    case "oneOf":
    case "anyOf":
      return "has the wrong form";
    default:
      return err.message ?? "is invalid";
  }
}

export function formatValue(v: ArgValue | undefined): string {
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return `[${v.map(formatValue).join(", ")}]`;
  if (typeof v === "object") return `${v.layer}(…)`;
  return String(v);
}

// ---- terms: an argument's value with the code that computes it from `p` ---------------------

function readsParam(e: Expr, refs: ParamRefs): boolean {
  switch (e.kind) {
    case "name":
      return refs.has(e.name);
    case "list":
      return e.items.some((i) => readsParam(i, refs));
    case "unary":
      return readsParam(e.operand, refs);
    case "binary":
      return readsParam(e.left, refs) || readsParam(e.right, refs);
    case "range":
      return readsParam(e.low, refs) || readsParam(e.high, refs);
    default:
      return false;
  }
}

/** The term of a source expression whose value the checker evaluated (a written list keeps its items). */
export function termOf(e: Expr, value: ArgValue, refs: ParamRefs): Term {
  const parts = e.kind === "list" && Array.isArray(value) && value.length === e.items.length ? e.items.map((x, i) => termOf(x, (value as ArgValue[])[i], refs)) : undefined;
  return new Term(value, () => emitExpr(e, refs), readsParam(e, refs), parts);
}

/** A Term for each value of an args object: the written expression where there is one, else the schema default. */
export function termsOf(args: Record<string, ArgValue>, exprs: ReadonlyMap<string, { value: Expr }>, refs: ParamRefs): Record<string, Term> {
  const out: Record<string, Term> = {};
  for (const [k, v] of Object.entries(args)) {
    const e = exprs.get(k);
    out[k] = e ? termOf(e.value, v, refs) : lit(v);
  }
  return out;
}
