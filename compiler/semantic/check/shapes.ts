// The model checked for every combination of the shape-affecting params, then its output
// against the labels and the loss.
import type { Span, Statement } from "../../../grammar/ast.ts";
import { exprText } from "../../../grammar/ast.ts";
import { diag, type Diagnostic } from "../../diagnostics/diagnostic.ts";
import type { ArgValue, Args, TensorShape } from "../layers/types.ts";
import { LAYERS, fmtShape } from "../layers/index.ts";
import { ACTIVATION_LAYERS } from "../layers/activation.ts";
import { LOSSES } from "../catalog.ts";
import type { PipelineIR, ParamIR } from "../lower.ts";
import { SHAPES_NOTE, SHAPES_PENDING, isPoisoned, blockReadClosure, branchModel, commitBranch, detachBranch, finishModel, interpretModel, modelUnits, newBlockMemo, sameOutcome, startModel, statementNames, stepModel, type LayerInstance, type ModelResult, type ModelWalk } from "../model.ts";
import type { Env } from "../values.ts";
import type { ParamRefs } from "../term.ts";
import { sampledSpace } from "../budget.ts";
import { checkData, type DataResult } from "./data.ts";
import { inputIds, tagShape, type InputIds } from "./vocab.ts";
import type { DataSpec } from "../../../runtime/spec.ts";
import { unknownName } from "../../diagnostics/builders.ts";
import { valueOf } from "../term.ts";
import type { CheckedPipeline } from "../checked.ts";

// ---- combinations of the shape-affecting params ----------------------------------------

const MAX_COMBOS = 512;

function candidates(p: ParamIR): ArgValue[] {
  const s = p.space!;
  const vals: ArgValue[] = [p.default];
  switch (s.kind) {
    case "choice":
      vals.push(...s.values);
      break;
    case "int": {
      const count = Math.floor((s.high - s.low) / s.step) + 1;
      if (count <= 16) for (let k = 0; k < count; k++) vals.push(s.low + k * s.step);
      else vals.push(s.low, s.high, s.low + Math.floor((count - 1) / 2) * s.step);
      break;
    }
    case "uniform":
    case "log_uniform":
      vals.push(s.low, s.high);
      break;
  }
  return [...new Set(vals)];
}

/** The default first, then every combination (or, past MAX_COMBOS, each param's extremes one
 *  at a time plus a seeded sample), each as the values of `ps` in order. */
function combinations(ps: ParamIR[], defaults: Env): ArgValue[][] {
  const lists = ps.map(candidates);
  const total = lists.reduce((a, l) => a * l.length, 1);
  const dflt = ps.map((p) => defaults.get(p.name)!);
  const out: ArgValue[][] = [dflt];
  if (total <= MAX_COMBOS) {
    const row = [...dflt];
    const rec = (i: number) => {
      if (i === ps.length) {
        if (row.some((v, k) => v !== dflt[k])) out.push([...row]);
        return;
      }
      for (const v of lists[i]) {
        row[i] = v;
        rec(i + 1);
      }
    };
    rec(0);
    return out;
  }
  ps.forEach((p, i) => {
    for (const v of lists[i]) if (v !== dflt[i]) out.push(dflt.map((d, k) => (k === i ? v : d)));
  });
  let state = 12345;
  const rand = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  while (out.length < MAX_COMBOS) out.push(ps.map((_, i) => lists[i][Math.floor(rand() * lists[i].length)]));
  return out;
}

/** Shape-checks the model for every combination of the shape-affecting params.
 *
 *  Rather than interpreting the whole model once per combination, walks go through the
 *  top-level statements ("units") in lockstep, each walk standing for a set of combinations
 *  that reached the same state. At each unit a walk's combinations are grouped by the values
 *  of the params the unit reads (with the blocks it calls); one group runs the unit once. If
 *  the groups end the unit in the same state (a tuned kernel size under `padding: same`, a
 *  repeat count of a shape-keeping block) they go on as one walk again; if not, the walk
 *  splits. A diagnostic found by a group is the one every combination of it gives; it is
 *  reported once, with the first of those combinations in enumeration order, exactly as a
 *  per-combination loop would. */
