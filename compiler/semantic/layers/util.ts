// Shared pieces of the layer table: schema fragments, argument readers, shape arithmetic and
// the `defineLayer` wrapper that derives the schema and argDocs from one list of arguments.
import type {
  ArgCode,
  ArgDoc,
  ArgValue,
  Args,
  Dim,
  LayerDef,
  LayerValue,
  ParamCount,
  ShapeFailure,
  TensorShape,
  TfjsCall,
} from "./types.ts";
import { isFailure } from "./types.ts";
import type { Code } from "../../diagnostics/codes.ts";
import {
  ACTIVATION_NAMES,
  ACTIVATION_TFJS,
  ACTIVATIONS,
  INITIALIZER_NAMES,
  INITIALIZER_TFJS,
  PADDINGS,
  enumCode,
  identityTable,
  regularizerCode,
} from "./enums.ts";

// ---------------------------------------------------------------- formatting and failures

export function fmtDim(d: Dim): string {
  return d === null || Number.isNaN(d) ? "?" : String(d);
}
/** "26×26×32"; unknown dims print as "?". */
export function fmtShape(s: TensorShape): string {
  return s.length === 0 ? "scalar" : s.map(fmtDim).join("×");
}
export function fail(code: Code, message: string, label: string, extra: { arg?: string; help?: string; fix?: { arg: string; value: string } } = {}): ShapeFailure {
  const f: ShapeFailure = { failure: true, code, message, label };
  if (extra.arg !== undefined) f.arg = extra.arg;
  if (extra.help !== undefined) f.help = extra.help;
  if (extra.fix !== undefined) f.fix = extra.fix;
  return f;
}
export function rankWord(rank: number): string {
  return `${rank}-D`;
}

// ---------------------------------------------------------------- schema fragments

export type Schema = Record<string, unknown>;

export const S = {
  int: (minimum: number, def?: number): Schema => withDefault({ type: "integer", minimum }, def),
  number: (def?: number): Schema => withDefault({ type: "number" }, def),
  nonNegative: (def?: number): Schema => withDefault({ type: "number", minimum: 0 }, def),
  positive: (def?: number): Schema => withDefault({ type: "number", exclusiveMinimum: 0 }, def),
  rate: (def?: number): Schema => withDefault({ type: "number", minimum: 0, exclusiveMaximum: 1 }, def),
  bool: (def?: boolean): Schema => withDefault({ type: "boolean" }, def),
  enumOf: (values: readonly string[], def?: string): Schema => withDefault({ type: "string", enum: [...values] }, def),
  /** An integer ≥ min or a list of `n` of them (`kernel: 3` or `kernel: [3, 5]`). */
  intOrTuple: (minimum: number, n: number, def?: number): Schema =>
    withDefault(
      {
        anyOf: [
          { type: "integer", minimum },
          { type: "array", items: { type: "integer", minimum }, minItems: n, maxItems: n },
        ],
      },
      def,
    ),
  intList: (minimum: number, minItems: number): Schema => ({
    type: "array",
    items: { type: "integer", minimum },
    minItems,
  }),
};

function withDefault(schema: Schema, def: unknown): Schema {
  return def === undefined ? schema : { ...schema, default: def };
}

export interface ArgSpec {
  schema: Schema;
  /** For hover/completion, e.g. "int ≥ 1". */
  type: string;
  doc: string;
}

// Argument families several layers share.
export const A = {
  activation: (def = "linear"): ArgSpec => ({
    schema: S.enumOf(ACTIVATION_NAMES, def),
    type: ACTIVATION_NAMES.join(" | "),
    doc: `activation applied to the output (default ${def})`,
  }),
  useBias: (): ArgSpec => ({ schema: S.bool(true), type: "bool", doc: "add a learned bias (default true)" }),
  init: (what = "kernel"): ArgSpec => ({
    schema: S.enumOf(INITIALIZER_NAMES),
    type: "initializer",
    doc: `initializer of the ${what} weights (default glorot_uniform, as in Keras)`,
  }),
  kernelInit: (): ArgSpec => ({
    schema: S.enumOf(INITIALIZER_NAMES),
    type: "initializer",
    doc: "same as init: initializer of the kernel weights",
  }),
  biasInit: (): ArgSpec => ({
    schema: S.enumOf(INITIALIZER_NAMES),
    type: "initializer",
    doc: "initializer of the bias (default zeros)",
  }),
  l1: (what = "kernel"): ArgSpec => ({
    schema: S.nonNegative(),
    type: "number ≥ 0",
    doc: `L1 regularization factor on the ${what} weights`,
  }),
  l2: (what = "kernel"): ArgSpec => ({
    schema: S.nonNegative(),
    type: "number ≥ 0",
    doc: `L2 regularization factor (weight decay) on the ${what} weights`,
  }),
  padding: (): ArgSpec => ({
    schema: S.enumOf(PADDINGS, "valid"),
    type: "valid | same",
    doc: "valid: no padding, the map shrinks; same: zero-pad so the output is ceil(input / strides) (default valid)",
  }),
  rate: (doc: string): ArgSpec => ({ schema: S.rate(), type: "number in [0, 1)", doc }),
};

