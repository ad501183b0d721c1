// `dlpc import`: a Keras / tfjs layers-model topology (Keras `model.to_json()`, tfjs
// `model.toJSON()`, or a tfjs `model.json` with `modelTopology`) → an idiomatic .dlp file.
// Sequential and functional models (branches, merges) with one input and one output are
// imported; anything dlp cannot express is reported by layer index and name, never dropped.
import { basename } from "node:path";
import { LAYERS, isFailure, type ArgValue, type Args, type LayerDef, type TensorShape } from "../semantic/layers/index.ts";
import { isLayerValue } from "../semantic/layers/util.ts";
import { compile } from "../driver.ts";
import { formatDlp } from "../format/format.ts";
import { KNOWN_CLASSES, ignorable, initializerId, mappingsFor, regularizerValues, type Json, type JsonObject, type LayerMapping } from "./mapping.ts";

export class ImportError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}

interface Node {
  index: number;
  name: string;
  className: string;
  def: LayerDef;
  args: Args;
  inputs: string[]; // names of producing layers (or the input layer)
  shape: TensorShape;
}

const isObj = (v: Json | undefined): v is JsonObject => !!v && typeof v === "object" && !Array.isArray(v);

/** Finds the topology inside the three accepted file shapes. */
function topology(doc: Json, file: string): JsonObject {
  if (!isObj(doc)) throw new ImportError([`${file}: not a Keras / tfjs layers-model topology: the file holds ${Array.isArray(doc) ? "a JSON array" : `a JSON ${typeof doc}`}, expected an object with "class_name" and "config" (Keras model.to_json()) or "modelTopology" (tfjs model.json)`]);
  if (doc["format"] === "graph-model") throw new ImportError([`${file}: a tfjs graph model (format "graph-model") has no layers to import; export a layers model (tf.LayersModel.save / Keras model.to_json())`]);
  let t: Json | undefined = doc;
  if ("modelTopology" in doc) {
    t = doc["modelTopology"];
    if (isObj(t) && isObj(t["model_config"])) t = t["model_config"];
  }
  if (!isObj(t) || !["Sequential", "Model", "Functional"].includes(String(t["class_name"])) || (!isObj(t["config"]) && !Array.isArray(t["config"]))) {
    const found = isObj(t) && typeof t["class_name"] === "string" ? ` (found class_name ${JSON.stringify(t["class_name"])})` : "";
    throw new ImportError([`${file}: not a Keras / tfjs layers-model topology${found}: expected "class_name": "Sequential", "Model" or "Functional" with a "config", or a tfjs model.json with "modelTopology"`]);
  }
  return t;
}

function where(index: number, name: string, cls: string): string {
  return `layer ${index} \`${name}\` (${cls})`;
}

/** The layers of the topology with their inbound layer names. */
function layerList(t: JsonObject, file: string): { layers: { index: number; name: string; cls: string; config: JsonObject; inbound: string[] }[]; inputs: string[]; outputs: string[]; sequential: boolean } {
  const sequential = t["class_name"] === "Sequential";
  const cfg = t["config"]!;
  const raw = Array.isArray(cfg) ? cfg : isObj(cfg) && Array.isArray(cfg["layers"]) ? cfg["layers"] : undefined;
  if (!raw) throw new ImportError([`${file}: the model's "config" has no "layers" list`]);
  const problems: string[] = [];
  const layers = raw.map((l, index) => {
    if (!isObj(l) || typeof l["class_name"] !== "string") {
      problems.push(`${file}: layer ${index} is not an object with "class_name" and "config"`);
      return { index, name: `layer_${index}`, cls: "?", config: {}, inbound: [] };
    }
    const config = isObj(l["config"]) ? l["config"] : {};
    const name = typeof config["name"] === "string" ? config["name"] : typeof l["name"] === "string" ? l["name"] : `layer_${index}`;
    const inbound: string[] = [];
    if (!sequential) {
      const nodes = Array.isArray(l["inbound_nodes"]) ? l["inbound_nodes"] : [];
      if (nodes.length > 1) problems.push(`${file}: ${where(index, name, l["class_name"])} is applied ${nodes.length} times (a shared layer); dlp creates one layer per call`);
      if (nodes.length >= 1) collectHistory(nodes[0]!, inbound);
    }
    return { index, name, cls: l["class_name"], config, inbound };
  });
  if (problems.length) throw new ImportError(problems);
  const names = (v: Json | undefined): string[] => {
    if (!Array.isArray(v)) return [];
    if (typeof v[0] === "string") return [v[0]];
    return v.flatMap((x) => (Array.isArray(x) && typeof x[0] === "string" ? [x[0]] : []));
  };
  const c = isObj(cfg) ? cfg : {};
  return { layers, inputs: names(c["input_layers"]), outputs: names(c["output_layers"]), sequential };
}