export function checkModel(
  ir: PipelineIR,
  inputShape: TensorShape,
  shapeParams: ParamIR[],
  defaults: Env,
  paramNames: ParamRefs,
  labelsDecl: DataResult["labels"],
  lossName: string | undefined,
  lossSpan: Span | undefined,
  out: Diagnostic[],
  result: CheckedPipeline,
  multi?: { data: DataResult; lossOf: (head: string) => { name?: string; span?: Span } },
): void {
  const model = ir.model!;
  // A model with several inputs reads each by its field name.
  const several = multi && multi.data.inputNames.length > 1 ? multi.data : undefined;
  const named = multi && multi.data.inputNames.length >= 1 ? multi.data : undefined;
  // The data section under another combination's values, checked once per combination (its
  // inputs' shapes and ids); the default combination's is the check's own.
  const dataRuns = new Map<number, DataResult>();
  const dataAt = (rep: number): DataResult | undefined => {
    if (!ir.data) return undefined;
    if (rep === 0 && multi) return multi.data;
    let r = dataRuns.get(rep);
    // Data facts only add diagnostics, which this discards: no probe per combination.
    if (!r) dataRuns.set(rep, (r = checkData(ir.data, envOf(rep), paramNames, [], lossName, false)));
    return r;
  };
  const firstInputAt = (rep: number): TensorShape | undefined => {
    const i = dataAt(rep)?.inputs[0];
    return i ? valueOf<TensorShape>(i.shape) : undefined;
  };
  const namedOf = (rep: number): Map<string, TensorShape | null> | undefined => {
    if (!named) return undefined;
    const shapes = new Map((rep === 0 || !ir.data ? named : dataAt(rep)!).inputs.map((i) => [i.name, valueOf<TensorShape>(i.shape)]));
    return new Map(named.inputNames.map((n) => [n, shapes.get(n) ?? null]));
  };
  const rows = combinations(shapeParams, defaults);
  result.combinationsChecked = rows.length;
  const total = shapeParams.reduce((a, p) => a * candidates(p).length, 1);
  if (total > MAX_COMBOS) out.push(sampledSpace(total, rows.length, shapeParams.map((p) => p.name), shapeParams[0]!.spaceExpr?.span ?? model.span));
  // The full values of a combination, made only for the combinations that run something.
  const envs = new Map<number, Env>();
  const envOf = (i: number): Env => {
    let env = envs.get(i);
    if (!env) {
      const m = new Map(defaults);
      shapeParams.forEach((p, k) => m.set(p.name, rows[i][k]));
      envs.set(i, (env = m));
    }
    return env;
  };
  const units = modelUnits(ir.modelNodes);
  const shapeNames = new Set(shapeParams.map((p) => p.name));

  // The shape params each unit reads (through the blocks it calls too), and those the data
  // section reads (pad_sequences(maxlen) changes the input).
  const blockNames = blockReadClosure(ir.blocks);
  const readsOf = (sts: Statement[]) => [...statementNames(sts, blockNames)].filter((n) => shapeNames.has(n)).sort();
  const unitReads = units.map((u) => readsOf(u.flatMap((n) => n.source)));
  const dataReads = ir.data ? readsOf(ir.data.body.statements) : [];

  // Each combination's values as small integers per param, so grouping is cheap.
  const valueIds = shapeParams.map(() => new Map<ArgValue | undefined, number>());
  const paramIndex = new Map(shapeParams.map((p, i) => [p.name, i]));
  const ids = rows.map((row) =>
    row.map((v, i) => {
      let id = valueIds[i].get(v);
      if (id === undefined) valueIds[i].set(v, (id = valueIds[i].size));
      return id;
    }),
  );
  /** Splits combination indices (ascending) by the values of some params, groups in order of their first index. */
  const split = (idxs: number[], names: string[]): number[][] => {
    if (names.length === 0 || idxs.length === 1) return [idxs];
    const cols = names.map((n) => paramIndex.get(n)!);
    // A mixed-radix number over the value ids while it stays exact, else their list as text.
    const exact = cols.reduce((a, c) => a * valueIds[c].size, 1) <= Number.MAX_SAFE_INTEGER;
    const groups = new Map<number | string, number[]>();
    for (const i of idxs) {
      const row = ids[i];
      let key: number | string = 0;
      if (exact) for (const c of cols) key = key * valueIds[c].size + row[c];
      else key = cols.map((c) => row[c]).join(",");
      const g = groups.get(key);
      if (g) g.push(i);
      else groups.set(key, [i]);
    }
    return [...groups.values()];
  };

  const found: { d: Diagnostic; rank: number; seq: number }[] = [];
  const collect = (ds: Diagnostic[], rank: number) => {
    for (const d of ds) found.push({ d, rank, seq: found.length });
    ds.length = 0;
  };

  interface Walk {
    idxs: number[];
    walk: ModelWalk;
    /** The model input of these combinations (a tuned window length changes a series' steps). */
    input: TensorShape;
    /** Groupings of `idxs` already made, by the names they split on. */
    splits: Map<string, number[][]>;
  }
  const groupsOf = (w: Walk, names: string[]): number[][] => {
    const key = names.join(",");
    let g = w.splits.get(key);
    if (!g) w.splits.set(key, (g = split(w.idxs, names)));
    return g;
  };

  const memo = rows.length > 1 ? newBlockMemo(ir.blocks) : undefined;
  // Each input's ids under the combination's values (text(num_words), category(max_tokens)), for
  // the embeddings that read them (check/vocab.ts).
  const idsOf = (rep: number) => (ir.data ? inputIds(valueOf<DataSpec | undefined>(dataAt(rep)!.spec), ir.data) : new Map<string, InputIds>());
  let walks: Walk[] = split(rows.map((_, i) => i), dataReads).map((idxs) => {
    const rep = idxs[0];
    const ids = idsOf(rep);
    const inShape = tagShape(rep === 0 || !ir.data ? inputShape : firstInputAt(rep) ?? inputShape, ids.values().next().value);
    const named = namedOf(rep);
    const namedTagged = named && new Map([...named].map(([n, s]) => [n, tagShape(s, ids.get(n))]));
    return { idxs, walk: startModel(inShape, envOf(rep), ir.blocks, [], rep === 0, "", memo, undefined, namedTagged), splits: new Map(), input: inShape };
  });

  for (let u = 0; u < units.length; u++) {
    const next: Walk[] = [];
    for (const w of walks) {
      const groups = groupsOf(w, unitReads[u]);
      result.statementRuns += groups.length;
      if (groups.length === 1) {
        stepModel(w.walk, units[u]);
        collect(w.walk.ctx.out, w.idxs[0]);
        next.push(w);
        continue;
      }
      // Run the unit once per group from the same state, then merge the groups that ended
      // in the same state (in order, so each class keeps its first combination's state).
      const classes: { idxs: number[][]; branch: ModelWalk }[] = [];
      for (const g of groups) {
        const rep = g[0];
        const b = branchModel(w.walk, envOf(rep), [], rep === 0);
        stepModel(b, units[u]);
        collect(b.ctx.out, rep);
        const same = classes.find((c) => sameOutcome(c.branch, b));
        if (same) same.idxs.push(g);
        else classes.push({ idxs: [g], branch: b });
      }
      const merged = (gs: number[][]) => (gs.length === 1 ? gs[0] : gs.flat().sort((x, y) => x - y));
      // Detach the other classes before the first is committed into the walk's table. The
      // first class holds the walk's first combination, so the walk keeps its values.
      const detached = classes.slice(1).map((c): Walk => {
        const idxs = merged(c.idxs);
        return { idxs, walk: detachBranch(c.branch, envOf(idxs[0])), splits: new Map(), input: w.input };
      });
      commitBranch(w.walk, classes[0].branch);
      if (classes[0].idxs.length !== groups.length) {
        w.idxs = merged(classes[0].idxs);
        w.splits = new Map();
      }
      next.push(w, ...detached);
    }
    walks = next;
  }

  // Per-step labels have the steps of the window, which are the input's steps in each combination.
  const labelsFor = (input: TensorShape): typeof labelsDecl => (labelsDecl?.steps !== undefined && input.length === 2 && input[0] !== null ? { ...labelsDecl, steps: input[0] } : labelsDecl);
  for (const w of walks) {
    let m = finishModel(w.walk);
    if (w.idxs[0] === 0) result.model = m;
    // Per-step errors sit on the layer that dropped or changed the steps: a walk that kept only
    // its output layer is run again whole (its layers' own errors were collected already).
    else if (m.output && labelsDecl?.spec.perStep) m = interpretModel(ir.modelNodes, w.input, envOf(w.idxs[0]), ir.blocks, [], "");
    if (w.idxs[0] === 0 && several && m.usedInputs) {
      for (const i of several.inputNames) {
        if (m.usedInputs.has(i)) continue;
        const at = several.inputs.find((x) => x.name === i)?.span ?? ir.data!.name.span;
        collect([diag("DLP5011", "error", `the input \`${i}\` is never used`, at, { label: "the model does not read it", related: [{ span: model.name.span, message: "the model" }], help: `read it in the model (\`${i} |> …\`, or merged with \`concatenate(…)\`), or remove the field` })], 0);
      }
    }
    if (multi && (m.heads || multi.data.outputs.length > 1)) {
      const local: Diagnostic[] = [];
      checkHeads(m, multi.data, multi.lossOf, ir, local);
      collect(local, w.idxs[0]);
    // An output poisoned by an earlier error (its width unknown) is not compared with the labels.
    } else if (m.output && !isPoisoned(m.output)) {
      const local: Diagnostic[] = [];
      checkOutput(m, labelsFor(w.input), lossName, lossSpan, ir, local, "");
      // Another combination's walk keeps only its output layer: an output error there waits for
      // its `shapes:` note, which the run of that combination alone gives below if it is reported.
      if (w.idxs[0] !== 0 && !m.shapesNote) for (const d of local) if (d.severity === "error") d.notes.push(SHAPES_PENDING);
      collect(local, w.idxs[0]);
    }
  }

  // One report per code and span: the one from the first combination in enumeration order.
  const best = new Map<string, { d: Diagnostic; rank: number; seq: number }>();
  for (const f of found) {
    const key = `${f.d.code}@${f.d.span.start}:${f.d.span.end}`;
    const prev = best.get(key);
    if (!prev || f.rank < prev.rank) best.set(key, f);
  }
  // Only the recording walk (the default combination) keeps the recent layers and shapes a
  // diagnostic lists in its `shapes:` note, and walks merge whatever their recent layers, so
  // the other combinations' shape errors take their notes from a run of their own
  // combination alone (there are few: one per code and span).
  const alone = new Map<number, Diagnostic[]>();
  const runAlone = (rank: number): Diagnostic[] => {
    let ds = alone.get(rank);
    if (!ds) {
      ds = [];
      const inShape = ir.data && dataReads.length ? firstInputAt(rank) ?? inputShape : inputShape;
      const full = interpretModel(ir.modelNodes, inShape, envOf(rank), ir.blocks, ds, "", namedOf(rank));
      if (!(multi && (full.heads || multi.data.outputs.length > 1)) && full.output && !isPoisoned(full.output)) checkOutput(full, labelsFor(inShape), lossName, lossSpan, ir, ds, "");
      alone.set(rank, ds);
    }
    return ds;
  };
  for (const f of [...best.values()].sort((a, b) => a.rank - b.rank || a.seq - b.seq)) {
    if (f.rank > 0 && f.d.notes.some((n) => n.startsWith(SHAPES_NOTE))) {
      const own = runAlone(f.rank).find((d) => d.code === f.d.code && d.span.start === f.d.span.start && d.span.end === f.d.span.end && d.message === f.d.message);
      if (own) f.d = own;
      else f.d.notes = f.d.notes.filter((n) => n !== SHAPES_PENDING);
    }
    if (f.rank > 0) {
      const context = describeCombo(envOf(f.rank), shapeParams);
      if (!f.d.notes.includes(context)) f.d.notes.unshift(context);
    }
    out.push(f.d);
  }
}

