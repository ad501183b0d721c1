// Hover: a layer call shows input → output shape and its parameter count (every instance
// when it sits in a block used several times); a param its default, space and condition;
// a data source its resolved shapes; arguments, losses, optimizers, activations their docs.
import { KERAS_ARGUMENTS } from "../semantic/names.ts";
import type { Hover } from "vscode-languageserver";
import type { Analysis } from "./analysis.ts";
import { siteAt } from "./analysis.ts";
import { occurrenceAt, occurrences } from "./names.ts";
import { spanToRange } from "./convert.ts";
import { exprChildren, exprText, type CallExpr, type Expr, type NameExpr, type Span, type Statement } from "../../grammar/ast.ts";
import { fmtShape, getLayer, ACTIVATIONS, INITIALIZERS, type LayerDef } from "../semantic/layers/index.ts";
import { LOSSES, LOSS_ALIASES, OPTIMIZERS, SOURCES, STRATEGIES, METRICS, CALLBACKS, SCHEDULES, SPACES } from "../semantic/catalog.ts";
import { referenceEntry, type ReferenceKind } from "../reference.ts";
import { formatValue } from "../semantic/values.ts";
import type { LayerInstance } from "../semantic/model.ts";
import { columnHover, stageHover } from "./columns.ts";
import { cursorContext } from "./completion.ts";

const num = (x: number) => x.toLocaleString("en-US");
/** docs/reference.md's entry for a name, word for word (the same generator writes both). */
const ref = (kind: ReferenceKind, name: string): string => referenceEntry(kind, name) ?? "";
const entry = (head: string, kind: ReferenceKind, name: string): string => [head, ref(kind, name)].filter(Boolean).join("\n\n");
const code = (s: string) => "`" + s + "`";

