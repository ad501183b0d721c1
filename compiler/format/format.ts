// `dlpc fmt`: the canonical layout of a .dlp file.
//
// Formatting works on the token stream, with the parser consulted only for the role of a few
// tokens (unary vs binary `-`, a call's `(` vs a grouping `(`, which newlines end a
// statement). Why not print from the AST: the AST drops parentheses, `;` versus newline,
// and every comment, so a printer over it would have to re-derive precedence and re-attach
// comments by guesswork. Over tokens every token and every comment is written back exactly,
// in the same order, so meaning is preserved by construction; `formatDlp` re-parses its
// output and compares the ASTs (spans aside) before it returns anything, so a formatter bug
// shows up as an error instead of a rewritten file.
//
// The canonical layout, in the manner of gofmt: the author's line breaks between
// statements are kept (a long argument list stays broken where it was broken), and all the
// rest is fixed: two-space indentation per `{`, continuation lines four spaces deeper, one
// space between words and around binary operators, none inside brackets or before `,` and
// `:`, at most one blank line, none after `{` or before `}`, a block spread over several
// lines has one statement per line (`;` becomes a newline), `{` sits on its statement's
// line, trailing `//` comments of consecutive lines are aligned, and the file ends with one
// newline. As gofmt aligns consecutive declarations, consecutive one-line statements of one
// kind in a block line up: settings (`loss …`, `batch …`) on their value, assignments on `=`,
// params on `=`, `tune` and `when`; a blank line or another kind of statement ends the run.
import type { IToken } from "chevrotain";
import { parseDlp, type Role } from "../../grammar/parser.ts";
import { syntaxErrorCode } from "../diagnostics/builders.ts";
import type { Span } from "../../grammar/ast.ts";

export interface FormatError {
  /** DLP1001 (parse), DLP1002 (unterminated string), DLP1003 (bad character), DLP1004 (nesting too deep), as `dlpc check`; DLP0001 a formatter bug. */
  code: "DLP0001" | "DLP1001" | "DLP1002" | "DLP1003" | "DLP1004";
  message: string;
  span: Span;
}

export type FormatResult = { ok: true; text: string; changed: boolean } | { ok: false; errors: FormatError[] };

interface Tok {
  kind: "tok";
  type: string;
  image: string;
  offset: number;
  role?: Role;
}
interface Comment {
  kind: "comment";
  line: boolean; // `//` (true) or `/* */`
  image: string;
  offset: number;
}
interface Break {
  kind: "break";
  blank: boolean;
  /** Ends a statement (as opposed to a line broken inside one). */
  term: boolean;
}
type El = Tok | Comment | Break;

const OPENERS = new Set(["LParen", "LBracket"]);
const CLOSERS = new Set(["RParen", "RBracket"]);

/** The syntax errors that stop formatting (the same ones `dlpc check` reports as DLP1xxx). */
function syntaxErrors(parsed: ReturnType<typeof parseDlp>): FormatError[] {
  return parsed.errors.map((e) => ({
    code: syntaxErrorCode(e),
    message: e.message,
    span: { start: e.start, end: Math.max(e.start, e.end) },
  }));
}

export function formatDlp(text: string): FormatResult {
  const parsed = parseDlp(text);
  if (parsed.errors.length) return { ok: false, errors: syntaxErrors(parsed) };
  const els = toElements(parsed.tokens, parsed.comments, parsed.roles);
  const out = render(normalize(els));
  // Safety net: the output must parse to the same tree. A difference is a formatter bug.
  const again = parseDlp(out);
  if (again.errors.length || treeKey(again.ast) !== treeKey(parsed.ast) || commentKey(again.comments) !== commentKey(parsed.comments)) {
    return { ok: false, errors: [{ code: "DLP0001", message: "internal formatter error: the formatted text would change the meaning or lose a comment; the file was left as it is (please report it)", span: { start: 0, end: 0 } }] };
  }
  return { ok: true, text: out, changed: out !== text };
}

/** A span-free serialisation of the AST, for comparing meaning. */
export function treeKey(ast: unknown): string {
  return JSON.stringify(ast, (k, v) => (k === "span" || k === "argsSpan" ? undefined : v));
}
function commentKey(cs: IToken[]): string {
  return JSON.stringify(cs.map((c) => c.image.trimEnd()));
}