function describeCombo(env: Env, ps: ParamIR[]): string {
  const parts = ps.map((p) => `${p.name} = ${String(env.get(p.name))}`);
  return `with ${parts.join(" and ")} (a combination of the tuning space)`;
}

// ---- output ↔ labels ↔ loss ---------------------------------------------------------------

function lastActivation(layers: LayerInstance[]): { name: string; layer?: LayerInstance } {
  const last = layers[layers.length - 1];
  if (!last) return { name: "linear" };
  // time_distributed(dense(3, activation: softmax)): the wrapped layer's activation, at each step,
  // and any fix goes into the wrapped call, which is looked at as the layer it is.
  if (last.def.name === "time_distributed") {
    const inner = last.args.layer as { layer?: unknown; args?: Args } | undefined;
    const def = typeof inner?.layer === "string" ? LAYERS.get(inner.layer) : undefined;
    const call = last.call.args.find((a) => !a.name || a.name.name === "layer")?.value;
    if (!def || call?.kind !== "call") return { name: "linear" };
    return lastActivation([{ ...last, def, call, args: inner?.args ?? {} }]);
  }
  const act = last.args.activation;
  if (typeof act === "string") return { name: act, layer: last };
  if (["softmax", "sigmoid", "relu", "tanh", "elu", "leaky_relu", "softplus", "linear"].includes(last.def.name)) return { name: last.def.name, layer: last };
  if (last.def.name === "activation" && typeof last.args.fn === "string") return { name: last.args.fn, layer: last };
  return { name: "linear", layer: last };
}

