// Every param read anywhere reaches the trial (issue 12). For each clean pipeline in pipelines/
// and tests/golden/, the emitted module is imported and each param is changed: where the .dlp
// reads it (the data section, the model and its blocks, the train section), the result of the
// generated data(p), buildModel(p) or train(p) must change. The emitted functions are run, not
// read as text: buildModel runs against a tf that records every call it receives, so a model
// of any size is compared in milliseconds and layer names play no part. Then the oracle: the
// module run with a param changed through `p` must give exactly what the compiler emits when
// the .dlp's default is that value (so no field, such as the model's input shape, stays frozen).
// Also: a tuned param that nothing reads is a DLP6009 warning, and only then.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { compile } from "../../compiler/driver.ts";
import { emitPipeline } from "../../compiler/codegen/emit.ts";
import { blockReadClosure, statementNames } from "../../compiler/semantic/model.ts";
import type { ParamIR } from "../../compiler/semantic/lower.ts";
import type { Params, ParamValue } from "../../runtime/spec.ts";
import type { CompiledPipeline } from "../../runtime/pipeline.ts";

function dlpFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...dlpFilesUnder(path));
    else if (name.endsWith(".dlp")) out.push(path);
  }
  return out;
}

// A scratch package outside the repository whose "dlp/runtime" is the recording tf below, so
// the emitted module is imported exactly as written.
const ROOT = join(tmpdir(), `dlp-params-reach-${process.pid}`);
mkdirSync(join(ROOT, "node_modules", "dlp"), { recursive: true });
writeFileSync(join(ROOT, "package.json"), JSON.stringify({ name: "dlp-params-reach", type: "module" }));
writeFileSync(join(ROOT, "node_modules", "dlp", "package.json"), JSON.stringify({ name: "dlp", type: "module", exports: { "./runtime": "./runtime.js" } }));
// The freezing helpers the emitted code imports when a model freezes (runtime/freeze.ts) build
// the block as the real ones do and are recorded as calls too (a param can set `trainable:`).
writeFileSync(join(ROOT, "node_modules", "dlp", "runtime.js"), [
  "export const tf = globalThis.__dlpRecordingTf;",
  "export const freezeBlock = (trainable, inputs, build) => { const out = build(inputs); tf.freezeBlock(trainable, inputs, out); return out; };",
  "export const freezeUpTo = (tensors) => { tf.freezeUpTo(tensors); };",
  "",
].join("\n"));
process.on("exit", () => rmSync(ROOT, { recursive: true, force: true }));

/** A stand-in for tfjs that records each call (path and arguments); results are references to earlier calls. */
let calls: unknown[] = [];
function recorder(path: string, id?: number): unknown {
  return new Proxy(function () {}, {
    get(_t, prop) {
      if (prop === "toJSON") return () => ({ ref: id ?? path });
      if (typeof prop === "symbol" || prop === "then") return undefined;
      return recorder(`${path}.${prop}`, undefined);
    },
    apply(_t, _this, args) {
      const n = calls.length;
      calls.push({ call: path, args: JSON.parse(JSON.stringify(args)) });
      return recorder(`#${n}`, n);
    },
  });
}
(globalThis as Record<string, unknown>).__dlpRecordingTf = recorder("tf");

type Section = "data" | "model" | "train";

function output(pipeline: CompiledPipeline<Params>, section: Section, p: Params): string {
  if (section === "data") return JSON.stringify(pipeline.data(p));
  if (section === "train") return JSON.stringify(pipeline.train(p));
  calls = [];
  pipeline.buildModel(p);
  return JSON.stringify(calls);
}

/** Values to try for a param: its space's values and bounds, else neighbours of its default (what `--set` could give). */
function alternatives(p: ParamIR): ParamValue[] {
  const d = p.default as ParamValue;
  const vals: ParamValue[] = [];
  const s = p.space;
  if (s?.kind === "choice") vals.push(...s.values);
  else if (s?.kind === "int") vals.push(s.low, s.high, s.low + s.step);
  else if (s) vals.push(s.low, s.high);
  else if (typeof d === "number") vals.push(d * 2, d + 1, d / 2);
  else if (typeof d === "boolean") vals.push(!d);
  else vals.push(`${d}_`);
  return vals.filter((v) => v !== d);
}

const files = [...dlpFilesUnder("pipelines"), ...dlpFilesUnder("tests/golden")];
let checkedParams = 0;
let oracleChecks = 0;

