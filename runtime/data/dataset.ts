// loadDataset: source -> label checks -> split indices -> transforms -> one typed array per split.
import type { DataSpec, LabelSpec, SplitSpec } from "../spec.ts";
import { DataError } from "../errors.ts";
import { mulberry32, permutation, type Rng } from "../rng.ts";
import { loadSource } from "./sources.ts";
import { loadWindows } from "./window.ts";
import { applyTransforms, fitTransforms, fmtShape } from "./transforms.ts";
import type { Dataset, RawPart, RawX, Split } from "./types.ts";

export interface LoadOptions {
  seed: number;
  /** Caps the training pool and the test set (quick runs, tests). */
  limit?: number;
  /** With `split kfold K`: which fold (0-based) is the validation set. */
  fold?: number;
}

/**
 * Fold of each pool position for k-fold cross-validation: a seeded shuffle dealt round-robin, per
 * class when stratified (each fold then holds every class in proportion, as StratifiedKFold).
 */
export function kfoldAssign(n: number, k: number, stratified: boolean, label: (i: number) => number | null, rng: Rng): Int32Array {
  if (k > n) throw new DataError(`split kfold ${k}: only ${n} training samples, fewer than the folds`);
  const order = permutation(n, rng);
  const fold = new Int32Array(n);
  if (!stratified) {
    order.forEach((p, j) => { fold[p] = j % k; });
    return fold;
  }
  const byClass = new Map<number, number[]>();
  for (const p of order) { const c = label(p) ?? -1; (byClass.get(c) ?? byClass.set(c, []).get(c)!).push(p); }
  let next = 0;
  for (const [, members] of [...byClass.entries()].sort((a, b) => a[0] - b[0])) for (const p of members) fold[p] = next++ % k;
  return fold;
}

function count(x: RawX): number {
  return x.kind === "sequences" ? x.seqs.length : x.kind === "table" ? x.n : x.data.length / Math.max(1, x.sampleShape.reduce((a, b) => a * b, 1));
}

function limitPart(p: RawPart, limit: number | undefined): RawPart {
  const n = count(p.x);
  if (limit === undefined || limit >= n) return p;
  const m = Math.max(1, Math.floor(limit));
  const x: RawX = p.x.kind === "sequences"
    ? { kind: "sequences", seqs: p.x.seqs.slice(0, m) }
    : p.x.kind === "table"
    ? { ...p.x, n: m, cells: Object.fromEntries(Object.entries(p.x.cells).map(([k, v]) => [k, v.slice(0, m)])) }
    : { kind: "dense", data: p.x.data.slice(0, m * (p.x.data.length / n)), sampleShape: p.x.sampleShape };
  return { ...p, x, y: p.y.slice(0, m * p.yWidth) };
}

export function checkLabels(part: RawPart, labels: LabelSpec): void {
  const y = part.y;
  if (labels.kind === "regression") {
    // Per-step targets are `outputs` values at each step (the window source checks its columns).
    if (!labels.perStep && part.yWidth !== labels.outputs) throw new DataError(`${part.labelAt(0)}: the targets have ${part.yWidth} value(s) per sample, the pipeline declares ${labels.outputs} output(s)`);
    return;
  }
  const hi = labels.kind === "binary" ? 2 : labels.classes;
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= hi) {
      const what = labels.kind === "binary" ? "binary labels must be 0 or 1" : `the pipeline declares ${labels.classes} classes (0..${labels.classes - 1})`;
      throw new DataError(`${part.labelAt(i)}: label ${v} is outside the declared classes: ${what}`);
    }
  }
}

/** Picks `take` indices out of `pool` (positions in the part): the last ones, or stratified by label. */
function carve(pool: Int32Array, spec: { fraction?: number; last?: number; stratified?: boolean }, y: Int32Array | Float32Array, yWidth: number, rng: Rng, what: string): { rest: Int32Array; taken: Int32Array } {
  const n = pool.length;
  const take = spec.last !== undefined ? Math.floor(spec.last) : Math.round((spec.fraction ?? 0) * n);
  if (take <= 0) return { rest: pool, taken: new Int32Array(0) };
  if (take >= n) throw new DataError(`the ${what} split takes ${take} of ${n} samples, leaving none to train on`);
  if (spec.stratified && spec.last === undefined && yWidth === 1 && y instanceof Int32Array) {
    const byClass = new Map<number, number[]>();
    const order = permutation(n, rng);
    for (const k of order) { const c = y[pool[k]!]!; (byClass.get(c) ?? byClass.set(c, []).get(c)!).push(pool[k]!); }
    const taken: number[] = [];
    const frac = take / n;
    for (const [, members] of [...byClass.entries()].sort((a, b) => a[0] - b[0])) taken.push(...members.slice(0, Math.round(members.length * frac)));
    const set = new Set(taken);
    return { rest: pool.filter((i) => !set.has(i)), taken: Int32Array.from(taken.sort((a, b) => a - b)) };
  }
  // Keras semantics: validation_split takes the last samples, unshuffled.
  return { rest: pool.slice(0, n - take), taken: pool.slice(n - take) };
}