/** Layers that keep their input's width: a width error belongs to the layer before them. */
const WIDTH_KEEPING = new Set(["activation", "dropout", "spatial_dropout1d", "gaussian_noise", "batch_norm", "layer_norm", ...ACTIVATION_LAYERS.map((d) => d.name)]);

/** The layer that set the output's width: the last one, skipping trailing activations, dropout, normalization. */
export function widthSetter(layers: LayerInstance[]): LayerInstance | undefined {
  for (let i = layers.length - 1; i >= 0; i--) if (!WIDTH_KEEPING.has(layers[i]!.def.name)) return layers[i];
  return layers[layers.length - 1];
}

/** The heads of `return { name = tensor, … }` against the data section's outputs: one head per output, each checked like a one-output model's output. */
function checkHeads(m: ModelResult, data: DataResult, lossOf: (head: string) => { name?: string; span?: Span }, ir: PipelineIR, out: Diagnostic[]): void {
  const names = data.outputs.map((o) => o.name);
  if (!m.heads) {
    const at = m.outputSpan ?? ir.model!.name.span;
    out.push(diag("DLP5010", "error", `the data section declares ${names.length} outputs, the model returns one tensor`, at, {
      label: "one output",
      related: data.outputs.map((o) => ({ span: o.nameSpan, message: `the labels \`${o.name}\`` })),
      help: `return one head per output: \`return { ${names.map((n) => `${n} = …`).join(", ")} }\``,
    }));
    return;
  }
  const returned = new Set(m.heads.map((h) => h.name.name));
  for (const h of m.heads) {
    const o = data.outputs.find((x) => x.name === h.name.name);
    if (!o) {
      if (data.outputNames?.includes(h.name.name)) continue; // its labels have an error of their own
      const free = names.filter((n) => !returned.has(n));
      out.push(unknownName(`the head \`${h.name.name}\` has no labels`, h.name.name, h.name.span, free.length ? free : names, { code: "DLP5009", label: "no output field of this name", otherwise: `the data section's outputs are ${names.map((n) => `\`${n}\``).join(", ")}`, fix: true }));
      continue;
    }
    if (!h.output) continue;
    const l = lossOf(o.name);
    checkOutput({ output: h.output, outputSpan: h.span, layers: h.layers, blockCalls: [] }, o, l.name, l.span, ir, out, "");
  }
  for (const o of data.outputs) {
    if (returned.has(o.name)) continue;
    out.push(diag("DLP5010", "error", `the labels \`${o.name}\` have no head`, o.nameSpan, { label: "no head of this name", related: [{ span: m.outputSpan ?? ir.model!.name.span, message: "the model's heads" }], help: `add \`${o.name} = …\` to the model's \`return { … }\`, or remove the field` }));
  }
}

