// Every machine-applicable fix (the LSP's quick fix, the `= help:` line's edit) of every error
// golden does what it says (issue 13, point 5): applied to the file, the diagnostic it answers
// is gone, and no new error or warning appears in its place — a fix that trades an error for a
// silent bug, or for another error, fails here.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compile } from "../../compiler/driver.ts";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.ts";

const DIR = "tests/golden/errors";
const key = (d: Diagnostic) => `${d.code} ${d.message}`;

let applied = 0;
for (const f of readdirSync(DIR).filter((x) => x.endsWith(".dlp")).sort()) {
  const file = join(DIR, f);
  const text = readFileSync(file, "utf8");
  const before = compile(text, { file }).diagnostics;
  before.forEach((d, i) => {
    if (!d.fix) return;
    test(`${f}: "${d.fix.title}" fixes ${d.code}`, () => {
      applied++;
      const fixed = text.slice(0, d.fix!.span.start) + d.fix!.text + text.slice(d.fix!.span.end);
      const after = compile(fixed, { file }).diagnostics;
      // The answered diagnostic is gone (the same code may remain for another, independent place).
      const same = after.filter((a) => a.code === d.code && a.message === d.message);
      const sameBefore = before.filter((b) => b.code === d.code && b.message === d.message);
      assert.ok(same.length < sameBefore.length, `${d.code} "${d.message}" is still there after the fix:\n${fixed}`);
      // Nothing new: every error or warning after the fix was there before it.
      const known = new Set(before.map(key));
      const fresh = after.filter((a) => a.severity !== "info" && !known.has(key(a)));
      assert.equal(fresh.map(key), [], `the fix at diagnostic ${i} introduced new problems`);
    });
  });
}

test("the error goldens offer machine-applicable fixes", () => {
  assert.ok(applied >= 8, `only ${applied} fixes exercised`);
});

test.run();
