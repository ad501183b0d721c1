// The language reference (docs/reference.md) and the editor's hover text for a name, both made
// here from the registries the checker uses:
// every layer (compiler/semantic/layers) with its Keras class, arguments, types, defaults and an
// example whose output shape the layer's own shape rule computes here (an example that does not
// validate or does not go through fails the generator, so every example is checked); then every
// source, loss, optimizer, metric, callback, schedule, augmentation, transform, tuning strategy
// and search space (compiler/semantic/catalog.ts).
//
//   npx tsx tests/golden/reference.ts      rewrite docs/reference.md
//   node bin/test.mjs compiler/reference   fail when the reference is stale
// `referenceEntry(kind, name)` is one entry's text (below its heading), which hover shows as is.
import { AUGMENTS, CALLBACKS, COLUMN_STAGES, LOSS_ALIASES, LOSSES, METRICS, OPTIMIZERS, SCHEDULES, SOURCES, SPACES, STRATEGIES, TRANSFORM_CALLS } from "./semantic/catalog.ts";
import { LAYER_ALIASES, LAYER_DEFS } from "./semantic/layers/index.ts";
import { isFailure, type Args, type LayerDef, type TensorShape } from "./semantic/layers/types.ts";
import { validator } from "./semantic/validators.ts";
import { KERAS_ARGUMENTS } from "./semantic/names.ts";
import { FREEZE_DOC } from "./semantic/freeze.ts";
import { LABELS_DOC } from "./semantic/data_facts.ts";
import { SERIES_DOC } from "./semantic/series_doc.ts";
import type { CallSignature } from "./semantic/values.ts";

type Schema = Record<string, unknown>;