function checkOutput(m: ModelResult, labels: DataResult["labels"], lossName: string | undefined, lossSpan: Span | undefined, ir: PipelineIR, out: Diagnostic[], context: string): void {
  const shape = m.output!;
  const at = m.layers[m.layers.length - 1]?.call.span ?? m.outputSpan ?? ir.model!.name.span;
  // Width errors sit on the layer that set the width, not on a trailing activation or dropout.
  const widthAt = widthSetter(m.layers)?.call.span ?? at;
  const related = lossSpan ? [{ span: lossSpan, message: "the loss" }] : [];
  if (labels?.spec.perStep) {
    if (!checkSteps(m, labels, at, out)) return;
  } else if (shape.length !== 1) {
    out.push(diag("DLP5007", "error", `the model's output is ${fmtShape(shape)} per sample; a loss needs a vector`, at, { label: `output ${fmtShape(shape)}`, notes: outputTrace(m), help: "add `flatten()` or `global_avg_pool()` and a dense layer before the output" }));
    return;
  }
  const units = shape[shape.length - 1]!;
  const act = lastActivation(m.layers);
  if (act.name === "softmax" && units === 1) {
    out.push(diag("DLP5002", "error", "softmax over one unit always outputs 1", at, { label: "softmax on 1 unit", help: "use `activation: sigmoid` for a binary output, or one unit per class with softmax" }));
    return;
  }
  if (!lossName || !labels) return;
  const loss = LOSSES[lossName];
  const spec = labels.spec;
  if (loss.labels === "regression") {
    if (spec.kind === "class") out.push(diag("DLP5006", "warning", `${lossName} on class labels`, lossSpan ?? at, { label: "a regression loss", help: spec.classes === 2 ? "use `binary_crossentropy`" : "use `sparse_categorical_crossentropy`" }));
    if (spec.kind === "regression" && units !== null && units !== spec.outputs) {
      out.push(diag("DLP5008", "error", `the output has ${units} unit${units === 1 ? "" : "s"} but the targets have ${spec.outputs} value${spec.outputs === 1 ? "" : "s"} per sample`, widthAt, {
        label: `${units} units`,
        related: [{ span: labels.span, message: `regression(${spec.outputs})` }],
        notes: outputTrace(m),
        help: `use ${spec.outputs} unit${spec.outputs === 1 ? "" : "s"} in this layer, or declare \`regression(${units})\` if the data has ${units} targets`,
        fix: unitsFix(widthSetter(m.layers), spec.outputs),
      }));
    }
    return;
  }
  if (lossName === "binary_crossentropy") {
    const classes = spec.kind === "class" ? spec.classes : 2;
    if (classes > 2 || units !== 1) {
      out.push(diag("DLP5003", "error", `binary cross-entropy on ${classes > 2 ? `${classes} classes` : `${units} output units`}`, lossSpan ?? at, { label: "binary_crossentropy", related: [{ span: at, message: `output has ${units} unit${units === 1 ? "" : "s"}` }], help: classes > 2 ? "use `sparse_categorical_crossentropy` with a softmax over the classes" : "end the model with `dense(1, activation: sigmoid)`" }));
      return;
    }
    if (act.name !== "sigmoid") out.push(diag("DLP5005", "error", "binary cross-entropy needs a sigmoid output", at, { label: `output activation is ${act.name}`, related, ...activationHelp(act, "sigmoid") }));
    return;
  }
  // categorical / sparse categorical
  if (spec.kind === "binary") {
    out.push(diag("DLP5004", "error", `${lossName} on binary labels`, lossSpan ?? at, { label: "labels are binary", help: "use `binary_crossentropy` with `dense(1, activation: sigmoid)`, or declare `class(2)`" }));
    return;
  }
  if (spec.kind === "regression") {
    out.push(diag("DLP5004", "error", `${lossName} on regression targets`, lossSpan ?? at, { label: "labels are real values", help: "use `mse`, `mae` or `huber`" }));
    return;
  }
  if (labels.declared === "onehot" && lossName === "sparse_categorical_crossentropy") {
    out.push(diag("DLP5004", "error", "sparse categorical cross-entropy on one-hot labels", lossSpan ?? at, { label: "expects integer labels", related: [{ span: labels.span, message: "labels are one-hot" }], help: "use `categorical_crossentropy`, or declare `class(N)` and let the loss choose", fix: lossSpan ? { title: "use categorical_crossentropy", span: lossSpan, text: "categorical_crossentropy" } : undefined }));
    return;
  }
  if (units !== spec.classes) {
    // Independent of the activation check below: both are reported.
    out.push(diag("DLP5001", "error", `the output has ${units} units but the labels have ${spec.classes} classes`, widthAt, { label: `${units} units`, related: [{ span: labels.span, message: `${spec.classes} classes` }], notes: outputTrace(m), help: `use ${spec.classes} units in this layer` + (units !== null && units < spec.classes ? `; labels up to ${spec.classes - 1} fall outside [0, ${units})` : ""), fix: unitsFix(widthSetter(m.layers), spec.classes) }));
    // no return: a wrong activation is a second, independent mistake
  }
  if (act.name !== "softmax") {
    out.push(diag("DLP5005", "error", `${lossName} needs a softmax output`, at, { label: `output activation is ${act.name}`, related, ...activationHelp(act, "softmax") }));
  }
}

