// Typed CSV columns and raw text end to end (issue 17): pipelines/tabular_mixed.dlp and
// pipelines/text_classifier.dlp trained by `dlpc run` on data bench/tabular_data.ts generates
// (deterministic), to accuracy bars a model that ignores its input cannot reach; the fitted
// preprocessing saved in preprocess.json and applied again by `dlpc predict`; the encoders'
// Keras semantics (StringLookup OOV 0, TextVectorization padding 0 / OOV 1, post padding), fitting
// on the training split only, and the errors on bad cells naming file, line and column.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, dlpc, scratchDir } from "./compiled.ts";
import { adultLikeCsv, reviewsCsv, writeReviewFolders } from "../../bench/tabular_data.ts";
import { readInput } from "../../runtime/predict.ts";
import { loadDataset } from "../../runtime/data/dataset.ts";
import { encodeColumns, fitColumns, parseDate, tokenize } from "../../runtime/data/columns.ts";
import type { DataSpec, ColumnSpec } from "../../runtime/spec.ts";
import type { FittedColumn } from "../../runtime/data/types.ts";
import { DataError } from "../../runtime/errors.ts";

const table = (cells: Record<string, string[]>) => ({ kind: "table" as const, cells, n: Object.values(cells)[0]!.length, at: (i: number) => `t.csv:${i + 2}` });
const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
const thrown = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof DataError, `not a DataError: ${String(e)}`);
    return (e as Error).message;
  }
  assert.unreachable("no error");
  return "";
};

test("tabular_mixed trains from a mixed-type CSV and learns it; predict applies the saved preprocessing to new rows", () => {
  const cwd = scratchDir("tabular");
  mkdirSync(join(cwd, "data"));
  writeFileSync(join(cwd, "data", "adult_like.csv"), adultLikeCsv(3000, 7));
  copyFileSync(join(REPO, "pipelines", "tabular_mixed.dlp"), join(cwd, "tabular_mixed.dlp"));
  const check = dlpc(cwd, "check", "tabular_mixed.dlp");
  assert.is(check.code, 0, check.stdout + check.stderr);
  const run = dlpc(cwd, "run", "tabular_mixed.dlp", "--out", "out", "--quiet");
  assert.is(run.code, 0, run.stdout + run.stderr);
  const metrics = JSON.parse(readFileSync(join(cwd, "out", "tabular_mixed", "metrics.json"), "utf8"));
  assert.is(metrics.evaluatedOn, "test");
  // 54 % of the rows are <=50K: always answering the majority scores 0.54; the run reaches ~0.86.
  assert.ok(metrics.test.accuracy >= 0.8, `test accuracy ${metrics.test.accuracy}`);
  assert.ok(metrics.test.auc >= 0.85, `test auc ${metrics.test.auc}`);
  const pre = JSON.parse(readFileSync(join(cwd, "out", "tabular_mixed", "preprocess.json"), "utf8"));
  const cols = pre.transforms[0].columns as FittedColumn[];
  assert.is(pre.transforms[0].op, "columns");
  assert.equal(pre.inputShape, [4 + 1 + 8 + 11 + 7 + 13 + 7 + 3 + 1 + 4]);
  const occupation = cols.find((c) => c.column === "occupation")!;
  assert.is(occupation.vocab!.length, 12);
  const hours = cols.find((c) => c.column === "hours_per_week")!;
  assert.type(hours.fill, "number");
  // New rows, columns in another order, an occupation never seen (OOV), an empty hours cell (the median).
  const header = "income,sex,relationship,occupation,marital_status,education,workclass,interview,owns_house,hours_per_week,capital_loss,capital_gain,education_num,age";
  writeFileSync(join(cwd, "new.csv"), `${header}\n?,Male,Husband,Astronaut,Married-civ-spouse,Doctorate,Private,2021-06-01,yes,,0,15000,16,50\n?,Female,Own-child,Other-service,Never-married,9th,Private,2016-01-04,no,20,0,0,4,19\n`);
  const p = dlpc(cwd, "predict", join("out", "tabular_mixed"), "new.csv", "--format", "json");
  assert.is(p.code, 0, p.stdout + p.stderr);
  const rows = JSON.parse(p.stdout);
  const top = (r: { predictions?: { class: string }[]; top?: { class: string }[] }) => (r.predictions ?? r.top)![0]!.class;
  assert.is(rows.length, 2, p.stdout);
  assert.is(top(rows[0]), ">50K", p.stdout);
  assert.is(top(rows[1]), "<=50K", p.stdout);
  // A non-numeric cell in a numeric column: the file, line and column.
  writeFileSync(join(cwd, "bad.csv"), `${header}\n?,Male,Husband,Sales,Divorced,9th,Private,2021-06-01,yes,forty,0,0,9,30\n`);
  const bad = dlpc(cwd, "predict", join("out", "tabular_mixed"), "bad.csv");
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /bad\.csv:2: column "hours_per_week" is not a number: "forty"/);
  writeFileSync(join(cwd, "short.csv"), "age,sex\n30,Male\n");
  const short = dlpc(cwd, "predict", join("out", "tabular_mixed"), "short.csv");
  assert.is(short.code, 1);
  assert.match(short.stderr, /short\.csv:1: no column named "education_num" in the header \(columns: age, sex\)/);
});

