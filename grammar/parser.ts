// Chevrotain parser for .dlp that builds the AST (grammar/ast.ts) directly while it
// parses. `parseDlp` never throws: lexing and parsing errors come back as data, and recovery
// keeps the rest of the file parsed.
//
// Expressions are one flat rule, `operand (operator operand)*`, with precedence resolved in
// code on an operator stack (LEVEL below), where the grammar used to have one rule per
// precedence level (13 rules and CST nodes for every leaf, then a CST → AST pass): lexing,
// parsing and building the AST of bench/lsp.ts's 500-line file went from 9.7 ms to 1.7 ms (BENCHMARKS.md,
// "Parser"). The trees are the ones that grammar gave, quirks included: `=` is
// right-associative and lowest, `not` binds looser than comparisons (`not a == b` is
// `not (a == b)`), unary `-` on a number folds into the number, a comparison, `..` or `as` does
// not chain (`a < b < c` ends the expression at the second `<`, which is then reported by
// whatever follows), and `step` (an ordinary name elsewhere) continues only a range's upper
// bound.
//
// Error recovery is Chevrotain's (single-token insertion/deletion, re-sync to a follow set).
// A rule that fails keeps what it parsed: its `catch` stores the partial node (`stash`), and
// either the rule re-syncs and returns it (`recoveryValueFunc`) or the parent's `catch` takes
// it into its own partial node. Missing pieces become `{ kind: "error" }` expressions. Spans
// come only from real tokens (never recovery-inserted ones); a node without any real token
// gets the position where the last node before it ended (`lastEnd`). An operand without any
// real token drops out of a chain of left-associative operators. All of this reproduces what
// the CST builder made of partial CSTs, so a broken file gives the same errors and tree
// (checked by a differential fuzz over mutated files; the one difference: `a. .b` is now
// `a.b`, where the builder made a member named `.`).
import type { IToken, IRecognitionException, ILexingError, IOrAlt, TokenType } from "chevrotain";
import { EmbeddedActionsParser, EOF } from "./chevrotain.ts";
import * as T from "./tokens.ts";
import type { Argument, BinaryOp, Block, Expr, NameExpr, SourceFile, Span, Statement } from "./ast.ts";
import { cutDeepExpressions, nestingError } from "./limits.ts";

/** What the formatter needs to know about a token that the token stream alone does not say. */
export type Role = "unary" | "call" | "index" | "group" | "list" | "terminator";

// Operators. A code indexes the tables below; the level is the binding strength (higher binds
// tighter). `not` is a prefix operator between `and` and the comparisons.
const ASSIGN = 1, PIPE = 2, OR = 3, AND = 4, NOT = 5, CMP = 6, RANGE = 7, AS = 8, ADD = 9, MUL = 10;
const C_ASSIGN = 1, C_PIPE = 2, C_OR = 3, C_AND = 4, C_NOT = 5, C_RANGE = 12, C_RANGE_STEP = 13, C_AS = 14, C_STEP = 19;
const LEVEL: number[] = [0, ASSIGN, PIPE, OR, AND, NOT, CMP, CMP, CMP, CMP, CMP, CMP, RANGE, RANGE, AS, ADD, ADD, MUL, MUL, RANGE];
const OP_TEXT: string[] = ["", "=", "|>", "or", "and", "not", "==", "!=", "<", "<=", ">", ">=", "..", "..", "as", "+", "-", "*", "/", "step"];
/** Operator code by token type index (0: not an operator). */
const CODE_OF: number[] = [];
for (const [tok, code] of [
  [T.Equals, C_ASSIGN], [T.Pipe, C_PIPE], [T.Or, C_OR], [T.And, C_AND], [T.EqEq, 6], [T.NotEq, 7], [T.Less, 8], [T.LessEq, 9],
  [T.Greater, 10], [T.GreaterEq, 11], [T.DotDot, C_RANGE], [T.As, C_AS], [T.Plus, 15], [T.Minus, 16], [T.Star, 17], [T.Slash, 18],
  [T.StepKeyword, C_STEP],
] as [TokenType, number][]) CODE_OF[tok.tokenTypeIdx!] = code;
/** Token types that start a call, index or member suffix. */
const POSTFIX: boolean[] = [];
for (const t of [T.LParen, T.LBracket, T.Dot]) POSTFIX[t.tokenTypeIdx!] = true;
/** Levels that do not chain: a second operator of the same level ends the expression. */
const NON_ASSOC = [false, false, false, false, false, false, true, true, true, false, false];
/** `not` may start an operand only after these (or at the start of an expression). */
const NOT_AFTER = [false, true, true, true, true];

/** The partial value of a call's `( … )` or an index's `[ … ]`, for the operand that owns it. */
interface Suffix {
  call: boolean;
  items: Expr[];
  args: Argument[];
  start: number;
  end: number;
}

interface FollowKey {
  ruleName?: string;
  inRule?: string;
}

/** Gives every NaN span (start or end) in a tree the position `at`. */
function placeSpans(x: unknown, at: number): void {
  if (Array.isArray(x)) {
    for (const y of x) placeSpans(y, at);
    return;
  }
  if (!x || typeof x !== "object") return;
  const o = x as Record<string, unknown>;
  for (const k in o) {
    const v = o[k] as Span | undefined;
    if (k === "span" || k === "argsSpan") {
      if (v!.start !== v!.start) v!.start = at;
      if (v!.end !== v!.end) v!.end = at;
    } else if (v && typeof v === "object") placeSpans(v, at);
  }
}

function tokenSpan(t: IToken): Span {
  return { start: t.startOffset, end: t.endOffset! + 1 };
}
function real(t: IToken | undefined): t is IToken {
  return !!t && !t.isInsertedInRecovery && t.startOffset === t.startOffset;
}

class DlpParser extends EmbeddedActionsParser {
  /** `validate`: run Chevrotain's grammar validations (ambiguities, left recursion). They cost
   *  ~60-120 ms of every cold start, so the shared instance skips them and a test runs them. */
  constructor(validate = false) {
    super([...T.allTokens, T.BinaryOperator, T.StepKeyword], { recoveryEnabled: true, maxLookahead: 3, skipValidations: !validate });
    this.performSelfAnalysis();
  }

