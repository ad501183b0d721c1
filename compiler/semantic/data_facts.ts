// Declarations against check-time data facts (issue 13, point 2). For the sources whose sample
// shape and labels live in the user's files — `csv(…)`, `idx(…)`, `images(…)` — the checker asks
// runtime/data/probe.ts what a bounded read of them shows and compares the data section's
// declarations with it: the feature count against `as vector[N]`, the IDX image dims against
// `as image[…]`, label values and class folders against `class(N)` / `binary` / `regression`.
// Facts only ever add diagnostics; the emitted code never depends on whether a file was there.
import type { Span } from "../../grammar/ast.ts";
import { diag, type Diagnostic } from "../diagnostics/diagnostic.ts";
import { probeData, type DataFacts, type ProbeRequest } from "../../runtime/data/probe.ts";
import { timeParts } from "../../runtime/data/window.ts";
import type { SplitSpec } from "../../runtime/spec.ts";
import type { Args } from "./layers/types.ts";
import { labelKey } from "../../runtime/data/label_values.ts";

/** docs/reference.md's section on `y = labels as …` (compiler/reference.ts writes it). */
export const LABELS_DOC: string[] = [
  "## Labels",
  "",
  "Written `y = labels as ENCODING` in the `data` section:",
  "",
  "| encoding | the labels | the model's output |",
  "|---|---|---|",
  "| `class(N)` | class ids 0..N-1, or class names (sorted names become 0..N-1) | N units (softmax) |",
  "| `class(N, from: K)` | the numbers K..K+N-1 (`class(10, from: 1)`: labels 1..10) | N units |",
  "| `class([\"cat\", \"dog\", \"bird\"])` | the listed values, names or numbers (`class([10, 20, 30])`); class i is the i-th | one unit per value |",
  "| `onehot(N)` | as `class(N)` (also `from:` and a list), one-hot encoded for `categorical_crossentropy` | N units |",
  "| `binary` | 0 and 1 | one sigmoid unit |",
  "| `regression` / `regression(N)` | N real numbers per sample | N units (linear) |",
  "",
  "`from:` and a list of values apply to the `csv`, `idx` and `images` sources, whose labels are the",
  "user's own (a list names an image folder's class folders, in the order given). The run maps",
  "them to class ids 0..N-1 — as Keras's `StringLookup` / Ludwig's category vocabulary would —",
  "and records the values as the class names, so `dlpc predict` and the run report answer in",
  "the file's terms (`3`, `dog`), not in class ids. A label that the declaration does not cover",
  "is an error naming the file and line: at `dlpc check` (DLP4006) for what a bounded read of",
  "the file shows, at `dlpc run` for the rest.",
  "",
  "```dlp",
  "data {",
  "  source csv(\"data/grades.csv\", label: \"grade\")   // grades 1..5",
  "  x = features |> standardize() as vector[4]",
  "  y = labels as class(5, from: 1)",
  "}",
  "```",
  "",
];

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** The probe for a source call's checked argument values, or undefined for built-in data sets. */
function requestOf(source: string, args: Args, table?: { columns?: string[]; label?: string; exclude?: string[] }): ProbeRequest | undefined {
  if (source === "csv" && str(args.path)) {
    const features = Array.isArray(args.features) && args.features.every((f) => typeof f === "string") ? (args.features as string[]) : undefined;
    return { kind: "csv", path: str(args.path)!, label: table?.label ?? str(args.label) ?? "label", delimiter: str(args.delimiter) ?? ",", ...(features ? { features } : {}), ...(table?.columns ? { table: table.columns } : {}), ...(table?.exclude?.length ? { exclude: table.exclude } : {}) };
  }
  if (source === "window" && str(args.path) && (str(args.target) || Array.isArray(args.target))) {
    const target = Array.isArray(args.target) ? args.target.filter((t): t is string => typeof t === "string") : [str(args.target)!];
    const features = Array.isArray(args.features) && args.features.every((f) => typeof f === "string") ? (args.features as string[]) : undefined;
    return { kind: "window", path: str(args.path)!, target, delimiter: str(args.delimiter) ?? ",", ...(features ? { features } : {}) };
  }
  if (source === "idx" && str(args.dir)) return { kind: "idx", dir: str(args.dir)! };
  if (source === "images" && str(args.dir)) return { kind: "images", dir: str(args.dir)! };
  if (source === "text_files" && str(args.dir)) return { kind: "text_files", dir: str(args.dir)! };
  return undefined;
}

