// Export to the browser: a model trained by `dlpc run` loads in a web page with
// tf.loadLayersModel and predicts what Node predicts (max abs diff <= 1e-4), and the
// predict.html written beside it classifies an uploaded or drawn image exactly as
// `dlpc predict` does on the same picture. Headless Chromium, pages served from 127.0.0.1.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PNG } from "pngjs";
import type { Browser, Page } from "puppeteer-core";
import { execFile } from "node:child_process";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { initBackend, loadDataset, loadModel, predict, runPipeline, tf, type CompiledPipeline, type Preprocess } from "dlp/runtime";
import { tfjsBundlePath } from "../../runtime/export/predict_page.ts";
import { dlpcRun, launchChromium, openPage, serveStatic, type StaticServer, tempDir, trainedRun } from "./harness.ts";

// Page-side code runs in Chromium; the project's lib has no DOM types, so declare what it uses.
interface El { textContent: string | null; className: string; getAttribute(n: string): string | null; querySelector(s: string): El | null }
declare const document: { body: El; getElementById(id: string): El | null; querySelectorAll(s: string): ArrayLike<El> };
declare const window: unknown;

const execFileP = promisify(execFile);
let browser: Browser;
let server: StaticServer;
let dir: string;
const work = tempDir("dlp-export-");

test.before(async () => {
  ({ dir } = await trainedRun());
  await initBackend("wasm");
  browser = await launchChromium();
  server = await serveStatic({ "/run/": dir, "/tfjs/tf.min.js": tfjsBundlePath(), "/blank.html": writeBlank() });
});

test.after(async () => {
  await browser?.close();
  await server?.close();
});

function writeBlank(): string {
  const f = join(work, "blank.html");
  writeFileSync(f, `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><script src="/tfjs/tf.min.js"></script></head><body></body></html>`);
  return f;
}

const maxAbsDiff = (a: number[][], b: number[][]): number => {
  assert.is(a.length, b.length, "same number of rows");
  let m = 0;
  a.forEach((row, i) => { assert.is(row.length, b[i]!.length, `row ${i} width`); row.forEach((v, k) => { m = Math.max(m, Math.abs(v - b[i]![k]!)); }); });
  return m;
};

/** 64 real test digits, prepared as in training (scale 1/255, 28×28×1). */
async function testDigits(): Promise<{ x: Float32Array; n: number; raw: Float32Array }> {
  const common = { source: { kind: "mnist" as const }, outputs: [{ name: "y", labels: { kind: "class" as const, classes: 10, encoding: "sparse" as const } }], split: {}, augment: [], shuffle: false };
  const prepared = await loadDataset({ ...common, inputs: [{ name: "x", transforms: [{ op: "scale", by: 1 / 255 }, { op: "reshape", shape: [28, 28, 1] }], shape: [28, 28, 1] }] }, { seed: 1, limit: 64 });
  const raw = await loadDataset({ ...common, inputs: [{ name: "x", transforms: [], shape: [28, 28] }] }, { seed: 1, limit: 64 });
  return { x: prepared.test!.x, n: prepared.test!.n, raw: raw.test!.x };
}

test("dlpc run wrote predict.html and tf.min.js beside model.json and weights.bin", () => {
  for (const f of ["model.json", "weights.bin", "predict.html", "tf.min.js", "preprocess.json"]) assert.ok(existsSync(join(dir, f)), `${f} in ${dir}`);
  assert.is(statSync(join(dir, "tf.min.js")).size, statSync(tfjsBundlePath()).size, "tf.min.js is tfjs's browser bundle");
  const html = readFileSync(join(dir, "predict.html"), "utf8");
  assert.ok(html.length < 40_000, `predict.html stays small (${html.length} bytes)`);
  assert.match(html, /<script src="\.\/tf\.min\.js"><\/script>/);
});

