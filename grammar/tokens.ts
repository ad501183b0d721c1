// Tokens of .dlp. The language is a small command language: a statement is a run of
// expressions ("words") on one line, optionally followed by a `{ … }` block, so most
// section and setting names are plain identifiers that the compiler interprets (and can
// answer with "did you mean"). Only a handful of words are reserved.
import type { TokenType } from "chevrotain";
import { createToken, Lexer } from "./chevrotain.ts";

export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/ });

// Parser-only token categories (no pattern: the lexer never produces them). Every binary
// operator is also a BinaryOperator, so the parser's flat expression rule consumes "the next
// operator" in one step and resolves precedence itself. `step` lexes as an Identifier; the
// parser re-tags it as a StepKeyword (still an Identifier, so it stays usable as a name), so
// that only `step` — not every name — can continue a range `a..b step s`.
export const BinaryOperator = createToken({ name: "BinaryOperator", pattern: Lexer.NA });
export const StepKeyword = createToken({ name: "StepKeyword", pattern: Lexer.NA, categories: [Identifier, BinaryOperator] });
const binary = { categories: [BinaryOperator] };

function keyword(name: string, word: string, categories: TokenType[] = []): TokenType {
  return createToken({ name, pattern: new RegExp(word + "\\b"), longer_alt: Identifier, categories });
}

export const As = keyword("As", "as", [BinaryOperator]);
export const True = keyword("True", "true");
export const False = keyword("False", "false");
export const And = keyword("And", "and", [BinaryOperator]);
export const Or = keyword("Or", "or", [BinaryOperator]);
export const Not = keyword("Not", "not");

// A number may carry a unit: `10%` (a fraction) or `10deg` (degrees).
export const NumberLit = createToken({
  name: "NumberLit",
  pattern: /(?:\d+\.\d+|\d+|\.\d+)(?:[eE][+-]?\d+)?(?:%|deg\b)?/,
});
export const StringLit = createToken({ name: "StringLit", pattern: /"(?:[^"\\\r\n]|\\.)*"/ });
// An unterminated string is lexed as a token of its own so the error points at it.
export const BadString = createToken({ name: "BadString", pattern: /"(?:[^"\\\r\n]|\\.)*/ });

export const Pipe = createToken({ name: "Pipe", pattern: /\|>/, ...binary });
export const DotDot = createToken({ name: "DotDot", pattern: /\.\./, ...binary });
export const Dot = createToken({ name: "Dot", pattern: /\./ });
export const EqEq = createToken({ name: "EqEq", pattern: /==/, ...binary });
export const NotEq = createToken({ name: "NotEq", pattern: /!=/, ...binary });
export const LessEq = createToken({ name: "LessEq", pattern: /<=/, ...binary });
export const GreaterEq = createToken({ name: "GreaterEq", pattern: />=/, ...binary });
export const Less = createToken({ name: "Less", pattern: /</, ...binary });
export const Greater = createToken({ name: "Greater", pattern: />/, ...binary });
export const Equals = createToken({ name: "Equals", pattern: /=/, ...binary });
export const Plus = createToken({ name: "Plus", pattern: /\+/, ...binary });
export const Minus = createToken({ name: "Minus", pattern: /-/, ...binary });
export const Star = createToken({ name: "Star", pattern: /\*/, ...binary });
export const Slash = createToken({ name: "Slash", pattern: /\//, ...binary });
export const LParen = createToken({ name: "LParen", pattern: /\(/ });
export const RParen = createToken({ name: "RParen", pattern: /\)/ });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/ });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/ });
export const LBrace = createToken({ name: "LBrace", pattern: /\{/ });
export const RBrace = createToken({ name: "RBrace", pattern: /\}/ });
export const Comma = createToken({ name: "Comma", pattern: /,/ });
export const Colon = createToken({ name: "Colon", pattern: /:/ });
export const Semicolon = createToken({ name: "Semicolon", pattern: /;/ });
/** Statement terminator. Dropped inside () and [] and around continuation operators. */
export const Newline = createToken({ name: "Newline", pattern: /\r?\n/, line_breaks: true });

export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\r\n]*/, group: "comments" });
export const BlockComment = createToken({
  name: "BlockComment",
  pattern: /\/\*[\s\S]*?\*\//,
  group: "comments",
  line_breaks: true,
});
export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\f\v]+/, group: Lexer.SKIPPED });

export const allTokens: TokenType[] = [
  WhiteSpace,
  Newline,
  LineComment,
  BlockComment,
  Pipe,
  DotDot,
  NumberLit,
  Dot,
  StringLit,
  BadString,
  EqEq,
  NotEq,
  LessEq,
  GreaterEq,
  Less,
  Greater,
  Equals,
  Plus,
  Minus,
  Star,
  Slash,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Semicolon,
  As,
  True,
  False,
  And,
  Or,
  Not,
  Identifier,
];

export const dlpLexer = new Lexer(allTokens, { ensureOptimizations: true, positionTracking: "full" });
