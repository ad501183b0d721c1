// predict.html of a typed-column model in headless Chromium: the form page, fed the same rows as
// `dlpc predict` (a known category, an unseen one, a missing cell filled with the median, a date),
// gives the same probabilities (max abs diff <= 1e-4): the browser encodes with the run's saved
// vocabularies and statistics exactly as Node does.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser } from "puppeteer-core";
import { launchChromium, openPage, serveStatic, tempDir, type StaticServer } from "./harness.ts";

declare const window: { dlpPredictRow(cells: Record<string, string>): number[] | null };
declare const document: { querySelectorAll(s: string): ArrayLike<{ value: string; getAttribute(n: string): string | null }>; getElementById(id: string): { textContent: string | null } | null };

const REPO = resolve(new URL("../..", import.meta.url).pathname);
let browser: Browser;
let server: StaticServer;
const work = tempDir("dlp-tabular-page-");
const header = "age,hours,city,smoker,joined,income";

function people(n: number): string {
  const cities = ["Lisbon", "Porto", "Faro", "Braga"];
  const rows = [header];
  let s = 11;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < n; i++) {
    const age = 20 + Math.floor(rand() * 50), hours = 20 + Math.floor(rand() * 40), city = cities[Math.floor(rand() * 4)]!, smoker = rand() < 0.5 ? "yes" : "no";
    const score = (age - 45) / 15 + (hours - 40) / 10 + (city === "Lisbon" ? 1 : 0) + (smoker === "no" ? 0.5 : -0.5);
    rows.push(`${age},${rand() < 0.05 ? "" : hours},${city},${smoker},20${10 + Math.floor(rand() * 12)}-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)},${score > 0 ? "high" : "low"}`);
  }
  return rows.join("\n") + "\n";
}

const rows: Record<string, string>[] = [
  { age: "52", hours: "", city: "Lisbon", smoker: "no", joined: "2019-04-02" },
  { age: "23", hours: "25", city: "Tokyo", smoker: "yes", joined: "2021-12-31" },
];

test.before(async () => {
  writeFileSync(join(work, "people.csv"), people(300));
  writeFileSync(join(work, "people.dlp"), `pipeline people {
  seed 2
  data {
    source csv("people.csv")
    x = concat(age |> standardize(), hours |> fill(median) |> min_max(), city |> category(max_tokens: 5) |> one_hot(), smoker |> binary(), joined |> date() |> standardize())
    y = income as class(2)
    split validation 20%
  }
  model {
    dense(8, activation: relu)
    dense(2, activation: softmax)
  }
  train {
    loss sparse_categorical_crossentropy
    optimizer adam(lr: 0.01)
    epochs 3
  }
}
`);
  const run = spawnSync(process.execPath, [join(REPO, "bin", "dlpc.mjs"), "run", "people.dlp", "--out", "out", "--backend", "wasm", "--quiet"], { cwd: work, encoding: "utf8", timeout: 300_000 });
  assert.is(run.status, 0, run.stdout + run.stderr);
  browser = await launchChromium();
  server = await serveStatic({ "/run/": join(work, "out", "people") });
});

test.after(async () => {
  await browser?.close();
  await server?.close();
});

test("dlpc run wrote the form page, and it predicts what dlpc predict predicts on the same rows", async () => {
  assert.ok(existsSync(join(work, "out", "people", "predict.html")));
  writeFileSync(join(work, "rows.csv"), `joined,smoker,city,hours,age\n${rows.map((r) => [r.joined, r.smoker, r.city, r.hours, r.age].join(",")).join("\n")}\n`);
  const p = spawnSync(process.execPath, [join(REPO, "bin", "dlpc.mjs"), "predict", join("out", "people"), "rows.csv", "--format", "json", "--backend", "wasm"], { cwd: work, encoding: "utf8" });
  assert.is(p.status, 0, p.stdout + p.stderr);
  const node = (JSON.parse(p.stdout) as { top: { class: string; probability: number }[] }[]).map((r) => Object.fromEntries(r.top.map((t) => [t.class, t.probability])));
  const errors: string[] = [];
  const page = await openPage(browser, errors);
  await page.goto(`${server.url}/run/predict.html`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
  const inPage = await page.evaluate((rs) => rs.map((r) => window.dlpPredictRow(r)), rows);
  assert.equal(errors, []);
  inPage.forEach((probs, i) => {
    assert.ok(probs, `row ${i} predicted`);
    // classNames are sorted: high 0, low 1.
    assert.ok(Math.abs(probs![0]! - node[i]!["high"]!) <= 1e-4 && Math.abs(probs![1]! - node[i]!["low"]!) <= 1e-4, `row ${i}: page ${probs} vs dlpc predict ${JSON.stringify(node[i])}`);
  });
  // The form itself: one field per column; filled with row 0 and submitted, it shows row 0's class.
  const fields = await page.evaluate((r) => {
    const els = document.querySelectorAll("[data-column]");
    for (let i = 0; i < els.length; i++) els[i]!.value = r[els[i]!.getAttribute("data-column")!]!;
    return els.length;
  }, rows[0]!);
  assert.is(fields, 5);
  await page.click("#go");
  await page.waitForSelector("body[data-predictions='3']", { timeout: 10_000 });
  const top = await page.evaluate(() => document.getElementById("top")!.textContent);
  assert.match(top ?? "", node[0]!["high"]! > 0.5 ? /^high/ : /^low/);
  assert.equal(errors, []);
});

test.run();
