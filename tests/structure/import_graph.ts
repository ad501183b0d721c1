// The import graph of the repository's source folders, read with the TypeScript compiler's own
// pre-processor (ts.preProcessFile): static imports, `import type`, `export … from`, and dynamic
// `import("…")` with a string literal; comments and string contents are not mistaken for imports.
// Type-only imports count too: a circle of types is still a circle of modules (the files cannot be
// understood, moved or tested one without the other). Only relative specifiers are edges; packages
// and node: builtins are not part of the graph.
import ts from "typescript";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, posix, relative, resolve, sep } from "node:path";

/** file (repository-relative, forward slashes) -> the files it imports. */
export type Graph = Map<string, string[]>;

const SOURCE = /\.(ts|mts|cts|mjs|js)$/;

/** The relative specifiers a module's text imports or re-exports, in order, each once. */
export function importsOf(text: string): string[] {
  const info = ts.preProcessFile(text, true, true);
  const out: string[] = [];
  for (const f of info.importedFiles) if (f.fileName.startsWith(".") && !out.includes(f.fileName)) out.push(f.fileName);
  return out;
}

const toPosix = (p: string): string => p.split(sep).join(posix.sep);

/** Resolves a specifier the way NodeNext + allowImportingTsExtensions does for this repository. */
function resolveSpecifier(root: string, from: string, spec: string): string {
  const base = resolve(root, dirname(from), spec);
  const candidates = [base, base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")];
  const hit = candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? base;
  return toPosix(relative(root, hit));
}

/** The graph of every source file under `dirs` (relative to `root`); edges leaving `dirs` are kept, as targets. */
export function importGraph(root: string, dirs: string[]): Graph {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(join(root, d)).sort()) {
      const p = posix.join(d, name);
      if (statSync(join(root, p)).isDirectory()) walk(p);
      else if (SOURCE.test(name) && !name.endsWith(".d.ts")) files.push(p);
    }
  };
  for (const d of dirs) walk(d);
  const graph: Graph = new Map();
  for (const f of files) graph.set(f, importsOf(readFileSync(join(root, f), "utf8")).map((s) => resolveSpecifier(root, f, s)));
  return graph;
}

/**
 * Every import circle, one per strongly connected component (Tarjan), each written as the shortest
 * cycle through the component's first file: [a, b, c, a]. A file importing itself is a circle too.
 */
export function findCircles(graph: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(c.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return components.map((c) => shortestCycle(graph, c[0]!, new Set(c)));
}

/** Breadth-first from `start` back to itself, inside `within`. */
function shortestCycle(graph: Graph, start: string, within: Set<string>): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i]!;
    for (const w of graph.get(v) ?? []) {
      if (!within.has(w)) continue;
      if (w === start) {
        const chain: string[] = [];
        for (let u: string | undefined = v; u !== undefined && u !== start; u = parent.get(u)) chain.unshift(u);
        return [start, ...chain, start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** A layering rule: no file under `from` may import a file under any of `mayNotImport`. */
export interface Rule {
  from: string;
  mayNotImport: string[];
  why: string;
}

/** "file -> target (why)" for every edge that breaks a rule. */
export function ruleViolations(graph: Graph, rules: Rule[]): string[] {
  const under = (f: string, dir: string): boolean => f === dir || f.startsWith(dir.endsWith("/") ? dir : `${dir}/`);
  const out: string[] = [];
  for (const [file, targets] of graph) {
    for (const r of rules) {
      if (!under(file, r.from)) continue;
      for (const t of targets) if (r.mayNotImport.some((d) => under(t, d))) out.push(`${file} -> ${t} (${r.why})`);
    }
  }
  return out;
}
