// The diagnostic catalogue (compiler/diagnostics/codes.ts) is the truth about each code's severity
// and phase: every diagnostic the compiler reports for the golden and shipped pipelines has the
// catalogue's severity, and the builders build what the hand-written sites built.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { compile } from "../../compiler/driver.ts";
import { CODES, isCode, phaseOf, type Code, type Phase } from "../../compiler/diagnostics/codes.ts";
import { definedTwice, syntaxErrorCode, unknownName } from "../../compiler/diagnostics/builders.ts";
import { dlpFiles } from "../dlp_files.ts";

test("every reported diagnostic has its catalogued severity", () => {
  const seen = new Set<string>();
  const wrong: string[] = [];
  for (const f of [...dlpFiles("tests/golden"), ...dlpFiles("pipelines")]) {
    for (const d of compile(readFileSync(f, "utf8"), { file: f }).diagnostics) {
      seen.add(d.code);
      const info = CODES[d.code];
      if (d.severity !== info.severity && d.severity !== info.alsoAs?.severity) wrong.push(`${f}: ${d.code} reported as ${d.severity}, catalogued as ${info.severity}: ${d.message}`);
    }
  }
  assert.equal(wrong, []);
  // The goldens reach most of the catalogue, so the check above means something.
  assert.ok(seen.size >= 40, `only ${seen.size} codes reported by the goldens`);
});

test("the catalogue: a phase per code, numbered by phase; isCode knows exactly the catalogue", () => {
  const digit: Record<Phase, string> = { internal: "0", syntax: "1", names: "2", shapes: "3", data: "4", training: "5", tuning: "6", lint: "7" };
  for (const [code, info] of Object.entries(CODES)) {
    assert.is(code[3], digit[info.phase], `${code} is in phase ${info.phase}`);
    if (info.phase === "lint") assert.is(info.severity, "warning", `${code}: lints are warnings`);
  }
  assert.ok(isCode("DLP2001"));
  assert.not.ok(isCode("DLP2999"));
  assert.not.ok(isCode("toString"));
  assert.is(phaseOf("DLP1002"), "syntax");
});

test("syntax errors get their code from what the lexer found, not from the message", () => {
  const codes = (text: string): Code[] => compile(text, { file: "s.dlp" }).diagnostics.filter((d) => phaseOf(d.code) === "syntax").map((d) => d.code);
  assert.equal(codes('pipeline p { seed 1 @ }\n'), ["DLP1003"]);
  assert.equal(codes('pipeline p { data { source csv(path: "a.csv\n } }\n').slice(0, 1), ["DLP1002"]);
  assert.equal(codes("pipeline p { seed ( }\n").slice(0, 1), ["DLP1001"]);
  assert.is(syntaxErrorCode({ kind: "lex", lexical: "unterminated_string" }), "DLP1002");
  assert.is(syntaxErrorCode({ kind: "lex", lexical: "unexpected_character" }), "DLP1003");
  assert.is(syntaxErrorCode({ kind: "comma" }), "DLP1001");
});

test("unknownName and definedTwice build the diagnostics of their kind", () => {
  const span = { start: 10, end: 14 };
  const near = unknownName("unknown loss `mse2`", "mse2", span, ["mse", "mae"], { label: "unknown", otherwise: "losses: mse, mae", fix: true });
  assert.is(near.code, "DLP2001");
  assert.is(near.severity, "error");
  assert.is(near.label, "unknown");
  assert.is(near.help, "did you mean `mse`?");
  assert.equal(near.fix, { title: "rename to `mse`", span, text: "mse" });
  const far = unknownName("unknown loss `zzzzzz`", "zzzzzz", span, ["mse", "mae"], { otherwise: "losses: mse, mae", fix: true });
  assert.is(far.help, "losses: mse, mae");
  assert.is(far.fix, undefined);
  assert.is(unknownName("unknown argument `unit`", "unit", span, ["units"], { code: "DLP2003" }).code, "DLP2003");
  const twice = definedTwice("param `a` defined twice", span, { start: 0, end: 1 });
  assert.is(twice.code, "DLP2002");
  assert.is(twice.label, "second definition");
  assert.equal(twice.related, [{ span: { start: 0, end: 1 }, message: "first definition" }]);
});

test.run();