export function hover(a: Analysis, offset: number): Hover | null {
  const r = a.result;
  if (!r) return null;
  const md = (value: string, span: Span): Hover => ({ contents: { kind: "markdown", value }, range: spanToRange(span, a.lines) });

  // Params, blocks and block parameters.
  const ir = r.checked?.ir;
  const occ = occurrenceAt(occurrences(r.ast, ir), offset);
  if (occ && ir) {
    if (occ.symbol.kind === "param") {
      const p = ir.params.find((q) => q.name === occ.symbol.name)!;
      const spec = r.checked?.params.find((q) => q.name === p.name);
      const lines = [`**param** ${code(p.name)} = ${code(formatValue(p.default))}`];
      lines.push(p.spaceExpr ? `tuned over ${code(exprText(p.spaceExpr))}${p.space ? ` — ${SPACES[p.space.kind] ?? ""}` : ""}` : "not tuned (fixed at its default)");
      if (p.conditionExpr) lines.push(`only when ${code(exprText(p.conditionExpr))}`);
      if (spec?.affectsShape) lines.push(p.space ? `changes shapes: every value of its space is shape-checked (${r.checked!.combinationsChecked} combinations)` : "used in the model or data section");
      return md(lines.join("\n\n"), occ.name.span);
    }
    if (occ.symbol.kind === "block") {
      const b = ir.blocks.get(occ.symbol.name)!;
      const sig = `block ${b.name}(${b.params.map((n) => n.name).join(", ")}) (${b.inputs.map((n) => n.name).join(", ")})`;
      const uses = a.blockCalls.filter((s) => calleeName(s.call) === b.name).flatMap((s) => s.instances);
      const lines = ["```dlp\n" + sig + "\n```"];
      if (uses.length) lines.push(uses.map((u) => `${code(exprText(u.call))}: ${u.inputs.map(fmtShape).join(", ")} → **${fmtShape(u.output)}**`).join("  \n"));
      return md(lines.join("\n\n"), occ.name.span);
    }
    return md(`parameter ${code(occ.symbol.name)} of block ${code(occ.symbol.block)}`, occ.name.span);
  }

  // A block call in the model (`conv_block(32)`), when the cursor is on its name.
  const bsite = siteAt(a.blockCalls, offset);
  // A layer call: the innermost one around the cursor.
  const site = siteAt(a.layers, offset);
  if (site && (!bsite || site.call.span.end - site.call.span.start <= bsite.call.span.end - bsite.call.span.start)) {
    const def = site.instances[0].def;
    const arg = argumentAt(site.call, offset);
    if (arg) return md(argumentDoc(def, arg.name), arg.span);
    return md(layerHover(def, site.instances), site.call.callee.span.start <= offset && offset <= site.call.callee.span.end ? site.call.callee.span : site.call.span);
  }
  if (bsite) {
    const u = bsite.instances;
    return md(`block ${code(calleeName(bsite.call))}\n\n` + u.map((x) => `${x.inputs.map(fmtShape).join(", ")} → **${fmtShape(x.output)}**`).join("  \n"), bsite.call.span);
  }

  // Words with catalogue meaning: source, loss, optimizer, activation, …
  const word = wordAt(r.ast.statements, offset);
  if (!word) return null;
  const w = word.name;
  // In the data section: a column stage's reference entry, a CSV column's facts.
  if (cursorContext(a.text, word.span.start).sections.includes("data") && word.setting !== "source") {
    const stage = stageHover(w);
    if (stage && isCalled(r.ast.statements, word.span)) return md(stage, word.span);
    const column = columnHover(a.text, w);
    if (column) return md(column, word.span);
  }
  const source = SOURCES[w];
  if (source && word.setting === "source") {
    const data = r.checked?.data;
    const lines = [`**source** ${code(w)}`];
    const fieldShape = source.x.shape ? fmtShape(source.x.shape) : "known at run time";
    lines.push(`${code(source.x.name)}: ${fieldShape} per sample${source.y.classes ? `; ${code(source.y.name)}: ${source.y.classes} classes` : ""}`);
    if (data) {
      for (const i of data.inputs) lines.push(`model input ${code(i.name)}: **${fmtShape(i.shape)}**`);
      for (const o of data.outputs) lines.push(`labels ${code(o.name)}: ${o.labels.kind === "class" ? `${o.labels.classes} classes (${o.labels.encoding})` : o.labels.kind}`);
    }
    lines.push(ref("source", w));
    return md(lines.join("\n\n"), word.span);
  }
  const lossName = LOSS_ALIASES[w] ?? w;
  if (LOSSES[lossName] && word.setting === "loss") return md(entry(`**loss** ${code(w)}${lossName !== w ? ` (= ${code(lossName)})` : ""}`, "loss", lossName), word.span);
  if (OPTIMIZERS[w] && word.setting === "optimizer") return md(entry(`**optimizer** ${code(w)}`, "optimizer", w), word.span);
  if (STRATEGIES[w] && word.setting === "strategy") return md(entry(`**strategy** ${code(w)}`, "strategy", w), word.span);
  if (SCHEDULES[w] && word.setting === "schedule") return md(entry(`**schedule** ${code(w)}`, "schedule", w), word.span);
  if (CALLBACKS[w]) return md(entry(`**callback** ${code(w)}`, "callback", w), word.span);
  if (METRICS[w] && (word.setting === "metrics" || word.setting === "evaluate")) return md(entry(`**metric** ${code(w)}`, "metric", w), word.span);
  const act = ACTIVATIONS.get(w);
  if (act && word.argName === "activation") return md(`**activation** ${code(w)}: ${act.doc}`, word.span);
  const init = INITIALIZERS.get(w);
  if (init && word.argName && /init/.test(word.argName)) return md(`**initializer** ${code(w)}: ${init.doc}`, word.span);
  const layer = getLayer(w);
  if (layer) return md(layerHover(layer, []), word.span);
  return null;
}

/** Whether the name at `span` is the callee of a call (`category(…)`, `standardize()`), not a column that shares its name. */
function isCalled(sts: Statement[], span: Span): boolean {
  let found = false;
  const visit = (e: Expr): void => {
    if (found || span.start < e.span.start || span.end > e.span.end) return;
    if (e.kind === "call" && e.callee.span.start === span.start && e.callee.span.end === span.end) found = true;
    else exprChildren(e).forEach(visit);
  };
  const walk = (list: Statement[]): void => {
    for (const st of list) {
      st.groups.flat().forEach(visit);
      if (st.block) walk(st.block.statements);
    }
  };
  walk(sts);
  return found;
}

function calleeName(c: CallExpr): string {
  return c.callee.kind === "name" ? c.callee.name : exprText(c.callee);
}

