// The output folder of a run, made ready before training starts: its parent is created and
// probed for writing (an unwritable `--out` fails in a second, not after the training), file
// system errors are named in words (EROFS is "read-only file system", not ENOENT), and the
// leftovers of a save cut short by a kill (`.NAME.tmp-PID-TIME`, `….old`) are removed.
import { mkdirSync, readdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pidAlive } from "./process.ts";

const REASONS: Record<string, string> = {
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  ENOTDIR: "a path component is a file, not a folder",
  EEXIST: "already exists",
  ENOENT: "no such file or folder",
  EISDIR: "is a folder",
  ENAMETOOLONG: "name too long",
};

/** A file system error in words, with its code: "read-only file system (EROFS)". */
export function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code && REASONS[code]) return `${REASONS[code]} (${code})`;
  return (e as Error).message;
}


/** Removes `.NAME.tmp-PID-…` folders (and their `.old`) of processes that have ended; returns their names. */
export function cleanLeftovers(parent: string, name: string): string[] {
  const prefix = `.${name}.tmp-`;
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return removed;
  }
  for (const f of entries) {
    if (!f.startsWith(prefix)) continue;
    const pid = Number(f.slice(prefix.length).split("-")[0]);
    if (pid === process.pid || pidAlive(pid)) continue; // another run is saving right now
    rmSync(join(parent, f), { recursive: true, force: true });
    removed.push(f);
  }
  return removed;
}

/** Creates the parent of `dir`, proves it writable and cleans leftovers; throws an Error in words. */
export function prepareOutDir(dir: string, name: string): void {
  const parent = resolve(dir, "..");
  const probe = join(parent, `.${name}.probe-${process.pid}`);
  try {
    mkdirSync(parent, { recursive: true });
    writeFileSync(probe, "");
    unlinkSync(probe);
  } catch (e) {
    throw new Error(`cannot write the run to ${dir}: ${fsReason(e)}; choose another folder with --out DIR`);
  }
  cleanLeftovers(parent, name);
}
