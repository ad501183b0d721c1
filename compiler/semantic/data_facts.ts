// Declarations against check-time data facts (issue 13, point 2). For the sources whose sample
// shape and labels live in the user's files — `csv(…)`, `idx(…)`, `images(…)` — the checker asks
// runtime/data/probe.ts what a bounded read of them shows and compares the data section's
// declarations with it: the feature count against `as vector[N]`, the IDX image dims against
// `as image[…]`, label values and class folders against `class(N)` / `binary` / `regression`.
// Facts only ever add diagnostics; the emitted code never depends on whether a file was there.
import type { Span } from "../../grammar/ast.ts";
import { diag, type Diagnostic } from "../diagnostics/diagnostic.ts";
import { probeData, type DataFacts, type ProbeRequest } from "../../runtime/data/probe.ts";
import type { Args } from "./layers/types.ts";

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** The probe for a source call's checked argument values, or undefined for built-in data sets. */
function requestOf(source: string, args: Args, table?: { columns?: string[]; label?: string }): ProbeRequest | undefined {
  if (source === "csv" && str(args.path)) {
    const features = Array.isArray(args.features) && args.features.every((f) => typeof f === "string") ? (args.features as string[]) : undefined;
    return { kind: "csv", path: str(args.path)!, label: table?.label ?? str(args.label) ?? "label", delimiter: str(args.delimiter) ?? ",", ...(features ? { features } : {}), ...(table?.columns ? { table: table.columns } : {}) };
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
export function sourceFacts(source: string, args: Args, span: Span, out: Diagnostic[], table?: { columns?: string[]; label?: string }): DataFacts | undefined {
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

/** When a source's shape is unknown and undeclared: what the files say it is, for the help line. */
export function shapeHint(facts: DataFacts | undefined): string | undefined {
  const s = facts?.sampleShape;
  if (!s) return undefined;
  return s.length === 1 ? `the data has ${s[0]} features (${facts!.shapeAt}): write \`as vector[${s[0]}]\`` : s.length === 2 ? `the data holds ${fmt(s)} samples (${facts!.shapeAt}): write \`as image[${s[0]}, ${s[1]}, 1]\`` : undefined;
}

/** The number of classes the files show, when they fix it (an image folder's class folders). */
export function factClasses(facts: DataFacts | undefined): number | undefined {
  return facts?.classes?.names.length;
}

/** Labels against `class(N)` / `onehot(N)` / `binary` / `regression`. Returns false after an error. */
export function checkDeclaredLabels(facts: DataFacts | undefined, kind: "class" | "onehot" | "binary" | "regression", classes: number | undefined, span: Span, out: Diagnostic[]): boolean {
  if (!facts) return true;
  const decl = kind === "binary" ? "binary" : kind === "regression" ? "regression" : `${kind}(${classes})`;
  const l = facts.labels;
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
  if (l?.kind === "ids") {
    if (l.min < 0) {
      out.push(diag("DLP4006", "error", `the data has a negative class label (${l.min})`, span, { label: `\`${decl}\` numbers classes from 0`, notes: [`${l.minAt}: ${l.min}`] }));
      return false;
    }
    if (l.max >= n) {
      const fromOne = l.min >= 1 && l.max === n;
      out.push(diag("DLP4006", "error", `labels go up to ${l.max}, outside the declared ${n} classes`, span, {
        label: `\`${decl}\` takes labels 0..${n - 1}`,
        notes: [`${l.maxAt}: ${l.max}${l.complete ? "" : " (in the first part of the file read at check time)"}`, ...(fromOne ? [`the smallest label is ${l.min} (${l.minAt}): the classes look numbered from 1`] : [])],
        help: fromOne ? `classes are numbered from 0: subtract 1 from the labels in the file` : kind === "binary" ? "binary labels are 0 and 1; declare `as class(N)` for more classes" : `write \`${kind}(${l.max + 1})\``,
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