  // ---- state of one parse (reset by `begin`) ----
  roles = new Map<number, Role>();
  /** Where the last node with a span ended: the position of a node without real tokens. */
  private lastEnd = 0;
  /** Extent (first real token start, last real token end) of the value a rule just returned. */
  private rS = NaN;
  private rE = NaN;
  // A failed rule's partial value, between its `catch` and its parent's (or recoveryValueFunc).
  private pendSet = false;
  private pendVal: unknown = undefined;
  private pendS = NaN;
  private pendE = NaN;
  // Operand and operator stacks of the expressions being parsed (nested ones stack on top).
  private vX: (Expr | null)[] = []; // null: an operand without any real token
  private vS: number[] = [];
  private vE: number[] = [];
  private vL: number[] = []; // lastEnd when an empty operand was pushed
  private oC: number[] = [];
  private oS: number[] = [];
  private oE: number[] = [];
  private oBase = 0;
  // stack heights (truncating an array's length is slow in V8)
  private vn = 0;
  private on = 0;
  private mn = 0;
  private lastOp = 0;
  private minus: IToken[] = [];
  // The precedence grammar's `( … )` and `[ … ]` took their span before their contents, so a
  // node without tokens inside one sits at its end: such spans are NaN until it closes.
  private depth = 0;
  private depthL0 = 0;
  private pendingInside = false;
  /** Calls whose commas need the full check at the end (see `commaErrors`). */
  commaChecks: { args: Argument[]; commas: number[] }[] = [];

  begin(tokens: IToken[]): void {
    this.input = tokens;
    this.roles = new Map();
    this.lastEnd = 0;
    this.pendSet = false;
    this.pendVal = undefined;
    this.vn = this.on = this.mn = this.bn = 0;
    this.oBase = 0;
    this.depth = 0;
    this.pendingInside = false;
    this.commaChecks = [];
  }

  // ---- re-sync ----
  // After an error Chevrotain skips to a token that may follow one of the rules being parsed
  // (its follow sets come from the grammar), and the innermost rule it may follow re-syncs.
  // In the grammar, the operator loop lets an operand be followed by any operator; with one
  // rule per precedence level only the operators still open could follow (not a second
  // comparison, `..` or `as`; and any name could follow a range's upper bound, for `step`).
  // The follow set of `operand` in `expression` is computed from the operator stack instead,
  // so recovery skips the same tokens as before. These override (undocumented) methods of
  // Chevrotain 11's Recoverable trait; the recovery tests fail if they stop being called.
  private bases: number[] = []; // oBase of each expression being parsed, outermost first
  private bn = 0;

  flattenFollowSet(): TokenType[] {
    const keys = (this as unknown as { buildFullFollowKeyStack(): FollowKey[] }).buildFullFollowKeyStack();
    const out: TokenType[] = [];
    let k = -1;
    for (const key of keys) {
      if (key.ruleName === "operand" && key.inRule === "expression") out.push(...this.operandFollows(k));
      else out.push(...this.followsOf(key));
      if (key.ruleName === "expression") k++;
    }
    return out;
  }

  isInCurrentRuleReSyncSet(tokType: TokenType): boolean {
    const key = (this as unknown as { getCurrFollowKey(): FollowKey }).getCurrFollowKey();
    const follows = key.ruleName === "operand" && key.inRule === "expression" ? this.operandFollows(this.bn - 1) : this.followsOf(key);
    return follows.includes(tokType);
  }

  // Single-token insertion (of a missing `)`, `]`, …) is tried when the next token may follow
  // the missing one; that set comes from the grammar too, and there an operand's operator
  // loop stands for "any operator" (only the innermost expression's can be reached without
  // crossing a closing bracket).
  getFollowsForInRuleRecovery(tokType: TokenType, tokIdxInRule: number): TokenType[] {
    const follows = (EmbeddedActionsParser.prototype as unknown as { getFollowsForInRuleRecovery(t: TokenType, i: number): TokenType[] })
      .getFollowsForInRuleRecovery.call(this, tokType, tokIdxInRule);
    if (this.bn === 0 || !follows.includes(T.BinaryOperator)) return follows;
    return [...follows.filter((t) => t !== T.BinaryOperator), ...this.operandFollows(this.bn - 1)];
  }

  private followsOf(key: FollowKey): TokenType[] {
    return (this as unknown as { getFollowSetFromFollowKey(k: FollowKey): TokenType[] }).getFollowSetFromFollowKey(key) ?? [];
  }

  /** What may follow an operand of the k-th expression being parsed (see above). */
  private operandFollows(k: number): TokenType[] {
    const lo = this.bases[k];
    const hi = k + 1 < this.bn ? this.bases[k + 1] : this.on;
    const out: TokenType[] = [T.Equals, T.Pipe, T.Or, T.And];
    const open = (level: number): number => {
      for (let i = hi - 1; i >= lo; i--) if (LEVEL[this.oC[i]] <= level) return this.oC[i];
      return 0;
    };
    if (LEVEL[open(CMP)] !== CMP) out.push(T.EqEq, T.NotEq, T.Less, T.LessEq, T.Greater, T.GreaterEq);
    const range = open(RANGE);
    if (LEVEL[range] !== RANGE) out.push(T.DotDot);
    else if (range === C_RANGE) out.push(T.Identifier);
    if (LEVEL[open(AS)] !== AS) out.push(T.As);
    out.push(T.Plus, T.Minus, T.Star, T.Slash);
    return out;
  }

  private readonly recover = (): any => {
    this.pendSet = false;
    this.rS = this.pendS;
    this.rE = this.pendE;
    return this.pendVal;
  };
  private readonly cfg = { recoveryValueFunc: this.recover };