// ---------------------------------------------------------------- argument readers

export function num(args: Args, key: string, def: number): number {
  const v = args[key];
  return typeof v === "number" ? v : def;
}
export function optNum(args: Args, key: string): number | undefined {
  const v = args[key];
  return typeof v === "number" ? v : undefined;
}
export function bool(args: Args, key: string, def: boolean): boolean {
  const v = args[key];
  return typeof v === "boolean" ? v : def;
}
export function str(args: Args, key: string, def: string): string {
  const v = args[key];
  return typeof v === "string" ? v : def;
}
/** An int-or-tuple argument as a tuple of `n` numbers. */
export function tuple(args: Args, key: string, n: number, def: number): number[] {
  const v = args[key];
  if (typeof v === "number") return Array<number>(n).fill(v);
  if (Array.isArray(v) && v.length === n && v.every((x) => typeof x === "number")) return v as number[];
  return Array<number>(n).fill(def);
}
export function numList(v: ArgValue | undefined): number[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === "number") ? (v as number[]) : undefined;
}
export function isLayerValue(v: ArgValue | undefined): v is LayerValue {
  return typeof v === "object" && v !== null && !Array.isArray(v) && typeof (v as LayerValue).layer === "string";
}

// ---------------------------------------------------------------- shape arithmetic

export function product(dims: readonly Dim[]): Dim {
  let p = 1;
  for (const d of dims) {
    if (d === null) return null;
    p *= d;
  }
  return p;
}

/** Output length of a convolution or pooling window along one axis, exactly as tfjs's
 *  convOutputLength: same → ceil(L / s); valid → ceil((L − dk + 1) / s), dk = the dilated
 *  kernel. Returns "short" when the window does not fit (valid padding). */
export function convLength(len: Dim, kernel: number, padding: string, stride: number, dilation = 1): Dim | "short" {
  if (len === null) return null;
  const dk = kernel + (kernel - 1) * (dilation - 1);
  if (padding === "same") return Math.ceil(len / stride);
  const out = len - dk + 1;
  if (out <= 0) return "short";
  return Math.ceil(out / stride);
}

/** Output length of a transposed convolution (tfjs deconvLength, no output padding). */
export function deconvLength(len: Dim, kernel: number, padding: string, stride: number): Dim {
  if (len === null) return null;
  return padding === "same" ? len * stride : len * stride + Math.max(kernel - stride, 0);
}

/** Slides windows over the spatial axes of `input` (all but the last, the channels). */
export function slide(
  layer: string,
  what: string,
  input: TensorShape,
  kernel: number[],
  padding: string,
  strides: number[],
  dilation: number[],
): Dim[] | ShapeFailure {
  const spatial = input.slice(0, kernel.length);
  const out: Dim[] = [];
  let short = false;
  for (let i = 0; i < kernel.length; i++) {
    const r = convLength(spatial[i] ?? null, kernel[i]!, padding, strides[i]!, dilation[i]!);
    if (r === "short") short = true;
    out.push(r === "short" ? 0 : r);
  }
  if (short) {
    const dk = kernel.map((k, i) => k + (k - 1) * (dilation[i]! - 1));
    const dilated = dilation.some((d) => d > 1) ? "dilated " : "";
    return fail(
      "DLP3001",
      `${layer} ${dilated}${what} ${dk.join("×")} is larger than its ${fmtShape(spatial)} input`,
      `needs at least ${dk.join("×")}, receives ${fmtShape(input)}`,
      shrinkHelp(`${dilated}${what}`, input, spatial),
    );
  }
  return out;
}