function toElements(tokens: IToken[], comments: IToken[], role: Map<number, Role>): El[] {
  const all = [...tokens, ...comments].sort((a, b) => a.startOffset - b.startOffset);
  const els: El[] = [];
  let newlines = 0;
  let term = false;
  const flush = () => {
    if (newlines > 0) els.push({ kind: "break", blank: newlines > 1, term });
    newlines = 0;
    term = false;
  };
  for (const t of all) {
    const type = t.tokenType.name;
    if (type === "Newline") {
      newlines++;
      if (role.get(t.startOffset) === "terminator") term = true;
      continue;
    }
    flush();
    if (type === "LineComment" || type === "BlockComment") {
      els.push({ kind: "comment", line: type === "LineComment", image: type === "LineComment" ? t.image.trimEnd() : t.image, offset: t.startOffset });
      continue;
    }
    els.push({ kind: "tok", type, image: t.image, offset: t.startOffset, role: role.get(t.startOffset) });
  }
  flush();
  return els;
}

const isTok = (e: El | undefined, type?: string): e is Tok => !!e && e.kind === "tok" && (type === undefined || e.type === type);

/** Line structure: `{` joined to its statement, one statement per line in spread blocks,
 *  redundant `;` dropped, blank lines collapsed. */
function normalize(input: El[]): El[] {
  let els = input.slice();

  // `{` on its own line moves up to its statement (not past a `//` comment, which would swallow it).
  els = els.filter((e, i) => !(e.kind === "break" && isTok(els[i + 1], "LBrace") && i > 0 && !(els[i - 1]!.kind === "comment" && (els[i - 1] as Comment).line)));

  // Which blocks are spread over several lines; the top level counts as spread.
  const spread = new Map<number, boolean>(); // index of `{` → spread
  const stack: number[] = [];
  const owner: number[] = []; // for each element, index of its innermost enclosing `{` (-1: top)
  for (let i = 0; i < els.length; i++) {
    const e = els[i]!;
    owner.push(stack.length ? stack[stack.length - 1]! : -1);
    if (isTok(e, "LBrace")) {
      stack.push(i);
      spread.set(i, false);
    } else if (isTok(e, "RBrace")) stack.pop();
    else if (e.kind === "break") for (const s of stack) spread.set(s, true);
    else if (e.kind === "comment" && e.line) for (const s of stack) spread.set(s, true); // a `//` comment ends its line
  }
  const isSpread = (i: number) => (owner[i] === -1 ? true : spread.get(owner[i]!) === true);

  const out: El[] = [];
  const pushBreak = (blank: boolean, term: boolean) => {
    const last = out[out.length - 1];
    if (!last) return; // no leading blank lines
    if (last.kind === "break") {
      last.blank ||= blank;
      last.term ||= term;
    } else out.push({ kind: "break", blank, term });
  };
  const lastSignificant = (): El | undefined => {
    for (let k = out.length - 1; k >= 0; k--) if (out[k]!.kind !== "break") return out[k];
    return undefined;
  };
  for (let i = 0; i < els.length; i++) {
    const e = els[i]!;
    if (e.kind === "break") {
      pushBreak(e.blank, e.term);
      continue;
    }
    if (isTok(e, "Semicolon")) {
      const prev = lastSignificant();
      const next = els[i + 1];
      const redundant = !prev || isTok(prev, "Semicolon") || isTok(prev, "LBrace") || out[out.length - 1]?.kind === "break" || !next || next.kind === "break" || isTok(next, "RBrace") || isTok(next, "Semicolon") || (next.kind === "comment" && next.line);
      if (redundant) continue;
      if (isSpread(i)) pushBreak(false, true);
      else out.push(e);
      continue;
    }
    out.push(e);
    if (isTok(e, "LBrace") && spread.get(i)) {
      const next = els[i + 1];
      if (!(next && next.kind === "comment" && next.line)) pushBreak(false, true);
    }
    if (isTok(els[i + 1], "RBrace")) {
      // a spread block closes on its own line
      const openIdx = matchingOpen(els, i + 1);
      if (openIdx !== undefined && spread.get(openIdx) && !isTok(e, "LBrace")) pushBreak(false, true);
    }
  }
  while (out.length && out[out.length - 1]!.kind === "break") out.pop();
  // No blank line just inside braces.
  for (let i = 0; i < out.length; i++) {
    const e = out[i]!;
    if (e.kind !== "break") continue;
    if (isTok(out[i - 1], "LBrace") || isTok(out[i + 1], "RBrace")) e.blank = false;
  }
  return out;
}

