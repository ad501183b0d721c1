// The CLI bundle validates arguments with validators precompiled by ajv's standalone code
// (compiler/semantic/schemas.ts, written by bin/build.mjs). They must cover every schema the
// checker uses, and answer exactly as the validators ajv compiles at run time.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { ValidateFunction } from "ajv";
import { compile } from "../../compiler/driver.ts";
import { dlpFiles } from "../dlp_files.ts";
import { registerPrecompiled, validatorsCompiledHere } from "../../compiler/semantic/validators.ts";
import { everySchema, precompiledModule } from "../../compiler/semantic/schemas.ts";

const { Ajv } = createRequire(import.meta.url)("ajv") as typeof import("ajv");
// Inside the repository: the module requires ajv's runtime helpers from node_modules.
mkdirSync("dist", { recursive: true });
const dir = mkdtempSync(join("dist", "test-validators-"));
const file = join(dir, "validators.mjs");
writeFileSync(file, precompiledModule());
const gen = (await import(pathToFileURL(resolve(file)).href)) as Record<string, ValidateFunction> & { keys: string[] };
rmSync(dir, { recursive: true, force: true });

test("the precompiled module has one validator per schema, keyed by the schema's JSON", () => {
  const schemas = everySchema();
  assert.ok(schemas.length > 40, `${schemas.length} schemas`);
  assert.equal(gen.keys, schemas.map((s) => JSON.stringify(s)));
  schemas.forEach((_, i) => assert.type(gen[`v${i}`], "function"));
});

/** Argument objects that exercise each schema: empty, each property with values of every kind, and an unknown property. */
function samples(schema: Record<string, unknown>): Record<string, unknown>[] {
  const props = Object.keys((schema.properties ?? {}) as object);
  const values: unknown[] = [0, 1, -1, 2.5, 1e9, -0.5, "relu", "same", "x", "", true, false, [1, 2], [0.9, 1.1], [3], ["a"], null];
  const out: Record<string, unknown>[] = [{}, { unknown_argument: 1 }];
  for (const p of props) for (const v of values) out.push({ [p]: v });
  // all properties at once, with the first value of a matching-looking kind
  out.push(Object.fromEntries(props.map((p, i) => [p, values[i % values.length]])));
  return out;
}

test("precompiled validators answer as ajv's run-time compile: verdict, defaults filled, errors", () => {
  const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false });
  let cases = 0;
  everySchema().forEach((schema, i) => {
    const live = ajv.compile(schema);
    const pre = gen[`v${i}`]!;
    for (const args of samples(schema)) {
      const a = structuredClone(args);
      const b = structuredClone(args);
      const ra = live(a);
      const rb = pre(b);
      assert.is(rb, ra, `${JSON.stringify(args)} against schema ${i}`);
      assert.equal(b, a, "defaults filled alike");
      assert.equal(pre.errors ?? null, live.errors ?? null, `errors for ${JSON.stringify(args)}`);
      cases++;
    }
  });
  assert.ok(cases > 1000, `${cases} cases`);
});

test("every schema the checker validates against is precompiled: compiling every pipeline and golden compiles none at run time", () => {
  registerPrecompiled(gen.keys.map((k, i) => [k, gen[`v${i}`]!] as const));
  const before = validatorsCompiledHere();
  const files = [...dlpFiles("pipelines"), ...dlpFiles("tests/golden")];
  assert.ok(files.length > 40, `${files.length} files`);
  for (const f of files) compile(readFileSync(f, "utf8"), { file: f });
  assert.is(validatorsCompiledHere() - before, 0);
});

test.run();
