// The checker: data → model input → every layer → output → loss ↔ labels, the training
// settings, and the tuning space — for every combination of the params that change shapes.
// Each section has its own file under check/; the result type is checked.ts.
import type { NameExpr, Span } from "../../grammar/ast.ts";
import { diag, type Diagnostic } from "../diagnostics/diagnostic.ts";
import type { DataSpec, HeadTrainSpec, LabelSpec, MetricSpec, TrainSpec } from "../../runtime/spec.ts";
import type { TensorShape } from "./layers/types.ts";
import { fmtShape } from "./layers/index.ts";
import { settingOf, type PipelineIR, type SectionIR } from "./lower.ts";
import { interpretModel, statementNames, type LayerInstance } from "./model.ts";
import type { Env } from "./values.ts";
import { paramRefs, valueOf, type Traced } from "./term.ts";
import { checkModel, widthSetter } from "./check/shapes.ts";
import { checkData, type DataResult } from "./check/data.ts";
import { checkTrain, type HeadSettings } from "./check/train.ts";
import { unknownName } from "../diagnostics/builders.ts";
import { checkEvaluate, checkTune, studyConstants } from "./check/study.ts";
import type { CheckedPipeline } from "./checked.ts";
export type { CheckedPipeline, TracedSpecs } from "./checked.ts";