/**
 * Facts about the files a source reads, or undefined (a built-in data set, a file that is not
 * there — then an info note says the declarations were not checked against it — or a malformed
 * file, reported as the run would report it).
 */
export function sourceFacts(source: string, args: Args, span: Span, out: Diagnostic[], table?: { columns?: string[]; label?: string; exclude?: string[] }): DataFacts | undefined {
  const req = requestOf(source, args, table);
  if (!req) return undefined;
  const probe = probeData(req);
  if (probe.kind === "facts") return probe.facts;
  if (probe.kind === "absent") {
    out.push(diag("DLP4012", "info", `${probe.path} is not there yet, so the data declarations are not checked against it`, span, {
      label: "not found at check time",
      notes: ["paths are relative to the folder `dlpc` runs in"],
    }));
    return undefined;
  }
  out.push(diag("DLP4010", "error", "the data file is malformed", span, { label: "`dlpc run` would stop here", notes: [probe.message] }));
  return undefined;
}

const fmt = (dims: number[]): string => dims.join("×");

/**
 * `as vector[N]` / `as image[H, W, C]` where the source's shape is only in its files: the element
 * count must match what the files hold. Returns false after reporting a mismatch.
 */
export function checkDeclaredShape(facts: DataFacts | undefined, kind: string, dims: number[], text: string, span: Span, out: Diagnostic[]): boolean {
  const have = facts?.sampleShape;
  if (!facts || !have) return true;
  const n = have.reduce((a, b) => a * b, 1);
  const want = dims.reduce((a, b) => a * b, 1);
  if (n === want) return true;
  const help = kind === "vector" ? `write \`vector[${n}]\`` : kind === "image" && have.length === 2 ? `write \`image[${have[0]}, ${have[1]}, 1]\`` : kind === "image" && have.length === 3 ? `write \`image[${have.join(", ")}]\`` : undefined;
  out.push(diag("DLP4003", "error", `the data holds ${n} values per sample, \`${text}\` needs ${want}`, span, {
    label: have.length === 1 ? `${n} feature column${n === 1 ? "" : "s"} in ${facts.file}` : `${fmt(have)} = ${n} values in ${facts.file}`,
    notes: [`read from ${facts.shapeAt ?? facts.file}`],
    ...(help ? { help } : {}),
  }));
  return false;
}

/** The declared `series[steps, features]` of a window source, axis by axis: the steps are the
 *  window's `length`, the features the file's feature columns (a reshape would cut the series
 *  across steps). `items` are the declaration's two dims, for the fix. False after an error. */
export function checkWindowShape(facts: DataFacts | undefined, length: number, dims: number[], items: { span: Span; literal: boolean }[], span: Span, out: Diagnostic[]): boolean {
  let ok = true;
  if (dims[0] !== length) {
    out.push(diag("DLP4003", "error", `the windows are ${length} steps long, the series declares ${dims[0]}`, items[0]!.span, {
      label: `${dims[0]} steps`,
      notes: [`\`source window(…, length: ${length})\` cuts ${length} rows per sample`],
      help: `write \`series[${length}, ${dims[1]}]\`, or change the window's \`length\``,
      ...(items[0]!.literal ? { fix: { title: `declare ${length} steps`, span: items[0]!.span, text: String(length) } } : {}),
    }));
    ok = false;
  }
  const w = facts?.window;
  if (!w) return ok;
  if (w.features === 0) {
    out.push(diag("DLP4003", "error", `${facts!.file} has no feature columns besides the target`, span, { label: "nothing to read at each step", notes: [`read from ${w.at}`], help: "list the input columns, e.g. `features: [\"load\"]` in `source window(…)` (a target's own past values may be inputs)" }));
    return false;
  }
  if (dims[1] !== w.features) {
    out.push(diag("DLP4003", "error", `each step holds ${w.features} feature${w.features === 1 ? "" : "s"}, the series declares ${dims[1]}`, items[1]!.span, {
      label: `${w.features} feature column${w.features === 1 ? "" : "s"} in ${facts!.file}`,
      notes: [`read from ${w.at}`],
      help: `write \`series[${dims[0]}, ${w.features}]\``,
      ...(items[1]!.literal ? { fix: { title: `declare ${w.features} features`, span: items[1]!.span, text: String(w.features) } } : {}),
    }));
    ok = false;
  }
  return ok;
}

