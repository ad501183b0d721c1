// What a CSV column holds, told from its cells as Ludwig's init_config tells input feature types:
// numbers, a yes/no column, dates, a category (short strings of few distinct values), free text
// (long strings), or neither (nearly every value distinct and short: an identifier). `dlpc init`
// writes the typed column stage for each kind; the check-time probe keeps the kind of each column
// the data section reads, for the editor's hover.
import { isMissing, parseBinary, parseDate, tokenize } from "./columns.ts";

const isNum = (c: string): boolean => c.trim() !== "" && Number.isFinite(Number(c));
/** A column of short strings with at most this many distinct values is categorical. */
const MAX_CATEGORIES = 50;
/** Words a text column's tokenizer keeps at most, and ids a text column gives at most per row. */
const MAX_WORDS = 10000;
const MAX_LEN = 200;

export type Inferred =
  | { kind: "numeric"; missing: number }
  | { kind: "binary"; missing: number }
  | { kind: "date"; missing: number }
  | { kind: "category"; missing: number; distinct: number }
  | { kind: "text"; missing: number; numWords: number; maxlen: number }
  | { kind: "skip"; why: string };

/** What one column holds, from the cells of a sample of the rows. */
export function inferColumn(cells: string[]): Inferred {
  const present = cells.filter((c) => !isMissing(c)).map((c) => c.trim());
  const missing = cells.length - present.length;
  if (present.length === 0) return { kind: "skip", why: "no values" };
  if (present.every(isNum)) return { kind: "numeric", missing };
  if (present.every((c) => parseBinary(c) !== undefined)) return { kind: "binary", missing };
  if (present.every((c) => parseDate(c) !== undefined)) return { kind: "date", missing };
  const distinct = new Set(present).size;
  const tokens = present.map(tokenize);
  const words = tokens.reduce((a, t) => a + t.length, 0) / present.length;
  if (words >= 3 || (distinct > MAX_CATEGORIES && words >= 1.5)) {
    const vocab = new Set(tokens.flat()).size;
    const lengths = tokens.map((t) => t.length).sort((a, b) => a - b);
    const p90 = lengths[Math.min(lengths.length - 1, Math.floor(lengths.length * 0.9))]!;
    return { kind: "text", missing, numWords: Math.min(MAX_WORDS, vocab + 2), maxlen: Math.max(4, Math.min(MAX_LEN, p90)) };
  }
  if (distinct <= MAX_CATEGORIES) return { kind: "category", missing, distinct };
  return { kind: "skip", why: `${distinct} distinct short values, an identifier?` };
}

