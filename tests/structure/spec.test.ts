// runtime/spec.ts is plain data: only type aliases and interfaces of JSON-able values (no
// functions, methods, classes, values, imports, or types that are not JSON: Date, Map, bigint…).
// The functions of a compiled pipeline live in runtime/pipeline.ts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import ts from "typescript";

/** Why each non-plain-data construct in a module's text is there: "line: what". */
export function nonPlainData(text: string): string[] {
  const sf = ts.createSourceFile("spec.ts", text, ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const at = (n: ts.Node, what: string): void => {
    out.push(`${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${what}`);
  };
  for (const st of sf.statements) {
    if (ts.isTypeAliasDeclaration(st) || ts.isInterfaceDeclaration(st)) continue;
    const what = ts.isImportDeclaration(st) ? "an import" : ts.isClassDeclaration(st) ? "a class" : ts.isFunctionDeclaration(st) ? "a function" : ts.isVariableStatement(st) ? "a value" : `a ${ts.SyntaxKind[st.kind]}`;
    at(st, `${what} (only types belong here)`);
  }
  const NOT_JSON = new Set(["Date", "Map", "Set", "WeakMap", "RegExp", "Promise", "Function", "Symbol", "Error", "Uint8Array", "Float32Array", "Float64Array", "Int32Array"]);
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionTypeNode(n) || ts.isConstructorTypeNode(n)) at(n, "a function type");
    else if (ts.isMethodSignature(n) || ts.isCallSignatureDeclaration(n) || ts.isConstructSignatureDeclaration(n)) at(n, "a method");
    else if (ts.isImportTypeNode(n)) at(n, "an imported type");
    else if (n.kind === ts.SyntaxKind.BigIntKeyword || n.kind === ts.SyntaxKind.SymbolKeyword || n.kind === ts.SyntaxKind.UndefinedKeyword) at(n, `${n.getText(sf)} is not JSON`);
    else if (ts.isTypeReferenceNode(n) && NOT_JSON.has(n.typeName.getText(sf))) at(n, `${n.typeName.getText(sf)} is not JSON`);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

test("runtime/spec.ts holds only JSON-able data types", () => {
  const bad = nonPlainData(readFileSync("runtime/spec.ts", "utf8"));
  assert.equal(bad, [], `runtime/spec.ts must stay plain data (move functions to runtime/pipeline.ts):\n  ${bad.join("\n  ")}`);
});

test("the check fails on functions, methods, classes, imports and non-JSON types", () => {
  const text = [
    'import type * as tf from "@tensorflow/tfjs";',
    "export type Ok = { a: number; b: (string | null)[]; c?: Record<string, boolean> };",
    "export interface P { data(p: number): Ok; build: () => void; when: Date }",
    "export class C {}",
    "export const x = 1;",
  ].join("\n");
  assert.equal(nonPlainData(text).map((s) => s.replace(/ \(.*\)$/, "")), [
    "1: an import",
    "4: a class",
    "5: a value",
    "3: a method",
    "3: a function type",
    "3: Date is not JSON",
  ]);
});

test.run();
