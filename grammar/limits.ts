// Depth limits of the language: how deeply `( [ {` may nest, and how deep an expression tree may
// grow (a 4 000-term `a + b + …` chain is 4 000 levels deep). The parser and every recursive walk
// over the tree (checker, emitter, formatter, language server) stay far inside the call stack
// under these limits; past them the file gets one positioned DLP1004 instead of a stack overflow.
// Both checks here are iterative, so they cannot overflow themselves.
import type { IToken } from "chevrotain";
import type { Expr, Statement } from "./ast.ts";
import * as T from "./tokens.ts";

/** Brackets, parentheses and braces open at once. Real pipelines nest fewer than 10. */
export const MAX_NESTING = 128;
/** Levels of one expression tree (operators, calls, indexes, members, unary signs). */
export const MAX_EXPR_DEPTH = 512;

export interface DepthError {
  message: string;
  start: number;
  end: number;
}

/** The first `(`, `[` or `{` that opens past MAX_NESTING, or undefined. */
export function nestingError(tokens: readonly IToken[], max = MAX_NESTING): DepthError | undefined {
  let depth = 0;
  for (const t of tokens) {
    const k = t.tokenType;
    if (k === T.LParen || k === T.LBracket || k === T.LBrace) {
      if (++depth > max) {
        return {
          message: `brackets nest more than ${max} deep here (\`(\`, \`[\` and \`{\` open at once); the file is not parsed further`,
          start: t.startOffset,
          end: t.startOffset + 1,
        };
      }
    } else if (k === T.RParen || k === T.RBracket || k === T.RBrace) {
      if (depth > 0) depth--;
    }
  }
  return undefined;
}

const ERROR_STUB = (e: Expr): Expr => ({ kind: "error", span: e.span });

/**
 * Replaces every statement-level expression with a part deeper than `max` levels by an error node
 * (which the checker skips, as it skips what recovery dropped) and returns one error for each.
 * Walks with an explicit stack.
 */
export function cutDeepExpressions(statements: Statement[], max = MAX_EXPR_DEPTH): DepthError[] {
  const errors: DepthError[] = [];
  const blocks: Statement[][] = [statements];
  while (blocks.length) {
    for (const st of blocks.pop()!) {
      for (const group of st.groups) {
        for (let i = 0; i < group.length; i++) {
          const root = group[i]!;
          if (cut(root, max)) {
            // The whole expression goes: a half-cut one would give follow-up errors.
            group[i] = ERROR_STUB(root);
            errors.push({
              message: `expression nests more than ${max} levels deep (operators, calls, indexes or signs); split it with named values or params`,
              start: root.span.start,
              end: root.span.end,
            });
          }
        }
      }
      if (st.block) blocks.push(st.block.statements);
    }
  }
  return errors;
}

/** Cuts the tree under `root` at depth `max`; true when something was cut. */
function cut(root: Expr, max: number): boolean {
  let cutAny = false;
  const stack: Array<[Expr, number]> = [[root, 1]];
  while (stack.length) {
    const [e, d] = stack.pop()!;
    const visit = (c: Expr): Expr => {
      if (d + 1 > max) {
        cutAny = true;
        return ERROR_STUB(c);
      }
      stack.push([c, d + 1]);
      return c;
    };
    switch (e.kind) {
      case "list":
        e.items = e.items.map(visit);
        break;
      case "call":
        e.callee = visit(e.callee);
        for (const a of e.args) a.value = visit(a.value);
        break;
      case "index":
        e.target = visit(e.target);
        e.items = e.items.map(visit);
        break;
      case "member":
        e.target = visit(e.target);
        break;
      case "unary":
        e.operand = visit(e.operand);
        break;
      case "binary":
        e.left = visit(e.left);
        e.right = visit(e.right);
        break;
      case "range":
        e.low = visit(e.low);
        e.high = visit(e.high);
        if (e.step) e.step = visit(e.step);
        break;
      case "as":
        e.value = visit(e.value);
        e.type = visit(e.type);
        break;
      case "pipe":
        e.stages = e.stages.map(visit);
        break;
      case "assign":
        e.target = visit(e.target);
        e.value = visit(e.value);
        break;
    }
  }
  return cutAny;
}