/** DLP4021: a series too short for one window, or a split part of it that holds none (known
 *  when the probe read the whole file; the parts are cut as the run cuts them). */
export function checkWindowRows(facts: DataFacts | undefined, w: { steps: number; horizon: number; stride: number }, split: SplitSpec, splitAt: Partial<Record<"validation" | "test", Span>>, span: Span, out: Diagnostic[]): void {
  const rows = facts?.samples;
  const { steps: length, horizon } = w;
  if (!facts?.window || rows === undefined) return;
  if (rows < length + horizon) {
    out.push(diag("DLP4021", "error", `${facts.file} has ${rows} data row${rows === 1 ? "" : "s"}, one window needs ${length + horizon}`, span, {
      label: `length ${length}${horizon ? ` + horizon ${horizon}` : ""}`,
      notes: [`a window reads ${length} consecutive rows${horizon ? ` and its target ${horizon} row${horizon === 1 ? "" : "s"} later` : ""}`],
      help: rows > horizon ? `use \`length: ${rows - horizon}\` or less, or a longer series` : "give a longer series",
    }));
    return;
  }
  const parts = timeParts(rows, length + horizon, w.stride, split);
  for (const name of ["validation", "test"] as const) {
    const p = parts[name];
    if (!split[name] || p.starts.length > 0) continue;
    out.push(diag("DLP4021", "error", `the ${name} part of ${facts.file}, ${p.hi - p.lo} row${p.hi - p.lo === 1 ? "" : "s"}, holds no window of ${length + horizon}`, splitAt[name] ?? span, {
      label: `${p.hi - p.lo} of ${rows} rows`,
      related: [{ span, message: `windows of ${length}${horizon ? ` + ${horizon}` : ""} rows` }],
      notes: [`a window source holds out the last rows of the series: rows ${p.lo + 1}–${p.hi} here`],
      help: `hold out at least ${length + horizon} rows (\`split ${name} last 1\` takes one window), or use a shorter window`,
    }));
  }
  if (parts.train.starts.length === 0) {
    out.push(diag("DLP4021", "error", `the held-out splits leave ${parts.train.hi} row${parts.train.hi === 1 ? "" : "s"} of ${facts.file} to train on, no window of ${length + horizon}`, span, {
      label: `${parts.train.hi} training rows`,
      notes: [`validation and test take rows ${parts.train.hi + 1}–${rows}`],
      help: "hold out smaller parts, or use a shorter window",
    }));
  }
}

/** When a source's shape is unknown and undeclared: what the files say it is, for the help line. */
export function shapeHint(facts: DataFacts | undefined, steps?: number): string | undefined {
  if (facts?.window && steps !== undefined) return `each window is ${steps} steps of ${facts.window.features} features (${facts.window.at}): write \`as series[${steps}, ${facts.window.features}]\``;
  const s = facts?.sampleShape;
  if (!s) return undefined;
  return s.length === 1 ? `the data has ${s[0]} features (${facts!.shapeAt}): write \`as vector[${s[0]}]\`` : s.length === 2 ? `the data holds ${fmt(s)} samples (${facts!.shapeAt}): write \`as image[${s[0]}, ${s[1]}, 1]\`` : undefined;
}

/** The number of classes the files show, when they fix it (an image folder's class folders). */
export function factClasses(facts: DataFacts | undefined): number | undefined {
  return facts?.classes?.names.length;
}

/** The label values a declaration gives: `class(3, from: 1)`, `class(["cat", "dog"])`. */
export interface LabelValues {
  from?: number;
  values?: (string | number)[];
}