/** Inbound layer names of one call node, in the Keras 2 / tfjs form ([[name, node, tensor, kwargs], …])
 *  or the Keras 3 form ({args: [{class_name: "__keras_tensor__", config: {keras_history: [name, …]}}]}). */
function collectHistory(node: Json, out: string[]): void {
  if (Array.isArray(node)) {
    if (typeof node[0] === "string" && typeof node[1] === "number") {
      out.push(node[0]);
      return;
    }
    for (const x of node) collectHistory(x, out);
    return;
  }
  if (!isObj(node)) return;
  const cfg = node["config"];
  if (node["class_name"] === "__keras_tensor__" && isObj(cfg) && Array.isArray(cfg["keras_history"]) && typeof cfg["keras_history"][0] === "string") {
    out.push(cfg["keras_history"][0]);
    return;
  }
  if (Array.isArray(node["args"])) collectHistory(node["args"], out);
}

function shapeOf(config: JsonObject): (number | null)[] | undefined {
  const s = config["batch_input_shape"] ?? config["batch_shape"];
  if (Array.isArray(s)) return s.slice(1).map((d) => (typeof d === "number" ? d : null));
  if (Array.isArray(config["input_shape"])) return (config["input_shape"] as Json[]).map((d) => (typeof d === "number" ? d : null));
  return undefined;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function schemaOf(def: LayerDef, arg: string): Record<string, unknown> {
  return ((def.schema["properties"] ?? {}) as Record<string, Record<string, unknown>>)[arg] ?? {};
}
function acceptsInt(schema: Record<string, unknown>): boolean {
  if (schema["type"] === "integer" || schema["type"] === "number") return true;
  const any = schema["anyOf"];
  return Array.isArray(any) && any.some((s) => (s as Record<string, unknown>)["type"] === "integer");
}

/** A plain config value as the dlp argument value (tuples of one repeated int collapse). */
function plainValue(v: Json, schema: Record<string, unknown>): ArgValue | undefined {
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "string") return v;
  if (Array.isArray(v)) {
    const flat = v.every((x) => typeof x === "number");
    if (flat && v.length >= 1 && acceptsInt(schema) && v.every((x) => x === v[0]) && schema["type"] !== "array") return v[0] as number;
    const items: ArgValue[] = [];
    for (const x of v) {
      const c = plainValue(x, {});
      if (c === undefined) return undefined;
      items.push(c);
    }
    return items;
  }
  return undefined;
}

function chooseMapping(cls: string, config: JsonObject, candidates: LayerMapping[]): LayerMapping {
  if (candidates.length === 1) return candidates[0]!;
  // "Activation": sigmoid(), tanh(), … where dlp has a layer of that name, else activation(fn).
  const act = config["activation"];
  if (typeof act === "string") {
    const named = candidates.find((m) => m.def.name !== "activation" && m.keys.size === 0 && m.def.tfjs({}).config.some(([, c]) => c === JSON.stringify(act) || c === JSON.stringify(act.replace(/_([a-z])/g, (_m, ch: string) => ch.toUpperCase()))));
    if (named) return named;
  }
  return candidates.find((m) => m.def.name === "activation") ?? candidates[0]!;
}