/** A layer: its shapes in this file (each instance), then its entry in docs/reference.md. */
export function layerHover(def: LayerDef, instances: LayerInstance[]): string {
  const head = `**${def.name}** (${def.kerasClass})`;
  const doc = ref("layer", def.name) || `${def.doc}\n\n${signatureLine(def)}`;
  if (!instances.length) return `${head}\n\n${doc}`;
  const rows = instances.slice(0, 8).map((l) => {
    const p = l.params.trainable + l.params.nonTrainable;
    // NaN: a count over an axis an earlier error left unknown (model.ts, POISONED).
    const params = Number.isNaN(p) ? "? params (an earlier error)" : l.params.nonTrainable ? `${num(p)} params (${num(l.params.nonTrainable)} non-trainable)` : `${num(p)} params`;
    return `${code(l.name)}: ${l.inputs.map(fmtShape).join(", ")} → **${fmtShape(l.output)}** · ${params}`;
  });
  if (instances.length > 8) rows.push(`… and ${instances.length - 8} more instances`);
  return `${head}\n\n${rows.join("  \n")}\n\n${doc}`;
}

function signatureLine(def: LayerDef): string {
  return "```dlp\n" + `${def.name}(${def.argDocs.map((d) => `${d.name}: ${d.type}`).join(", ")})` + "\n```";
}

export function argumentDoc(def: LayerDef, name: string): string {
  const d = def.argDocs.find((x) => x.name === name);
  if (!d) return `${code(name)} is not an argument of ${def.name}`;
  const prop = ((def.schema.properties ?? {}) as Record<string, { default?: unknown }>)[name];
  const dflt = prop && prop.default !== undefined ? ` (default ${code(String(prop.default))})` : def.positional.includes(name) && (def.schema.required as string[] | undefined)?.includes(name) ? " (required)" : "";
  const keras = Object.entries(KERAS_ARGUMENTS).find(([, ours]) => ours === name)?.[0];
  return `${code(`${name}: ${d.type}`)}${dflt}\n\n${d.doc}${keras ? `\n\nKeras: ${code(keras)}` : ""}`;
}

/** The named argument (its name) or positional argument under the cursor, within a layer call's own parentheses. */
function argumentAt(call: CallExpr, offset: number): { name: string; span: Span } | undefined {
  const def = call.callee.kind === "name" ? getLayer(call.callee.name) : undefined;
  if (!def) return undefined;
  for (const a of call.args) {
    if (a.name && offset >= a.name.span.start && offset <= a.name.span.end) return { name: a.name.name, span: a.name.span };
  }
  return undefined;
}

interface Word {
  name: string;
  span: Span;
  /** The setting this word is a value of (`loss`, `optimizer`, `source`, …). */
  setting?: string;
  /** The argument this word is the value of (`activation: relu`). */
  argName?: string;
}

/** The plain name under the cursor, with the setting or argument it belongs to. */
function wordAt(sts: Statement[], offset: number): Word | undefined {
  for (const st of sts) {
    if (offset < st.span.start || offset > st.span.end) continue;
    if (st.block && offset >= st.block.span.start && offset <= st.block.span.end) {
      const inner = wordAt(st.block.statements, offset);
      if (inner) return inner;
    }
    const first = st.groups[0]?.[0];
    const setting = first?.kind === "name" ? first.name : first?.kind === "call" && first.callee.kind === "name" ? first.callee.name : undefined;
    for (const e of st.groups.flat()) {
      const w = findName(e, offset, undefined);
      if (w) return { ...w, setting: w.name === setting ? undefined : setting };
    }
  }
  return undefined;
}

function findName(e: Expr, offset: number, argName: string | undefined): { name: string; span: Span; argName?: string } | undefined {
  if (offset < e.span.start || offset > e.span.end) return undefined;
  switch (e.kind) {
    case "name":
      return { name: e.name, span: e.span, argName };
    case "call": {
      const c = findName(e.callee, offset, undefined);
      if (c) return c;
      for (const a of e.args) {
        const r = findName(a.value, offset, a.name?.name);
        if (r) return r;
      }
      return undefined;
    }
    default:
      for (const c of exprChildren(e)) {
        const r = findName(c, offset, argName);
        if (r) return r;
      }
      return undefined;
  }
}


