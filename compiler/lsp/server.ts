// `dlpc lsp`: the language server over stdio. A thin adapter over the driver, like the CLI:
// every diagnostic comes from compiler/driver.ts `compile`, rendered by convert.ts.
//
// Lifecycle is ours, not the library's: vscode-languageserver's node entry point calls
// process.exit on `exit` and on end of input; here `startServer` resolves with the exit
// code instead (0 after shutdown + exit, 1 when the input ends or the client dies first).
import { fileURLToPath } from "node:url";
import { format } from "node:util";
import {
  CodeActionKind,
  createConnection,
  ResponseError,
  ErrorCodes,
  TextDocumentSyncKind,
  type Connection,
  type InitializeParams,
  type InitializeResult,
  type Location,
  type WatchDog,
} from "vscode-languageserver";
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter } from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { Analyzer, DEFAULT_MAX_SIZE, type Analysis } from "./analysis.ts";
import { Reframer } from "./framing.ts";
import { offsetAt, spanToRange, toLspDiagnostic } from "./convert.ts";
import { hover } from "./hover.ts";
import { complete } from "./completion.ts";
import { codeActions } from "./actions.ts";
import { documentSymbols, inlayHints } from "./outline.ts";
import { occurrenceAt, occurrences, sameSymbol } from "./names.ts";
import type { LineMap } from "../diagnostics/diagnostic.ts";

export interface ServerOptions {
  /** Quiet time after a change before the document is checked (ms). */
  debounceMs: number;
  /** Files larger than this (characters) are not checked live. */
  maxFileSize: number;
}

const DEFAULTS: ServerOptions = { debounceMs: 5, maxFileSize: DEFAULT_MAX_SIZE };

interface Doc {
  doc: TextDocument;
  analyzer: Analyzer;
  analysis?: Analysis;
  /** Version the analysis was made from. */
  analyzedVersion: number;
  timer?: NodeJS.Timeout;
}

export function startServer(input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout): Promise<number> {
  return new Promise<number>((resolve) => {
    let finished = false;
    let parentWatch: NodeJS.Timeout | undefined;
    let connection: Connection | undefined;
    const docs = new Map<string, Doc>();
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      if (parentWatch) clearInterval(parentWatch);
      for (const d of docs.values()) if (d.timer) clearTimeout(d.timer);
      try {
        connection?.dispose();
      } catch {
        // already closed
      }
      if (input === process.stdin) process.stdin.destroy();
      resolve(code);
    };
    const watchDog: WatchDog = {
      shutdownReceived: false,
      initialize(params: InitializeParams) {
        // When the editor dies without a word, stop too.
        const pid = params.processId;
        if (typeof pid === "number" && pid > 0) {
          parentWatch = setInterval(() => {
            try {
              process.kill(pid, 0);
            } catch {
              finish(1);
            }
          }, 3000);
          parentWatch.unref();
        }
      },
      exit(code: number) {
        finish(code);
      },
    };
    if (output === process.stdout) {
      // stdout carries the protocol: anything a module logs goes to stderr instead.
      const toStderr = (...a: unknown[]) => void process.stderr.write(format(...a) + "\n");
      console.log = console.info = console.debug = toStderr;
    }
    connection = createConnection((logger) => {
      const pc = createProtocolConnection(new StreamMessageReader(input.pipe(new Reframer())), new StreamMessageWriter(output), logger);
      pc.onClose(() => finish(watchDog.shutdownReceived ? 0 : 1));
      return pc;
    }, watchDog);
    serve(connection, docs);
    connection.listen();
  });
}