function convertArgs(idx: number, name: string, cls: string, config: JsonObject, m: LayerMapping, problems: string[]): Args {
  const def = m.def;
  const args: Args = {};
  const at = where(idx, name, cls);
  for (const [key, value] of Object.entries(config)) {
    // A wrapped layer (time_distributed(dense(…)), bidirectional(lstm(…))): its own config, mapped the same way.
    if (key === "layer" && isObj(value) && typeof value["class_name"] === "string" && isObj(value["config"]) && "layer" in ((def.schema["properties"] ?? {}) as object)) {
      const cls2 = value["class_name"];
      const candidates = mappingsFor(cls2);
      if (candidates.length === 0) {
        problems.push(`${at}: dlp has no layer for the wrapped Keras \`${cls2}\``);
        continue;
      }
      const m2 = chooseMapping(cls2, value["config"], candidates);
      args["layer"] = { layer: m2.def.name, args: convertArgs(idx, name, cls2, value["config"], m2, problems) };
      continue;
    }
    const maps = m.keys.get(key);
    if (!maps) {
      if (ignorable(key, value)) continue;
      if (def.name !== "activation" && key === "activation" && m.keys.size === 0 && typeof value === "string") continue; // sigmoid() etc. carry it in their name
      problems.push(`${at}: argument \`${key}\` = ${JSON.stringify(value)} is not supported by dlp's ${def.name}`);
      continue;
    }
    if (value === null) continue;
    const before = problems.length;
    for (const km of maps) {
      if (problems.length > before) break; // one report per config key
      // Aliases (input_dim / vocab, init / kernel_init) fill one config key: the first one wins.
      if (km.kind.kind !== "regularizer" && maps.some((o) => o !== km && o.kind.kind !== "regularizer" && args[o.arg] !== undefined)) continue;
      const schema = schemaOf(def, km.arg);
      const dflt = schema["default"];
      if (km.kind.kind === "plain") {
        const v = plainValue(value, schema);
        if (v === undefined) {
          problems.push(`${at}: argument \`${key}\` = ${JSON.stringify(value)} has no dlp equivalent`);
          continue;
        }
        // `max_pool(2)` reads better than `max_pool()`: the pool size stays even at its default.
        if (dflt !== undefined && deepEqual(v, dflt) && km.arg !== "pool") continue;
        args[km.arg] = v;
      } else if (km.kind.kind === "enum") {
        const s = typeof value === "string" ? value : undefined;
        const enumValues = (schema["enum"] ?? []) as string[];
        const v = s === undefined ? undefined : km.kind.values.get(s) ?? (enumValues.includes(s) ? s : undefined);
        if (v === undefined) {
          problems.push(`${at}: argument \`${key}\` = ${JSON.stringify(value)} is not a value dlp knows (${enumValues.join(", ")})`);
          continue;
        }
        const emitted = km.emittedDefault !== undefined ? km.kind.values.get(km.emittedDefault) : undefined;
        if (v === dflt || v === emitted) continue;
        args[km.arg] = v;
      } else if (km.kind.kind === "initializer") {
        const id = initializerId(value);
        const v = id === undefined ? undefined : km.kind.values.get(id);
        if (v === undefined) {
          problems.push(`${at}: argument \`${key}\` = ${JSON.stringify(value)} is an initializer dlp cannot write`);
          continue;
        }
        if (km.emittedDefault !== undefined ? id === km.emittedDefault : ignorable(key, value)) continue;
        if (maps.some((o) => o !== km && args[o.arg] !== undefined)) continue;
        args[km.arg] = v;
      } else {
        const r = regularizerValues(value);
        if (!r) {
          problems.push(`${at}: argument \`${key}\` = ${JSON.stringify(value)} is a regularizer dlp cannot write (only L1 / L2)`);
          break;
        }
        const x = r[km.kind.which];
        if (x !== 0) args[km.arg] = x;
      }
    }
  }
  // Pooling strides equal to the pool size are the default.
  if (args["strides"] !== undefined && args["pool"] !== undefined && deepEqual(args["strides"], args["pool"])) delete args["strides"];
  if (args["strides"] !== undefined && args["pool"] === undefined && def.name.includes("pool") && deepEqual(args["strides"], schemaOf(def, "pool")["default"])) delete args["strides"];
  return args;
}

export interface ImportOptions {
  /** Names the pipeline (default: the model's name, else the file's). */
  name?: string;
}

export interface ImportResult {
  text: string;
  layers: number;
  warnings: string[];
}

