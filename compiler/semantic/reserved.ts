// Names a param may not take: every property of Object.prototype (`__proto__`, `constructor`,
// `toString`, …). Params become keys of plain objects in the emitted code, in `--set` overrides
// and in study rows, where such a key changes the object's prototype or shadows its methods.
import type { NameExpr } from "../../grammar/ast.ts";
import { diag, type Diagnostic } from "../diagnostics/diagnostic.ts";

export const RESERVED_PARAM_NAMES: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), "prototype"]);

/** DLP2009 for a reserved param name, or undefined. */
export function reservedParamName(name: NameExpr): Diagnostic | undefined {
  if (!RESERVED_PARAM_NAMES.has(name.name)) return undefined;
  return diag("DLP2009", "error", `\`${name.name}\` cannot name a param`, name.span, {
    label: "reserved name",
    notes: ["params become keys of plain objects (the emitted `Params`, `--set` overrides, tuning studies), where this name would change the object's prototype or hide one of its methods"],
    help: `choose another name, e.g. \`${name.name.replace(/^_+|_+$/g, "") || "p"}_value\``,
  });
}
