// Completion from the cursor's context, found by lexing the text before it (the syntax tree
// of a half-typed line is not to be trusted): the enclosing sections (`model`, `train`, a
// block body), the innermost open call and its argument, and the words already on the line.
import { CompletionItemKind, type CompletionItem } from "vscode-languageserver";
import type { IToken } from "chevrotain";
import { dlpLexer } from "../../grammar/tokens.ts";
import { LAYER_DEFS, LAYER_ALIASES, getLayer, ACTIVATIONS, INITIALIZERS, PADDINGS, type LayerDef } from "../semantic/layers/index.ts";
import { AUGMENTS, CALLBACKS, COLUMN_STAGES, LOSSES, LOSS_ALIASES, METRICS, OPTIMIZERS, SCHEDULES, SOURCES, SPACES, STRATEGIES } from "../semantic/catalog.ts";
import { csvSource, headerColumns, stageHover, STAGE_NAMES } from "./columns.ts";
import type { CallSignature } from "../semantic/values.ts";
import type { Analysis } from "./analysis.ts";

export interface CursorContext {
  /** Heads of the enclosing `{ … }` blocks, outermost first: ["pipeline", "model"], ["block"]. */
  sections: string[];
  /** The innermost open `(`: its callee, the argument names already given, and the argument being typed. */
  call?: { callee: string; named: string[]; positionalIndex: number; argName?: string };
  /** Words of the current statement before the cursor (outside parentheses). */
  words: string[];
  /** The last significant token before the cursor (`|>`, `=`, `(`, `,`, `:`). */
  last?: string;
  /** The partial word being typed. */
  prefix: string;
}

export function cursorContext(text: string, offset: number): CursorContext {
  let start = offset;
  while (start > 0 && /[A-Za-z0-9_]/.test(text[start - 1])) start--;
  const prefix = text.slice(start, offset);
  const lexed = dlpLexer.tokenize(text.slice(0, start));
  const sections: string[] = [];
  interface Open {
    callee: string;
    named: string[];
    positionalIndex: number;
    argName?: string;
    bracket: boolean;
  }
  const parens: Open[] = [];
  let words: string[] = [];
  let last: string | undefined;
  let stmtHead: string[] = [];
  const toks: IToken[] = lexed.tokens;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    const type = t.tokenType.name;
    const top = parens[parens.length - 1];
    switch (type) {
      case "Newline":
      case "Semicolon":
        if (!parens.length && !(last === "|>" || last === "=" || last === ",")) {
          words = [];
          stmtHead = [];
          last = undefined;
        }
        continue;
      case "LBrace":
        sections.push(stmtHead[0] === "augment" ? "augment" : stmtHead[0] ?? "");
        parens.length = 0;
        words = [];
        stmtHead = [];
        last = "{";
        continue;
      case "RBrace":
        sections.pop();
        parens.length = 0;
        words = [];
        stmtHead = [];
        last = "}";
        continue;
      case "LParen": {
        const prev = toks[i - 1];
        parens.push({ callee: prev && prev.tokenType.name === "Identifier" ? prev.image : "", named: [], positionalIndex: 0, bracket: false });
        last = "(";
        continue;
      }
      case "LBracket":
        parens.push({ callee: "", named: [], positionalIndex: 0, bracket: true });
        last = "[";
        continue;
      case "RParen":
      case "RBracket":
        parens.pop();
        last = ")";
        continue;
      case "Comma":
        if (top) {
          if (!top.argName) top.positionalIndex++;
          top.argName = undefined;
        }
        last = ",";
        continue;
      case "Colon":
        if (top) {
          const prev = toks[i - 1];
          if (prev?.tokenType.name === "Identifier") {
            top.argName = prev.image;
            top.named.push(prev.image);
          }
        }
        last = ":";
        continue;
      default:
        last = t.image;
        if (!parens.length) {
          words.push(t.image);
          stmtHead.push(t.image);
        }
    }
  }
  const top = [...parens].reverse().find((p) => !p.bracket);
  const inBracket = parens.length > 0 && parens[parens.length - 1].bracket;
  return {
    sections,
    call: top && !inBracket ? { callee: top.callee, named: top.named, positionalIndex: top.positionalIndex, argName: top.argName } : undefined,
    words,
    last,
    prefix,
  };
}

