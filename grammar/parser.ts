// Grammar-only Chevrotain CstParser for .dlp. `parseDlp` never throws: lexing and
// parsing errors come back as data, and recovery keeps the rest of the file parsed.
import type { CstNode, IToken, IRecognitionException, ILexingError, IOrAlt } from "chevrotain";
import { CstParser, EOF } from "./chevrotain.ts";
import * as T from "./tokens.ts";

class DlpParser extends CstParser {
  /** `validate`: run Chevrotain's grammar validations (ambiguities, left recursion). They cost
   *  ~60-120 ms of every cold start, so the shared instance skips them and a test runs them. */
  constructor(validate = false) {
    super(T.allTokens, { recoveryEnabled: true, nodeLocationTracking: "onlyOffset", maxLookahead: 3, skipValidations: !validate });
    this.performSelfAnalysis();
  }

  // Alternatives and gated options are built once (Chevrotain's performance guide): an object
  // literal inside a rule is rebuilt on every call, and under tsx (esbuild keepNames) each of
  // its arrow functions is also wrapped in a __name() call, which made parsing 2-3× slower.
  private readonly statementAlts: IOrAlt<unknown>[] = [
    { ALT: () => this.CONSUME(T.Newline) },
    { ALT: () => this.CONSUME(T.Semicolon) },
    { ALT: () => this.SUBRULE(this.statement) },
  ];
  private readonly comparisonAlts: IOrAlt<unknown>[] = [
    { ALT: () => this.CONSUME(T.EqEq) },
    { ALT: () => this.CONSUME(T.NotEq) },
    { ALT: () => this.CONSUME(T.LessEq) },
    { ALT: () => this.CONSUME(T.GreaterEq) },
    { ALT: () => this.CONSUME(T.Less) },
    { ALT: () => this.CONSUME(T.Greater) },
  ];
  private readonly additiveAlts: IOrAlt<unknown>[] = [{ ALT: () => this.CONSUME(T.Plus) }, { ALT: () => this.CONSUME(T.Minus) }];
  private readonly multiplicativeAlts: IOrAlt<unknown>[] = [{ ALT: () => this.CONSUME(T.Star) }, { ALT: () => this.CONSUME(T.Slash) }];
  private readonly unaryAlts: IOrAlt<unknown>[] = [
    {
      ALT: () => {
        this.CONSUME(T.Minus);
        this.SUBRULE(this.unary);
      },
    },
    { ALT: () => this.SUBRULE(this.postfix) },
  ];
  private readonly postfixAlts: IOrAlt<unknown>[] = [
    { ALT: () => this.SUBRULE(this.callSuffix) },
    { ALT: () => this.SUBRULE(this.indexSuffix) },
    {
      ALT: () => {
        this.CONSUME(T.Dot);
        this.CONSUME(T.Identifier);
      },
    },
  ];
  private readonly primaryAlts: IOrAlt<unknown>[] = [
    { ALT: () => this.CONSUME(T.NumberLit) },
    { ALT: () => this.CONSUME(T.StringLit) },
    { ALT: () => this.CONSUME(T.True) },
    { ALT: () => this.CONSUME(T.False) },
    { ALT: () => this.CONSUME(T.Identifier) },
    {
      ALT: () => {
        this.CONSUME(T.LParen);
        this.SUBRULE(this.expression);
        this.CONSUME(T.RParen);
      },
    },
    {
      ALT: () => {
        this.CONSUME(T.LBracket);
        this.MANY_SEP(this.listItems);
        this.CONSUME(T.RBracket);
      },
    },
  ];
  private readonly stepOption = {
    GATE: () => this.LA(1).image === "step",
    DEF: () => {
      this.CONSUME(T.Identifier, { LABEL: "stepKw" });
      this.SUBRULE3(this.asExpr, { LABEL: "step" });
    },
  };
  private readonly namedArgOption = {
    GATE: () => this.LA(2).tokenType === T.Colon,
    DEF: () => {
      this.CONSUME(T.Identifier, { LABEL: "name" });
      this.CONSUME(T.Colon);
    },
  };
  private readonly indexItems = { SEP: T.Comma, DEF: () => this.SUBRULE(this.expression) };
  private readonly listItems = { SEP: T.Comma, DEF: () => this.SUBRULE2(this.expression) };

  file = this.RULE("file", () => {
    this.SUBRULE(this.statements);
  });

  statements = this.RULE("statements", () => {
    this.MANY(() => {
      this.OR(this.statementAlts);
    });
  });

