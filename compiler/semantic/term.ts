// A spec leaf that carries both of its meanings: the value the checker reasons about (under
// the params of the combination being checked) and the TypeScript that computes it from the
// trial's params `p`. Every spec field the checker builds from an argument is a Term, so the
// emitter writes what the checker decided, and a param read anywhere reaches the trial: there
// is no second place that decides which fields read params.
// Terms are built from expressions in values.ts (termOf) and by the catalog's toSpec.
import type { ArgValue } from "./layers/types.ts";

/** A number as TypeScript, short: 0.001, 1e-4, 255. */
export function numberCode(n: number): string {
  if (Number.isInteger(n) || Math.abs(n) >= 1e-3) return String(Number(n.toPrecision(15)));
  return n.toExponential();
}

/** The TypeScript that reads param `name` from the generated `p: Params`. */
export function paramRef(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `p.${name}` : `p[${JSON.stringify(name)}]`;
}

/** How param names read in generated code: name → `p.name`. */
export type ParamRefs = ReadonlyMap<string, string>;

export function paramRefs(names: Iterable<string>): Map<string, string> {
  return new Map([...names].map((n) => [n, paramRef(n)]));
}

export class Term {
  #code: string | (() => string);
  constructor(
    /** The value under the params the checker used. */
    readonly value: ArgValue,
    code: string | (() => string),
    /** True when the value depends on a param (so the code reads `p`). */
    readonly dynamic: boolean,
    /** The items of a list written item by item (`[h, w]`), so `item` reads `p.h`, not `[p.h, p.w][0]`. */
    readonly parts?: Term[],
  ) {
    this.#code = code;
  }
  /** The TypeScript expression (made on first use: the checker runs many combinations and never reads it). */
  get code(): string {
    if (typeof this.#code === "function") this.#code = this.#code();
    return this.#code;
  }
}

export function literalCode(v: unknown): string {
  if (typeof v === "number") return Number.isFinite(v) ? numberCode(v) : "0";
  if (Array.isArray(v)) return `[${v.map(literalCode).join(", ")}]`;
  return JSON.stringify(v ?? null);
}

/** A constant (a default filled by the schema, a fixed field). */
export function lit(v: ArgValue): Term {
  return new Term(v, () => literalCode(v), false);
}

/** Parenthesised when it is an operation, for use inside another. */
export function operand(code: string): string {
  return /^-?[A-Za-z0-9_.$]+$|^p\[[^\]]*\]$/.test(code) ? code : `(${code})`;
}

/**
 * A value computed from other terms: `f` on their values for the checker, `code` on their
 * code for the emitter. With `fold`, a result that reads no param is written as its value.
 */
export function derive(inputs: Term[], f: (...vs: ArgValue[]) => ArgValue, code: (...cs: string[]) => string, fold = false): Term {
  const value = f(...inputs.map((t) => t.value));
  const dynamic = inputs.some((t) => t.dynamic);
  if (fold && !dynamic) return lit(value);
  return new Term(value, () => code(...inputs.map((t) => t.code)), dynamic);
}

/** A list of terms as one term (`zoom lo..hi` as its range). */
export function tuple(parts: Term[]): Term {
  return new Term(parts.map((t) => t.value), () => `[${parts.map((t) => t.code).join(", ")}]`, parts.some((t) => t.dynamic), parts);
}

/** Item `i` of a list-valued term (`size[0]`). */
export function item(t: Term, i: number): Term {
  if (t.parts?.[i]) return t.parts[i];
  const v = Array.isArray(t.value) ? t.value[i] : undefined;
  return derive([t], () => v as ArgValue, (c) => `${operand(c)}[${i}]`, true);
}

/** Fields that name what a spec node is: fixed by the source text, never a param. */
type Tag = "kind" | "op" | "name";

/** A spec tree whose leaves may be terms. */
export type Traced<T> = T extends string | number | boolean ? T | Term
  : T extends (infer U)[] ? Traced<U>[]
  : T extends object ? { [K in keyof T]: K extends Tag ? T[K] : Traced<T[K]> }
  : T;

/** The plain value of a traced tree (what the checker, the summary and the editor read). */
export function valueOf<T>(t: Traced<T>): T {
  return strip(t) as T;
}

function strip(t: unknown): unknown {
  if (t instanceof Term) return t.value;
  if (Array.isArray(t)) return t.map(strip);
  if (t && typeof t === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(t)) if (v !== undefined) out[k] = strip(v);
    return out;
  }
  return t;
}

/** True when some leaf of the tree reads a param. */
export function isDynamic(t: unknown): boolean {
  if (t instanceof Term) return t.dynamic;
  if (Array.isArray(t)) return t.some(isDynamic);
  if (t && typeof t === "object") return Object.values(t).some(isDynamic);
  return false;
}
