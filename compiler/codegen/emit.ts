// The emitter: a checked pipeline becomes readable TypeScript over tfjs, built with ts-morph.
// Every user string reaches the output through JSON.stringify and every user name through
// `ident()`, so nothing in a .dlp file can inject code.
import { Project, VariableDeclarationKind, type CodeBlockWriter } from "ts-morph";
import type { Argument, CallExpr, Expr, Statement } from "../../grammar/ast.ts";
import { exprChildren, headName } from "../../grammar/ast.ts";
import type { CheckedPipeline } from "../semantic/check.ts";
import { Term, literalCode, paramRef } from "../semantic/term.ts";
import type { BlockIR } from "../semantic/lower.ts";
import { getLayer, emitLayerCall } from "../semantic/layers/index.ts";
import type { ArgCode } from "../semantic/layers/types.ts";
import { bindArgs, emitExpr, evalExpr, namesIn } from "../semantic/values.ts";
import { isTensorArgument, signatureOf } from "../semantic/model.ts";
import { escapeLineTerminators, jsString } from "./escape.ts";
import { blockTrainableArg, isFreezeStatement } from "../semantic/freeze.ts";

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
        emitBody(w, b.body, scope, c);
        if (!b.body.some((s) => headName(s)?.name === "return")) w.writeLine("return out;");
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
      w.write("const input = tf.input({ shape: ");
      writeObject(w, c.traced.data?.inputShape ?? c.inputShape ?? []);
      w.write(" });").newLine();
      w.writeLine("let out: tf.SymbolicTensor = input;");
      const scope: EmitScope = { tensors: new Set(["input"]), names: new Map(paramNames) };
      emitBody(w, ir.model?.body.statements ?? [], scope, c, true);
      w.writeLine(`return tf.model({ inputs: input, outputs: out, name: ${JSON.stringify(ir.name)} });`);
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

// ---- model statements --------------------------------------------------------------------

function emitBody(w: CodeBlockWriter, body: Statement[], scope: EmitScope, c: CheckedPipeline, topLevel = false): void {
  for (let i = 0; i < body.length; i++) {
    const st = body[i];
    const head = headName(st);
    const first = st.groups[0][0];
    if (st.block && head && first.kind === "name" && (head.name === "if" || head.name === "repeat")) {
      // A tensor first assigned inside a branch or loop is used after it: declare it out here.
      const nested = new Set<string>();
      assignedIn(st.block.statements, nested);
      const next = body[i + 1];
      if (head.name === "if" && next && headName(next)?.name === "else" && next.block) assignedIn(next.block.statements, nested);
      for (const n of nested) {
        if (scope.tensors.has(n)) continue;
        w.writeLine(`let ${ident(n)}: tf.SymbolicTensor = out;`);
        scope.tensors.add(n);
      }
    }
    if (head && first.kind === "name" && head.name === "repeat") {
      let count = st.groups[0][1];
      let loopVar = "_";
      if (count?.kind === "as" && count.type.kind === "name") {
        loopVar = count.type.name;
        count = count.value;
      }
      const v = ident(loopVar === "_" ? "i" : loopVar);
      const inner: EmitScope = { tensors: scope.tensors, names: new Map(scope.names) };
      if (loopVar !== "_") inner.names.set(loopVar, v);
      w.write(`for (let ${v} = 0; ${v} < ${emitExpr(count!, scope.names)}; ${v}++) `).block(() => emitBody(w, st.block!.statements, inner, c, topLevel));
      continue;
    }
    if (head && first.kind === "name" && head.name === "if") {
      w.write(`if (${emitExpr(st.groups[0][1], scope.names)}) `).block(() => emitBody(w, st.block!.statements, scope, c, topLevel));
      const next = body[i + 1];
      if (next && headName(next)?.name === "else" && next.block) {
        w.write(" else ").block(() => emitBody(w, next.block!.statements, scope, c, topLevel));
        i++;
      }
      continue;
    }
    if (isFreezeStatement(st)) {
      freezeHelpers.add("freezeUpTo");
      w.writeLine(`freezeUpTo([${[...new Set(["out", ...[...scope.tensors].map((n) => (n === "input" ? n : ident(n)))])].join(", ")}]);`);
      continue;
    }
    if (head && first.kind === "name" && head.name === "return") {
      emitChain(w, "out", st.groups[0][1], scope, c, false);
      if (!topLevel) {
        w.writeLine("return out;");
        return;
      }
      continue;
    }
    if (first.kind === "assign" && first.target.kind === "name") {
      const name = ident(first.target.name);
      const fresh = !scope.tensors.has(first.target.name);
      emitChain(w, name, first.value, scope, c, fresh);
      scope.tensors.add(first.target.name);
      w.writeLine(`out = ${name};`);
      continue;
    }
    emitChain(w, "out", first, scope, c, false);
  }
}

