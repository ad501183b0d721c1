// A real LSP client for the tests and the benchmark: spawns `node bin/dlpc.mjs lsp` and
// speaks JSON-RPC to it over stdio through vscode-languageserver-protocol's client side.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { resolve } from "node:path";
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  InitializeRequest,
  InitializedNotification,
  DidOpenTextDocumentNotification,
  DidChangeTextDocumentNotification,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  ExitNotification,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type TextDocumentContentChangeEvent,
  type InitializeResult,
} from "vscode-languageserver-protocol/node";

export const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
export const uriOf = (path: string) => pathToFileURL(resolve(ROOT, path)).href;

export interface Client {
  proc: ChildProcess;
  conn: ProtocolConnection;
  init: InitializeResult;
  stderr: () => string;
  /** Every publishDiagnostics received, in order. */
  published: PublishDiagnosticsParams[];
  /** Resolves with the next publishDiagnostics for `uri` (at `version` or later when given). */
  nextDiagnostics(uri: string, version?: number, timeoutMs?: number): Promise<PublishDiagnosticsParams>;
  open(uri: string, text: string, version?: number): Promise<PublishDiagnosticsParams>;
  change(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): void;
  exited: Promise<number | null>;
  close(): Promise<number | null>;
}

/** `server`: a script to run instead of `bin/dlpc.mjs lsp` (a bundled server, for benchmarks on another machine). */
export async function startClient(initializationOptions: Record<string, unknown> = {}, nodeArgs: string[] = [], server?: string): Promise<Client> {
  const argv = server ? [...nodeArgs, resolve(server)] : [...nodeArgs, resolve(ROOT, "bin/dlpc.mjs"), "lsp"];
  const proc = spawn(process.execPath, argv, { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  let err = "";
  proc.stderr!.on("data", (b) => (err += String(b)));
  const exited = new Promise<number | null>((res) => proc.on("exit", (code) => res(code)));
  const conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
  const published: PublishDiagnosticsParams[] = [];
  const waiters: { uri: string; version?: number; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
    published.push(p);
    for (const w of [...waiters]) {
      if (w.uri === p.uri && (w.version === undefined || (p.version ?? -1) >= w.version)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(p);
      }
    }
  });
  conn.onError(() => undefined);
  conn.listen();
  const init = await conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: pathToFileURL(ROOT).href, capabilities: {}, initializationOptions });
  await conn.sendNotification(InitializedNotification.type, {});
  const nextDiagnostics = (uri: string, version?: number, timeoutMs = 20000) =>
    new Promise<PublishDiagnosticsParams>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`no diagnostics for ${uri} within ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
      waiters.push({ uri, version, resolve: (p) => (clearTimeout(t), res(p)) });
    });
  return {
    proc,
    conn,
    init,
    stderr: () => err,
    published,
    nextDiagnostics,
    async open(uri, text, version = 1) {
      const next = nextDiagnostics(uri, version);
      await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "dlp", version, text } });
      return next;
    },
    change(uri, version, changes) {
      void conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: changes });
    },
    exited,
    async close() {
      try {
        await conn.sendRequest(ShutdownRequest.type);
        await conn.sendNotification(ExitNotification.type);
      } catch {
        // the server is already gone
      }
      const code = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
      if (code === null && proc.exitCode === null) proc.kill();
      conn.dispose();
      return code;
    },
  };
}
