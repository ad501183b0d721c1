// Several heads from the label columns of one CSV (issue 17): pipelines/tabular_two_heads.dlp
// predicts the income class and a numeric spend of each row at once, trained by `dlpc run` on the
// table bench/tabular_data.ts generates (deterministic) to bars a model that ignores its input
// cannot reach; each head's labels come from its own column in the inputs' row order; no label
// column is an input; the checker checks each head against its own column; `dlpc predict` and
// predict.html answer every head.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, dlpc, scratchDir, show } from "./compiled.ts";
import { adultLikeCsv } from "../../bench/tabular_data.ts";
import { loadDataset } from "../../runtime/data/dataset.ts";
import { renderTablePage, tablePageConfig } from "../../runtime/export/table_page.ts";
import type { DataSpec } from "../../runtime/spec.ts";
import { DataError } from "../../runtime/errors.ts";
import { loadModel } from "../../runtime/io.ts";
import { initBackend } from "../../runtime/backend.ts";
import { tf } from "../../runtime/tf.ts";

/** A stand-in for the browser's DOM, enough for predict.html's script. */
function fakeDocument(config: string) {
  type El = { id?: string; textContent: string; className: string; style: Record<string, string>; attrs: Record<string, string>; children: El[]; value?: string; addEventListener: () => void; setAttribute: (k: string, v: string) => void; getAttribute: (k: string) => string | undefined; appendChild: (c: El) => void };
  const el = (): El => { const e: El = { textContent: "", className: "", style: {}, attrs: {}, children: [], addEventListener: () => {}, setAttribute: (k, v) => { e.attrs[k] = v; }, getAttribute: (k) => e.attrs[k], appendChild: (c) => { e.children.push(c); } }; return e; };
  const byId = new Map<string, El>();
  const cfg = el();
  cfg.textContent = config;
  byId.set("dlp-config", cfg);
  const tbody = el();
  return { byId, document: { body: el(), getElementById: (id: string) => byId.get(id) ?? byId.set(id, el()).get(id)!, querySelector: () => tbody, querySelectorAll: () => [], createElement: () => el() } };
}

const PIPELINE = readFileSync(join(REPO, "pipelines", "tabular_two_heads.dlp"), "utf8");

/** A folder holding the generated table (with its spend column) and the pipeline, maybe edited. */
function setup(label: string, rows = 3000, edit: (text: string) => string = (t) => t): string {
  const cwd = scratchDir(label);
  mkdirSync(join(cwd, "data"));
  writeFileSync(join(cwd, "data", "adult_like.csv"), adultLikeCsv(rows, 7, { spend: true }));
  writeFileSync(join(cwd, "tabular_two_heads.dlp"), edit(PIPELINE));
  return cwd;
}

test("the generator's remark and spend columns are two extra last columns: the other columns keep their bytes", () => {
  const plain = adultLikeCsv(50, 7).trim().split("\n");
  const spend = adultLikeCsv(50, 7, { spend: true }).trim().split("\n");
  assert.is(spend[0], `${plain[0]},remark,spend`);
  spend.slice(1).forEach((l, i) => assert.is(l.split(",").slice(0, -2).join(","), plain[i + 1]));
});

