// Golden tests: tests/golden/errors/*.dlp → .errors.txt (plain terminal diagnostics),
// pipelines/*.dlp → tests/golden/summary/*.summary.txt and tests/golden/emit/*.ts.
// `UPDATE=1 npm test` rewrites them; a missing golden fails and is never written silently.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { compile } from "../../compiler/driver.ts";
import { renderTerminal } from "../../compiler/diagnostics/render.ts";
import { summaryText } from "../../compiler/summary.ts";
import { emitPipeline } from "../../compiler/codegen/emit.ts";

const UPDATE = process.env.UPDATE === "1";

function golden(path: string, actual: string): void {
  if (UPDATE) {
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `missing golden ${path} (run UPDATE=1 npm test and review the diff)`);
  assert.fixture(actual, readFileSync(path, "utf8"), path);
}

const errDir = "tests/golden/errors";
for (const f of readdirSync(errDir).filter((x) => x.endsWith(".dlp")).sort()) {
  test(`errors: ${f}`, () => {
    const file = join(errDir, f);
    const r = compile(readFileSync(file, "utf8"), { file });
    assert.ok(r.diagnostics.length > 0, "an error case must produce diagnostics");
    const text = r.diagnostics.map((d) => renderTerminal(d, { file, text: r.text, lines: r.lines }, false)).join("\n\n") + "\n";
    golden(file.replace(/\.dlp$/, ".errors.txt"), text);
  });
}

for (const f of readdirSync("pipelines").filter((x) => x.endsWith(".dlp")).sort()) {
  const file = join("pipelines", f);
  test(`summary + emit: ${f}`, () => {
    const r = compile(readFileSync(file, "utf8"), { file });
    assert.equal(r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), []);
    golden(join("tests/golden/summary", basename(f, ".dlp") + ".summary.txt"), summaryText(r.checked!) + "\n");
    golden(join("tests/golden/emit", basename(f, ".dlp") + ".ts"), emitPipeline(r.checked!, file, "0".repeat(64)));
  });
}

// Summary cases that exercise the layer table (tests/golden/summary/*.dlp → .summary.txt).
const sumDir = "tests/golden/summary";
for (const f of readdirSync(sumDir).filter((x) => x.endsWith(".dlp")).sort()) {
  const file = join(sumDir, f);
  test(`summary: ${file}`, () => {
    const r = compile(readFileSync(file, "utf8"), { file });
    assert.equal(r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), []);
    golden(file.replace(/\.dlp$/, ".summary.txt"), summaryText(r.checked!) + "\n");
  });
}

test.run();