test("tf.loadLayersModel in Chromium predicts the same probabilities as Node (max abs diff <= 1e-4)", async () => {
  const { x, n } = await testDigits();
  const model = await loadModel(dir);
  const t = tf.tensor(x, [n, 28, 28, 1]);
  const out = model.predict(t) as tf.Tensor;
  const node = out.arraySync() as number[][];
  tf.dispose([t, out]);
  model.dispose();

  // Chromium's default backend (webgl, on SwiftShader when headless) and the pure-JS cpu one.
  for (const backend of ["default", "cpu"]) {
    const errors: string[] = [];
    const page = await openPage(browser, errors);
    await page.goto(`${server.url}/blank.html`);
    const r = (await page.evaluate(async (data: number[], count: number, want: string) => {
      const g = globalThis as unknown as { tf: typeof tf };
      if (want !== "default") await g.tf.setBackend(want);
      const m = await g.tf.loadLayersModel("/run/model.json");
      const y = m.predict(g.tf.tensor(data, [count, 28, 28, 1])) as tf.Tensor;
      return { probs: (await y.array()) as number[][], backend: g.tf.getBackend() };
    }, Array.from(x), n, backend)) as { probs: number[][]; backend: string };
    await page.close();
    assert.equal(errors, []);
    if (backend !== "default") assert.is(r.backend, backend);
    assert.is(r.probs.length, n);
    const diff = maxAbsDiff(r.probs, node);
    assert.ok(diff <= 1e-4, `max abs diff ${diff} on ${r.backend} in Chromium vs Node`);
  }
  assert.ok(server.requests.includes("/run/model.json") && server.requests.includes("/run/weights.bin"), "the page fetched model.json and weights.bin over http");
  // The digits are not all classified alike: a constant model would pass the diff trivially.
  assert.ok(new Set(node.map((row) => row.indexOf(Math.max(...row)))).size >= 3, "predictions vary across digits");
});

/** Waits until predict.html has shown `count` predictions; returns the shown table. */
async function shownPrediction(page: Page, count: number): Promise<{ top: string; topClass: number; rows: { cls: number; p: number; text: string }[]; outputs: number[] }> {
  await page.waitForFunction((c: number) => Number(document.body.getAttribute("data-predictions") ?? 0) >= c, { timeout: 20_000 }, count);
  return (await page.evaluate(() => {
    const top = document.getElementById("top")!;
    const rows = Array.from(document.querySelectorAll("#probs tr")).map((tr) => ({
      cls: Number(tr.getAttribute("data-class")), p: Number(tr.getAttribute("data-p")), text: tr.querySelector("td.p")!.textContent ?? "",
    }));
    return { top: top.textContent ?? "", topClass: Number(top.getAttribute("data-class")), rows, outputs: (window as unknown as { dlpPrediction: { outputs: number[] } }).dlpPrediction.outputs };
  })) as { top: string; topClass: number; rows: { cls: number; p: number; text: string }[]; outputs: number[] };
}

function checkAgainstNode(shown: Awaited<ReturnType<typeof shownPrediction>>, node: number[], what: string): void {
  assert.is(shown.rows.length, 10, `${what}: one row per class`);
  const byClass = new Array<number>(10).fill(NaN);
  for (const r of shown.rows) {
    byClass[r.cls] = r.p;
    assert.is(r.text, r.p.toFixed(4), `${what}: the shown probability of class ${r.cls} is its value`);
  }
  const diff = maxAbsDiff([byClass], [node]);
  assert.ok(diff <= 1e-4, `${what}: max abs diff ${diff} between predict.html and dlpc predict`);
  const best = node.indexOf(Math.max(...node));
  assert.is(shown.topClass, best, `${what}: top class`);
  assert.ok(shown.top.startsWith(`${best} (`), `${what}: shown "${shown.top}"`);
  for (let i = 1; i < shown.rows.length; i++) assert.ok(shown.rows[i - 1]!.p >= shown.rows[i]!.p, `${what}: rows ranked`);
}

