// Search spaces: ordering by conditions, condition evaluation, sampling, grid enumeration
// and the [0,1]^d encoding the Bayesian surrogate works in.
import type { ConditionSpec, ParamSpec, Params, ParamValue, SpaceSpec } from "../spec.ts";
import type { Rng } from "./rng.ts";

export class SpaceError extends Error {
  override name = "SpaceError";
}

/** A tuned param (one with a space), in an order where every condition's param comes first. */
export interface Dim {
  spec: ParamSpec;
  space: SpaceSpec;
  /** First column of this param in the encoded vector. */
  offset: number;
  /** Columns it takes: one, or one per choice value. */
  width: number;
}

export interface Space {
  dims: Dim[];
  /** Encoded vector length. */
  size: number;
  /** Defaults of params without a space: they take part in conditions but are never sampled. */
  fixed: Params;
}

function checkSpace(p: ParamSpec, s: SpaceSpec): void {
  const bad = (why: string): never => {
    throw new SpaceError(`param "${p.name}": ${why}`);
  };
  if (s.kind === "choice") {
    if (s.values.length === 0) bad("choice() needs at least one value");
    return;
  }
  if (!(Number.isFinite(s.low) && Number.isFinite(s.high))) bad("bounds must be finite numbers");
  if (s.high < s.low) bad(`low ${s.low} is above high ${s.high}`);
  if (s.kind === "log_uniform" && s.low <= 0) bad(`log_uniform needs low > 0, got ${s.low}`);
  if (s.kind === "int") {
    if (!Number.isInteger(s.low) || !Number.isInteger(s.high)) bad("int bounds must be integers");
    if (!(s.step >= 1) || !Number.isInteger(s.step)) bad(`int step must be a positive integer, got ${s.step}`);
    if (s.log && s.low <= 0) bad(`log int needs low > 0, got ${s.low}`);
  }
  if (s.kind === "uniform" && s.step !== undefined && !(s.step > 0)) bad(`step must be positive, got ${s.step}`);
}

