// Editor help for typed CSV columns (issue 17): what the data facts say of a column (its probed
// kind, a few values, its missing cells), the header's names for completion, and the reference
// entry of each column stage. The CSV is found from the `source csv("…")` line of the text, so
// that completion works while the line being typed leaves the data section unchecked; the probe
// is the checker's own (bounded, cached per path and modification time).
import { probeData, type DataFacts } from "../../runtime/data/probe.ts";
import { COLUMN_STAGES } from "../semantic/catalog.ts";
import { referenceEntry } from "../reference.ts";

/** The CSV source a text reads, as written on its `source csv(…)` line. */
export function csvSource(text: string): { path: string; delimiter: string; label?: string } | undefined {
  const m = /\bsource\s+csv\s*\(\s*("(?:[^"\\\r\n]|\\.)*")([^)\r\n]*)\)?/.exec(text);
  if (!m) return undefined;
  const str = (s: string | undefined): string | undefined => {
    if (s === undefined) return undefined;
    try {
      return JSON.parse(s) as string;
    } catch {
      return undefined;
    }
  };
  const path = str(m[1]);
  if (!path) return undefined;
  const delimiter = str(/\bdelimiter\s*:\s*("(?:[^"\\\r\n]|\\.)*")/.exec(m[2] ?? "")?.[1]) ?? ",";
  const label = str(/\blabel\s*:\s*("(?:[^"\\\r\n]|\\.)*")/.exec(m[2] ?? "")?.[1]);
  return { path, delimiter, ...(label ? { label } : {}) };
}

/** The probe's facts of a CSV with the typed-column facts of `columns`; undefined when the file is absent or malformed. */
export function csvFacts(text: string, columns: string[]): DataFacts | undefined {
  const src = csvSource(text);
  if (!src) return undefined;
  const p = probeData({ kind: "csv", path: src.path, label: src.label ?? "", delimiter: src.delimiter, table: columns });
  return p.kind === "facts" ? p.facts : undefined;
}

/** The CSV's header names (for completion in a data field). */
export function headerNames(text: string): string[] {
  return csvFacts(text, [])?.header ?? [];
}

const code = (s: string) => "`" + s + "`";

/** Hover of a column name: its kind as the cells look, a few values and its missing cells. */
export function columnHover(text: string, name: string): string | undefined {
  return columnDoc(csvFacts(text, [name]), name);
}

/** Every header column with its hover text (one read of the file). */
export function headerColumns(text: string): { name: string; doc?: string }[] {
  const header = headerNames(text);
  const facts = header.length ? csvFacts(text, header) : undefined;
  return header.map((name) => ({ name, ...(facts ? { doc: columnDoc(facts, name) } : {}) }));
}

function columnDoc(facts: DataFacts | undefined, name: string): string | undefined {
  if (!facts?.header?.includes(name)) return undefined;
  const d = facts.distinct?.[name];
  const lines = [`**column** ${code(name)} of ${code(facts.file)}`];
  if (d) {
    const part = d.complete ? "" : " (in the first part read)";
    if (d.looks) lines.push(`looks ${d.looks === "skip" ? "like an identifier (nearly every value distinct)" : d.looks === "numeric" ? "numeric" : d.looks === "category" ? "categorical" : d.looks}${part}: ${d.count} distinct value${d.count === 1 ? "" : "s"}`);
    if (d.examples?.length) lines.push(`values: ${d.examples.map((v) => code(v.length > 40 ? `${v.slice(0, 40)}…` : v)).join(", ")}${d.count > d.examples.length ? ", …" : ""}`);
    if (d.missing !== undefined) lines.push(d.missing ? `${d.missing} missing cell${d.missing === 1 ? "" : "s"}${part}` : `no missing cells${part}`);
  }
  return lines.join("\n\n");
}

/** `columns(a, b)` and `concat(…)`, which are no stages but read and join the columns. */
const GROUPS: Record<string, string> = {
  columns: "groups numeric columns: `columns(age, hours)` is a vector of their values per row, and the stages piped after it apply to each (`columns(age, hours) |> standardize()`); a header name that is not a name is written as a string, `columns(\"hours per week\")`.\n\n```dlp\nx = columns(age, hours) |> fill(median) |> standardize()\n```",
  concat: "joins several columns into one input vector, in order; its width is the sum of theirs, known from the declarations (`concat(columns(age, hours) |> standardize(), city |> category(max_tokens: 16) |> one_hot(), smoker |> binary())` is 2 + 16 + 1 = 19 values).\n\n```dlp\nx = concat(age |> standardize(), city |> category(max_tokens: 16) |> one_hot())\n```",
};

/** The reference entry of a column stage, `columns` or `concat`. */
export function stageHover(name: string): string | undefined {
  if (GROUPS[name]) return `**${name}** (typed columns)\n\n${GROUPS[name]}`;
  if (!COLUMN_STAGES[name]) return undefined;
  return `**column stage** ${code(name)}\n\n${referenceEntry("column", name) ?? COLUMN_STAGES[name]!.doc}`;
}

export const STAGE_NAMES = Object.keys(COLUMN_STAGES);