/** Compiles, emits and imports a pipeline; undefined when it has errors. */
async function load(text: string, file: string): Promise<{ pipeline: CompiledPipeline<Params>; diagnostics: ReturnType<typeof compile>["diagnostics"]; ir: NonNullable<ReturnType<typeof compile>["checked"]>["ir"] } | undefined> {
  const r = compile(text, { file });
  if (r.hasErrors || !r.checked) return undefined;
  const dir = join(ROOT, `${r.checked.ir.name}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir, { recursive: true });
  const module = join(dir, `${r.checked.ir.name}.ts`);
  writeFileSync(module, emitPipeline(r.checked, file, r.sourceHash));
  const { pipeline } = (await import(pathToFileURL(module).href)) as { pipeline: CompiledPipeline<Params> };
  return { pipeline, diagnostics: r.diagnostics, ir: r.checked.ir };
}

const literal = (v: ParamValue) => (typeof v === "string" ? JSON.stringify(v) : String(v));

for (const file of files) {
  const text = readFileSync(file, "utf8");
  if (compile(text, { file }).hasErrors) continue; // the error goldens
  test(`every param reaches the trial: ${file}`, async () => {
    const { pipeline, diagnostics, ir } = (await load(text, file))!;
    const reads: Record<Section, Set<string>> = {
      data: ir.data ? statementNames(ir.data.body.statements) : new Set(),
      model: ir.model ? statementNames(ir.model.body.statements, blockReadClosure(ir.blocks)) : new Set(),
      train: ir.train ? statementNames(ir.train.body.statements) : new Set(),
    };
    const defaults = { ...pipeline.defaults } as Params;
    // Bases to change a param from: the defaults, then each other param at each of its values
    // (a param read under `if layers >= 2` changes the model only when layers is 2).
    const bases = (q: ParamIR): Params[] => [defaults, ...ir.params.filter((o) => o !== q).flatMap((o) => alternatives(o).map((v) => ({ ...defaults, [o.name]: v })))];

    for (const q of ir.params) {
      const sections = (Object.keys(reads) as Section[]).filter((s) => reads[s].has(q.name));
      const unused = diagnostics.some((d) => d.code === "DLP6009" && d.message.includes(`\`${q.name}\``));
      assert.is(unused, !!q.space && sections.length === 0, `${file}: DLP6009 for \`${q.name}\` exactly when it is tuned and read nowhere`);
      for (const section of sections) {
        let changed = false;
        search: for (const base of bases(q)) {
          const before = output(pipeline, section, base);
          for (const v of alternatives(q)) {
            if (output(pipeline, section, { ...base, [q.name]: v }) !== before) {
              changed = true;
              break search;
            }
          }
        }
        assert.ok(changed, `${file}: \`${q.name}\` is read in ${section} but ${section === "model" ? "buildModel" : section}(p) ignores it`);
        checkedParams++;
      }
      if (sections.length === 0) continue;
      // The oracle: setting the param through \`p\` gives what the compiler emits, frozen, when
      // the .dlp's default is that value, in every function. A field that forgets the param
      // (data(p).inputShape, the model's input) differs here even when another field follows it.
      for (const v of alternatives(q)) {
        const edited = text.slice(0, q.defaultExpr.span.start) + literal(v) + text.slice(q.defaultExpr.span.end);
        const frozen = await load(edited, file);
        if (!frozen) continue; // this value is refused at compile time (a shape error)
        for (const section of ["data", "model", "train"] as Section[]) {
          assert.is(output(pipeline, section, { ...defaults, [q.name]: v }), output(frozen.pipeline, section, frozen.pipeline.defaults), `${file}: ${section} with ${q.name} = ${literal(v)} through p differs from the pipeline compiled with that default`);
        }
        oracleChecks++;
        break;
      }
    }
  });
}

test("class_weight balanced is the word, never a param (--set could pass any word)", () => {
  const src = (cw: string) => `pipeline p {\n  param cw = "balanced"\n  data {\n    source mnist\n    x = images / 255 as image[28, 28, 1]\n    y = labels as class(10)\n  }\n  model {\n    flatten()\n    dense(10, activation: softmax)\n  }\n  train {\n    loss sparse_categorical_crossentropy\n    class_weight ${cw}\n  }\n}\n`;
  const viaParam = compile(src("cw"), { file: "cw.dlp" });
  const d = viaParam.diagnostics.find((x) => x.code === "DLP2004");
  assert.ok(d && d.message.includes("class_weight balanced"), JSON.stringify(viaParam.diagnostics.map((x) => x.message)));
  assert.not.ok(compile(src("balanced"), { file: "cw.dlp" }).hasErrors);
});

test("the fixtures exercise every kind of param read", () => {
  // tuned_everywhere.dlp and tuned_regression.dlp alone read 30 params outside the model;
  // tuned_weights*.dlp read 4 more in class_weight and init_weights.
  assert.ok(checkedParams >= 44, `only ${checkedParams} param reads were checked`);
  assert.ok(oracleChecks >= 40, `only ${oracleChecks} params were checked against a recompilation`);
});

test.run();
