// The emitter: a checked pipeline becomes readable TypeScript over tfjs, built with ts-morph.
// Every user string reaches the output through JSON.stringify and every user name through
// `ident()`, so nothing in a .dlp file can inject code.
import { Project, VariableDeclarationKind, type CodeBlockWriter } from "ts-morph";
import type { Argument, CallExpr, Expr } from "../../grammar/ast.ts";
import type { CheckedPipeline } from "../semantic/checked.ts";
import { Term, literalCode, paramRef } from "../semantic/term.ts";
import type { BlockIR } from "../semantic/lower.ts";
import { getLayer, emitLayerCall } from "../semantic/layers/index.ts";
import type { ArgCode } from "../semantic/layers/types.ts";
import { bindArgs, emitExpr, evalExpr, namesIn, statementNames } from "../semantic/values.ts";
import { blockTrainableArg, isCallIR, isTensorInput, signatureOf, type CallIR, type ModelNode, type TensorIR } from "../semantic/model_ir.ts";
import { escapeLineTerminators, jsString } from "./escape.ts";

const RESERVED = new Set(
  ("break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await as any boolean number string symbol type from of " +
    "tf p out input params defaults pipeline buildModel data train undefined NaN Infinity arguments eval freezeBlock freezeUpTo").split(" "),
);

/** A safe TypeScript identifier for a user name (names are already [A-Za-z_][A-Za-z0-9_]*). */
export function ident(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_]/g, "_");
  return RESERVED.has(clean) || /^\d/.test(clean) ? `${clean}_` : clean;
}

interface EmitScope {
  tensors: Set<string>;
  /** Names bound to values (params → p.name, block params and loop variables → locals). */
  names: Map<string, string>;
}

