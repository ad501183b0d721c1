// Renderers: terminal (rustc style), JSON (the CLI contract), and LSP ranges.
import { LineMap, type Diagnostic } from "./diagnostic.ts";

export interface Source {
  file: string;
  text: string;
  lines?: LineMap;
}

const COLORS = { error: "\x1b[1;31m", warning: "\x1b[1;33m", info: "\x1b[1;36m", blue: "\x1b[1;34m", bold: "\x1b[1m", reset: "\x1b[0m" };

export function renderTerminal(d: Diagnostic, src: Source, color: boolean): string {
  const c = (k: keyof typeof COLORS, s: string) => (color ? COLORS[k] + s + COLORS.reset : s);
  const lines = src.lines ?? new LineMap(src.text);
  const start = lines.position(d.span.start);
  const end = lines.position(Math.max(d.span.start, d.span.end));
  const labels = [{ span: d.span, message: d.label ?? "", primary: true }, ...d.related.map((r) => ({ ...r, primary: false }))];
  const shown = labels.map((l) => ({ ...l, pos: lines.position(l.span.start), endPos: lines.position(Math.max(l.span.start, l.span.end)) }));
  const lineNos = [...new Set(shown.map((l) => l.pos.line))].sort((a, b) => a - b);
  const width = String(Math.max(...lineNos, end.line)).length;
  const pad = " ".repeat(width);
  const out: string[] = [];
  out.push(`${c(d.severity, `${d.severity}[${d.code}]`)}${c("bold", `: ${d.message}`)}`);
  out.push(`${pad}${c("blue", "-->")} ${src.file}:${start.line}:${start.column}`);
  out.push(`${pad} ${c("blue", "|")}`);
  let prevLine = 0;
  for (const ln of lineNos) {
    if (prevLine && ln > prevLine + 1) out.push(c("blue", "..."));
    prevLine = ln;
    const text = lines.lineText(ln).replace(/\t/g, " ");
    out.push(`${c("blue", String(ln).padStart(width) + " |")} ${text}`);
    for (const l of shown.filter((x) => x.pos.line === ln).sort((a, b) => Number(b.primary) - Number(a.primary))) {
      const from = l.pos.column - 1;
      const to = l.endPos.line === ln ? Math.max(l.endPos.column - 1, from + 1) : Math.max(text.length, from + 1);
      const mark = (l.primary ? "^" : "-").repeat(to - from);
      const colorKey = l.primary ? d.severity : "blue";
      out.push(`${pad} ${c("blue", "|")} ${" ".repeat(from)}${c(colorKey, mark + (l.message ? " " + l.message : ""))}`);
    }
  }
  out.push(`${pad} ${c("blue", "|")}`);
  for (const n of d.notes) out.push(`${pad} ${c("blue", "=")} ${c("bold", "note")}: ${indentRest(n, width + 9)}`);
  if (d.help) out.push(`${pad} ${c("blue", "=")} ${c("bold", "help")}: ${indentRest(d.help, width + 9)}`);
  return out.join("\n");
}

function indentRest(s: string, n: number): string {
  return s.split("\n").join("\n" + " ".repeat(n));
}

export function renderSummaryLine(ds: Diagnostic[], color: boolean): string {
  const errors = ds.filter((d) => d.severity === "error").length;
  const warnings = ds.filter((d) => d.severity === "warning").length;
  const parts: string[] = [];
  if (errors) parts.push(`${errors} error${errors === 1 ? "" : "s"}`);
  if (warnings) parts.push(`${warnings} warning${warnings === 1 ? "" : "s"}`);
  if (!parts.length) return "";
  const s = `${errors ? "error" : "warning"}: ${parts.join(", ")} emitted`;
  return color ? (errors ? COLORS.error : COLORS.warning) + s + COLORS.reset : s;
}

export interface JsonDiagnostic {
  code: string;
  severity: string;
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  message: string;
  label: string | null;
  notes: string[];
  help: string | null;
  related: { line: number; column: number; endLine: number; endColumn: number; message: string }[];
}

export function toJson(d: Diagnostic, src: Source): JsonDiagnostic {
  const lines = src.lines ?? new LineMap(src.text);
  const s = lines.position(d.span.start);
  const e = lines.position(d.span.end);
  return {
    code: d.code,
    severity: d.severity,
    file: src.file,
    line: s.line,
    column: s.column,
    endLine: e.line,
    endColumn: e.column,
    message: d.message,
    label: d.label ?? null,
    notes: d.notes,
    help: d.help ?? null,
    related: d.related.map((r) => {
      const rs = lines.position(r.span.start);
      const re = lines.position(r.span.end);
      return { line: rs.line, column: rs.column, endLine: re.line, endColumn: re.column, message: r.message };
    }),
  };
}

/** LSP positions are 0-based. */
export function toLspRange(span: { start: number; end: number }, lines: LineMap) {
  const s = lines.position(span.start);
  const e = lines.position(span.end);
  return { start: { line: s.line - 1, character: s.column - 1 }, end: { line: e.line - 1, character: e.column - 1 } };
}