test("tabular_two_heads learns both heads; the loss is 1.0 · income + 0.5 · spend; predict answers every head", async () => {
  const cwd = setup("two-heads");
  const check = dlpc(cwd, "check", "tabular_two_heads.dlp");
  assert.is(check.code, 0, show(check));
  const run = dlpc(cwd, "run", "tabular_two_heads.dlp", "--out", "out", "--quiet");
  assert.is(run.code, 0, show(run));
  const dir = join(cwd, "out", "tabular_two_heads");
  const metrics = JSON.parse(readFileSync(join(dir, "metrics.json"), "utf8"));
  const t = metrics.test as Record<string, number>;
  assert.is(metrics.evaluatedOn, "test");
  // The majority class (<=50K) is 54 % of the rows; the run reaches ~0.85 (a broken model stays near 0.54).
  const [head, ...lines] = readFileSync(join(cwd, "data", "adult_like.csv"), "utf8").trim().split("\n");
  const rows = lines.map((l) => l.split(","));
  const col = (name: string) => head!.split(",").indexOf(name);
  const majority = Math.max(...["<=50K", ">50K"].map((c) => rows.filter((r) => r[col("income")] === c).length)) / rows.length;
  assert.ok(t["income_accuracy"]! > majority + 0.15, `income accuracy ${t["income_accuracy"]} against the majority ${majority}`);
  // spend varies by ~0.94 around its mean (a constant answer's MSE); the run reaches ~0.12.
  const spend = rows.map((r) => Number(r[col("spend")]));
  const mean = spend.reduce((a, b) => a + b, 0) / spend.length;
  const variance = spend.reduce((a, b) => a + (b - mean) ** 2, 0) / spend.length;
  assert.ok(t["spend_mse"]! < 0.3 * variance, `spend mse ${t["spend_mse"]} against the variance ${variance}`);
  assert.ok(Math.abs(t["loss"]! - (t["income_loss"]! + 0.5 * t["spend_loss"]!)) < 1e-4, JSON.stringify(t));
  const h = JSON.parse(readFileSync(join(dir, "history.json"), "utf8")) as Record<string, number[]>;
  h["loss"]!.forEach((l, e) => assert.ok(Math.abs(l - (h["income_loss"]![e]! + 0.5 * h["spend_loss"]![e]!)) < 1e-4, `epoch ${e + 1}: ${l}`));
  h["val_loss"]!.forEach((l, e) => assert.ok(Math.abs(l - (h["val_income_loss"]![e]! + 0.5 * h["val_spend_loss"]![e]!)) < 1e-4, `epoch ${e + 1}: ${l}`));
  for (const k of ["val_income_accuracy", "val_income_auc", "val_spend_mae", "val_spend_mse"]) assert.ok(h[k]?.length, `history has ${k}`);
  // The confusion matrix and class names are the income head's (its own column's names).
  assert.equal(metrics.classNames, ["<=50K", ">50K"]);
  assert.is(metrics.confusionMatrix.length, 2);
  const pre = JSON.parse(readFileSync(join(dir, "preprocess.json"), "utf8"));
  assert.equal(pre.heads, [{ name: "income", kind: "class", classNames: ["<=50K", ">50K"] }, { name: "spend", kind: "regression" }]);
  assert.equal(pre.inputs.map((i: { name: string }) => i.name), ["row", "words"]);
  for (const i of pre.inputs) assert.not.ok(i.transforms[0].columns.some((c: { column: string }) => c.column === "income" || c.column === "spend"), "no label column is an input");

  // dlpc predict on new rows (no label columns in the file): a column per head.
  // The last two rows differ in their remark only: travel raises the spend by 0.8 in the data.
  const header = "sex,relationship,occupation,marital_status,education,workclass,interview,owns_house,hours_per_week,capital_loss,capital_gain,education_num,age,remark";
  const middle = "Male,Not-in-family,Sales,Divorced,HS-grad,Private,2019-03-06,no,40,0,0,10,38";
  writeFileSync(join(cwd, "new.csv"), `${header}\nMale,Husband,Exec-managerial,Married-civ-spouse,Doctorate,Private,2021-06-05,yes,50,0,15000,16,50,likes cooking\nFemale,Own-child,Other-service,Never-married,9th,Private,2016-01-04,no,20,0,0,4,19,into chess\n${middle},Enjoys travel\n${middle},Enjoys books\n`);
  const table = dlpc(cwd, "predict", join("out", "tabular_two_heads"), "new.csv");
  assert.is(table.code, 0, show(table));
  assert.match(table.stdout.split("\n")[0]!, /^input\s+row\s+income\s+income_prob\s+spend$/);
  const json = dlpc(cwd, "predict", join("out", "tabular_two_heads"), "new.csv", "--format", "json");
  assert.is(json.code, 0, show(json));
  const answers = (JSON.parse(json.stdout) as { answers: { income: { class: string; probability: number }; spend: number[] } }[]).map((r) => r.answers);
  assert.is(answers[0]!.income.class, ">50K", json.stdout);
  assert.is(answers[1]!.income.class, "<=50K", json.stdout);
  // spend follows age, education, occupation, ownership and a weekend interview: the first row's is higher.
  assert.ok(answers[0]!.spend[0]! > answers[1]!.spend[0]! + 1, json.stdout);
  // The text input is read: the same row with travel in its remark spends more.
  assert.ok(answers[2]!.spend[0]! > answers[3]!.spend[0]! + 0.4, json.stdout);
  const csv = dlpc(cwd, "predict", join("out", "tabular_two_heads"), "new.csv", "--format", "csv");
  assert.is(csv.stdout.split("\n")[0], "input,row,income,income_prob,spend");
  assert.is(csv.stdout.split("\n")[1]!.split(",")[2], ">50K");

  // predict.html: the page's config names every head, its script parses.
  const cfg = tablePageConfig("tabular_two_heads", pre)!;
  assert.is(cfg.head, 0);
  assert.equal(cfg.heads!.map((x) => x.name), ["income", "spend"]);
  const page = renderTablePage(cfg);
  const script = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].pop()![1]!;
  assert.match(page, /<ul id="heads">/);
  // The page's script on a stand-in DOM with the trained model: both inputs encoded in the page,
  // every head answered as `dlpc predict` answers it.
  await initBackend("cpu");
  const model = await loadModel(dir);
  const fake = fakeDocument(page.match(/<script id="dlp-config" type="application\/json">([\s\S]*?)<\/script>/)![1]!);
  const win: Record<string, unknown> = {};
  const tfPage = Object.assign(Object.create(tf), { loadLayersModel: () => Promise.resolve(model), version: { tfjs: "test" }, getBackend: () => "cpu" });
  new Function("document", "window", "tf", "location", script)(fake.document, win, tfPage, { href: "http://localhost/predict.html", protocol: "http:" });
  await new Promise((r) => setTimeout(r, 10));
  assert.is(fake.byId.get("status")?.textContent.startsWith("model loaded"), true, fake.byId.get("status")?.textContent);
  const names = header.split(",");
  const cells = (line: string) => Object.fromEntries(line.split(",").map((c, i) => [names[i]!, c]));
  const travel = `${middle},Enjoys travel`;
  (win["dlpPredictRow"] as (c: Record<string, string>) => number[])(cells(travel));
  const shown = win["dlpHeads"] as { income: { class: string; probability: number }; spend: number[] };
  assert.is(shown.income.class, answers[2]!.income.class);
  assert.ok(Math.abs(shown.income.probability - answers[2]!.income.probability) < 1e-3, JSON.stringify(shown));
  assert.ok(Math.abs(shown.spend[0]! - answers[2]!.spend[0]!) < 1e-3, `${JSON.stringify(shown)} against ${JSON.stringify(answers[2])}`);
  assert.equal(fake.byId.get("heads")!.children.map((c) => c.attrs["data-head"]), ["income", "spend"]);
  model.dispose();
});

