// Metrics of stored predictions (validation / test), computed in plain JS so that any metric
// works on any backend: accuracy, top-k, AUC (one-vs-rest, macro), precision / recall (macro
// for classes), mse, mae, plus the confusion matrix.
import type { LabelSpec, MetricSpec } from "./spec.ts";

export interface Predictions {
  /** [n, width] row-major. */
  p: Float32Array;
  width: number;
  n: number;
  /** Class ids (classes / binary) or targets (regression, `width` per sample). */
  y: Int32Array | Float32Array;
}

export function metricKey(m: MetricSpec): string {
  return m.name === "top_k" ? `top_${m.k}_accuracy` : m.name;
}

export function predictedClass(pr: Predictions, i: number): number {
  if (pr.width === 1) return pr.p[i]! >= 0.5 ? 1 : 0;
  let best = 0;
  for (let k = 1; k < pr.width; k++) if (pr.p[i * pr.width + k]! > pr.p[i * pr.width + best]!) best = k;
  return best;
}

function classCount(pr: Predictions): number {
  return pr.width === 1 ? 2 : pr.width;
}

export function confusionMatrix(pr: Predictions): number[][] {
  const c = classCount(pr);
  const m = Array.from({ length: c }, () => new Array<number>(c).fill(0));
  for (let i = 0; i < pr.n; i++) m[pr.y[i]!]![predictedClass(pr, i)]! += 1;
  return m;
}

export interface PerClass { precision: number[]; recall: number[]; f1: number[]; support: number[] }

/** Per-class precision, recall, F1 and support (scikit-learn's, with 0 where a ratio is 0/0). */
export function perClass(cm: number[][]): PerClass {
  const c = cm.length;
  const precision: number[] = [], recall: number[] = [], f1: number[] = [], support: number[] = [];
  for (let k = 0; k < c; k++) {
    const tp = cm[k]![k]!;
    const col = cm.reduce((a, row) => a + row[k]!, 0);
    const row = cm[k]!.reduce((a, b) => a + b, 0);
    const p = col ? tp / col : 0, r = row ? tp / row : 0;
    precision.push(p);
    recall.push(r);
    f1.push(p + r > 0 ? (2 * p * r) / (p + r) : 0);
    support.push(row);
  }
  return { precision, recall, f1, support };
}

export interface AverageRow { precision: number; recall: number; f1: number; support: number }

/** scikit-learn's classification_report: per class, accuracy, macro and support-weighted averages. */
export interface ClassificationReport extends PerClass { accuracy: number; macro: AverageRow; weighted: AverageRow }

export function classificationReport(cm: number[][]): ClassificationReport {
  const pc = perClass(cm);
  const total = pc.support.reduce((a, b) => a + b, 0);
  const c = Math.max(1, cm.length);
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / c;
  const wmean = (v: number[]): number => (total ? v.reduce((a, b, i) => a + b * pc.support[i]!, 0) / total : 0);
  const correct = cm.reduce((a, row, k) => a + row[k]!, 0);
  return {
    ...pc,
    accuracy: total ? correct / total : 0,
    macro: { precision: mean(pc.precision), recall: mean(pc.recall), f1: mean(pc.f1), support: total },
    weighted: { precision: wmean(pc.precision), recall: wmean(pc.recall), f1: wmean(pc.f1), support: total },
  };
}