/**
 * The help for a window larger than its input, in the user's shapes. A map that looks
 * channels-first (1×28×28: few "rows", many "channels") is a data declaration with its axes in
 * the wrong order: `padding: same` would make the error go away and train on the wrong axes, so
 * the help says to reorder them. Otherwise the window must shrink to the map, or `padding: same`
 * on this layer keeps it (offered as the edit).
 */
function shrinkHelp(what: string, input: TensorShape, spatial: Dim[]): { help: string; fix?: { arg: string; value: string } } {
  const [c, h, w] = input;
  if (input.length === 3 && c !== null && c !== undefined && c <= 4 && h !== null && h !== undefined && h > 4 && w !== null && w !== undefined && w > 4) {
    return { help: `the input ${fmtShape(input)} looks channels-first: put the ${c} channel${c === 1 ? "" : "s"} last, ${h}×${w}×${c} (\`image[${h}, ${w}, ${c}]\` or \`|> channels_last()\` in x, \`reshape([${h}, ${w}, ${c}])\` in the model); \`padding: same\` would train on the wrong axes` };
  }
  return { help: `use a ${what} of at most ${fmtShape(spatial)} here, or \`padding: same\` on this layer`, fix: { arg: "padding", value: "same" } };
}

/** How a convolution treats `dilation`: "exclusive" (allowed, but not with strides above 1, as in
 *  Keras), "unsupported" (tfjs ignores it: any value above 1 is refused), or "none" (no such arg). */
export type DilationRule = "exclusive" | "unsupported" | "none";

export interface ConvWindowOpts {
  /** Number of spatial axes (1 for conv1d, 2 for the 2-D family). */
  n: number;
  dilation: DilationRule;
  /** Transposed convolution: the map grows by the strides instead of shrinking. */
  transposed?: boolean;
}

/** Product of the kernel's sizes (`kernel: 3` in 2-D → 9): the weights per input/output pair. */
export function kernelArea(args: Args, n: number): number {
  return tuple(args, "kernel", n, 1).reduce((a, b) => a * b, 1);
}

/** The spatial output of every convolution in the table (conv1d, conv2d, depthwise_conv2d,
 *  separable_conv2d, conv2d_transpose): reads kernel, strides, dilation and padding from `args`,
 *  applies the layer's dilation rule, and slides the kernel (or grows the map when transposed)
 *  over the first `n` axes of `x`. The channel axis is the caller's. */
export function convOutput(layer: string, x: TensorShape, args: Args, o: ConvWindowOpts): Dim[] | ShapeFailure {
  const kernel = tuple(args, "kernel", o.n, 1);
  const strides = tuple(args, "strides", o.n, 1);
  const dilation = o.dilation === "none" ? Array<number>(o.n).fill(1) : tuple(args, "dilation", o.n, 1);
  const padding = str(args, "padding", "valid");
  if (o.dilation === "exclusive" && strides.some((s) => s > 1) && dilation.some((d) => d > 1)) {
    return fail("DLP3009", `${layer} cannot use strides and dilation above 1 together`, `strides ${strides.join("×")}, dilation ${dilation.join("×")}`, {
      arg: "dilation",
      help: "set strides: 1, or dilation: 1",
    });
  }
  // tfjs's DepthwiseConv2D passes no dilation to its kernel: it would silently be ignored.
  if (o.dilation === "unsupported" && dilation.some((d) => d > 1)) {
    return fail("DLP3013", `tfjs's ${layer} does not support dilation`, `dilation ${dilation.join("×")}`, {
      arg: "dilation",
      help: "remove dilation, or use separable_conv2d, whose depthwise step supports it",
    });
  }
  if (o.transposed) return kernel.map((k, i) => deconvLength(x[i] ?? null, k, padding, strides[i]!));
  return slide(layer, "kernel", x, kernel, padding, strides, dilation);
}

export function rankFailure(layer: string, input: TensorShape, expected: string, help: string, code: Code = "DLP3002"): ShapeFailure {
  return fail(
    code,
    `${layer} expects ${expected}, receives a ${rankWord(input.length)} tensor`,
    `receives ${fmtShape(input)}`,
    { help },
  );
}

export function unknownDim(layer: string, input: TensorShape, what: string, help: string): ShapeFailure {
  return fail("DLP3006", `${layer} needs a known ${what}`, `receives ${fmtShape(input)}`, { help });
}