export function emitPipeline(c: CheckedPipeline, sourceFile: string, sourceHash: string): string {
  const project = new Project({ useInMemoryFileSystem: true, compilerOptions: { strict: true } });
  const sf = project.createSourceFile("pipeline.ts", "", { overwrite: true });
  const ir = c.ir;
  const runtimeImport = sf.addImportDeclaration({ moduleSpecifier: "dlp/runtime", namedImports: ["tf", { name: "CompiledPipeline", isTypeOnly: true }, { name: "DataSpec", isTypeOnly: true }, { name: "TrainSpec", isTypeOnly: true }] });
  freezeHelpers.clear();

  sf.addInterface({
    name: "Params",
    isExported: true,
    indexSignatures: [{ keyName: "name", keyType: "string", returnType: "number | string | boolean" }],
    properties: ir.params.map((p) => ({ name: /^[A-Za-z_][A-Za-z0-9_]*$/.test(p.name) ? p.name : JSON.stringify(p.name), type: paramType(p) })),
  });
  sf.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    declarations: [{ name: "defaults", type: "Params", initializer: (w) => writeObject(w, Object.fromEntries(ir.params.map((p) => [p.name, p.default]))) }],
  });

  // p.name must match the interface's property, so params use their own (safe) names.
  const paramNames = new Map(ir.params.map((p) => [p.name, paramRef(p.name)]));

  for (const b of usedBlocks(c)) {
    sf.addFunction({
      name: `block_${ident(b.name)}`,
      parameters: [
        { name: "p", type: "Params" },
        ...b.inputs.map((i) => ({ name: ident(i.name), type: "tf.SymbolicTensor" })),
        ...b.params.map((q, k) => ({ name: ident(q.name), type: blockParamType(c, b, k) })),
      ],
      returnType: "tf.SymbolicTensor",
      statements: (w) => {
        const scope: EmitScope = { tensors: new Set(b.inputs.map((i) => i.name)), names: new Map(paramNames) };
        for (const q of b.params) scope.names.set(q.name, ident(q.name));
        w.writeLine(`let out: tf.SymbolicTensor = ${ident(b.inputs[0].name)};`);
        emitBody(w, b.nodes, scope, c);
        if (!b.nodes.some((n) => n.kind === "return")) w.writeLine("return out;");
      },
    });
  }

  sf.addFunction({
    name: "buildModel",
    isExported: true,
    parameters: [{ name: "p", type: "Params" }],
    returnType: "tf.LayersModel",
    statements: (w) => {
      // The input shape as the data section computes it: `[p.maxlen]` when a param sets it.
      const inputs = c.traced.data?.inputs ?? [];
      const scope: EmitScope = { tensors: new Set(), names: new Map(paramNames) };
      if (inputs.length > 1) {
        // Several inputs: one tf.input per data field, named like it; the model reads them by name.
        for (const i of inputs) {
          w.write(`const ${ident(i.name)} = tf.input({ shape: `);
          writeObject(w, i.shape);
          w.write(`, name: ${JSON.stringify(i.name)} });`).newLine();
          scope.tensors.add(i.name);
        }
        w.writeLine(`let out: tf.SymbolicTensor = ${ident(inputs[0]!.name)};`);
      } else {
        w.write("const input = tf.input({ shape: ");
        writeObject(w, inputs[0]?.shape ?? c.inputShape ?? []);
        w.write(" });").newLine();
        w.writeLine("let out: tf.SymbolicTensor = input;");
        scope.tensors.add("input");
        // The one input is also a tensor of its field name (the checker's rule), declared when
        // the model reads it by that name.
        const name = inputs[0]?.name;
        if (name !== undefined && name !== "input" && statementNames(ir.modelNodes.flatMap((n) => n.source)).has(name)) {
          w.writeLine(`const ${ident(name)} = input;`);
          scope.tensors.add(name);
        }
      }
      // Named heads (`return { digit = …, recon = … }`): one variable each, the model's outputs
      // in the data section's order.
      const heads = headNames(ir.modelNodes);
      for (const h of heads) w.writeLine(`let ${headVar(h)}: tf.SymbolicTensor = out;`);
      emitBody(w, ir.modelNodes, scope, c, true);
      const inputList = inputs.length > 1 ? `[${inputs.map((i) => ident(i.name)).join(", ")}]` : "input";
      const order = (c.data?.outputs ?? []).map((o) => o.name).filter((n) => heads.includes(n));
      const outputList = heads.length ? `[${order.map(headVar).join(", ")}]` : "out";
      w.writeLine(`return tf.model({ inputs: ${inputList}, outputs: ${outputList}, name: ${JSON.stringify(ir.name)} });`);
    },
  });

  sf.addFunction({
    name: "data",
    isExported: true,
    parameters: [{ name: "p", type: "Params" }],
    returnType: "DataSpec",
    statements: (w) => {
      w.write("return ");
      writeObject(w, c.traced.data ?? {});
      w.write(";");
    },
  });
  sf.addFunction({
    name: "train",
    isExported: true,
    parameters: [{ name: "p", type: "Params" }],
    returnType: "TrainSpec",
    statements: (w) => {
      w.write("return ");
      writeObject(w, c.traced.train ?? {});
      w.write(";");
    },
  });

  sf.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    declarations: [
      {
        name: "pipeline",
        type: "CompiledPipeline<Params>",
        initializer: (w) => {
          w.write("{").indent(() => {
            w.writeLine(`name: ${JSON.stringify(ir.name)},`);
            w.writeLine(`sourceFile: ${jsString(sourceFile)},`);
            w.writeLine(`sourceHash: ${JSON.stringify(sourceHash)},`);
            w.writeLine(`seed: ${ir.seed},`);
            w.write("params: ");
            writeObject(w, c.params);
            w.write(",").newLine();
            w.writeLine("defaults,");
            w.writeLine("data,");
            w.writeLine("buildModel,");
            w.writeLine("train,");
            w.write("evaluate: ");
            writeObject(w, c.evaluate);
            w.write(",").newLine();
            w.write("tune: ");
            writeObject(w, c.tune);
            w.write(",").newLine();
          });
          w.write("}");
        },
      },
    ],
  });
  for (const h of [...freezeHelpers].sort()) runtimeImport.addNamedImport(h);
  sf.formatText({ indentSize: 2, convertTabsToSpaces: true });
  // The path is written exactly as the string literal below (jsString: no CR, LF, U+2028/2029 or
  // `*/` survives), and a last pass escapes any raw U+2028/2029 left anywhere, so no comment ends early.
  const header = `// Generated by dlpc from ${jsString(sourceFile)}.\n// Edit the .dlp file and recompile rather than changing this file.\n`;
  return escapeLineTerminators(header + sf.getFullText());
}

/** A param's TypeScript type; a word chosen from a list is that list (`"pre" | "post"`), so it fits the enum fields it sets. */
function paramType(p: CheckedPipeline["ir"]["params"][number]): string {
  if (typeof p.default === "number") return "number";
  if (typeof p.default === "boolean") return "boolean";
  if (p.space?.kind === "choice" && p.space.values.every((v) => typeof v === "string")) return [...new Set([p.default, ...p.space.values])].map((v) => JSON.stringify(v)).join(" | ");
  return "string";
}

function usedBlocks(c: CheckedPipeline): BlockIR[] {
  return [...c.ir.blocks.values()];
}