export function checkPipeline(ir: PipelineIR, out: Diagnostic[]): CheckedPipeline {
  const paramNames = paramRefs(ir.params.map((p) => p.name));
  const defaults: Env = new Map(ir.params.map((p) => [p.name, p.default]));
  const result: CheckedPipeline = { ir, traced: {}, evaluate: null, tune: null, params: [], combinationsChecked: 0, statementRuns: 0 };

  const metricsComputed = new Set<string>(["loss", "val_loss"]);
  let lossName: string | undefined;
  let lossSpan: Span | undefined;
  let headSettings: HeadSettings | undefined;
  if (ir.train) {
    const t = checkTrain(ir.train, defaults, paramNames, out);
    headSettings = t.heads;
    result.traced.train = t.spec;
    result.train = t.spec && valueOf<TrainSpec>(t.spec);
    lossName = result.train?.loss;
    lossSpan = t.lossSpan;
    for (const m of result.train?.metrics ?? []) {
      const n = m.name === "top_k" ? "top_k" : m.name;
      metricsComputed.add(n);
      metricsComputed.add("val_" + n);
    }
  }
  let labelsDecl: { spec: LabelSpec; span: Span; declared: "class" | "onehot" | "binary" | "regression" } | undefined;
  let dataInput: TensorShape | undefined;
  // A loss named for one head applies to it; `loss NAME` to every head.
  const singleLoss = headSettings?.losses.size ? undefined : lossName;
  const lossOf = (head: string): { name?: string; span?: Span } => {
    const l = headSettings?.losses.get(head);
    return l ? { name: l.loss, span: l.span } : { name: singleLoss, span: singleLoss ? lossSpan : undefined };
  };
  let data: DataResult | undefined;
  if (ir.data) {
    const d = checkData(ir.data, defaults, paramNames, out, lossName, true, (h) => lossOf(h).name);
    data = d;
    result.traced.data = d.spec;
    result.data = d.spec && valueOf<DataSpec>(d.spec);
    labelsDecl = d.labels;
    dataInput = d.inputShape && valueOf<TensorShape>(d.inputShape);
    if (headSettings && ir.train) trainHeads(result, d, headSettings, ir.train, metricsComputed, out);
    // As in Keras: augmentation transforms one image input, class_weight weighs one output's loss.
    const augment = d.inputNames.length > 1 ? findSetting(ir.data, "augment") : undefined;
    if (augment) out.push(diag("DLP2004", "error", "`augment` needs a model with one input; this one has several", augment.span, { label: `inputs ${d.inputNames.map((n) => `\`${n}\``).join(", ")}`, help: "remove `augment`, or train on one input" }));
    const cw = d.outputs.length > 1 && ir.train && result.train?.classWeight !== undefined ? findSetting(ir.train, "class_weight") : undefined;
    if (cw) out.push(diag("DLP2004", "error", "`class_weight` needs a model with one output; this one has several heads", cw.span, { label: `heads ${d.outputs.map((o) => `\`${o.name}\``).join(", ")}`, help: "remove `class_weight`, or weigh the heads with `loss_weights { … }`" }));
  }
  // evaluate and tune are one for the whole study and are not functions of a trial's params:
  // a param read there (which `--set` or a trial could change) is refused, never frozen silently.
  const fixed = studyConstants(ir);
  if (ir.evaluate) result.evaluate = checkEvaluate(ir.evaluate, fixed, out);
  for (const m of result.evaluate?.metrics ?? []) metricsComputed.add(m.name);

  // Which params change shapes: those named in the model, its blocks, or the data section.
  const modelNames = statementNames(ir.model?.body.statements ?? []);
  const blockNames = new Map([...ir.blocks].map(([n, b]) => [n, statementNames(b.body)]));
  const dataNames = statementNames(ir.data?.body.statements ?? []);
  const shapeNames = new Set<string>([...modelNames, ...[...blockNames.values()].flatMap((x) => [...x]), ...dataNames]);
  const shapeParams = ir.params.filter((p) => shapeNames.has(p.name) && p.space);

  result.params = ir.params.map((p) => ({
    name: p.name,
    default: p.default as number | string | boolean,
    ...(p.space ? { space: p.space } : {}),
    ...(p.condition ? { condition: p.condition } : {}),
    affectsShape: shapeNames.has(p.name),
  }));

  const inputShape = result.data?.inputs[0]?.shape ?? dataInput;
  if (ir.model && inputShape) {
    result.inputShape = inputShape;
    checkModel(ir, inputShape, shapeParams, defaults, paramNames, labelsDecl, lossName, lossSpan, out, result, data && { data, lossOf });
  } else if (ir.model) {
    // The input is unknown (its own error is reported): still report the model's unknown
    // names and bad arguments, which do not depend on it; shapes stay unchecked.
    const named = data && data.inputNames.length >= 1 ? new Map(data.inputNames.map((n) => [n, null])) : undefined;
    interpretModel(ir.modelNodes, null, new Map(defaults), ir.blocks, out, "", named);
  }

  if (ir.tune) result.tune = checkTune(ir.tune, ir, result.params, metricsComputed, fixed, out);
  unreadParams(ir, modelNames, blockNames, dataNames, out);
  warnings(result, out);
  return result;
}

/**
 * Per-head train settings (`loss { … }`, `loss_weights { … }`, `metrics { … }`) matched with the
 * data section's outputs: a name no output has is DLP5009; with several outputs, each head's
 * loss, weight and metrics go into the train spec's `heads`.
 */
function trainHeads(result: CheckedPipeline, d: DataResult, hs: HeadSettings, train: SectionIR, metricsComputed: Set<string>, out: Diagnostic[]): void {
  const names = d.outputs.map((o) => o.name);
  if (!names.length) return;
  for (const [what, m] of [["loss", hs.losses], ["loss_weights", hs.weights], ["metrics", hs.metrics]] as const) {
    for (const [head, e] of m) {
      if (names.includes(head) || d.outputNames?.includes(head)) continue; // a head whose labels have an error of their own
      out.push(unknownName(`\`${what}\` names the head \`${head}\`, which the data section does not declare`, head, e.name.span, names, { code: "DLP5009", label: "no output of this name", otherwise: `the outputs are ${names.map((n) => `\`${n}\``).join(", ")}`, fix: true }));
    }
  }
  const t = result.traced.train;
  if (!t || names.length < 2) return;
  const heads: Traced<HeadTrainSpec>[] = [];
  for (const o of d.outputs) {
    const l = hs.losses.get(o.name);
    if (!l && hs.losses.size) {
      const at = findSetting(train, "loss") ?? train.name;
      out.push(diag("DLP2005", "error", `no loss for the head \`${o.name}\``, at.span, { label: `\`loss { … }\` does not name \`${o.name}\``, related: [{ span: o.nameSpan, message: "the head's labels" }], help: `add \`${o.name} = …\` to \`loss { … }\`` }));
      continue;
    }
    const loss = l ? { loss: l.loss, ...l.fields } : { loss: t.loss, ...(t.lossDelta !== undefined ? { lossDelta: t.lossDelta } : {}) };
    const metrics = hs.metrics.size ? hs.metrics.get(o.name)?.metrics ?? [] : t.metrics;
    heads.push({ name: o.name, ...loss, weight: hs.weights.get(o.name)?.weight ?? 1, metrics } as Traced<HeadTrainSpec>);
    // Keras's history keys of a model with several outputs: `digit_loss`, `digit_accuracy`, `val_…`.
    for (const k of [`${o.name}_loss`, ...(metrics as MetricSpec[]).map((m) => `${o.name}_${m.name}`)]) {
      metricsComputed.add(k);
      metricsComputed.add(`val_${k}`);
    }
  }
  if (heads.length !== d.outputs.length) return;
  t.heads = heads;
  result.train = valueOf<TrainSpec>(t);
}

/** DLP6009: a tuned param that no section reads makes every trial the same. */
function unreadParams(ir: PipelineIR, modelNames: Set<string>, blockNames: Map<string, Set<string>>, dataNames: Set<string>, out: Diagnostic[]): void {
  if (!ir.params.some((p) => p.space)) return;
  const read = new Set<string>([...dataNames, ...(ir.train ? statementNames(ir.train.body.statements) : [])]);
  // The model and the blocks it calls, directly or through other blocks.
  const stack = [...modelNames];
  while (stack.length) {
    const n = stack.pop()!;
    if (read.has(n)) continue;
    read.add(n);
    for (const x of blockNames.get(n) ?? []) stack.push(x);
  }
  for (const p of ir.params) {
    if (!p.space || read.has(p.name)) continue;
    out.push(diag("DLP6009", "warning", `the tuned param \`${p.name}\` is read nowhere`, p.nameSpan, { label: "no data, model or train setting reads it", related: p.spaceExpr ? [{ span: p.spaceExpr.span, message: "its tuning space" }] : [], help: `every trial would train the same pipeline: use \`${p.name}\` in a setting or layer, or remove its \`tune\` space` }));
  }
}

