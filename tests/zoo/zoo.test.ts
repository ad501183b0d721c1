// The model zoo (pipelines/zoo): each architecture checks clean, `dlpc summary` gives exactly
// Keras Applications' total / trainable / non-trainable counts and Keras's per-layer output
// shapes (tests/zoo/fixtures/*.keras.txt), and the emitted TypeScript builds in tfjs to a model
// whose countParams() and output shape are the same.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import ts from "typescript";
import { renderTerminal } from "../../compiler/diagnostics/render.ts";
import { compile } from "../../compiler/driver.ts";
import { summaryJson, summaryText, type SummaryJson } from "../../compiler/summary.ts";
import { emitPipeline } from "../../compiler/codegen/emit.ts";
import { tf } from "../../runtime/tf.ts";

interface KerasFigures {
  total: number;
  trainable: number;
  nonTrainable: number;
}

// Keras Applications' published figures (each file's header comment cites where).
const ZOO: Record<string, KerasFigures> = {
  vgg16: { total: 138_357_544, trainable: 138_357_544, nonTrainable: 0 },
  resnet50: { total: 25_636_712, trainable: 25_583_592, nonTrainable: 53_120 },
  mobilenet: { total: 4_253_864, trainable: 4_231_976, nonTrainable: 21_888 },
};

const path = (name: string) => `pipelines/zoo/${name}.dlp`;
const source = (name: string) => readFileSync(path(name), "utf8");

function checked(name: string, text = source(name)) {
  const r = compile(text, { file: path(name) });
  const problems = r.diagnostics.filter((d) => d.severity === "error" || d.severity === "warning").map((d) => `${d.code} ${d.message}`);
  assert.equal(problems, [], `${name}: diagnostics`);
  assert.ok(r.checked, `${name}: no checked pipeline`);
  return r;
}

/** A param's default replaced in the source text, to check the non-default branches. */
function withParam(text: string, param: string, value: string): string {
  const re = new RegExp(`(param\\s+${param}\\s*=\\s*)[^\\s/]+`);
  assert.ok(re.test(text), `no param ${param}`);
  return text.replace(re, `$1${value}`);
}

// ---- the Keras fixture -------------------------------------------------------------------

interface KerasLayer {
  name: string;
  cls: string;
  shape: (number | null)[];
  params: number;
}

function kerasFixture(name: string): { layers: KerasLayer[]; totals: KerasFigures } {
  const text = readFileSync(`tests/zoo/fixtures/${name}.keras.txt`, "utf8");
  const layers: KerasLayer[] = [];
  const totals: Partial<KerasFigures> = {};
  for (const line of text.split("\n")) {
    const t = /^# (Total|Trainable|Non-trainable) params: ([\d,]+)$/.exec(line);
    if (t) totals[({ Total: "total", Trainable: "trainable", "Non-trainable": "nonTrainable" } as const)[t[1] as "Total"]] = Number(t[2]!.replace(/,/g, ""));
    if (line.startsWith("#") || !line.trim()) continue;
    const m = /^(\S+)\s+(\S+)\s+\(([^)]*)\)\s+(\d+)$/.exec(line);
    if (!m) throw new Error(`${name}.keras.txt: cannot read ${JSON.stringify(line)}`);
    const shape = m[3]!.split(",").map((s) => s.trim()).map((s) => (s === "None" ? null : Number(s)));
    layers.push({ name: m[1]!, cls: m[2]!, shape: shape.slice(1), params: Number(m[4]) });
  }
  return { layers, totals: totals as KerasFigures };
}

// ReLU() and Activation("relu") are the same layer kind; Keras's ResNet50 writes the second.
const kind = (cls: string) => (cls === "ReLU" ? "Activation" : cls);
const key = (cls: string, shape: (number | null)[], params: number) => `${kind(cls)} ${JSON.stringify(shape)} ${params}`;

// Layers whose order is fixed by the architecture (block ends, downsampling, the head): their
// output shapes, in order, are the stage boundaries.
const BOUNDARY = new Set(["ZeroPadding2D", "MaxPooling2D", "Add", "GlobalAveragePooling2D", "Flatten", "Dense", "Reshape", "Dropout"]);

function ours(s: SummaryJson) {
  return s.layers.map((l) => ({ cls: l.type, shape: l.outputShape.slice(1), params: l.params }));
}

// ---- totals ------------------------------------------------------------------------------