// ---- model statements: a walk of the model IR (compiler/semantic/model_ir.ts) -------------

function emitBody(w: CodeBlockWriter, body: ModelNode[], scope: EmitScope, c: CheckedPipeline, topLevel = false): void {
  for (const node of body) {
    if (node.kind === "if" || node.kind === "repeat") {
      // A tensor first assigned inside a branch or loop is used after it: declare it out here.
      const nested = new Set<string>();
      if (node.kind === "if") {
        assignedIn(node.then ?? [], nested);
        assignedIn(node.orElse ?? [], nested);
      } else assignedIn(node.body ?? [], nested);
      for (const n of nested) {
        if (scope.tensors.has(n)) continue;
        w.writeLine(`let ${ident(n)}: tf.SymbolicTensor = out;`);
        scope.tensors.add(n);
      }
    }
    switch (node.kind) {
      case "repeat": {
        const loopVar = node.loopVar && node.loopVar.name !== "_" ? node.loopVar.name : undefined;
        const v = ident(loopVar ?? "i");
        const inner: EmitScope = { tensors: scope.tensors, names: new Map(scope.names) };
        if (loopVar !== undefined) inner.names.set(loopVar, v);
        w.write(`for (let ${v} = 0; ${v} < ${emitExpr(node.count!, scope.names)}; ${v}++) `).block(() => emitBody(w, node.body!, inner, c, topLevel));
        break;
      }
      case "if":
        w.write(`if (${emitExpr(node.cond!, scope.names)}) `).block(() => emitBody(w, node.then!, scope, c, topLevel));
        if (node.orElse) w.write(" else ").block(() => emitBody(w, node.orElse!, scope, c, topLevel));
        break;
      case "return":
        if (node.heads) {
          for (const h of node.heads) emitChain(w, headVar(h.name.name), h.value, scope, c, false);
          break;
        }
        emitChain(w, "out", node.value!, scope, c, false);
        if (!topLevel) {
          w.writeLine("return out;");
          return;
        }
        break;
      case "assign": {
        const name = ident(node.target.name);
        const fresh = !scope.tensors.has(node.target.name);
        emitChain(w, name, node.value, scope, c, fresh);
        scope.tensors.add(node.target.name);
        w.writeLine(`out = ${name};`);
        break;
      }
      case "layers":
        emitChain(w, "out", node.value, scope, c, false);
        break;
      case "freeze":
        freezeHelpers.add("freezeUpTo");
        w.writeLine(`freezeUpTo([${[...new Set(["out", ...[...scope.tensors].map((n) => (n === "input" ? n : ident(n)))])].join(", ")}]);`);
        break;
      case "invalid":
        break; // reported by the checker: a pipeline with errors is never emitted
      default: {
        const unhandled: never = node;
        throw new Error(`emitBody: unhandled model node ${JSON.stringify((unhandled as ModelNode).kind)}`);
      }
    }
  }
}

/** The head names of the model's `return { … }` (nested bodies included), in the order written. */
function headNames(body: ModelNode[]): string[] {
  const names: string[] = [];
  const walk = (b: ModelNode[]): void => {
    for (const n of b) {
      if (n.kind === "return") for (const h of n.heads ?? []) { if (!names.includes(h.name.name)) names.push(h.name.name); }
      else if (n.kind === "repeat") walk(n.body ?? []);
      else if (n.kind === "if") { walk(n.then ?? []); walk(n.orElse ?? []); }
    }
  };
  walk(body);
  return names;
}

const headVar = (name: string): string => ident(`head_${name}`);

/** Names assigned anywhere in these nodes, nested bodies included. */
function assignedIn(body: ModelNode[], into: Set<string>): void {
  for (const n of body) {
    if (n.kind === "assign") into.add(n.target.name);
    else if (n.kind === "repeat") assignedIn(n.body ?? [], into);
    else if (n.kind === "if") {
      assignedIn(n.then ?? [], into);
      assignedIn(n.orElse ?? [], into);
    }
  }
}

/** Every call of the model IR, with the names that are numbers where it stands (loop variables,
 *  and in a block body its parameters). */