export function importModel(jsonText: string, file: string, opts: ImportOptions = {}): ImportResult {
  let doc: Json;
  try {
    doc = JSON.parse(jsonText) as Json;
  } catch (e) {
    throw new ImportError([`${file}: not valid JSON: ${(e as Error).message}`]);
  }
  const t = topology(doc, file);
  const { layers, inputs, outputs, sequential } = layerList(t, file);
  const problems: string[] = [];
  const warnings: string[] = [];

  // The inputs: a functional model may have several (each becomes a data field of its name).
  let inputName = "input";
  let inputShape: (number | null)[] | undefined;
  const inputLayers = layers.filter((l) => l.cls === "InputLayer");
  const shapes = new Map<string, TensorShape>();
  const modelInputs: { name: string; shape: number[] }[] = [];
  const checkInput = (name: string, shape: (number | null)[]): void => {
    if (shape.some((d) => d === null)) problems.push(`${file}: input \`${name}\` has an unknown dimension (${JSON.stringify(shape)}); dlp inputs have fixed sizes`);
    if (![1, 2, 3].includes(shape.length)) problems.push(`${file}: input \`${name}\` has shape ${JSON.stringify(shape)}; dlp inputs are images [h, w, c], series [steps, features] or vectors/sequences [n]`);
  };
  if (!sequential && inputs.length > 1) {
    for (const n of inputs) {
      const l = inputLayers.find((x) => x.name === n);
      const shape = l ? shapeOf(l.config) : undefined;
      if (!shape) throw new ImportError([...problems, `${file}: input \`${n}\` has no InputLayer with a "batch_input_shape"`]);
      checkInput(n, shape);
      shapes.set(n, shape as TensorShape);
      modelInputs.push({ name: n, shape: shape as number[] });
    }
    inputName = inputs[0]!;
    inputShape = shapes.get(inputName)!;
  } else {
    if (inputLayers.length) {
      inputName = inputLayers[0]!.name;
      inputShape = shapeOf(inputLayers[0]!.config);
    } else {
      const first = layers[0];
      inputShape = first ? shapeOf(first.config) : undefined;
    }
    if (!inputShape) throw new ImportError([...problems, `${file}: no input shape: the first layer needs "batch_input_shape" (or an InputLayer)`]);
    checkInput(inputName, inputShape);
    shapes.set(inputName, inputShape as TensorShape);
  }

  // The layers.
  const nodes = new Map<string, Node>();
  let prev = inputName;
  for (const l of layers) {
    if (l.cls === "InputLayer") continue;
    const candidates = mappingsFor(l.cls);
    if (candidates.length === 0) {
      problems.push(`${where(l.index, l.name, l.cls)}: dlp has no layer for Keras \`${l.cls}\` (it knows ${KNOWN_CLASSES().join(", ")})`);
      prev = l.name;
      continue;
    }
    const m = chooseMapping(l.cls, l.config, candidates);
    const before = problems.length;
    const args = convertArgs(l.index, l.name, l.cls, l.config, m, problems);
    const ins = sequential ? [prev] : l.inbound;
    prev = l.name;
    if (problems.length > before) continue;
    const inShapes = ins.map((n) => shapes.get(n));
    if (inShapes.some((s) => s === undefined)) continue; // an earlier layer already failed
    // A positive axis naming the last axis is Keras's way of writing -1.
    if (typeof args["axis"] === "number" && args["axis"] === inShapes[0]!.length) delete args["axis"];
    const out = m.def.shape(inShapes as TensorShape[], args);
    if (isFailure(out)) {
      problems.push(`${where(l.index, l.name, l.cls)}: ${out.message} (${out.label})`);
      continue;
    }
    shapes.set(l.name, out);
    nodes.set(l.name, { index: l.index, name: l.name, className: l.cls, def: m.def, args, inputs: ins, shape: out });
  }
  const outputNames = sequential ? [prev] : outputs;
  const outputName = outputNames[0];
  if (!sequential && outputs.length === 0) problems.push(`${file}: the model has no outputs`);
  if (problems.length) throw new ImportError(problems);
  for (const o of outputNames) if (!nodes.has(o)) throw new ImportError([`${file}: the model's output layer \`${o}\` is not among its layers`]);

  const order = [...nodes.values()];
  const used = new Set(outputNames.flatMap((o) => [...reachable(o, nodes)]));
  for (const n of order) if (!used.has(n.name)) warnings.push(`${where(n.index, n.name, n.className)} does not lead to ${outputNames.length > 1 ? "an" : "the"} output and was left out`);
  const live = order.filter((n) => used.has(n.name));
  // One output must come last for the model section's value to be the model's output.
  if (outputNames.length === 1 && live[live.length - 1]!.name !== outputName) throw new ImportError([`${file}: the output layer \`${outputName}\` is not the last layer in topological order`]);

  const pipelineName = safeName(opts.name ?? (typeof (isObj(t["config"]) ? t["config"]["name"] : undefined) === "string" ? String((t["config"] as JsonObject)["name"]) : basename(file).replace(/\.json$/i, "")));
  const unread = modelInputs.filter((i) => !live.some((n) => n.inputs.includes(i.name)));
  if (unread.length) throw new ImportError(unread.map((i) => `${file}: input \`${i.name}\` leads to no output; a dlp model reads every input it declares`));
  if (modelInputs.length > 1 || outputNames.length > 1) {
    // Several inputs or outputs: data fields and heads named after the Keras layers.
    const taken = new Set<string>(["input"]);
    const fieldOf = new Map<string, string>();
    const field = (n: string): string => {
      let f = fieldOf.get(n);
      if (!f) {
        f = tensorName({ name: n, className: "" } as Node, taken);
        fieldOf.set(n, f);
      }
      return f;
    };
    const ins = (modelInputs.length ? modelInputs : [{ name: inputName, shape: inputShape as number[] }]).map((i) => ({ field: modelInputs.length > 1 ? field(i.name) : "x", layer: i.name, shape: i.shape }));
    const heads = outputNames.map((o) => ({ field: field(o), node: nodes.get(o)! }));
    const body = modelBodyMulti(live, ins, heads, taken);
    const text = renderMulti(pipelineName, file, t, ins, heads, body);
    return finish(text, file, live.length, warnings);
  }
  const body = modelBody(live, inputName);
  const text = render(pipelineName, file, t, inputShape as number[], nodes.get(outputName!)!, body);
  return finish(text, file, live.length, warnings);
}

