// Property test: random and mutated .dlp text never throws, never hangs, and every
// diagnostic has a valid span and a code.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { readFileSync, readdirSync } from "node:fs";
import { compile } from "../../compiler/driver.ts";

const seeds = readdirSync("pipelines").filter((f) => f.endsWith(".dlp")).map((f) => readFileSync(`pipelines/${f}`, "utf8"));
const pieces = ["{", "}", "(", ")", "[", "]", ",", ":", "|>", "..", "=", "\n", '"', "as", "repeat", "conv2d(", "dense(10)", "param", "-", "1e", "%", "deg", "block", "return", "if"];

function check(text: string) {
  const t0 = performance.now();
  const r = compile(text, { file: "fuzz.dlp" });
  const ms = performance.now() - t0;
  assert.ok(ms < 1000, `took ${ms} ms`);
  for (const d of r.diagnostics) {
    assert.ok(/^DLP\d{4}$/.test(d.code), d.code);
    assert.ok(d.span.start >= 0 && d.span.end >= d.span.start && d.span.end <= text.length, `bad span ${JSON.stringify(d.span)} for ${d.message}`);
    assert.is.not(d.code, "DLP0001", `internal error: ${d.message}`);
  }
}

test("mutated pipelines never throw and give valid spans", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: seeds.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.constantFrom(...pieces)), { maxLength: 6 }), (i, edits) => {
      let text = seeds[i];
      for (const [at, del, ins] of edits) {
        const p = at % (text.length + 1);
        text = text.slice(0, p) + ins + text.slice(p + del);
      }
      check(text);
    }),
    { numRuns: 150, seed: 1 },
  );
});

test("random text never throws", () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => check(s)), { numRuns: 200, seed: 2 });
});

test("the grammar passes Chevrotain's validations (skipped at run time for a fast start)", async () => {
  const { DlpParser } = await import("../../grammar/parser.ts");
  // With validations on, Chevrotain's performSelfAnalysis throws on any grammar definition error.
  assert.not.throws(() => new DlpParser(true));
});

test.run();