/** `class(["cat", "dog"])` against the values the files hold: each must be listed. */
function checkListedValues(facts: DataFacts, kind: string, values: (string | number)[], decl: string, span: Span, out: Diagnostic[]): boolean {
  const keys = new Set(values.map(labelKey));
  // An image folder's classes are its sub-folders; a CSV's or an IDX file's, the values read.
  const seen = facts.classes
    ? facts.classes.names.map((n) => ({ value: n, at: `${facts.file}: class folder "${n}"` }))
    : facts.labelValues?.values ?? [];
  const complete = facts.classes ? true : facts.labelValues ? facts.labelValues.complete && !facts.labelValues.more : false;
  const missing = seen.filter((v) => !keys.has(labelKey(v.value)));
  if (missing.length > 0) {
    const first = missing[0]!;
    out.push(diag("DLP4006", "error", `label ${JSON.stringify(first.value)} is not one of the declared classes`, span, {
      label: `\`${decl}\` lists ${values.length} label value${values.length === 1 ? "" : "s"}`,
      notes: [`${first.at}: ${JSON.stringify(first.value)}`, ...(missing.length > 1 ? [`also not listed: ${missing.slice(1, 7).map((m) => JSON.stringify(m.value)).join(", ")}${missing.length > 7 ? ", …" : ""}`] : [])],
      help: `list ${missing.length === 1 ? "it" : "them"} in \`${kind}([…])\` (the output layer then needs ${values.length + missing.length} units), or remove those samples from the data`,
    }));
    return false;
  }
  if (complete) {
    const have = new Set(seen.map((v) => labelKey(v.value)));
    const unused = values.filter((v) => !have.has(labelKey(v)));
    if (unused.length > 0) {
      out.push(diag("DLP4013", "warning", `${unused.length === 1 ? `the declared class ${JSON.stringify(unused[0])} has` : `${unused.length} declared classes have`} no sample in the data`, span, {
        label: `\`${decl}\``,
        notes: [`${facts.classes ? facts.classes.at : facts.file} has none of: ${unused.slice(0, 8).map((v) => JSON.stringify(v)).join(", ")}`, `the model would learn ${unused.length === 1 ? "a class" : "classes"} no sample has`],
      }));
    }
  }
  return true;
}