function gather(data: Float32Array, sampleShape: number[], y: Int32Array | Float32Array, yWidth: number, idx: Int32Array): Split {
  const per = sampleShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(idx.length * per);
  const yy = y instanceof Int32Array ? new Int32Array(idx.length * yWidth) : new Float32Array(idx.length * yWidth);
  idx.forEach((src, i) => {
    x.set(data.subarray(src * per, src * per + per), i * per);
    for (let k = 0; k < yWidth; k++) yy[i * yWidth + k] = y[src * yWidth + k]!;
  });
  return { x, sampleShape: sampleShape.slice(), y: yy, yWidth, n: idx.length };
}

const range = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

function shapeMatches(actual: number[], declared: (number | null)[]): boolean {
  return actual.length === declared.length && actual.every((d, i) => declared[i] === null || declared[i] === d);
}

/** Every split's samples of each input and targets of each head, in the DataSpec's order. */
interface Columns { inputs: { name: string; data: Float32Array; sampleShape: number[] }[]; outputs: { name: string; y: Int32Array | Float32Array; yWidth: number }[] }

function gatherAll(c: Columns, idx: Int32Array): Split {
  const inputs = c.inputs.map((i) => { const g = gather(i.data, i.sampleShape, new Int32Array(0), 0, idx); return { name: i.name, x: g.x, sampleShape: g.sampleShape }; });
  const outputs = c.outputs.map((o) => { const g = gather(new Float32Array(0), [0], o.y, o.yWidth, idx); return { name: o.name, y: g.y, yWidth: o.yWidth }; });
  return splitOf(inputs, outputs, idx.length);
}

function splitOf(inputs: NonNullable<Split["inputs"]>, outputs: NonNullable<Split["outputs"]>, n: number): Split {
  return { x: inputs[0]!.x, sampleShape: inputs[0]!.sampleShape, y: outputs[0]!.y, yWidth: outputs[0]!.yWidth, n, inputs, outputs };
}

const widthOf = (l: LabelSpec): number => (l.kind === "class" ? l.classes : l.kind === "binary" ? 1 : l.outputs);