async function openPredictPage(errors: string[], url = `${server.url}/run/predict.html`): Promise<Page> {
  const page = await openPage(browser, errors);
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
  return page;
}

/** A real test digit, enlarged to 56×56 and tinted, so grey conversion and resize both do work. */
async function digitPng(k: number): Promise<string> {
  const { raw } = await testDigits();
  const S = 56;
  const png = new PNG({ width: S, height: S });
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
    const v = raw[k * 784 + Math.floor(y / 2) * 28 + Math.floor(x / 2)]!;
    const o = (y * S + x) * 4;
    png.data[o] = v; png.data[o + 1] = Math.round(v * 0.8); png.data[o + 2] = Math.round(v * 0.6 + 20); png.data[o + 3] = 255;
  }
  const file = join(work, `digit${k}.png`);
  writeFileSync(file, PNG.sync.write(png));
  return file;
}

async function uploadAndCompare(runDir: string, pageUrl: string, file: string, what: string): Promise<void> {
  const node = await predict(runDir, file, { backend: "wasm", quiet: true });
  const errors: string[] = [];
  const page = await openPredictPage(errors, pageUrl);
  assert.match(await page.$eval("#status", (e) => e.textContent ?? ""), /model loaded/);
  const upload = await page.$("#upload");
  await (upload as unknown as { uploadFile(...p: string[]): Promise<void> }).uploadFile(file);
  const shown = await shownPrediction(page, 1);
  await page.close();
  assert.equal(errors, []);
  checkAgainstNode(shown, node.outputs[0]!, what);
}

test("predict.html: an uploaded image gets the top class and probabilities of dlpc predict", async () => {
  await uploadAndCompare(dir, `${server.url}/run/predict.html`, await digitPng(5), "upload");
});

test("predict.html of an MLP (784-vector input) replays reshape: same answer as dlpc predict", async () => {
  const mlp = await dlpcRun("pipelines/mnist_mlp.dlp", "mnist_mlp", 300, 1);
  const mlpServer = await serveStatic({ "/mlp/": mlp.dir });
  try {
    const html = readFileSync(join(mlp.dir, "predict.html"), "utf8");
    assert.match(html, /sees it as 28×28 pixels/);
    await uploadAndCompare(mlp.dir, `${mlpServer.url}/mlp/predict.html`, await digitPng(7), "mlp upload");
  } finally {
    await mlpServer.close();
  }
});

test("predict.html: a drawn digit gets the probabilities dlpc predict gives its saved input PNG", async () => {
  const errors: string[] = [];
  const page = await openPredictPage(errors);
  const box = (await (await page.$("#pad"))!.boundingBox())!;
  // A "7": a bar across the top and a diagonal down to the bottom left.
  const at = (fx: number, fy: number): [number, number] => [box.x + fx * box.width, box.y + fy * box.height];
  await page.mouse.move(...at(0.25, 0.25));
  await page.mouse.down();
  for (const [fx, fy] of [[0.5, 0.25], [0.75, 0.25], [0.6, 0.5], [0.45, 0.8]] as const) await page.mouse.move(...at(fx, fy), { steps: 8 });
  await page.mouse.up();
  const shown = await shownPrediction(page, 1);
  const href = await page.$eval("#save", (a) => a.getAttribute("href") ?? "");
  await page.close();
  assert.equal(errors, []);
  assert.ok(href.startsWith("data:image/png;base64,"), "the page offers its model input as a PNG");
  const file = join(work, "drawn.png");
  writeFileSync(file, Buffer.from(href.slice("data:image/png;base64,".length), "base64"));
  const img = PNG.sync.read(readFileSync(file));
  assert.is(img.width, 28);
  let lit = 0;
  for (let i = 0; i < img.data.length; i += 4) if (img.data[i]! > 64) lit++;
  assert.ok(lit > 20 && lit < 400, `the strokes reached the 28×28 input (${lit} bright pixels)`);
  const node = await predict(dir, file, { backend: "wasm", quiet: true });
  checkAgainstNode(shown, node.outputs[0]!, "drawing");
});