/** A JSON Schema as the type a .dlp author writes: `int ≥ 1`, `same | valid`, `[int, int]`. */
function typeOf(s: Schema): string {
  if (Array.isArray(s.anyOf)) return (s.anyOf as Schema[]).map(typeOf).join(" or ");
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(" \\| ");
  const bounds: string[] = [];
  if (s.minimum !== undefined) bounds.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) bounds.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) bounds.push(`≤ ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) bounds.push(`< ${s.exclusiveMaximum}`);
  const b = bounds.length ? ` ${bounds.join(", ")}` : "";
  switch (s.type) {
    case "integer":
      return `int${b}`;
    case "number":
      return `number${b}`;
    case "boolean":
      return "true \\| false";
    case "string":
      return "string";
    case "array": {
      const item = s.items ? typeOf(s.items as Schema) : "value";
      return s.minItems !== undefined && s.minItems === s.maxItems ? `[${Array.from({ length: s.minItems as number }, () => item).join(", ")}]` : `[${item}, …]`;
    }
    default:
      return "value";
  }
}

/** A value that satisfies the schema, for an example. */
function sample(name: string, s: Schema): unknown {
  if (s.default !== undefined) return s.default;
  if (Array.isArray(s.anyOf)) return sample(name, (s.anyOf as Schema[])[0]!);
  if (Array.isArray(s.enum)) return (s.enum as unknown[])[0];
  const PREFERRED: Record<string, unknown> = { input_dim: 1000, vocab: 1000, units: 64, filters: 32, kernel: 3, rate: 0.5, output_dim: 16, n: 3, stddev: 0.1, lr: 0.001, patience: 3, degrees: 15, std: 0.05, trials: 20, maxlen: 100, every: 10, decay_rate: 0.9, decay_steps: 1000, mean: 0.5, width: 0.1, range: [0.9, 1.1], length: 24, target: "load", target_shape: [4, 4, 4], dims: [2, 1, 3], size: [64, 64] };
  if (name in PREFERRED) return PREFERRED[name];
  switch (s.type) {
    case "integer":
      return Math.max(2, Number(s.minimum ?? 2));
    case "number":
      return s.exclusiveMaximum !== undefined || s.maximum !== undefined ? 0.5 : 1;
    case "boolean":
      return true;
    case "string":
      return name === "path" ? "data/train.csv" : name === "dir" ? "data/train" : "val_loss";
    case "array":
      return Array.from({ length: Number(s.minItems ?? 1) }, () => sample(name, (s.items ?? {}) as Schema));
    default:
      return 1;
  }
}

const code = (v: unknown): string => (typeof v === "string" ? (/^[a-z_][a-z0-9_]*$/.test(v) ? v : JSON.stringify(v)) : Array.isArray(v) ? `[${v.map(code).join(", ")}]` : String(v));
const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The example call: the required arguments (positionally where they can be), validated. */
function example(what: string, positional: string[], schema: Schema): { text: string; args: Args } {
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  // One of several argument sets (embedding: `input_dim` or `vocab`): the first one's.
  const oneOf = Array.isArray(schema.oneOf) ? ((schema.oneOf as Schema[])[0]!.required ?? []) as string[] : [];
  const required = [...((schema.required ?? []) as string[]), ...oneOf];
  const args: Record<string, unknown> = {};
  const parts: string[] = [];
  let positionalOk = true;
  for (const p of [...positional, ...Object.keys(props).filter((k) => !positional.includes(k))]) {
    if (!required.includes(p)) {
      if (positional.includes(p)) positionalOk = false;
      continue;
    }
    const v = sample(p, props[p]!);
    args[p] = v;
    const text = typeof v === "string" && !props[p]!.enum ? JSON.stringify(v) : code(v);
    parts.push(positionalOk && positional.includes(p) ? text : `${p}: ${text}`);
  }
  // Nothing required: show the first positional argument at its default.
  const first = positional[0];
  if (parts.length === 0 && first !== undefined && props[first] && !Array.isArray(schema.oneOf)) {
    const v = sample(first, props[first]!);
    args[first] = v;
    parts.push(code(v));
  }
  const copy = structuredClone(args);
  const v = validator(schema);
  if (!v(copy)) throw new Error(`reference: the example for ${what} does not validate: ${JSON.stringify(v.errors)}`);
  return { text: parts.join(", "), args: copy as Args };
}

function argTable(schema: Schema, positional: string[], docs: Map<string, string>, keras: Map<string, string>): string[] {
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required ?? []) as string[]);
  const names = Object.keys(props);
  if (names.length === 0) return ["No arguments.", ""];
  const out = ["| argument | type | default | Keras name | meaning |", "|---|---|---|---|---|"];
  for (const n of names) {
    const p = props[n]!;
    const pos = positional.indexOf(n);
    const def = required.has(n) ? "required" : p.default !== undefined ? `\`${code(p.default)}\`` : "unset";
    out.push(`| \`${n}\`${pos >= 0 ? ` (${pos + 1}.)` : ""} | ${cell(typeOf(p))} | ${def} | ${keras.has(n) ? `\`${keras.get(n)}\`` : "same"} | ${cell(docs.get(n) ?? "")} |`);
  }
  return [...out, ""];
}

const kerasFor = new Map<string, string>(Object.entries(KERAS_ARGUMENTS).map(([k, v]) => [v, k]));

/** Inputs tried, in order, for a layer's example: the first its shape rule accepts is shown. */
const INPUTS: TensorShape[] = [[32, 32, 3], [20, 8], [64], [16, 16, 4, 2]];

function layerSection(d: LayerDef): string[] {
  const lines = [`${d.doc}. Keras: \`${d.kerasClass}\`.`, ""];
  const aliases = [...LAYER_ALIASES].filter(([, to]) => to === d.name).map(([from]) => `\`${from}\``);
  if (aliases.length) lines.push(`Also written ${aliases.join(", ")}.`, "");
  lines.push(...argTable(d.schema, d.positional, new Map(d.argDocs.map((a) => [a.name, a.doc])), kerasFor));
  // Its argument is a recurrent layer call, which the checker builds before validating.
  if (d.name === "bidirectional") {
    lines.push("```dlp", "bidirectional(lstm(32))   // runs the wrapped recurrent layer forwards and backwards", "```", "");
    return lines;
  }
  if (d.name === "time_distributed") {
    lines.push("```dlp", "lstm(32, return_sequences: true)   // 20×8 → 20×32", "time_distributed(dense(10))        // 20×32 → 20×10: one dense layer at every step", "```", "");
    return lines;
  }
  const ex = example(d.name, d.positional, d.schema);
  const call = `${d.name}(${ex.text})`;
  const preferred: TensorShape[] = d.name === "embedding" ? [[20]] : d.name === "dense" ? [[64]] : [];
  const inputs = d.inputs === "many" ? null : [...preferred, ...INPUTS].find((s) => !isFailure(d.shape([s], ex.args)));
  if (d.inputs === "many") {
    const out = d.shape([[8, 8, 4], [8, 8, 4]], ex.args);
    if (isFailure(out)) throw new Error(`reference: ${call} on two 8×8×4 inputs: ${out.message}`);
    lines.push("```dlp", `${call}   // two 8×8×4 inputs → ${out.join("×")}`, "```", "");
  } else {
    if (!inputs) throw new Error(`reference: ${call} goes through none of the example inputs ${INPUTS.map((s) => s.join("×")).join(", ")}`);
    const out = d.shape([inputs], ex.args) as TensorShape;
    const p = d.params([inputs], ex.args);
    lines.push("```dlp", `${call}   // ${inputs.join("×")} → ${out.map((x) => x ?? "?").join("×")}, ${p.trainable + p.nonTrainable} params`, "```", "");
  }
  return lines;
}