function matchingOpen(els: El[], close: number): number | undefined {
  let depth = 0;
  for (let k = close; k >= 0; k--) {
    const e = els[k]!;
    if (isTok(e, "RBrace")) depth++;
    else if (isTok(e, "LBrace")) {
      depth--;
      if (depth === 0) return k;
    }
  }
  return undefined;
}

/** No space between these two neighbours on one line. */
function tight(a: El, b: El, head: string | undefined): boolean {
  const ta = a.kind === "tok" ? a : undefined;
  const tb = b.kind === "tok" ? b : undefined;
  // `block name(params) (inputs) {`: the space tells the parameters from the tensors.
  if (head === "block" && ta?.type === "RParen" && tb?.role === "call") return false;
  if (ta && OPENERS.has(ta.type)) return true;
  if (tb && (CLOSERS.has(tb.type) || tb.type === "Comma" || tb.type === "Colon" || tb.type === "Semicolon")) return true;
  if (tb?.role === "call" || tb?.role === "index") return true;
  if (ta?.type === "Dot" || tb?.type === "Dot" || ta?.type === "DotDot" || tb?.type === "DotDot") return true;
  return ta?.role === "unary";
}

interface Line {
  indent: number;
  code: string;
  /** Column-alignable statements: their kind, and the code split into cells. */
  cells?: { kind: "setting" | "assign" | "param"; parts: string[] };
  /** Trailing `//` comment, written after the code (aligned with its neighbours). */
  comment?: string;
  multiline: boolean;
}

function render(els: El[]): string {
  const lines: AlignedLine[] = [];
  let braceDepth = 0;
  let parenDepth = 0;
  let mid = false; // inside a statement: the next line is a continuation
  let head: string | undefined; // first word of the current statement
  let i = 0;
  const blankBefore: boolean[] = [];
  let pendingBlank = false;
  while (i < els.length) {
    // one output line: elements up to the next break
    let j = i;
    while (j < els.length && els[j]!.kind !== "break") j++;
    const items = els.slice(i, j) as (Tok | Comment)[];
    // indentation from the state at the line's start, after its leading closers
    let lead = 0;
    let leadBraces = 0;
    let leadParens = 0;
    while (lead < items.length && isTok(items[lead]) && ((items[lead] as Tok).type === "RBrace" || CLOSERS.has((items[lead] as Tok).type))) {
      if ((items[lead] as Tok).type === "RBrace") leadBraces++;
      else leadParens++;
      lead++;
    }
    const base = 2 * Math.max(0, braceDepth - leadBraces);
    const depthAfter = Math.max(0, parenDepth - leadParens);
    let indent = base;
    if (mid && !(leadBraces > 0)) indent = lead > 0 && depthAfter === 0 ? base : base + 4 * Math.max(1, depthAfter);
    let code = "";
    let comment: string | undefined;
    let prev: El | undefined;
    const startMid = mid;
    const startParens = parenDepth;
    const cuts: { at: number; image: string; type: string; before: boolean }[] = []; // top-level tokens
    for (let k = 0; k < items.length; k++) {
      const e = items[k]!;
      if (e.kind === "comment" && e.line && k === items.length - 1 && k > 0) {
        comment = e.image;
        break;
      }
      const piece = e.image;
      if (e.kind === "tok" && !mid) head = e.image;
      const spaced = !!prev && !tight(prev, e, head);
      if (spaced) code += " ";
      if (e.kind === "tok" && parenDepth === startParens) cuts.push({ at: code.length, image: e.image, type: e.type, before: spaced });
      code += piece;
      prev = e;
      if (e.kind === "tok") {
        if (e.type === "LBrace") braceDepth++;
        else if (e.type === "RBrace") braceDepth = Math.max(0, braceDepth - 1);
        else if (OPENERS.has(e.type)) parenDepth++;
        else if (CLOSERS.has(e.type)) parenDepth = Math.max(0, parenDepth - 1);
        mid = !(e.type === "LBrace" || e.type === "RBrace" || e.type === "Semicolon");
      }
    }
    const br = els[j] as Break | undefined;
    const complete = !startMid && startParens === 0 && parenDepth === 0 && (!br || br.term) && !cuts.some((c) => c.type === "LBrace" || c.type === "RBrace" || c.type === "Semicolon");
    lines.push({ indent, code, comment, multiline: code.includes("\n"), ...(complete ? alignCells(code, cuts) : {}) });
    blankBefore.push(pendingBlank);
    if (br) {
      if (br.term) mid = false;
      pendingBlank = br.blank;
    }
    i = j + 1;
  }
  alignColumns(lines, blankBefore);
  alignComments(lines);
  const text: string[] = [];
  lines.forEach((l, k) => {
    if (blankBefore[k] && k > 0) text.push("");
    const body = l.comment === undefined ? l.code : l.code + " ".repeat(l.pad ?? 1) + l.comment;
    text.push(" ".repeat(l.indent) + body);
  });
  return text.length ? text.join("\n") + "\n" : "";
}

