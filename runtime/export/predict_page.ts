// predict.html: a small page beside a saved model that classifies a drawn or uploaded image
// in the browser with tf.loadLayersModel, preprocessing it the way the run did (raw image
// geometry, then the recorded transforms).
//
// tfjs itself is copied into the run folder as tf.min.js rather than inlined or fetched from
// a CDN: the page stays a few kilobytes and readable, the folder works offline (nothing here
// reaches the internet) and stays whole when moved, and a 1.4 MB inline script would have to
// be escaped against `</script>`. Pages opened from file:// cannot fetch model.json, so the
// page then asks for model.json and weights.bin through a file input instead.
import { copyFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Preprocess } from "../data/types.ts";
import { imageGeometry, PAGE_PIXELS_JS, rawShape, type ImageGeometry } from "./geometry.ts";
import { writeTablePage } from "./table_page.ts";
import { PAGE_CSS, PAGE_MODEL_JS, PREDICT_PAGE, TFJS_FILE, esc, scriptJson, tfjsBundlePath } from "./page_common.ts";

export { PREDICT_PAGE, TFJS_FILE, scriptJson, tfjsBundlePath };

export interface PredictPageConfig {
  pipeline: string;
  /** Each model input's transforms of the drawn image and shape (one for a one-input model). */
  inputs: { inputShape: number[]; transforms: Preprocess["transforms"] }[];
  /** The model output the page shows: the first class head of a model with several. */
  head: number;
  classNames: string[] | null;
  geometry: ImageGeometry;
  rawShape: number[];
}

export function predictPageConfig(pipeline: string, pre: Preprocess): PredictPageConfig | null {
  const geometry = imageGeometry(pre);
  if (!geometry) return null;
  // Several heads: the page classifies with the first class head; with none there is nothing to show.
  const head = pre.heads ? pre.heads.findIndex((h) => h.kind !== "regression") : 0;
  if (head < 0) return null;
  const inputs = (pre.inputs ?? [{ transforms: pre.transforms, inputShape: pre.inputShape }]).map((i) => ({ inputShape: i.inputShape, transforms: i.transforms }));
  return { pipeline, inputs, head, classNames: pre.classNames ?? null, geometry, rawShape: rawShape(geometry) };
}

export function renderPredictPage(cfg: PredictPageConfig): string {
  const g = cfg.geometry;
  // The drawing pad is a multiple of the input size so strokes shrink to it evenly.
  const scale = Math.max(1, Math.round(280 / Math.max(g.height, g.width)));
  const padW = g.width * scale, padH = g.height * scale;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(cfg.pipeline)} — dlp predict</title><link rel="icon" href="data:,">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:900px;color:#222;padding:0 16px}