const item = (label: string, kind: CompletionItemKind, detail?: string, documentation?: string, sortText?: string): CompletionItem => ({
  label,
  kind,
  ...(detail ? { detail } : {}),
  ...(documentation ? { documentation: { kind: "markdown", value: documentation } } : {}),
  ...(sortText ? { sortText } : {}),
});

function layerItems(blocks: string[]): CompletionItem[] {
  const out = LAYER_DEFS.map((d) => item(d.name, CompletionItemKind.Function, `${d.kerasClass}(${d.positional.join(", ")})`, d.doc));
  for (const [alias, name] of LAYER_ALIASES) out.push(item(alias, CompletionItemKind.Function, `alias of ${name}`));
  for (const b of blocks) out.push(item(b, CompletionItemKind.Module, "block", undefined, "0" + b));
  return out;
}

function argNameItems(def: LayerDef, given: string[]): CompletionItem[] {
  const props = (def.schema.properties ?? {}) as Record<string, { default?: unknown }>;
  return def.argDocs
    .filter((d) => !given.includes(d.name))
    .map((d, i) => ({
      ...item(`${d.name}:`, CompletionItemKind.Field, d.type, `${d.doc}${props[d.name]?.default !== undefined ? ` (default \`${String(props[d.name].default)}\`)` : ""}`, String(i).padStart(3, "0")),
      insertText: `${d.name}: `,
      filterText: d.name,
    }));
}

function sigArgItems(sig: CallSignature, given: string[]): CompletionItem[] {
  const props = (sig.schema.properties ?? {}) as Record<string, { default?: unknown; type?: string; enum?: unknown[] }>;
  return Object.entries(props)
    .filter(([k]) => !given.includes(k))
    .map(([k, v]) => ({ ...item(`${k}:`, CompletionItemKind.Field, v.enum ? v.enum.join(" | ") : v.type ?? "", v.default !== undefined ? `default \`${String(v.default)}\`` : undefined), insertText: `${k}: `, filterText: k }));
}

function enumItems(values: readonly unknown[], kind = CompletionItemKind.EnumMember, docs?: ReadonlyMap<string, { doc: string }>): CompletionItem[] {
  return values.map((v) => item(String(v), kind, undefined, docs?.get(String(v))?.doc));
}

function paramItems(a: Analysis | undefined): CompletionItem[] {
  const ps = a?.result?.checked?.ir.params ?? [];
  return ps.map((p) => item(p.name, CompletionItemKind.Variable, `param = ${String(p.default)}${p.spaceExpr ? " (tuned)" : ""}`, undefined, "0" + p.name));
}

function blockNames(a: Analysis | undefined): string[] {
  return [...(a?.result?.checked?.ir.blocks.keys() ?? [])];
}

function sigFor(callee: string, sections: string[], words: string[]): CallSignature | undefined {
  const inner = sections[sections.length - 1];
  if (inner === "train") {
    if (words[0] === "optimizer") return OPTIMIZERS[callee];
    if (words[0] === "schedule") return SCHEDULES[callee];
    if (words[0] === "loss") return LOSSES[LOSS_ALIASES[callee] ?? callee]?.sig;
    if (words[0] === "metrics") return METRICS[callee];
    return CALLBACKS[callee];
  }
  if (inner === "tune") return STRATEGIES[callee];
  if (inner === "data") return SOURCES[callee]?.sig;
  return undefined;
}

const TRAIN = ["loss", "optimizer", "batch", "epochs", "metrics", "schedule", "clip_norm", "class_weight", "init_weights"];
const DATA = ["source", "x", "y", "split", "augment", "shuffle"];