interface AlignedLine extends Line {
  pad?: number;
}

/** How a one-line statement splits into alignable cells, if it is a setting, an assignment or a param. */
function alignCells(code: string, cuts: { at: number; image: string; type: string; before: boolean }[]): Pick<Line, "cells"> {
  if (cuts.length < 2 || cuts[0]!.type !== "Identifier") return {};
  const split = (at: number[]): string[] => at.map((a, k) => code.slice(a, at[k + 1] ?? code.length).trimEnd());
  if (cuts[0]!.image === "param") {
    const at = [0, ...cuts.filter((c) => c.before && (c.type === "Equals" || c.image === "tune" || c.image === "when")).map((c) => c.at)];
    return at.length > 1 ? { cells: { kind: "param", parts: split(at) } } : {};
  }
  if (cuts[1]!.type === "Equals") return { cells: { kind: "assign", parts: split([0, cuts[1]!.at]) } };
  if (cuts[1]!.before) return { cells: { kind: "setting", parts: split([0, cuts[1]!.at]) } };
  return {};
}

/** Runs of consecutive same-kind statements at one indentation get their cells in columns. */
function alignColumns(lines: AlignedLine[], blankBefore: boolean[]): void {
  let k = 0;
  while (k < lines.length) {
    const first = lines[k]!;
    if (!first.cells) {
      k++;
      continue;
    }
    let end = k;
    while (end + 1 < lines.length && !blankBefore[end + 1] && lines[end + 1]!.cells?.kind === first.cells.kind && lines[end + 1]!.indent === first.indent) end++;
    if (end > k) {
      const run = lines.slice(k, end + 1);
      const columns = Math.max(...run.map((l) => l.cells!.parts.length));
      const widths: number[] = [];
      for (let c = 0; c < columns - 1; c++) widths.push(Math.max(0, ...run.filter((l) => l.cells!.parts.length > c + 1).map((l) => l.cells!.parts[c]!.length)));
      for (const l of run) {
        const parts = l.cells!.parts;
        l.code = parts.map((p, c) => (c < parts.length - 1 ? p.padEnd(widths[c]!) + " " : p)).join("");
      }
    }
    k = end + 1;
  }
}

/** Trailing comments of consecutive code lines start in one column (gofmt's rule). */
function alignComments(lines: AlignedLine[]): void {
  let k = 0;
  while (k < lines.length) {
    if (lines[k]!.comment === undefined || lines[k]!.multiline) {
      k++;
      continue;
    }
    let end = k;
    while (end + 1 < lines.length && lines[end + 1]!.comment !== undefined && !lines[end + 1]!.multiline) end++;
    const width = Math.max(...lines.slice(k, end + 1).map((l) => l.indent + l.code.length));
    for (let m = k; m <= end; m++) lines[m]!.pad = width - (lines[m]!.indent + lines[m]!.code.length) + 1;
    k = end + 1;
  }
}
