// The label values a pipeline declares (`class(3, from: 1)`, `class(["cat", "dog"])`) applied to
// the labels a source read: the file's values become class ids 0..N-1, and the class names the
// run records (and `dlpc predict` reports) are the user's values, not the ids. A label the
// declaration does not cover is a DataError naming the file and the line (or byte, or folder).
import type { LabelSpec } from "../spec.ts";
import { DataError } from "../errors.ts";
import type { RawPart } from "./types.ts";

/** How a label value compares: numbers (and numeric text) by value, `"10"` = `10` = `10.0`; names as written. */
export function labelKey(v: string | number): string {
  if (typeof v === "number") return String(v);
  const t = v.trim();
  const n = t === "" ? NaN : Number(t);
  return Number.isFinite(n) ? String(n) : v;
}

type Declared = { from?: number; values?: (string | number)[] };

type WithValues = Extract<LabelSpec, { kind: "class" | "binary" }>;
const classCount = (l: WithValues): number => (l.kind === "binary" ? 2 : l.classes);

/** The declaration as the user wrote it: `class(3, from: 1)`, `class(["cat", "dog"])`. */
export function labelDecl(l: WithValues): string {
  const name = l.kind === "class" && l.encoding === "onehot" ? "onehot" : "class";
  if (l.values) return `${name}([${l.values.map((v) => JSON.stringify(v)).join(", ")}])`;
  return `${name}(${classCount(l)}${l.from !== undefined ? `, from: ${l.from}` : ""})`;
}

/** The class names a declaration gives (class i's label value), or undefined for plain `class(N)`. */
export function declaredClassNames(l: LabelSpec): string[] | undefined {
  if (l.kind === "regression") return undefined;
  if (l.values) return l.values.map(String);
  if (l.from !== undefined) return Array.from({ length: classCount(l) }, (_, i) => String(l.from! + i));
  return undefined;
}

/**
 * Maps a part's labels through the declared values. `names`: the part's labels are indices into
 * these names (a CSV's text labels, an image folder's class folders); without it they are the
 * numbers read from the file. Returns the part unchanged when nothing is declared.
 */
export function applyLabelValues(part: RawPart, names: string[] | undefined, labels: LabelSpec): RawPart {
  if (labels.kind === "regression" || (labels.from === undefined && !labels.values)) return part;
  const classes = classCount(labels);
  const d: Declared = labels;
  const decl = labelDecl(labels);
  const y = new Int32Array(part.y.length);
  if (d.values) {
    const index = new Map(d.values.map((v, i) => [labelKey(v), i]));
    const shown = d.values.map((v) => JSON.stringify(v)).join(", ");
    for (let i = 0; i < y.length; i++) {
      const raw = names ? names[part.y[i]!]! : part.y[i]!;
      const id = index.get(labelKey(raw));
      if (id === undefined) throw new DataError(`${part.labelAt(i)}: label ${JSON.stringify(raw)} is not one of the declared classes of \`${decl}\` (${shown})`);
      y[i] = id;
    }
  } else {
    const from = d.from!;
    // Class folders named 1, 2, 3 are numbers too.
    const numeric = names?.map((n) => (/^\s*-?\d+\s*$/.test(n) ? Number(n) : NaN));
    if (names && numeric!.some((n) => Number.isNaN(n))) throw new DataError(`${part.labelAt(0)}: the labels are names (${names.slice(0, 6).join(", ")}${names.length > 6 ? ", …" : ""}); \`${decl}\` numbers numeric labels: list the names instead, \`class([${names.slice(0, 3).map((n) => JSON.stringify(n)).join(", ")}${names.length > 3 ? ", …" : ""}])\``);
    for (let i = 0; i < y.length; i++) {
      const v = numeric ? numeric[part.y[i]!]! : part.y[i]!;
      if (!Number.isInteger(v) || v < from || v >= from + classes) {
        throw new DataError(`${part.labelAt(i)}: label ${v} is outside the declared classes of \`${decl}\` (${from}..${from + classes - 1})`);
      }
      y[i] = v - from;
    }
  }
  return { ...part, y };
}
