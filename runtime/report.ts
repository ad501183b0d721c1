// report.html: one self-contained page (inline SVG and CSS, nothing fetched) with the training
// curves, the confusion matrix as a heat map, per-class precision / recall, the model summary
// and the run's settings.
import type { History } from "./train.ts";
import { classificationReport } from "./metrics.ts";

export interface ReportInput {
  pipeline: string;
  sourceFile: string;
  backend: string;
  history: History;
  metrics: Record<string, unknown>;
  test: Record<string, number> | null;
  evaluatedOn: string | null;
  confusionMatrix: number[][] | null;
  classNames: string[] | undefined;
  summary: string[];
  settings: Record<string, unknown>;
  stopReason?: string;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : Math.abs(v) >= 0.001 || v === 0 ? v.toFixed(4) : v.toExponential(2));

function lineChart(title: string, series: { name: string; values: number[]; color: string }[]): string {
  // The legend sits in its own band above the plot so it never covers a curve.
  const W = 460, H = 270, L = 60, R = 14, T = 44, B = 36;
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const n = Math.max(...series.map((s) => s.values.length));
  let svg = `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" class="chart" data-metric="${esc(title)}" aria-label="${esc(title)}"><text x="${W / 2}" y="16" text-anchor="middle" class="t">${esc(title)}</text>`;
  series.forEach((s, k) => {
    svg += `<rect x="${L + k * 140}" y="24" width="10" height="10" fill="${s.color}"/><text x="${L + 14 + k * 140}" y="33" class="a">${esc(s.name)}</text>`;
  });
  if (all.length === 0) return svg + `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="a">no finite values</text></svg>`;
  let lo = Math.min(...all), hi = Math.max(...all);
  if (hi - lo < 1e-9) { hi += 0.5; lo -= 0.5; }
  const x = (i: number): number => L + (n <= 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (n - 1));
  const y = (v: number): number => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => lo + f * (hi - lo));
  for (const t of ticks) svg += `<line x1="${L}" x2="${W - R}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" class="g"/><text x="${L - 4}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" class="a">${fmt(t)}</text>`;
  for (let i = 0; i < n; i++) if (n <= 12 || i % Math.ceil(n / 12) === 0) svg += `<text x="${x(i).toFixed(1)}" y="${H - B + 16}" text-anchor="middle" class="a">${i + 1}</text>`;
  svg += `<text x="${(L + W - R) / 2}" y="${H - 4}" text-anchor="middle" class="a">epoch</text>`;
  for (const s of series) {
    // A NaN or infinite value (a diverged epoch) breaks the line instead of corrupting it.
    const runs: string[][] = [[]];
    s.values.forEach((v, i) => {
      if (Number.isFinite(v)) runs[runs.length - 1]!.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
      else if (runs[runs.length - 1]!.length) runs.push([]);
    });
    for (const pts of runs) if (pts.length > 1) svg += `<polyline fill="none" stroke="${s.color}" stroke-width="2" data-series="${esc(s.name)}" points="${pts.join(" ")}"/>`;
    s.values.forEach((v, i) => {
      if (Number.isFinite(v)) svg += `<circle class="pt" cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="${s.color}"><title>${esc(s.name)} epoch ${i + 1}: ${fmt(v)}</title></circle>`;
    });
  }
  return svg + "</svg>";
}

function heatMap(cm: number[][], names: string[]): string {
  const c = cm.length, cell = Math.max(22, Math.min(44, Math.floor(440 / c)));
  // Margins fit the longest class name (rotated column labels need about 0.9 of their length).
  const longest = Math.max(1, ...names.map((n) => n.length));
  const L = 30 + Math.min(160, 7 * longest), T = 30 + Math.min(140, Math.ceil(6.2 * longest));
  const W = L + c * cell + 10, H = T + c * cell + 10;
  const rowSums = cm.map((r) => r.reduce((a, b) => a + b, 0) || 1);
  let svg = `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" class="heatmap" aria-label="confusion matrix">`;
  svg += `<text x="${L + (c * cell) / 2}" y="14" text-anchor="middle" class="t">predicted</text><text x="12" y="${T + (c * cell) / 2}" class="t" transform="rotate(-90 12 ${T + (c * cell) / 2})" text-anchor="middle">true</text>`;
  names.forEach((n, i) => {
    svg += `<text x="${L - 4}" y="${T + i * cell + cell / 2 + 4}" text-anchor="end" class="a">${esc(n)}</text>`;
    svg += `<text x="${L + i * cell + cell / 2}" y="${T - 6}" class="a" transform="rotate(-60 ${L + i * cell + cell / 2} ${T - 6})">${esc(n)}</text>`;
  });
  cm.forEach((row, i) => row.forEach((v, j) => {
    const f = v / rowSums[i]!;
    const light = Math.round(97 - f * 62);
    svg += `<rect class="cell" data-true="${i}" data-predicted="${j}" data-count="${v}" x="${L + j * cell}" y="${T + i * cell}" width="${cell}" height="${cell}" fill="hsl(${i === j ? 210 : 5},70%,${light}%)" stroke="#fff"><title>true ${esc(names[i]!)}, predicted ${esc(names[j]!)}: ${v} (${(f * 100).toFixed(1)}% of the row)</title></rect>`;
    svg += `<text x="${L + j * cell + cell / 2}" y="${T + i * cell + cell / 2 + 4}" text-anchor="middle" class="${f > 0.5 ? "w" : "a"}">${v}</text>`;
  }));
  return svg + "</svg>";
}