  private stash(v: unknown, s: number, e: number): void {
    this.pendSet = true;
    this.pendVal = v;
    this.pendS = s;
    this.pendE = e;
  }
  private take(): unknown {
    this.pendSet = false;
    return this.pendVal;
  }
  private seen(end: number): void {
    if (end > this.lastEnd) this.lastEnd = end;
  }
  /** A span for a node without real tokens. */
  private nowhere(): Span {
    return this.spanAt(this.lastEnd);
  }
  private spanAt(at: number): Span {
    if (this.depth === 0) return { start: at, end: at };
    this.pendingInside = true;
    return { start: NaN, end: NaN };
  }
  private error(): Expr {
    return { kind: "error", span: this.nowhere() };
  }
  private enter(): void {
    if (this.depth++ === 0) this.depthL0 = this.lastEnd;
  }
  /** Closes a `( … )` or `[ … ]` whose extent ends at `end`, with its contents. */
  private leave(end: number, contents: unknown): void {
    if (--this.depth > 0) return;
    const at = end > this.depthL0 ? end : this.depthL0;
    if (this.pendingInside) {
      this.pendingInside = false;
      placeSpans(contents, at);
    }
    this.lastEnd = at;
  }

  // Alternatives and options are built once (Chevrotain's performance guide): an object
  // literal inside a rule is rebuilt on every call, and under tsx (esbuild keepNames) each of
  // its arrow functions is also wrapped in a __name() call, which made parsing 2-3× slower.
  // An optional part whose first token is not next is not called at all (`if (… LA(1) …)`):
  // taking nothing still costs an OPTION or MANY a lookahead call and a loop a recovery check,
  // for every operand. Only parts where that check can do nothing are skipped: options, and
  // loops that end their rule or are followed by an option (in-loop recovery needs a token
  // after the loop); the recording phase always calls them, so the grammar is unchanged.
  private readonly statementAlts: IOrAlt<Statement | undefined>[] = [
    {
      ALT: () => {
        const t = this.CONSUME(T.Newline);
        if (!this.RECORDING_PHASE) {
          this.roles.set(t.startOffset, "terminator");
          this.rS = t.startOffset;
          this.rE = t.endOffset! + 1;
        }
        return undefined;
      },
    },
    {
      ALT: () => {
        const t = this.CONSUME(T.Semicolon);
        this.rS = t.startOffset;
        this.rE = t.endOffset! + 1;
        return undefined;
      },
    },
    { ALT: () => this.SUBRULE(this.statement) },
  ];
  private readonly atomAlts: IOrAlt<Expr>[] = [
    { ALT: () => this.atom(this.CONSUME(T.NumberLit)) },
    { ALT: () => this.atom(this.CONSUME(T.StringLit)) },
    { ALT: () => this.atom(this.CONSUME(T.True)) },
    { ALT: () => this.atom(this.CONSUME(T.False)) },
    { ALT: () => this.atom(this.CONSUME(T.Identifier)) },
    { ALT: () => this.SUBRULE(this.primary) },
  ];
  private readonly postfixAlts: IOrAlt<Suffix | IToken | null>[] = [
    { ALT: () => this.SUBRULE(this.callSuffix) },
    { ALT: () => this.SUBRULE(this.indexSuffix) },
    {
      ALT: () => {
        const dot = this.CONSUME(T.Dot);
        this.rS = dot.startOffset;
        this.rE = dot.endOffset! + 1;
        this.dotPending = true;
        const id = this.CONSUME2(T.Identifier);
        this.dotPending = false;
        if (real(id)) this.rE = id.endOffset! + 1;
        return id;
      },
    },
  ];
  private dotPending = false;
  // The operand being extended by suffixes (the loop restores it around nested operands).
  private sAcc: Expr | null = null;
  private sE = NaN;
  private readonly suffixLoop = () => {
    const acc = this.sAcc!, e = this.sE;
    try {
      const suffix = this.OR2(this.postfixAlts);
      this.sAcc = this.applySuffix(acc, suffix);
      this.sE = this.rE === this.rE ? this.rE : e;
    } catch (err) {
      this.sAcc = acc;
      this.sE = e;
      throw err;
    }
  };
  private readonly groupAlts: IOrAlt<Expr>[] = [{ ALT: () => this.paren() }, { ALT: () => this.list() }];
  private readonly minusLoop = () => {
    const t = this.CONSUME(T.Minus);
    if (!this.RECORDING_PHASE) {
      this.minus[this.mn++] = t;
      this.roles.set(t.startOffset, "unary");
    }
  };
  private readonly notFirst = () => this.pushNot(this.CONSUME(T.Not));
  private readonly notAfter = () => {
    // `not` only starts an operand of `=`, `|>`, `or` and `and` (or an expression); elsewhere
    // the operand that follows fails on it: "unexpected `not`, expected an expression".
    if (this.RECORDING_PHASE || NOT_AFTER[this.lastOp]) this.pushNot(this.CONSUME2(T.Not));
  };
  private readonly operatorLoop = {
    GATE: () => this.canTakeOperator(),
    DEF: () => {
      this.applyOperator(this.CONSUME(T.BinaryOperator));
      this.OPTION2(this.notAfter);
      const e = this.SUBRULE2(this.operand);
      this.pushValue(e, this.rS, this.rE);
    },
  };
  private readonly namedArgOption = {
    GATE: () => this.LA(2).tokenType === T.Colon,
    DEF: () => {
      const name = this.CONSUME(T.Identifier);
      this.colon = this.CONSUME(T.Colon);
      return name;
    },
  };
  private colon: IToken | undefined;
  private readonly commaOption = () => this.CONSUME(T.Comma);
  private items: Expr[] = [];
  private itemsE = NaN;
  private readonly indexItems = {
    SEP: T.Comma,
    DEF: () => {
      this.sepBefore();
      this.item(this.SUBRULE(this.expression));
    },
  };
  private readonly listItems = {
    SEP: T.Comma,
    DEF: () => {
      this.sepBefore();
      this.item(this.SUBRULE2(this.expression));
    },
  };
  private readonly blockOption = () => this.SUBRULE(this.block);

  file = this.RULE(
    "file",
    (): Statement[] => {
      try {
        return this.SUBRULE(this.statements);
      } catch (err) {
        this.stash(this.pendSet ? this.take() : [], NaN, NaN);
        throw err;
      }
    },
    this.cfg,
  );