function callsOf(body: ModelNode[], numeric: Set<string>, visit: (call: CallIR, numeric: Set<string>) => void): void {
  const tensor = (t: TensorIR | { kind: "bad-stage" }): void => {
    if (t.kind === "ref") {
      if (t.call) tensor(t.call);
    } else if (t.kind === "pipe") {
      tensor(t.head);
      t.stages.forEach(tensor);
    } else if (isCallIR(t)) {
      visit(t, numeric);
      if (t.kind === "layer") for (const a of t.args) tensor(a.tensor);
      if (t.kind === "apply") t.inputs.forEach(tensor);
    }
  };
  for (const n of body) {
    if (n.kind === "layers" || n.kind === "assign") tensor(n.value);
    else if (n.kind === "return" && n.value) tensor(n.value);
    else if (n.kind === "return") for (const h of n.heads ?? []) tensor(h.value);
    else if (n.kind === "repeat") callsOf(n.body ?? [], n.loopVar ? new Set([...numeric, n.loopVar.name]) : numeric, visit);
    else if (n.kind === "if") {
      callsOf(n.then ?? [], numeric, visit);
      callsOf(n.orElse ?? [], numeric, visit);
    }
  }
}

/** The TypeScript type of a value expression: literals, params by their default, comparisons, arithmetic; bare words are enum strings. */
function valueType(e: Expr, c: CheckedPipeline, numeric: Set<string>): string {
  switch (e.kind) {
    case "bool":
      return "boolean";
    case "string":
      return "string";
    case "number":
      return "number";
    case "unary":
      return e.op === "not" ? "boolean" : "number";
    case "binary":
      return ["==", "!=", "<", "<=", ">", ">=", "and", "or"].includes(e.op) ? "boolean" : "number";
    case "name": {
      const param = c.ir.params.find((q) => q.name === e.name);
      if (param) return typeof param.default === "boolean" ? "boolean" : typeof param.default === "string" ? "string" : "number";
      return numeric.has(e.name) ? "number" : "string";
    }
    default:
      return "number";
  }
}

/**
 * A block parameter's type, from what its call sites pass (`res(64, true)` makes the second a
 * boolean); a parameter passed on from another block's parameters, or never passed, is a number.
 */
function blockParamType(c: CheckedPipeline, b: BlockIR, k: number): string {
  const types = new Set<string>();
  const bodies: { body: ModelNode[]; numeric: Set<string> }[] = [{ body: c.ir.modelNodes, numeric: new Set() }];
  for (const other of c.ir.blocks.values()) bodies.push({ body: other.nodes, numeric: new Set(other.params.map((q) => q.name)) });
  for (const { body, numeric } of bodies) {
    callsOf(body, numeric, (node, num) => {
      const call = node.kind === "block" && node.block === b.name ? node.call : node.kind === "apply" && node.block === b.name ? node.params : undefined;
      if (!call) return;
      // Bound as emitBlockCall binds them: by name, else by position.
      const arg = call.args.find((a) => a.name?.name === b.params[k].name) ?? call.args.filter((a) => !a.name)[k];
      if (arg) types.add(valueType(arg.value, c, num));
    });
  }
  return types.size === 0 ? "number" : [...types].sort().join(" | ");
}

/** `a |> f() |> g()` becomes one statement per stage, as a person would write it. */
function emitChain(w: CodeBlockWriter, target: string, e: TensorIR, scope: EmitScope, c: CheckedPipeline, declare: boolean): void {
  const stages: (TensorIR | { kind: "bad-stage" })[] = e.kind === "pipe" ? [e.head, ...e.stages] : [e];
  stages.forEach((stage, k) => {
    if (stage.kind === "bad-stage") return;
    const code = k === 0 ? emitTensor(stage, scope, "out", c) : isCallIR(stage) ? emitCall(stage, [target], scope, c, target) : emitTensor(stage, scope, target, c);
    if (k === 0 && declare) w.writeLine(`let ${target}: tf.SymbolicTensor = ${code};`);
    else if (code !== target) w.writeLine(`${target} = ${code};`);
  });
}

function emitTensor(e: TensorIR, scope: EmitScope, current: string, c: CheckedPipeline): string {
  switch (e.kind) {
    case "ref":
      if (scope.tensors.has(e.name.name)) return ident(e.name.name);
      return e.call ? emitCall(e.call, [current], scope, c, current) : current;
    case "pipe": {
      let acc = emitTensor(e.head, scope, current, c);
      for (const s of e.stages) {
        if (s.kind === "bad-stage") continue;
        acc = isCallIR(s) ? emitCall(s, [acc], scope, c, current) : emitTensor(s, scope, acc, c);
      }
      return acc;
    }
    case "error":
    case "other":
      return current;
    default:
      return emitCall(e, null, scope, c, current);
  }
}

