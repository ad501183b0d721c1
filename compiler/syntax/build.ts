// CST -> AST. Recovery can leave rules half-filled and insert tokens that have no
// position; spans come only from real tokens and missing pieces become ErrorExpr.
import type { CstElement, CstNode, IToken } from "chevrotain";
import type { Argument, BinaryOp, Block, Expr, NameExpr, SourceFile, Span, Statement } from "./ast.ts";

type Children = Record<string, CstElement[] | undefined>;

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}
function realToken(t: IToken | undefined): t is IToken {
  return !!t && Number.isFinite(t.startOffset) && !t.isInsertedInRecovery;
}
function tokenSpan(t: IToken): Span {
  return { start: t.startOffset, end: t.endOffset! + 1 };
}
function nodeSpan(n: CstNode, fallback: number): Span {
  const l = n.location;
  if (l && Number.isFinite(l.startOffset) && Number.isFinite(l.endOffset)) return { start: l.startOffset, end: l.endOffset! + 1 };
  return { start: fallback, end: fallback };
}
const NO_NODES: CstNode[] = [];
const NO_TOKENS: IToken[] = [];
// The helpers below run for every level of the expression grammar on every operand, so they
// avoid allocating when a child list is already homogeneous (the usual case).
function nodes(c: Children, key: string): CstNode[] {
  const list = c[key];
  if (!list || list.length === 0) return NO_NODES;
  for (let i = 0; i < list.length; i++) if (isToken(list[i])) return list.filter((e): e is CstNode => !isToken(e));
  return list as CstNode[];
}
function tokens(c: Children, key: string): IToken[] {
  const list = c[key];
  if (!list || list.length === 0) return NO_TOKENS;
  for (let i = 0; i < list.length; i++) if (!isToken(list[i])) return list.filter(isToken);
  return list as IToken[];
}
function node(c: Children, key: string): CstNode | undefined {
  const list = c[key];
  if (list) for (let i = 0; i < list.length; i++) if (!isToken(list[i])) return list[i] as CstNode;
  return undefined;
}
function hasToken(c: Children, key: string): boolean {
  const list = c[key];
  if (list) for (let i = 0; i < list.length; i++) if (isToken(list[i])) return true;
  return false;
}
function offsetOf(e: CstElement): number {
  return isToken(e) ? e.startOffset : e.location?.startOffset ?? NaN;
}
function byOffset(a: CstElement, b: CstElement): number {
  return offsetOf(a) - offsetOf(b);
}
/** All children of a node in source order (Chevrotain groups them by name). */
function ordered(n: CstNode): CstElement[] {
  const all: CstElement[] = [];
  for (const key in n.children) {
    const list = n.children[key];
    if (list) for (const e of list) if (Number.isFinite(offsetOf(e))) all.push(e);
  }
  return all.length > 1 ? all.sort(byOffset) : all;
}

/** A syntax error the grammar lets through on purpose, for a sharper message. */
export interface BuildError {
  message: string;
  span: Span;
}

export function buildAst(cst: CstNode, textLength: number): { ast: SourceFile; errors: BuildError[] } {
  const b = new Builder();
  const statements = b.statements(node(cst.children, "statements"));
  return { ast: { statements, span: { start: 0, end: textLength } }, errors: b.errors };
}

class Builder {
  private lastEnd = 0;
  readonly errors: BuildError[] = [];

  private span(n: CstNode): Span {
    const s = nodeSpan(n, this.lastEnd);
    if (s.end > this.lastEnd) this.lastEnd = s.end;
    return s;
  }

  statements(n: CstNode | undefined): Statement[] {
    if (!n) return [];
    return nodes(n.children, "statement").map((s) => this.statement(s)).filter((s): s is Statement => s !== undefined);
  }

  statement(n: CstNode): Statement | undefined {
    const groups = nodes(n.children, "words")
      .map((w) => nodes(w.children, "expression").map((e) => this.expression(e)))
      .filter((g) => g.length > 0);
    if (groups.length === 0) return undefined;
    const blk = node(n.children, "block");
    return { groups, block: blk ? this.block(blk) : undefined, span: this.span(n) };
  }

