// Test setup: compile .dlp text with the real compiler (driver + ts-morph emitter) and import
// the emitted module, so runtime tests always run what dlpc generates today (no hand-written
// copies that could drift). Modules are written under build/.test-runtime/ (inside the package,
// so "dlp/runtime" resolves; ignored by git and by tsc) and removed when the process exits.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { compile } from "../../compiler/driver.ts";
import { emitPipeline } from "../../compiler/codegen/emit.ts";
import { summaryJson, type SummaryJson } from "../../compiler/summary.ts";
import type { CompiledPipeline, Params } from "dlp/runtime";

export const REPO = resolve(new URL("../..", import.meta.url).pathname);
const ROOT = join(REPO, "build", ".test-runtime", String(process.pid));
let counter = 0;
let cleanupRegistered = false;

/** A fresh folder inside the package (so emitted code resolves "dlp/runtime"), removed at exit. */
export function scratchDir(label: string): string {
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    process.on("exit", () => rmSync(ROOT, { recursive: true, force: true }));
  }
  const dir = join(ROOT, `${label}-${counter++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface Compiled {
  pipeline: CompiledPipeline<Params>;
  summary: SummaryJson;
  /** The emitted TypeScript module's path. */
  module: string;
}

/** Compiles `text` (as if read from `file`) and imports the emitted module. Throws on diagnostics. */
export async function compileText(text: string, file: string): Promise<Compiled> {
  const r = compile(text, { file });
  if (r.hasErrors || !r.checked) {
    throw new Error(`${file} does not compile:\n${r.diagnostics.map((d) => `  ${d.code} ${d.message}`).join("\n")}`);
  }
  const code = emitPipeline(r.checked, file, r.sourceHash);
  const module = join(scratchDir(r.checked.ir.name), `${r.checked.ir.name}.ts`);
  writeFileSync(module, code);
  const mod = (await import(pathToFileURL(module).href)) as { pipeline?: CompiledPipeline<Params> };
  if (!mod.pipeline) throw new Error(`${module} exports no pipeline`);
  return { pipeline: mod.pipeline, summary: summaryJson(r.checked), module };
}

/** Compiles pipelines/<name>.dlp (or any .dlp path) and imports the emitted module. */
export async function compilePipeline(path: string): Promise<Compiled> {
  return compileText(readFileSync(join(REPO, path), "utf8"), path);
}

/** The repository's CLI, run as a user runs it (a fresh process, in `cwd`). */
export const DLPC = join(REPO, "bin", "dlpc.mjs");
export interface Out { code: number | null; stdout: string; stderr: string }
export function dlpc(cwd: string, ...args: string[]): Out {
  const r = spawnSync(process.execPath, [DLPC, ...args], { cwd, encoding: "utf8", timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
/** An Out for an assertion message. */
export const show = (o: Out): string => `exit ${o.code}\n--- stdout\n${o.stdout}\n--- stderr\n${o.stderr}`;