for (const [name, k] of Object.entries(ZOO)) {
  test(`${name}: summary totals are Keras Applications' figures`, () => {
    const s = summaryJson(checked(name).checked!);
    assert.equal({ total: s.totalParams, trainable: s.trainableParams, nonTrainable: s.nonTrainableParams }, k);
    // The fixture transcribes the same summary: its totals and its rows agree with the figures.
    const f = kerasFixture(name);
    assert.equal(f.totals, k, "fixture totals");
    assert.is(f.layers.reduce((a, l) => a + l.params, 0), k.total, "fixture rows");
  });

  test(`${name}: every layer's output shape and params match Keras's summary`, () => {
    const s = summaryJson(checked(name).checked!);
    const f = kerasFixture(name);
    const mine = ours(s);
    assert.is(mine.length, f.layers.length, "layer count");
    // Same layers (kind, output shape, params), whatever the order Keras prints branches in.
    const a = mine.map((l) => key(l.cls, l.shape, l.params)).sort();
    const b = f.layers.map((l) => key(l.cls, l.shape, l.params)).sort();
    assert.equal(a, b);
    // Stage boundaries in order.
    const bound = (xs: { cls: string; shape: (number | null)[] }[]) => xs.filter((l) => BOUNDARY.has(l.cls)).map((l) => `${l.cls} ${l.shape.join("×")}`);
    assert.equal(bound(mine), bound(f.layers));
  });
}

test("vgg16 and mobilenet list their layers in Keras's order", () => {
  for (const name of ["vgg16", "mobilenet"]) {
    const mine = ours(summaryJson(checked(name).checked!));
    const f = kerasFixture(name);
    assert.equal(mine.map((l) => key(l.cls, l.shape, l.params)), f.layers.map((l) => key(l.cls, l.shape, l.params)), name);
  }
});

test("resnet50 stage outputs: 56×56×256, 28×28×512, 14×14×1024, 7×7×2048 after 3, 4, 6, 3 blocks", () => {
  const adds = ours(summaryJson(checked("resnet50").checked!)).filter((l) => l.cls === "Add").map((l) => l.shape.join("×"));
  const expected = [
    ...Array<string>(3).fill("56×56×256"),
    ...Array<string>(4).fill("28×28×512"),
    ...Array<string>(6).fill("14×14×1024"),
    ...Array<string>(3).fill("7×7×2048"),
  ];
  assert.equal(adds, expected);
});

test("the summary table prints the Keras figures", () => {
  const text = summaryText(checked("resnet50").checked!);
  assert.match(text, /Total params: 25,636,712\nTrainable params: 25,583,592\nNon-trainable params: 53,120/);
});

// ---- the non-default branches and options ------------------------------------------------

test("include_top = false gives the convolutional base with a pooled classifier", () => {
  const vgg = summaryJson(checked("vgg16", withParam(source("vgg16"), "include_top", "false")).checked!);
  // Keras's VGG16(include_top=False) base has 14,714,688 parameters, plus 512·1000 + 1000.
  assert.is(vgg.totalParams, 14_714_688 + 513_000);
  assert.equal(vgg.layers.at(-2)!.outputShape, [null, 512]);
  const mob = summaryJson(checked("mobilenet", withParam(source("mobilenet"), "include_top", "false")).checked!);
  // Keras's MobileNet(include_top=False) base: 3,228,864 (3,206,976 trainable, 21,888 not).
  assert.is(mob.totalParams, 3_228_864 + 1_025_000);
  assert.is(mob.nonTrainableParams, 21_888);
});

test("mobilenet's width multiplier scales every layer", () => {
  const half = summaryJson(checked("mobilenet", withParam(source("mobilenet"), "alpha", "0.5")).checked!);
  const conv1 = half.layers.find((l) => l.type === "Conv2D")!;
  assert.equal(conv1.outputShape, [null, 112, 112, 16]);
  assert.equal(half.layers.find((l) => l.type === "Reshape")!.outputShape, [null, 1, 1, 512]);
  assert.is(half.layers.at(-1)!.outputShape[1], 1000);
});

test("classes changes the head only", () => {
  const s = summaryJson(checked("resnet50", withParam(source("resnet50"), "classes", "10")).checked!);
  assert.is(s.totalParams, 25_636_712 - 2_049_000 + 20_490);
});

// ---- summary goldens and emitted code ----------------------------------------------------

