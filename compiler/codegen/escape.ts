// Escaping for everything a .dlp file (or its path) puts into emitted code.
// JSON.stringify leaves U+2028 / U+2029 raw: legal inside a string literal, but a line break in a
// `//` comment, where the rest of the line would run as code. These helpers close that hole.

const RAW_TERMINATORS = /[\u2028\u2029]/g;

/** A JS/TS string literal for `s`: JSON.stringify, plus U+2028/U+2029 and `*` `/` pairs escaped. */
export function jsString(s: string): string {
  return JSON.stringify(s)
    .replace(RAW_TERMINATORS, (c) => (c === "\u2028" ? "\\u2028" : "\\u2029"))
    .replace(/\*\//g, "*\\/");
}

/**
 * Final pass over a whole emitted file: any raw U+2028/U+2029 left (in a string literal, a
 * template or a comment) becomes its `\u` escape. In literals the escape means the same character;
 * in a comment it is inert text, so no character can end a comment early.
 */
export function escapeLineTerminators(code: string): string {
  return code.replace(RAW_TERMINATORS, (c) => (c === "\u2028" ? "\\u2028" : "\\u2029"));
}