export function complete(a: Analysis | undefined, text: string, offset: number): CompletionItem[] {
  const ctx = cursorContext(text, offset);
  const inner = ctx.sections[ctx.sections.length - 1];
  const inModel = inner === "model" || inner === "block" || ctx.sections.includes("model") || (ctx.sections.includes("block") && inner !== "augment");
  const k = CompletionItemKind;

  if (ctx.call) {
    const { callee, argName, named } = ctx.call;
    const def = getLayer(callee);
    if (def) {
      if (argName) {
        const prop = ((def.schema.properties ?? {}) as Record<string, { enum?: unknown[] }>)[argName];
        if (argName === "activation") return [...enumItems([...ACTIVATIONS.keys()], k.EnumMember, ACTIVATIONS), ...paramItems(a)];
        if (/init$/.test(argName)) return [...enumItems([...INITIALIZERS.keys()], k.EnumMember, INITIALIZERS), ...paramItems(a)];
        if (argName === "padding") return [...enumItems(PADDINGS), ...paramItems(a)];
        if (argName === "layer") return layerItems([]);
        if (prop?.enum) return [...enumItems(prop.enum), ...paramItems(a)];
        return paramItems(a);
      }
      const out = [...argNameItems(def, [...named, ...def.positional.slice(0, ctx.call.positionalIndex)]), ...paramItems(a)];
      if (def.inputs === "many" || "layer" in ((def.schema.properties ?? {}) as object)) out.push(...layerItems(blockNames(a)));
      return out;
    }
    const sig = sigFor(callee, ctx.sections, ctx.words);
    if (sig) {
      if (argName) {
        const prop = ((sig.schema.properties ?? {}) as Record<string, { enum?: unknown[] }>)[argName];
        if (argName === "monitor" || argName === "best") return metricNames(a).map((m) => item(m, k.Value));
        return [...(prop?.enum ? enumItems(prop.enum) : []), ...paramItems(a)];
      }
      return [...sigArgItems(sig, [...named, ...sig.positional.slice(0, ctx.call.positionalIndex)]), ...paramItems(a)];
    }
    if (inner === "data") {
      // Typed columns: stages after `|>`, the header's names inside `columns(…)` / `concat(…)`, a stage's arguments.
      if (ctx.last === "|>") return stageItems(text);
      if (callee === "columns" || callee === "concat") return [...columnItems(text), ...(callee === "concat" ? [item("columns", k.Function, "columns(a, b, …)", stageHover("columns"))] : [])];
      if (callee === "fill" && !argName) return [...["mean", "median", "mode"].map((x) => item(x, k.EnumMember, `fill(${x})`)), item("value:", k.Field, "number | string")];
      const stage = COLUMN_STAGES[callee];
      if (stage) return argName ? paramItems(a) : [...sigArgItems(stage, [...named, ...stage.positional.slice(0, ctx.call.positionalIndex)]), ...paramItems(a)];
    }
    if (callee === "param" || SPACES[callee]) return paramItems(a);
    // A block call's arguments, a tensor argument of a merge, or a param space.
    return inModel ? [...paramItems(a), ...layerItems(blockNames(a))] : paramItems(a);
  }

  const w = ctx.words;
  const prev = w[w.length - 1];
  if (inModel) {
    if (w.length === 0) return [...layerItems(blockNames(a)), ...["repeat", "if", "else", "return", "freeze"].map((x) => item(x, k.Keyword))];
    if (ctx.last === "|>" || ctx.last === "=") return layerItems(blockNames(a));
    if (prev === "repeat" || prev === "if") return paramItems(a);
    return [];
  }
  switch (inner) {
    case undefined:
    case "":
      return w.length === 0 ? [item("pipeline", k.Keyword), item("block", k.Keyword)] : [];
    case "pipeline":
      if (w.length === 0) return ["seed", "param", "block", "data", "model", "train", "evaluate", "tune"].map((x) => item(x, k.Keyword));
      if (w[0] === "param") {
        if (prev === "tune") return Object.entries(SPACES).map(([n, doc]) => item(n, k.Function, doc));
        if (ctx.last === "=") return paramItems(a);
        if (w.length >= 4) return [item("tune", k.Keyword), item("when", k.Keyword)];
        if (prev === "when") return paramItems(a);
      }
      return [];
    case "train":
      if (w.length === 0) return [...TRAIN.map((x) => item(x, k.Property)), ...Object.keys(CALLBACKS).map((x) => item(x, k.Function, "callback"))];
      if (w.length === 1 && prev === "loss") return [...Object.entries(LOSSES).map(([n, l]) => item(n, k.EnumMember, `labels: ${l.labels}`, l.doc)), ...Object.keys(LOSS_ALIASES).map((n) => item(n, k.EnumMember, `alias of ${LOSS_ALIASES[n]}`))];
      if (w.length === 1 && prev === "optimizer") return Object.keys(OPTIMIZERS).map((n) => item(n, k.Function, "optimizer"));
      if (w[0] === "metrics") return Object.keys(METRICS).map((n) => item(n, k.EnumMember, "metric"));
      if (w.length === 1 && prev === "schedule") return Object.keys(SCHEDULES).map((n) => item(n, k.Function, "schedule"));
      if (["batch", "epochs", "clip_norm"].includes(prev)) return paramItems(a);
      return [];
    case "data":
      if (w.length === 0) return DATA.map((x) => item(x, k.Property));
      if (w.length === 1 && prev === "source") return Object.entries(SOURCES).map(([n, s]) => item(n, k.Module, s.x.shape ? s.x.shape.map((d) => d ?? "?").join("×") : undefined, s.doc));
      if (w.length === 1 && prev === "split") return [item("validation", k.Keyword), item("test", k.Keyword)];
      if (w[0] === "split") return [item("stratified", k.Keyword), item("last", k.Keyword)];
      if (prev === "as" && w[0] === "y") return ["class", "onehot", "binary", "regression"].map((x) => item(x, k.TypeParameter));
      if (prev === "as" && w[0] === "x") return ["image", "vector", "sequence"].map((x) => item(x, k.TypeParameter));
      if (ctx.last === "|>") return stageItems(text);
      // A field's value: the CSV's columns by their header names (and `columns`, `concat`).
      if (ctx.last === "=" && w.length === 2 && csvSource(text)) return [...columnItems(text), ...["columns", "concat"].map((x) => item(x, k.Function, "typed columns", stageHover(x)))];
      if (w.length === 1 && prev === "augment") return [item("train", k.Keyword)];
      return [];
    case "augment":
      if (w.length === 0) return Object.keys(AUGMENTS).map((x) => item(x, k.Function, "augmentation"));
      if (prev === "flip") return ["horizontal", "vertical", "both"].map((x) => item(x, k.EnumMember));
      return [];
    case "evaluate":
      return [...Object.keys(METRICS), "confusion_matrix"].map((x) => item(x, k.EnumMember, "metric"));
    case "tune":
      if (w.length === 0) return ["strategy", "objective", "trials"].map((x) => item(x, k.Property));
      if (w.length === 1 && prev === "strategy") return Object.keys(STRATEGIES).map((n) => item(n, k.Function, "strategy"));
      if (w.length === 1 && prev === "objective") return [item("maximize", k.Keyword), item("minimize", k.Keyword)];
      if (w.length === 2 && w[0] === "objective") return metricNames(a).map((m) => item(m, k.Value));
      return [];
    default:
      return [];
  }
}

