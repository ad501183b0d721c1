// What both predict pages (images: predict_page.ts; typed columns: table_page.ts) share: the
// file names, JSON safe inside <script>, the tfjs bundle to copy, the script that shows the
// outputs and loads the model.
import { createRequire } from "node:module";

export const PREDICT_PAGE = "predict.html";
export const TFJS_FILE = "tf.min.js";

/** Text safe inside HTML elements and attribute values. */
export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** The style rules of what both pages show: the top class, the outputs table, the status line, the file input. */
export const PAGE_CSS = `#top{font-size:28px;font-weight:600;margin:8px 0}
table{border-collapse:collapse}td{padding:2px 8px}td.p{text-align:right;font-variant-numeric:tabular-nums}
.bar{height:10px;background:#1f77b4;min-width:1px}
#status.error{color:#b00020;white-space:pre-wrap}
#files{display:none;margin-top:8px}`;

/** JSON that is safe inside a <script> element: no `</script>`, no `<!--`, no JS line breaks. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** The path of tfjs's browser bundle in the installed @tensorflow/tfjs package. */
export function tfjsBundlePath(): string {
  return createRequire(import.meta.url).resolve("@tensorflow/tfjs/dist/tf.min.js");
}

/**
 * The page script both predict pages share: the outputs as a ranked table of classes (or the
 * plain numbers of a regression), exposed as window.dlpPrediction, and the model loaded from
 * model.json beside the page or, from file://, through a file input.
 */
export const PAGE_MODEL_JS = String.raw`
function showOutputs(probs, label, isClass) {
  var top = document.getElementById("top"), body = document.querySelector("#probs tbody");
  body.textContent = "";
  if (!isClass) {
    top.textContent = probs.map(function (v) { return v.toFixed(4); }).join(" ");
    window.dlpPrediction = { outputs: probs, top: null };
  } else {
    var rows = probs.map(function (p, k) { return [p, k]; });
    if (probs.length === 1) rows = [[1 - probs[0], 0], [probs[0], 1]];
    rows.sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; });
    top.textContent = label(rows[0][1]) + " (" + (rows[0][0] * 100).toFixed(1) + "%)";
    top.setAttribute("data-class", String(rows[0][1]));
    rows.forEach(function (r) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-class", String(r[1]));
      tr.setAttribute("data-p", String(r[0]));
      var name = document.createElement("td"); name.textContent = label(r[1]);
      var p = document.createElement("td"); p.className = "p"; p.textContent = r[0].toFixed(4);
      var barCell = document.createElement("td"), bar = document.createElement("div");
      bar.className = "bar"; bar.style.width = Math.round(Math.max(0, Math.min(1, r[0])) * 200) + "px";
      barCell.appendChild(bar);
      tr.appendChild(name); tr.appendChild(p); tr.appendChild(barCell);
      body.appendChild(tr);
    });
    window.dlpPrediction = { outputs: probs, top: rows[0][1] };
  }
  document.body.setAttribute("data-predictions", String((Number(document.body.getAttribute("data-predictions")) || 0) + 1));
}
function loadPageModel(fail, ready) {
  document.getElementById("modelFiles").addEventListener("change", function (e) {
    var files = Array.from(e.target.files || []);
    var json = files.filter(function (f) { return /\.json$/i.test(f.name); })[0];
    var bins = files.filter(function (f) { return !/\.json$/i.test(f.name); });
    if (!json || bins.length === 0) { fail("choose both model.json and weights.bin"); return; }
    tf.loadLayersModel(tf.io.browserFiles([json].concat(bins))).then(function (m) { ready(m, "from the chosen files"); }, function (err) { fail("cannot load the chosen files: " + (err.message || err)); });
  });
  // An absolute URL: tfjs resolves weight paths against the model URL's folder, and a bare
  // "model.json" would send it to the site root for weights.bin.
  tf.loadLayersModel(new URL("model.json", location.href).href).then(function (m) { ready(m, "model.json"); }, function (err) {
    fail("cannot load model.json: " + (err.message || err) + (location.protocol === "file:" ? "\nPages opened from disk cannot fetch files: serve this folder (python3 -m http.server) or choose model.json and weights.bin:" : ""));
    document.getElementById("files").style.display = "block";
  });
}
`;

