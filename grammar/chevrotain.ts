// Chevrotain's package entry (lib/src/api.js) is an ES module graph of ~250 files
// (lodash-es and its own sources); loading it costs 0.4–2 s of a cold `dlpc check`.
// The same package ships the same code as one ES module bundle, lib/chevrotain.mjs,
// which loads in ~20 ms. Its package.json exports only ".", so the bundle is found
// next to the resolved entry; if a future layout moves it, the package entry is used.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { existsSync } from "node:fs";
import type * as Chevrotain from "chevrotain";

async function load(): Promise<typeof Chevrotain> {
  try {
    const entry = createRequire(import.meta.url).resolve("chevrotain");
    const bundle = join(dirname(entry), "..", "chevrotain.mjs");
    if (existsSync(bundle)) return (await import(pathToFileURL(bundle).href)) as typeof Chevrotain;
  } catch {
    // fall through to the package entry
  }
  return await import("chevrotain");
}

const chevrotain = await load();
export const { EmbeddedActionsParser, EOF, Lexer, createToken } = chevrotain;