/** Names assigned anywhere in these statements, nested blocks included. */
function assignedIn(body: Statement[], into: Set<string>): void {
  for (const st of body) {
    const first = st.groups[0]?.[0];
    if (first?.kind === "assign" && first.target.kind === "name") into.add(first.target.name);
    if (st.block) assignedIn(st.block.statements, into);
  }
}

/** Every call expression in an expression tree. */
function callsIn(e: Expr, out: CallExpr[]): void {
  if (e.kind === "call") out.push(e);
  for (const c of exprChildren(e)) callsIn(c, out);
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
  const bodies: { body: Statement[]; numeric: Set<string> }[] = [{ body: c.ir.model?.body.statements ?? [], numeric: new Set() }];
  for (const other of c.ir.blocks.values()) bodies.push({ body: other.body, numeric: new Set(other.params.map((q) => q.name)) });
  const visit = (body: Statement[], numeric: Set<string>): void => {
    for (const st of body) {
      for (const group of st.groups) {
        for (const e of group) {
          if (e.kind === "name" && e.name === "repeat") continue;
          const calls: CallExpr[] = [];
          callsIn(e, calls);
          for (const call of calls) {
            if (call.callee.kind !== "name" || call.callee.name !== b.name) continue;
            // Bound as emitBlockCall binds them: by name, else by position.
            const arg = call.args.find((a) => a.name?.name === b.params[k].name) ?? call.args.filter((a) => !a.name)[k];
            if (arg) types.add(valueType(arg.value, c, numeric));
          }
        }
      }
      if (st.block) {
        // A `repeat N as i` loop variable is a number inside its body.
        const loop = st.groups[0]?.[1];
        const inner = loop?.kind === "as" && loop.type.kind === "name" ? new Set([...numeric, loop.type.name]) : numeric;
        visit(st.block.statements, inner);
      }
    }
  };
  for (const { body, numeric } of bodies) visit(body, numeric);
  return types.size === 0 ? "number" : [...types].sort().join(" | ");
}

/** `a |> f() |> g()` becomes one statement per stage, as a person would write it. */
function emitChain(w: CodeBlockWriter, target: string, e: Expr, scope: EmitScope, c: CheckedPipeline, declare: boolean): void {
  const stages = e.kind === "pipe" ? e.stages : [e];
  stages.forEach((stage, k) => {
    const code = k === 0 ? emitTensor(stage, scope, "out", c) : stage.kind === "call" ? emitCall(stage, [target], scope, c, target) : emitTensor(stage, scope, target, c);
    if (k === 0 && declare) w.writeLine(`let ${target}: tf.SymbolicTensor = ${code};`);
    else if (code !== target) w.writeLine(`${target} = ${code};`);
  });
}

function isTensorExpr(e: Expr, scope: EmitScope, c: CheckedPipeline): boolean {
  return isTensorArgument(e, scope.tensors, c.ir.blocks);
}

function emitTensor(e: Expr, scope: EmitScope, current: string, c: CheckedPipeline): string {
  switch (e.kind) {
    case "name":
      if (scope.tensors.has(e.name)) return ident(e.name);
      return emitCall({ kind: "call", callee: e, args: [], argsSpan: e.span, span: e.span }, [current], scope, c, current);
    case "pipe": {
      let acc = emitTensor(e.stages[0], scope, current, c);
      for (const s of e.stages.slice(1)) {
        acc = s.kind === "call" ? emitCall(s, [acc], scope, c, current) : emitTensor(s, scope, acc, c);
      }
      return acc;
    }
    case "call":
      return emitCall(e, null, scope, c, current);
    default:
      return current;
  }
}

function emitCall(call: CallExpr, piped: string[] | null, scope: EmitScope, c: CheckedPipeline, current: string): string {
  if (call.callee.kind === "call" && call.callee.callee.kind === "name" && c.ir.blocks.has(call.callee.callee.name)) {
    const inputs = call.args.map((a) => emitTensor(a.value, scope, current, c));
    return emitBlockCall(c.ir.blocks.get(call.callee.callee.name)!, call.callee, inputs, scope);
  }
  if (call.callee.kind !== "name") return current;
  const name = call.callee.name;
  const block = c.ir.blocks.get(name);
  if (block) return emitBlockCall(block, call, piped ?? [current], scope);
  const def = getLayer(name)!;
  const takesLayer = Object.prototype.hasOwnProperty.call((def.schema.properties ?? {}) as object, "layer");
  const isTensorArg = (a: Argument) => !a.name && !takesLayer && isTensorExpr(a.value, scope, c);
  const tensorArgs = call.args.filter(isTensorArg).map((a) => emitTensor(a.value, scope, current, c));
  let inputs = [...(piped ?? []), ...tensorArgs];
  if (inputs.length === 0) inputs = [current];
  const bound = bindArgs(call, signatureOf(def), [], isTensorArg);
  const codes: Record<string, ArgCode> = {};
  for (const [k, a] of bound.exprs) codes[k] = argCode(a.value, scope);
  const layer = emitLayerCall(name, codes);
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
