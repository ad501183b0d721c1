// The fuzz campaign, as a test: FUZZ_RUNS (default 20 000) generated and mutated .dlp inputs
// through compile(). Every input must return (no escaped exception), within its time budget,
// with coded, well-positioned diagnostics and never an internal error (DLP0001); what compiles
// is emitted too, with no raw line separator in the code. Seeded (a plain PRNG: fast-check's
// shrinkable values cost more than the compile itself); a failure prints its input.
//   FUZZ_RUNS=100000 node bin/test.mjs hardening/fuzz     (a bigger campaign)
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { compile } from "../../compiler/driver.ts";
import { emitPipeline } from "../../compiler/codegen/emit.ts";
import { LAYER_DEFS } from "../../compiler/semantic/layers/index.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 20_000);
/** Per input. Generous for a loaded 2-core machine; the hangs this guards against took 10–44 s. */
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 3_000);

const seeds = readdirSync("pipelines").filter((f) => f.endsWith(".dlp")).map((f) => readFileSync(`pipelines/${f}`, "utf8"));
const layerNames = LAYER_DEFS.map((d) => d.name);
const pieces = ["{", "}", "(", ")", "[", "]", ",", ":", "|>", "..", "=", "\n", '"', "as", "repeat", "repeat 1000000000 {", "conv2d(", "dense(10)", "param", "-", "1e", "1e308", "%", "deg", "block", "return", "if", "else", "tune", "choice(", "\u2028", "*/", "__proto__", "(".repeat(200), "[".repeat(150), " + 1".repeat(700), "not ", "and", ".x", "true"];

const stats = { inputs: 0, diagnostics: 0, emitted: 0, maxMs: 0, maxInput: "", byCode: new Map<string, number>() };

function check(text: string): void {
  // FUZZ_LAST=file: each input is written there before it runs, so a crash of the process
  // itself (out of memory, a fatal V8 error) leaves the input that caused it.
  if (process.env.FUZZ_LAST) writeFileSync(process.env.FUZZ_LAST, text);
  const t0 = performance.now();
  let r: ReturnType<typeof compile>;
  try {
    r = compile(text, { file: "fuzz.dlp" });
  } catch (e) {
    assert.unreachable(`compile threw ${(e as Error).message} on ${JSON.stringify(text.slice(0, 300))}`);
    return;
  }
  const ms = performance.now() - t0;
  stats.inputs++;
  if (ms > stats.maxMs) {
    stats.maxMs = ms;
    stats.maxInput = text.slice(0, 120);
  }
  assert.ok(ms < BUDGET_MS, `took ${Math.round(ms)} ms (budget ${BUDGET_MS}) on ${JSON.stringify(text.slice(0, 300))}`);
  for (const d of r.diagnostics) {
    stats.diagnostics++;
    stats.byCode.set(d.code, (stats.byCode.get(d.code) ?? 0) + 1);
    assert.ok(/^DLP\d{4}$/.test(d.code), d.code);
    assert.is.not(d.code, "DLP0001", `internal error: ${d.message} on ${JSON.stringify(text.slice(0, 300))}`);
    assert.ok(d.span.start >= 0 && d.span.end >= d.span.start && d.span.end <= text.length, `bad span ${JSON.stringify(d.span)} for ${d.message}`);
  }
  if (!r.hasErrors && r.checked) {
    const code = emitPipeline(r.checked, "fuzz\u2028dir/fuzz.dlp", r.sourceHash);
    stats.emitted++;
    assert.not.match(code, /[\u2028\u2029]/, "raw line separator in emitted code");
  }
}

