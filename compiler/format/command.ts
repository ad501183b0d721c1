// `dlpc fmt FILE... [--check]`: rewrites files in the canonical format (see format.ts).
// A directory stands for every .dlp file under it; `-` reads stdin and writes stdout.
// Exit codes: 0 done (or, with --check, nothing to change), 1 a file has syntax errors or
// (with --check) would change, 2 usage errors.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { UsageError, type Parsed, readSource, useColor, writeFileAtomic } from "../cli_util.ts";
import { diag, LineMap } from "../diagnostics/diagnostic.ts";
import { renderSummaryLine, renderTerminal } from "../diagnostics/render.ts";
import { formatDlp, type FormatError } from "./format.ts";

export async function fmtCommand(p: Parsed): Promise<number> {
  for (const k of p.flags.keys()) if (k !== "--check") throw new UsageError(`fmt does not take ${k}`);
  if (p.positional.length === 0) throw new UsageError("fmt needs at least one .dlp file (or a directory, or - for stdin)");
  const check = p.flags.has("--check");
  let failed = false;
  for (const f of expand(p.positional)) {
    if (f === "-") {
      const text = readFileSync(0, "utf8");
      const r = formatDlp(text);
      if (!r.ok) {
        report("<stdin>", text, r.errors);
        failed = true;
        continue;
      }
      if (check) {
        if (r.changed) {
          process.stdout.write("<stdin>\n");
          failed = true;
        }
      } else process.stdout.write(r.text);
      continue;
    }
    let text: string;
    try {
      text = readSource(f);
    } catch (e) {
      // one unreadable file does not stop the others
      process.stderr.write(`error: ${(e as Error).message}\n`);
      failed = true;
      continue;
    }
    const r = formatDlp(text);
    if (!r.ok) {
      report(f, text, r.errors);
      failed = true;
      continue;
    }
    if (!r.changed) continue;
    if (check) {
      process.stdout.write(`${f}\n`);
      failed = true;
      continue;
    }
    writeFileAtomic(f, r.text, statSync(f).mode & 0o7777);
    process.stderr.write(`formatted ${f}\n`);
  }
  if (check && failed) process.stderr.write("the files listed above are not formatted; run `dlpc fmt` on them\n");
  return failed ? 1 : 0;
}

/** Directories expand to the .dlp files under them, sorted; files stay as given. */
function expand(args: string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    let isDir = false;
    try {
      isDir = a !== "-" && statSync(a).isDirectory();
    } catch {
      isDir = false; // readSource reports the missing file
    }
    if (!isDir) {
      out.push(a);
      continue;
    }
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true }).sort((x, y) => x.name.localeCompare(y.name))) {
        if (e.name === "node_modules" || e.name.startsWith(".")) continue;
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (e.name.endsWith(".dlp")) out.push(path);
      }
    };
    walk(a);
  }
  return out;
}

/** Write beside the file, then rename over it: a reader never sees half a file. */

function report(file: string, text: string, errors: FormatError[]): void {
  const color = useColor();
  const src = { file, text, lines: new LineMap(text) };
  const ds = errors.map((e) => diag(e.code, "error", e.message, e.span, { label: e.code === "DLP1001" ? "unexpected here" : "here" }));
  for (const d of ds) process.stderr.write(renderTerminal(d, src, color) + "\n\n");
  const line = renderSummaryLine(ds, color);
  process.stderr.write(`${line ? line + "; " : ""}${file} was not formatted\n`);
}
