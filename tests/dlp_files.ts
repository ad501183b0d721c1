// Shared by tests that run over every .dlp file under a folder.
import { readdirSync } from "node:fs";
import { join } from "node:path";

/** Every .dlp file below `dir` (recursively), sorted. */
export function dlpFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...dlpFiles(p));
    else if (e.name.endsWith(".dlp")) out.push(p);
  }
  return out.sort();
}