function sigSection(keyword: string, name: string, sig: CallSignature, doc: string | undefined): string[] {
  const ex = example(sig.what, sig.positional, sig.schema);
  const props = Object.keys((sig.schema.properties ?? {}) as object);
  const call = props.length === 0 ? name : `${name}(${ex.text})`;
  return [...(doc ? [`${doc}.`, ""] : []), ...argTable(sig.schema, sig.positional, new Map(), kerasFor), "```dlp", `${keyword}${call}`, "```", ""];
}

function build(): { doc: string; entries: Map<string, string> } {
  const entries = new Map<string, string>();
  const out: string[] = [
    "# dlp language reference",
    "",
    "Generated by `npx tsx tests/golden/reference.ts` from the registries the compiler checks",
    "against (compiler/semantic/layers, compiler/semantic/catalog.ts); `node bin/test.mjs",
    "compiler/reference` fails when it is stale. Arguments marked `(1.)`, `(2.)` … may be given",
    "by position, in that order; every other argument by name. Every example's arguments are",
    "validated by the same schema as in a .dlp file, and every layer example's output shape and",
    "parameter count are computed by the layer's own shape rule.",
    "",
    "Keras's argument spellings are not aliases: where dlp's name differs (the **Keras name**",
    "column), writing Keras's gives one error whose help and quick fix name dlp's argument.",
    "Diagnostics are in [diagnostics.md](diagnostics.md).",
    "",
    "## Layers",
    "",
  ];
  const entry = (kind: ReferenceKind, name: string, lines: string[], extra: string[] = []): void => {
    entries.set(`${kind} ${name}`, [...lines, ...extra].join("\n").trimEnd());
    out.push(`### \`${name}\``, "", ...lines, ...extra);
  };
  for (const d of [...LAYER_DEFS].sort((a, b) => a.name.localeCompare(b.name))) entry("layer", d.name, layerSection(d));
  out.push(...FREEZE_DOC);
  out.push(...MULTI_IO_DOC);
  out.push("## Data sources", "", "Written `source NAME(…)` in the `data` section.", "");
  for (const [name, s] of Object.entries(SOURCES)) {
    entry("source", name, sigSection("source ", name, s.sig, s.doc), [`Fields: \`${s.x.name}\` (${s.x.shape ? s.x.shape.map((v) => v ?? "any").join("×") : "shape from the data"}), \`${s.y.name}\`${s.y.classes ? ` (${s.y.classes} classes)` : ""}.${s.install ? ` Install: \`${s.install}\`.` : ""}`, ""]);
  }
  out.push(...LABELS_DOC);
  out.push(...SERIES_DOC);
  out.push("## Transforms", "", "Applied with `|>` in `x = …` (`images |> normalize(0.5, 0.25)`); `standardize()` takes no arguments.", "");
  for (const [name, s] of Object.entries(TRANSFORM_CALLS)) entry("transform", name, sigSection("x = features |> ", name, s, undefined));
  out.push(
    "## Typed columns",
    "",
    "A CSV's columns are data fields by their header names: `x = age` is one number per row, `columns(age, hours)` a vector of numeric columns, and",
    "stages piped after a column type, fill and scale it; `concat(…)` joins several columns into one input vector, whose width the checker",
    "knows from the declarations (`x = concat(columns(age, hours) |> standardize(), city |> category(max_tokens: 16) |> one_hot(), smoker |> binary())`",
    "is 2 + 16 + 1 = 19 values). `y = income as class(2)` names the label column. `source text_files(dir)`'s field `texts` takes `text(…)` the same way.",
    "Every statistic and vocabulary is fitted on the training split only (never validation or test), saved in the run's preprocess.json and",
    "applied again by `dlpc predict` (a CSV whose header names the columns, in any order; a `.txt` file for a text model). A stage's order: the",
    "type (`category`, `binary`, `date`, `text`; numeric without one), `fill`, then the scaling or `one_hot()`.",
    "",
  );
  for (const [name, s] of Object.entries(COLUMN_STAGES)) {
    const keras = new Map(name === "text" ? [["num_words", "max_tokens"], ["maxlen", "output_sequence_length"]] : []);
    entry("column", name, [`${s.doc}.`, "", ...argTable(s.schema, s.positional, new Map(), keras), "```dlp", s.example, "```", ""]);
  }
  out.push("## Augmentations", "", "Inside `augment { … }` in the `data` section; applied to training batches only.", "");
  for (const [name, s] of Object.entries(AUGMENTS)) entry("augmentation", name, sigSection("", name, s, undefined));
  out.push("## Losses", "", `Written \`loss NAME\` in \`train\`. Other spellings accepted: ${Object.entries(LOSS_ALIASES).map(([a, b]) => `\`${a}\` (= \`${b}\`)`).join(", ")}.`, "");
  for (const [name, l] of Object.entries(LOSSES)) {
    entry("loss", name, sigSection("loss ", name, l.sig, l.doc), [`Labels: ${l.labels}${l.probability ? `; the last layer ends in ${l.probability}` : ""}.`, ""]);
  }
  out.push("## Optimizers", "", "Written `optimizer NAME(…)` in `train`; `lr` is Keras's `learning_rate`.", "");
  for (const [name, s] of Object.entries(OPTIMIZERS)) entry("optimizer", name, sigSection("optimizer ", name, s, undefined));
  out.push("## Metrics", "", "Written `metrics a, b` in `train` and in `evaluate test { … }`.", "");
  for (const [name, s] of Object.entries(METRICS)) entry("metric", name, sigSection("metrics ", name, s, undefined));
  out.push("## Callbacks", "", "Written on their own line in `train`.", "");
  for (const [name, s] of Object.entries(CALLBACKS)) entry("callback", name, sigSection("", name, s, undefined));
  out.push("## Learning-rate schedules", "", "Written `schedule NAME(…)` in `train`.", "");
  for (const [name, s] of Object.entries(SCHEDULES)) entry("schedule", name, sigSection("schedule ", name, s, undefined));
  out.push("## Tuning strategies", "", "Written `strategy NAME(…)` in `tune { … }`.", "");
  for (const [name, s] of Object.entries(STRATEGIES)) entry("strategy", name, sigSection("strategy ", name, s, undefined));
  out.push("## Search spaces", "", "Written after `tune` in a `param` line: `param units = 128 tune choice(64, 128, 256)`.", "", "| space | draws |", "|---|---|");
  for (const [name, doc] of Object.entries(SPACES)) {
    entries.set(`space ${name}`, `${doc}.`);
    out.push(`| \`${name}\` | ${cell(doc)} |`);
  }
  out.push("");
  return { doc: out.join("\n"), entries };
}