function table(rows: (string | number)[][], head: string[], foot: (string | number)[][] = []): string {
  const tr = (r: (string | number)[]): string => `<tr>${r.map((c) => `<td>${typeof c === "number" ? fmt(c) : esc(c)}</td>`).join("")}</tr>`;
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.map(tr).join("")}</tbody>${foot.length ? `<tfoot>${foot.map(tr).join("")}</tfoot>` : ""}</table>`;
}

/** What the top-level report.html of a `split kfold K` run shows. */
export interface KFoldReportInput {
  pipeline: string;
  sourceFile: string;
  backend: string;
  cv: {
    k: number;
    stratified: boolean;
    folds: { fold: number; final: Record<string, number>; test: Record<string, number> | null }[];
    mean: Record<string, number>;
    std: Record<string, number>;
  };
  /** The per-epoch mean over the folds. */
  history: History;
  /** Each fold's report, relative to this page (null when it has none). */
  foldReports: (string | null)[];
  settings: Record<string, unknown>;
}

const STYLE = `<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 10px;text-align:right}th{background:#f4f4f4}td:first-child{text-align:left}
pre{background:#f6f8fa;padding:10px;overflow:auto;font-size:12px}
.charts{display:flex;flex-wrap:wrap;gap:12px}
svg .t{font-size:13px;font-weight:600}svg .a{font-size:11px;fill:#444}svg .w{font-size:11px;fill:#fff}svg .g{stroke:#e5e5e5}
.note{background:#fff6e0;border-left:4px solid #e0a800;padding:6px 10px}
</style>`;

/**
 * report.html of a k-fold run: one row per fold (its last epoch's logs and its test metrics,
 * linked to the fold's own report), the mean ± std over folds, and the mean training curves.
 */
export function renderKFoldReport(r: KFoldReportInput): string {
  const { cv } = r;
  // The final logs' keys (loss, accuracy, val_loss, …, not lr) then the test metrics as test_….
  const finalKeys = [...new Set(cv.folds.flatMap((f) => Object.keys(f.final)))].filter((key) => key !== "lr");
  const testKeys = [...new Set(cv.folds.flatMap((f) => Object.keys(f.test ?? {})))];
  const cols = [...finalKeys.map((key) => ({ key, head: key, get: (f: (typeof cv.folds)[number]) => f.final[key] })), ...testKeys.map((key) => ({ key: `test_${key}`, head: `test ${key}`, get: (f: (typeof cv.folds)[number]) => f.test?.[key] }))];
  const cell = (v: number | undefined): string => `<td>${typeof v === "number" ? fmt(v) : ""}</td>`;
  const rows = cv.folds.map((f, i) => {
    const link = r.foldReports[i];
    const name = link ? `<a href="${esc(link)}">fold ${f.fold}</a>` : `fold ${f.fold}`;
    return `<tr data-fold="${f.fold}"><td>${name}</td>${cols.map((c) => cell(c.get(f))).join("")}</tr>`;
  });
  // As the terminal prints them (4 decimals): a std of 1e-17 is rounding noise, not a figure.
  const meanRow = `<tr class="mean"><td>mean ± std</td>${cols.map((c) => `<td data-metric="${esc(c.key)}">${typeof cv.mean[c.key] === "number" ? `${cv.mean[c.key]!.toFixed(4)} ± ${(cv.std[c.key] ?? 0).toFixed(4)}` : ""}</td>`).join("")}</tr>`;
  const foldTable = `<table class="folds"><thead><tr><th>fold</th>${cols.map((c) => `<th>${esc(c.head)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody><tfoot>${meanRow}</tfoot></table>`;
  const h = r.history;
  const charts: string[] = [];
  for (const key of Object.keys(h)) {
    if (key === "epoch" || key === "lr" || key.startsWith("val_")) continue;
    const series = [{ name: key, values: h[key]!, color: "#1f77b4" }];
    if (h[`val_${key}`]) series.push({ name: `val_${key}`, values: h[`val_${key}`]!, color: "#d62728" });
    charts.push(lineChart(`${key} (mean over folds)`, series));
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.pipeline)} — dlp k-fold report</title><link rel="icon" href="data:,">
${STYLE}</head><body>
<h1>${esc(r.pipeline)}: ${cv.k}-fold cross-validation${cv.stratified ? " (stratified)" : ""}</h1>
<p>${esc(r.sourceFile)} · backend <b>${esc(r.backend)}</b> · each fold validates the model trained on the other ${cv.k - 1}; the mean ± (population) standard deviation is over the ${cv.k} folds</p>
<h2>Folds</h2>${foldTable}
<h2>Training curves</h2><div class="charts">${charts.join("\n")}</div>
<h2>Settings</h2><pre>${esc(JSON.stringify(r.settings, null, 2))}</pre>
</body></html>
`;
}

export function renderReport(r: ReportInput): string {
  const h = r.history;
  const charts: string[] = [];
  const colors = ["#1f77b4", "#d62728"];
  for (const key of Object.keys(h)) {
    if (key === "epoch" || key === "lr" || key.startsWith("val_")) continue;
    const series = [{ name: key, values: h[key]!, color: colors[0]! }];
    if (h[`val_${key}`]) series.push({ name: `val_${key}`, values: h[`val_${key}`]!, color: colors[1]! });
    charts.push(lineChart(key, series));
  }
  for (const key of Object.keys(h)) if (key.startsWith("val_") && !h[key.slice(4)]) charts.push(lineChart(key, [{ name: key, values: h[key]!, color: colors[1]! }]));
  if (h["lr"] && new Set(h["lr"]).size > 1) charts.push(lineChart("learning rate", [{ name: "lr", values: h["lr"], color: "#2ca02c" }]));
  let cmHtml = "";
  if (r.confusionMatrix) {
    const names = r.classNames && r.classNames.length === r.confusionMatrix.length ? r.classNames : r.confusionMatrix.map((_, i) => String(i));
    const pc = classificationReport(r.confusionMatrix);
    const foot = [
      ["accuracy", "", "", pc.accuracy, pc.macro.support],
      ["macro avg", pc.macro.precision, pc.macro.recall, pc.macro.f1, pc.macro.support],
      ["weighted avg", pc.weighted.precision, pc.weighted.recall, pc.weighted.f1, pc.weighted.support],
    ];
    cmHtml = `<h2>Confusion matrix (${esc(r.evaluatedOn ?? "")})</h2>${heatMap(r.confusionMatrix, names)}
<h2>Classification report</h2>${table(names.map((n, i) => [n, pc.precision[i]!, pc.recall[i]!, pc.f1[i]!, pc.support[i]!]), ["class", "precision", "recall", "f1-score", "support"], foot)}`;
  }
  const testRows = r.test ? Object.entries(r.test).map(([k, v]) => [k, v]) : [];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.pipeline)} — dlp run report</title><link rel="icon" href="data:,">
${STYLE}</head><body>
<h1>${esc(r.pipeline)}</h1>
<p>${esc(r.sourceFile)} · backend <b>${esc(r.backend)}</b> · ${h["epoch"]?.length ?? 0} epoch(s)</p>
${r.stopReason ? `<p class="note">${esc(r.stopReason)}</p>` : ""}
${testRows.length ? `<h2>Evaluation (${esc(r.evaluatedOn ?? "")})</h2>${table(testRows, ["metric", "value"])}` : ""}
<h2>Training curves</h2><div class="charts">${charts.join("\n")}</div>
${cmHtml}
<h2>Model</h2><pre>${esc(r.summary.join("\n"))}</pre>
<h2>Settings</h2><pre>${esc(JSON.stringify(r.settings, null, 2))}</pre>
<h2>History</h2>${table((h["epoch"] ?? []).map((e, i) => [String(e), ...Object.keys(h).filter((k) => k !== "epoch").map((k) => h[k]![i] ?? NaN)]), ["epoch", ...Object.keys(h).filter((k) => k !== "epoch")])}
</body></html>
`;
}