function emitCall(node: CallIR, piped: string[] | null, scope: EmitScope, c: CheckedPipeline, current: string): string {
  switch (node.kind) {
    case "apply": {
      const inputs = node.inputs.map((a) => emitTensor(a, scope, current, c));
      return emitBlockCall(c.ir.blocks.get(node.block)!, node.params, inputs, scope);
    }
    case "block":
      return emitBlockCall(c.ir.blocks.get(node.block)!, node.call, piped ?? [current], scope);
    case "unknown":
    case "uncallable":
      return current; // reported by the checker
  }
  const def = node.def;
  const tensorArgs = new Set<Argument>();
  const emitted: string[] = [];
  for (const a of node.args) {
    if (!isTensorInput(a, def, scope.tensors)) continue;
    tensorArgs.add(a.arg);
    emitted.push(emitTensor(a.tensor, scope, current, c));
  }
  let inputs = [...(piped ?? []), ...emitted];
  if (inputs.length === 0) inputs = [current];
  const bound = bindArgs(node.call, signatureOf(def), [], (a) => tensorArgs.has(a));
  const codes: Record<string, ArgCode> = {};
  for (const [k, a] of bound.exprs) codes[k] = argCode(a.value, scope);
  const layer = emitLayerCall(node.name, codes);
  const applied = inputs.length === 1 ? inputs[0] : `[${inputs.join(", ")}]`;
  return `${layer}.apply(${applied}) as tf.SymbolicTensor`;
}

function argCode(e: Expr, scope: EmitScope): ArgCode {
  // A nested layer call (bidirectional's `layer`) is emitted as a layer object.
  if (e.kind === "call" && e.callee.kind === "name" && getLayer(e.callee.name)) {
    const def = getLayer(e.callee.name)!;
    const bound = bindArgs(e, signatureOf(def), []);
    const inner: Record<string, ArgCode> = {};
    for (const [k, a] of bound.exprs) inner[k] = argCode(a.value, scope);
    return { code: emitLayerCall(e.callee.name, inner) };
  }
  const code = emitExpr(e, scope.names);
  const usesBound = [...namesIn(e)].some((n) => scope.names.has(n));
  if (usesBound) return { code };
  const literal = evalExpr(e, new Map());
  return literal === undefined ? { code } : { code, literal };
}

function emitBlockCall(b: BlockIR, call: CallExpr, inputs: string[], scope: EmitScope): string {
  const args = b.params.map((q, k) => {
    const a = call.args.find((x) => x.name?.name === q.name) ?? call.args.filter((x) => !x.name)[k];
    return a ? emitExpr(a.value, scope.names) : "undefined";
  });
  const trainable = blockTrainableArg(b, call);
  if (!trainable) return `block_${ident(b.name)}(p, ${[...inputs, ...args].join(", ")})`;
  // `trainable: false` on the call freezes every layer it builds (runtime/freeze.ts).
  freezeHelpers.add("freezeBlock");
  const t = inputs.map((_, k) => `t[${k}]!`);
  return `freezeBlock(${emitExpr(trainable.value, scope.names)}, [${inputs.join(", ")}], (t) => block_${ident(b.name)}(p, ${[...t, ...args].join(", ")}))`;
}

/** The runtime's freezing helpers the emitted code calls, imported when used. */
const freezeHelpers = new Set<string>();

// ---- plain data as object literals -------------------------------------------------------------

/** Writes a spec tree as an object literal; a term is written as its code (`p.lr`, `1 / 255`). */
function writeObject(w: CodeBlockWriter, v: unknown): void {
  if (v instanceof Term) {
    w.write(v.code);
    return;
  }
  if (typeof v === "number") {
    w.write(Number.isFinite(v) ? String(v) : "0");
    return;
  }
  if (v === null || v === undefined || typeof v === "string" || typeof v === "boolean") {
    w.write(literalCode(v));
    return;
  }
  if (Array.isArray(v)) {
    const simple = v.every((x) => x instanceof Term || typeof x !== "object" || x === null);
    if (simple) {
      w.write("[");
      v.forEach((x, i) => {
        if (i) w.write(", ");
        writeObject(w, x);
      });
      w.write("]");
      return;
    }
    w.write("[").indent(() => {
      for (const x of v) {
        writeObject(w, x);
        w.write(",").newLine();
      }
    });
    w.write("]");
    return;
  }
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  if (entries.length === 0) {
    w.write("{}");
    return;
  }
  w.write("{").indent(() => {
    for (const [k, x] of entries) {
      w.write(/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : JSON.stringify(k));
      w.write(": ");
      writeObject(w, x);
      w.write(",").newLine();
    }
  });
  w.write("}");
}