function finish(text: string, file: string, layers: number, warnings: string[]): ImportResult {
  const formatted = formatDlp(text);
  if (!formatted.ok) throw new ImportError([`internal error: the generated .dlp does not parse: ${formatted.errors.map((e) => e.message).join("; ")}`]);
  const check = compile(formatted.text, { file: "<import>" });
  if (check.hasErrors) {
    throw new ImportError(check.diagnostics.filter((d) => d.severity === "error").map((d) => `${file}: the imported model does not check in dlp: ${d.message}${d.label ? ` (${d.label})` : ""}`));
  }
  return { text: formatted.text, layers, warnings };
}

/** The model section: the running tensor, a name where a tensor is read again; with several inputs each read by its field name, with heads `return { head = tensor, … }`. */
function modelBodyMulti(live: Node[], ins: { field: string; layer: string }[], heads: { field: string; node: Node }[], taken: Set<string>): Stmt[] {
  const consumers = new Map<string, number>();
  for (const n of live) for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const several = ins.length > 1;
  const names = new Map<string, string>(ins.map((i) => [i.layer, several ? i.field : "input"]));
  const isHead = new Set(heads.map((h) => h.node.name));
  const stmts: Stmt[] = [];
  let current = several ? "" : ins[0]!.layer;
  live.forEach((n, k) => {
    const next = live[k + 1];
    const onlyNext = !isHead.has(n.name) && (consumers.get(n.name) ?? 0) === 1 && next && next.inputs.length === 1 && next.inputs[0] === n.name;
    const needsName = isHead.has(n.name) || (next !== undefined && !onlyNext && (consumers.get(n.name) ?? 0) > 0);
    let expr: string;
    if (n.inputs.length === 1) expr = n.inputs[0] === current ? callText(n) : `${names.get(n.inputs[0]!)} |> ${callText(n)}`;
    else expr = callText(n, n.inputs.map((i) => names.get(i)!));
    if (needsName) {
      const nm = tensorName(n, taken);
      names.set(n.name, nm);
      stmts.push({ text: `${nm} = ${expr}`, plain: false });
    } else stmts.push({ text: expr, plain: n.inputs.length === 1 && n.inputs[0] === current });
    current = n.name;
  });
  if (heads.length) stmts.push({ text: `return {\n${heads.map((h) => `      ${h.field} = ${names.get(h.node.name)}`).join("\n")}\n    }`, plain: false });
  return foldRepeats(stmts);
}

/** The labels and loss a placeholder head gets from its output layer's width and activation (of
 *  the layer a `time_distributed` wraps); a [steps, width] output has per-step labels. */
