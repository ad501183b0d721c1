// Inlay hints (each layer's output shape at the end of its line) and document symbols
// (pipeline → params, blocks, sections → layers).
import { InlayHintKind, SymbolKind, type DocumentSymbol, type InlayHint } from "vscode-languageserver";
import type { Analysis } from "./analysis.ts";
import { spanToRange } from "./convert.ts";
import { fmtShape } from "../semantic/layers/index.ts";
import { exprText, headName, type Span, type Statement } from "../../grammar/ast.ts";
import type { TensorShape } from "../semantic/layers/types.ts";

/** Hints for the lines first..last (0-based, inclusive). */
export function inlayHints(a: Analysis, first: number, last: number): InlayHint[] {
  // Per line, the call that ends last on it: the outer call of `relu(add(x, h))`, the last stage of a pipe.
  const best = new Map<number, { end: number; size: number; shapes: TensorShape[]; params: number[] }>();
  const consider = (span: Span, shapes: TensorShape[], params: number[]) => {
    const line = a.lines.position(span.end).line - 1;
    if (line < first || line > last) return;
    const cur = best.get(line);
    const size = span.end - span.start;
    if (!cur || span.end > cur.end || (span.end === cur.end && size > cur.size)) best.set(line, { end: span.end, size, shapes, params });
  };
  for (const s of a.layers) consider(s.call.span, s.instances.map((l) => l.output), s.instances.map((l) => l.params.trainable + l.params.nonTrainable));
  for (const s of a.blockCalls) consider(s.call.span, s.instances.map((b) => b.output), []);
  const out: InlayHint[] = [];
  for (const [line, h] of [...best].sort((x, y) => x[0] - y[0])) {
    const shapes = [...new Set(h.shapes.map(fmtShape))];
    const label = shapes.length > 3 ? `${shapes.slice(0, 3).join(" | ")} | …` : shapes.join(" | ");
    const character = a.lines.lineText(line + 1).length;
    const total = h.params.reduce((x, y) => x + y, 0);
    out.push({
      position: { line, character },
      label: `→ ${label}`,
      kind: InlayHintKind.Type,
      paddingLeft: true,
      // NaN: a count over an axis an earlier error left unknown: no tooltip then.
      ...(h.params.length && !Number.isNaN(total) ? { tooltip: `${total.toLocaleString("en-US")} parameters${h.params.length > 1 ? ` over ${h.params.length} instances` : ""}` } : {}),
    });
  }
  return out;
}

export function documentSymbols(a: Analysis): DocumentSymbol[] {
  const r = a.result;
  if (!r) return [];
  const ir = r.checked?.ir;
  const range = (s: Span) => spanToRange(s, a.lines);
  const sym = (name: string, kind: SymbolKind, span: Span, sel: Span, detail?: string, children?: DocumentSymbol[]): DocumentSymbol => ({
    name: name || "?",
    kind,
    range: range(span),
    selectionRange: range(sel.start >= span.start && sel.end <= span.end ? sel : span),
    ...(detail ? { detail } : {}),
    ...(children && children.length ? { children } : {}),
  });
  const out: DocumentSymbol[] = [];
  const blocks = [...(ir?.blocks.values() ?? [])];
  const blockSym = (b: (typeof blocks)[number]) => sym(b.name, SymbolKind.Function, b.span, b.nameSpan, `(${b.params.map((p) => p.name).join(", ")}) (${b.inputs.map((p) => p.name).join(", ")})`, layerSymbols(a, b.body));
  if (ir) {
    const children: DocumentSymbol[] = [];
    for (const p of ir.params) children.push(sym(p.name, SymbolKind.Variable, p.span, p.nameSpan, `= ${exprText(p.defaultExpr)}${p.spaceExpr ? ` tune ${exprText(p.spaceExpr)}` : ""}`));
    for (const b of blocks) if (b.span.start >= ir.span.start && b.span.end <= ir.span.end) children.push(blockSym(b));
    for (const key of ["data", "model", "train", "evaluate", "tune"] as const) {
      const sec = ir[key];
      if (!sec) continue;
      const detail = key === "model" && r.checked?.model?.output ? `→ ${fmtShape(r.checked.model.output)}` : key === "data" && r.checked?.inputShape ? `x: ${fmtShape(r.checked.inputShape)}` : undefined;
      children.push(sym(key, SymbolKind.Namespace, sec.span, sec.name.span, detail, key === "model" ? layerSymbols(a, sec.body.statements) : settingSymbols(a, sec.body.statements)));
    }
    children.sort((x, y) => x.range.start.line - y.range.start.line || x.range.start.character - y.range.start.character);
    out.push(sym(ir.name, SymbolKind.Module, ir.span, ir.nameSpan, "pipeline", children));
    for (const b of blocks) if (!(b.span.start >= ir.span.start && b.span.end <= ir.span.end)) out.push(blockSym(b));
  }
  return out.sort((x, y) => x.range.start.line - y.range.start.line);
}

function layerSymbols(a: Analysis, sts: Statement[]): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  for (const st of sts) {
    const first = st.groups[0]?.[0];
    if (!first || first.kind === "error") continue;
    const head = headName(st);
    const name = first.kind === "assign" ? exprText(first.target) : head?.name ?? exprText(first);
    // The output of the last call on the statement, when the checker reached it.
    const inside = [...a.layers, ...a.blockCalls].filter((s) => s.call.span.start >= st.span.start && s.call.span.end <= st.span.end);
    const lastCall = inside.sort((x, y) => y.call.span.end - x.call.span.end)[0];
    const shape = lastCall?.instances[0].output;
    const selection = head?.span ?? (first.kind === "assign" ? first.target.span : first.span);
    out.push({
      name: name.length > 60 ? name.slice(0, 57) + "…" : name,
      kind: first.kind === "assign" ? SymbolKind.Variable : SymbolKind.Field,
      range: spanToRange(st.span, a.lines),
      selectionRange: spanToRange(selection.start >= st.span.start && selection.end <= st.span.end ? selection : st.span, a.lines),
      ...(shape ? { detail: `→ ${fmtShape(shape)}` } : {}),
      ...(st.block ? { children: layerSymbols(a, st.block.statements) } : {}),
    });
  }
  return out;
}

function settingSymbols(a: Analysis, sts: Statement[]): DocumentSymbol[] {
  return sts.flatMap((st) => {
    const first = st.groups[0]?.[0];
    if (!first || first.kind === "error") return [];
    const name = first.kind === "assign" ? exprText(first.target) : headName(st)?.name ?? exprText(first);
    const detail = st.groups.flat().slice(1).map(exprText).join(" ");
    return [
      {
        name,
        kind: SymbolKind.Property,
        range: spanToRange(st.span, a.lines),
        selectionRange: spanToRange(st.span, a.lines),
        ...(detail ? { detail: detail.length > 60 ? detail.slice(0, 57) + "…" : detail } : {}),
      },
    ];
  });
}
