// Check speed with check-time data facts (issue 13, point 2), for each kind of source whose
// facts live in the user's files — `csv(…)`, `idx(…)`, `images(…)` — with its files present and
// absent. bench/check_speed.ts's generated ~500-line pipeline (288 tuning combinations), its
// source replaced by:
//   csv     a 2 000-row CSV of 784 pixel columns + label (≈ 3.2 MB; the probe reads 1 MiB of it)
//   idx     a Fashion-MNIST-sized IDX folder (60 000 28×28 images, 47 MB; headers + label bytes)
//   images  a folder of 10 class folders × 100 PNGs (a listing and one image name per class)
// 1. In-process `compile()` (what the language server runs per keystroke), warm (30 runs first),
//    p50/p95 over --runs: absent (an info note), present and cached (one stat per file, what a
//    keystroke re-check pays), present with the cache dropped before every compile (the first
//    check after a data change).
// 2. Cold `node bin/dlpc.mjs check FILE`, a fresh process each time (its cache starts empty), median
//    over --cold rounds.
// 3. The language server through its stdio transport (`dlpc lsp`, bench/lsp.ts's client): one
//    document per variant, didChange → publishDiagnostics p50/p95 over --lsp-edits edits each.
// Every section runs its variants interleaved (one of each in turn), so load changes hit all alike.
//
//   npx tsx bench/data_facts.ts [--runs 50] [--cold 7] [--lsp-edits 60]
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { PNG } from "pngjs";
import { compile } from "../compiler/driver.ts";
import { encodeIdx } from "../runtime/data/idx.ts";
import { clearProbeCache } from "../runtime/data/probe.ts";
import { startClient } from "../tests/lsp/client.ts";
import { generatePipeline } from "./check_speed.ts";

const arg = (k: string, d: number) => (process.argv.includes(k) ? Number(process.argv[process.argv.indexOf(k) + 1]) : d);
const runs = arg("--runs", 50);
const coldRuns = arg("--cold", 7);
const lspEdits = arg("--lsp-edits", 60);
const root = mkdtempSync(join(tmpdir(), "dlp-facts-bench-"));

// ---- the data ----------------------------------------------------------------------------
const csvFile = join(root, "pixels.csv");
{
  const rows = ["" + Array.from({ length: 784 }, (_, i) => `p${i}`).join(",") + ",label"];
  for (let r = 0; r < 2000; r++) rows.push(Array.from({ length: 784 }, (_, i) => (r * 31 + i * 7) % 256).join(",") + `,${r % 10}`);
  writeFileSync(csvFile, rows.join("\n") + "\n");
}
const idxDir = join(root, "fashion");
mkdirSync(idxDir);
const n = 60_000;
writeFileSync(join(idxDir, "train-images-idx3-ubyte"), encodeIdx([n, 28, 28], new Uint8Array(n * 784)));
writeFileSync(join(idxDir, "train-labels-idx1-ubyte"), encodeIdx([n], Uint8Array.from({ length: n }, (_, i) => i % 10)));
const imgDir = join(root, "pictures");
{
  const png = PNG.sync.write(new PNG({ width: 28, height: 28 }));
  for (let c = 0; c < 10; c++) {
    mkdirSync(join(imgDir, `class${c}`), { recursive: true });
    for (let k = 0; k < 100; k++) writeFileSync(join(imgDir, `class${c}`, `${k}.png`), png);
  }
}

const base = generatePipeline(500);
if (!base.includes("source fashion_mnist") || !base.includes("x = images / 255 as image[28, 28, 1]")) throw new Error("the generated pipeline changed: update bench/data_facts.ts");
const withSource = (source: string, x: string) => base.replace("source fashion_mnist", `source ${source}`).replace("x = images / 255 as image[28, 28, 1]", x);
const sources = {
  csv: (p: string) => withSource(`csv(${JSON.stringify(p)})`, "x = features / 255 as image[28, 28, 1]"),
  idx: (p: string) => withSource(`idx(${JSON.stringify(p)})`, "x = images / 255 as image[28, 28, 1]"),
  images: (p: string) => withSource(`images(${JSON.stringify(p)}, size: [28, 28], channels: 1)`, "x = images / 255 as image[28, 28, 1]"),
};
const present = { csv: csvFile, idx: idxDir, images: imgDir };
type Kind = keyof typeof sources;
const kinds = Object.keys(sources) as Kind[];
const variants = kinds.flatMap((k) => [
  { kind: k, state: "absent", text: sources[k](join(root, `absent-${k}`)) },
  { kind: k, state: "present", text: sources[k](present[k]) },
]);
for (const v of variants) {
  const r = compile(v.text, { file: "bench.dlp" });
  const errs = r.diagnostics.filter((d) => d.severity === "error");
  if (errs.length) throw new Error(`${v.kind} ${v.state}: ${errs.map((d) => d.message).join("; ")}`);
  const note = r.diagnostics.some((d) => d.code === "DLP4012");
  if (note !== (v.state === "absent")) throw new Error(`${v.kind} ${v.state}: the DLP4012 note is ${note ? "there" : "missing"}`);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!.toFixed(1);
};

