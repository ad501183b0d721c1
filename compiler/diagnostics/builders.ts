// Diagnostics of the kinds that recur across the checker: a name not known where it is used (with
// "did you mean"), a thing defined twice (with the first definition beside the second), and the
// code of a syntax error. Each builds exactly the diagnostic the hand-written sites built, so the
// rendered text is the same; a new site uses these instead of spelling the pattern out again.
import type { Span } from "../../grammar/ast.ts";
import type { SyntaxError } from "../../grammar/parser.ts";
import { didYouMean, meantHelp } from "../semantic/names.ts";
import { diag, type Diagnostic } from "./diagnostic.ts";

export interface UnknownNameOptions {
  /** The unknown-name code: DLP2001 a name, DLP2003 a call's argument, DLP4004 a data source or field. */
  code?: "DLP2001" | "DLP2003" | "DLP4004" | "DLP5009";
  /** Text under the caret. */
  label?: string;
  /** The help when no known name is close enough (e.g. the list of known ones). */
  otherwise?: string;
  /** Offer the editor a quick fix that renames to the suggestion (title "rename to `alt`"). */
  fix?: boolean;
  notes?: string[];
}

/**
 * `message` about `name` at `span`; the help is "did you mean `alt`?" when one of `known` is close
 * to `name` (compiler/semantic/names.ts), `otherwise` when none is.
 */
export function unknownName(message: string, name: string, span: Span, known: Iterable<string>, o: UnknownNameOptions = {}): Diagnostic {
  const alt = didYouMean(name, [...known]);
  return diag(o.code ?? "DLP2001", "error", message, span, {
    ...(o.label !== undefined ? { label: o.label } : {}),
    ...(o.notes ? { notes: o.notes } : {}),
    help: meantHelp(alt) ?? o.otherwise,
    fix: alt && o.fix ? { title: `rename to \`${alt}\``, span, text: alt } : undefined,
  });
}

export interface DefinedTwiceOptions {
  /** Under the second definition's caret (default "second definition"). */
  second?: string;
  /** Beside the first definition (default "first definition"). */
  first?: string;
  help?: string;
}

/** DLP2002: `message` at the second definition, with the first one shown as a related location. */
export function definedTwice(message: string, span: Span, firstSpan: Span, o: DefinedTwiceOptions = {}): Diagnostic {
  return diag("DLP2002", "error", message, span, {
    label: o.second ?? "second definition",
    related: [{ span: firstSpan, message: o.first ?? "first definition" }],
    ...(o.help !== undefined ? { help: o.help } : {}),
  });
}

/** The code of a syntax error: DLP1002 an unterminated string, DLP1003 a character the lexer does
 *  not know, DLP1004 nesting past the parser's depth limits, DLP1001 everything else the parser
 *  reports. */
export function syntaxErrorCode(e: Pick<SyntaxError, "kind" | "lexical">): "DLP1001" | "DLP1002" | "DLP1003" | "DLP1004" {
  if (e.kind === "depth") return "DLP1004";
  if (e.kind !== "lex") return "DLP1001";
  return e.lexical === "unterminated_string" ? "DLP1002" : "DLP1003";
}
