// The checker checks every combination of the shape-affecting tuned params without running
// the model once per combination (walks that split where the params read differ and merge
// again where they end in the same state). These tests hold it to the plain definition: each
// combination compiled on its own, with the params fixed to its values, and every error
// reported once, as the first combination in enumeration order (the default first, then the
// cartesian product in declaration order) gives it, with a note naming that combination.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile } from "../../compiler/driver.ts";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.ts";
import { CODES } from "../../compiler/diagnostics/codes.ts";

interface Param {
  name: string;
  dflt: string;
  values: string[];
}

/** Combinations in the checker's order: the default, then the product without it. */
function combinations(ps: Param[]): string[][] {
  const lists = ps.map((p) => [...new Set([p.dflt, ...p.values])]);
  const dflt = ps.map((p) => p.dflt);
  const out: string[][] = [dflt];
  const rec = (i: number, acc: string[]) => {
    if (i === ps.length) {
      if (acc.some((v, k) => v !== dflt[k])) out.push([...acc]);
      return;
    }
    for (const v of lists[i]) rec(i + 1, [...acc, v]);
  };
  rec(0, []);
  return out;
}

const paramLine = (p: Param) => `  param ${p.name} = ${p.dflt} tune choice(${p.values.join(", ")})`;

function source(ps: Param[], fixed: string[] | null, blocks: string, model: string): string {
  // A fixed param keeps its line's length so every other span stays where it was.
  const lines = ps.map((p, i) => (fixed ? `  param ${p.name} = ${fixed[i]}`.padEnd(paramLine(p).length) : paramLine(p)));
  return `pipeline combos {
${lines.join("\n")}
  data {
    source mnist
    x = images / 255 as image[28, 28, 1]
    y = labels as class(10)
  }
${blocks}
  model {
${model}
  }
  train { loss sparse_categorical_crossentropy; metrics accuracy }
}
`;
}

const errorsOf = (text: string): Diagnostic[] => compile(text, { file: "combos.dlp" }).diagnostics.filter((d) => d.severity === "error" && CODES[d.code].phase !== "tuning");
const key = (d: Diagnostic) => `${d.code}@${d.span.start}:${d.span.end}`;
const shown = (d: Diagnostic) => ({ code: d.code, span: [d.span.start, d.span.end], message: d.message, notes: d.notes, help: d.help ?? null, related: d.related ?? [] });

function expectPlainDefinition(ps: Param[], blocks: string, model: string, minErrors: number): void {
  const tuned = errorsOf(source(ps, null, blocks, model));
  const expected = new Map<string, { d: Diagnostic; combo: string[]; rank: number }>();
  combinations(ps).forEach((combo, rank) => {
    for (const d of errorsOf(source(ps, combo, blocks, model))) if (!expected.has(key(d))) expected.set(key(d), { d, combo, rank });
  });
  assert.ok(expected.size >= minErrors, `the case should have at least ${minErrors} errors, has ${expected.size}`);
  assert.equal(tuned.map(key).sort(), [...expected.keys()].sort());
  for (const got of tuned) {
    const want = expected.get(key(got))!;
    const note = `with ${ps.map((p, i) => `${p.name} = ${want.combo[i]}`).join(" and ")} (a combination of the tuning space)`;
    const notes = want.rank === 0 ? want.d.notes : [note, ...want.d.notes];
    assert.equal(shown(got), { ...shown(want.d), notes }, `${key(got)} from combination ${want.combo.join(", ")}`);
  }
}

test("repeat counts that keep the shape merge, yet a later error shows its own combination's shapes", () => {
  // n = 1, 2, 3 reach the same state after the repeat (same padding) with different recent
  // layers; the last conv only fails for n = 3, whose `shapes:` note must list three convs.
  const ps = [
    { name: "n", dflt: "1", values: ["1", "2", "3"] },
    { name: "k", dflt: "3", values: ["3", "5"] },
  ];
  const model = ["    conv2d(8, 3, padding: same)", "    repeat n { conv2d(8, k, padding: same, activation: relu) }", "    max_pool(2)", "    conv2d(8, 8 * (n - 1) + 1)", "    flatten()", "    dense(10, activation: softmax)"].join("\n");
  expectPlainDefinition(ps, "", model, 1);
});

test("valid padding makes a kernel split the walks; errors appear under some of them only", () => {
  const ps = [
    { name: "k", dflt: "3", values: ["3", "9", "15"] },
    { name: "pad", dflt: "same", values: ["same", "valid"] },
    { name: "n", dflt: "1", values: ["1", "2"] },
  ];
  const model = ["    repeat n { conv2d(8, k, padding: pad) |> max_pool(2) }", "    conv2d(8, k)", "    flatten()", "    dense(10, activation: softmax)"].join("\n");
  expectPlainDefinition(ps, "", model, 2);
});

test("branches, merges and blocks: a channel mismatch and a units-vs-classes error and a missing softmax under some combinations", () => {
  const ps = [
    { name: "f", dflt: "16", values: ["16", "32"] },
    { name: "g", dflt: "16", values: ["16", "32"] },
    { name: "layers", dflt: "1", values: ["1", "2"] },
    { name: "units", dflt: "10", values: ["10", "5"] },
    { name: "act", dflt: "softmax", values: ["softmax", "relu"] },
  ];
  const blocks = "  block unit(c) (x) {\n    h = x |> conv2d(c, 3, padding: same) |> batch_norm()\n    return relu(add(x, h))\n  }";
  const model = [
    "    a = conv2d(f, 3, padding: same)",
    "    b = input |> conv2d(g, 3, padding: same)",
    "    unit(f)",
    "    c = add(a, b)",
    "    if layers >= 2 { unit(g) } else { unit(f) }",
    "    global_avg_pool()",
    "    dense(units, activation: act)",
  ].join("\n");
  expectPlainDefinition(ps, blocks, model, 4);
});

test.run();