test("text_classifier trains from a folder of raw text files per class and learns it; predict reads a .txt", () => {
  const cwd = scratchDir("text");
  writeReviewFolders(join(cwd, "data", "reviews"), 150, 5);
  copyFileSync(join(REPO, "pipelines", "text_classifier.dlp"), join(cwd, "text_classifier.dlp"));
  const run = dlpc(cwd, "run", "text_classifier.dlp", "--out", "out", "--quiet");
  assert.is(run.code, 0, run.stdout + run.stderr);
  const metrics = JSON.parse(readFileSync(join(cwd, "out", "text_classifier", "metrics.json"), "utf8"));
  assert.equal(metrics.classNames, ["neg", "pos"]);
  // Balanced classes: chance is 0.5; the sentiment words make ~0.95 reachable.
  assert.ok(metrics.test.accuracy >= 0.85, `validation accuracy ${metrics.test.accuracy}`);
  writeFileSync(join(cwd, "good.txt"), "I loved it: a superb, delightful and moving film!");
  writeFileSync(join(cwd, "empty.txt"), "");
  const p = dlpc(cwd, "predict", join("out", "text_classifier"), "good.txt", "empty.txt", "--format", "json");
  assert.is(p.code, 0, p.stdout + p.stderr);
  const rows = JSON.parse(p.stdout);
  assert.is(rows.length, 2);
  assert.is((rows[0].predictions ?? rows[0].top)[0].class, "pos", p.stdout);
});

test("a text column of a CSV trains like the folder (the same encoder)", async () => {
  const dir = scratchDir("text-csv");
  writeFileSync(join(dir, "reviews.csv"), reviewsCsv(60, 9));
  const spec: DataSpec = {
    source: { kind: "csv", path: join(dir, "reviews.csv"), label: "sentiment" },
    inputs: [{ name: "x", transforms: [{ op: "columns", columns: [{ column: "review", kind: "text", numWords: 50, maxlen: 12 }] }], shape: [12] }],
    outputs: [{ name: "y", labels: { kind: "class", classes: 2, encoding: "sparse" } }],
    split: { validation: { fraction: 0.25 } },
    augment: [],
    shuffle: false,
  };
  const ds = await loadDataset(spec, { seed: 1 });
  assert.is(ds.train.n, 90);
  assert.is(ds.validation!.n, 30);
  assert.equal(ds.classNames, ["neg", "pos"]);
  const x = ds.train.x;
  for (let i = 0; i < x.length; i++) assert.ok(Number.isInteger(x[i]) && x[i]! >= 0 && x[i]! < 50, `id ${x[i]} at ${i}`);
  const f = ds.preprocess.transforms[0]!;
  assert.is(f.op, "columns");
  // Room for 48 tokens; the generator's reviews use 45 distinct words (25 neutral, 20 sentiment).
  assert.is(f.op === "columns" && f.columns[0]!.vocab!.length, 45);
});

