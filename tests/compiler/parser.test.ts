// The parser (grammar/parser.ts): the trees its flat, operator-stack expression rule builds are
// the ones a grammar with one rule per precedence level gave, spans included; errors and
// recovery are unchanged; the formatter's token roles.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseDlp } from "../../grammar/parser.ts";
import type { Expr } from "../../grammar/ast.ts";

/** An expression as an S-expression: `(op operands…)`. */
function sx(e: Expr): string {
  switch (e.kind) {
    case "number":
      return e.raw;
    case "string":
      return JSON.stringify(e.value);
    case "bool":
      return String(e.value);
    case "name":
      return e.name;
    case "error":
      return "<error>";
    case "list":
      return `[${e.items.map(sx).join(" ")}]`;
    case "call":
      return `(call ${sx(e.callee)}${e.args.map((a) => " " + (a.name ? a.name.name + ":" : "") + sx(a.value)).join("")})`;
    case "index":
      return `(index ${sx(e.target)}${e.items.map((i) => " " + sx(i)).join("")})`;
    case "member":
      return `(. ${sx(e.target)} ${e.member.name})`;
    case "unary":
      return `(${e.op} ${sx(e.operand)})`;
    case "binary":
      return `(${e.op} ${sx(e.left)} ${sx(e.right)})`;
    case "range":
      return `(.. ${sx(e.low)} ${sx(e.high)}${e.step ? " " + sx(e.step) : ""})`;
    case "as":
      return `(as ${sx(e.value)} ${sx(e.type)})`;
    case "pipe":
      return `(|> ${e.stages.map(sx).join(" ")})`;
    case "assign":
      return `(= ${sx(e.target)} ${sx(e.value)})`;
  }
}

/** Each statement's groups as S-expressions, and the errors as [message, start]. */
function parse(text: string): { statements: string[]; errors: [string, number][] } {
  const r = parseDlp(text);
  return {
    statements: r.ast.statements.map((s) => s.groups.map((g) => g.map(sx).join(" ")).join(", ") + (s.block ? ` {${s.block.statements.length}}` : "")),
    errors: r.errors.map((e) => [e.message, e.start]),
  };
}

test("precedence and associativity", () => {
  const cases: [string, string][] = [
    ["x = a |> b |> c = d", "(= x (= (|> a b c) d))"],
    ["(a |> b) |> c", "(|> (|> a b) c)"],
    ["not a == b and c or d", "(or (and (not (== a b)) c) d)"],
    ["a |> not b", "(|> a (not b))"],
    ["1 + 2 * 3 - 4 / 5", "(- (+ 1 (* 2 3)) (/ 4 5))"],
    ["-2 * x", "(* -2 x)"],
    ["- -x.y", "(- (- (. x y)))"],
    ["--2", "--2"],
    ["-(3)", "-3"],
    ["a..b + 1 step 2 as int", "(.. a (+ b 1) (as 2 int))"],
    ["a == 1..2 step 3", "(== a (.. 1 2 3))"],
    ["x as image[28, 28]", "(as x (index image 28 28))"],
    ["f(a, b: 1)(c)[0].d", "(. (index (call (call f a b:1) c) 0) d)"],
    ["[1, [2], (3)]", "[1 [2] 3]"],
    ['10% 90deg "a\\n" true', '10% 90deg "a\\n" true'],
    // `step` is a name except right after a range's upper bound, and only once
    ["a step b", "a step b"],
    ["a..b step c step d", "(.. a b c) step d"],
    ["step(step: 1).step", "(. (call step step:1) step)"],
    // juxtaposition: a following `-`, `(` or `[` continues the expression
    ["a -b (c) [d]", "(- a (index (call b c) d))"],
  ];
  for (const [text, want] of cases) {
    const r = parse(text);
    assert.equal(r.errors, [], text);
    assert.equal(r.statements, [want], text);
  }
  const n = parseDlp("-1.5e2%").ast.statements[0].groups[0][0];
  assert.equal(n, { kind: "number", value: -1.5, unit: "%", raw: "-1.5e2%", span: { start: 0, end: 7 } });
});

