// Compiler speed of two trees under the same load: both trees' compile() are loaded into one
// process and called alternately on the same generated pipeline (bench/check_speed.ts's), so
// a busy machine slows both alike and the ratio stays meaningful.
//
//   npx tsx bench/ab_check.ts OLD_TREE NEW_TREE [--runs 200] [--lines 500]
//
// OLD_TREE / NEW_TREE are checkouts (e.g. `git archive main | tar -x -C /tmp/old`).
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { generatePipeline } from "./check_speed.ts";

const args = process.argv.slice(2);
const opt = (name: string, d: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const trees = args.filter((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--"));
if (trees.length !== 2) {
  console.error("usage: npx tsx bench/ab_check.ts OLD_TREE NEW_TREE [--runs 200] [--lines 500]");
  process.exit(2);
}
const runs = opt("--runs", 200);
const text = generatePipeline(opt("--lines", 500));
type Compile = (text: string, o: { file: string }) => { diagnostics: { severity: string }[] };
const compilers: Compile[] = [];
for (const t of trees) compilers.push(((await import(pathToFileURL(resolve(t, "compiler/driver.ts")).href)) as { compile: Compile }).compile);
for (const [i, c] of compilers.entries()) {
  const errors = c(text, { file: "bench.dlp" }).diagnostics.filter((d) => d.severity === "error").length;
  if (errors) throw new Error(`${trees[i]}: the generated pipeline has ${errors} errors`);
}
for (let i = 0; i < 30; i++) for (const c of compilers) c(text, { file: "bench.dlp" });
const times: number[][] = compilers.map(() => []);
for (let i = 0; i < runs; i++) {
  // Alternate which goes first, so neither always runs right after a collection the other caused.
  const order = i % 2 ? [1, 0] : [0, 1];
  for (const k of order) {
    const t0 = performance.now();
    compilers[k](text, { file: "bench.dlp" });
    times[k].push(performance.now() - t0);
  }
}
const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
for (const [k, t] of trees.entries()) {
  console.log(`${t.padEnd(24)} warm p50 ${pct(times[k], 0.5).toFixed(1)} ms   p95 ${pct(times[k], 0.95).toFixed(1)} ms   (${runs} runs, alternating)`);
}
console.log(`new / old            p50 ${(pct(times[1], 0.5) / pct(times[0], 0.5)).toFixed(3)}   p95 ${(pct(times[1], 0.95) / pct(times[0], 0.95)).toFixed(3)}`);
