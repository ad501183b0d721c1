// Every tutorial in docs/tutorials/ trains: docs/tutorials/make_data.mjs writes its data into a
// scratch folder, and each tutorial's ```dlp block runs there with `dlpc run` (one epoch, the
// first 200 training samples, wasm) exactly as the tutorial says to run it, from that folder.
// The blocks' form and checks are tests/compiler/readme.test.ts's.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, scratchDir } from "./compiled.ts";

const DLPC = join(REPO, "bin", "dlpc.mjs");
const TUTORIALS = join(REPO, "docs", "tutorials");
interface Out { code: number | null; stdout: string; stderr: string }
const show = (o: Out): string => `exit ${o.code}\n--- stdout\n${o.stdout}\n--- stderr\n${o.stderr}`;
function node(cwd: string, env: Record<string, string>, ...args: string[]): Out {
  const r = spawnSync(process.execPath, args, { cwd, encoding: "utf8", timeout: 300_000, env: { ...process.env, NO_COLOR: "1", ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const cwd = scratchDir("tutorials");

test("make_data.mjs writes every tutorial's data, the same bytes on every run", () => {
  const a = node(cwd, {}, join(TUTORIALS, "make_data.mjs"), "data");
  assert.is(a.code, 0, show(a));
  const b = node(cwd, {}, join(TUTORIALS, "make_data.mjs"), "again");
  assert.is(b.code, 0, show(b));
  for (const f of ["houses.csv", "flowers.csv", "sensor.csv", "imdb/train.txt", "shapes-idx/train-images-idx3-ubyte", "shapes/test/cross/cross_049.png"]) {
    const hash = (dir: string) => createHash("sha256").update(readFileSync(join(cwd, dir, f))).digest("hex");
    assert.is(hash("data"), hash("again"), f);
  }
});

const tutorials = readdirSync(TUTORIALS).filter((f) => f.endsWith(".md") && f !== "README.md");
for (const md of tutorials) {
  const text = readFileSync(join(TUTORIALS, md), "utf8");
  for (const [, block] of text.matchAll(/^```dlp\n([\s\S]*?)^```$/gm)) {
    const name = /^pipeline (\w+)/m.exec(block!)![1]!;
    test(`${md}: ${name}.dlp trains on make_data.mjs's data as the tutorial runs it`, () => {
      const file = `${name}.dlp`;
      assert.match(text, `dlpc run ${file}`, "the tutorial gives the command");
      writeFileSync(join(cwd, file), block!);
      // The tutorial's own environment for the run (text.md: DLP_DATA=data).
      const env = new RegExp(`^(\\w+)=(\\S+) dlpc run ${file}`, "m").exec(text);
      const r = node(cwd, env ? { [env[1]!]: env[2]! } : {}, DLPC, "run", file, "--epochs", "1", "--limit", "200", "--backend", "wasm", "--quiet");
      assert.is(r.code, 0, show(r));
      const metrics = JSON.parse(readFileSync(join(cwd, "runs", name, "metrics.json"), "utf8")) as Record<string, unknown>;
      assert.ok(Object.keys(metrics).length > 0, JSON.stringify(metrics));
      assert.ok(existsSync(join(cwd, "runs", name, "model.json")));
    });
  }
}

test("one tutorial per kind of data", () => {
  assert.equal([...tutorials].sort(), ["csv-classification.md", "csv-regression.md", "images.md", "text.md", "time-series.md"]);
});

test.run();