/** An activation usable as an argument only when tfjs has a string for it. */
export function checkActivationArg(layer: string, args: Args): ShapeFailure | undefined {
  const a = args["activation"];
  if (typeof a === "string" && ACTIVATIONS.get(a)?.tfjs === null) {
    return fail(
      "DLP3012",
      `${a} cannot be the activation argument of ${layer} in tfjs`,
      `activation: ${a}`,
      { arg: "activation", help: `remove activation: ${a} and add ${a}() as a layer after this one` },
    );
  }
  return undefined;
}

// ---------------------------------------------------------------- emission helpers

export type Config = [string, string][];

/** Builds tfjs config entries from the given args, in a fixed order. */
export class ConfigBuilder {
  readonly entries: Config = [];
  constructor(private readonly args: Record<string, ArgCode>) {}
  /** Copies a plain argument (number, bool, tuple) under its tfjs name. */
  plain(dlp: string, key: string): this {
    const a = this.args[dlp];
    if (a) this.entries.push([key, a.code]);
    return this;
  }
  /** An enum argument mapped through `table`; `def` (a tfjs spelling) is emitted when absent. */
  enum(dlp: string, key: string, table: ReadonlyMap<string, string>, def?: string): this {
    const a = this.args[dlp];
    if (a) this.entries.push([key, enumCode(a, table)]);
    else if (def !== undefined) this.entries.push([key, JSON.stringify(def)]);
    return this;
  }
  activation(dlp = "activation", key = "activation", def?: string): this {
    return this.enum(dlp, key, ACTIVATION_TFJS, def);
  }
  padding(): this {
    return this.enum("padding", "padding", identityTable(PADDINGS));
  }
  /** A convolution's window: kernel size, strides and padding. */
  window(): this {
    return this.plain("kernel", "kernelSize").plain("strides", "strides").padding();
  }
  /** `init` or its alias `kernel_init`; Keras's glorot_uniform when neither is given and
   *  the tfjs default differs (tfjs defaults most kernels to glorotNormal). */
  init(keys: string[], dlpNames: string[] = ["init", "kernel_init"], def: string | undefined = "glorotUniform"): this {
    const name = dlpNames.find((n) => this.args[n]);
    for (const key of keys) {
      if (name) this.entries.push([key, enumCode(this.args[name]!, INITIALIZER_TFJS)]);
      else if (def !== undefined) this.entries.push([key, JSON.stringify(def)]);
    }
    return this;
  }
  enumInit(dlp: string, key: string): this {
    return this.enum(dlp, key, INITIALIZER_TFJS);
  }
  regularizer(keys: string[], l1 = "l1", l2 = "l2"): this {
    const code = regularizerCode(this.args[l1], this.args[l2]);
    if (code) for (const key of keys) this.entries.push([key, code]);
    return this;
  }
  raw(key: string, code: string): this {
    this.entries.push([key, code]);
    return this;
  }
  has(dlp: string): boolean {
    return this.args[dlp] !== undefined;
  }
}

/** `tf.layers.<factory>({ ... })` as one expression, for nested calls (bidirectional). */
export function callCode(call: TfjsCall): string {
  const body = call.config.map(([k, v]) => `${k}: ${v}`).join(", ");
  // Some factories (globalAveragePooling2d, add) require the config object even when empty.
  return `tf.layers.${call.factory}(${body ? `{ ${body} }` : "{}"})`;
}

/** ArgCode for an evaluated literal value (used where a nested call arrives as a value). */
export function literalCode(v: ArgValue): ArgCode {
  if (isLayerValue(v)) return { code: "", literal: v };
  return { code: JSON.stringify(v), literal: v };
}

// ---------------------------------------------------------------- defineLayer

export interface LayerSpec {
  name: string;
  kerasClass: string;
  doc: string;
  positional?: string[];
  args?: Record<string, ArgSpec>;
  required?: string[];
  /** Extra top-level schema keywords (e.g. `not` for mutually exclusive aliases). */
  schemaExtra?: Schema;
  inputs?: "one" | "many";
  shape(inputs: TensorShape[], args: Args): TensorShape | ShapeFailure;
  params?(inputs: TensorShape[], args: Args): ParamCount;
  tfjs(args: Record<string, ArgCode>): TfjsCall;
}

export const NO_PARAMS: ParamCount = { trainable: 0, nonTrainable: 0 };

/** Fills schema defaults into `args` (ajv does the same; this keeps shape rules total when a
 *  caller passes args that did not go through ajv, such as a nested layer's). */