/** Orders the tuned params so that each condition's param is sampled before the param it guards. */
export function buildSpace(params: ParamSpec[]): Space {
  const byName = new Map(params.map((p) => [p.name, p]));
  const fixed: Params = {};
  for (const p of params) if (!p.space) fixed[p.name] = p.default;
  const order: ParamSpec[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (p: ParamSpec, path: string[]): void => {
    const st = state.get(p.name);
    if (st === "done") return;
    if (st === "visiting") throw new SpaceError(`conditions form a cycle: ${[...path, p.name].join(" -> ")}`);
    state.set(p.name, "visiting");
    if (p.condition) {
      const dep = byName.get(p.condition.param);
      if (!dep) throw new SpaceError(`param "${p.name}" has a condition on unknown param "${p.condition.param}"`);
      visit(dep, [...path, p.name]);
    }
    state.set(p.name, "done");
    order.push(p);
  };
  for (const p of params) visit(p, []);
  const dims: Dim[] = [];
  let offset = 0;
  for (const p of order) {
    if (!p.space) continue;
    checkSpace(p, p.space);
    const width = p.space.kind === "choice" ? p.space.values.length : 1;
    dims.push({ spec: p, space: p.space, offset, width });
    offset += width;
  }
  return { dims, size: offset, fixed };
}

export function conditionHolds(c: ConditionSpec, ctx: Params): boolean {
  if (!(c.param in ctx)) return false;
  const v = ctx[c.param]!;
  switch (c.op) {
    case "==":
      return v === c.value;
    case "!=":
      return v !== c.value;
    case "in":
      return Array.isArray(c.value) ? c.value.includes(v) : v === c.value;
    default: {
      if (typeof v !== "number" || typeof c.value !== "number") return false;
      if (c.op === "<") return v < c.value;
      if (c.op === "<=") return v <= c.value;
      if (c.op === ">") return v > c.value;
      return v >= c.value;
    }
  }
}

/** Whether `dim` is active given the params sampled so far (plus fixed defaults). */
export function isActive(space: Space, dim: Dim, sampled: Params): boolean {
  const c = dim.spec.condition;
  if (!c) return true;
  return conditionHolds(c, { ...space.fixed, ...sampled });
}

const EPS = 1e-9;

/** The finite values of a space, or null for a continuous one. */
export function spaceValues(s: SpaceSpec): ParamValue[] | null {
  switch (s.kind) {
    case "choice":
      return [...s.values];
    case "int": {
      const out: number[] = [];
      for (let v = s.low; v <= s.high; v += s.step) out.push(v);
      return out;
    }
    case "uniform": {
      if (s.step === undefined) return null;
      const out: number[] = [];
      const n = Math.floor((s.high - s.low) / s.step + EPS);
      for (let i = 0; i <= n; i++) out.push(roundTo(s.low + i * s.step, s.step));
      return out;
    }
    case "log_uniform":
      return null;
  }
}

/** Removes float noise from low + i*step (0.1 + 2*0.1 = 0.30000000000000004 -> 0.3). */
function roundTo(v: number, step: number): number {
  const decimals = Math.max(0, Math.min(12, Math.ceil(-Math.log10(step)) + 3));
  return Number(v.toFixed(decimals));
}

function describe(s: SpaceSpec): string {
  switch (s.kind) {
    case "choice":
      return `choice(${s.values.map((v) => JSON.stringify(v)).join(", ")})`;
    case "uniform":
      return `uniform(${s.low}, ${s.high})`;
    case "log_uniform":
      return `log_uniform(${s.low}, ${s.high})`;
    case "int":
      return `int(${s.low}, ${s.high}, step ${s.step})`;
  }
}

function gridValues(d: Dim): ParamValue[] {
  const v = spaceValues(d.space);
  if (v === null) {
    throw new SpaceError(
      `grid search needs a finite space, but param "${d.spec.name}" is ${describe(d.space)} with no step; ` +
        `give it a step (uniform(low, high, step)) or list the values with choice(...), or use random/bayesian search`,
    );
  }
  return v;
}

/** How many values a finite space holds, counted without listing them; null for a continuous one. */
export function spaceCount(s: SpaceSpec): number | null {
  switch (s.kind) {
    case "choice":
      return s.values.length;
    case "int":
      return s.high < s.low ? 0 : Math.floor((s.high - s.low) / s.step) + 1;
    case "uniform":
      return s.step === undefined ? null : Math.floor((s.high - s.low) / s.step + EPS) + 1;
    case "log_uniform":
      return null;
  }
}

/** The values a conditional count branches on are listed; beyond this many the grid is refused. */
const MAX_BRANCH_VALUES = 10_000;
/** Work bound of the conditional count (walk steps), so a deep conditional grid cannot hang. */
const MAX_COUNT_STEPS = 1_000_000;

/**
 * The number of configurations a grid search visits (conditions respected), computed without
 * listing them: a param no condition reads multiplies the count by its size; only the params some
 * condition reads are walked value by value.
 */
export function gridSize(space: Space): number {
  const counts = space.dims.map((d) => {
    const n = spaceCount(d.space);
    if (n === null) gridValues(d); // throws the finite-space error
    return n!;
  });
  if (space.dims.every((d) => !d.spec.condition)) return counts.reduce((a, n) => a * n, 1);
  const read = new Set(space.dims.map((d) => d.spec.condition?.param).filter((x): x is string => !!x));
  const values = space.dims.map((d, i) => {
    if (!read.has(d.spec.name)) return null;
    if (counts[i]! > MAX_BRANCH_VALUES) {
      throw new SpaceError(`grid search over param "${d.spec.name}" (${counts[i]} values) that a \`when\` condition reads is too large to enumerate; use random, bayesian, hyperband or asha search`);
    }
    return gridValues(d);
  });
  let steps = 0;
  const walk = (i: number, ctx: Params): number => {
    if (++steps > MAX_COUNT_STEPS) throw new SpaceError("the conditional grid is too large to enumerate; use random, bayesian, hyperband or asha search");
    if (i === space.dims.length) return 1;
    const d = space.dims[i]!;
    if (!isActive(space, d, ctx)) return walk(i + 1, ctx);
    const vs = values[i];
    if (!vs) return counts[i]! * walk(i + 1, ctx);
    let total = 0;
    for (const v of vs) total += walk(i + 1, { ...ctx, [d.spec.name]: v });
    return total;
  };
  return walk(0, {});
}

/** Every configuration of the grid, in a fixed order (the first param varies slowest). */
export function* gridConfigs(space: Space): Generator<Params> {
  const values = space.dims.map(gridValues);
  function* walk(i: number, ctx: Params): Generator<Params> {
    if (i === space.dims.length) {
      yield { ...ctx };
      return;
    }
    const d = space.dims[i]!;
    if (!isActive(space, d, ctx)) {
      yield* walk(i + 1, ctx);
      return;
    }
    for (const v of values[i]!) {
      ctx[d.spec.name] = v;
      yield* walk(i + 1, ctx);
      delete ctx[d.spec.name];
    }
  }
  yield* walk(0, {});
}

/** Whether every tuned param has finitely many values. */
export function isDiscrete(space: Space): boolean {
  return space.dims.every((d) => spaceValues(d.space) !== null);
}

/** Decodes one unit-interval coordinate into a value of a numeric space. */
function decodeNumber(s: Exclude<SpaceSpec, { kind: "choice" }>, u: number): number {
  u = Math.min(1, Math.max(0, u));
  switch (s.kind) {
    case "uniform": {
      const v = s.low + u * (s.high - s.low);
      if (s.step === undefined) return v;
      const n = Math.floor((s.high - s.low) / s.step + EPS);
      return roundTo(s.low + Math.min(n, Math.max(0, Math.round((v - s.low) / s.step))) * s.step, s.step);
    }
    case "log_uniform":
      return Math.exp(Math.log(s.low) + u * (Math.log(s.high) - Math.log(s.low)));
    case "int": {
      const v = s.log ? Math.exp(Math.log(s.low) + u * (Math.log(s.high) - Math.log(s.low))) : s.low + u * (s.high - s.low);
      const n = Math.floor((s.high - s.low) / s.step);
      return s.low + Math.min(n, Math.max(0, Math.round((v - s.low) / s.step))) * s.step;
    }
  }
}

function encodeNumber(s: Exclude<SpaceSpec, { kind: "choice" }>, v: number): number {
  const log = s.kind === "log_uniform" || (s.kind === "int" && s.log === true);
  if (s.high === s.low) return 0.5;
  const u = log ? (Math.log(v) - Math.log(s.low)) / (Math.log(s.high) - Math.log(s.low)) : (v - s.low) / (s.high - s.low);
  return Math.min(1, Math.max(0, u));
}

/** Encoded value of an inactive numeric param: the middle of its range. */
export const INACTIVE = 0.5;

/**
 * Decodes a point of [0,1]^size into a configuration: params are visited in condition order
 * and an inactive param is left out; choices take the arg-max of their one-hot block.
 */
export function decode(space: Space, x: ArrayLike<number>): Params {
  const out: Params = {};
  for (const d of space.dims) {
    if (!isActive(space, d, out)) continue;
    if (d.space.kind === "choice") {
      let best = 0;
      for (let j = 1; j < d.width; j++) if (x[d.offset + j]! > x[d.offset + best]!) best = j;
      out[d.spec.name] = d.space.values[best]!;
    } else {
      out[d.spec.name] = decodeNumber(d.space, x[d.offset]!);
    }
  }
  return out;
}

/** Encodes a configuration: numbers to [0,1] (log-scaled for log spaces), choices one-hot, inactive imputed. */
export function encode(space: Space, p: Params): Float64Array {
  const x = new Float64Array(space.size);
  for (const d of space.dims) {
    const v = p[d.spec.name];
    if (d.space.kind === "choice") {
      if (v === undefined) continue; // all zeros
      const j = d.space.values.indexOf(v);
      if (j >= 0) x[d.offset + j] = 1;
    } else {
      x[d.offset] = v === undefined || typeof v !== "number" ? INACTIVE : encodeNumber(d.space, v);
    }
  }
  return x;
}

/** One configuration drawn uniformly (log-uniformly for log spaces), conditions respected. */
export function sample(space: Space, rng: Rng): Params {
  const out: Params = {};
  for (const d of space.dims) {
    if (!isActive(space, d, out)) continue;
    if (d.space.kind === "choice") out[d.spec.name] = d.space.values[rng.int(d.space.values.length)]!;
    else if (d.space.kind === "int") {
      const n = Math.floor((d.space.high - d.space.low) / d.space.step) + 1;
      out[d.spec.name] = d.space.log ? decodeNumber(d.space, rng.next()) : d.space.low + rng.int(n) * d.space.step;
    } else if (d.space.kind === "uniform" && d.space.step !== undefined) {
      const vals = spaceValues(d.space)!;
      out[d.spec.name] = vals[rng.int(vals.length)]!;
    } else out[d.spec.name] = decodeNumber(d.space, rng.next());
  }
  return out;
}

/** A canonical string for a configuration (sorted keys), used to detect duplicates. */
export function configKey(p: Params): string {
  return JSON.stringify(Object.keys(p).sort().map((k) => [k, p[k]]));
}