test("a CSV read with delimiter \";\" is read with it again by dlpc predict (the delimiter is saved in preprocess.json)", async () => {
  const dir = scratchDir("semicolon");
  // The generator's `review,sentiment` rows with the separator (each line's last comma) as ";".
  const csv = reviewsCsv(20, 3).split("\n").map((l) => l.replace(/,([^,]*)$/, ";$1")).join("\n");
  writeFileSync(join(dir, "reviews.csv"), csv);
  assert.is(csv.split("\n")[0], "review;sentiment");
  const spec: DataSpec = {
    source: { kind: "csv", path: join(dir, "reviews.csv"), label: "sentiment", delimiter: ";" },
    inputs: [{ name: "x", transforms: [{ op: "columns", columns: [{ column: "review", kind: "text", numWords: 50, maxlen: 12 }] }], shape: [12] }],
    outputs: [{ name: "y", labels: { kind: "class", classes: 2, encoding: "sparse" } }],
    split: {},
    augment: [],
    shuffle: false,
  };
  const ds = await loadDataset(spec, { seed: 1 });
  assert.is(ds.preprocess.delimiter, ";");
  const read = readInput(join(dir, "reviews.csv"), ds.preprocess);
  assert.ok("table" in read && read.table.n === ds.train.n, "every row read back through the saved delimiter");
});