function headLabels(output: Node): { labels: string; loss: string; perStep: boolean; width: number } {
  const perStep = output.shape.length === 2;
  const out = perStep ? output.shape.slice(1) : output.shape;
  const wrapped = isLayerValue(output.args["layer"]) ? output.args["layer"].args : undefined;
  const args = wrapped ?? output.args;
  const act = typeof args["activation"] === "string" ? args["activation"] : output.def.name;
  const width = out.length === 1 && typeof out[0] === "number" ? out[0] : 1;
  if (out.length === 1 && out[0] === 1 && act === "sigmoid") return { labels: "binary", loss: "binary_crossentropy", perStep, width };
  if (out.length === 1 && width > 1 && act === "softmax") return { labels: `class(${width})`, loss: "sparse_categorical_crossentropy", perStep, width };
  return { labels: `regression(${width})`, loss: "mse", perStep, width };
}

function renderMulti(name: string, file: string, t: JsonObject, ins: { field: string; shape: number[] }[], heads: { field: string; node: Node }[], body: Stmt[]): string {
  const origin = [t["keras_version"] ? `Keras ${String(t["keras_version"])}` : undefined, t["class_name"]].filter(Boolean).join(" ");
  // One input read by an embedding first is a sequence of token ids.
  const embeds = ins.length === 1 && body.length > 0 && body[0]!.text.startsWith("embedding(");
  const labels = heads.map((h) => ({ field: h.field, ...headLabels(h.node) }));
  // One series input (or one per-step head): windows over a CSV time series, whose target
  // columns are placeholders as the path is.
  const series = ins.length === 1 && heads.length === 1 && (ins[0]!.shape.length === 2 || labels[0]!.perStep);
  const fields = ins.map((i) => {
    const kind = i.shape.length === 3 ? "image" : i.shape.length === 2 ? "series" : embeds ? "sequence" : "vector";
    return `    ${i.field} = ${kind === "series" ? "features" : "images"}${kind === "image" ? " / 255" : ""} as ${kind}[${i.shape.join(", ")}]`;
  });
  const l0 = labels[0]!;
  const target = l0.labels.startsWith("regression") && l0.width > 1 ? `[${Array.from({ length: l0.width }, (_, i) => `"target_${i + 1}"`).join(", ")}]` : '"target"';
  const source = series ? `source window("data/series.csv", length: ${ins[0]!.shape[0]}, target: ${target}${l0.perStep && !l0.labels.startsWith("regression") ? ", horizon: 0" : ""})` : 'source idx("data")';
  const lines = [
    `// Imported by dlpc from ${JSON.stringify(basename(file))}${origin ? ` (${origin})` : ""}.`,
    ...(ins.length > 1 || heads.length > 1
      ? ["// The model section is the imported topology; data and train are placeholders to adapt", "// (each input and head is a data field named after its Keras layer)."]
      : ["// The model section is the imported topology; data and train are placeholders to adapt."]),
    `pipeline ${name} {`,
    "  data {",
    `    ${source}`,
    ...fields,
    ...labels.map((l) => `    ${l.field} = labels as ${l.labels}${l.perStep ? " per step" : ""}`),
    "  }",
    "",
    "  model {",
    ...body.map((s) => `    ${s.text}`),
    "  }",
    "",
    "  train {",
    labels.length > 1 ? `    loss { ${labels.map((l) => `${l.field} = ${l.loss}`).join(", ")} }` : `    loss ${labels[0]!.loss}`,
    "    optimizer adam(lr: 1e-3)",
    "  }",
    "}",
    "",
  ];
  return lines.join("\n");
}

function reachable(out: string, nodes: Map<string, Node>): Set<string> {
  const seen = new Set<string>();
  const stack = [out];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const i of nodes.get(n)?.inputs ?? []) stack.push(i);
  }
  return seen;
}

const WORDS = new Set(["repeat", "if", "else", "return", "and", "or", "not", "as", "true", "false", "step", "block", "input", "pipeline", "param", "model", "data", "train", "x", "y"]);

function safeName(raw: string): string {
  let s = raw.replace(/[^A-Za-z0-9_]/g, "_");
  if (!/^[A-Za-z_]/.test(s)) s = `m_${s}`;
  return s || "imported";
}