  statements = this.RULE(
    "statements",
    (): Statement[] => {
      const list: Statement[] = [];
      let s = NaN, e = NaN;
      try {
        this.MANY(() => {
          const st = this.OR(this.statementAlts);
          if (st) list.push(st);
          if (s !== s) s = this.rS;
          if (this.rE === this.rE) e = this.rE;
        });
      } catch (err) {
        if (this.pendSet) {
          const st = this.take() as Statement | undefined;
          if (st) list.push(st);
          if (s !== s) s = this.pendS;
          if (this.pendE === this.pendE) e = this.pendE;
        }
        this.stash(list, s, e);
        throw err;
      }
      this.rS = s;
      this.rE = e;
      return list;
    },
    this.cfg,
  );

  // words (, words)* { block }?
  statement = this.RULE(
    "statement",
    (): Statement | undefined => {
      const groups: Expr[][] = [];
      let block: Block | undefined;
      let s = NaN, e = NaN;
      try {
        const g = this.SUBRULE(this.words);
        if (!this.RECORDING_PHASE) {
          if (g.length > 0) groups.push(g);
          s = this.rS;
          e = this.rE;
        }
        if (this.RECORDING_PHASE || this.LA(1).tokenType === T.Comma) this.MANY(() => {
          const c = this.CONSUME(T.Comma);
          if (s !== s) s = c.startOffset;
          if (real(c)) e = c.endOffset! + 1;
          const g2 = this.SUBRULE2(this.words);
          if (!this.RECORDING_PHASE && g2.length > 0) groups.push(g2);
          if (s !== s) s = this.rS;
          if (this.rE === this.rE) e = this.rE;
        });
        if (this.RECORDING_PHASE || this.LA(1).tokenType === T.LBrace) block = this.OPTION(this.blockOption);
        if (block && !this.RECORDING_PHASE) e = block.span.end;
      } catch (err) {
        if (this.pendSet) {
          const p = this.take() as Expr[] | Block;
          if (Array.isArray(p)) {
            if (p.length > 0) groups.push(p);
          } else block = p;
          if (s !== s) s = this.pendS;
          if (this.pendE === this.pendE) e = this.pendE;
        }
        this.stash(this.makeStatement(groups, block, s, e), s, e);
        throw err;
      }
      this.rS = s;
      this.rE = e;
      return this.makeStatement(groups, block, s, e);
    },
    this.cfg,
  );

  private makeStatement(groups: Expr[][], block: Block | undefined, s: number, e: number): Statement | undefined {
    if (groups.length === 0) return undefined;
    const span = s === s ? { start: s, end: e } : this.nowhere();
    this.seen(span.end);
    return { groups, block, span };
  }

  words = this.RULE(
    "words",
    (): Expr[] => {
      const list: Expr[] = [];
      let s = NaN, e = NaN;
      try {
        this.AT_LEAST_ONE(() => {
          list.push(this.SUBRULE(this.expression));
          if (s !== s) s = this.rS;
          if (this.rE === this.rE) e = this.rE;
        });
      } catch (err) {
        if (this.pendSet) {
          list.push(this.take() as Expr);
          if (s !== s) s = this.pendS;
          if (this.pendE === this.pendE) e = this.pendE;
        }
        this.stash(list, s, e);
        throw err;
      }
      this.rS = s;
      this.rE = e;
      return list;
    },
    this.cfg,
  );

  block = this.RULE(
    "block",
    (): Block => {
      let statements: Statement[] = [];
      let s = NaN, e = NaN;
      try {
        const open = this.CONSUME(T.LBrace);
        s = open.startOffset;
        e = open.endOffset! + 1;
        statements = this.SUBRULE(this.statements);
        if (this.rE === this.rE) e = this.rE;
        const close = this.CONSUME(T.RBrace);
        if (real(close)) e = close.endOffset! + 1;
      } catch (err) {
        if (this.pendSet) {
          statements = this.take() as Statement[];
          if (this.pendE === this.pendE) e = this.pendE;
        }
        const b = this.makeBlock(statements, s, e);
        this.stash(b, s, e);
        throw err;
      }
      this.rS = s;
      this.rE = e;
      return this.makeBlock(statements, s, e);
    },
    this.cfg,
  );

  private makeBlock(statements: Statement[], s: number, e: number): Block {
    const span = s === s ? { start: s, end: e } : this.nowhere();
    this.seen(span.end);
    return { statements, span };
  }

  // not? operand (operator not? operand)*, precedence resolved on the operator stack.
  expression = this.RULE(
    "expression",
    (): Expr => {
      const vBase = this.vn;
      const oBase = this.on;
      const outer = this.oBase;
      this.oBase = oBase;
      this.bases[this.bn++] = oBase;
      try {
        if (this.RECORDING_PHASE || this.LA(1).tokenType === T.Not) this.OPTION(this.notFirst);
        const e = this.SUBRULE(this.operand);
        this.pushValue(e, this.rS, this.rE);
        if (this.RECORDING_PHASE || this.canTakeOperator()) this.MANY(this.operatorLoop);
        return this.reduceAll(vBase, oBase);
      } catch (err) {
        if (this.pendSet) this.pushValue(this.take() as Expr | null, this.pendS, this.pendE);
        this.fillOperands(vBase, oBase);
        const x = this.reduceAll(vBase, oBase);
        this.stash(x, this.rS, this.rE);
        throw err;
      } finally {
        this.oBase = outer;
        this.bn--;
      }
    },
    this.cfg,
  );