// ---- generated pipelines: a fixed skeleton around generated params, blocks and model bodies ----

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(private readonly r: () => number) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  many(max: number, f: () => string, min = 0): string[] {
    const n = min + this.int(max - min + 1);
    return Array.from({ length: n }, f);
  }
  num(): string {
    return this.r() < 0.5 ? String(this.int(600) - 3) : this.pick(["0", "1e9", "1000000000", "1e308", "-1", "0.5", "1e-3", "50%", "90deg", "NaN", "2147483648", "16", "32"]);
  }
  str(): string {
    return this.r() < 0.7 ? this.pick(['"same"', '"valid"', '"\u2028x"', '"*/"', '"\\n"', '""']) : JSON.stringify(String.fromCharCode(...Array.from({ length: this.int(8) }, () => this.int(0x3000))));
  }
  name(): string {
    return this.r() < 0.5 ? this.pick(["relu", "softmax", "same", "valid", "x", "h", "units", "filters", "blocks", "__proto__", "constructor", "input", "i"]) : this.pick(layerNames);
  }
  expr(depth = 0): string {
    const k = depth > 3 ? this.int(3) : this.int(9);
    switch (k) {
      case 0: return this.num();
      case 1: return this.str();
      case 2: return this.name();
      case 3: return `${this.expr(depth + 1)} ${this.pick(["+", "-", "*", "/", "==", "<", "and", "or", ".."])} ${this.expr(depth + 1)}`;
      case 4: return `[${this.many(4, () => this.expr(depth + 1)).join(", ")}]`;
      case 5: return `${this.name()}(${this.many(4, () => this.arg(depth + 1)).join(", ")})`;
      case 6: return `(${this.expr(depth + 1)})`;
      case 7: return `-${this.expr(depth + 1)}`;
      default: return `${this.name()}.${this.name()}`;
    }
  }
  arg(depth: number): string {
    return this.r() < 0.5 ? this.expr(depth) : `${this.pick(["activation", "padding", "units", "rate", "strides", "kernel", "lr", "layer", "axis"])}: ${this.expr(depth)}`;
  }
  layer(): string {
    return `${this.pick(layerNames)}(${this.many(3, () => this.expr(1)).join(", ")})`;
  }
  stmt(depth = 0): string {
    const k = depth > 2 ? this.int(3) : this.int(8);
    switch (k) {
      case 0: return this.layer();
      case 1: return `${this.pick(["x", "h", "y"])} = ${this.layer()}`;
      case 2: return `${this.pick(["x", "h", "input"])} |> ${this.many(3, () => this.layer(), 1).join(" |> ")}`;
      case 3: return `repeat ${this.r() < 0.5 ? this.num() : this.name()} { ${this.many(3, () => this.stmt(depth + 1)).join("\n")} }`;
      case 4: return `if ${this.expr(1)} { ${this.many(2, () => this.stmt(depth + 1)).join("\n")} } else { ${this.many(2, () => this.stmt(depth + 1)).join("\n")} }`;
      case 5: return `${this.pick(["b0", "b1", "b2"])}(${this.many(2, () => this.expr(1)).join(", ")})`;
      case 6: return `return ${this.expr(1)}`;
      default: return this.layer();
    }
  }
  space(): string {
    switch (this.int(4)) {
      case 0: return `choice(${this.many(12, () => this.num()).join(", ")})`;
      case 1: return `int(${this.num()}..${this.num()})`;
      case 2: return `uniform(${this.num()}, ${this.num()})`;
      default: return `log_uniform(${this.num()}, ${this.num()})`;
    }
  }
  param(): string {
    return `param ${this.pick(["units", "filters", "blocks", "rate", "__proto__", "constructor", "toString", "k", "lr"])} = ${this.num()}${this.r() < 0.6 ? ` tune ${this.space()}` : ""}`;
  }
  block(): string {
    return `block ${this.pick(["b0", "b1", "b2"])}(${this.many(2, () => this.pick(["f", "k"])).join(", ")}) (x) {\n${this.many(4, () => this.stmt(1), 1).join("\n")}\n}`;
  }
  pipeline(): string {
    const shape = this.pick(["image[28, 28, 1]", "vector[784]", "image[2, 2, 1]"]);
    return `pipeline fz {\n${this.many(5, () => this.param()).join("\n")}\n  data {\n    source mnist\n    x = images / 255 as ${shape}\n    y = labels as class(10)\n  }\n${this.many(3, () => this.block()).join("\n")}\n  model {\n${this.many(8, () => this.stmt(), 1).join("\n")}\n  }\n  train { loss sparse_categorical_crossentropy; optimizer adam(lr: 1e-3); batch 32; epochs 1 }\n${this.r() < 0.5 ? "  tune { strategy grid; objective minimize val_loss }\n" : ""}}\n`;
  }
  /** A real pipeline with up to 8 random edits (deletions, insertions of grammar pieces). */
  mutated(): string {
    let text = this.pick(seeds);
    for (let k = this.int(9); k > 0; k--) {
      const p = this.int(text.length + 1);
      text = text.slice(0, p) + this.pick(pieces) + text.slice(p + this.int(61));
    }
    return text;
  }
  /** Up to 400 code units of anything: ASCII, controls, line separators, lone surrogates. */
  text(): string {
    const n = this.int(401);
    let out = "";
    for (let k = 0; k < n; k++) out += String.fromCharCode(this.r() < 0.7 ? 32 + this.int(95) : this.r() < 0.5 ? this.int(32) : this.pick([0x2028, 0x2029, 0xd800, 0xdfff, 0xfeff, 0x202e, 0xffff, 0xe9]));
    return out;
  }
  soup(): string {
    const xs = this.many(40, () => (this.r() < 0.5 ? this.pick(pieces) : this.r() < 0.5 ? this.name() : this.num()));
    return `pipeline s {\n  data { source mnist; x = images as vector[784]; y = labels as class(10) }\n  model {\n${xs.join(" ")}\n  }\n  train { loss sparse_categorical_crossentropy }\n}\n`;
  }
}

