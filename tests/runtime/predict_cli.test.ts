// `dlpc predict RUN_DIR INPUT...` as a user runs it: one image, several files, a folder (its
// images, recursively), a CSV of samples; a table, or --format csv|json, with the top-k classes
// and their probabilities; clear errors for a missing input or a folder with no images.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PNG } from "pngjs";
import { REPO, scratchDir } from "./compiled.ts";

const DLPC = join(REPO, "bin", "dlpc.mjs");
interface Out { code: number | null; stdout: string; stderr: string }
function dlpc(cwd: string, ...args: string[]): Out {
  const r = spawnSync(process.execPath, [DLPC, ...args], { cwd, encoding: "utf8", timeout: 240_000, env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const show = (o: Out): string => `exit ${o.code}\n--- stdout\n${o.stdout}\n--- stderr\n${o.stderr}`;

const digits = `pipeline digits {
  seed 3
  data {
    source mnist
    x = images / 255 as image[28, 28, 1]
    y = labels as class(10)
    split validation 10%
  }
  model {
    flatten()
    dense(10, activation: softmax)
  }
  train {
    loss sparse_categorical_crossentropy
    optimizer adam(lr: 1e-3)
    batch 32
    epochs 1
  }
}
`;

function png(file: string, seed: number): void {
  const p = new PNG({ width: 28, height: 28 });
  for (let i = 0; i < 28 * 28; i++) {
    const v = (i * seed * 7) % 255;
    p.data[i * 4] = p.data[i * 4 + 1] = p.data[i * 4 + 2] = v;
    p.data[i * 4 + 3] = 255;
  }
  writeFileSync(file, PNG.sync.write(p));
}

test("images: one file, several, a folder recursively; table, csv and json agree", () => {
  const cwd = scratchDir("predict-images");
  writeFileSync(join(cwd, "digits.dlp"), digits);
  const r = dlpc(cwd, "run", "digits.dlp", "--backend", "wasm", "--limit", "200", "--quiet");
  assert.is(r.code, 0, show(r));
  mkdirSync(join(cwd, "pics", "more"), { recursive: true });
  png(join(cwd, "pics", "a.png"), 1);
  png(join(cwd, "pics", "more", "b.png"), 2);
  writeFileSync(join(cwd, "pics", "notes.txt"), "not an image\n");

  const table = dlpc(cwd, "predict", "runs/digits", "pics", "--backend", "wasm", "-k", "2");
  assert.is(table.code, 0, show(table));
  const lines = table.stdout.trimEnd().split("\n");
  assert.is(lines.length, 3, table.stdout);
  assert.match(lines[0]!, /^input\s+class_1\s+prob_1\s+class_2\s+prob_2$/);
  assert.match(lines[1]!, /^pics\/a\.png\s+\d\s+[01]\.\d{4}\s+\d\s+[01]\.\d{4}$/);
  assert.match(lines[2]!, /^pics\/more\/b\.png\s/);

  const csv = dlpc(cwd, "predict", "runs/digits", "pics/a.png", "pics/more/b.png", "--format", "csv", "--backend", "wasm", "--top", "3");
  assert.is(csv.code, 0, show(csv));
  const rows = csv.stdout.trimEnd().split("\n").map((l) => l.split(","));
  assert.equal(rows[0], ["input", "row", "class_1", "prob_1", "class_2", "prob_2", "class_3", "prob_3"]);
  assert.is(rows.length, 3);
  const json = dlpc(cwd, "predict", "runs/digits", "pics", "--format", "json", "--backend", "wasm", "--top", "3");
  assert.is(json.code, 0, show(json));
  const parsed = JSON.parse(json.stdout) as { input: string; top: { class: string; probability: number }[] }[];
  assert.equal(parsed.map((p) => p.input), ["pics/a.png", "pics/more/b.png"]);
  for (const [i, p] of parsed.entries()) {
    assert.is(p.top.length, 3);
    assert.ok(p.top[0]!.probability >= p.top[1]!.probability && p.top[1]!.probability >= p.top[2]!.probability);
    assert.is(p.top[0]!.class, rows[i + 1]![2], "csv and json give the same top class");
    assert.is(p.top[0]!.probability.toFixed(4), rows[i + 1]![3]);
  }
  assert.is(table.stdout.split("\n")[1]!.split(/\s+/)[1], rows[1]![2], "table and csv give the same top class");

  const none = dlpc(cwd, "predict", "runs/digits", "pics/more/../../runs");
  assert.is(none.code, 2, show(none));
  assert.match(none.stderr, /^error: pics\/more\/\.\.\/\.\.\/runs holds no \.png or \.jpg images$/m);
  const missing = dlpc(cwd, "predict", "runs/digits", "nope.png");
  assert.is(missing.code, 2, show(missing));
  assert.match(missing.stderr, /^error: no such file or folder: nope\.png$/m);
});

test("a CSV of samples: one row per sample, the row index in its own column", () => {
  const cwd = scratchDir("predict-csv");
  const rows = Array.from({ length: 40 }, (_, i) => `${i % 2 ? 1 + i / 40 : -1 - i / 40},${(i * 7) % 5},${i % 2 ? "b" : "a"}`);
  writeFileSync(join(cwd, "flowers.csv"), `x1,x2,kind\n${rows.join("\n")}\n`);
  writeFileSync(join(cwd, "flowers.dlp"), `pipeline flowers {
  seed 1
  data {
    source csv("flowers.csv", label: "kind")
    x = (features |> standardize()) as vector[2]
    y = labels as class(2)
    split validation 20%
  }
  model { dense(2, activation: softmax) }
  train {
    loss sparse_categorical_crossentropy
    optimizer sgd(lr: 0.05)
    batch 8
    epochs 1
  }
}
`);
  const r = dlpc(cwd, "run", "flowers.dlp", "--backend", "wasm", "--quiet");
  assert.is(r.code, 0, show(r));
  writeFileSync(join(cwd, "new.csv"), "x1,x2\n1.5,2\n-1.5,0\n0.9,4\n");
  const t = dlpc(cwd, "predict", "runs/flowers", "new.csv", "--backend", "wasm");
  assert.is(t.code, 0, show(t));
  const lines = t.stdout.trimEnd().split("\n");
  assert.match(lines[0]!, /^input\s+row\s+class_1\s+prob_1\s+class_2\s+prob_2$/);
  assert.is(lines.length, 4);
  lines.slice(1).forEach((l, i) => assert.match(l, new RegExp(`^new\\.csv\\s+${i}\\s+[ab]\\s+0\\.\\d{4}\\s+[ab]\\s+0\\.\\d{4}$`)));
  const j = JSON.parse(dlpc(cwd, "predict", "runs/flowers", "new.csv", "--format", "json", "--backend", "wasm", "-k", "1").stdout) as { row: number; top: { class: string; probability: number }[] }[];
  assert.equal(j.map((s) => s.row), [0, 1, 2]);
  for (const s of j) assert.ok(s.top.length === 1 && s.top[0]!.probability >= 0.5, JSON.stringify(s));
});

test.run();
