// Writes a checked pipeline's TypeScript to DIR/<pipeline>.ts atomically (temp file + rename),
// so a reader (a running `dlpc run`, another worker) never sees half a file.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { CheckedPipeline } from "../semantic/check.ts";
import { emitPipeline } from "./emit.ts";

export function writeCompiled(checked: CheckedPipeline, sourceFile: string, sourceHash: string, outDir: string): string {
  const code = emitPipeline(checked, relative(process.cwd(), resolve(sourceFile)) || sourceFile, sourceHash);
  mkdirSync(outDir, { recursive: true });
  const target = join(outDir, `${checked.ir.name}.ts`);
  const tmp = `${target}.tmp-${process.pid}`;
  writeFileSync(tmp, code);
  renameSync(tmp, target);
  return target;
}
