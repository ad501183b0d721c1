#!/usr/bin/env node
// Regenerates syntaxes/dlp.tmLanguage.json from the compiler's tables (compiler/lsp/textmate.ts).
import { register } from "tsx/esm/api";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
register();
const { textmateGrammarText } = await import("../../../compiler/lsp/textmate.ts");
const target = fileURLToPath(new URL("../syntaxes/dlp.tmLanguage.json", import.meta.url));
writeFileSync(target, textmateGrammarText());
console.log(`wrote ${target}`);