for (const name of Object.keys(ZOO)) {
  test(`${name}: summary golden`, () => {
    const golden = `tests/golden/summary/${name}.summary.txt`;
    const text = summaryText(checked(name).checked!) + "\n";
    if (process.env.UPDATE === "1") {
      mkdirSync("tests/golden/summary", { recursive: true });
      writeFileSync(golden, text);
      return;
    }
    assert.ok(existsSync(golden), `missing golden ${golden} (run UPDATE=1 node bin/test.mjs tests/zoo and review the diff)`);
    assert.fixture(text, readFileSync(golden, "utf8"));
  });
}

test("the emitted TypeScript of every zoo model type-checks under strict tsc", () => {
  // In-memory files inside the repository, so that "dlp/runtime" resolves to runtime/index.ts.
  const files = new Map<string, string>();
  for (const name of Object.keys(ZOO)) {
    const r = checked(name);
    files.set(resolve(`build/zoo-typecheck/${name}.ts`), emitPipeline(r.checked!, path(name), r.sourceHash));
  }
  const cfg = ts.readConfigFile("tsconfig.json", ts.sys.readFile);
  const options = ts.parseJsonConfigFileContent(cfg.config, ts.sys, ".").options;
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => files.has(resolve(f)) || fileExists(f);
  host.readFile = (f) => files.get(resolve(f)) ?? readFile(f);
  host.getSourceFile = (f, lang, ...rest) => {
    const text = files.get(resolve(f));
    return text !== undefined ? ts.createSourceFile(f, text, lang) : getSourceFile(f, lang, ...rest);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  const diags = ts.getPreEmitDiagnostics(program).filter((d) => d.file && files.has(resolve(d.file.fileName)));
  assert.is(diags.map((d) => `${d.file!.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`).join("\n"), "");
});

test("a zoo file with a broken layer reports file:line:col, not a stack trace", () => {
  const text = source("mobilenet").replace("depthwise_conv2d(3, strides: stride, use_bias: false)", "depthwise_conv2d(3, strides: stride, dilation: 2, use_bias: false)");
  const r = compile(text, { file: path("mobilenet") });
  const err = r.diagnostics.find((d) => d.severity === "error");
  assert.ok(err, "expected an error");
  assert.is(err!.code, "DLP3013");
  const shown = renderTerminal(err!, { file: path("mobilenet"), text: r.text, lines: r.lines }, false);
  assert.match(shown, /--> pipelines\/zoo\/mobilenet\.dlp:\d+:\d+/);
  assert.match(shown, /does not support dilation/);
});

// ---- built in tfjs -----------------------------------------------------------------------

/** Evaluates the emitted module with `dlp/runtime` bound to the shared tfjs instance. */
function emittedModule(name: string, text = source(name)) {
  const r = checked(name, text);
  const code = emitPipeline(r.checked!, path(name), r.sourceHash);
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const exports: Record<string, unknown> = {};
  const require = (m: string) => {
    if (m !== "dlp/runtime") throw new Error(`emitted code imports ${m}`);
    return { tf };
  };
  new Function("require", "exports", js)(require, exports);
  return { summary: summaryJson(r.checked!), mod: exports as { buildModel(p: unknown): tf.LayersModel; defaults: unknown } };
}

function built(name: string, text?: string) {
  const { summary, mod } = emittedModule(name, text);
  const before = tf.memory().numTensors;
  const model = mod.buildModel(mod.defaults);
  try {
    const trainable = model.trainableWeights.reduce((a, w) => a + (w.shape as number[]).reduce((x, y) => x * y, 1), 0);
    return { summary, count: model.countParams(), trainable, layers: model.layers.length - 1, out: model.outputs[0]!.shape };
  } finally {
    model.dispose();
    assert.is(tf.memory().numTensors, before, `${name}: tensors left after dispose`);
  }
}

test.before(async () => {
  await tf.setBackend("cpu");
});

for (const name of Object.keys(ZOO)) {
  test(`${name}: the emitted model built in tfjs has the same countParams()`, () => {
    const b = built(name);
    assert.is(b.count, b.summary.totalParams);
    assert.is(b.count, ZOO[name]!.total);
    assert.is(b.trainable, ZOO[name]!.trainable);
    assert.is(b.layers, b.summary.layers.length);
    assert.equal(b.out, [null, 1000]);
  });
}

test("mobilenet at alpha 0.5: the summary and tfjs agree off the default path too", () => {
  const b = built("mobilenet", withParam(source("mobilenet"), "alpha", "0.5"));
  assert.is(b.count, b.summary.totalParams);
  assert.is(b.trainable, b.summary.trainableParams);
});

test.run();