  block(n: CstNode): Block {
    return { statements: this.statements(node(n.children, "statements")), span: this.span(n) };
  }

  expression(n: CstNode): Expr {
    const c = n.children;
    const left = this.sub(c, "pipeExpr", (x) => this.pipeExpr(x));
    const rhs = node(c, "expression");
    if (!rhs) return left;
    const value = this.expression(rhs);
    return { kind: "assign", target: left, value, span: this.span(n) };
  }

  private sub(c: Children, key: string, f: (n: CstNode) => Expr, index = 0): Expr {
    const n = nodes(c, key)[index];
    if (!n) return { kind: "error", span: { start: this.lastEnd, end: this.lastEnd } };
    return f(n);
  }

  pipeExpr(n: CstNode): Expr {
    const stages = nodes(n.children, "orExpr").map((x) => this.orExpr(x));
    if (stages.length === 1) return stages[0];
    return { kind: "pipe", stages, span: this.span(n) };
  }

  private leftAssoc(n: CstNode, operandKey: string, f: (n: CstNode) => Expr): Expr {
    // One operand: operator tokens and other children cannot change the result (the walk below
    // would skip them), so skip the sort — the common case at every precedence level.
    const operands = n.children[operandKey];
    if (operands && operands.length === 1 && !isToken(operands[0]) && Number.isFinite(offsetOf(operands[0]))) return f(operands[0]);
    // Operands and operators interleave in source order.
    const parts = ordered(n);
    let acc: Expr | undefined;
    let op: BinaryOp | undefined;
    for (const p of parts) {
      if (isToken(p)) {
        op = p.image as BinaryOp;
        continue;
      }
      if (p.name !== operandKey) continue;
      const e = f(p);
      if (!acc) acc = e;
      else acc = { kind: "binary", op: op ?? "+", left: acc, right: e, span: { start: acc.span.start, end: e.span.end } };
    }
    return acc ?? { kind: "error", span: this.span(n) };
  }

  orExpr(n: CstNode): Expr {
    return this.leftAssoc(n, "andExpr", (x) => this.andExpr(x));
  }
  andExpr(n: CstNode): Expr {
    return this.leftAssoc(n, "notExpr", (x) => this.notExpr(x));
  }
  notExpr(n: CstNode): Expr {
    const inner = this.sub(n.children, "comparison", (x) => this.comparison(x));
    if (!hasToken(n.children, "Not")) return inner;
    return { kind: "unary", op: "not", operand: inner, span: this.span(n) };
  }
  comparison(n: CstNode): Expr {
    return this.leftAssoc(n, "rangeExpr", (x) => this.rangeExpr(x));
  }
  rangeExpr(n: CstNode): Expr {
    const c = n.children;
    const low = this.sub(c, "asExpr", (x) => this.asExpr(x));
    if (!hasToken(c, "DotDot")) return low;
    const high = this.sub(c, "asExpr", (x) => this.asExpr(x), 1);
    const stepNode = node(c, "step");
    return { kind: "range", low, high, step: stepNode ? this.asExpr(stepNode) : undefined, span: this.span(n) };
  }
  asExpr(n: CstNode): Expr {
    const c = n.children;
    const value = this.sub(c, "additive", (x) => this.additive(x));
    if (!hasToken(c, "As")) return value;
    const type = this.sub(c, "additive", (x) => this.additive(x), 1);
    return { kind: "as", value, type, span: this.span(n) };
  }
  additive(n: CstNode): Expr {
    return this.leftAssoc(n, "multiplicative", (x) => this.multiplicative(x));
  }
  multiplicative(n: CstNode): Expr {
    return this.leftAssoc(n, "unary", (x) => this.unary(x));
  }
  unary(n: CstNode): Expr {
    const c = n.children;
    if (hasToken(c, "Minus")) {
      const operand = this.sub(c, "unary", (x) => this.unary(x));
      if (operand.kind === "number") return { ...operand, value: -operand.value, raw: "-" + operand.raw, span: this.span(n) };
      return { kind: "unary", op: "-", operand, span: this.span(n) };
    }
    return this.sub(c, "postfix", (x) => this.postfix(x));
  }