  // words (, words)* { block }?
  statement = this.RULE("statement", () => {
    this.SUBRULE(this.words);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.words);
    });
    this.OPTION(() => this.SUBRULE(this.block));
  });

  words = this.RULE("words", () => {
    this.AT_LEAST_ONE(() => this.SUBRULE(this.expression));
  });

  block = this.RULE("block", () => {
    this.CONSUME(T.LBrace);
    this.SUBRULE(this.statements);
    this.CONSUME(T.RBrace);
  });

  expression = this.RULE("expression", () => {
    this.SUBRULE(this.pipeExpr);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.expression);
    });
  });

  pipeExpr = this.RULE("pipeExpr", () => {
    this.SUBRULE(this.orExpr);
    this.MANY(() => {
      this.CONSUME(T.Pipe);
      this.SUBRULE2(this.orExpr);
    });
  });

  orExpr = this.RULE("orExpr", () => {
    this.SUBRULE(this.andExpr);
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andExpr);
    });
  });

  andExpr = this.RULE("andExpr", () => {
    this.SUBRULE(this.notExpr);
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.notExpr);
    });
  });

  notExpr = this.RULE("notExpr", () => {
    this.OPTION(() => this.CONSUME(T.Not));
    this.SUBRULE(this.comparison);
  });

  comparison = this.RULE("comparison", () => {
    this.SUBRULE(this.rangeExpr);
    this.OPTION(() => {
      this.OR(this.comparisonAlts);
      this.SUBRULE2(this.rangeExpr);
    });
  });

  // a..b and a..b step s (`step` is contextual, so it stays usable as a name)
  rangeExpr = this.RULE("rangeExpr", () => {
    this.SUBRULE(this.asExpr);
    this.OPTION(() => {
      this.CONSUME(T.DotDot);
      this.SUBRULE2(this.asExpr);
      this.OPTION2(this.stepOption);
    });
  });

  asExpr = this.RULE("asExpr", () => {
    this.SUBRULE(this.additive);
    this.OPTION(() => {
      this.CONSUME(T.As);
      this.SUBRULE2(this.additive);
    });
  });

  additive = this.RULE("additive", () => {
    this.SUBRULE(this.multiplicative);
    this.MANY(() => {
      this.OR(this.additiveAlts);
      this.SUBRULE2(this.multiplicative);
    });
  });

  multiplicative = this.RULE("multiplicative", () => {
    this.SUBRULE(this.unary);
    this.MANY(() => {
      this.OR(this.multiplicativeAlts);
      this.SUBRULE2(this.unary);
    });
  });

  unary = this.RULE("unary", () => {
    this.OR(this.unaryAlts);
  });

  postfix = this.RULE("postfix", () => {
    this.SUBRULE(this.primary);
    this.MANY(() => {
      this.OR(this.postfixAlts);
    });
  });

  // Commas between arguments are optional in the grammar so that a forgotten one is one
  // precise error (reported by the AST builder) instead of a cascade.
  callSuffix = this.RULE("callSuffix", () => {
    this.CONSUME(T.LParen);
    this.MANY(() => {
      this.SUBRULE(this.argument);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RParen);
  });

  argument = this.RULE("argument", () => {
    this.OPTION(this.namedArgOption);
    this.SUBRULE(this.expression);
  });

  indexSuffix = this.RULE("indexSuffix", () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP(this.indexItems);
    this.CONSUME(T.RBracket);
  });

  primary = this.RULE("primary", () => {
    this.OR(this.primaryAlts);
  });
}

/** One parser instance: Chevrotain parsers are reusable via `input =`. */
const parser = new DlpParser();

export interface SyntaxError {
  kind: "lex" | "parse";
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
  cst: CstNode;
  errors: SyntaxError[];
  comments: IToken[];
  tokens: IToken[];
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

function significantTokens(tokens: IToken[]): IToken[] {
  const out: IToken[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.tokenType !== T.Newline) {
      out.push(t);
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
    errors.push({ kind: "lex", message: `unexpected character \`${ch}\``, start: e.offset, end: e.offset + (e.length || 1), found: ch });
  }
  const tokens: IToken[] = [];
  for (const t of lexed.tokens) {
    if (t.tokenType === T.BadString) {
      errors.push({ kind: "lex", message: "unterminated string", start: t.startOffset, end: t.endOffset! + 1, found: t.image });
      continue;
    }
    tokens.push(t);
  }
  parser.input = significantTokens(tokens);
  const cst = parser.file();
  for (const e of parser.errors as IRecognitionException[]) {
    errors.push(toSyntaxError(e, text, tokens));
  }
  return { cst, errors, comments: (lexed.groups.comments ?? []) as IToken[], tokens };
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

export { DlpParser };
export const parserInstance = parser;