export async function loadDataset(spec: DataSpec, opts: LoadOptions): Promise<Dataset> {
  if (!spec.inputs.length || !spec.outputs.length) throw new DataError("the pipeline's data spec has no inputs or no outputs");
  // The source reads its labels once, as the first head that reads them wants them.
  const labelHeads = spec.outputs.filter((o) => !o.fromFeatures);
  const sourceLabels = labelHeads[0]?.labels ?? { kind: "regression", outputs: 1 };
  // A window source splits by time itself (runtime/data/window.ts): its parts come cut and limited.
  const timed = spec.source.kind === "window" ? loadWindows(spec.source, sourceLabels, spec.split, opts.limit) : null;
  // Typed CSV columns: the source reads every column that an input's `columns` stage names.
  const tableColumns = spec.inputs.flatMap((i) => { const f = i.transforms[0]; return f?.op === "columns" ? f.columns.map((c) => c.column) : []; });
  // A CSV source whose heads name their own columns: every head's labels from the same rows.
  const src = spec.source;
  const csvHeads = src.kind === "csv" && labelHeads.some((o) => o.columns) ? labelHeads.map((o) => ({ columns: o.columns ?? [src.label], labels: o.labels })) : undefined;
  const raw = timed ? timed.raw : loadSource(spec.source, sourceLabels, tableColumns.length ? [...new Set(tableColumns)] : undefined, csvHeads);
  const trainPart = timed ? raw.train : limitPart(raw.train, opts.limit);
  const testPart0 = raw.test ? (timed ? raw.test : limitPart(raw.test, opts.limit)) : null;
  // Each label head's training labels (the source's own labels, unless a CSV read each head's columns).
  const nTrain = count(trainPart.x);
  const headParts = labelHeads.map((_, k): RawPart => {
    const h = raw.heads?.[k];
    return h ? { ...trainPart, y: h.y.slice(0, nTrain * h.yWidth), yWidth: h.yWidth, labelAt: h.labelAt } : trainPart;
  });
  const partOf = (part: RawPart, o: (typeof spec.outputs)[number]): RawPart => (part === trainPart ? headParts[labelHeads.indexOf(o)] ?? part : part);
  // Stratified splits and folds follow the first class head's labels (a regression head has no classes).
  const strataAt = labelHeads.findIndex((o) => o.labels.kind !== "regression");
  const strata = strataAt >= 0 ? headParts[strataAt]! : trainPart;
  // `split test N%` carves a test set out of the training data; a source that has its own would
  // silently ignore it.
  if (raw.test && spec.split.test && !timed) {
    const size = spec.split.test.last !== undefined ? `last ${spec.split.test.last}` : `${Math.round(spec.split.test.fraction! * 1000) / 10}%`;
    throw new DataError(`\`split test ${size}\`: the source has its own test set (${raw.description}); remove the \`split test\` line to evaluate on it, or split off a \`validation\` set instead`);
  }
  for (const o of labelHeads) {
    checkLabels(partOf(trainPart, o), o.labels);
    if (testPart0) checkLabels(testPart0, o.labels);
  }
  const rng = mulberry32(opts.seed);
  // `last N` is absolute, but when --limit leaves no more than N samples it keeps the split's
  // proportion instead: `validation last 5000` of 50 000 becomes the last 10 % of the limited
  // pool (else a quick run would have nothing left to train on).
  const nLimited = count(trainPart.x);
  const kept = nLimited / Math.max(1, count(raw.train.x));
  const scaleLast = <T extends { last?: number }>(s: T | undefined): T | undefined =>
    s && s.last !== undefined && kept < 1 && s.last >= nLimited ? { ...s, last: Math.max(1, Math.round(s.last * kept)) } : s;
  const split: SplitSpec = {
    ...(spec.split.validation ? { validation: scaleLast(spec.split.validation)! } : {}),
    ...(spec.split.test ? { test: scaleLast(spec.split.test)! } : {}),
  };
  let pool = timed ? timed.trainIdx : range(count(trainPart.x));
  let testIdx: Int32Array | null = null;
  let valIdx: Int32Array | null = timed ? timed.valIdx : null;
  if (!timed && !testPart0 && split.test) {
    const c = carve(pool, split.test, strata.y, strata.yWidth, rng, "test");
    pool = c.rest;
    testIdx = c.taken.length ? c.taken : null;
  }
  if (timed) {
    // already split by time
  } else if (spec.split.kfold && spec.split.validation) throw new DataError(`${raw.description}: split kfold and split validation are both given; with kfold, each fold is the validation set once`);
  else if (spec.split.kfold && opts.fold !== undefined) {
    const { k, stratified } = spec.split.kfold;
    const y = strata.y;
    const classes = stratified && strata.yWidth === 1 && y instanceof Int32Array;
    const fold = kfoldAssign(pool.length, k, classes, (i) => y[pool[i]!]!, rng);
    valIdx = pool.filter((_, i) => fold[i] === opts.fold);
    pool = pool.filter((_, i) => fold[i] !== opts.fold);
  } else if (split.validation) {
    const c = carve(pool, split.validation, strata.y, strata.yWidth, rng, "validation");
    pool = c.rest;
    valIdx = c.taken.length ? c.taken : null;
  }
  const where = raw.description;
  // applyTransforms works in place on dense features: each of several consumers gets its own copy.
  const consumers = spec.inputs.length + spec.outputs.filter((o) => o.fromFeatures).length;
  const own = (x: RawX): RawX => (consumers > 1 && x.kind === "dense" ? { ...x, data: x.data.slice() } : x);
  const columns = (part: RawPart, fittedAll: ReturnType<typeof fitTransforms>[], what: string): Columns => ({
    inputs: spec.inputs.map((input, k) => {
      const pl = applyTransforms(own(part.x), fittedAll[k]!, what);
      const declared = input.shape;
      if (!shapeMatches(pl.sampleShape, declared)) {
        const hint = pl.sampleShape.length === 3 && declared.length === 3 && pl.sampleShape[0] === declared[2] ? " (add channels_last: the samples are channels-first)" : "";
        const which = spec.inputs.length > 1 ? ` \`${input.name}\`` : "";
        throw new DataError(`${part.sampleAt(0)}: samples are ${fmtShape(pl.sampleShape)} after the transforms but the pipeline's input${which} is ${fmtShape(declared)}${hint}`);
      }
      return { name: input.name, data: pl.data, sampleShape: pl.sampleShape };
    }),
    outputs: spec.outputs.map((o, k) => {
      if (!o.fromFeatures) { const p = partOf(part, o); return { name: o.name, y: p.y, yWidth: p.yWidth }; }
      const pl = applyTransforms(own(part.x), fittedTargets[k]!, what);
      const w = pl.sampleShape.reduce((a, b) => a * b, 1);
      if (w !== widthOf(o.labels)) throw new DataError(`${part.sampleAt(0)}: the targets of \`${o.name}\` have ${w} values per sample, the pipeline declares ${widthOf(o.labels)}`);
      return { name: o.name, y: pl.data, yWidth: w };
    }),
  });
  const fitted = spec.inputs.map((i) => fitTransforms(i.transforms, trainPart.x, pool, where));
  const fittedTargets = spec.outputs.map((o) => (o.fromFeatures ? fitTransforms(o.fromFeatures, trainPart.x, pool, where) : []));
  const trainCols = columns(trainPart, fitted, where);
  const train = gatherAll(trainCols, pool);
  const validation = valIdx ? gatherAll(trainCols, valIdx) : null;
  let test: Split | null = null;
  if (testIdx) test = gatherAll(trainCols, testIdx);
  else if (testPart0) {
    const tc = columns(testPart0, fitted, `${where} (test set)`);
    tc.inputs.forEach((c, k) => {
      if (c.sampleShape.join() !== trainCols.inputs[k]!.sampleShape.join()) throw new DataError(`${testPart0.sampleAt(0)}: test samples are ${fmtShape(c.sampleShape)}, the training samples ${fmtShape(trainCols.inputs[k]!.sampleShape)}`);
    });
    test = splitOf(tc.inputs.map((c) => ({ name: c.name, x: c.data, sampleShape: c.sampleShape })), tc.outputs, count(testPart0.x));
  }
  const outputWidth = widthOf(spec.outputs[0]!.labels);
  // Each class head's class names: a CSV head's own column's, else the source's.
  const namesOf = (o: (typeof spec.outputs)[number]): string[] | undefined => (o.fromFeatures || o.labels.kind === "regression" ? undefined : raw.heads?.[labelHeads.indexOf(o)]?.classNames ?? raw.classNames);
  const firstClass = spec.outputs.find((o) => !o.fromFeatures && o.labels.kind !== "regression");
  const classNames = raw.heads ? (firstClass ? namesOf(firstClass) : undefined) : raw.classNames;
  const imageSize = spec.source.kind === "images" ? spec.source.size : undefined;
  const inputShape = trainCols.inputs[0]!.sampleShape;
  return {
    train, validation, test,
    inputShape,
    outputWidth,
    classNames,
    description: `${raw.description}: ${train.n} train, ${validation?.n ?? 0} validation, ${test?.n ?? 0} test`,
    preprocess: {
      transforms: fitted[0]!,
      inputShape,
      ...(spec.outputs.length > 1 ? { heads: spec.outputs.map((o) => { const n = namesOf(o); return { name: o.name, kind: o.labels.kind, ...(n ? { classNames: n } : {}) }; }) } : {}),
      ...(spec.inputs.length > 1 ? { inputs: spec.inputs.map((i, k) => ({ name: i.name, transforms: fitted[k]!, inputShape: trainCols.inputs[k]!.sampleShape })) } : {}),
      sourceKind: spec.source.kind,
      ...(spec.source.kind === "csv" && spec.source.delimiter && spec.source.delimiter !== "," ? { delimiter: spec.source.delimiter } : {}),
      ...(classNames ? { classNames } : {}),
      ...(imageSize ? { imageSize, channels: spec.source.kind === "images" ? spec.source.channels : 1 } : {}),
    },
  };
}
