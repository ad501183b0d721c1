// docs/reference.md is generated from the registries (tests/golden/reference.ts) and must be
// fresh: a layer, source, loss, optimizer, … added or changed without regenerating it fails here.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { LAYER_DEFS } from "../../compiler/semantic/layers/index.ts";
import { CALLBACKS, LOSSES, OPTIMIZERS, SOURCES } from "../../compiler/semantic/catalog.ts";
import { REFERENCE_PATH, referenceDoc } from "../golden/reference.ts";
import { argumentDoc } from "../../compiler/lsp/hover.ts";

test("docs/reference.md is up to date", () => {
  const have = readFileSync(REFERENCE_PATH, "utf8").split("\n");
  const fresh = referenceDoc().split("\n");
  for (let i = 0; i < Math.max(have.length, fresh.length); i++) {
    if (fresh[i] !== have[i]) assert.unreachable(`${REFERENCE_PATH}:${i + 1} is stale (run npx tsx tests/golden/reference.ts):\n  doc:       ${have[i]}\n  registry:  ${fresh[i]}`);
  }
});

test("every layer and catalog entry has a section with an example", () => {
  const doc = referenceDoc();
  for (const name of [...LAYER_DEFS.map((d) => d.name), ...Object.keys(SOURCES), ...Object.keys(LOSSES), ...Object.keys(OPTIMIZERS), ...Object.keys(CALLBACKS)]) {
    const at = doc.indexOf(`### \`${name}\`\n`);
    assert.ok(at >= 0, `no section for ${name}`);
    const next = doc.indexOf("\n### ", at + 1);
    assert.match(doc.slice(at, next < 0 ? undefined : next), "```dlp\n", `no example for ${name}`);
  }
  assert.match(doc, "| `kernel` (2.) | int ≥ 1 or [int ≥ 1, int ≥ 1] | required | `kernel_size` |");
  assert.match(doc, "conv2d(32, 3)   // 32×32×3 → 30×30×32, 896 params");
});

test("hover on a layer argument shows the reference's text and its Keras name", () => {
  const doc = referenceDoc();
  for (const def of LAYER_DEFS) {
    for (const a of def.argDocs) {
      const hover = argumentDoc(def, a.name);
      assert.ok(hover.includes(a.doc), `${def.name}.${a.name}`);
      assert.ok(doc.includes(`| ${a.doc.replace(/\|/g, "\\|")} |`), `reference for ${def.name}.${a.name}`);
    }
  }
  const conv = LAYER_DEFS.find((d) => d.name === "conv2d")!;
  assert.match(argumentDoc(conv, "kernel"), "Keras: `kernel_size`");
  assert.not.match(argumentDoc(conv, "filters"), "Keras:");
});

test.run();
