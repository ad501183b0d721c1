// Rewrites docs/reference.md from the registries (the text is made by compiler/reference.ts,
// which the editor's hover reads too).
//   npx tsx tests/golden/reference.ts      rewrite docs/reference.md
//   node bin/test.mjs compiler/reference   fail when the reference is stale
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { referenceDoc } from "../../compiler/reference.ts";

export { referenceDoc };
export const REFERENCE_PATH = "docs/reference.md";

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  writeFileSync(REFERENCE_PATH, referenceDoc());
  console.log(`wrote ${REFERENCE_PATH}`);
}
