// `dlpc init --data PATH` on each kind of data it knows (a CSV with text labels, a CSV with a
// numeric target and a text column, an IDX folder with a test set, an image folder) writes a
// .dlp that `dlpc check` passes and `dlpc run` trains; bad input is one clear line.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PNG } from "pngjs";
import { REPO, scratchDir } from "./compiled.ts";
import { encodeIdx } from "../../runtime/data/idx.ts";

const DLPC = join(REPO, "bin", "dlpc.mjs");
interface Out { code: number | null; stdout: string; stderr: string }
function dlpc(cwd: string, ...args: string[]): Out {
  const r = spawnSync(process.execPath, [DLPC, ...args], { cwd, encoding: "utf8", timeout: 240_000, env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const show = (o: Out): string => `exit ${o.code}\n--- stdout\n${o.stdout}\n--- stderr\n${o.stderr}`;

/** init, then check (no diagnostics at all), then a one-epoch run. */
function initCheckRun(cwd: string, file: string, ...initArgs: string[]): string {
  const i = dlpc(cwd, "init", ...initArgs);
  assert.is(i.code, 0, show(i));
  assert.match(i.stdout, `wrote ${file}: `);
  assert.is(i.stderr, "", "no warnings about what init wrote");
  const text = readFileSync(join(cwd, file), "utf8");
  const c = dlpc(cwd, "check", file);
  assert.is(c.code, 0, show(c));
  assert.is(c.stderr, "", show(c));
  const f = dlpc(cwd, "fmt", "--check", file);
  assert.is(f.code, 0, "init writes the canonical format");
  const r = dlpc(cwd, "run", file, "--epochs", "1", "--backend", "wasm", "--quiet");
  assert.is(r.code, 0, `${text}\n${show(r)}`);
  return text;
}

test("CSV: text labels are classes; a numeric target is regression, a text column is typed", () => {
  const cwd = scratchDir("init-csv");
  const kinds = ["setosa", "versicolor", "virginica"];
  writeFileSync(join(cwd, "iris data.csv"), "sepal_length,sepal_width,petal_length,species\n" + Array.from({ length: 30 }, (_, i) => `${5 + (i % 3) + i / 100},${3 + i / 50},${1 + 2 * (i % 3)},${kinds[i % 3]}`).join("\n") + "\n");
  const iris = initCheckRun(cwd, "iris_data.dlp", "--data", "iris data.csv");
  assert.match(iris, 'source csv("iris data.csv", label: "species")');
  assert.match(iris, "x = (features |> standardize()) as vector[3]");
  assert.match(iris, "y = labels as class(3)");
  assert.match(iris, "dense(3, activation: softmax)");

  writeFileSync(join(cwd, "houses.csv"), "rooms;area;city;price\n" + Array.from({ length: 30 }, (_, i) => `${1 + (i % 5)};${40 + i * 3};c${i % 3};${100 + i * 7.5}`).join("\n") + "\n");
  const houses = initCheckRun(cwd, "prices.dlp", "--data", "houses.csv", "--target", "price", "-o", "prices.dlp");
  assert.match(houses, 'source csv("houses.csv", label: "price", delimiter: ";")');
  assert.match(houses, "x = concat(columns(rooms, area) |> standardize(), city |> category(max_tokens: 4) |> one_hot())");
  assert.match(houses, "y = labels as regression");
  assert.match(houses, "loss      mse");
  assert.match(houses, "city category (3 values)");

  const again = dlpc(cwd, "init", "--data", "houses.csv", "-o", "prices.dlp");
  assert.is(again.code, 2, show(again));
  assert.match(again.stderr, "error: prices.dlp exists; pass --force to replace it, or -o FILE");
  const col = dlpc(cwd, "init", "--data", "houses.csv", "--target", "cost");
  assert.is(col.code, 2, show(col));
  assert.match(col.stderr, "error: --target cost: houses.csv has no such column (columns: rooms, area, city, price)");
});

test("CSV of mixed types: numbers (filled where missing), categories, yes/no, dates and free text, each with its own stage, and an embedding branch for the text", () => {
  const cwd = scratchDir("init-typed");
  const rows = ["id,age,city,review,joined,member,score"];
  const reviews: string[] = [];
  const good = ["great", "wonderful", "loved", "superb"], bad = ["awful", "boring", "dull", "poor"];
  for (let i = 0; i < 120; i++) {
    const pos = i % 2 === 1;
    reviews.push(Array.from({ length: 6 + (i % 7) }, (_, k) => (k % 3 === 0 ? (pos ? good : bad)[(i + k) % 4] : ["the", "film", "plot", "was", "really"][(i * k) % 5])).join(" ") + ", truly");
    rows.push([`u${1000 + i}`, i % 17 === 0 ? "" : String(20 + (i % 40)), ["Lisbon", "Porto", "Faro"][i % 3], `"${reviews[i]}"`, `2020-0${1 + (i % 9)}-1${i % 9}`, i % 5 === 0 ? "NA" : i % 2 ? "yes" : "no", pos ? "good" : "bad"].join(","));
  }
  writeFileSync(join(cwd, "people.csv"), rows.join("\n") + "\n");
  const text = initCheckRun(cwd, "people.dlp", "--data", "people.csv");
  assert.match(text, 'source csv("people.csv", label: "score")');
  assert.match(text, "x            = concat(age |> fill(median) |> standardize(), city |> category(max_tokens: 4) |> one_hot(), joined |> date() |> standardize(), member |> binary() |> fill(mode))");
  assert.match(text, /review_words = review \|> text\(num_words: \d+, maxlen: \d+\)/);
  assert.match(text, /t0 = review_words \|> embedding\(\d+, \d+\) \|> global_avg_pool1d\(\)/);
  assert.match(text, "concatenate(t0, f)");
  assert.match(text, "left out: id (120 distinct short values, an identifier?)");
  // The vocabulary is the text's words plus padding and the out-of-vocabulary id, and the embedding reads all of it.
  const [, words, dim] = /text\(num_words: (\d+).*embedding\((\d+)/s.exec(text)!;
  assert.is(words, dim);
  assert.is(Number(words), 2 + new Set(reviews.flatMap((r) => r.replace(",", "").split(" "))).size);
  // The trained model answers a CSV that names every column of both inputs.
  writeFileSync(join(cwd, "new.csv"), rows.slice(0, 3).join("\n") + "\n");
  const p = dlpc(cwd, "predict", join("runs", "people"), "new.csv");
  assert.is(p.code, 0, show(p));
  assert.match(p.stdout, /new\.csv\s+1\s+(good|bad)/);

  // Only a text column: one input read by an embedding.
  writeFileSync(join(cwd, "notes.csv"), "note,label\n" + reviews.map((r, i) => `"${r}",${i % 2}`).join("\n") + "\n");
  const notes = initCheckRun(cwd, "notes.dlp", "--data", "notes.csv");
  assert.match(notes, /x = note \|> text\(num_words: \d+, maxlen: \d+\)/);
  assert.match(notes, /embedding\(\d+, \d+\)\n\s+global_avg_pool1d\(\)/);
});

test("an IDX folder with a test set, and an image folder with one sub-folder per class", () => {
  const cwd = scratchDir("init-folders");
  const digits = join(cwd, "digits");
  mkdirSync(digits);
  const n = 60;
  writeFileSync(join(digits, "train-images-idx3-ubyte"), encodeIdx([n, 12, 12], Array.from({ length: n * 144 }, (_, i) => (i * 13) % 256)));
  writeFileSync(join(digits, "train-labels-idx1-ubyte"), encodeIdx([n], Array.from({ length: n }, (_, i) => i % 4)));
  writeFileSync(join(digits, "t10k-images-idx3-ubyte"), encodeIdx([8, 12, 12], new Array(8 * 144).fill(9)));
  writeFileSync(join(digits, "t10k-labels-idx1-ubyte"), encodeIdx([8], [0, 1, 2, 3, 0, 1, 2, 3]));
  const idx = initCheckRun(cwd, "digits.dlp", "--data", "digits");
  assert.match(idx, 'source idx("digits")');
  assert.match(idx, "x = images / 255 as image[12, 12, 1]");
  assert.match(idx, "y = labels as class(4)");
  assert.match(idx, "evaluate test");

  for (const [cls, seed] of [["cat", 1], ["dog", 2]] as const) {
    mkdirSync(join(cwd, "pets", cls), { recursive: true });
    for (let k = 0; k < 4; k++) {
      const p = new PNG({ width: 20, height: 16 });
      for (let i = 0; i < 20 * 16; i++) { p.data[i * 4] = (i * seed + k) % 255; p.data[i * 4 + 1] = 40 * seed; p.data[i * 4 + 2] = 3 * k; p.data[i * 4 + 3] = 255; }
      writeFileSync(join(cwd, "pets", cls, `${k}.png`), PNG.sync.write(p));
    }
  }
  const pets = initCheckRun(cwd, "pets.dlp", "--data", "pets");
  assert.match(pets, 'source images("pets", size: [16, 20])');
  assert.match(pets, "y = labels as class(2)");
  assert.match(pets, "global_avg_pool()");

  mkdirSync(join(cwd, "nothing"));
  const none = dlpc(cwd, "init", "--data", "nothing");
  assert.is(none.code, 1, show(none));
  assert.is(none.stderr.trim().split("\n").length, 1, show(none));
  assert.match(none.stderr, /^error: nothing: expected a CSV file, a folder of IDX files/);
  assert.not.ok(existsSync(join(cwd, "nothing.dlp")));
  const missing = dlpc(cwd, "init");
  assert.is(missing.code, 2, show(missing));
  assert.match(missing.stderr, "error: required option '--data <path>' not specified");
});

test.run();
