// Check speed with check-time data facts (issue 13, point 2): in-process `compile()` of
// bench/check_speed.ts's generated ~500-line pipeline reading an IDX folder of Fashion-MNIST's
// size (60 000 28×28 images), with the folder absent, present (the probe's cache answers after
// one stat per file), and present with the cache dropped before every run (what the first check
// after a data change pays). Warm: 30 runs first, then p50/p95 over --runs.
//
//   npx tsx bench/data_facts.ts [--runs 50]
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../compiler/driver.ts";
import { encodeIdx } from "../runtime/data/idx.ts";
import { clearProbeCache } from "../runtime/data/probe.ts";
import { generatePipeline } from "./check_speed.ts";

const runs = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 50;
const root = mkdtempSync(join(tmpdir(), "dlp-facts-bench-"));
const present = join(root, "fashion");
const pipelineFor = (dir: string) => {
  const text = generatePipeline(500).replace(/source fashion_mnist/, `source idx(${JSON.stringify(dir)})`);
  if (!text.includes("source idx(")) throw new Error("the generated pipeline no longer reads fashion_mnist");
  return text;
};
mkdirSync(present);
const n = 60_000;
writeFileSync(join(present, "train-images-idx3-ubyte"), encodeIdx([n, 28, 28], new Uint8Array(n * 784)));
writeFileSync(join(present, "train-labels-idx1-ubyte"), encodeIdx([n], Uint8Array.from({ length: n }, (_, i) => i % 10)));

// The three variants run interleaved, one compile each in turn, so load changes hit all alike.
const variants = [
  { label: "folder absent (info note)", text: pipelineFor(join(root, "absent")), before: () => {} },
  { label: "folder present, cached", text: pipelineFor(present), before: () => {} },
  { label: "folder present, cache dropped every run", text: pipelineFor(present), before: clearProbeCache },
];
const ms = variants.map(() => [] as number[]);
for (let i = 0; i < 30 + runs; i++) {
  variants.forEach((v, k) => {
    v.before();
    const t = performance.now();
    const r = compile(v.text, { file: "bench.dlp" });
    const dt = performance.now() - t;
    if (r.diagnostics.some((d) => d.severity === "error")) throw new Error(`${v.label}: ${r.diagnostics.map((d) => d.message).join("; ")}`);
    if (i >= 30) ms[k]!.push(dt);
  });
}
rmSync(root, { recursive: true, force: true });
variants.forEach((v, k) => {
  const m = ms[k]!.sort((a, b) => a - b);
  console.log(`${v.label.padEnd(42)} p50 ${m[Math.floor(m.length / 2)]!.toFixed(1)} ms  p95 ${m[Math.floor(m.length * 0.95)]!.toFixed(1)} ms`);
});
