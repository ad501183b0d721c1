// The .dlp examples of the README and the tutorials are real: every ```dlp block of README.md and
// docs/**/*.md is in `dlpc fmt` form, checks without errors or warnings and compiles to TypeScript,
// and the README's first one is the main job, pipelines/mnist_cnn.dlp (less its comments).
// docs/reference.md and docs/diagnostics.md are generated, their blocks (fragments, and the
// diagnostics' deliberate mistakes) checked by their generators and freshness tests instead.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compile } from "../../compiler/driver.ts";
import { formatDlp } from "../../compiler/format/format.ts";
import { emitPipeline } from "../../compiler/codegen/emit.ts";

const GENERATED = new Set(["docs/reference.md", "docs/diagnostics.md"]);
const dlpBlocks = (file: string): string[] => [...readFileSync(file, "utf8").matchAll(/^```dlp\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
const markdown = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? markdown(join(dir, e.name)) : e.name.endsWith(".md") ? [join(dir, e.name)] : []));
const docs = ["README.md", ...markdown("docs").filter((f) => !GENERATED.has(f))];
const blocks = dlpBlocks("README.md");

test("every dlp block of README.md and docs/**/*.md is canonical, checks clean and compiles", () => {
  assert.ok(blocks.length >= 1, "the README has a ```dlp block");
  const tutorials = docs.filter((f) => f.startsWith("docs/tutorials/"));
  for (const kind of ["images", "csv-regression", "csv-classification", "text", "time-series"]) assert.ok(tutorials.includes(`docs/tutorials/${kind}.md`), kind);
  let n = 0;
  for (const file of docs) {
    for (const b of dlpBlocks(file)) {
      n++;
      const f = formatDlp(b);
      assert.ok(f.ok, `${file}:\n${b}`);
      if (f.ok) assert.fixture(b, f.text, `a block of ${file} is not in \`dlpc fmt\` form`);
      const r = compile(b, { file });
      assert.equal(r.diagnostics.filter((d) => d.severity === "error" || d.severity === "warning").map((d) => `${d.severity}[${d.code}] ${d.message}`), [], `${file}:\n${b}`);
      const ts = emitPipeline(r.checked!, file, r.sourceHash);
      assert.match(ts, "export const pipeline: CompiledPipeline<Params>", file);
    }
  }
  assert.ok(n >= 7, `${n} blocks`);
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