const RECURRENT = new Set(["lstm", "gru", "simple_rnn"]);

/** The `shapes:` note of a per-step output error, from the model input on. */
function stepTrace(m: ModelResult): string[] {
  const first = m.layers[0]?.inputs[0];
  return first ? [SHAPES_NOTE + [fmtShape(first), ...m.layers.map((l) => `${l.def.name} ${fmtShape(l.output)}`)].join(" → ")] : [];
}

/** Per-step labels want a [steps, width] output with the labels' steps (DLP5020, DLP5021); false after an error. */
function checkSteps(m: ModelResult, labels: NonNullable<DataResult["labels"]>, at: Span, out: Diagnostic[]): boolean {
  const shape = m.output!;
  const steps = labels.steps;
  const related = [{ span: labels.span, message: `labels per step${steps !== undefined ? ` (${steps} steps)` : ""}` }];
  if (shape.length === 1) {
    // The layer that dropped the time axis: a recurrent layer returning its last state only, a flatten, a global pooling.
    const drop = [...m.layers].reverse().find((l) => (l.inputs[0]?.length ?? 0) >= 2 && l.output.length === 1);
    const rnn = drop && RECURRENT.has(drop.def.name) ? drop : undefined;
    out.push(diag("DLP5020", "error", `the labels are per step, but the model's output is one vector of ${fmtShape(shape)} per sample`, drop?.call.span ?? at, {
      label: drop ? `${drop.def.name} drops the steps axis: ${fmtShape(drop.inputs[0]!)} → ${fmtShape(drop.output)}` : `output ${fmtShape(shape)}`,
      related,
      notes: stepTrace(m),
      help: rnn ? `add \`return_sequences: true\` to this ${rnn.def.name}, so it returns one state per step` : drop ? `remove this ${drop.def.name}: a per-step output keeps the steps axis ([steps, width])` : "keep the steps axis to the output: [steps, width]",
      ...(rnn && rnn.args.return_sequences !== true ? { fix: { title: "add return_sequences: true", span: { start: rnn.call.span.end - 1, end: rnn.call.span.end - 1 }, text: rnn.call.args.length ? ", return_sequences: true" : "return_sequences: true" } } : {}),
    }));
    return false;
  }
  if (shape.length > 2) {
    out.push(diag("DLP5007", "error", `the model's output is ${fmtShape(shape)} per sample; per-step labels need [steps, width]`, at, { label: `output ${fmtShape(shape)}`, related, help: "end on one vector per step, e.g. `time_distributed(dense(N))` after a flatten of each step's features" }));
    return false;
  }
  if (steps !== undefined && shape[0] !== null && shape[0] !== steps) {
    // The layer that last changed the number of steps (a valid convolution, a pooling, a reshape).
    const setter = [...m.layers].reverse().find((l) => l.output.length >= 1 && (l.inputs[0]?.length ?? 0) >= 2 && l.output[0] !== l.inputs[0]![0]);
    const conv = setter?.def.name === "conv1d" && setter.args.padding !== "same" && (setter.args.strides ?? 1) === 1 && (setter.args.dilation ?? 1) === 1 ? setter : undefined;
    const written = conv?.call.args.some((a) => a.name?.name === "padding");
    out.push(diag("DLP5021", "error", `the output has ${shape[0]} steps, the labels ${steps}`, setter?.call.span ?? at, {
      label: setter ? `${setter.def.name}: ${fmtShape(setter.inputs[0]!)} → ${fmtShape(setter.output)}` : `output ${fmtShape(shape)}`,
      related,
      notes: stepTrace(m),
      help: conv ? "add `padding: same` to this conv1d, so it keeps one output per step" : setter ? `a per-step output keeps the ${steps} steps: remove this ${setter.def.name} or give it \`padding: same\`` : `the output needs ${steps} steps`,
      ...(conv && !written ? { fix: { title: "add padding: same", span: { start: conv.call.span.end - 1, end: conv.call.span.end - 1 }, text: ", padding: same" } } : {}),
    }));
    return false;
  }
  return true;
}

