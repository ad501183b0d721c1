// Writes a checked pipeline's TypeScript to DIR/<pipeline>.ts atomically (temp file + rename),
// so a reader (a running `dlpc run`, another worker) never sees half a file.
import { mkdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { CheckedPipeline } from "../semantic/checked.ts";
import { emitPipeline } from "./emit.ts";
import { writeFileAtomic } from "../cli_util.ts";

export function writeCompiled(checked: CheckedPipeline, sourceFile: string, sourceHash: string, outDir: string): string {
  const code = emitPipeline(checked, relative(process.cwd(), resolve(sourceFile)) || sourceFile, sourceHash);
  const target = join(outDir, `${checked.ir.name}.ts`);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new Error(`cannot write ${target}: ${(e as NodeJS.ErrnoException).code === "EEXIST" ? `${outDir} is a file, not a folder` : (e as Error).message}`);
  }
  writeFileAtomic(target, code);
  return target;
}
