// Argument parsing and output helpers shared by every dlpc command module.
import { existsSync, readFileSync } from "node:fs";
import { compile, type CompileResult } from "./driver.ts";
import type { CheckedPipeline } from "./semantic/checked.ts";
import { renderSummaryLine, renderTerminal } from "./diagnostics/render.ts";

import { UsageError, type Parsed } from "./usage.ts";
export { BACKENDS, UsageError, type Parsed } from "./usage.ts";

export function flag(p: Parsed, k: string): string | undefined {
  const v = p.flags.get(k);
  return v ? v[v.length - 1] : undefined;
}

export function format(p: Parsed): "text" | "json" {
  const f = flag(p, "--format") ?? "text";
  if (f !== "text" && f !== "json") throw new UsageError(`--format is text or json, not ${f}`);
  return f;
}

export function readSource(file: string): string {
  if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

export const useColor = () => !process.env.NO_COLOR && process.stderr.isTTY === true;

export function printDiagnostics(r: CompileResult): void {
  const color = useColor();
  for (const d of r.diagnostics) process.stderr.write(renderTerminal(d, { file: r.file, text: r.text, lines: r.lines }, color) + "\n\n");
  const line = renderSummaryLine(r.diagnostics, color);
  if (line) process.stderr.write(line + "\n");
}

export function parseSet(values: string[]): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const s of values) {
    const eq = s.indexOf("=");
    if (eq <= 0) throw new UsageError(`--set takes NAME=VALUE, not ${s}`);
    const k = s.slice(0, eq);
    const v = s.slice(eq + 1);
    out[k] = v === "true" ? true : v === "false" ? false : v !== "" && !Number.isNaN(Number(v)) ? Number(v) : v;
  }
  return out;
}

export function positiveInt(p: Parsed, k: string): number | undefined {
  const v = flag(p, k);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${k} takes a positive integer, not ${v}`);
  return n;
}


/** Compiles .dlp text and prints its diagnostics; the result only when it has no errors. */
export function compileOrReport(text: string, file: string): (CompileResult & { checked: CheckedPipeline }) | undefined {
  const r = compile(text, { file });
  if (r.diagnostics.length) printDiagnostics(r);
  return r.hasErrors || !r.checked ? undefined : (r as CompileResult & { checked: CheckedPipeline });
}

/** Writes a file whole or not at all (temp file beside it, then rename), keeping `mode` if given.
 *  It lives in the runtime (the tuner writes its result files with it). */
export { writeFileAtomic } from "../runtime/atomic.ts";
