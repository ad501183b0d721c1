// Syntax tree of .dlp with source spans (offsets [start, end) into the text).
// The syntax is generic — statements are runs of expressions with an optional block — and
// compiler/semantic/lower.ts gives them meaning (pipeline, data, model, train, …).

export interface Span {
  start: number;
  end: number;
}

export type Expr =
  | NumberExpr
  | StringExpr
  | BoolExpr
  | NameExpr
  | ListExpr
  | CallExpr
  | IndexExpr
  | MemberExpr
  | UnaryExpr
  | BinaryExpr
  | RangeExpr
  | AsExpr
  | PipeExpr
  | AssignExpr
  | ErrorExpr;

export interface NumberExpr {
  kind: "number";
  value: number;
  unit: "" | "%" | "deg";
  raw: string;
  span: Span;
}
export interface StringExpr {
  kind: "string";
  value: string;
  span: Span;
}
export interface BoolExpr {
  kind: "bool";
  value: boolean;
  span: Span;
}
export interface NameExpr {
  kind: "name";
  name: string;
  span: Span;
}
export interface ListExpr {
  kind: "list";
  items: Expr[];
  span: Span;
}
export interface Argument {
  name?: NameExpr;
  value: Expr;
  span: Span;
}
export interface CallExpr {
  kind: "call";
  callee: Expr;
  args: Argument[];
  /** Span of `( … )`. */
  argsSpan: Span;
  span: Span;
}
export interface IndexExpr {
  kind: "index";
  target: Expr;
  items: Expr[];
  span: Span;
}
export interface MemberExpr {
  kind: "member";
  target: Expr;
  member: NameExpr;
  span: Span;
}
export interface UnaryExpr {
  kind: "unary";
  op: "-" | "not";
  operand: Expr;
  span: Span;
}
export type BinaryOp = "+" | "-" | "*" | "/" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "and" | "or";
export interface BinaryExpr {
  kind: "binary";
  op: BinaryOp;
  left: Expr;
  right: Expr;
  span: Span;
}
export interface RangeExpr {
  kind: "range";
  low: Expr;
  high: Expr;
  step?: Expr;
  span: Span;
}
export interface AsExpr {
  kind: "as";
  value: Expr;
  type: Expr;
  span: Span;
}
export interface PipeExpr {
  kind: "pipe";
  stages: Expr[];
  span: Span;
}
export interface AssignExpr {
  kind: "assign";
  target: Expr;
  value: Expr;
  span: Span;
}
/** Stands where recovery dropped an expression; the parser already reported it. */
export interface ErrorExpr {
  kind: "error";
  span: Span;
}

export interface Statement {
  /** Comma-separated groups of juxtaposed expressions: `metrics accuracy, auc` → [[metrics, accuracy], [auc]]. */
  groups: Expr[][];
  block?: Block;
  span: Span;
}

export interface Block {
  statements: Statement[];
  span: Span;
}

export interface SourceFile {
  statements: Statement[];
  span: Span;
}

export function joinSpans(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** The head word of a statement when it is a plain name (`loss`, `param`, `conv2d(…)` → conv2d). */
export function headName(s: Statement): NameExpr | undefined {
  const first = s.groups[0]?.[0];
  if (!first) return undefined;
  if (first.kind === "name") return first;
  if (first.kind === "call" && first.callee.kind === "name") return first.callee;
  return undefined;
}

/** Calls `f` on an expression's direct sub-expressions, in source order (argument names are
 *  labels, not expressions). Every walk over expressions goes through this (or exprChildren). */
export function forEachChild(e: Expr, f: (c: Expr) => void): void {
  switch (e.kind) {
    case "list":
      for (const c of e.items) f(c);
      return;
    case "call":
      f(e.callee);
      for (const a of e.args) f(a.value);
      return;
    case "index":
      f(e.target);
      for (const c of e.items) f(c);
      return;
    case "member":
      f(e.target);
      return;
    case "unary":
      f(e.operand);
      return;
    case "binary":
      f(e.left);
      f(e.right);
      return;
    case "range":
      f(e.low);
      f(e.high);
      if (e.step) f(e.step);
      return;
    case "as":
      f(e.value);
      f(e.type);
      return;
    case "pipe":
      for (const c of e.stages) f(c);
      return;
    case "assign":
      f(e.target);
      f(e.value);
      return;
  }
}

/** An expression's direct sub-expressions, in source order, as a list. */
export function exprChildren(e: Expr): Expr[] {
  const out: Expr[] = [];
  forEachChild(e, (c) => out.push(c));
  return out;
}

export function exprText(e: Expr): string {
  switch (e.kind) {
    case "number":
      return e.raw;
    case "string":
      return JSON.stringify(e.value);
    case "bool":
      return String(e.value);
    case "name":
      return e.name;
    case "list":
      return `[${e.items.map(exprText).join(", ")}]`;
    case "call":
      return `${exprText(e.callee)}(${e.args.map((a) => (a.name ? `${a.name.name}: ` : "") + exprText(a.value)).join(", ")})`;
    case "index":
      return `${exprText(e.target)}[${e.items.map(exprText).join(", ")}]`;
    case "member":
      return `${exprText(e.target)}.${e.member.name}`;
    case "unary":
      return e.op === "-" ? `-${exprText(e.operand)}` : `not ${exprText(e.operand)}`;
    case "binary":
      return `${exprText(e.left)} ${e.op} ${exprText(e.right)}`;
    case "range":
      return `${exprText(e.low)}..${exprText(e.high)}${e.step ? ` step ${exprText(e.step)}` : ""}`;
    case "as":
      return `${exprText(e.value)} as ${exprText(e.type)}`;
    case "pipe":
      return e.stages.map(exprText).join(" |> ");
    case "assign":
      return `${exprText(e.target)} = ${exprText(e.value)}`;
    case "error":
      return "<error>";
  }
}
