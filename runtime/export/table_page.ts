// predict.html for a model whose input is typed CSV columns or raw text (runtime/data/columns.ts):
// a form with one field per column (a text area for text, the training vocabulary offered for a
// category, yes/no for binary, a date picker for a date), encoded in the browser with the
// vocabularies and statistics the run saved, then the model. PAGE_COLUMNS_JS is the browser copy
// of encodeRow; tests/runtime/table_page.test.ts runs both on the same rows and compares them.
import { copyFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FittedColumn, Preprocess } from "../data/types.ts";
import { PAGE_PIXELS_JS } from "./geometry.ts";
import { PAGE_CSS, PAGE_MODEL_JS, PREDICT_PAGE, TFJS_FILE, esc, scriptJson, tfjsBundlePath } from "./page_common.ts";

export interface TablePageConfig {
  pipeline: string;
  inputShape: number[];
  columns: FittedColumn[];
  /** The transforms after the columns (applied to the encoded vector). */
  rest: Preprocess["transforms"];
  classNames: string[] | null;
  /** Every model input in the model's order (one for a one-input model): its columns, the transforms after them and its shape; the form shows each column once. */
  inputs: { name: string; columns: FittedColumn[]; rest: Preprocess["transforms"]; inputShape: number[] }[];
  /** A model with several heads: the output shown ranked (the first class head, else the first), and every head, each answering below it. */
  head: number;
  heads: NonNullable<Preprocess["heads"]> | null;
}

export function tablePageConfig(pipeline: string, pre: Preprocess): TablePageConfig | null {
  const first = pre.transforms[0];
  if (first?.op !== "columns") return null;
  const head = pre.heads ? Math.max(0, pre.heads.findIndex((h) => h.kind !== "regression")) : 0;
  const all = pre.inputs ?? [{ name: "x", transforms: pre.transforms, inputShape: pre.inputShape }];
  const inputs = all.map((i) => { const f = i.transforms[0]; return f?.op === "columns" ? { name: i.name, columns: f.columns, rest: i.transforms.slice(1), inputShape: i.inputShape } : null; });
  if (inputs.some((i) => i === null)) return null; // an input that is not typed columns: no form can fill it
  const columns = inputs.flatMap((i) => i!.columns);
  return { pipeline, inputShape: pre.inputShape, columns, rest: pre.transforms.slice(1), classNames: pre.classNames ?? null, inputs: inputs as TablePageConfig["inputs"], head, heads: pre.heads ?? null };
}

