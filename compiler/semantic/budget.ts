// Bounds on the work one check may do, so that `repeat 1000000000 { … }`, nested repeats or
// blocks that call each other twice at every level fail fast with a diagnostic instead of
// running out of memory. Real models stay far below: the largest pipeline or golden here uses
// 667 applications (all walks of its tuning space together); ResNet-152 unrolls to ~500 layers.
import type { Span } from "../../grammar/ast.ts";
import { diag, type Diagnostic } from "../diagnostics/diagnostic.ts";

/** Rounds one `repeat` may unroll. */
export const MAX_REPEAT = 10_000;
/** Layer and block applications one model check may interpret, over all its walks. */
export const MAX_UNROLLED = 50_000;

/** Shared by every walk (and branch) of one model check. */
export interface WorkBudget {
  used: number;
  limit: number;
  /** Reported once per check. */
  reported: boolean;
  /** The outermost `repeat` being unrolled, where the diagnostic points. */
  outer?: Span;
}

export function newBudget(limit = MAX_UNROLLED): WorkBudget {
  return { used: 0, limit, reported: false };
}

/** Counts one layer or block application: true while within the limit; past it, DLP2010 the
 *  first time (for the caller to report) and false after. */
export function spend(b: WorkBudget | undefined, at: Span): true | false | Diagnostic {
  if (!b) return true;
  if (++b.used <= b.limit) return true;
  if (b.reported) return false;
  b.reported = true;
  return diag("DLP2010", "error", `the model unrolls to more than ${grouped(b.limit)} layer and block applications`, b.outer ?? at, {
    label: b.outer ? "this repeat unrolls too far" : "checking stopped here",
    notes: ["nested `repeat`s or blocks that call other blocks several times multiply the layers dlpc must check and tfjs must build"],
    help: "use smaller counts; a tuned count (`param blocks = 4 tune int(1..8)` with `repeat blocks { … }`) is checked at each of its values",
  });
}

/** DLP2010 for a `repeat` count above MAX_REPEAT, or undefined when the count is fine. */
export function repeatTooLarge(n: number, countSpan: Span): Diagnostic | undefined {
  if (n <= MAX_REPEAT) return undefined;
  return diag("DLP2010", "error", `\`repeat ${n}\` unrolls more than ${grouped(MAX_REPEAT)} rounds`, countSpan, {
    label: `${grouped(n)} rounds`,
    help: `dlpc checks and tfjs builds every round as layers; use at most ${grouped(MAX_REPEAT)} (a tuned count, \`repeat blocks { … }\`, is checked at each of its values)`,
  });
}

/** DLP6011 (info): the shape check walked a sample of the tuning space, not all of it. */
export function sampledSpace(total: number, checked: number, names: string[], at: Span): Diagnostic {
  const n = Number.isFinite(total) ? grouped(total) : "more than 10^308";
  return diag("DLP6011", "info", `shapes checked for ${checked} of the ${n} combinations of the tuning space`, at, {
    label: "large tuning space",
    notes: [
      `shape-affecting params: ${names.join(", ")}`,
      "checked: the defaults, every candidate value of each param with the others at their defaults, and a seeded sample of the rest; a shape error only a rarer combination reaches is found when its trial builds the model",
    ],
    help: "fewer values per shape-affecting param (or fewer such params) lets dlpc check every combination",
  });
}

/** Block calls one inside another (a chain of distinct blocks; a block inside itself is DLP2008). */
export const MAX_BLOCK_DEPTH = 32;

/** The blocks being interpreted, innermost last. The checker is synchronous, so one stack
 *  serves every walk; applyBlock pushes and pops it around a block's body. */
export const blockStack: string[] = [];

/** DLP2008 when `name` is already being interpreted (direct or mutual recursion), DLP2011 when
 *  the chain is MAX_BLOCK_DEPTH deep; undefined when the call may go on. */
export function blockCallProblem(name: string, at: Span): Diagnostic | undefined {
  const i = blockStack.indexOf(name);
  if (i >= 0) {
    const chain = [...blockStack.slice(i), name];
    return diag("DLP2008", "error", `block \`${name}\` calls itself`, at, {
      label: "recursive call",
      notes: chain.length > 2 ? [`through ${chain.map((n) => `\`${n}\``).join(" → ")}`] : [],
      help: "use `repeat N { … }` to stack a block several times",
    });
  }
  if (blockStack.length >= MAX_BLOCK_DEPTH) {
    return diag("DLP2011", "error", `block calls nest more than ${MAX_BLOCK_DEPTH} deep`, at, {
      label: `call ${blockStack.length + 1} of a chain`,
      notes: [`chain: ${blockStack.slice(0, 3).join(" → ")} → … → ${blockStack.slice(-2).join(" → ")} → ${name}`],
      help: "fold the chain: a block called from a `repeat` stacks it as often as needed",
    });
  }
  return undefined;
}

/** 1000000 → "1,000,000" (Intl's toLocaleString is slow enough to show in the fuzz profile). */
function grouped(n: number): string {
  const t = String(n);
  return /^\d+$/.test(t) ? t.replace(/\B(?=(\d{3})+(?!\d))/g, ",") : t;
}