  // -* (literal | name | ( … ) | [ … ]) (call | index | .name)*
  // Returns null for an operand without any real token (see reduceTop).
  operand = this.RULE(
    "operand",
    (): Expr | null => {
      const mBase = this.mn;
      let acc: Expr | null = null;
      let s = NaN, e = NaN;
      let inSuffixes = false;
      try {
        if (this.RECORDING_PHASE || this.LA(1).tokenType === T.Minus) this.MANY(this.minusLoop);
        acc = this.OR(this.atomAlts);
        s = this.rS;
        e = this.rE;
        if (this.RECORDING_PHASE || POSTFIX[this.LA(1).tokenTypeIdx]) {
          this.sAcc = acc;
          this.sE = e;
          inSuffixes = true;
          this.MANY2(this.suffixLoop);
          inSuffixes = false;
          acc = this.sAcc;
          e = this.sE;
        }
      } catch (err) {
        if (inSuffixes) {
          // the operand up to the suffix that failed
          acc = this.sAcc;
          e = this.sE;
        }
        if (this.pendSet) {
          const suffix = this.take() as Suffix;
          if (this.pendE === this.pendE) e = this.pendE;
          if (acc) acc = this.applySuffix(acc, suffix);
          else {
            // the `( … )` or `[ … ]` atom itself failed
            acc = suffix as unknown as Expr | null;
            s = this.pendS;
          }
        } else if (this.dotPending) {
          this.dotPending = false;
          e = this.rE;
        }
        const x = this.applyMinus(acc, mBase, s, e);
        this.stash(x, this.rS, this.rE);
        throw err;
      }
      if (this.RECORDING_PHASE) return null;
      return this.applyMinus(acc, mBase, s, e);
    },
    this.cfg,
  );

  // `( expression )` and `[ items ]`; literals and names are read in `operand`.
  primary = this.RULE(
    "primary",
    (): Expr => {
      this.enter();
      try {
        const x = this.OR(this.groupAlts);
        this.leave(this.rE, x);
        return x;
      } catch (err) {
        // paren/list stashed their partial value; close the container with its extent
        this.leave(this.pendE, this.pendVal);
        throw err;
      }
    },
    this.cfg,
  );

  private paren(): Expr {
    let s = NaN, e = NaN;
    let inner: Expr | undefined;
    try {
      const open = this.CONSUME(T.LParen);
      if (!this.RECORDING_PHASE) this.roles.set(open.startOffset, "group");
      s = open.startOffset;
      e = open.endOffset! + 1;
      inner = this.SUBRULE(this.expression);
      if (this.rE === this.rE) e = this.rE;
      const close = this.CONSUME(T.RParen);
      if (real(close)) e = close.endOffset! + 1;
    } catch (err) {
      if (this.pendSet) {
        inner = this.take() as Expr;
        if (this.pendE === this.pendE) e = this.pendE;
      }
      this.stash(inner ?? this.error(), s, e);
      throw err;
    }
    this.rS = s;
    this.rE = e;
    return inner;
  }

  private list(): Expr {
    const { items, s, e } = this.bracketItems("list", this.listItems, (items, s, e) => this.stash({ kind: "list", items, span: { start: s, end: e } }, s, e));
    this.rS = s;
    this.rE = e;
    return { kind: "list", items, span: { start: s, end: e } };
  }

  /** `[ item, … ]` of a list or an index: its items and span. On an error, `partial` stashes
   *  what was read before the error is rethrown. */
  private bracketItems(role: Role, many: typeof this.listItems, partial: (items: Expr[], s: number, e: number) => void): { items: Expr[]; s: number; e: number } {
    let s = NaN, e = NaN;
    const outer = this.items, outerE = this.itemsE;
    const items: Expr[] = (this.items = []);
    try {
      const open = this.CONSUME(T.LBracket);
      if (!this.RECORDING_PHASE) this.roles.set(open.startOffset, role);
      s = open.startOffset;
      this.itemsE = open.endOffset! + 1;
      this.MANY_SEP(many);
      e = this.itemsE;
      const close = this.CONSUME(T.RBracket);
      if (real(close)) e = close.endOffset! + 1;
    } catch (err) {
      if (this.pendSet) {
        items.push(this.take() as Expr);
        if (this.pendE === this.pendE) this.itemsE = this.pendE;
      }
      e = this.itemsE;
      partial(items, s, e);
      throw err;
    } finally {
      this.items = outer;
      this.itemsE = outerE;
    }
    return { items, s, e };
  }

  /** One item of a `[ … ]`; the separator before it (if any) is the token just consumed. */
  private item(x: Expr): void {
    if (this.RECORDING_PHASE) return;
    this.items.push(x);
    if (this.rE === this.rE) this.itemsE = this.rE;
  }
  private sepBefore(): void {
    if (this.RECORDING_PHASE || this.items.length === 0) return;
    const sep = this.LA(0);
    if (sep.tokenType === T.Comma && real(sep) && !(sep.endOffset! + 1 <= this.itemsE)) this.itemsE = sep.endOffset! + 1;
  }

  // Commas between arguments are optional in the grammar so that a forgotten one is one
  // precise error ("expected `,` between arguments") instead of a cascade.
  callSuffix = this.RULE(
    "callSuffix",
    (): Suffix => {
      this.enter();
      const args: Argument[] = [];
      const commas: number[] = [];
      let s = NaN, e = NaN;
      // every argument so far has a real extent, and every one before the last a comma after it
      let separated = true;
      let comma = true;
      try {
        const open = this.CONSUME(T.LParen);
        if (!this.RECORDING_PHASE) this.roles.set(open.startOffset, "call");
        s = open.startOffset;
        e = open.endOffset! + 1;
        this.MANY(() => {
          const a = this.SUBRULE(this.argument);
          if (this.rE === this.rE) e = this.rE;
          else separated = false;
          if (!comma) separated = false;
          args.push(a);
          const c = this.RECORDING_PHASE || this.LA(1).tokenType === T.Comma ? this.OPTION(this.commaOption) : undefined;
          comma = c !== undefined;
          if (c !== undefined && !this.RECORDING_PHASE) {
            commas.push(c.startOffset);
            e = c.endOffset! + 1;
          }
        });
        const close = this.CONSUME(T.RParen);
        if (real(close)) e = close.endOffset! + 1;
      } catch (err) {
        if (this.pendSet) {
          args.push(this.take() as Argument);
          if (this.pendE === this.pendE) e = this.pendE;
        }
        this.leave(e, args);
        this.commaCheck(args, commas, false);
        this.stash({ call: true, items: [], args, start: s, end: e }, s, e);
        throw err;
      }
      this.leave(e, args);
      this.commaCheck(args, commas, separated);
      this.rS = s;
      this.rE = e;
      return { call: true, items: [], args, start: s, end: e };
    },
    this.cfg,
  );

