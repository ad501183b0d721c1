// The README's .dlp examples are real: every ```dlp block is in `dlpc fmt` form and compiles
// without errors, and the first one is the main job, pipelines/mnist_cnn.dlp (less its comments).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { compile } from "../../compiler/driver.ts";
import { formatDlp } from "../../compiler/format/format.ts";

const readme = readFileSync("README.md", "utf8");
const blocks = [...readme.matchAll(/^```dlp\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);

test("every dlp block in the README is canonical and compiles", () => {
  assert.ok(blocks.length >= 1, "the README has a ```dlp block");
  for (const b of blocks) {
    const f = formatDlp(b);
    assert.ok(f.ok, b);
    if (f.ok) assert.fixture(b, f.text, "a README block is not in `dlpc fmt` form");
    const r = compile(b, { file: "README.md" });
    assert.equal(r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), [], b);
  }
});

test("the README's first block is pipelines/mnist_cnn.dlp, the job `npm start` runs", () => {
  const file = readFileSync("pipelines/mnist_cnn.dlp", "utf8").replace(/^(\/\/[^\n]*\n)+/, "");
  assert.fixture(blocks[0]!, file);
  assert.match(JSON.parse(readFileSync("package.json", "utf8")).scripts.start, "pipelines/mnist_cnn.dlp");
});

test("the main job and every tutorial model (pipelines/, pipelines/zoo/) check without warnings", () => {
  const files = [...readdirSync("pipelines"), ...readdirSync("pipelines/zoo").map((f) => `zoo/${f}`)].filter((f) => f.endsWith(".dlp"));
  assert.ok(files.length >= 10);
  const noisy: string[] = [];
  for (const f of files) {
    const file = `pipelines/${f}`;
    const r = compile(readFileSync(file, "utf8"), { file });
    if (r.hasErrors) noisy.push(`${file}: has errors`);
    for (const d of r.diagnostics) if (d.severity === "warning") noisy.push(`${file}: warning[${d.code}] ${d.message}`);
  }
  assert.equal(noisy, []);
});

test.run();
