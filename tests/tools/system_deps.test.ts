// The test command's system-package preflight: it names exactly what is missing and how to
// install it, and reports success only when every package is present.
import { test } from "uvu";
import * as assert from "uvu/assert";
// @ts-expect-error plain .mjs module without types
import { ensureSystemDeps, missingSystemDeps, SYSTEM_DEPS } from "../../bin/system-deps.mjs";

type Dep = { pkg: string; for: string; present: () => boolean };

function capture(fn: () => boolean): { ok: boolean; text: string } {
  const lines: string[] = [];
  const err = console.error, log = console.log;
  console.error = (...a: unknown[]) => { lines.push(a.join(" ")); };
  console.log = (...a: unknown[]) => { lines.push(a.join(" ")); };
  const old = process.env.DLP_NO_APT;
  process.env.DLP_NO_APT = "1";
  try {
    return { ok: fn(), text: lines.join("\n") };
  } finally {
    console.error = err; console.log = log;
    if (old === undefined) delete process.env.DLP_NO_APT; else process.env.DLP_NO_APT = old;
  }
}

test("a missing package is named with the apt-get line, and the preflight fails", () => {
  const deps: Dep[] = [
    { pkg: "here-pkg", for: "a test that has it", present: () => true },
    { pkg: "gone-pkg", for: "the gone test", present: () => false },
  ];
  const r = capture(() => ensureSystemDeps(deps));
  assert.is(r.ok, false);
  assert.match(r.text, /gone-pkg\s+for the gone test/);
  assert.match(r.text, /apt-get install gone-pkg$/m);
  assert.not.match(r.text, /here-pkg/);
});

test("all present: the preflight passes without a word", () => {
  const deps: Dep[] = [{ pkg: "here-pkg", for: "x", present: () => true }];
  const r = capture(() => ensureSystemDeps(deps));
  assert.is(r.ok, true);
  assert.is(r.text, "");
});

test("the suite's own list is satisfied on this machine (the test command installed it)", () => {
  assert.equal((missingSystemDeps(SYSTEM_DEPS) as Dep[]).map((d) => d.pkg), []);
});

test.run();