/** Labels against `class(N)` / `onehot(N)` / `binary` / `regression`. Returns false after an error. */
export function checkDeclaredLabels(facts: DataFacts | undefined, kind: "class" | "onehot" | "binary" | "regression", classes: number | undefined, span: Span, out: Diagnostic[], lv: LabelValues = {}): boolean {
  if (!facts) return true;
  const decl = kind === "binary" ? "binary" : kind === "regression" ? "regression" : lv.values ? `${kind}([${lv.values.map((v) => JSON.stringify(v)).join(", ")}])` : `${kind}(${classes}${lv.from !== undefined ? `, from: ${lv.from}` : ""})`;
  const l = facts.labels;
  if (lv.values && l?.kind !== "non_integer") return checkListedValues(facts, kind, lv.values, decl, span, out);
  const from = lv.from ?? 0;
  if (l?.kind === "names" && kind === "regression") {
    out.push(diag("DLP4011", "error", "regression targets must be numbers", span, { label: `\`${decl}\``, notes: [`${l.firstAt}: the label column holds "${l.names[0]}"`], help: "declare the labels `as class(N)` (names become class ids in sorted order), or fix the file" }));
    return false;
  }
  if (kind === "regression") return true;
  if (l?.kind === "non_integer") {
    out.push(diag("DLP4011", "error", `class labels must be whole numbers, the data has ${l.value}`, span, { label: `\`${decl}\``, notes: [`${l.at}: "${l.value}"`], help: "declare `as regression` for a numeric target" }));
    return false;
  }
  const n = kind === "binary" ? 2 : classes;
  if (n === undefined) return true;
  if (l?.kind === "names" && lv.from !== undefined && kind !== "binary") {
    out.push(diag("DLP4011", "error", "`from:` numbers numeric labels, the data has names", span, {
      label: `\`${decl}\``,
      notes: [`${l.firstAt}: "${l.names[0]}"`],
      help: `list the names, e.g. \`${kind}([${l.names.slice(0, n).map((x) => JSON.stringify(x)).join(", ")}${l.names.length > n ? ", …" : ""}])\` (class i is the i-th name)`,
    }));
    return false;
  }
  if (l?.kind === "ids") {
    const range = `${from}..${from + n - 1}`;
    if (l.min < from) {
      const fits = l.max - l.min < n;
      out.push(diag("DLP4006", "error", from === 0 ? `the data has a negative class label (${l.min})` : `the data has label ${l.min}, below \`from: ${from}\``, span, {
        label: `\`${decl}\` takes labels ${range}`,
        notes: [`${l.minAt}: ${l.min}`],
        ...(fits && kind !== "binary" ? { help: `write \`${kind}(${n}, from: ${l.min})\``, fix: { title: `declare \`${kind}(${n}, from: ${l.min})\``, span, text: `${kind}(${n}, from: ${l.min})` } } : {}),
      }));
      return false;
    }
    if (l.max >= from + n) {
      // Labels numbered from 1 (or another offset) that fit the declared count once shifted.
      const shift = lv.from === undefined && kind !== "binary" && l.min >= 1 && l.max - l.min < n ? (l.max <= n ? 1 : l.min) : undefined;
      const fixText = shift !== undefined ? `${kind}(${n}, from: ${shift})` : undefined;
      out.push(diag("DLP4006", "error", `labels go up to ${l.max}, outside the declared ${n} classes`, span, {
        label: `\`${decl}\` takes labels ${range}`,
        notes: [`${l.maxAt}: ${l.max}${l.complete ? "" : " (in the first part of the file read at check time)"}`, ...(shift !== undefined ? [`the smallest label is ${l.min} (${l.minAt}): the classes look numbered from ${shift}`] : [])],
        help: fixText ? `declare \`${fixText}\`: the run subtracts ${shift} from each label, and predictions report the file's values` : kind === "binary" ? "binary labels are 0 and 1; declare `as class(N)` for more classes" : lv.from !== undefined ? `write \`${kind}(${l.max - from + 1}, from: ${from})\`` : `write \`${kind}(${l.max + 1})\``,
        ...(fixText ? { fix: { title: `declare \`${fixText}\``, span, text: fixText } } : {}),
      }));
      return false;
    }
  }
  if (l?.kind === "names" && kind !== "binary" && l.names.length > n) {
    out.push(diag("DLP4006", "error", `the data has ${l.names.length}${l.complete ? "" : " or more"} class names, more than the declared ${n} classes`, span, { label: `\`${decl}\``, notes: [`label names: ${l.names.slice(0, 8).join(", ")}${l.names.length > 8 ? ", …" : ""}`], help: `write \`${kind}(${l.names.length})\`` }));
    return false;
  }
  if (l?.kind === "names" && kind === "binary" && l.names.length > 2) {
    out.push(diag("DLP4006", "error", `binary labels have two values, the data has ${l.names.length}`, span, { label: "`binary`", notes: [`label names: ${l.names.slice(0, 8).join(", ")}`], help: `declare \`as class(${l.names.length})\`` }));
    return false;
  }
  const folders = factClasses(facts);
  const noun = facts.classes?.noun ?? "image";
  if (folders !== undefined && folders !== n) {
    if (folders > n) {
      out.push(diag("DLP4006", "error", `the ${noun} folder has ${folders} classes, more than the declared ${n}`, span, { label: `\`${decl}\``, notes: [facts.classes!.at], help: `write \`${kind === "binary" ? "class" : kind}(${folders})\`` }));
      return false;
    }
    out.push(diag("DLP4013", "warning", `${n} classes declared, the ${noun} folder has ${folders}`, span, { label: `\`${decl}\``, notes: [facts.classes!.at, `the model would learn ${n - folders} class${n - folders === 1 ? "" : "es"} no sample has`], help: `write \`${kind}(${folders})\`` }));
  }
  return true;
}
