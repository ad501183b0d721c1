// Rendering a study: a live text table for the terminal and a self-contained HTML report with
// inline SVG charts (objective per trial, best so far, each param against the objective).
import type { ParamValue } from "../spec.ts";
import type { StudyResult } from "./study.ts";
import type { TrialRecord } from "./types.ts";

function fmt(v: ParamValue | number | null | undefined): string {
  if (v === null || v === undefined) return "-";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toPrecision(4).replace(/\.?0+$/, "");
  }
  return String(v);
}

function paramNames(trials: TrialRecord[]): string[] {
  const names: string[] = [];
  for (const t of trials) for (const k of Object.keys(t.params)) if (!names.includes(k)) names.push(k);
  return names;
}

function statusOf(t: TrialRecord): string {
  if (t.status === "failed") return t.lost ? "lost" : "failed";
  return t.status;
}

/**
 * A plain-text table of trials (number, params, objective, status, epochs), the best marked with *.
 * Meant to be reprinted after each update.
 */
export function renderTrialTable(trials: TrialRecord[], opts: { metric: string; best?: TrialRecord | null; maxRows?: number }): string {
  const names = paramNames(trials);
  const head = ["#", ...names, opts.metric, "status", "epochs"];
  let shown = [...trials].sort((a, b) => a.number - b.number);
  const maxRows = opts.maxRows ?? Infinity;
  const hidden = Math.max(0, shown.length - maxRows);
  if (hidden > 0) shown = shown.slice(shown.length - maxRows);
  const rows = shown.map((t) => {
    const mark = opts.best && opts.best.number === t.number ? "*" : "";
    const epochs = t.epochs === null ? fmt(t.epochsRun || null) : `${t.initialEpoch > 0 ? `${t.initialEpoch}→` : ""}${t.epochs}`;
    return [`${t.number}${mark}`, ...names.map((n) => fmt(t.params[n])), fmt(t.value), statusOf(t), epochs];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const out = [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
  if (hidden > 0) out.splice(2, 0, `(${hidden} earlier trials not shown)`);
  const failed = trials.filter((t) => t.status === "failed" && !t.lost && t.error);
  if (opts.best) out.push(`best: trial ${opts.best.number}, ${opts.metric} = ${fmt(opts.best.value)}`);
  if (failed.length > 0) out.push(`failed: ${failed.map((t) => `#${t.number} ${t.error!.split("\n")[0]}`).join("; ")}`);
  return out.join("\n");
}

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

interface Pt {
  x: number;
  y: number;
  label?: string;
  cls?: string;
}

/** One scatter/line chart as inline SVG; categorical x values are spread over evenly spaced slots. */
function chart(title: string, xLabel: string, yLabel: string, pts: Pt[], line: Pt[] = [], categories?: string[]): string {
  const W = 420, H = 260, L = 58, R = 12, T = 26, B = 40;
  const all = [...pts, ...line];
  if (all.length === 0) return `<svg width="${W}" height="${H}"><text x="10" y="20">${esc(title)}: no data</text></svg>`;
  let x0 = Math.min(...all.map((p) => p.x)), x1 = Math.max(...all.map((p) => p.x));
  let y0 = Math.min(...all.map((p) => p.y)), y1 = Math.max(...all.map((p) => p.y));
  if (x0 === x1) { x0 -= 0.5; x1 += 0.5; }
  if (y0 === y1) { y0 -= 0.5; y1 += 0.5; }
  const sx = (x: number): number => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const sy = (y: number): number => H - B - ((y - y0) / (y1 - y0)) * (H - T - B);
  const parts: string[] = [];
  parts.push(`<text x="${W / 2}" y="16" text-anchor="middle" font-weight="bold">${esc(title)}</text>`);
  parts.push(`<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#444"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#444"/>`);
  for (let i = 0; i <= 4; i++) {
    const y = y0 + ((y1 - y0) * i) / 4;
    parts.push(`<text x="${L - 4}" y="${sy(y) + 4}" text-anchor="end" font-size="10">${esc(fmt(y))}</text>`);
    parts.push(`<line x1="${L}" y1="${sy(y)}" x2="${W - R}" y2="${sy(y)}" stroke="#eee"/>`);
  }
  if (categories) {
    categories.forEach((c, i) => parts.push(`<text x="${sx(i)}" y="${H - B + 14}" text-anchor="middle" font-size="10">${esc(c)}</text>`));
  } else {
    for (let i = 0; i <= 4; i++) {
      const x = x0 + ((x1 - x0) * i) / 4;
      parts.push(`<text x="${sx(x)}" y="${H - B + 14}" text-anchor="middle" font-size="10">${esc(fmt(x))}</text>`);
    }
  }
  parts.push(`<text x="${W / 2}" y="${H - 6}" text-anchor="middle" font-size="11">${esc(xLabel)}</text>`);
  parts.push(`<text x="12" y="${H / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 12 ${H / 2})">${esc(yLabel)}</text>`);
  if (line.length > 1) {
    parts.push(`<polyline fill="none" stroke="#d62728" stroke-width="2" points="${line.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ")}"/>`);
  }
  for (const p of pts) {
    parts.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3.5" class="${p.cls ?? "pt"}"><title>${esc(p.label ?? "")}</title></circle>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">${parts.join("")}</svg>`;
}

/** A self-contained HTML page: summary, charts (inline SVG, no scripts or external files) and the trial table. */
export function renderStudyHtml(result: StudyResult, title = `Study ${result.studyName}`): string {
  const { trials, best, metric, direction } = result;
  const done = trials.filter((t) => t.status === "complete" && t.value !== null).sort((a, b) => a.number - b.number);
  const label = (t: TrialRecord): string =>
    `trial ${t.number}: ${metric} = ${fmt(t.value)}; ${Object.entries(t.params).map(([k, v]) => `${k} = ${fmt(v)}`).join(", ")}`;
  const pts: Pt[] = done.map((t) => ({ x: t.number, y: t.value!, label: label(t), cls: best?.number === t.number ? "best" : "pt" }));
  const curve: Pt[] = [];
  let run = direction === "maximize" ? -Infinity : Infinity;
  for (const t of done) {
    run = direction === "maximize" ? Math.max(run, t.value!) : Math.min(run, t.value!);
    curve.push({ x: t.number, y: run });
  }
  const charts = [chart(`${metric} per trial (line: best so far)`, "trial", metric, pts, curve)];
  for (const name of paramNames(trials)) {
    const withParam = done.filter((t) => t.params[name] !== undefined);
    const numeric = withParam.every((t) => typeof t.params[name] === "number");
    if (numeric) {
      charts.push(chart(`${metric} vs ${name}`, name, metric, withParam.map((t) => ({ x: t.params[name] as number, y: t.value!, label: label(t), cls: best?.number === t.number ? "best" : "pt" }))));
    } else {
      const cats = [...new Set(withParam.map((t) => String(t.params[name])))];
      charts.push(chart(`${metric} vs ${name}`, name, metric, withParam.map((t) => ({ x: cats.indexOf(String(t.params[name])), y: t.value!, label: label(t), cls: best?.number === t.number ? "best" : "pt" })), [], cats));
    }
  }
  const counts = { complete: 0, failed: 0, lost: 0, running: 0 };
  for (const t of trials) counts[statusOf(t) as keyof typeof counts]++;
  const bestLine = best
    ? `<p><b>Best:</b> trial ${best.number}, ${esc(metric)} = ${esc(fmt(best.value))} (${direction}) with ${esc(Object.entries(best.params).map(([k, v]) => `${k} = ${fmt(v)}`).join(", ") || "defaults")}</p>`
    : `<p>No trial has completed.</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font-family:sans-serif;margin:24px;color:#222}
.charts{display:flex;flex-wrap:wrap;gap:12px}
svg{border:1px solid #ddd;background:#fff}
circle.pt{fill:#1f77b4;fill-opacity:.75}
circle.best{fill:#ff7f0e;stroke:#000}
pre{background:#f6f6f6;padding:10px;overflow:auto}
</style></head><body>
<h1>${esc(title)}</h1>
<p>${trials.length} trials: ${counts.complete} complete, ${counts.failed} failed, ${counts.lost} lost (retried), ${counts.running} running. Objective: ${direction} ${esc(metric)}.</p>
${bestLine}
<div class="charts">${charts.join("\n")}</div>
<h2>Trials</h2>
<pre>${esc(renderTrialTable(trials, { metric, best }))}</pre>
</body></html>
`;
}