// ---- 1. in-process ---------------------------------------------------------------------
// Each round: the cache-dropped variants first, then an untimed check of every present variant
// (so the cache holds them again: dropping it drops every entry), then the absent and cached ones.
const dropped = kinds.map((k) => ({ label: `${k} present, cache dropped`, text: sources[k](present[k]), dropped: true }));
const steady = variants.map((v) => ({ label: `${v.kind} ${v.state}${v.state === "present" ? ", cached" : ""}`, text: v.text, dropped: false }));
const inProcess = [...steady, ...dropped];
const ms = inProcess.map(() => [] as number[]);
const timed = (text: string): number => {
  const t = performance.now();
  compile(text, { file: "bench.dlp" });
  return performance.now() - t;
};
for (let i = 0; i < 30 + runs; i++) {
  dropped.forEach((v, k) => {
    clearProbeCache();
    const dt = timed(v.text);
    if (i >= 30) ms[steady.length + k]!.push(dt);
  });
  for (const v of variants) if (v.state === "present") compile(v.text, { file: "bench.dlp" });
  steady.forEach((v, k) => {
    const dt = timed(v.text);
    if (i >= 30) ms[k]!.push(dt);
  });
}

// ---- 2. cold dlpc check -----------------------------------------------------------------
const files = variants.map((v) => {
  const f = join(root, `${v.kind}-${v.state}.dlp`);
  writeFileSync(f, v.text);
  return f;
});
const cold = variants.map(() => [] as number[]);
for (let i = 0; i < coldRuns; i++) {
  files.forEach((f, k) => {
    const t = performance.now();
    const r = spawnSync(process.execPath, ["bin/dlpc.mjs", "check", f], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    cold[k]!.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`dlpc check ${f}: exit ${r.status}\n${r.stdout}${r.stderr}`);
  });
}

// ---- 3. the language server --------------------------------------------------------------
const client = await startClient({}, [], process.env.DLP_LSP_SERVER);
const docs = variants.map((v, k) => ({ uri: pathToFileURL(files[k]!).href, text: v.text, version: 1 }));
for (const d of docs) await client.open(d.uri, d.text);
const seedLine = base.split("\n").findIndex((l) => l.trim() === "seed 7");
const col = base.split("\n")[seedLine]!.indexOf("7");
const lsp = variants.map(() => [] as number[]);
for (let i = 0; i < 5 + lspEdits; i++) {
  for (const [k, d] of docs.entries()) {
    d.version++;
    const next = client.nextDiagnostics(d.uri, d.version, 60_000);
    const t = performance.now();
    // `seed 7` ↔ `seed 8`: a keystroke that keeps the file valid.
    client.change(d.uri, d.version, [{ range: { start: { line: seedLine, character: col }, end: { line: seedLine, character: col + 1 } }, text: d.version % 2 ? "7" : "8" }]);
    const p = await next;
    if (i >= 5) lsp[k]!.push(performance.now() - t);
    if (p.diagnostics.some((x) => x.severity === 1)) throw new Error(`${variants[k]!.kind} ${variants[k]!.state}: the server reports an error`);
  }
}
await client.close();
rmSync(root, { recursive: true, force: true });

console.log(`in-process compile() of the ${base.split("\n").length - 1}-line pipeline, warm, ${runs} runs each (p50 / p95 ms):`);
inProcess.forEach((v, k) => console.log(`  ${v.label.padEnd(32)} ${String(pct(ms[k]!, 50)).padStart(7)} / ${pct(ms[k]!, 95)}`));
console.log(`cold \`node bin/dlpc.mjs check FILE\`, ${coldRuns} rounds (median / min ms):`);
variants.forEach((v, k) => console.log(`  ${`${v.kind} ${v.state}`.padEnd(32)} ${String(pct(cold[k]!, 50)).padStart(7)} / ${Math.min(...cold[k]!).toFixed(1)}`));
console.log(`language server didChange → publishDiagnostics, ${lspEdits} edits each (p50 / p95 ms):`);
variants.forEach((v, k) => console.log(`  ${`${v.kind} ${v.state}`.padEnd(32)} ${String(pct(lsp[k]!, 50)).padStart(7)} / ${pct(lsp[k]!, 95)}`));
