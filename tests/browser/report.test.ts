// report.html in headless Chromium: the page of a real `dlpc run` (2 epochs, --limit 600) is
// opened from disk with JavaScript off (it must be self-contained SVG), screenshotted, and its
// charts checked: curves with one point per epoch, a 10×10 heat map whose counts add up to the
// evaluated samples, and pixels that are not blank where the charts are.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PNG } from "pngjs";
import type { Browser, Page } from "puppeteer-core";
import { renderReport } from "../../runtime/report.ts";
import { launchChromium, openPage, tempDir, trainedRun } from "./harness.ts";

// Page-side code runs in Chromium; the project's lib has no DOM types, so declare what it uses.
interface El { textContent: string | null; getAttribute(n: string): string | null; querySelectorAll(s: string): ArrayLike<El>; getBoundingClientRect(): { width: number; height: number } }
declare const document: { querySelectorAll(s: string): ArrayLike<El>; title: string };

let browser: Browser;
const shots = tempDir("dlp-report-shots-");

test.before(async () => {
  await trainedRun();
  browser = await launchChromium();
});
test.after(async () => { await browser?.close(); });

interface ChartInfo { metric: string; width: number; height: number; lines: { series: string; points: number[][] }[]; dots: number }
interface PageInfo { charts: ChartInfo[]; cells: { t: number; p: number; count: number; text: string; fill: string; width: number }[]; perClassRows: number; scripts: number }

async function inspect(page: Page): Promise<PageInfo> {
  return (await page.evaluate(() => {
    const charts = Array.from(document.querySelectorAll("svg.chart")).map((svg) => {
      const box = svg.getBoundingClientRect();
      return {
        metric: svg.getAttribute("data-metric") ?? "",
        width: box.width, height: box.height,
        lines: Array.from(svg.querySelectorAll("polyline")).map((pl) => ({
          series: pl.getAttribute("data-series") ?? "",
          points: (pl.getAttribute("points") ?? "").trim().split(/\s+/).map((xy) => xy.split(",").map(Number)),
        })),
        dots: svg.querySelectorAll("circle.pt").length,
      };
    });
    const cellText = Array.from(document.querySelectorAll("svg.heatmap text"));
    const cells = Array.from(document.querySelectorAll("svg.heatmap rect.cell")).map((r) => ({
      t: Number(r.getAttribute("data-true")), p: Number(r.getAttribute("data-predicted")), count: Number(r.getAttribute("data-count")),
      text: "", fill: r.getAttribute("fill") ?? "", width: r.getBoundingClientRect().width,
    }));
    // Count labels follow their cells, in order, after the title texts and class labels.
    const counts = cellText.slice(cellText.length - cells.length);
    cells.forEach((c, i) => { c.text = counts[i]?.textContent ?? ""; });
    const pc = Array.from(document.querySelectorAll("table")).find((t) => (t.querySelectorAll("th")[0]?.textContent ?? "") === "class");
    const perClassRows = pc ? pc.querySelectorAll("tbody tr").length : 0;
    return { charts, cells, perClassRows, scripts: document.querySelectorAll("script").length };
  })) as PageInfo;
}

/** Mean, variance and distinct colours of a screenshot region. */
function pixelStats(png: Buffer): { variance: number; nonWhite: number; colours: number } {
  const img = PNG.sync.read(png);
  let sum = 0, sq = 0, nonWhite = 0;
  const colours = new Set<number>();
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    const r = img.data[i * 4]!, g = img.data[i * 4 + 1]!, b = img.data[i * 4 + 2]!;
    const grey = (r + g + b) / 3;
    sum += grey; sq += grey * grey;
    if (grey < 245) nonWhite++;
    colours.add((r >> 3) << 10 | (g >> 3) << 5 | (b >> 3));
  }
  const mean = sum / n;
  return { variance: sq / n - mean * mean, nonWhite: nonWhite / n, colours: colours.size };
}