// ---- the checker ------------------------------------------------------------------------

test("check: a head's column missing from the header is DLP4004 with a did-you-mean and the file", () => {
  const cwd = setup("two-heads-typo", 40, (t) => t.replace("spend  = spend as regression(1)", "spend  = spnd as regression(1)"));
  const r = dlpc(cwd, "check", "tabular_two_heads.dlp");
  assert.is(r.code, 1, show(r));
  assert.match(r.stdout + r.stderr, /DLP4004.*no column `spnd` in data\/adult_like\.csv/);
  assert.match(r.stdout + r.stderr, /did you mean `spend`/);
});

test("check: each head's labels are checked against its own column (DLP4006, DLP4011)", () => {
  // race holds 5 names: class(3) does not cover them; the income head is still fine, and the
  // per-head train settings name a head that exists (no DLP5009 after its labels' error).
  const many = setup("two-heads-classes", 400, (t) => t.replace("spend  = spend as regression(1)", "spend  = race as class(3)").replace("spend = mse", "spend = sparse_categorical_crossentropy").replace("spend = mae, mse", "spend = accuracy").replace("dense(1)\n", "dense(5, activation: softmax)\n"));
  const r = dlpc(many, "check", "tabular_two_heads.dlp");
  assert.is(r.code, 1, show(r));
  assert.match(r.stdout + r.stderr, /DLP4006.*the data has 5 class names, more than the declared 3 classes/);
  assert.is((r.stdout + r.stderr).match(/error\[/g)?.length, 1, "the income head checks");
  // A regression head over a column of names.
  const names = setup("two-heads-names", 40, (t) => t.replace("spend  = spend as regression(1)", "spend  = workclass as regression(1)"));
  const n = dlpc(names, "check", "tabular_two_heads.dlp");
  assert.is(n.code, 1, show(n));
  assert.match(n.stdout + n.stderr, /DLP4011.*regression targets must be numbers/);
});

test("check: a head's label column used as an input is an error naming it", () => {
  const cwd = setup("two-heads-leak", 40, (t) => t.replace("owns_house |> binary(),", "owns_house |> binary(),\n        spend |> standardize(),"));
  const r = dlpc(cwd, "check", "tabular_two_heads.dlp");
  assert.is(r.code, 1, show(r));
  assert.match(r.stdout + r.stderr, /DLP2004.*the label column `spend` is also an input/);
});

test("check: `x = features` reads every column but the heads' label columns; each head's column is probed on its own", () => {
  const cwd = scratchDir("two-heads-features");
  const lines = ["a,b,kind,lo,hi,amount"];
  for (let i = 0; i < 60; i++) lines.push([Math.sin(i).toFixed(3), Math.cos(i).toFixed(3), i % 2 ? "up" : "down", i, i + 1, (i / 7).toFixed(3)].join(","));
  writeFileSync(join(cwd, "s.csv"), lines.join("\n") + "\n");
  const text = (width: number, pair = "columns(lo, hi) as regression(2)") => `pipeline small {
  data {
    source csv("s.csv")
    v = features |> standardize() as vector[${width}]
    kind = kind as class(["down", "up"])
    pair = ${pair}
    amount = amount as regression
  }
  model {
    h = v |> dense(8, activation: relu)
    return { kind = h |> dense(2, activation: softmax), pair = h |> dense(2), amount = h |> dense(1) }
  }
  train {
    loss { kind = sparse_categorical_crossentropy, pair = mse, amount = mse }
    optimizer adam(lr: 1e-2)
    batch 16
    epochs 1
    metrics { kind = accuracy; pair = mae; amount = mae }
  }
}
`;
  writeFileSync(join(cwd, "ok.dlp"), text(2));
  const ok = dlpc(cwd, "check", "ok.dlp");
  assert.is(ok.code, 0, show(ok));
  writeFileSync(join(cwd, "wide.dlp"), text(5));
  const wide = dlpc(cwd, "check", "wide.dlp");
  assert.is(wide.code, 1, show(wide));
  assert.match(wide.stdout + wide.stderr, /2 feature columns besides "kind", "lo", "hi", "amount"/);
  writeFileSync(join(cwd, "typo.dlp"), text(2, "columns(lo, hii) as regression(2)"));
  const typo = dlpc(cwd, "check", "typo.dlp");
  assert.is(typo.code, 1, show(typo));
  assert.match(typo.stdout + typo.stderr, /DLP4004.*no column `hii` in s\.csv[\s\S]*did you mean `hi`/);
  // A missing label cell, found at check time as the run would report it; `labels` reads the source's `label:` beside named heads.
  writeFileSync(join(cwd, "gap.csv"), lines.map((l, i) => (i === 7 ? l.replace(/,[^,]*$/, ",") : l)).join("\n") + "\n");
  writeFileSync(join(cwd, "gap.dlp"), text(2).replace('csv("s.csv")', 'csv("gap.csv")'));
  const gap = dlpc(cwd, "check", "gap.dlp");
  assert.is(gap.code, 1, show(gap));
  assert.match(gap.stdout + gap.stderr, /DLP4010[\s\S]*gap\.csv:8: label column "amount" has a missing value; labels are never filled/);
  writeFileSync(join(cwd, "labels.dlp"), text(2).replace('csv("s.csv")', 'csv("s.csv", label: "amount")').replace("amount = amount as regression", "amount = labels as regression"));
  const labels = dlpc(cwd, "check", "labels.dlp");
  assert.is(labels.code, 0, show(labels));
  writeFileSync(join(cwd, "count.dlp"), text(2, "columns(lo, hi) as regression(3)"));
  const count = dlpc(cwd, "check", "count.dlp");
  assert.is(count.code, 1, show(count));
  assert.match(count.stdout + count.stderr, /DLP4003.*reads 2 column\(s\)/);
});

// ---- the runtime ------------------------------------------------------------------------

const csvSpec = (path: string, outputs: DataSpec["outputs"], split: DataSpec["split"] = {}): DataSpec => ({
  source: { kind: "csv", path, label: outputs[0]!.columns?.[0] ?? "label" },
  inputs: [{ name: "x", transforms: [], shape: [null] }],
  outputs,
  split,
  augment: [],
  shuffle: false,
});

test("each head's labels come from its own column, in the inputs' row order; every label column is out of the features", async () => {
  const dir = scratchDir("two-heads-rows");
  const file = join(dir, "t.csv");
  const lines = ["a,kind,b,amount,lo,hi"];
  for (let i = 0; i < 40; i++) lines.push(`${i},${i % 3 === 0 ? "cat" : "dog"},${-i},${i * 0.5},${i},${i + 1}`);
  writeFileSync(file, lines.join("\n") + "\n");
  const ds = await loadDataset(csvSpec(file, [
    { name: "amount", labels: { kind: "regression", outputs: 1 }, columns: ["amount"] },
    { name: "kind", labels: { kind: "class", classes: 2, encoding: "sparse" }, columns: ["kind"] },
    { name: "pair", labels: { kind: "regression", outputs: 2 }, columns: ["lo", "hi"] },
  ], { validation: { fraction: 0.25, stratified: true } }), { seed: 3 });
  assert.equal(ds.inputShape, [2], "a and b: no label column is a feature");
  for (const split of [ds.train, ds.validation!]) {
    const [amount, kind, pair] = split.outputs!;
    for (let i = 0; i < split.n; i++) {
      const a = split.inputs![0]!.x[i * 2]!;
      assert.is(amount!.y[i], a * 0.5);
      assert.is(kind!.y[i], a % 3 === 0 ? 0 : 1);
      assert.equal([pair!.y[2 * i], pair!.y[2 * i + 1]], [a, a + 1]);
    }
  }
  // Stratified by the first class head (kind), though the first head is a regression: a quarter
  // of the 14 cats and of the 26 dogs, each rounded.
  const cats = Array.from(ds.validation!.outputs![1]!.y).filter((c) => c === 0).length;
  assert.is(cats, Math.round(14 * 0.25));
  assert.is(ds.validation!.n - cats, Math.round(26 * 0.25));
  assert.equal(ds.classNames, ["cat", "dog"]);
  assert.equal(ds.preprocess.heads!.map((h) => h.classNames ?? null), [null, ["cat", "dog"], null]);
});

test("a missing cell in a label column is an error naming the file, the line and the column", async () => {
  const dir = scratchDir("two-heads-missing");
  const file = join(dir, "m.csv");
  writeFileSync(file, "a,kind,amount\n1,cat,0.5\n2,dog,\n3,cat,1.5\n");
  const spec = csvSpec(file, [
    { name: "kind", labels: { kind: "class", classes: 2, encoding: "sparse" }, columns: ["kind"] },
    { name: "amount", labels: { kind: "regression", outputs: 1 }, columns: ["amount"] },
  ]);
  let message = "";
  try { await loadDataset(spec, { seed: 1 }); } catch (e) { assert.ok(e instanceof DataError, String(e)); message = (e as Error).message; }
  assert.match(message, /m\.csv:3: label column "amount" has a missing value; labels are never filled/);
  writeFileSync(file, "a,kind,amount\n1,cat,0.5\n2,NA,1\n");
  message = "";
  try { await loadDataset(spec, { seed: 1 }); } catch (e) { message = (e as Error).message; }
  assert.match(message, /m\.csv:3: label column "kind" has a missing value \("NA"\)/);
});

test.run();