  private commaCheck(args: Argument[], commas: number[], separated: boolean): void {
    // Nothing to report when every argument but the last was followed by its comma.
    if (args.length < 2 || separated) return;
    this.commaChecks.push({ args, commas });
  }

  argument = this.RULE(
    "argument",
    (): Argument => {
      let name: IToken | undefined;
      let colon: IToken | undefined;
      let value: Expr | undefined;
      this.colon = undefined;
      try {
        if (this.RECORDING_PHASE || this.LA(2).tokenType === T.Colon) name = this.OPTION(this.namedArgOption);
        colon = this.colon;
        value = this.SUBRULE(this.expression);
      } catch (err) {
        if (this.pendSet) {
          value = this.take() as Expr;
          this.rS = this.pendS;
          this.rE = this.pendE;
        } else this.rS = this.rE = NaN;
        const a = this.makeArgument(name, colon, value);
        this.stash(a, this.rS, this.rE);
        throw err;
      }
      if (this.RECORDING_PHASE) return value as never;
      return this.makeArgument(name, colon, value);
    },
    this.cfg,
  );

  /** The argument node; its value's extent is in rS/rE, and so is the argument's afterwards. */
  private makeArgument(nameTok: IToken | undefined, colon: IToken | undefined, value: Expr | undefined): Argument {
    let s = this.rS, e = this.rE;
    if (real(nameTok)) {
      s = nameTok.startOffset;
      if (e !== e) e = nameTok.endOffset! + 1;
    }
    if (real(colon) && !(e >= colon.endOffset! + 1)) e = colon.endOffset! + 1;
    const v = value ?? this.error();
    const name: NameExpr | undefined = real(nameTok) ? { kind: "name", name: nameTok.image, span: tokenSpan(nameTok) } : undefined;
    const span = s === s ? { start: s, end: e } : this.nowhere();
    this.seen(span.end);
    this.rS = s;
    this.rE = e;
    return { name, value: v, span };
  }

  indexSuffix = this.RULE(
    "indexSuffix",
    (): Suffix => {
      this.enter();
      const { items, s, e } = this.bracketItems("index", this.indexItems, (items, s, e) => {
        this.leave(e, items);
        this.stash({ call: false, items, args: [], start: s, end: e }, s, e);
      });
      this.leave(e, items);
      this.rS = s;
      this.rE = e;
      return { call: false, items, args: [], start: s, end: e };
    },
    this.cfg,
  );

  // ---- AST building ----

  private atom(t: IToken): Expr {
    const span = tokenSpan(t);
    this.rS = span.start;
    this.rE = span.end;
    this.seen(span.end);
    switch (t.tokenType) {
      case T.NumberLit:
        return parseNumber(t.image, span);
      case T.StringLit:
        return { kind: "string", value: unquote(t.image), span };
      case T.True:
        return { kind: "bool", value: true, span };
      case T.False:
        return { kind: "bool", value: false, span };
      default:
        return { kind: "name", name: t.image, span };
    }
  }

  private applySuffix(acc: Expr, suffix: Suffix | IToken | null): Expr {
    if (this.RECORDING_PHASE || suffix === null) return acc;
    if ((suffix as IToken).tokenType !== undefined) {
      const id = suffix as IToken;
      if (!real(id)) return acc;
      const member: NameExpr = { kind: "name", name: id.image, span: tokenSpan(id) };
      return { kind: "member", target: acc, member, span: { start: acc.span.start, end: member.span.end } };
    }
    const sx = suffix as Suffix;
    const sp = { start: sx.start, end: sx.end };
    if (sx.call) return { kind: "call", callee: acc, args: sx.args, argsSpan: sp, span: { start: acc.span.start, end: sp.end } };
    return { kind: "index", target: acc, items: sx.items, span: { start: acc.span.start, end: sp.end } };
  }

  /** Applies the operand's prefix minuses (innermost first); leaves its extent in rS/rE. */
  private applyMinus(acc: Expr | null, mBase: number, s: number, e: number): Expr | null {
    for (let i = this.mn - 1; i >= mBase; i--) {
      const t = this.minus[i];
      const operand = acc ?? this.error();
      s = t.startOffset;
      if (!(e >= t.endOffset! + 1)) e = t.endOffset! + 1;
      const span = { start: s, end: e };
      acc =
        operand.kind === "number"
          ? { kind: "number", value: -operand.value, unit: operand.unit, raw: "-" + operand.raw, span }
          : { kind: "unary", op: "-", operand, span };
      this.seen(e);
    }
    this.mn = mBase;
    this.rS = s;
    this.rE = e;
    return acc;
  }

  private pushNot(t: IToken): void {
    if (this.RECORDING_PHASE) return;
    this.pushOp(C_NOT, t);
  }

  private pushValue(x: Expr | null, s: number, e: number): void {
    if (this.RECORDING_PHASE) return;
    const i = this.vn++;
    this.vX[i] = x;
    this.vS[i] = s;
    this.vE[i] = e;
    this.vL[i] = this.lastEnd;
  }

  /** Can the next token continue the current expression? */
  private canTakeOperator(): boolean {
    const code = CODE_OF[this.LA(1).tokenTypeIdx];
    if (code === undefined) return false;
    const level = LEVEL[code];
    if (code !== C_STEP && !NON_ASSOC[level]) return true;
    // A comparison, range or `as` does not chain, and `step` continues only a range
    // (without a step yet): look past the tighter operators still open.
    for (let i = this.on - 1; i >= this.oBase; i--) {
      const c = this.oC[i];
      const l = LEVEL[c];
      if (l > level) continue;
      if (code === C_STEP) return c === C_RANGE;
      return l !== level;
    }
    return code !== C_STEP;
  }