test("a comparison, `..` or `as` does not chain: the expression ends at the second one", () => {
  assert.equal(parse("a < b < c"), { statements: ["(< a b)"], errors: [["unexpected `<`", 6]] });
  assert.equal(parse("x as y as z"), { statements: ["(as x y)"], errors: [["unexpected `as`", 7]] });
  assert.equal(parse("a..b..c"), { statements: ["(.. a b)"], errors: [["unexpected `..`", 4]] });
  assert.equal(parse("m { a < b < c }"), { statements: ["m {1}", "c"], errors: [["expected `}`, found `<`", 10], ["unexpected `}`", 14]] });
  // after a looser operator the level is open again
  assert.equal(parse("a < b and c < d").statements, ["(and (< a b) (< c d))"]);
  assert.equal(parse("a < (b < c)").statements, ["(< a (< b c))"]);
  // `not` starts only an operand of `=`, `|>`, `or`, `and`
  assert.equal(parse("a == not b"), { statements: ["a (not b)"], errors: [["unexpected `not`, expected an expression", 5]] });
});

test("spans: binary and postfix nodes from their children, the rest from their tokens", () => {
  const e = parseDlp("(a) + b as c").ast.statements[0].groups[0][0];
  assert.equal(e.span, { start: 0, end: 12 }); // `as` node: its tokens, parentheses included
  assert.ok(e.kind === "as" && e.value.kind === "binary");
  if (e.kind === "as" && e.value.kind === "binary") assert.equal(e.value.span, { start: 1, end: 7 }); // `a` .. `b`
  const c = parseDlp("f (x, y: 2)").ast.statements[0].groups[0][0];
  assert.ok(c.kind === "call");
  if (c.kind === "call") {
    assert.equal(c.argsSpan, { start: 2, end: 11 });
    assert.equal(c.span, { start: 0, end: 11 });
    assert.equal(c.args[1].span, { start: 6, end: 10 });
  }
  const s = parseDlp("a, b { c }\n").ast.statements[0];
  assert.equal(s.span, { start: 0, end: 10 });
  assert.equal(s.block!.span, { start: 5, end: 10 });
});

test("a missing comma between arguments is one error of its own", () => {
  const r = parseDlp("dense(10 activation: softmax)");
  assert.equal(r.errors, [{ kind: "comma", message: "expected `,` between arguments", start: 8, end: 8 }]);
  assert.equal(parse("dense(10 activation: softmax)").statements, ["(call dense 10 activation:softmax)"]);
});

test("roles of tokens for the formatter", () => {
  const text = "a = -b - f(c)[d] + (e) + [g]\nh";
  const r = parseDlp(text);
  const at = (s: string, from = 0) => text.indexOf(s, from);
  assert.equal(
    [...r.roles].sort((x, y) => x[0] - y[0]),
    [
      [at("-"), "unary"],
      [at("("), "call"],
      [at("["), "index"],
      [at("(e"), "group"],
      [at("[g"), "list"],
      [at("\n"), "terminator"],
    ],
  );
});

test("recovery: re-sync and token insertion see only the operators still open", () => {
  // The second `as` may not follow `a / 2 as`: skipped up to `image`, which starts a word.
  assert.equal(parse("model {\n  x = a / 2 as as image[3]\n  y = 1\n}\n"), {
    statements: ["model {2}"],
    errors: [["unexpected `as`, expected an expression", 23]],
  });
  // No `]` is inserted before `>`, which may not follow the operand (`1 > …` is a comparison).
  assert.equal(parse("m {\n  x = 1 > 2 + [> a, b]\n  y\n}\n").errors, [
    ["expected `]`, found `>`", 19],
    ["expected `}`, found `]`", 25],
    ["unexpected `}`", 31],
  ]);
  // After a range's upper bound any name may follow (`step`): the error re-syncs there.
  assert.equal(parse("f(1..2 + ] step 3)\n"), { statements: ["(call f (.. 1 2 3))"], errors: [["unexpected `]`, expected an expression", 9]] });
  // Statements after a broken one are kept.
  assert.equal(parse("a(1\nb = 2\n"), { statements: ["(call a 1)", "(= b 2)"], errors: [["expected `)`, found end of line", 3]] });
});

test.run();