// ---- warnings ---------------------------------------------------------------------------------

function warnings(r: CheckedPipeline, out: Diagnostic[]): void {
  const lr = r.train?.optimizer.learningRate;
  if (lr !== undefined && (lr < 1e-6 || lr > 1) && r.ir.train) {
    const at = findSetting(r.ir.train, "optimizer") ?? r.ir.train.name;
    out.push(diag("DLP7003", "warning", `learning rate ${lr} is outside the usual 1e-6..1`, at.span, { label: `lr = ${lr}`, help: "typical values: 1e-3 for adam, 1e-2 for sgd" }));
  }
  const layers = r.model?.layers ?? [];
  bottleneck(layers, out);
  const total = layers.reduce((a, l) => a + l.params.trainable + l.params.nonTrainable, 0);
  // Only after a feature map (image or sequence) was flattened: an MLP's first layer on a vector
  // input always holds most parameters, and pooling cannot shrink a vector.
  let sawMap = false;
  for (const l of layers) {
    const n = l.params.trainable + l.params.nonTrainable;
    if (l.inputs.some((x) => x.length >= 2)) sawMap = true;
    if (l.def.name === "dense" && sawMap && l.inputs[0]?.length === 1 && total > 100_000 && n / total > 0.9) {
      out.push(diag("DLP7002", "warning", `this dense layer holds ${Math.round((100 * n) / total)}% of the model's parameters`, l.call.span, { label: `${n.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} parameters`, notes: [`its input has ${fmtShape(l.inputs[0])} values`], help: "shrink its input with pooling or `global_avg_pool()` first" }));
    }
    const seq = l.inputs[0];
    if (["lstm", "gru", "simple_rnn", "bidirectional"].includes(l.def.name) && seq?.length === 2 && seq[0] === 1 && seq[1] !== null && seq[1] > 1) {
      out.push(diag("DLP7004", "warning", `${l.def.name} reads a sequence of one time step`, l.call.span, {
        label: `input ${fmtShape(seq)}: 1 step of ${seq[1]} features`,
        notes: ["over one step a recurrent layer is a dense layer with extra weights"],
        help: `the time and feature axes look swapped: give it [steps, features], e.g. \`reshape([${seq[1]}, 1])\` for one value per step`,
      }));
    }
    if (l.def.name === "dropout" && typeof l.args.rate === "number" && l.args.rate > 0.7) {
      out.push(diag("DLP7001", "warning", `dropout ${l.args.rate} drops most activations`, l.call.span, { label: `keeps ${Math.round((1 - l.args.rate) * 100)}%`, help: "rates of 0.1–0.5 are usual" }));
    }
  }
}

/** DLP7005: the layer feeding a softmax over K > 2 classes is narrower than K. */
function bottleneck(layers: LayerInstance[], out: Diagnostic[]): void {
  const head = widthSetter(layers);
  const k = head?.output.length === 1 ? head.output[0] : null;
  const i = head ? layers.indexOf(head) : -1;
  if (!head || k === null || k === undefined || k <= 2 || head.def.name !== "dense" || (head.args.activation !== "softmax" && !layers.slice(i + 1).some((l) => l.def.name === "softmax"))) return;
  const feed = widthSetter(layers.slice(0, i));
  const w = feed?.output.length === 1 ? feed.output[0] : null;
  if (!feed || feed.def.name !== "dense" || w === null || w === undefined || w >= k) return;
  // The layers are in the order they were built: in a model with branches or several heads the
  // dense before the softmax may be a sibling's. It feeds this one only if its width is what
  // this one reads.
  if (head.inputs.length !== 1 || head.inputs[0]!.length !== 1 || head.inputs[0]![0] !== w) return;
  out.push(diag("DLP7005", "warning", `this layer has ${w} units, fewer than the ${k} classes it feeds`, feed.call.span, {
    label: `${w} units`,
    related: [{ span: head.call.span, message: `a softmax over ${k} classes` }],
    notes: [`the ${k} class scores are computed from ${w} numbers, so they cannot all vary independently`],
    help: `use at least ${k} units here (e.g. ${Math.max(k, 2 ** Math.ceil(Math.log2(k)))})`,
  }));
}

function findSetting(sec: SectionIR, name: string): NameExpr | undefined {
  for (const st of sec.body.statements) {
    const s = settingOf(st);
    if (s?.name.name === name) return s.name;
  }
  return undefined;
}

