// The schemas of every call signature the checker validates against (the layer table's and the
// catalog's), and ajv's standalone code for all of them, which bin/build.mjs writes into the CLI
// bundle (see validators.ts). Kept apart from validators.ts so the validator cache imports no
// table: values.ts -> validators.ts stays a leaf edge, not a circle through catalog.ts.
import { createRequire } from "node:module";
import type { Ajv as AjvClass } from "ajv";
import { LAYERS } from "./layers/index.ts";
import { catalogSignatures } from "./catalog.ts";
import { newAjv, OPTIONS, type Schema } from "./validators.ts";

const require = createRequire(import.meta.url);

/** Every schema the checker validates arguments against: the layer table's and the catalog's. */
export function everySchema(): Schema[] {
  const all = [...[...LAYERS.values()].map((d) => d.schema), ...catalogSignatures().map((s) => s.schema)];
  const seen = new Set<string>();
  return all.filter((s) => {
    const k = JSON.stringify(s);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** An ES module with ajv's standalone code for every schema: exports `v0` … `vN` and `keys`,
 *  the schemas' JSON in the same order. It must live inside the repository (it requires ajv's
 *  runtime helpers from node_modules). */
export function precompiledModule(): string {
  const standaloneCode = require("ajv/dist/standalone") as (ajv: AjvClass, refs: Record<string, string>) => string;
  const schemas = everySchema();
  const gen = newAjv({ ...OPTIONS, code: { source: true, esm: true } });
  const refs: Record<string, string> = {};
  schemas.forEach((s, i) => {
    gen.addSchema(s, `dlp:${i}`);
    refs[`v${i}`] = `dlp:${i}`;
  });
  // The code requires a few ajv runtime helpers (string length, deep equality) from node_modules.
  const header = 'import { createRequire } from "node:module";\nconst require = createRequire(import.meta.url);\n';
  const code = standaloneCode(gen, refs).replace(/^"use strict";/, "");
  return `${header}${code}\nexport const keys = ${JSON.stringify(schemas.map((s) => JSON.stringify(s)))};\n`;
}
