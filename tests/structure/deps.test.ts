// The layering of the source folders, as an import-graph test:
//   grammar/  the language (tokens, parser, AST): imports nothing from compiler/ or runtime/;
//   runtime/  what a compiled pipeline and `dlpc run`/`dlpc tune` execute: imports nothing from
//             compiler/ or grammar/ (a trained model never needs the parser or the checker);
//   compiler/ may import both;
// and no import circle anywhere in the three (type-only imports count). A failure prints the
// offending edge or the whole circle.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { findCircles, importGraph, importsOf, ruleViolations, type Graph, type Rule } from "./import_graph.ts";

const RULES: Rule[] = [
  { from: "grammar", mayNotImport: ["compiler", "runtime"], why: "grammar/ is the language alone; move the shared code into grammar/" },
  { from: "runtime", mayNotImport: ["compiler", "grammar"], why: "runtime/ runs compiled pipelines; pass it data (runtime/spec.ts) instead" },
];

const graph = importGraph(process.cwd(), ["grammar", "compiler", "runtime"]);
const show = (c: string[]): string => c.join(" -> ");

test("the graph is read: every folder has files and edges", () => {
  for (const d of ["grammar/", "compiler/", "runtime/"]) assert.ok([...graph.keys()].some((f) => f.startsWith(d)), `no files under ${d}`);
  assert.ok(graph.get("compiler/driver.ts")!.includes("grammar/parser.ts"), "compiler/driver.ts -> grammar/parser.ts not seen");
  // A dynamic import with a string literal is an edge (the CLI loads its commands that way).
  assert.ok(graph.get("compiler/cli.ts")!.some((t) => t.startsWith("compiler/format/")), "compiler/cli.ts's dynamic imports not seen");
});

// The emitter reads the checked result and the model IR, never the checker's walk: of
// compiler/semantic it may import only these (the result and IR types, the terms, expression
// evaluation/emission, and the layer table it writes tfjs calls from).
const CODEGEN_MAY_IMPORT = ["compiler/semantic/checked.ts", "compiler/semantic/model_ir.ts", "compiler/semantic/lower.ts", "compiler/semantic/term.ts", "compiler/semantic/values.ts", "compiler/semantic/layers/"];

function codegenViolations(g: Graph): string[] {
  const out: string[] = [];
  for (const [file, targets] of g) {
    if (!file.startsWith("compiler/codegen/")) continue;
    for (const t of targets) {
      if (t.startsWith("compiler/semantic/") && !CODEGEN_MAY_IMPORT.some((a) => (a.endsWith("/") ? t.startsWith(a) : t === a))) out.push(`${file} -> ${t}`);
    }
  }
  return out;
}

test("compiler/codegen imports only the checked result and the IR of compiler/semantic (never model.ts or check.ts)", () => {
  assert.ok(graph.get("compiler/codegen/emit.ts")!.includes("compiler/semantic/model_ir.ts"), "emit.ts -> model_ir.ts not seen");
  const bad = codegenViolations(graph);
  assert.equal(bad, [], `the emitter imports checker internals:\n  ${bad.join("\n  ")}`);
  // The rule itself can fail.
  const g: Graph = new Map([["compiler/codegen/emit.ts", ["compiler/semantic/model.ts", "compiler/semantic/check/data.ts", "compiler/semantic/checked.ts", "compiler/semantic/layers/index.ts"]]]);
  assert.equal(codegenViolations(g), ["compiler/codegen/emit.ts -> compiler/semantic/model.ts", "compiler/codegen/emit.ts -> compiler/semantic/check/data.ts"]);
});

test("grammar/ and runtime/ import nothing from the layers above them", () => {
  const bad = ruleViolations(graph, RULES);
  assert.equal(bad, [], `forbidden imports:\n  ${bad.join("\n  ")}`);
});

test("no import circle in grammar/, compiler/, runtime/", () => {
  const circles = findCircles(graph);
  assert.equal(circles.map(show), [], `import circles (break each by moving the shared part into a file both can import):\n  ${circles.map(show).join("\n  ")}`);
});

// The detector itself, on inputs whose answers are known: it must be able to fail.

test("importsOf: static, type-only, re-export and dynamic imports; not comments or strings", () => {
  const text = [
    'import { a } from "./a.ts";',
    'import type { B } from "../b.ts";',
    'export * from "./c.ts";',
    'export type { D } from "./d.ts";',
    "// import { e } from \"./commented.ts\";",
    "const s = 'import { f } from \"./in_string.ts\"';",
    'async function g() { return (await import("./dyn.ts")).x; }',
    "const t = `x`; import(`./template_${t}.ts`);",
    'import { readFileSync } from "node:fs";',
    'import ts from "typescript";',
    'import "./side_effect.ts";',
  ].join("\n");
  assert.equal(importsOf(text), ["./a.ts", "../b.ts", "./c.ts", "./d.ts", "./dyn.ts", "./side_effect.ts"]);
});

test("findCircles: a synthetic graph with two circles and a self-import", () => {
  const g: Graph = new Map([
    ["x/a.ts", ["x/b.ts", "pkg/outside.ts"]],
    ["x/b.ts", ["x/c.ts"]],
    ["x/c.ts", ["x/a.ts", "x/d.ts"]],
    ["x/d.ts", []],
    ["y/e.ts", ["y/f.ts"]],
    ["y/f.ts", ["y/e.ts", "x/d.ts"]],
    ["z/self.ts", ["z/self.ts"]],
    ["z/leaf.ts", ["x/a.ts"]],
  ]);
  assert.equal(findCircles(g).map(show), ["x/a.ts -> x/b.ts -> x/c.ts -> x/a.ts", "y/e.ts -> y/f.ts -> y/e.ts", "z/self.ts -> z/self.ts"]);
  // A diamond is not a circle.
  const diamond: Graph = new Map([["a", ["b", "c"]], ["b", ["d"]], ["c", ["d"]], ["d", []]]);
  assert.equal(findCircles(diamond), []);
});

test("findCircles: the shortest circle through a component is printed", () => {
  // a -> b -> c -> d -> a and a -> d -> a: the component is {a, b, c, d}; the short way round is shown.
  const g: Graph = new Map([["a", ["b", "d"]], ["b", ["c"]], ["c", ["d"]], ["d", ["a"]]]);
  assert.equal(findCircles(g).map(show), ["a -> d -> a"]);
});

test("ruleViolations: a grammar file importing the compiler, a runtime file importing the compiler", () => {
  const g: Graph = new Map([
    ["grammar/parser.ts", ["grammar/ast.ts", "compiler/semantic/check.ts"]],
    ["grammar/ast.ts", []],
    ["runtime/run.ts", ["runtime/spec.ts", "compiler/driver.ts"]],
    ["compiler/driver.ts", ["grammar/parser.ts", "runtime/spec.ts"]],
    ["grammarly/x.ts", ["compiler/driver.ts"]],
  ]);
  const bad = ruleViolations(g, RULES).map((s) => s.replace(/ \(.*\)$/, ""));
  assert.equal(bad, ["grammar/parser.ts -> compiler/semantic/check.ts", "runtime/run.ts -> compiler/driver.ts"]);
});

test.run();