h1{font-size:22px;margin-bottom:4px}.muted{color:#666}
.row{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
#pad{background:#000;touch-action:none;cursor:crosshair;border:1px solid #999;width:${padW}px;height:${padH}px}
#input{image-rendering:pixelated;border:1px solid #999;width:${g.width * 4}px;height:${g.height * 4}px;background:#000}
button,label.btn{font:inherit;padding:4px 10px;margin:6px 6px 0 0}
${PAGE_CSS}
</style></head><body>
<h1>${esc(cfg.pipeline)}</h1>
<p class="muted">Draw with the mouse, or upload a picture. The model sees it as ${esc(cfg.rawShape.join("×"))} pixels (0–255), then the run's transforms, giving its input${cfg.inputs.length > 1 ? "s" : ""} ${esc(cfg.inputs.map((i) => i.inputShape.join("×")).join(" and "))}.</p>
<p id="status">loading the model…</p>
<div id="files"><label>model.json and weights.bin: <input type="file" id="modelFiles" multiple accept=".json,.bin"></label></div>
<div class="row">
  <div>
    <canvas id="pad" width="${padW}" height="${padH}"></canvas><br>
    <button id="clear" type="button">Clear</button>
    <label>pen <input id="pen" type="range" min="1" max="${Math.max(4, Math.round(padW / 6))}" value="${Math.max(2, Math.round(padW / 12))}"></label><br>
    <label>upload <input id="upload" type="file" accept="image/*"></label>
  </div>
  <div>
    <div class="muted">model input</div>
    <canvas id="input" width="${g.width}" height="${g.height}"></canvas><br>
    <a id="save" download="input.png" href="#">save input as PNG</a>
    <div id="top" aria-live="polite"></div>
    <table id="probs"><tbody></tbody></table>
  </div>
</div>
<script src="./tf.min.js"></script>
<script id="dlp-config" type="application/json">${scriptJson(cfg)}</script>
<script>
"use strict";
${PAGE_PIXELS_JS}
${PAGE_MODEL_JS}
(function () {
  var cfg = JSON.parse(document.getElementById("dlp-config").textContent);
  var g = cfg.geometry;
  var status = document.getElementById("status");
  var pad = document.getElementById("pad"), pctx = pad.getContext("2d");
  var input = document.getElementById("input"), ictx = input.getContext("2d", { willReadFrequently: true });
  var model = null, pending = null, drawing = false, last = null;
  function fail(msg) { status.className = "error"; status.textContent = msg; }
  function clearPad() { pctx.fillStyle = "#000"; pctx.fillRect(0, 0, pad.width, pad.height); }
  clearPad();
  if (typeof tf === "undefined") { fail("tf.min.js did not load: it must sit beside predict.html"); return; }

  // The image as the model sees it (before transforms), shown in the small canvas.
  function showInput(sample) {
    var img = ictx.createImageData(g.width, g.height), C = g.channels;
    for (var y = 0; y < g.height; y++) for (var x = 0; x < g.width; x++) for (var k = 0; k < 3; k++) {
      var c = C === 1 ? 0 : k;
      var v = sample[g.layout === "chw" ? (c * g.height + y) * g.width + x : (y * g.width + x) * C + c];
      img.data[(y * g.width + x) * 4 + k] = Math.round(v);
    }
    for (var i = 3; i < img.data.length; i += 4) img.data[i] = 255;
    ictx.putImageData(img, 0, 0);
    document.getElementById("save").href = input.toDataURL("image/png");
  }

  function classify(pixels) {
    var sample = pixelsToSample(pixels, g);
    showInput(sample);
    if (!model) { pending = pixels; return; }
    var ts = [];
    try { cfg.inputs.forEach(function (i) { ts.push(applyTransforms(sample.slice(), cfg.rawShape, i.transforms).data); }); } catch (e) { fail(String(e.message || e)); return; }
    var out = tf.tidy(function () {
      var xs = ts.map(function (d, k) { return tf.tensor(d, [1].concat(cfg.inputs[k].inputShape)); });
      var r = model.predict(xs.length === 1 ? xs[0] : xs);
      return (Array.isArray(r) ? r[cfg.head] : r).reshape([-1]);
    });
    var probs = Array.from(out.dataSync());
    out.dispose();
    show(probs);
  }

  function label(k) { return cfg.classNames && cfg.classNames[k] !== undefined ? cfg.classNames[k] : String(k); }
  function show(probs) { showOutputs(probs, label, true); }

  // Drawing: strokes on the large pad, shrunk to the input size by the browser's smoothing.
  function padPixels() {
    var small = document.createElement("canvas");
    small.width = g.width; small.height = g.height;
    var sctx = small.getContext("2d", { willReadFrequently: true });
    sctx.imageSmoothingEnabled = true; sctx.imageSmoothingQuality = "high";
    sctx.drawImage(pad, 0, 0, g.width, g.height);
    return sctx.getImageData(0, 0, g.width, g.height);
  }
  function pos(e) { var r = pad.getBoundingClientRect(); return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height]; }
  function stroke(a, b) {
    pctx.strokeStyle = "#fff"; pctx.lineCap = "round"; pctx.lineJoin = "round";
    pctx.lineWidth = Number(document.getElementById("pen").value);
    pctx.beginPath(); pctx.moveTo(a[0], a[1]); pctx.lineTo(b[0], b[1]); pctx.stroke();
  }
  pad.addEventListener("pointerdown", function (e) { drawing = true; last = pos(e); stroke(last, last); pad.setPointerCapture(e.pointerId); });
  pad.addEventListener("pointermove", function (e) { if (!drawing) return; var p = pos(e); stroke(last, p); last = p; });
  function end() { if (!drawing) return; drawing = false; classify(padPixels()); }
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);
  document.getElementById("clear").addEventListener("click", function () { clearPad(); classify(padPixels()); });

  // Upload: decoded at its own size, then resized exactly as dlpc predict does.
  document.getElementById("upload").addEventListener("change", function (e) {
    var file = e.target.files && e.target.files[0];
    if (!file) return;
    var url = URL.createObjectURL(file), img = new Image();
    img.onload = function () {
      var c = document.createElement("canvas");
      c.width = img.naturalWidth; c.height = img.naturalHeight;
      var cctx = c.getContext("2d", { willReadFrequently: true });
      cctx.drawImage(img, 0, 0);
      var pixels = cctx.getImageData(0, 0, c.width, c.height);
      clearPad();
      pctx.imageSmoothingEnabled = true;
      pctx.drawImage(img, 0, 0, pad.width, pad.height);
      URL.revokeObjectURL(url);
      classify(pixels);
    };
    img.onerror = function () { URL.revokeObjectURL(url); fail(file.name + ": not an image the browser can decode"); };
    img.src = url;
  });

  loadPageModel(fail, function (m, how) {
    model = m;
    status.className = "";
    status.textContent = "model loaded (" + how + ", tfjs " + tf.version.tfjs + ", backend " + tf.getBackend() + ")";
    document.getElementById("files").style.display = "none";
    document.body.setAttribute("data-ready", "true");
    if (pending) { var p = pending; pending = null; classify(p); }
  });
})();
</script>
</body></html>
`;
}

/**
 * Writes predict.html and tf.min.js into a run folder. Returns the page's path, or null when
 * the pipeline's samples are neither images (to draw or upload) nor typed columns (a form).
 */
export function writePredictPage(dir: string, pipeline: string, pre: Preprocess): string | null {
  const cfg = predictPageConfig(pipeline, pre);
  if (!cfg) return writeTablePage(dir, pipeline, pre);
  const page = join(dir, PREDICT_PAGE);
  writeFileSync(page, renderPredictPage(cfg));
  const bundle = tfjsBundlePath();
  if (!existsSync(bundle)) throw new Error(`cannot write ${page}: the tfjs browser bundle ${bundle} is missing (reinstall @tensorflow/tfjs)`);
  copyFileSync(bundle, join(dir, TFJS_FILE));
  return page;
}
