// Generates docs/diagnostics.md: every diagnostic code the compiler can emit, with its
// meaning (compiler/diagnostics/codes.ts), a .dlp example from tests/golden/errors and the
// exact terminal output the compiler prints for it now.
//
//   npx tsx tests/golden/docs.ts          rewrite docs/diagnostics.md
//   node bin/test.mjs compiler/docs        fail when the doc is stale or a code is missing
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { compile } from "../../compiler/driver.ts";
import { renderTerminal } from "../../compiler/diagnostics/render.ts";
import { diag, type Diagnostic } from "../../compiler/diagnostics/diagnostic.ts";
import { CODES, isCode } from "../../compiler/diagnostics/codes.ts";
import { getLayer } from "../../compiler/semantic/layers/index.ts";
import { isFailure } from "../../compiler/semantic/layers/types.ts";
import { Analyzer } from "../../compiler/lsp/analysis.ts";

export const DOC_PATH = "docs/diagnostics.md";
export const ERRORS_DIR = "tests/golden/errors";

/** Codes no .dlp text reaches through `dlpc check`, and why; their examples are built here. */
export const NOT_FROM_CHECK: Record<string, string> = {
  DLP0001: "internal errors are bugs: no input is known to cause one",
  DLP0002: "only the language server emits it, for files above its size limit",
  DLP3011: "the argument schema rejects a non-recurrent `layer` first (DLP2004)",
};

/** Every DLPnnnn code written in the compiler's sources (grammar/ and compiler/). */
export function codesInSources(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts") && p !== join("compiler", "diagnostics", "codes.ts")) {
        for (const m of readFileSync(p, "utf8").matchAll(/DLP\d{4}/g)) found.set(m[0], [...new Set([...(found.get(m[0]) ?? []), p])]);
      }
    }
  };
  walk("grammar");
  walk("compiler");
  return new Map([...found].sort(([a], [b]) => a.localeCompare(b)));
}

interface Example {
  source: string;
  file: string;
  rendered: string;
  note?: string;
}

function render(ds: Diagnostic[], file: string, text: string): string {
  return ds.map((d) => renderTerminal(d, { file, text }, false)).join("\n\n");
}

/** For each code, the shortest golden case that reports it, with that code's diagnostics. */
export function goldenExamples(): Map<string, Example> {
  const out = new Map<string, Example>();
  const cases = readdirSync(ERRORS_DIR)
    .filter((f) => f.endsWith(".dlp"))
    .map((f) => ({ file: join(ERRORS_DIR, f), text: readFileSync(join(ERRORS_DIR, f), "utf8") }))
    .sort((a, b) => a.text.length - b.text.length || a.file.localeCompare(b.file));
  for (const c of cases) {
    const r = compile(c.text, { file: c.file });
    for (const code of new Set(r.diagnostics.map((d) => d.code))) {
      if (out.has(code)) continue;
      out.set(code, { source: c.text, file: c.file, rendered: render(r.diagnostics.filter((d) => d.code === code), c.file, c.text) });
    }
  }
  return out;
}

function builtExamples(): Map<string, Example> {
  const out = new Map<string, Example>();
  // DLP0001: what the driver prints when the checker throws.
  const src0 = "pipeline p { … }\n";
  out.set("DLP0001", {
    file: "p.dlp",
    source: src0,
    rendered: render([diag("DLP0001", "error", "internal compiler error: Cannot read properties of undefined (reading 'length')", { start: 0, end: 0 }, { help: "please report this with the .dlp file" })], "p.dlp", src0),
    note: "An illustration: the message carries the internal error's own text.",
  });
  // DLP0002: the language server's analyzer on a file above its default limit (1 MB).
  const big = "pipeline big {\n" + "  // …\n".repeat(200_000) + "}\n";
  const a = new Analyzer("big.dlp").analyze(big);
  out.set("DLP0002", {
    file: "big.dlp",
    source: "pipeline big {\n  // … 200 000 lines …\n}\n",
    rendered: render(a.diagnostics.filter((d) => d.code === "DLP0002"), "big.dlp", big),
  });
  // DLP3011: the layer table's own rule, at the call of the golden case that misuses it.
  const file = join(ERRORS_DIR, "bidirectional_dense.dlp");
  const text = readFileSync(file, "utf8");
  const at = text.indexOf("bidirectional(");
  const call = { start: at, end: text.indexOf("\n", at) };
  const res = getLayer("bidirectional")!.shape([[200, 32]], { layer: { layer: "dense", args: { units: 32 } } });
  if (isFailure(res)) {
    out.set("DLP3011", {
      file,
      source: text,
      rendered: render([diag(res.code, "error", res.message, call, { label: res.label, help: res.help })], file, text),
      note: "`dlpc check` reports this file with DLP2004 (the schema of `layer`); the output above is the layer table's rule for the same call.",
    });
  }
  return out;
}

export function diagnosticsDoc(): string {
  const codes = [...codesInSources().keys()];
  const golden = goldenExamples();
  const built = builtExamples();
  const lines: string[] = [
    "# Diagnostic codes",
    "",
    "<!-- Generated by `npx tsx tests/golden/docs.ts` from tests/golden/errors and compiler/diagnostics/codes.ts;",
    "     `node bin/test.mjs compiler/docs` fails when this file is stale. Do not edit by hand. -->",
    "",
    "Every diagnostic `dlpc check` (and the language server) can report, with a `.dlp` example from the",
    "golden tests and the exact output for it. `dlpc check --format json` gives the same diagnostics as",
    "data: `{code, severity, file, line, column, endLine, endColumn, message, notes, help}`.",
    "",
    "| family | codes |",
    "|---|---|",
    "| 0xxx | the compiler itself |",
    "| 1xxx | syntax |",
    "| 2xxx | names, arguments and values |",
    "| 3xxx | shapes through the layers |",
    "| 4xxx | data vs the model input |",
    "| 5xxx | output vs labels vs loss |",
    "| 6xxx | tuning space and strategy |",
    "| 7xxx | warnings about likely mistakes |",
    "",
    "| code | title |",
    "|---|---|",
    ...codes.map((c) => `| [${c}](#${c.toLowerCase()}) | ${isCode(c) ? CODES[c].title : "(not catalogued)"} |`),
    "",
  ];
  for (const c of codes) {
    const info = isCode(c) ? CODES[c] : undefined;
    lines.push(`## ${c}`, "", `**${info?.title ?? "(not catalogued)"}.** ${info?.meaning ?? ""}`, "");
    const ex = golden.get(c) ?? built.get(c);
    if (!ex) {
      lines.push("(no example)", "");
      continue;
    }
    lines.push(`Example (\`${ex.file}\`):`, "", "```dlp", ex.source.trimEnd(), "```", "", "```text", ex.rendered, "```", "");
    if (ex.note) lines.push(ex.note, "");
  }
  return lines.join("\n");
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  writeFileSync(DOC_PATH, diagnosticsDoc());
  console.log(`wrote ${DOC_PATH}`);
}
