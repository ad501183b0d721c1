// Deep nesting: hundreds of nested brackets, blocks or a thousands-term chain give one positioned
// DLP1004, never a stack overflow or an internal error; depths just inside the limits compile.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile } from "../../compiler/driver.ts";
import { MAX_EXPR_DEPTH, MAX_NESTING } from "../../grammar/limits.ts";
import { formatDlp } from "../../compiler/format/format.ts";

const base = (body: string) =>
  `pipeline p {\n  data {\n    source mnist\n    x = images / 255 as image[28, 28, 1]\n    y = labels as class(10)\n  }\n  model {\n    flatten()\n${body}\n  }\n  train {\n    loss sparse_categorical_crossentropy\n    optimizer adam(lr: 1e-3)\n    batch 64\n    epochs 1\n  }\n}\n`;

const deep: Record<string, (n: number) => string> = {
  parens: (n) => base(`    dense(${"(".repeat(n)}10${")".repeat(n)})`),
  brackets: (n) => base(`    dense(${"[".repeat(n)}10${"]".repeat(n)})`),
  calls: (n) => base(`    dense(${"f(".repeat(n)}10${")".repeat(n)})`),
  repeat: (n) => base(`${"repeat 1 {\n".repeat(n)}dense(10)\n${"}\n".repeat(n)}`),
  plus: (n) => base(`    dense(${Array(n).fill("1").join(" + ")})`),
  members: (n) => base(`    dense(a${".b".repeat(n)})`),
  signs: (n) => base(`    dense(${"-".repeat(n)}units)`),
  indexes: (n) => base(`    dense(a${"[0]".repeat(n)})`),
};

function compileSafely(text: string) {
  const t0 = performance.now();
  const r = compile(text, { file: "deep.dlp" });
  const ms = performance.now() - t0;
  assert.ok(ms < 5000, `took ${ms} ms`);
  assert.not.ok(r.diagnostics.some((d) => d.code === "DLP0001"), `internal error: ${r.diagnostics.slice(0, 5).map((d) => d.message.slice(0, 200)).join("; ")}`);
  return r;
}

test("300–4000 levels give DLP1004 at the offending position", () => {
  const sizes: Record<string, number[]> = { parens: [300, 450, 5000], brackets: [300, 450], calls: [300, 450], repeat: [300, 450], plus: [4000, 20000], members: [4000], signs: [4000], indexes: [4000] };
  for (const [k, make] of Object.entries(deep)) {
    for (const n of sizes[k]!) {
      const text = make(n);
      const r = compileSafely(text);
      const d = r.diagnostics.find((x) => x.code === "DLP1004");
      assert.ok(d, `${k} ${n}: no DLP1004 in ${r.diagnostics.slice(0, 5).map((x) => x.code + " " + x.message).join(",")}`);
      assert.is(d!.severity, "error");
      assert.ok(d!.span.start > text.indexOf("model"), `${k} ${n}: positioned inside the model (${d!.span.start})`);
      if (k === "parens" || k === "brackets" || k === "calls" || k === "repeat") {
        assert.ok("([{".includes(text[d!.span.start]!), `${k}: points at an opening bracket`);
        assert.is(r.lines.position(d!.span.start).line >= 8, true);
      }
    }
  }
});

test("depths inside the limits compile without DLP1004", () => {
  const inside = MAX_NESTING - 10;
  for (const k of ["parens", "brackets", "calls", "repeat"]) {
    const r = compileSafely(deep[k]!(inside));
    assert.not.ok(r.diagnostics.some((d) => d.code === "DLP1004"), `${k} ${inside}`);
  }
  for (const k of ["plus", "members", "indexes"]) {
    const r = compileSafely(deep[k]!(MAX_EXPR_DEPTH - 10));
    assert.not.ok(r.diagnostics.some((d) => d.code === "DLP1004"), `${k}`);
  }
});

test("a deep expression is cut alone: the rest of the file is still checked", () => {
  const text = base(`    dense(${Array(3000).fill("1").join(" + ")})\n    dense(10, activation: softmx)`);
  const r = compileSafely(text);
  assert.ok(r.diagnostics.some((d) => d.code === "DLP1004"));
  assert.ok(r.diagnostics.some((d) => d.code !== "DLP1004" && d.message.includes("softmx")), r.diagnostics.slice(0, 5).map((d) => d.message.slice(0, 200)).join("; "));
  assert.is(r.diagnostics.filter((d) => d.code === "DLP1004").length, 1, "one diagnostic, no follow-up errors");
});

test("the formatter refuses a too-deep file with DLP1004", () => {
  for (const text of [deep.parens!(500), deep.plus!(4000)]) {
    const r = formatDlp(text);
    assert.is(r.ok, false);
    if (!r.ok) assert.ok(r.errors.some((e) => e.code === "DLP1004"), JSON.stringify(r.errors));
  }
});

test.run();