/** The browser's copy of runtime/data/columns.ts's encodeRow (with columnWidth and the parsers). */
export const PAGE_COLUMNS_JS = String.raw`
var MISSING = { "": 1, "na": 1, "n/a": 1, "nan": 1, "null": 1, "none": 1, "?": 1 };
function isMissing(cell) { return cell.length <= 8 && MISSING[cell.trim().toLowerCase()] === 1; }
var TRUE = { "1": 1, "true": 1, "yes": 1, "y": 1, "t": 1 }, FALSE = { "0": 1, "false": 1, "no": 1, "n": 1, "f": 1 };
function parseBinary(cell) { var v = cell.trim().toLowerCase(); return TRUE[v] === 1 ? 1 : FALSE[v] === 1 ? 0 : undefined; }
function parseDate(cell) {
  var m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(cell.trim());
  if (!m) return undefined;
  var y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]), t = new Date(Date.UTC(y, mo - 1, d));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return undefined;
  return [y, mo, d, (t.getUTCDay() + 6) % 7];
}
function tokenize(text) { return text.toLowerCase().replace(/[!"#$%&()*+,\-./:;<=>?@[\\\]^_${"`"}{|}~']/g, "").split(/\s+/).filter(function (t) { return t !== ""; }); }
function columnWidth(c) { return c.kind === "date" ? 4 : c.kind === "category" ? (c.oneHot ? c.maxTokens : 1) : c.kind === "text" ? c.maxlen : 1; }
function rawValues(c, cell) {
  if (isMissing(cell)) {
    if (c.fill === undefined) throw new Error('column "' + c.column + '" has a missing value; the model was trained without fill() for it');
    cell = String(c.fill);
  }
  if (c.kind === "numeric") {
    var v = Number(cell.trim());
    if (cell.trim() === "" || !isFinite(v)) throw new Error('column "' + c.column + '" is not a number: "' + cell + '"');
    return [v];
  }
  if (c.kind === "binary") {
    var b = parseBinary(cell);
    if (b === undefined) throw new Error('column "' + c.column + '" is declared binary() but holds "' + cell + '" (binary cells are 1/0, true/false, yes/no, y/n, t/f)');
    return [b];
  }
  var d = parseDate(cell);
  if (!d) throw new Error('column "' + c.column + '" is declared date() but "' + cell + '" is not a date (YYYY-MM-DD)');
  return d;
}
function lookupsOf(cols) {
  return cols.map(function (c) { var m = new Map(); (c.vocab || []).forEach(function (v, i) { m.set(v, i + (c.kind === "text" ? 2 : 1)); }); return m; });
}
function encodeRow(cols, cellOf, lookups) {
  var width = cols.reduce(function (a, c) { return a + columnWidth(c); }, 0), out = new Float32Array(width), o = 0;
  cols.forEach(function (c, ci) {
    var cell = cellOf(c.column), w = columnWidth(c), k;
    if (c.kind === "category") {
      var v = isMissing(cell) ? (c.fill !== undefined ? String(c.fill) : undefined) : cell.trim();
      var id = v === undefined ? 0 : (lookups[ci].has(v) ? lookups[ci].get(v) : 0);
      if (c.oneHot) out[o + id] = 1; else out[o] = id;
    } else if (c.kind === "text") {
      var ids = tokenize(cell);
      for (k = 0; k < ids.length && k < w; k++) out[o + k] = lookups[ci].has(ids[k]) ? lookups[ci].get(ids[k]) : 1;
    } else {
      var r = rawValues(c, cell);
      for (k = 0; k < w; k++) out[o + k] = c.shift ? (r[k] - c.shift[k]) * c.mul[k] : r[k];
    }
    o += w;
  });
  return out;
}
`;

export function renderTablePage(cfg: TablePageConfig): string {
  const names = [...new Set(cfg.columns.map((c) => c.column))];
  const kindOf = (n: string) => cfg.columns.find((c) => c.column === n)!;
  const field = (n: string, i: number): string => {
    const c = kindOf(n);
    const id = `col${i}`;
    const label = `<label for="${id}">${esc(n)}</label> <span class="muted">${esc(c.kind)}</span>`;
    if (c.kind === "text") return `<div class="f">${label}<br><textarea id="${id}" data-column="${esc(n)}" rows="4" cols="60"></textarea></div>`;
    if (c.kind === "binary") return `<div class="f">${label}<br><select id="${id}" data-column="${esc(n)}"><option>yes</option><option>no</option></select></div>`;
    if (c.kind === "date") return `<div class="f">${label}<br><input id="${id}" data-column="${esc(n)}" type="date"></div>`;
    if (c.kind === "category") return `<div class="f">${label}<br><input id="${id}" data-column="${esc(n)}" list="${id}-list" value="${esc(c.vocab?.[0] ?? "")}"><datalist id="${id}-list">${(c.vocab ?? []).map((v) => `<option value="${esc(v)}">`).join("")}</datalist></div>`;
    return `<div class="f">${label}<br><input id="${id}" data-column="${esc(n)}" inputmode="decimal" value="${esc(c.fill !== undefined ? String(c.fill) : "")}"></div>`;
  };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(cfg.pipeline)} — dlp predict</title><link rel="icon" href="data:,">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:900px;color:#222;padding:0 16px}
h1{font-size:22px;margin-bottom:4px}.muted{color:#666}.f{margin:6px 0}
button{font:inherit;padding:4px 10px;margin:6px 6px 0 0}
${PAGE_CSS}
</style></head><body>
<h1>${esc(cfg.pipeline)}</h1>
<p class="muted">Fill in the columns; they are encoded with the vocabularies and statistics the run fitted on its training split (a category the training split never had is out of vocabulary), giving the model's input${cfg.inputs.length > 1 ? "s" : ""} of ${cfg.inputs.map((i) => `${esc(i.inputShape.join("×"))} values${cfg.inputs.length > 1 ? ` (${esc(i.name)})` : ""}`).join(", ")}.</p>
<p id="status">loading the model…</p>
<div id="files"><label>model.json and weights.bin: <input type="file" id="modelFiles" multiple accept=".json,.bin"></label></div>
<form id="row">${names.map(field).join("\n")}
<button id="go" type="submit">Predict</button></form>
<div id="top" aria-live="polite"></div>
<ul id="heads"></ul>
<table id="probs"><tbody></tbody></table>
<script src="./tf.min.js"></script>
<script id="dlp-config" type="application/json">${scriptJson(cfg)}</script>
<script>
"use strict";
${PAGE_PIXELS_JS}
${PAGE_MODEL_JS}
${PAGE_COLUMNS_JS}
(function () {
  var cfg = JSON.parse(document.getElementById("dlp-config").textContent);
  var status = document.getElementById("status"), model = null, lookups = cfg.inputs.map(function (i) { return lookupsOf(i.columns); });
  function fail(msg) { status.className = "error"; status.textContent = msg; }
  if (typeof tf === "undefined") { fail("tf.min.js did not load: it must sit beside predict.html"); return; }
  function label(k) { return cfg.classNames && cfg.classNames[k] !== undefined ? cfg.classNames[k] : String(k); }
  function show(probs) { showOutputs(probs, label, cfg.classNames !== null || probs.length > 1); }
  // Several heads: each head's answer, a class head's most likely class, a regression head's values.
  function showHeads(all) {
    var list = document.getElementById("heads"), answers = {};
    list.textContent = "";
    cfg.heads.forEach(function (h, j) {
      var out = all[j], text;
      if (h.kind === "regression") { answers[h.name] = out; text = out.map(function (v) { return v.toFixed(4); }).join(" "); }
      else {
        var p = out.length === 1 ? [1 - out[0], out[0]] : out, k = p.indexOf(Math.max.apply(null, p));
        var name = h.classNames && h.classNames[k] !== undefined ? h.classNames[k] : String(k);
        answers[h.name] = { "class": name, probability: p[k] };
        text = name + " (" + (p[k] * 100).toFixed(1) + "%)";
      }
      var li = document.createElement("li");
      li.setAttribute("data-head", h.name);
      li.textContent = h.name + ": " + text;
      list.appendChild(li);
    });
    window.dlpHeads = answers;
  }
  // One row of cells (column name -> text) through the saved encoding and the model.
  function predictRow(cells) {
    if (!model) { fail("the model is not loaded yet"); return null; }
    var xs, cellOf = function (n) { return cells[n] === undefined ? "" : String(cells[n]); };
    try { xs = cfg.inputs.map(function (inp, k) { return applyTransforms(encodeRow(inp.columns, cellOf, lookups[k]), [inp.inputShape.reduce(function (a, b) { return a * b; }, 1)], inp.rest); }); }
    catch (e) { fail(String(e.message || e)); return null; }
    status.className = ""; status.textContent = "model loaded";
    var all = tf.tidy(function () {
      var ts = xs.map(function (x, k) { return tf.tensor(x.data, [1].concat(cfg.inputs[k].inputShape)); });
      var r = model.predict(ts.length === 1 ? ts[0] : ts);
      return (Array.isArray(r) ? r : [r]).map(function (t) { return Array.from(t.reshape([-1]).dataSync()); });
    });
    var probs = all[cfg.head];
    show(probs);
    if (cfg.heads) showHeads(all);
    return probs;
  }
  window.dlpPredictRow = predictRow;
  document.getElementById("row").addEventListener("submit", function (e) {
    e.preventDefault();
    var cells = {};
    Array.prototype.forEach.call(document.querySelectorAll("[data-column]"), function (el) { cells[el.getAttribute("data-column")] = el.value; });
    predictRow(cells);
  });
  loadPageModel(fail, function (m, how) {
    model = m;
    status.className = "";
    status.textContent = "model loaded (" + how + ", tfjs " + tf.version.tfjs + ", backend " + tf.getBackend() + ")";
    document.getElementById("files").style.display = "none";
    document.body.setAttribute("data-ready", "true");
  });
})();
</script>
</body></html>
`;
}

/** Writes predict.html (the column form) and tf.min.js; null when the input is not typed columns. */
export function writeTablePage(dir: string, pipeline: string, pre: Preprocess): string | null {
  const cfg = tablePageConfig(pipeline, pre);
  if (!cfg) return null;
  const page = join(dir, PREDICT_PAGE);
  writeFileSync(page, renderTablePage(cfg));
  const bundle = tfjsBundlePath();
  if (!existsSync(bundle)) throw new Error(`cannot write ${page}: the tfjs browser bundle ${bundle} is missing (reinstall @tensorflow/tfjs)`);
  copyFileSync(bundle, join(dir, TFJS_FILE));
  return page;
}