function serve(conn: Connection, docs: Map<string, Doc>): void {
  const options: ServerOptions = { ...DEFAULTS };
  /** Durations of the last checks (ms), for dlp/serverStats. */
  const checkTimes = new Float64Array(1000);
  let checks = 0;

  conn.onInitialize((params): InitializeResult => {
    const init = (params.initializationOptions ?? {}) as Partial<ServerOptions>;
    if (typeof init.debounceMs === "number" && init.debounceMs >= 0) options.debounceMs = init.debounceMs;
    if (typeof init.maxFileSize === "number" && init.maxFileSize > 0) options.maxFileSize = init.maxFileSize;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        completionProvider: { triggerCharacters: ["(", ",", ":", ">", " "] },
        definitionProvider: true,
        referencesProvider: true,
        documentSymbolProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        inlayHintProvider: true,
      },
      serverInfo: { name: "dlpc", version: "0.1.0" },
    };
  });

  const log = (what: string, e: unknown) => conn.console.error(`${what}: ${(e as Error)?.stack ?? String(e)}`);

  /** The analysis of the document's current version; a new one is published at once, so a
   *  request that arrives during the debounce (and checks early) does not swallow the diagnostics. */
  const analyze = (uri: string, d: Doc): Analysis => {
    if (d.timer) {
      clearTimeout(d.timer);
      d.timer = undefined;
    }
    if (d.analysis && d.analyzedVersion === d.doc.version) return d.analysis;
    const t0 = performance.now();
    const a = d.analyzer.analyze(d.doc.getText());
    checkTimes[checks++ % checkTimes.length] = performance.now() - t0;
    d.analysis = a;
    d.analyzedVersion = d.doc.version;
    conn.sendDiagnostics({ uri, version: d.doc.version, diagnostics: a.diagnostics.map((x) => toLspDiagnostic(x, a.lines, uri)) });
    return a;
  };

  const publish = (uri: string) => {
    const d = docs.get(uri);
    if (!d) return;
    try {
      analyze(uri, d);
    } catch (e) {
      log(`checking ${uri} failed`, e);
    }
  };

  const schedule = (uri: string, d: Doc) => {
    if (d.timer) clearTimeout(d.timer);
    d.timer = setTimeout(() => {
      d.timer = undefined;
      publish(uri);
    }, options.debounceMs);
  };

  conn.onDidOpenTextDocument((p) => {
    const td = p.textDocument;
    if (!td || typeof td.uri !== "string" || typeof td.text !== "string") return;
    const file = td.uri.startsWith("file:") ? safe(() => fileURLToPath(td.uri), td.uri) : td.uri;
    docs.set(td.uri, { doc: TextDocument.create(td.uri, td.languageId ?? "dlp", td.version ?? 0, td.text), analyzer: new Analyzer(file, { maxSize: options.maxFileSize }), analyzedVersion: -1 });
    publish(td.uri);
  });

  conn.onDidChangeTextDocument((p) => {
    const d = docs.get(p.textDocument?.uri);
    if (!d || !Array.isArray(p.contentChanges)) return;
    try {
      // Positions past the end are clamped by TextDocument.update: a bad edit degrades, it does not crash.
      const changes = p.contentChanges.filter((c) => c && typeof c.text === "string");
      d.doc = TextDocument.update(d.doc, changes, typeof p.textDocument.version === "number" ? p.textDocument.version : d.doc.version + 1);
    } catch (e) {
      log("applying an edit failed", e);
      return;
    }
    schedule(p.textDocument.uri, d);
  });

  conn.onDidCloseTextDocument((p) => {
    const d = docs.get(p.textDocument?.uri);
    if (!d) return;
    if (d.timer) clearTimeout(d.timer);
    docs.delete(p.textDocument.uri);
    conn.sendDiagnostics({ uri: p.textDocument.uri, diagnostics: [] });
  });

  /** The document, analysed at its current version; errors become protocol errors. */
  const withDoc = <T>(uri: string | undefined, what: string, empty: T, f: (a: Analysis, d: Doc, lines: LineMap) => T): T | ResponseError<void> => {
    const d = uri ? docs.get(uri) : undefined;
    if (!d) return empty;
    try {
      const a = analyze(uri!, d);
      return f(a, d, a.lines);
    } catch (e) {
      log(`${what} failed`, e);
      return new ResponseError(ErrorCodes.InternalError, `${what} failed: ${(e as Error).message}`);
    }
  };

  conn.onHover((p) => withDoc(p.textDocument?.uri, "hover", null, (a, _d, lines) => hover(a, offsetAt(lines, p.position))));

  conn.onCompletion((p) => {
    const d = docs.get(p.textDocument?.uri);
    if (!d) return [];
    try {
      // Completion reads the current text; the names it offers (params, blocks) may come from the
      // analysis of a keystroke ago rather than waiting for a check.
      const text = d.doc.getText();
      return complete(d.analysis, text, d.doc.offsetAt(p.position ?? { line: 0, character: 0 }));
    } catch (e) {
      log("completion failed", e);
      return new ResponseError(ErrorCodes.InternalError, `completion failed: ${(e as Error).message}`);
    }
  });

  const symbolLocations = (uri: string, a: Analysis, offset: number, includeDecl: boolean, onlyDef: boolean): Location[] => {
    const r = a.result;
    if (!r) return [];
    const occ = occurrences(r.ast, r.checked?.ir);
    const at = occurrenceAt(occ, offset);
    if (!at) return [];
    if (onlyDef) return [{ uri, range: spanToRange(at.symbol.def, a.lines) }];
    return occ.filter((o) => sameSymbol(o.symbol, at.symbol) && (includeDecl || !o.isDefinition)).map((o) => ({ uri, range: spanToRange(o.name.span, a.lines) }));
  };

  conn.onDefinition((p) => withDoc(p.textDocument?.uri, "definition", [] as Location[], (a, _d, lines) => symbolLocations(p.textDocument.uri, a, offsetAt(lines, p.position), true, true)));
  conn.onReferences((p) => withDoc(p.textDocument?.uri, "references", [] as Location[], (a, _d, lines) => symbolLocations(p.textDocument.uri, a, offsetAt(lines, p.position), p.context?.includeDeclaration !== false, false)));
  conn.onDocumentSymbol((p) => withDoc(p.textDocument?.uri, "document symbols", [], (a) => documentSymbols(a)));
  conn.onCodeAction((p) =>
    withDoc(p.textDocument?.uri, "code actions", [], (a, _d, lines) =>
      codeActions(a, p.textDocument.uri, { start: offsetAt(lines, p.range.start), end: offsetAt(lines, p.range.end) }, p.context?.only),
    ),
  );
  // Diagnostics for benchmarks and bug reports: open documents and memory (after a full GC when
  // node runs with --expose-gc).
  conn.onRequest("dlp/serverStats", () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) gc();
    const recent = [...checkTimes.subarray(0, Math.min(checks, checkTimes.length))].sort((x, y) => x - y);
    const at = (p: number) => (recent.length ? +recent[Math.min(recent.length - 1, Math.ceil(p * recent.length) - 1)].toFixed(2) : null);
    return { documents: docs.size, gcExposed: !!gc, memory: process.memoryUsage(), checks, checkMs: { recent: recent.length, p50: at(0.5), p95: at(0.95) } };
  });
  conn.languages.inlayHint.on((p) => withDoc(p.textDocument?.uri, "inlay hints", [], (a) => inlayHints(a, Math.max(0, p.range?.start?.line ?? 0), p.range?.end?.line ?? Number.MAX_SAFE_INTEGER)));
}

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}