/** A readable tensor name from a layer name: tfjs's `conv2d_Conv2D3` becomes `conv2d_3`. */
function tensorName(layer: Node, taken: Set<string>): string {
  let s = layer.name;
  const m = /^(.*)_([A-Z][A-Za-z0-9]*?)(\d+)$/.exec(s);
  if (m && m[2] === layer.className) s = `${m[1]}_${m[3]}`;
  s = safeName(s);
  if (LAYERS.has(s) || WORDS.has(s)) s = `${s}_out`;
  let k = 2;
  const base = s;
  while (taken.has(s)) s = `${base}_${k++}`;
  taken.add(s);
  return s;
}

/** The shortest decimal that reads back as `v`, or as the same float32 (Keras and tfjs store
 *  float32 weights and settings: 9.999999747378752e-05 is l2 = 1e-4). */
export function numberText(v: number): string {
  if (Number.isInteger(v)) return String(v);
  for (let p = 1; p <= 17; p++) {
    const c = Number(v.toPrecision(p));
    if (c === v || Math.fround(c) === v) return String(c);
  }
  return String(v);
}

function valueText(v: ArgValue): string {
  if (isLayerValue(v)) {
    const def = LAYERS.get(v.layer);
    if (def) return layerCall(def, v.args);
  }
  if (typeof v === "number") return numberText(v);
  if (typeof v === "boolean") return String(v);
  if (typeof v === "string") return /^[A-Za-z_][A-Za-z0-9_]*$/.test(v) ? v : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueText).join(", ")}]`;
  return JSON.stringify(v);
}

/** `conv2d(32, 3, padding: same)`: required arguments (and a lone first one) by position. */
function callText(n: Node, tensors: string[] = []): string {
  return layerCall(n.def, n.args, tensors);
}

function layerCall(def: LayerDef, args: Args, tensors: string[] = []): string {
  const n = { def, args };
  const required = new Set(((def.schema["required"] ?? []) as string[]));
  const parts: string[] = [...tensors];
  const done = new Set<string>();
  if (tensors.length === 0) {
    for (let k = 0; k < def.positional.length; k++) {
      const a = def.positional[k]!;
      const lone = k === 0 && required.size === 0;
      if (!(required.has(a) || lone) || n.args[a] === undefined) break;
      parts.push(valueText(n.args[a]!));
      done.add(a);
    }
  }
  for (const [k, v] of Object.entries(n.args)) if (!done.has(k)) parts.push(`${k}: ${valueText(v)}`);
  return `${def.name}(${parts.join(", ")})`;
}

interface Stmt {
  text: string;
  /** A statement on the running tensor that names nothing: these can be grouped in `repeat`. */
  plain: boolean;
}

function modelBody(live: Node[], inputName: string): Stmt[] {
  return modelBodyMulti(live, [{ field: "x", layer: inputName }], [], new Set(["input"]));
}

/** Runs of identical plain statements (or groups of them) become `repeat N { … }`. */
function foldRepeats(stmts: Stmt[]): Stmt[] {
  const out: Stmt[] = [];
  let i = 0;
  while (i < stmts.length) {
    let best = { len: 0, times: 0 };
    for (let len = 1; len <= 6 && i + 2 * len <= stmts.length; len++) {
      const unit = stmts.slice(i, i + len);
      if (!unit.every((s) => s.plain)) break;
      let times = 1;
      while (i + (times + 1) * len <= stmts.length && stmts.slice(i + times * len, i + (times + 1) * len).every((s, k) => s.plain && s.text === unit[k]!.text)) times++;
      if (times >= 2 && len * times > best.len * best.times) best = { len, times };
    }
    if (best.times >= 2) {
      const unit = stmts.slice(i, i + best.len).map((s) => s.text);
      const inner = unit.length === 1 ? ` ${unit[0]} ` : `\n${unit.map((u) => `      ${u}`).join("\n")}\n    `;
      out.push({ text: `repeat ${best.times} {${inner}}`, plain: false });
      i += best.len * best.times;
    } else out.push(stmts[i++]!);
  }
  return out;
}

function render(name: string, file: string, t: JsonObject, input: number[], output: Node, body: Stmt[]): string {
  return renderMulti(name, file, t, [{ field: "x", shape: input }], [{ field: "y", node: output }], body);
}
