// Quick fixes. A diagnostic's own machine-applicable `fix` comes first; the diagnostics
// whose fix is obvious but not carried get one built from their code: flatten() before a
// dense layer on a feature map, padding: same when a window outgrows its input, a loss
// swap when the help names the right loss, sigmoid for softmax on one unit, and
// "did you mean" renames.
import { CodeActionKind, type CodeAction, type TextEdit } from "vscode-languageserver";
import type { Analysis } from "./analysis.ts";
import { spanToRange, toLspDiagnostic } from "./convert.ts";
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import { exprChildren, type CallExpr, type Expr, type Span, type Statement } from "../../grammar/ast.ts";
import { getLayer } from "../semantic/layers/index.ts";
import { LOSSES, LOSS_ALIASES } from "../semantic/catalog.ts";

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function codeActions(a: Analysis, uri: string, range: Span, only?: string[]): CodeAction[] {
  if (only && only.length && !only.some((k) => k === CodeActionKind.QuickFix || CodeActionKind.QuickFix.startsWith(k + ".") || k === "")) return [];
  const out: CodeAction[] = [];
  for (const d of a.diagnostics) {
    if (d.span.start > range.end || Math.max(d.span.end, d.span.start) < range.start) continue;
    for (const f of fixesFor(a, d)) {
      out.push({
        title: f.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [toLspDiagnostic(d, a.lines, uri)],
        isPreferred: f.preferred,
        edit: { changes: { [uri]: f.edits.map((e): TextEdit => ({ range: spanToRange(e.span, a.lines), newText: e.text })) } },
      });
    }
  }
  return out;
}

interface Fix {
  title: string;
  edits: { span: Span; text: string }[];
  preferred: boolean;
}

export function fixesFor(a: Analysis, d: Diagnostic): Fix[] {
  const text = a.text;
  const out: Fix[] = [];
  if (d.fix) out.push({ title: d.fix.title, edits: [{ span: d.fix.span, text: d.fix.text }], preferred: true });
  const spanText = text.slice(d.span.start, d.span.end);
  const ast = a.result?.ast;
  switch (d.code) {
    case "DLP3003": {
      // dense (or another vector layer) on a feature map: flatten first.
      const call = ast ? callAt(ast.statements, d.span) : undefined;
      if (call) {
        const rank = (d.label?.match(/×/g) ?? []).length + 1;
        const pool = rank === 2 ? "global_avg_pool1d" : "global_avg_pool";
        out.push({ title: "add `flatten()` before this layer", edits: [insertBefore(text, call, "flatten()")], preferred: !d.fix });
        if (rank >= 2) out.push({ title: `add \`${pool}()\` before this layer`, edits: [insertBefore(text, call, `${pool}()`)], preferred: false });
      }
      break;
    }
    case "DLP3001": {
      // A window larger than its input: pad this layer, or the earlier convolutions.
      const call = ast ? callAt(ast.statements, d.span) : undefined;
      const def = call && call.callee.kind === "name" ? getLayer(call.callee.name) : undefined;
      if (call && def && hasArg(def.schema, "padding") && !call.args.some((x) => x.name?.name === "padding")) {
        out.push({ title: `add \`padding: same\` to this ${def.name}`, edits: [appendArg(call, "padding: same")], preferred: false });
      }
      const earlier = a.layers
        .filter((s) => s.call.span.end <= d.span.start && s.instances[0].def.name.startsWith("conv") && hasArg(s.instances[0].def.schema, "padding") && !s.call.args.some((x) => x.name?.name === "padding"))
        .map((s) => appendArg(s.call, "padding: same"));
      if (earlier.length) out.push({ title: `add \`padding: same\` to the ${earlier.length} earlier convolution${earlier.length === 1 ? "" : "s"}`, edits: earlier, preferred: false });
      break;
    }
    case "DLP5002": {
      // softmax over one unit: a binary output wants sigmoid.
      const call = ast ? callAt(ast.statements, d.span) : undefined;
      const act = call?.args.find((x) => x.name?.name === "activation");
      if (act && act.value.kind === "name" && act.value.name === "softmax") out.push({ title: "use `activation: sigmoid`", edits: [{ span: act.value.span, text: "sigmoid" }], preferred: true });
      break;
    }
  }
  // A loss named where the help names the right one (integer labels → sparse_categorical_crossentropy, …).
  if (isLoss(spanText)) {
    for (const m of (d.help ?? "").matchAll(/`([a-z_]+)`/g)) {
      if (isLoss(m[1]) && m[1] !== spanText && !out.some((f) => f.edits.length === 1 && f.edits[0].text === m[1])) out.push({ title: `use \`${m[1]}\``, edits: [{ span: d.span, text: m[1] }], preferred: !out.length });
    }
  }
  // "did you mean `x`?" without a machine fix: rename the identifier under the caret.
  const dym = /did you mean `([A-Za-z_][A-Za-z0-9_]*)`\?/.exec(d.help ?? "");
  if (dym && !d.fix && IDENT.test(spanText) && spanText !== dym[1]) out.push({ title: `rename to \`${dym[1]}\``, edits: [{ span: d.span, text: dym[1] }], preferred: true });
  return out;
}

function isLoss(s: string): boolean {
  return s in LOSSES || s in LOSS_ALIASES;
}

function hasArg(schema: Record<string, unknown>, name: string): boolean {
  return Object.prototype.hasOwnProperty.call((schema.properties ?? {}) as object, name);
}

/** `, padding: same` before the call's closing parenthesis. */
function appendArg(call: CallExpr, arg: string): { span: Span; text: string } {
  const at = call.argsSpan.end > call.argsSpan.start ? call.argsSpan.end - 1 : call.span.end;
  if (call.argsSpan.end === call.argsSpan.start) return { span: { start: at, end: at }, text: `(${arg})` }; // bare `conv2d`
  return { span: { start: at, end: at }, text: call.args.length ? `, ${arg}` : arg };
}

/** A layer inserted before a call: on a line of its own when the call starts its line, else as a pipe stage. */
function insertBefore(text: string, call: CallExpr, layer: string): { span: Span; text: string } {
  const lineStart = text.lastIndexOf("\n", call.span.start - 1) + 1;
  const before = text.slice(lineStart, call.span.start);
  if (/^[ \t]*$/.test(before)) return { span: { start: lineStart, end: lineStart }, text: `${before}${layer}\n` };
  return { span: { start: call.span.start, end: call.span.start }, text: `${layer} |> ` };
}

/** The innermost call whose span contains `span` and whose callee is a layer. */
export function callAt(sts: Statement[], span: Span): CallExpr | undefined {
  let best: CallExpr | undefined;
  const visit = (e: Expr | undefined): void => {
    if (!e || e.span.start > span.start || e.span.end < span.end) return;
    if (e.kind === "call" && e.callee.kind === "name" && getLayer(e.callee.name)) {
      if (!best || e.span.end - e.span.start <= best.span.end - best.span.start) best = e;
    }
    exprChildren(e).forEach(visit);
  };
  const walk = (ss: Statement[]) => {
    for (const st of ss) {
      if (st.span.start > span.start || st.span.end < span.end) continue;
      st.groups.flat().forEach(visit);
      if (st.block) walk(st.block.statements);
    }
  };
  walk(sts);
  return best;
}