  private applyOperator(t: IToken): void {
    if (this.RECORDING_PHASE) return;
    const code = CODE_OF[t.tokenTypeIdx];
    this.lastOp = code;
    const level = LEVEL[code];
    while (this.on > this.oBase && LEVEL[this.oC[this.on - 1]] > level) this.reduceTop();
    if (code === C_STEP) {
      // `low .. high step s`: the range operator takes a third operand; the keyword's extent
      // joins the operator's.
      const top = this.on - 1;
      this.oC[top] = C_RANGE_STEP;
      this.oE[top] = t.endOffset! + 1;
      return;
    }
    this.pushOp(code, t);
  }

  private pushOp(code: number, t: IToken): void {
    const i = this.on++;
    this.oC[i] = code;
    this.oS[i] = t.startOffset;
    this.oE[i] = t.endOffset! + 1;
  }

  /** After a failure: an empty operand for every operator still waiting for one. */
  private fillOperands(vBase: number, oBase: number): void {
    let need = 1;
    for (let i = oBase; i < this.on; i++) {
      const c = this.oC[i];
      if (c === C_RANGE_STEP) need += 2;
      else if (c !== C_NOT) need++;
    }
    while (this.vn - vBase < need) this.pushValue(null, NaN, NaN);
  }

  private reduceAll(vBase: number, oBase: number): Expr {
    if (this.RECORDING_PHASE) return null as never;
    while (this.on > oBase) this.reduceTop();
    const top = vBase;
    const x = this.vX[top] ?? this.errorAt(this.vL[top]);
    this.rS = this.vS[top];
    this.rE = this.vE[top];
    this.vn = vBase;
    return x;
  }

  /** The operand at stack index i as an expression (an empty one becomes an error node). */
  private operandAt(i: number): Expr {
    return this.vX[i] ?? this.errorAt(this.vL[i]);
  }
  private errorAt(at: number): Expr {
    return { kind: "error", span: this.spanAt(at) };
  }

  private reduceTop(): void {
    const oTop = this.on - 1;
    const code = this.oC[oTop];
    const level = LEVEL[code];
    // operators [first, oTop] and operands [v0, vTop] make the node
    let first = oTop;
    let operands = 2;
    if (code === C_NOT) operands = 1;
    else if (code === C_RANGE_STEP) operands = 3;
    else if (level !== ASSIGN && !NON_ASSOC[level]) {
      while (first > this.oBase && this.oC[first - 1] !== C_NOT && LEVEL[this.oC[first - 1]] === level) first--;
      operands = oTop - first + 2;
    }
    const vTop = this.vn - 1;
    const v0 = vTop - operands + 1;
    // extent: first real token .. last real token over operands and operators, in source order
    let s = NaN, e = NaN;
    if (code === C_NOT) {
      s = this.oS[oTop];
      e = this.oE[oTop];
    }
    for (let i = v0, o = first; i <= vTop; i++, o++) {
      if (s !== s) s = this.vS[i];
      if (this.vE[i] === this.vE[i] && !(this.vE[i] <= e)) e = this.vE[i];
      if (i < vTop && code !== C_NOT && o <= oTop) {
        if (s !== s) s = this.oS[o];
        if (!(this.oE[o] <= e)) e = this.oE[o];
      }
    }
    let x: Expr;
    switch (level) {
      case NOT:
        x = { kind: "unary", op: "not", operand: this.operandAt(v0), span: this.spanOf(s, e) };
        break;
      case ASSIGN:
        x = { kind: "assign", target: this.operandAt(v0), value: this.operandAt(v0 + 1), span: this.spanOf(s, e) };
        break;
      case RANGE: {
        const low = this.operandAt(v0), high = this.operandAt(v0 + 1);
        x = { kind: "range", low, high, step: code === C_RANGE_STEP ? this.operandAt(v0 + 2) : undefined, span: this.spanOf(s, e) };
        break;
      }
      case AS:
        x = { kind: "as", value: this.operandAt(v0), type: this.operandAt(v0 + 1), span: this.spanOf(s, e) };
        break;
      case PIPE: {
        const stages: Expr[] = [];
        for (let i = v0; i <= vTop; i++) stages.push(this.operandAt(i));
        x = { kind: "pipe", stages, span: this.spanOf(s, e) };
        break;
      }
      default: {
        // Left-associative chain; operands without any real token drop out, and each
        // remaining operand joins with the operator just before it.
        let acc: Expr | null = null;
        for (let i = v0; i <= vTop; i++) {
          const r = this.vX[i];
          if (!r) continue;
          if (!acc) acc = r;
          else acc = { kind: "binary", op: OP_TEXT[this.oC[first + (i - v0) - 1]] as BinaryOp, left: acc, right: r, span: { start: acc.span.start, end: r.span.end } };
        }
        x = acc ?? { kind: "error", span: this.spanOf(s, e) };
      }
    }
    this.on = first;
    this.vn = v0;
    this.pushValue(x, s, e);
  }

  private spanOf(s: number, e: number): Span {
    this.seen(e);
    return { start: s, end: e };
  }

  /** The "expected `,` between arguments" errors, from the calls that may lack a comma. */
  commaErrors(): SyntaxError[] {
    const out: SyntaxError[] = [];
    for (const { args, commas } of this.commaChecks) {
      for (let k = 1; k < args.length; k++) {
        const prevEnd = args[k - 1].span.end;
        const before = args[k].span.start;
        if (!commas.some((c) => c >= prevEnd && c < before)) {
          out.push({ kind: "comma", message: "expected `,` between arguments", start: prevEnd, end: prevEnd });
        }
      }
    }
    return out;
  }
}

/** One parser instance: Chevrotain parsers are reusable via `input =`. */
const parser = new DlpParser();

export interface SyntaxError {
  /** "comma": a missing `,` between call arguments (the fix inserts one at `start`). */
  kind: "lex" | "parse" | "comma" | "depth";
  /** What a "lex" error is (the compiler gives each its own diagnostic code). */
  lexical?: "unterminated_string" | "unexpected_character";
  message: string;
  /** Offsets [start, end) into the text; from a real token, never an inserted one. */
  start: number;
  end: number;
  /** The offending token's image when there is one. */
  found?: string;
  /** Token names the parser expected, when known. */
  expected?: string[];
}