  postfix(n: CstNode): Expr {
    let acc = this.sub(n.children, "primary", (x) => this.primary(x));
    const c = n.children;
    // No suffix children: nothing to apply (the grammar's postfix suffixes are these four).
    if (!c.callSuffix?.length && !c.indexSuffix?.length && !c.Dot?.length && !c.Identifier?.length) return acc;
    const suffixes = ordered(n).filter((e) => isToken(e) || e.name !== "primary");
    for (let i = 0; i < suffixes.length; i++) {
      const s = suffixes[i];
      if (isToken(s)) {
        if (s.tokenType.name === "Dot") {
          const id = suffixes[i + 1];
          if (id && isToken(id) && realToken(id)) {
            const member: NameExpr = { kind: "name", name: id.image, span: tokenSpan(id) };
            acc = { kind: "member", target: acc, member, span: { start: acc.span.start, end: member.span.end } };
            i++;
          }
        }
        continue;
      }
      const sp = this.span(s);
      if (s.name === "callSuffix") {
        const args = nodes(s.children, "argument").map((a) => this.argument(a));
        const commas = tokens(s.children, "Comma").filter(realToken);
        for (let k = 1; k < args.length; k++) {
          const before = args[k].span.start;
          if (!commas.some((cm) => cm.startOffset >= args[k - 1].span.end && cm.startOffset < before)) {
            this.errors.push({ message: "expected `,` between arguments", span: { start: args[k - 1].span.end, end: args[k - 1].span.end } });
          }
        }
        acc = { kind: "call", callee: acc, args, argsSpan: sp, span: { start: acc.span.start, end: sp.end } };
      } else if (s.name === "indexSuffix") {
        const items = nodes(s.children, "expression").map((e) => this.expression(e));
        acc = { kind: "index", target: acc, items, span: { start: acc.span.start, end: sp.end } };
      }
    }
    return acc;
  }

  argument(n: CstNode): Argument {
    const c = n.children;
    const nameTok = tokens(c, "name")[0];
    const value = this.sub(c, "expression", (x) => this.expression(x));
    const name: NameExpr | undefined = realToken(nameTok) ? { kind: "name", name: nameTok.image, span: tokenSpan(nameTok) } : undefined;
    return { name, value, span: this.span(n) };
  }

  primary(n: CstNode): Expr {
    const c = n.children;
    const sp = this.span(n);
    const num = tokens(c, "NumberLit")[0];
    if (realToken(num)) return parseNumber(num.image, sp);
    const str = tokens(c, "StringLit")[0];
    if (realToken(str)) return { kind: "string", value: unquote(str.image), span: sp };
    if (realToken(tokens(c, "True")[0])) return { kind: "bool", value: true, span: sp };
    if (realToken(tokens(c, "False")[0])) return { kind: "bool", value: false, span: sp };
    const id = tokens(c, "Identifier")[0];
    if (realToken(id)) return { kind: "name", name: id.image, span: sp };
    if (hasToken(c, "LBracket")) {
      return { kind: "list", items: nodes(c, "expression").map((e) => this.expression(e)), span: sp };
    }
    const inner = node(c, "expression");
    if (inner) return this.expression(inner);
    return { kind: "error", span: sp };
  }
}

function parseNumber(raw: string, span: Span): Expr {
  let unit: "" | "%" | "deg" = "";
  let body = raw;
  if (raw.endsWith("%")) {
    unit = "%";
    body = raw.slice(0, -1);
  } else if (raw.endsWith("deg")) {
    unit = "deg";
    body = raw.slice(0, -3);
  }
  const n = Number(body);
  return { kind: "number", value: unit === "%" ? n / 100 : n, unit, raw, span };
}

function unquote(image: string): string {
  // JSON's escapes are the language's escapes.
  try {
    return JSON.parse(image) as string;
  } catch {
    return image.slice(1, -1);
  }
}