test("predict.html opened from file:// says why it cannot fetch the model and loads the chosen files instead", async () => {
  const errors: string[] = [];
  const page = await openPage(browser, errors);
  await page.goto(`file://${join(dir, "predict.html")}`);
  await page.waitForFunction(() => document.getElementById("status")?.className === "error", { timeout: 20_000 });
  const status = await page.$eval("#status", (e) => e.textContent ?? "");
  assert.match(status, /serve this folder/);
  const input = await page.$("#modelFiles");
  await (input as unknown as { uploadFile(...p: string[]): Promise<void> }).uploadFile(join(dir, "model.json"), join(dir, "weights.bin"));
  await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
  assert.match(await page.$eval("#status", (e) => e.textContent ?? ""), /model loaded \(from the chosen files/);
  await page.close();
});

test("runPipeline writes the page for OUT/<pipeline> runs, not for a tuner's trial dir unless asked", async () => {
  // Inside the repository (its ignored tmp/), where the generated import of "dlp/runtime" resolves.
  const built = tempDir("browser-build-", "tmp");
  await execFileP(process.execPath, ["bin/dlpc.mjs", "compile", "tests/browser/fixtures/tiny_cnn.dlp", "-o", built]);
  const mod = (await import(pathToFileURL(join(built, "tiny_cnn.ts")).href)) as { pipeline: CompiledPipeline };
  const base = { backend: "wasm" as const, limit: 200, epochs: 1, quiet: true, report: false, evaluate: false };
  const trial = await runPipeline(mod.pipeline, { ...base, dir: join(work, "trial0") });
  trial.model.dispose();
  assert.ok(existsSync(join(work, "trial0", "model.json")) && !existsSync(join(work, "trial0", "predict.html")), "no page in a trial dir");
  const asked = await runPipeline(mod.pipeline, { ...base, dir: join(work, "trial1"), predictPage: true });
  asked.model.dispose();
  assert.ok(existsSync(join(work, "trial1", "predict.html")) && existsSync(join(work, "trial1", "tf.min.js")), "predictPage: true writes it");
  const out = await runPipeline(mod.pipeline, { ...base, out: join(work, "out") });
  out.model.dispose();
  assert.ok(existsSync(join(work, "out", "tiny_cnn", "predict.html")), "default run to OUT/<pipeline> writes it");
});

test("predict pages exist only for image pipelines, and their config is escaped", async () => {
  const { predictPageConfig, renderPredictPage } = await import("../../runtime/export/predict_page.ts");
  const seq: Preprocess = { transforms: [{ op: "pad_sequences", maxlen: 10, padding: "pre", truncating: "pre", value: 0 }], inputShape: [10], sourceKind: "imdb" };
  assert.is(predictPageConfig("imdb", seq), null);
  const evil = "</script><script>alert(1)</script>";
  const cfg = predictPageConfig(`p${evil}`, { transforms: [{ op: "scale", by: 1 / 255 }], inputShape: [28, 28], sourceKind: "mnist", classNames: [evil] })!;
  const html = renderPredictPage(cfg);
  assert.not.match(html, /<script>alert/);
  assert.is(html.split("</script>").length - 1, 3, "only the page's own three script elements close");
  // And the escaped config still parses back to the original names in the browser.
  const errors: string[] = [];
  const page = await openPage(browser, errors);
  await page.setContent(html.replace('<script src="./tf.min.js"></script>', ""));
  const names = await page.evaluate(() => JSON.parse(document.getElementById("dlp-config")!.textContent!).classNames as string[]);
  assert.equal(names, [evil]);
  assert.is(await page.title(), `p${evil} — dlp predict`);
  await page.close();
});

test.run();