test("report.html of a real run renders its curves, heat map and tables (screenshot checked)", async () => {
  const { dir } = await trainedRun();
  const history = JSON.parse(readFileSync(join(dir, "history.json"), "utf8")) as Record<string, number[]>;
  const metrics = JSON.parse(readFileSync(join(dir, "metrics.json"), "utf8")) as { confusionMatrix: number[][]; epochs: number };
  const epochs = history["epoch"]!.length;
  assert.is(epochs, 2);

  const errors: string[] = [];
  const page = await openPage(browser, errors);
  const requests: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.setJavaScriptEnabled(false);
  await page.setViewport({ width: 1100, height: 900 });
  await page.goto(`file://${join(dir, "report.html")}`, { waitUntil: "load" });
  const shot = join(shots, "report.png");
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(readFileSync(shot).length > 10_000, `screenshot saved at ${shot}`);
  const info = await inspect(page);

  // Self-contained: one request (the page itself), no scripts, nothing failed.
  assert.equal(requests, [`file://${join(dir, "report.html")}`]);
  assert.is(info.scripts, 0);
  assert.equal(errors, []);

  // One chart per training metric (loss, accuracy), each with its validation curve, one point per epoch.
  const trainKeys = Object.keys(history).filter((k) => k !== "epoch" && k !== "lr" && !k.startsWith("val_"));
  assert.equal(info.charts.map((c) => c.metric).sort(), trainKeys.sort());
  for (const c of info.charts) {
    assert.ok(c.width >= 300 && c.height >= 200, `${c.metric} chart is ${c.width}×${c.height}`);
    assert.equal(c.lines.map((l) => l.series), [c.metric, `val_${c.metric}`]);
    assert.is(c.dots, 2 * epochs, `${c.metric}: one dot per epoch and series`);
    for (const l of c.lines) {
      assert.is(l.points.length, epochs, `${l.series}: one vertex per epoch`);
      assert.ok(l.points.flat().every(Number.isFinite), `${l.series}: finite coordinates`);
      // Lower values sit lower on the chart (SVG y grows downwards).
      const v = history[l.series]!;
      if (v[0] !== v[1]) assert.is(l.points[0]![1]! > l.points[1]![1]!, v[0]! < v[1]!, `${l.series}: direction of the curve`);
    }
    const box = (await (await page.$(`svg.chart[data-metric="${c.metric}"]`))!.boundingBox())!;
    const png = Buffer.from(await page.screenshot({ clip: box, type: "png" }));
    writeFileSync(join(shots, `chart-${c.metric}.png`), png);
    const px = pixelStats(png);
    assert.ok(px.variance > 100 && px.nonWhite > 0.01, `${c.metric} chart pixels: variance ${px.variance.toFixed(1)}, ${(px.nonWhite * 100).toFixed(1)}% drawn`);
    assert.ok(px.colours >= 4, `${c.metric} chart uses both series' colours (${px.colours} colours)`);
  }

  // The confusion matrix: 10×10 cells holding metrics.json's counts, coloured by row share.
  const cm = metrics.confusionMatrix;
  assert.is(info.cells.length, cm.length * cm.length);
  for (const c of info.cells) {
    assert.is(c.count, cm[c.t]![c.p]!, `cell ${c.t},${c.p}`);
    assert.is(c.text, String(c.count), `cell ${c.t},${c.p} shows its count`);
    assert.ok(c.width > 10, "cells have a size");
  }
  assert.ok(new Set(info.cells.map((c) => c.fill)).size >= 5, "cells are shaded by their share of the row");
  const hm = (await page.$("svg.heatmap"))!;
  const hmPng = Buffer.from(await page.screenshot({ clip: (await hm.boundingBox())!, type: "png" }));
  writeFileSync(join(shots, "heatmap.png"), hmPng);
  const hpx = pixelStats(hmPng);
  assert.ok(hpx.variance > 100 && hpx.colours >= 10, `heat map pixels: variance ${hpx.variance.toFixed(1)}, ${hpx.colours} colours`);
  assert.is(info.perClassRows, cm.length, "per-class precision/recall: one row per class");
  await page.close();
});

test("a diverged epoch (NaN loss) breaks the curve instead of corrupting it; names are escaped", async () => {
  const evil = `<img src=x onerror="document.title='pwned'">`;
  const html = renderReport({
    pipeline: `p${evil}`, sourceFile: "x.dlp", backend: "cpu",
    history: { loss: [1.2, 0.8, NaN, 0.7], val_loss: [1.3, 0.9, Infinity, 0.75], accuracy: [0.5, 0.6, 0.6, 0.7], epoch: [1, 2, 3, 4] },
    metrics: {}, test: { accuracy: 0.7 }, evaluatedOn: "test", confusionMatrix: [[3, 1], [0, 4]], classNames: [evil, "b"],
    summary: ["Layer  Output"], settings: { note: evil }, stopReason: `loss became NaN at epoch 3 ${evil}`,
  });
  const file = join(shots, "nan.html");
  writeFileSync(file, html);
  const errors: string[] = [];
  const page = await openPage(browser, errors);
  await page.goto(`file://${file}`);
  const info = await inspect(page);
  const title = await page.evaluate(() => document.title);
  await page.close();
  assert.is(title, `p${evil} — dlp run report`, "the title shows the name as text");
  assert.not.match(html, /<img/);
  const loss = info.charts.find((c) => c.metric === "loss")!;
  // [1.2, 0.8] and [0.7]: one two-point line, the lone last point only as a dot.
  assert.equal(loss.lines.map((l) => [l.series, l.points.length]), [["loss", 2], ["val_loss", 2]]);
  assert.ok(loss.lines.every((l) => l.points.flat().every(Number.isFinite)));
  assert.is(loss.dots, 6);
  assert.is(info.cells.length, 4);
});

test("without Chromium the browser tests fail saying where they looked and how to install it", async () => {
  try {
    await launchChromium("/nonexistent/chromium");
    assert.unreachable("launch should fail");
  } catch (e) {
    assert.is((e as Error).message, "the browser tests need Chromium at /nonexistent/chromium: install it with `apt-get install chromium`, or set CHROMIUM_PATH to a Chromium binary");
  }
});

test.run();
