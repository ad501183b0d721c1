// What every section checker shares: a call checked against its catalog signature (values and
// terms), and the unknown-setting diagnostic.
import type { CallExpr, Expr } from "../../../grammar/ast.ts";
import { exprText } from "../../../grammar/ast.ts";
import { diag, type Diagnostic } from "../../diagnostics/diagnostic.ts";
import type { Args } from "../layers/types.ts";
import type { Setting } from "../lower.ts";
import { didYouMean, meantHelp } from "../names.ts";
import { bindArgs, evalExpr, namesIn, termsOf, validateArgs, type CallSignature, type Env } from "../values.ts";
import type { ParamRefs, Term } from "../term.ts";

export const tick = (s: string) => "`" + s + "`";

/** True when the expression reads a param. */
export const readsAParam = (e: Expr, refs: ParamRefs): boolean => [...namesIn(e)].some((n) => refs.has(n));


export function unknownSetting(s: Setting, where: string, allowed: string[], out: Diagnostic[]): void {
  const alt = didYouMean(s.name.name, allowed);
  out.push(
    diag("DLP2001", "error", `unknown ${where} setting \`${s.name.name}\``, s.name.span, {
      label: "unknown",
      help: meantHelp(alt) ?? `${where} settings are ${allowed.map(tick).join(", ")}`,
      fix: alt ? { title: `rename to \`${alt}\``, span: s.name.span, text: alt } : undefined,
    }),
  );
}

/** A checked call: its evaluated args with defaults, and each as a term (value and code). */
export interface CheckedCall {
  args: Args;
  t: Record<string, Term>;
}

export const NO_PARAMS: ParamRefs = new Map();

/** Checks a call against a signature; returns evaluated args with defaults and their terms, or undefined. */
export function checkCall(call: CallExpr, sig: CallSignature, env: Env, out: Diagnostic[], refs: ParamRefs): CheckedCall | undefined {
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