// Shares of the campaign, by cost (CPU per input on this 2-core machine: a mutated real
// pipeline ~22 ms, a generated one ~5 ms, token soup ~2.5 ms, random text ~1 ms).
const share = { generated: Math.round(RUNS * 0.35), mutated: Math.round(RUNS * 0.05), soup: Math.round(RUNS * 0.25), text: 0 };
share.text = RUNS - share.generated - share.mutated - share.soup;

const timed = (label: string, f: () => void) => () => {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  if (process.env.FUZZ_VERBOSE) process.stdout.write(`\n  ${label}: ${Math.round(performance.now() - t0)} ms wall, ${Math.round((c.user + c.system) / 1000)} ms cpu\n`);
};

test(`generated pipelines (${share.generated})`, timed("generated", () => {
  const g = new Gen(rng(16));
  for (let i = 0; i < share.generated; i++) check(g.pipeline());
}));

test(`mutated real pipelines (${share.mutated})`, timed("mutated", () => {
  const g = new Gen(rng(17));
  for (let i = 0; i < share.mutated; i++) check(g.mutated());
}));

test(`token soup inside a model (${share.soup})`, timed("soup", () => {
  const g = new Gen(rng(18));
  for (let i = 0; i < share.soup; i++) check(g.soup());
}));

test(`random text, unicode included (${share.text})`, timed("text", () => {
  const g = new Gen(rng(19));
  for (let i = 0; i < share.text; i++) check(g.text());
}));

test("campaign summary", () => {
  assert.is(stats.inputs, RUNS, "every input reached compile()");
  const top = [...stats.byCode].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([c, n]) => `${c}×${n}`).join(" ");
  process.stdout.write(`\n  fuzz: heap ${Math.round(process.memoryUsage().heapUsed / 1e6)} MB, ${stats.inputs} inputs, 0 escaped exceptions, 0 over ${BUDGET_MS} ms (slowest ${Math.round(stats.maxMs)} ms), ${stats.emitted} emitted, ${stats.diagnostics} diagnostics: ${top}\n`);
});

test.run();
