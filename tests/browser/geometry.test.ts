// predict.html's preprocessing (PAGE_PIXELS_JS, run in Chromium) against the runtime's own:
// pixels -> raw sample for every layout (hw, hwc, chw) with up- and down-scaling, and every
// image transform (scale, shift, normalize, standardize, reshape, channels_last). Bit-exact.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Browser, Page } from "puppeteer-core";
import { imageGeometry, PAGE_PIXELS_JS, pixelsToSample, type ImageGeometry } from "../../runtime/export/geometry.ts";
import { toChannels } from "../../runtime/data/images.ts";
import { applyTransforms } from "../../runtime/data/transforms.ts";
import type { FittedTransform, Preprocess } from "../../runtime/data/types.ts";
import { mulberry32 } from "dlp/runtime";
import { launchChromium, openPage } from "./harness.ts";

let browser: Browser;
let page: Page;
const errors: string[] = [];

test.before(async () => {
  browser = await launchChromium();
  page = await openPage(browser, errors);
  await page.setContent(`<!doctype html><html><head><link rel="icon" href="data:,"><script>${PAGE_PIXELS_JS}</script></head><body></body></html>`);
});
test.after(async () => { await browser?.close(); });

function randomImage(w: number, h: number, seed: number): { width: number; height: number; rgba: Uint8Array } {
  const r = mulberry32(seed);
  const rgba = new Uint8Array(w * h * 4);
  for (let i = 0; i < rgba.length; i++) rgba[i] = i % 4 === 3 ? 255 : Math.floor(r() * 256);
  return { width: w, height: h, rgba };
}

async function inPage(img: { width: number; height: number; rgba: Uint8Array }, g: ImageGeometry, transforms: FittedTransform[], rawShape: number[]): Promise<{ sample: number[]; out: number[]; shape: number[] }> {
  return (await page.evaluate((w: number, h: number, data: number[], geo: ImageGeometry, ts: FittedTransform[], shape: number[]) => {
    const f = globalThis as unknown as {
      pixelsToSample(img: { width: number; height: number; data: Uint8ClampedArray }, g: ImageGeometry): Float32Array;
      applyTransforms(d: Float32Array, s: number[], t: FittedTransform[]): { data: Float32Array; shape: number[] };
    };
    const sample = f.pixelsToSample({ width: w, height: h, data: Uint8ClampedArray.from(data) }, geo);
    const t = f.applyTransforms(sample, shape, ts);
    return { sample: Array.from(sample), out: Array.from(t.data), shape: t.shape };
  }, img.width, img.height, Array.from(img.rgba), g, transforms, rawShape)) as { sample: number[]; out: number[]; shape: number[] };
}

const cases: { name: string; pre: Preprocess; size: [number, number] }[] = [
  { name: "mnist digits, upscaled 20→28, then reshape to a 784-vector", size: [20, 20], pre: { sourceKind: "mnist", inputShape: [784], transforms: [{ op: "scale", by: 1 / 255 }, { op: "reshape", shape: [784] }] } },
  { name: "mnist digits, downscaled 61×47→28, shift and normalize", size: [47, 61], pre: { sourceKind: "mnist", inputShape: [28, 28, 1], transforms: [{ op: "scale", by: 1 / 255 }, { op: "shift", by: -0.5 }, { op: "normalize", mean: 0.1, std: 0.3 }, { op: "reshape", shape: [28, 28, 1] }] } },
  { name: "CIFAR-10 planes (chw) with channels_last", size: [40, 33], pre: { sourceKind: "cifar10", inputShape: [32, 32, 3], transforms: [{ op: "scale", by: 1 / 255 }, { op: "channels_last" }] } },
  { name: "an RGB image folder (hwc) with per-feature standardize", size: [9, 7], pre: { sourceKind: "images", imageSize: [6, 5], channels: 3, inputShape: [6, 5, 3], transforms: [{ op: "standardize", mean: Array.from({ length: 90 }, (_, i) => i), std: Array.from({ length: 90 }, (_, i) => 1 + i / 10) }] } },
];

for (const c of cases) {
  test(`page preprocessing equals the runtime's: ${c.name}`, async () => {
    const g = imageGeometry(c.pre)!;
    assert.ok(g, "an image geometry");
    const img = randomImage(c.size[1], c.size[0], c.name.length);
    const node = pixelsToSample(img, g);
    if (g.layout !== "chw") assert.equal(Array.from(node), Array.from(toChannels(img, [g.height, g.width], g.channels, "x")), "same as the image-folder loader");
    const rawShape = g.layout === "hw" ? [g.height, g.width] : g.layout === "chw" ? [g.channels, g.height, g.width] : [g.height, g.width, g.channels];
    const pool = applyTransforms({ kind: "dense", data: node.slice(), sampleShape: rawShape }, c.pre.transforms, "x");
    const web = await inPage(img, g, c.pre.transforms, rawShape);
    assert.equal(web.sample, Array.from(node), "raw sample");
    assert.equal(web.shape, c.pre.inputShape, "shape after transforms");
    assert.equal(web.shape, pool.sampleShape);
    assert.equal(web.out, Array.from(pool.data), "values after transforms");
    assert.equal(errors, []);
  });
}

test("samples that are not images get no page: token sequences, CSV rows, 3-channel IDX", () => {
  assert.is(imageGeometry({ sourceKind: "imdb", inputShape: [100], transforms: [] }), null);
  assert.is(imageGeometry({ sourceKind: "csv", inputShape: [4], transforms: [] }), null);
  assert.is(imageGeometry({ sourceKind: "idx", inputShape: [8, 8, 3], transforms: [] }), null);
  assert.equal(imageGeometry({ sourceKind: "idx", inputShape: [8, 9, 1], transforms: [] }), { height: 8, width: 9, channels: 1, layout: "hw" });
});

test.run();