/** The `shapes:` note of an output-width error: the walk's last shapes up to the output (the
 *  default combination's walk keeps them; other combinations' errors go without). */
const outputTrace = (m: ModelResult): string[] => m.shapesNote ?? [];

/** `dense(5, …)` → `dense(10, …)`: the output layer's units as the labels need them, when they
 *  are written as a number (a param there is the user's to change: its space decides). */
function unitsFix(l: LayerInstance | undefined, want: number): { title: string; span: Span; text: string } | undefined {
  if (!l || l.def.name !== "dense") return undefined;
  const a = l.call.args.find((x) => x.name?.name === "units") ?? l.call.args.find((x) => !x.name);
  if (!a || a.value.kind !== "number") return undefined;
  return { title: `use ${want} unit${want === 1 ? "" : "s"}`, span: a.value.span, text: String(want) };
}

/**
 * How the output gets the activation the loss needs, as the help and its edit, for what the last
 * layer is: `activation: relu` written there → `activation: softmax`; a `relu()` layer →
 * `softmax()`; a layer that takes an activation and has none → add it. A last layer that takes
 * no activation (dropout, flatten) gets words only: adding the argument there would not parse.
 */
function activationHelp(act: { name: string; layer?: LayerInstance }, want: string): { help: string; fix?: { title: string; span: Span; text: string } } {
  const l = act.layer;
  if (!l) return { help: `end the model with \`activation: ${want}\`` };
  const call = l.call;
  const named = call.args.find((a) => a.name?.name === "activation");
  const pos = l.def.positional.indexOf("activation");
  const positional = pos >= 0 ? call.args.filter((a) => !a.name)[pos] : undefined;
  const written = named ?? positional;
  if (written) return { help: `use \`activation: ${want}\` in the last layer`, fix: { title: `use activation: ${want}`, span: written.value.span, text: want } };
  if (l.def.name === act.name && act.name !== "linear") return { help: `replace \`${exprText(call)}\` with \`${want}()\``, fix: { title: `use ${want}()`, span: call.span, text: `${want}()` } };
  if (l.def.name === "activation") {
    const fn = call.args.find((a) => a.name?.name === "fn") ?? call.args.find((a) => !a.name);
    if (fn) return { help: `write \`activation(${want})\``, fix: { title: `use ${want}`, span: fn.value.span, text: want } };
  }
  const takes = Object.prototype.hasOwnProperty.call((l.def.schema.properties ?? {}) as object, "activation");
  if (takes && call.argsSpan.start >= call.callee.span.end) {
    const end = call.argsSpan.end - 1; // before `)`
    return { help: `add \`activation: ${want}\` to the last layer`, fix: { title: `add activation: ${want}`, span: { start: end, end }, text: call.args.length ? `, activation: ${want}` : `activation: ${want}` } };
  }
  return { help: `end the model with a layer that applies ${want}, e.g. \`${want}()\` after \`${l.def.name}\`` };
}

