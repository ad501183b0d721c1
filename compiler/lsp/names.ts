// Name occurrences in the syntax tree, for go to definition, find references and hover:
// which name is a param, a block, or a block's own parameter at each place it is written.
import { exprChildren, type Expr, type NameExpr, type SourceFile, type Span, type Statement } from "../../grammar/ast.ts";
import type { PipelineIR } from "../semantic/lower.ts";

export type Symbol =
  | { kind: "param"; name: string; def: Span }
  | { kind: "block"; name: string; def: Span }
  | { kind: "blockParam"; name: string; def: Span; block: string };

export interface Occurrence {
  name: NameExpr;
  symbol: Symbol;
  isDefinition: boolean;
}

interface Scope {
  /** Names a block binds (its params and tensor inputs) → their definitions. */
  locals: Map<string, NameExpr>;
  block?: string;
}

/** Every occurrence of a param, a block or a block parameter, definitions included. */
export function occurrences(file: SourceFile, ir: PipelineIR | undefined): Occurrence[] {
  const out: Occurrence[] = [];
  if (!ir) return out;
  const params = new Map(ir.params.map((p) => [p.name, p]));
  const blocks = ir.blocks;
  const blockAt = (span: Span) => [...blocks.values()].find((b) => b.span.start === span.start && b.span.end === span.end);

  const visitExpr = (e: Expr | undefined, scope: Scope): void => {
    if (!e) return;
    switch (e.kind) {
      case "name": {
        const local = scope.locals.get(e.name);
        if (local && scope.block) {
          out.push({ name: e, symbol: { kind: "blockParam", name: e.name, def: local.span, block: scope.block }, isDefinition: local === e });
          return;
        }
        const p = params.get(e.name);
        if (p) {
          out.push({ name: e, symbol: { kind: "param", name: p.name, def: p.nameSpan }, isDefinition: sameSpan(p.nameSpan, e.span) });
          return;
        }
        const b = blocks.get(e.name);
        if (b) out.push({ name: e, symbol: { kind: "block", name: b.name, def: b.nameSpan }, isDefinition: sameSpan(b.nameSpan, e.span) });
        return;
      }
      default:
        // Argument names (`lr:`) are labels, not references: exprChildren leaves them out.
        for (const c of exprChildren(e)) visitExpr(c, scope);
        return;
    }
  };

  const visitStatements = (sts: Statement[], scope: Scope): void => {
    for (const st of sts) {
      const b = st.block ? blockAt(st.span) : undefined;
      if (b && st.block) {
        // block NAME(params) (inputs) { … }: the signature binds the locals of the body.
        const locals = new Map<string, NameExpr>();
        for (const n of [...b.params, ...b.inputs]) if (n.span.end - n.span.start === n.name.length) locals.set(n.name, n); // not the implicit `(x)`
        const inner: Scope = { locals, block: b.name };
        out.push({ name: { kind: "name", name: b.name, span: b.nameSpan }, symbol: { kind: "block", name: b.name, def: b.nameSpan }, isDefinition: true });
        for (const n of locals.values()) out.push({ name: n, symbol: { kind: "blockParam", name: n.name, def: n.span, block: b.name }, isDefinition: true });
        visitStatements(st.block.statements, inner);
        continue;
      }
      for (const e of st.groups.flat()) visitExpr(e, scope);
      if (st.block) visitStatements(st.block.statements, scope);
    }
  };
  visitStatements(file.statements, { locals: new Map() });
  return out;
}

export function sameSpan(a: Span, b: Span): boolean {
  return a.start === b.start && a.end === b.end;
}

export function occurrenceAt(occ: Occurrence[], offset: number): Occurrence | undefined {
  return occ.find((o) => offset >= o.name.span.start && offset <= o.name.span.end);
}

export function sameSymbol(a: Symbol, b: Symbol): boolean {
  return a.kind === b.kind && a.name === b.name && sameSpan(a.def, b.def);
}
