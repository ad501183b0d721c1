// docs/diagnostics.md is generated (tests/golden/docs.ts) and must be fresh: every code in the
// compiler's sources is catalogued and documented, and the rendered examples are what the
// compiler prints now. Golden coverage: every code has an error golden (or a stated reason why
// no .dlp text reaches it), and the summary goldens use every layer of the layer table.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CODES, isCode } from "../../compiler/diagnostics/codes.ts";
import { compile } from "../../compiler/driver.ts";
import { LAYER_DEFS } from "../../compiler/semantic/layers/index.ts";
import { codesInSources, diagnosticsDoc, DOC_PATH, ERRORS_DIR, NOT_FROM_CHECK } from "../golden/docs.ts";

const sourceCodes = [...codesInSources().keys()];

test("the compiler's sources use codes, and every one is catalogued", () => {
  assert.ok(sourceCodes.length >= 40, `only ${sourceCodes.length} codes found`);
  const missing = sourceCodes.filter((c) => !isCode(c));
  assert.equal(missing, [], `add these codes to compiler/diagnostics/codes.ts: ${missing.join(", ")}`);
  const stale = Object.keys(CODES).filter((c) => !sourceCodes.includes(c));
  assert.equal(stale, [], `catalogued but emitted nowhere: ${stale.join(", ")}`);
});

test("docs/diagnostics.md documents every code and is up to date", () => {
  const doc = readFileSync(DOC_PATH, "utf8");
  for (const c of sourceCodes) assert.ok(doc.includes(`\n## ${c}\n`), `${c} is not documented in ${DOC_PATH}`);
  // Line by line, so a failure names the first stale line.
  const fresh = diagnosticsDoc().split("\n");
  const have = doc.split("\n");
  for (let i = 0; i < Math.max(fresh.length, have.length); i++) {
    if (fresh[i] !== have[i]) assert.unreachable(`${DOC_PATH}:${i + 1} is stale (run npx tsx tests/golden/docs.ts):\n  doc:      ${have[i]}\n  compiler: ${fresh[i]}`);
  }
});

test("every documented example block is real compiler output", () => {
  // The doc's text blocks for golden-backed codes appear verbatim in the .errors.txt goldens.
  const goldens = readdirSync(ERRORS_DIR).filter((f) => f.endsWith(".errors.txt")).map((f) => readFileSync(join(ERRORS_DIR, f), "utf8")).join("\n");
  const doc = readFileSync(DOC_PATH, "utf8");
  const blocks = [...doc.matchAll(/## (DLP\d{4})[\s\S]*?```text\n([\s\S]*?)\n```/g)];
  assert.ok(blocks.length >= sourceCodes.length);
  for (const [, code, body] of blocks) {
    if (NOT_FROM_CHECK[code]) continue;
    for (const one of body.split(/\n\n(?=(?:error|warning|info)\[)/)) assert.ok(goldens.includes(one), `${code}: example not found in any .errors.txt golden:\n${one}`);
  }
});

test("every code reachable from .dlp text has an error golden", () => {
  const goldenCodes = new Set(readdirSync(ERRORS_DIR).filter((f) => f.endsWith(".errors.txt")).flatMap((f) => [...readFileSync(join(ERRORS_DIR, f), "utf8").matchAll(/(?:error|warning|info)\[(DLP\d{4})\]/g)].map((m) => m[1])));
  const missing = sourceCodes.filter((c) => !goldenCodes.has(c) && !NOT_FROM_CHECK[c]);
  assert.equal(missing, [], `add a tests/golden/errors case for: ${missing.join(", ")}`);
  // Keep the exemption list honest: a code that gets a golden leaves it.
  const reachable = Object.keys(NOT_FROM_CHECK).filter((c) => goldenCodes.has(c));
  assert.equal(reachable, [], `these codes now have goldens; remove them from NOT_FROM_CHECK: ${reachable.join(", ")}`);
});

test("the summary goldens use every layer of the layer table", () => {
  const used = new Set<string>();
  const sources = [
    ...readdirSync("pipelines").filter((f) => f.endsWith(".dlp")).map((f) => join("pipelines", f)),
    ...readdirSync("tests/golden/summary").filter((f) => f.endsWith(".dlp")).map((f) => join("tests/golden/summary", f)),
  ];
  for (const file of sources) {
    const r = compile(readFileSync(file, "utf8"), { file });
    assert.not.ok(r.hasErrors, `${file} has errors`);
    for (const l of r.checked?.model?.layers ?? []) {
      used.add(l.def.name);
      const inner = l.args.layer;
      if (inner && typeof inner === "object" && !Array.isArray(inner)) used.add(inner.layer);
    }
  }
  const unused = LAYER_DEFS.map((d) => d.name).filter((n) => !used.has(n));
  assert.equal(unused, [], `no summary golden uses: ${unused.join(", ")} (add them to a tests/golden/summary/*.dlp case)`);
});

test.run();
