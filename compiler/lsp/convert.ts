// The LSP renderer: compiler Diagnostics (offsets) → LSP Diagnostics (0-based UTF-16
// positions), with the secondary labels as relatedInformation. The message carries the
// title first, then the label, notes and help, so an editor's hover shows what
// `dlpc check` prints.
import { fileURLToPath, pathToFileURL } from "node:url";
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic, type DiagnosticRelatedInformation, type Range } from "vscode-languageserver";
import type { Diagnostic, LineMap } from "../diagnostics/diagnostic.ts";
import type { Span } from "../../grammar/ast.ts";
import { toLspRange } from "../diagnostics/render.ts";

export const SOURCE = "dlpc";
/** Where the diagnostic codes are explained (docs/diagnostics.md, shipped with dlp, as a file URL the editor opens); codeDescription links each code there. */
export const CODES_URL = pathToFileURL(fileURLToPath(new URL("../../docs/diagnostics.md", import.meta.url))).href;

export function spanToRange(span: Span, lines: LineMap): Range {
  return toLspRange({ start: span.start, end: Math.max(span.start, span.end) }, lines);
}

/** Position → offset, clamped to the text (out-of-range positions from a client degrade, never throw). */
export function offsetAt(lines: LineMap, pos: { line: number; character: number }): number {
  const line = Math.max(0, Math.floor(Number(pos.line) || 0));
  const ch = Math.max(0, Math.floor(Number(pos.character) || 0));
  if (line + 1 > lines.lineCount) return lines.text.length;
  return lines.offset(line + 1, ch + 1);
}

export interface DiagnosticData {
  help?: string;
  fix?: { title: string; text: string; range: Range };
}

export function toLspDiagnostic(d: Diagnostic, lines: LineMap, uri: string): LspDiagnostic {
  const parts = [d.message];
  if (d.label) parts.push(d.label);
  for (const n of d.notes) parts.push(`note: ${n}`);
  if (d.help) parts.push(`help: ${d.help}`);
  const related: DiagnosticRelatedInformation[] = d.related.map((r) => ({ location: { uri, range: spanToRange(r.span, lines) }, message: r.message }));
  const data: DiagnosticData = {};
  if (d.help) data.help = d.help;
  if (d.fix) data.fix = { title: d.fix.title, text: d.fix.text, range: spanToRange(d.fix.span, lines) };
  return {
    range: spanToRange(d.span, lines),
    severity: d.severity === "error" ? DiagnosticSeverity.Error : d.severity === "warning" ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
    code: d.code,
    codeDescription: { href: `${CODES_URL}#${d.code.toLowerCase()}` },
    source: SOURCE,
    message: parts.join("\n"),
    ...(related.length ? { relatedInformation: related } : {}),
    data,
  };
}