/** After `|>` in the data section: the column stages of a CSV or text source, the transforms of any. */
function stageItems(text: string): CompletionItem[] {
  const k = CompletionItemKind;
  const transforms = ["standardize", "normalize", "pad_sequences", "channels_last"].map((x) => item(x, k.Function, "transform"));
  if (!csvSource(text) && !/\bsource\s+text_files\b/.test(text)) return transforms;
  const stages = STAGE_NAMES.map((n, i) => item(n, k.Function, `column stage: ${COLUMN_STAGES[n]!.stage}`, stageHover(n), "0" + String(i).padStart(2, "0")));
  return [...stages, ...transforms.filter((t) => !STAGE_NAMES.includes(t.label))];
}

/** The CSV's header names, as column names (a name that is not an identifier as a string). */
function columnItems(text: string): CompletionItem[] {
  return headerColumns(text).map((h) => ({ ...item(h.name, CompletionItemKind.Field, "column", h.doc), ...(/^[A-Za-z_][A-Za-z0-9_]*$/.test(h.name) ? {} : { insertText: JSON.stringify(h.name) }) }));
}

/** Metric names a monitor or an objective can name: loss plus the train metrics, each also as val_. */
function metricNames(a: Analysis | undefined): string[] {
  const ms = a?.result?.checked?.train?.metrics.map((m) => m.name) ?? ["accuracy"];
  const base = ["loss", ...ms];
  return [...base.map((m) => "val_" + m), ...base];
}
