// Writes a checked pipeline's TypeScript to DIR/<pipeline>.ts atomically (temp file + rename),
// so a reader (a running `dlpc run`, another worker) never sees half a file.
import { mkdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { CheckedPipeline } from "../semantic/check.ts";
import { emitPipeline } from "./emit.ts";
import { writeFileAtomic } from "../cli_util.ts";

export function writeCompiled(checked: CheckedPipeline, sourceFile: string, sourceHash: string, outDir: string): string {
  const code = emitPipeline(checked, relative(process.cwd(), resolve(sourceFile)) || sourceFile, sourceHash);
  mkdirSync(outDir, { recursive: true });
  const target = join(outDir, `${checked.ir.name}.ts`);
  writeFileAtomic(target, code);
  return target;
}
