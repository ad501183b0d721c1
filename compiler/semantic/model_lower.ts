// Lowering of model and block bodies into the model IR (model_ir.ts). Pure: it reports nothing
// (the checker reports a malformed node when a walk reaches it, under that walk's params) and
// depends only on the statements and on which names are user blocks (a block shadows a layer).
import type { CallExpr, Expr, Statement } from "../../grammar/ast.ts";
import { headName } from "../../grammar/ast.ts";
import { getLayer } from "./layers/index.ts";
import type { ArgIR, CallIR, HeadIR, ModelNode, TensorIR } from "./model_ir.ts";

export function lowerModelBody(body: Statement[], blocks: { has(name: string): boolean }): ModelNode[] {
  const out: ModelNode[] = [];
  for (let i = 0; i < body.length; i++) {
    const st = body[i];
    const head = headName(st);
    const first = st.groups[0][0];
    if (head && first.kind === "name" && head.name === "repeat") {
      let count: Expr | undefined = st.groups[0][1];
      let loopVar;
      if (count?.kind === "as" && count.type.kind === "name") {
        loopVar = count.type;
        count = count.value;
      }
      out.push({ kind: "repeat", count, loopVar, body: st.block ? lowerModelBody(st.block.statements, blocks) : undefined, span: st.span, source: [st] });
      continue;
    }
    if (head && first.kind === "name" && head.name === "if") {
      const next = body[i + 1];
      const hasElse = !!next && headName(next)?.name === "else" && next.groups[0][0].kind === "name";
      out.push({
        kind: "if",
        cond: st.groups[0][1],
        head,
        then: st.block ? lowerModelBody(st.block.statements, blocks) : undefined,
        hasElse,
        orElse: hasElse && next.block ? lowerModelBody(next.block.statements, blocks) : undefined,
        span: st.span,
        source: hasElse ? [st, next] : [st],
      });
      if (hasElse) i++;
      continue;
    }
    if (head && first.kind === "name" && head.name === "return") {
      const e = st.groups[0][1];
      if (!e && st.block && st.groups[0].length === 1 && st.groups.length === 1) {
        // `return { digit = …, recon = … }`: the model's named heads, one `name = tensor` each.
        const heads: HeadIR[] = [];
        const badHeads: Expr[] = [];
        for (const entry of st.block.statements) {
          for (const g of entry.groups) {
            const a = g[0];
            if (g.length === 1 && a.kind === "assign" && a.target.kind === "name") heads.push({ name: a.target, value: lowerTensor(a.value, blocks), span: a.span });
            else badHeads.push(a);
          }
          if (entry.block) badHeads.push(entry.groups[0][0]);
        }
        out.push({ kind: "return", heads, ...(badHeads.length ? { badHeads } : {}), head, span: st.span, source: [st] });
        continue;
      }
      out.push({ kind: "return", value: e ? lowerTensor(e, blocks) : undefined, head, span: e ? e.span : st.span, source: [st] });
      continue;
    }
    if (head && first.kind === "name" && head.name === "freeze" && !st.block) {
      out.push({ kind: "freeze", inWords: st.groups.length > 1 || st.groups[0].length > 1, span: st.span, source: [st] });
      continue;
    }
    if (st.groups.length > 1 || st.groups[0].length > 1 || st.block) {
      out.push({ kind: "invalid", why: "statement", head, first, span: st.span, source: [st] });
      continue;
    }
    if (first.kind === "assign") {
      if (first.target.kind !== "name") out.push({ kind: "invalid", why: "assign-target", first: first.target, span: first.target.span, source: [st] });
      else out.push({ kind: "assign", target: first.target, value: lowerTensor(first.value, blocks), valueSpan: first.value.span, source: [st] });
      continue;
    }
    out.push({ kind: "layers", value: lowerTensor(first, blocks), span: first.span, source: [st] });
  }
  return out;
}

export function lowerTensor(e: Expr, blocks: { has(name: string): boolean }): TensorIR {
  switch (e.kind) {
    case "name": {
      const callable = getLayer(e.name) || blocks.has(e.name);
      return { kind: "ref", name: e, call: callable ? lowerCall({ kind: "call", callee: e, args: [], argsSpan: e.span, span: e.span }, blocks) : undefined };
    }
    case "pipe":
      return {
        kind: "pipe",
        head: lowerTensor(e.stages[0], blocks),
        stages: e.stages.slice(1).map((s) => (s.kind === "call" || s.kind === "name" ? lowerTensor(s, blocks) : { kind: "bad-stage" as const, expr: s })),
      };
    case "call":
      return lowerCall(e, blocks);
    case "error":
      return { kind: "error" };
    default:
      return { kind: "other", expr: e };
  }
}

function lowerCall(call: CallExpr, blocks: { has(name: string): boolean }): CallIR {
  const callee = call.callee;
  if (callee.kind === "call" && callee.callee.kind === "name" && blocks.has(callee.callee.name)) {
    return { kind: "apply", call, params: callee, block: callee.callee.name, inputs: call.args.map((a) => lowerTensor(a.value, blocks)) };
  }
  if (callee.kind !== "name") return { kind: "uncallable", call };
  if (blocks.has(callee.name)) return { kind: "block", call, block: callee.name };
  const def = getLayer(callee.name);
  if (!def) return { kind: "unknown", call, name: callee };
  const args: ArgIR[] = call.args.map((a) => {
    const tensor = lowerTensor(a.value, blocks);
    return { arg: a, tensor, always: alwaysTensor(a.value, tensor) };
  });
  return { kind: "layer", call, name: callee.name, def, args };
}

/** The scope-free part of "is this argument a tensor": a pipe, a layer or block call, `b(…)(…)`. */
function alwaysTensor(e: Expr, t: TensorIR): boolean {
  if (t.kind === "pipe" || t.kind === "layer" || t.kind === "block" || t.kind === "apply") return true;
  return t.kind === "uncallable" && e.kind === "call" && e.callee.kind === "call";
}
