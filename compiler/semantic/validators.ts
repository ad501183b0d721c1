// Argument validators: each call signature's JSON Schema as a function (ajv, defaults filled,
// all errors). ajv compiles a schema on first use, which was about half of a cold `dlpc check`
// (~100 ms for the schemas one pipeline touches). The CLI bundle therefore carries them
// precompiled: bin/build.mjs runs `precompiledModule()` (schemas.ts: ajv's standalone code for
// every schema `everySchema()` lists) and the bundle's entry hands the functions to `registerPrecompiled`.
// A schema missing there (the sources run through tsx, or a schema built on the fly) is
// compiled by ajv as before; both give the same answers (tests/compiler/validators.test.ts).
import { createRequire } from "node:module";
import type { Ajv as AjvClass, ValidateFunction } from "ajv";

// This file is a leaf (it imports no schema table), so values.ts can use it while the tables
// import values.ts; schemas.ts gathers the tables' schemas for the build.
export type Schema = Record<string, unknown>;

export const OPTIONS = { useDefaults: true, allErrors: true, strict: false } as const;

/** ajv itself, loaded on first need: with every schema precompiled, a check never loads it. */
const require = createRequire(import.meta.url);
export const newAjv = (options: object): AjvClass => new (require("ajv") as { Ajv: new (o: object) => AjvClass }).Ajv(options);
let ajv: AjvClass | undefined;
const byObject = new WeakMap<object, ValidateFunction>();
/** By the schema's JSON: precompiled ones, and those compiled here (a signature object built
 *  per call still compiles once). */
const byJson = new Map<string, ValidateFunction>();
let compiledHere = 0;

export function validator(schema: Schema): ValidateFunction {
  let v = byObject.get(schema);
  if (v) return v;
  const key = JSON.stringify(schema);
  v = byJson.get(key);
  if (!v) {
    v = (ajv ??= newAjv(OPTIONS)).compile(schema);
    byJson.set(key, v);
    compiledHere++;
  }
  byObject.set(schema, v);
  return v;
}

/** Validators compiled ahead of time, by the JSON of their schema. */
export function registerPrecompiled(entries: Iterable<readonly [string, ValidateFunction]>): void {
  for (const [key, v] of entries) byJson.set(key, v);
}

/** How many schemas this process compiled itself (0 in the bundle for the known schemas). */
export function validatorsCompiledHere(): number {
  return compiledHere;
}