test("text_files with train/ and test/ sub-folders: the test set keeps the training classes and vocabulary", async () => {
  const dir = scratchDir("text-split");
  writeReviewFolders(join(dir, "train"), 20, 1);
  writeReviewFolders(join(dir, "test"), 5, 2);
  const spec: DataSpec = {
    source: { kind: "text_files", dir },
    inputs: [{ name: "x", transforms: [{ op: "columns", columns: [{ column: "texts", kind: "text", numWords: 30, maxlen: 8 }] }], shape: [8] }],
    outputs: [{ name: "y", labels: { kind: "class", classes: 2, encoding: "sparse" } }],
    split: {},
    augment: [],
    shuffle: false,
  };
  const ds = await loadDataset(spec, { seed: 1 });
  assert.is(ds.train.n, 40);
  assert.is(ds.test!.n, 10);
  assert.equal(ds.classNames, ["neg", "pos"]);
  assert.equal(Array.from(ds.test!.y), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  assert.match(ds.description, /train\/ and test\//);
});

test("StringLookup and one-hot: vocabulary by training frequency, OOV and missing cells are id 0", () => {
  const cells = { city: ["b", "a", "b", "c", "b", "a", "zzz", ""] };
  const spec: ColumnSpec[] = [{ column: "city", kind: "category", maxTokens: 3 }];
  // Rows 6 and 7 are not training rows: "zzz" never enters the vocabulary.
  const fitted = fitColumns(spec, table(cells), Int32Array.from([0, 1, 2, 3, 4, 5]), "t.csv");
  assert.equal(fitted[0]!.vocab, ["b", "a"]);
  assert.equal(Array.from(encodeColumns(fitted, table(cells), "t.csv").data), [1, 2, 1, 0, 1, 2, 0, 0]);
  const hot = fitColumns([{ ...spec[0]!, oneHot: true }], table(cells), all(6), "t.csv");
  assert.equal(Array.from(encodeColumns(hot, table({ city: ["a", "nope"] }), "t.csv").data), [0, 0, 1, 1, 0, 0]);
  // fill(value) puts a missing cell into the vocabulary instead.
  const filled = fitColumns([{ ...spec[0]!, fill: { kind: "value", value: "b" } }], table(cells), all(8), "t.csv");
  assert.is(encodeColumns(filled, table({ city: ["?"] }), "t.csv").data[0], 1);
});

test("TextVectorization: lower-cased, punctuation stripped, OOV 1, padding 0 after the text, truncated at maxlen; an empty text is all padding", () => {
  assert.equal(tokenize("Hello, WORLD!  it's   fine."), ["hello", "world", "its", "fine"]);
  const cells = { t: ["the cat sat", "The cat!", "a dog", ""] };
  const f = fitColumns([{ column: "t", kind: "text", numWords: 4, maxlen: 3 }], table(cells), Int32Array.from([0, 1]), "t.csv");
  assert.equal(f[0]!.vocab, ["cat", "the"]);
  const out = encodeColumns(f, table({ t: ["cat the dog the cat", "dog", ""] }), "t.csv").data;
  assert.equal(Array.from(out), [2, 3, 1, 1, 0, 0, 0, 0, 0]);
});

test("numeric scaling and fills are fitted on the training rows only; dates become year, month, day, weekday", async () => {
  const dir = scratchDir("fit-train");
  // The last 2 rows (validation) are huge: the saved mean must not see them.
  writeFileSync(join(dir, "t.csv"), "v,d,y\n0,2024-01-01,0\n3,2024-01-02,1\n,2024-01-03,0\n9,2024-01-04,1\n1000,2024-01-05,0\n2000,2024-01-06,1\n");
  const spec: DataSpec = {
    source: { kind: "csv", path: join(dir, "t.csv"), label: "y" },
    inputs: [{ name: "x", transforms: [{ op: "columns", columns: [{ column: "v", kind: "numeric", fill: { kind: "median" }, scale: { kind: "standardize" } }, { column: "d", kind: "date" }] }], shape: [5] }],
    outputs: [{ name: "y", labels: { kind: "class", classes: 2, encoding: "sparse" } }],
    split: { validation: { last: 2 } },
    augment: [],
    shuffle: false,
  };
  const ds = await loadDataset(spec, { seed: 1 });
  const f = ds.preprocess.transforms[0]!;
  assert.ok(f.op === "columns");
  const v = f.op === "columns" ? f.columns[0]! : undefined;
  assert.is(v!.fill, 3); // median of 0, 3, 9 (their mean is 4)
  assert.is(v!.shift![0], 3.75); // mean of 0, 3, 3 (filled), 9
  const row2 = Array.from(ds.train.x.slice(5, 10));
  assert.ok(row2[0]! < 0 && row2[0]! > -1, `row 2: v = 3, a little below the mean: ${row2[0]}`);
  assert.equal(row2.slice(1), [2024, 1, 2, 1]); // 2024-01-02 is a Tuesday
  assert.equal(parseDate("2024-02-29 10:30"), [2024, 2, 29, 3]);
  assert.is(parseDate("2023-02-29"), undefined);
});

test("bad cells: a non-numeric cell, a missing value without fill, a bad binary or date cell, a column missing from the CSV", async () => {
  assert.match(thrown(() => fitColumns([{ column: "n", kind: "numeric", scale: { kind: "standardize" } }], table({ n: ["1", "x2"] }), all(2), "t.csv")), /^t\.csv:3: column "n" is not a number: "x2"/);
  assert.match(thrown(() => encodeColumns(fitColumns([{ column: "n", kind: "numeric" }], table({ n: ["1", "NA"] }), all(1), "t.csv"), table({ n: ["1", "NA"] }), "t.csv")), /^t\.csv:3: column "n" has a missing value \("NA"\); add `\|> fill\(mean\)`/);
  assert.match(thrown(() => encodeColumns([{ column: "b", kind: "binary" }], table({ b: ["yes", "maybe"] }), "t.csv")), /^t\.csv:3: column "b" is declared binary\(\) but holds "maybe"/);
  assert.match(thrown(() => encodeColumns([{ column: "d", kind: "date" }], table({ d: ["2020-13-01"] }), "t.csv")), /^t\.csv:2: column "d" is declared date\(\) but "2020-13-01" is not a date/);
  const dir = scratchDir("missing-col");
  writeFileSync(join(dir, "t.csv"), "a,label\n1,0\n2,1\n");
  const spec: DataSpec = {
    source: { kind: "csv", path: join(dir, "t.csv"), label: "label" },
    inputs: [{ name: "x", transforms: [{ op: "columns", columns: [{ column: "a", kind: "numeric" }, { column: "b", kind: "numeric" }] }], shape: [2] }],
    outputs: [{ name: "y", labels: { kind: "class", classes: 2, encoding: "sparse" } }],
    split: {},
    augment: [],
    shuffle: false,
  };
  let message = "";
  try {
    await loadDataset(spec, { seed: 1 });
  } catch (e) {
    message = (e as Error).message;
  }
  assert.match(message, /t\.csv:1: no column named "b" in the header \(columns: a, label\)/);
});

test.run();
