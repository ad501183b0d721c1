// One document's analysis: the driver's compile (the same as `dlpc check`), plus what the
// editor features need — where each layer and block call sits and which shapes went through.
//
// Half-typed lines: when the lines edited since the last settled version hold an error
// (or the edit added a syntax error), the rest of the file is checked against a hybrid text
// in which those lines keep their last settled content. The published diagnostics are then
// the current ones on the edited lines and every syntax error, plus the hybrid's outside
// them — so typing `den` in a model does not poison, and wipe, the shape errors below it.
import { compile, dedupe, type CompileResult } from "../driver.ts";
import { diag, LineMap, sortDiagnostics, type Diagnostic } from "../diagnostics/diagnostic.ts";
import { CODES } from "../diagnostics/codes.ts";
import type { CallExpr, Span } from "../../grammar/ast.ts";
import type { BlockCallInstance, LayerInstance } from "../semantic/model.ts";

export interface LayerSite {
  call: CallExpr;
  instances: LayerInstance[];
}
export interface BlockSite {
  call: CallExpr;
  instances: BlockCallInstance[];
}

export interface Analysis {
  text: string;
  lines: LineMap;
  /** The compile of the current text; undefined when the file is too large to check live. */
  result?: CompileResult;
  /** What is published: the current compile, or the merge described above. */
  diagnostics: Diagnostic[];
  /** Layer calls with their instances (a call inside a block has one per use of the block). */
  layers: LayerSite[];
  blockCalls: BlockSite[];
  /** Whether the hybrid check ran for this version. */
  recovered: boolean;
}

export interface AnalyzerOptions {
  /** Above this many characters the file is not checked live (a warning says so). */
  maxSize: number;
}

export const DEFAULT_MAX_SIZE = 1_000_000;

const isSyntax = (d: Diagnostic) => CODES[d.code].phase === "syntax";
const syntaxErrorCount = (ds: Diagnostic[]) => ds.filter((d) => d.severity === "error" && isSyntax(d)).length;

/** Keeps the last settled text of one document between edits. */
export class Analyzer {
  private anchor: string | undefined;
  private anchorSyntaxErrors = 0;
  constructor(
    private readonly file: string,
    private readonly options: AnalyzerOptions = { maxSize: DEFAULT_MAX_SIZE },
  ) {}

  analyze(text: string): Analysis {
    const lines = new LineMap(text);
    if (text.length > this.options.maxSize) {
      const mb = (n: number) => (n / 1_000_000).toFixed(1);
      const d = diag("DLP0002", "warning", `file too large to check while editing (${mb(text.length)} MB, the limit is ${mb(this.options.maxSize)} MB)`, { start: 0, end: 0 }, { help: "run `dlpc check` on it from a terminal" });
      this.anchor = undefined;
      return { text, lines, diagnostics: [d], layers: [], blockCalls: [], recovered: false };
    }
    const result = compile(text, { file: this.file });
    let diagnostics = result.diagnostics;
    let recovered = false;
    const anchor = this.anchor;
    const region = anchor === undefined ? undefined : changedRegion(anchor, text);
    if (anchor !== undefined && region) {
      const { curStart, curEnd } = region;
      const inRegion = (s: Span) => s.start <= curEnd && s.end >= curStart;
      const unsettled = result.diagnostics.some((d) => d.severity === "error" && inRegion(d.span)) || syntaxErrorCount(result.diagnostics) > this.anchorSyntaxErrors;
      if (unsettled) {
        recovered = true;
        const hybrid = text.slice(0, curStart) + anchor.slice(region.oldStart, region.oldEnd) + text.slice(curEnd);
        const other = compile(hybrid, { file: this.file });
        const delta = curEnd - curStart - (region.oldEnd - region.oldStart);
        const mapped: Diagnostic[] = [];
        for (const d of other.diagnostics) {
          if (isSyntax(d)) continue; // the current text's syntax errors are the truth
          const m = mapDiagnostic(d, region.oldStart, region.oldEnd, delta);
          if (m) mapped.push(m);
        }
        const current = result.diagnostics.filter((d) => isSyntax(d) || inRegion(d.span));
        diagnostics = sortDiagnostics(dedupe([...current, ...mapped]));
      }
    }
    if (!recovered) {
      this.anchor = text;
      this.anchorSyntaxErrors = syntaxErrorCount(result.diagnostics);
    }
    const { layers, blockCalls } = sites(result);
    return { text, lines, result, diagnostics, layers, blockCalls, recovered };
  }
}

