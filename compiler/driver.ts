// The one entry point: text in, diagnostics and a checked pipeline out. The CLI, the
// language server and the emitter all call `compile`.
import { createHash } from "node:crypto";
import { parseDlp } from "../grammar/parser.ts";
import { syntaxErrorCode } from "./diagnostics/builders.ts";
import type { SourceFile } from "../grammar/ast.ts";
import { diag, LineMap, sortDiagnostics, type Diagnostic } from "./diagnostics/diagnostic.ts";
import { lowerFile } from "./semantic/lower.ts";
import { checkPipeline, type CheckedPipeline } from "./semantic/check.ts";

export interface CompileResult {
  file: string;
  text: string;
  lines: LineMap;
  ast: SourceFile;
  diagnostics: Diagnostic[];
  checked?: CheckedPipeline;
  hasErrors: boolean;
  sourceHash: string;
}

export function compile(text: string, options: { file?: string } = {}): CompileResult {
  const file = options.file ?? "<input>";
  const out: Diagnostic[] = [];
  const parsed = parseDlp(text);
  for (const e of parsed.errors) {
    const span = { start: e.start, end: Math.max(e.end, e.start) };
    if (e.kind === "comma") out.push(diag("DLP1001", "error", e.message, span, { label: "missing `,`", fix: { title: "insert `,`", span, text: "," } }));
    else out.push(diag(syntaxErrorCode(e), "error", e.message, span, { label: e.kind === "lex" ? "here" : e.kind === "depth" ? "too deep" : "unexpected here" }));
  }
  let checked: CheckedPipeline | undefined;
  try {
    const lowered = lowerFile(parsed.ast, out);
    if (lowered.pipeline) checked = checkPipeline(lowered.pipeline, out);
  } catch (err) {
    // A checker bug must never reach the user as a stack trace; it becomes a diagnostic.
    out.push(diag("DLP0001", "error", `internal compiler error: ${(err as Error).message}`, { start: 0, end: 0 }, { help: "please report this with the .dlp file" }));
  }
  const diagnostics = sortDiagnostics(dedupe(out));
  return {
    file,
    text,
    lines: new LineMap(text),
    ast: parsed.ast,
    diagnostics,
    checked,
    hasErrors: diagnostics.some((d) => d.severity === "error"),
    sourceHash: createHash("sha256").update(text).digest("hex"),
  };
}

/** One diagnostic per code, span and message (two analyses can reach the same error). */
export function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.code}|${d.span.start}|${d.span.end}|${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