export function fillDefaults(schema: Schema, args: Args): Args {
  const defaults = defaultsOf(schema);
  let out: Args | undefined;
  for (const [k, d] of defaults) if (args[k] === undefined) (out ??= { ...args })[k] = d;
  // Args that went through ajv already hold every default: no copy then.
  return out ?? args;
}

/** The schema's properties that have a default, in schema order (read once per schema: the
 *  shape rules fill defaults on every layer call). */
const defaultsCache = new WeakMap<Schema, [string, ArgValue][]>();
function defaultsOf(schema: Schema): [string, ArgValue][] {
  let list = defaultsCache.get(schema);
  if (!list) {
    const props = (schema["properties"] ?? {}) as Record<string, Schema>;
    list = [];
    for (const [k, s] of Object.entries(props)) if (s["default"] !== undefined) list.push([k, s["default"] as ArgValue]);
    defaultsCache.set(schema, list);
  }
  return list;
}

export function defineLayer(spec: LayerSpec): LayerDef {
  const args = spec.args ?? {};
  const properties: Record<string, Schema> = {};
  const argDocs: ArgDoc[] = [];
  for (const [name, a] of Object.entries(args)) {
    properties[name] = a.schema;
    argDocs.push({ name, type: a.type, doc: a.doc });
  }
  // Every layer can be frozen (Keras's `trainable=False`): its weights count as non-trainable
  // and the optimizer leaves them alone.
  const freezable = !("trainable" in properties);
  if (freezable) {
    properties["trainable"] = { type: "boolean", default: true };
    argDocs.push({ name: "trainable", type: "bool", doc: "false freezes the layer's weights (fine-tuning, a pretrained base)" });
  }
  const schema: Schema = {
    type: "object",
    properties,
    required: spec.required ?? [],
    additionalProperties: false,
    ...(spec.schemaExtra ?? {}),
  };
  const inputs = spec.inputs ?? "one";
  const ownParams = spec.params ?? (() => NO_PARAMS);
  const params = (ins: TensorShape[], a: Args): ParamCount => {
    const p = ownParams(ins, a);
    return freezable && a["trainable"] === false ? { trainable: 0, nonTrainable: p.trainable + p.nonTrainable } : p;
  };
  const shapeFilled = (ins: TensorShape[], filled: Args): TensorShape | ShapeFailure => {
    const act = "activation" in properties ? checkActivationArg(spec.name, filled) : undefined;
    return act ?? spec.shape(ins, filled);
  };
  const def: LayerDef = {
    name: spec.name,
    kerasClass: spec.kerasClass,
    doc: spec.doc,
    positional: spec.positional ?? [],
    schema,
    argDocs,
    inputs,
    shape(ins, given) {
      const count = checkInputCount(spec.name, inputs, ins);
      if (count) return count;
      return shapeFilled(ins, fillDefaults(schema, given));
    },
    // A call whose shape rule fails has no weights to count.
    params(ins, given, output) {
      if (output !== undefined) return isFailure(output) ? NO_PARAMS : params(ins, fillDefaults(schema, given));
      if (checkInputCount(spec.name, inputs, ins)) return NO_PARAMS;
      if (isFailure(shapeFilled(ins, fillDefaults(schema, given)))) return NO_PARAMS;
      return params(ins, fillDefaults(schema, given));
    },
    tfjs: freezable
      ? (a) => {
          const call = spec.tfjs(a);
          const t = a["trainable"];
          return t && t.literal !== true ? { ...call, config: [...call.config, ["trainable", t.code]] } : call;
        }
      : spec.tfjs,
  };
  return def;
}

function checkInputCount(name: string, inputs: "one" | "many", ins: TensorShape[]): ShapeFailure | undefined {
  if (inputs === "one" && ins.length !== 1) {
    return fail("DLP3010", `${name} takes one input, receives ${ins.length}`, `receives ${ins.map(fmtShape).join(", ") || "nothing"}`, {
      help: "merge the tensors first with add(), concatenate() or another merge layer",
    });
  }
  if (inputs === "many" && ins.length < 2) {
    return fail("DLP3010", `${name} merges at least two tensors, receives ${ins.length}`, `receives ${ins.map(fmtShape).join(", ") || "nothing"}`, {
      help: `pass two or more tensors: ${name}(a, b)`,
    });
  }
  return undefined;
}