/** The report as scikit-learn prints it. */
export function reportText(rep: ClassificationReport, names: string[]): string {
  const w = Math.max(12, ...names.map((n) => n.length));
  const f = (v: number): string => v.toFixed(4).padStart(10);
  const n = (v: number): string => String(v).padStart(10);
  const lines = [`${"".padStart(w)}${"precision".padStart(10)}${"recall".padStart(10)}${"f1-score".padStart(10)}${"support".padStart(10)}`, ""];
  names.forEach((name, i) => lines.push(`${name.padStart(w)}${f(rep.precision[i]!)}${f(rep.recall[i]!)}${f(rep.f1[i]!)}${n(rep.support[i]!)}`));
  lines.push("");
  lines.push(`${"accuracy".padStart(w)}${"".padStart(20)}${f(rep.accuracy)}${n(rep.macro.support)}`);
  lines.push(`${"macro avg".padStart(w)}${f(rep.macro.precision)}${f(rep.macro.recall)}${f(rep.macro.f1)}${n(rep.macro.support)}`);
  lines.push(`${"weighted avg".padStart(w)}${f(rep.weighted.precision)}${f(rep.weighted.recall)}${f(rep.weighted.f1)}${n(rep.weighted.support)}`);
  return lines.join("\n");
}

/** Rank-based ROC AUC of scores for positives vs negatives (ties averaged). */
export function rocAuc(scores: number[], positive: boolean[]): number {
  const idx = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(scores.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1]![0] === idx[i]![0]) j++;
    for (let k = i; k <= j; k++) ranks[idx[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let nPos = 0, sum = 0;
  positive.forEach((p, i) => { if (p) { nPos++; sum += ranks[i]!; } });
  const nNeg = positive.length - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (sum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

function auc(pr: Predictions): number {
  if (pr.width === 1) return rocAuc(Array.from(pr.p.subarray(0, pr.n)), Array.from(pr.y.subarray(0, pr.n), (v) => v === 1));
  const aucs: number[] = [];
  for (let k = 0; k < pr.width; k++) {
    const s: number[] = [], pos: boolean[] = [];
    for (let i = 0; i < pr.n; i++) { s.push(pr.p[i * pr.width + k]!); pos.push(pr.y[i] === k); }
    const a = rocAuc(s, pos);
    if (!Number.isNaN(a)) aucs.push(a);
  }
  return aucs.length ? aucs.reduce((a, b) => a + b, 0) / aucs.length : NaN;
}

function topK(pr: Predictions, k: number): number {
  let hit = 0;
  for (let i = 0; i < pr.n; i++) {
    const target = pr.p[i * pr.width + pr.y[i]!]!;
    let greater = 0;
    for (let c = 0; c < pr.width; c++) if (pr.p[i * pr.width + c]! > target) greater++;
    if (greater < k) hit++;
  }
  return hit / Math.max(1, pr.n);
}

export function computeMetrics(pr: Predictions, labels: LabelSpec, metrics: MetricSpec[]): Record<string, number> {
  const out: Record<string, number> = {};
  const isClass = labels.kind !== "regression";
  let cm: number[][] | null = null;
  const getCm = (): number[][] => (cm ??= confusionMatrix(pr));
  for (const m of metrics) {
    const key = metricKey(m);
    if (m.name === "mse" || m.name === "mae") {
      let s = 0;
      for (let i = 0; i < pr.n; i++) for (let k = 0; k < pr.width; k++) {
        const t = labels.kind === "class" ? (pr.y[i] === k ? 1 : 0) : pr.y[i * pr.width + k]!;
        const d = t - pr.p[i * pr.width + k]!;
        s += m.name === "mse" ? d * d : Math.abs(d);
      }
      out[key] = s / Math.max(1, pr.n * pr.width);
      continue;
    }
    if (!isClass) continue;
    if (m.name === "accuracy") {
      let hit = 0;
      for (let i = 0; i < pr.n; i++) if (predictedClass(pr, i) === pr.y[i]) hit++;
      out[key] = hit / Math.max(1, pr.n);
    } else if (m.name === "top_k") out[key] = pr.width === 1 ? NaN : topK(pr, m.k);
    else if (m.name === "auc") out[key] = auc(pr);
    else {
      const pc = perClass(getCm());
      const v = m.name === "precision" ? pc.precision : m.name === "recall" ? pc.recall : pc.f1;
      if (pr.width === 1) out[key] = v[1]!;
      else out[key] = v.reduce((a, b) => a + b, 0) / v.length;
    }
  }
  return out;
}
