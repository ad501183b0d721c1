// Bad model files at load (runtime loadModel and `dlpc predict`): a truncated or padded
// weights.bin, a missing weights file, a manifest that lacks, renames or reshapes a weight, a
// model.json that is not a model. Each error names the file and the item, never a stack.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { cpSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, appendFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { initBackend, loadModel, TrainingError } from "dlp/runtime";
import { tempDir, trainedRun } from "./harness.ts";

const execFileP = promisify(execFile);
interface Entry { name: string; shape: number[]; dtype: string }
interface ModelJson { modelTopology: unknown; weightsManifest: { paths: string[]; weights: Entry[] }[] }

let good: string;
const work = tempDir("dlp-model-files-");
let n = 0;

test.before(async () => {
  good = (await trainedRun()).dir;
  await initBackend("wasm");
});

/** A copy of the good run folder, changed by `spoil`. */
function spoiled(spoil: (dir: string, json: ModelJson) => ModelJson | void): string {
  const dir = join(work, `run${n++}`);
  cpSync(good, dir, { recursive: true });
  const file = join(dir, "model.json");
  const json = JSON.parse(readFileSync(file, "utf8")) as ModelJson;
  const changed = spoil(dir, json);
  if (changed) writeFileSync(file, JSON.stringify(changed));
  return dir;
}

async function loadError(dir: string): Promise<string> {
  try {
    const m = await loadModel(dir);
    m.dispose();
  } catch (e) {
    assert.instance(e, TrainingError, `a TrainingError, not ${(e as Error).name}`);
    return (e as Error).message;
  }
  throw new assert.Assertion({ message: `loading ${dir} should fail`, generated: false, operator: "throws", expects: "an error", actual: "a model" });
}

const bytesOf = (e: Entry): number => 4 * e.shape.reduce((a, b) => a * b, 1); // every weight here is float32

test("the good run loads, and its manifest adds up to weights.bin's size", async () => {
  const json = JSON.parse(readFileSync(join(good, "model.json"), "utf8")) as ModelJson;
  const total = json.weightsManifest[0]!.weights.reduce((a, w) => a + bytesOf(w), 0);
  assert.is(statSync(join(good, "weights.bin")).size, total);
  const m = await loadModel(good);
  assert.is(m.countParams(), total / 4);
  m.dispose();
});

test("a truncated weights.bin names the file, the weight cut off, and expected vs found bytes", async () => {
  const json = JSON.parse(readFileSync(join(good, "model.json"), "utf8")) as ModelJson;
  const ws = json.weightsManifest[0]!.weights;
  const before = ws.slice(0, -2).reduce((a, w) => a + bytesOf(w), 0); // offset of the dense kernel
  const cut = before + 100;
  const dir = spoiled((d) => truncateSync(join(d, "weights.bin"), cut));
  const msg = await loadError(dir);
  const kernel = ws[ws.length - 2]!;
  assert.ok(msg.includes(join(dir, "weights.bin")), msg);
  assert.ok(msg.includes(`"${kernel.name}"`), msg);
  assert.ok(msg.includes(`${cut} bytes`), msg);
  assert.ok(msg.includes(`${bytesOf(kernel)} bytes`) && msg.includes(`byte offset ${before}`) && msg.includes("only 100 bytes are left"), msg);
});

test("a weights.bin longer than its manifest is refused (it belongs to another model)", async () => {
  const dir = spoiled((d) => appendFileSync(join(d, "weights.bin"), Buffer.alloc(8)));
  const msg = await loadError(dir);
  assert.match(msg, /weights\.bin has \d+ bytes, but model\.json's weightsManifest describes \d+ \(8 extra bytes after the last weight "dense_Dense1\/bias"\)/);
});

test("a missing weights file names model.json, the path it gives, and the weights it holds", async () => {
  const dir = spoiled((d) => rmSync(join(d, "weights.bin")));
  const msg = await loadError(dir);
  assert.ok(msg.startsWith(`${join(dir, "model.json")} names the weights file "./weights.bin"`), msg);
  assert.match(msg, /conv2d_Conv2D1\/kernel/);
  assert.ok(msg.endsWith(`${join(dir, "weights.bin")} does not exist`), msg);
});

test("a manifest without one of the model's weights names it", async () => {
  const dir = spoiled((d, json) => {
    const ws = json.weightsManifest[0]!.weights;
    const last = ws.pop()!;
    truncateSync(join(d, "weights.bin"), statSync(join(d, "weights.bin")).size - bytesOf(last));
    return json;
  });
  const msg = await loadError(dir);
  assert.is(msg, `${join(dir, "model.json")}: the model's weight "dense_Dense1/bias" is missing from the weightsManifest (3 listed, the model has 4)`);
});

test("a renamed or reshaped weight is named with what the model needs", async () => {
  const renamed = spoiled((_d, json) => { json.weightsManifest[0]!.weights[1]!.name = "conv2d_Conv2D1/bais"; return json; });
  assert.match(await loadError(renamed), /"conv2d_Conv2D1\/bias" is missing from the weightsManifest; the weightsManifest lists "conv2d_Conv2D1\/bais", which no layer of the model has/);
  const reshaped = spoiled((_d, json) => { const w = json.weightsManifest[0]!.weights[2]!; w.shape = [w.shape[1]!, w.shape[0]!]; return json; });
  assert.match(await loadError(reshaped), /weight "dense_Dense1\/kernel" is \[10,144\] in the weightsManifest, the model's layer needs \[144,10\]/);
});

test("model.json that is not JSON, or not a model topology, says so with the file", async () => {
  const notJson = spoiled((d) => writeFileSync(join(d, "model.json"), "{\"modelTopology\": "));
  assert.match(await loadError(notJson), new RegExp(`^${join(notJson, "model.json").replace(/[.]/g, "\\.")}: not valid JSON`));
  const noTopology = spoiled(() => ({ weightsManifest: [] }) as unknown as ModelJson);
  assert.is(await loadError(noTopology), `${join(noTopology, "model.json")}: not a tfjs layers model: it has no "modelTopology" object`);
  const badDtype = spoiled((_d, json) => { json.weightsManifest[0]!.weights[0]!.dtype = "float64"; return json; });
  assert.match(await loadError(badDtype), /weight "conv2d_Conv2D1\/kernel" has the unknown dtype "float64"/);
});

test("dlpc predict on a truncated weights.bin prints one error line naming the file, exit 1", async () => {
  const dir = spoiled((d) => truncateSync(join(d, "weights.bin"), 1000));
  const input = join(work, "zeros.json");
  writeFileSync(input, JSON.stringify(new Array(784).fill(0)));
  const r = await execFileP(process.execPath, ["bin/dlpc.mjs", "predict", dir, input]).then(
    (ok) => ({ code: 0, stderr: ok.stderr }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );
  assert.is(r.code, 1);
  const lines = r.stderr.trim().split("\n").filter((l) => !l.startsWith("backend"));
  assert.is(lines.length, 1, r.stderr);
  assert.ok(lines[0]!.startsWith(`error: ${join(dir, "weights.bin")} is truncated: 1000 bytes`), lines[0]);
  assert.not.match(r.stderr, /\n\s+at /, "no stack trace");
});

test.run();