export interface ParseResult {
  ast: SourceFile;
  errors: SyntaxError[];
  comments: IToken[];
  tokens: IToken[];
  /** Roles of tokens, by start offset, for the formatter. */
  roles: Map<number, Role>;
}

// Newlines end statements, except where a statement obviously goes on: after an operator,
// a comma or an opening bracket, or before `|>`, `..`, `{`, a closing bracket or a comma.
// The rule holds inside brackets too, so a missing `)` is reported on its own line instead
// of swallowing the lines after it.
const CONTINUES_AFTER = new Set([
  T.Comma, T.Equals, T.Pipe, T.Plus, T.Minus, T.Star, T.Slash, T.And, T.Or, T.Not, T.EqEq, T.NotEq,
  T.Less, T.LessEq, T.Greater, T.GreaterEq, T.Colon, T.DotDot, T.As, T.Dot, T.LParen, T.LBracket,
]);
const CONTINUES_BEFORE = new Set([T.Pipe, T.DotDot, T.LBrace, T.RParen, T.RBracket, T.Dot, T.Comma]);

/** The parser's input: statement-ending newlines only, and `step` as a StepKeyword. */
function significantTokens(tokens: IToken[]): IToken[] {
  const out: IToken[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.tokenType !== T.Newline) {
      if (t.tokenType === T.Identifier && t.image === "step") out.push({ ...t, tokenType: T.StepKeyword, tokenTypeIdx: T.StepKeyword.tokenTypeIdx! });
      else out.push(t);
      continue;
    }
    const prev = out[out.length - 1];
    if (!prev || prev.tokenType === T.Newline || CONTINUES_AFTER.has(prev.tokenType)) continue;
    let j = i + 1;
    while (j < tokens.length && tokens[j].tokenType === T.Newline) j++;
    if (j < tokens.length && CONTINUES_BEFORE.has(tokens[j].tokenType)) continue;
    out.push(t);
  }
  return out;
}

function describeToken(t: IToken): string {
  if (t.tokenType === EOF) return "end of file";
  if (t.tokenType === T.Newline) return "end of line";
  return `\`${t.image}\``;
}

export function parseDlp(text: string): ParseResult {
  const lexed = T.dlpLexer.tokenize(text);
  const errors: SyntaxError[] = [];
  for (const e of lexed.errors as ILexingError[]) {
    const ch = text.slice(e.offset, e.offset + (e.length || 1));
    errors.push({ kind: "lex", lexical: "unexpected_character", message: `unexpected character \`${ch}\``, start: e.offset, end: e.offset + (e.length || 1), found: ch });
  }
  const tokens: IToken[] = [];
  for (const t of lexed.tokens) {
    if (t.tokenType === T.BadString) {
      errors.push({ kind: "lex", lexical: "unterminated_string", message: "unterminated string", start: t.startOffset, end: t.endOffset! + 1, found: t.image });
      continue;
    }
    tokens.push(t);
  }
  // Too deep to parse without overflowing the stack: one positioned error, no tree.
  const tooDeep = nestingError(tokens);
  if (tooDeep) {
    errors.push({ kind: "depth", ...tooDeep, found: text.slice(tooDeep.start, tooDeep.end) });
    return { ast: { statements: [], span: { start: 0, end: text.length } }, errors, comments: (lexed.groups.comments ?? []) as IToken[], tokens, roles: new Map() };
  }
  parser.begin(significantTokens(tokens));
  const statements = parser.file() ?? [];
  for (const e of parser.errors as IRecognitionException[]) {
    errors.push(toSyntaxError(e, text, tokens));
  }
  if (parser.commaChecks.length) errors.push(...parser.commaErrors());
  for (const d of cutDeepExpressions(statements)) errors.push({ kind: "depth", ...d });
  const ast: SourceFile = { statements, span: { start: 0, end: text.length } };
  return { ast, errors, comments: (lexed.groups.comments ?? []) as IToken[], tokens, roles: parser.roles };
}

function toSyntaxError(e: IRecognitionException, text: string, tokens: IToken[]): SyntaxError {
  let tok = e.token;
  // Recovery may report on an inserted or EOF token without a position: fall back to the
  // previous real token, or the end of the text.
  if (tok.tokenType === EOF || !Number.isFinite(tok.startOffset)) {
    const prev = (e as { previousToken?: IToken }).previousToken;
    const anchor = prev && Number.isFinite(prev.startOffset) ? prev : tokens[tokens.length - 1];
    const at = anchor ? anchor.endOffset! + 1 : text.length;
    return {
      kind: "parse",
      message: e.name === "MismatchedTokenException" ? mismatchMessage(e) : "unexpected end of file",
      start: Math.min(at, text.length),
      end: Math.min(at, text.length),
      found: "end of file",
    };
  }
  const found = describeToken(tok);
  let message: string;
  if (e.name === "MismatchedTokenException") message = mismatchMessage(e);
  else if (e.name === "NotAllInputParsedException") message = `unexpected ${found}`;
  else if (e.name === "NoViableAltException" || e.name === "EarlyExitException") message = `unexpected ${found}, expected an expression`;
  else message = `unexpected ${found}`;
  const end = tok.tokenType === T.Newline ? tok.startOffset : tok.endOffset! + 1;
  return { kind: "parse", message, start: tok.startOffset, end: Math.max(end, tok.startOffset), found: tok.image };
}

const TOKEN_WORDS: Record<string, string> = {
  RParen: "`)`", RBracket: "`]`", RBrace: "`}`", LBrace: "`{`", LParen: "`(`", Colon: "`:`", Comma: "`,`",
  Identifier: "a name", Equals: "`=`",
};

function mismatchMessage(e: IRecognitionException): string {
  // Chevrotain's message reads "Expecting token of type --> RParen <-- but found --> 'x' <--".
  const m = /-->\s*(\w+)\s*<--/.exec(e.message);
  const want = m ? TOKEN_WORDS[m[1]] ?? m[1] : "another token";
  const found = e.token.tokenType === EOF || !Number.isFinite(e.token.startOffset) ? "end of file" : describeToken(e.token);
  return `expected ${want}, found ${found}`;
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

export { DlpParser };
export const parserInstance = parser;