/** The line range that differs between two texts, as offsets in each (common prefix and suffix of whole lines). */
export function changedRegion(old: string, cur: string): { oldStart: number; oldEnd: number; curStart: number; curEnd: number } | undefined {
  if (old === cur) return undefined;
  const max = Math.min(old.length, cur.length);
  let p = 0;
  while (p < max && old.charCodeAt(p) === cur.charCodeAt(p)) p++;
  // back to the start of the line
  const start = p === 0 ? 0 : cur.lastIndexOf("\n", p - 1) + 1;
  let s = 0;
  while (s < max - start && old.charCodeAt(old.length - 1 - s) === cur.charCodeAt(cur.length - 1 - s)) s++;
  // forward to the end of the line (the offset of its newline, or the end of the text)
  let oldEnd = old.length - s;
  let curEnd = cur.length - s;
  const nl = cur.indexOf("\n", curEnd);
  const extend = (nl === -1 ? cur.length : nl) - curEnd;
  curEnd += extend;
  oldEnd += extend;
  return { oldStart: start, oldEnd: Math.min(oldEnd, old.length), curStart: start, curEnd: Math.min(curEnd, cur.length) };
}

function mapSpan(s: Span, oldStart: number, oldEnd: number, delta: number): Span | undefined {
  if (s.end <= oldStart && s.start < oldStart) return s;
  if (s.start > oldEnd) return { start: s.start + delta, end: s.end + delta };
  if (s.start < oldStart && s.end > oldEnd) return { start: s.start, end: s.end + delta }; // encloses the edited lines
  return undefined;
}

function mapDiagnostic(d: Diagnostic, oldStart: number, oldEnd: number, delta: number): Diagnostic | undefined {
  const span = mapSpan(d.span, oldStart, oldEnd, delta);
  if (!span) return undefined;
  const related = d.related.flatMap((r) => {
    const rs = mapSpan(r.span, oldStart, oldEnd, delta);
    return rs ? [{ ...r, span: rs }] : [];
  });
  let fix = d.fix;
  if (fix) {
    const fs = mapSpan(fix.span, oldStart, oldEnd, delta);
    fix = fs ? { ...fix, span: fs } : undefined;
  }
  return { ...d, span, related, ...(fix ? { fix } : { fix: undefined }) };
}

function sites(r: CompileResult): { layers: LayerSite[]; blockCalls: BlockSite[] } {
  const model = r.checked?.model;
  const layers = new Map<CallExpr, LayerSite>();
  for (const l of model?.layers ?? []) {
    const s = layers.get(l.call);
    if (s) s.instances.push(l);
    else layers.set(l.call, { call: l.call, instances: [l] });
  }
  const blocks = new Map<CallExpr, BlockSite>();
  for (const b of model?.blockCalls ?? []) {
    const s = blocks.get(b.call);
    if (s) s.instances.push(b);
    else blocks.set(b.call, { call: b.call, instances: [b] });
  }
  return { layers: [...layers.values()], blockCalls: [...blocks.values()] };
}

/** The innermost site whose call contains the offset (the callee name counts as inside). */
export function siteAt<T extends { call: CallExpr }>(sitesList: T[], offset: number): T | undefined {
  let best: T | undefined;
  for (const s of sitesList) {
    const sp = s.call.span;
    if (offset < sp.start || offset > sp.end) continue;
    if (!best || sp.end - sp.start < best.call.span.end - best.call.span.start) best = s;
  }
  return best;
}
