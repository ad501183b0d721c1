// Diagnostics are data: the checker collects them, and the terminal, JSON and LSP
// renderers only format them. Positions are offsets; line/column come from a LineMap.
import type { Span } from "../../grammar/ast.ts";
import type { Code, Severity } from "./codes.ts";

export type { Code, Severity } from "./codes.ts";

export interface Label {
  span: Span;
  message: string;
}

export interface Diagnostic {
  /** A code of the catalogue (codes.ts). */
  code: Code;
  severity: Severity;
  /** Specific title, lower-case, no final period. */
  message: string;
  span: Span;
  /** Text under the primary caret. */
  label?: string;
  /** Secondary labels (related locations). */
  related: Label[];
  /** `= note:` lines: the shape trace, the offending combination, expected vs found. */
  notes: string[];
  /** `= help:` line: the fix. */
  help?: string;
  /** A machine-applicable fix for the editor: replace `span` with `text`. */
  fix?: { title: string; span: Span; text: string };
}

export function diag(
  code: Code,
  severity: Severity,
  message: string,
  span: Span,
  extra: Partial<Omit<Diagnostic, "code" | "severity" | "message" | "span">> = {},
): Diagnostic {
  return { code, severity, message, span, related: extra.related ?? [], notes: extra.notes ?? [], ...withoutArrays(extra) };
}

function withoutArrays(extra: Partial<Diagnostic>): Partial<Diagnostic> {
  const { related: _r, notes: _n, ...rest } = extra;
  return rest;
}

/** Offsets to 1-based lines and columns (columns count UTF-16 units, as LSP does). */
export class LineMap {
  private starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  position(offset: number): { line: number; column: number } {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: o - this.starts[lo] + 1 };
  }
  offset(line: number, column: number): number {
    const l = Math.max(1, Math.min(line, this.starts.length));
    return Math.min(this.starts[l - 1] + column - 1, this.lineEnd(l));
  }
  lineText(line: number): string {
    const s = this.starts[line - 1] ?? this.text.length;
    return this.text.slice(s, this.lineEnd(line)).replace(/\r$/, "");
  }
  lineEnd(line: number): number {
    const next = this.starts[line];
    return next === undefined ? this.text.length : next - 1;
  }
  get lineCount(): number {
    return this.starts.length;
  }
}

export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => a.span.start - b.span.start || a.code.localeCompare(b.code));
}