export type ReferenceKind = "layer" | "source" | "transform" | "column" | "augmentation" | "loss" | "optimizer" | "metric" | "callback" | "schedule" | "strategy" | "space";

let built: ReturnType<typeof build> | undefined;
const reference = (): ReturnType<typeof build> => (built ??= build());

/** docs/reference.md's text. */
export function referenceDoc(): string {
  return reference().doc;
}

/** One entry of the reference as it stands under its `### name` heading in docs/reference.md
 * (a space: its row's text), or undefined for a name the registry does not have. */
export function referenceEntry(kind: ReferenceKind, name: string): string | undefined {
  return reference().entries.get(`${kind} ${name}`);
}

/** The reference's section on models with several inputs and heads (Keras's functional API). */
const MULTI_IO_DOC = [
  "## Several inputs and outputs",
  "",
  "Each field of the `data` section is an input (declared `as image[…]`, `vector[…]`, `sequence[…]`,",
  "`series[…]`) or an output (declared `as class(N)`, `onehot(N)`, `binary`, `regression(N)`); `x`",
  "and `y` are the fields of a one-input, one-output pipeline. An output read from the source's",
  "features is a regression of their values (`recon = images / 255 as regression(784)`: the head",
  "reconstructs its input). A model with several inputs reads each by its field name, and returns",
  "one named head per output field:",
  "",
  "```dlp",
  "data {",
  "  source mnist",
  "  img    = images / 255 as image[28, 28, 1]",
  "  pixels = images / 255 as vector[784]",
  "  digit  = labels as class(10)",
  "  recon  = images / 255 as regression(784)",
  "}",
  "model {",
  "  a = img |> conv2d(16, 3, activation: relu) |> flatten()",
  "  b = pixels |> dense(64, activation: relu)",
  "  h = concatenate(a, b) |> dense(64, activation: relu)",
  "  return {",
  "    digit = h |> dense(10, activation: softmax)",
  "    recon = h |> dense(784, activation: sigmoid)",
  "  }",
  "}",
  "train {",
  "  loss { digit = sparse_categorical_crossentropy, recon = mse }",
  "  loss_weights { digit = 1.0, recon = 0.5 }",
  "  metrics { digit = accuracy, f1; recon = mae }",
  "}",
  "```",
  "",
  "Each head is checked against its labels like a one-output model's output (units against",
  "classes, regression width, the loss against the label kind). `loss NAME` and `metrics a, b`",
  "apply to every head; `loss { … }` names one loss per head, `loss_weights { … }` each head's",
  "factor in the total loss (1 by default), `metrics { head = a, b; … }` each head's metrics. The",
  "run's history, `metrics.json` and the report name them as Keras does: `loss` (the weighted",
  "total), `digit_loss`, `digit_accuracy`, `val_recon_mae`, so `early_stop(monitor:",
  "\"val_digit_accuracy\")` watches one head. `dlpc predict` prepares every input from the same",
  "sample and answers every head, a column per head: a class head's class name (`income`) and its",
  "probability (`income_prob`), a regression head's values (`spend`, or `recon_0`, `recon_1`, …);",
  "`--format json` gives each row's `answers` by head and every head's raw outputs under `heads`.",
  "`predict.html` ranks the first class head in the browser and lists every head's answer below",
  "it; `dlpc export` writes one ONNX graph input per input and one output per head. The confusion",
  "matrix, the classification report and `classNames` of `metrics.json` are the first class head's.",
  "A layer with no input named in a model with several inputs is DLP2005; a head without labels",
  "DLP5009, labels without a head DLP5010, an input the model never reads DLP5011. `class_weight`",
  "and `augment` need a model with one output and one input.",
  "",
  "A CSV source gives each head its own label column: the output field names it (`income = income",
  "as class(2)`, `spend = spend as regression(1)`), or several columns for a regression of their",
  "values (`pair = columns(lo, hi) as regression(2)`); `y = labels as …` reads the source's",
  "`label:` column. Every head's labels come from the same rows as the inputs, so the validation,",
  "test and k-fold splits hold the same rows for every head; a `stratified` split or fold follows",
  "the first class head's labels (a regression head has no classes). No label column is an input:",
  "`x = features` reads every column but the heads' label columns, and a typed column that is also",
  "a head's label column is DLP2004 (an explicit `features: [...]` list is read as written). The",
  "checker reads each head's column at check time: a column missing from the header is DLP4004",
  "(with the closest name and the file), label values against `class(N)` / `binary` /",
  "`regression` DLP4006 and DLP4011, as for one head. At run time a missing cell in a label column",
  "(empty, NA, N/A, NaN, null, none, ?) is an error naming the file, the line and the column:",
  "labels are never filled. `pipelines/tabular_two_heads.dlp` predicts an income class and a",
  "yearly spend from one mixed-type table (its typed columns one input, a free-text column a",
  "second, embedded); in short:",
  "",
  "```dlp",
  "data {",
  "  source csv(\"data/adult_like.csv\")",
  "  row = concat(age |> standardize(), occupation |> category(max_tokens: 13) |> one_hot(), owns_house |> binary())",
  "  income = income as class(2)",
  "  spend  = spend as regression(1)",
  "  split validation 15% stratified",
  "}",
  "model {",
  "  h = row |> dense(64, activation: relu)",
  "  return { income = h |> dense(2, activation: softmax), spend = h |> dense(1) }",
  "}",
  "train {",
  "  loss { income = sparse_categorical_crossentropy, spend = mse }",
  "  loss_weights { income = 1.0, spend = 0.5 }",
  "  metrics { income = accuracy, auc; spend = mae }",
  "}",
  "```",
  "",
];
