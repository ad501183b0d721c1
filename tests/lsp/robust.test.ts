// Bad input to `dlpc lsp`: garbage JSON-RPC, unknown methods, malformed params, edits out of
// range, a 5 MB file. The server answers with protocol errors or degrades; it never exits
// and never stops publishing. And its lifecycle: exit code 0 after shutdown + exit, 1 when
// the input ends first.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { HoverRequest, DocumentSymbolRequest, CompletionRequest, InlayHintRequest, ExitNotification, type Diagnostic } from "vscode-languageserver-protocol/node";
import { startClient, ROOT, type Client } from "./client.ts";

const text = readFileSync(`${ROOT}/tests/golden/errors/conv_too_small.dlp`, "utf8");
let client: Client;
const bad = suite("lsp bad input");
bad.before(async () => {
  client = await startClient();
});
bad.after(async () => {
  await client.close();
});

const raw = (body: string) => client.proc.stdin!.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
const codes = (ds: Diagnostic[]) => ds.map((d) => d.code);

/** The server still checks documents: open one and get its shape error. */
async function stillServes(tag: string): Promise<void> {
  const p = await client.open(`file:///virtual/alive-${tag}.dlp`, text);
  assert.equal(codes(p.diagnostics), ["DLP3001"], `still publishing after ${tag}`);
  assert.is(client.proc.exitCode, null, `still running after ${tag}`);
}

bad("garbage bodies and non-messages are skipped", async () => {
  raw("{this is not json");
  raw('{"hello": "world"}');
  raw("[1, 2, 3]");
  raw('{"jsonrpc": "2.0", "id": 99, "method": 12}');
  await stillServes("garbage bodies");
  // Broken framing: a header without Content-Length, then a length that is not a number.
  client.proc.stdin!.write("garbage header line\r\n\r\n{}");
  client.proc.stdin!.write("Content-Length: abc\r\n\r\n");
  await stillServes("broken headers");
  // The same garbage and a real message in one write (one chunk for the server).
  const open = JSON.stringify({ jsonrpc: "2.0", method: "textDocument/didOpen", params: { textDocument: { uri: "file:///virtual/chunk.dlp", languageId: "dlp", version: 1, text } } });
  const next = client.nextDiagnostics("file:///virtual/chunk.dlp");
  client.proc.stdin!.write(`no length here\r\n\r\n{}Content-Length: x\r\n\r\nContent-Length: ${Buffer.byteLength(open)}\r\n\r\n${open}`);
  assert.equal(codes((await next).diagnostics), ["DLP3001"], "the real message behind the garbage is read at once");
});

bad("an unknown request gets MethodNotFound; an unknown notification is ignored", async () => {
  await client.conn.sendNotification("dlp/noSuchNotification", { x: 1 });
  let err: { code?: number } | undefined;
  try {
    await client.conn.sendRequest("dlp/noSuchMethod", { x: 1 });
  } catch (e) {
    err = e as { code?: number };
  }
  assert.is(err?.code, -32601);
  await stillServes("unknown methods");
});

bad("malformed params answer with null, empty or a protocol error, never a crash", async () => {
  const uri = "file:///virtual/params.dlp";
  await client.open(uri, text);
  const tries: [string, unknown][] = [
    [HoverRequest.method, { textDocument: { uri } }],
    [HoverRequest.method, { textDocument: { uri }, position: { line: -5, character: "x" } }],
    [HoverRequest.method, { textDocument: { uri: "file:///not/open.dlp" }, position: { line: 0, character: 0 } }],
    [CompletionRequest.method, { textDocument: { uri }, position: { line: 1e9, character: 1e9 } }],
    [InlayHintRequest.method, { textDocument: { uri } }],
    [DocumentSymbolRequest.method, {}],
  ];
  for (const [method, params] of tries) {
    try {
      await client.conn.sendRequest(method, params);
    } catch (e) {
      assert.type((e as { code?: number }).code, "number", `${method}: a protocol error, not a dropped connection`);
    }
  }
  await stillServes("malformed params");
});

bad("edits with out-of-range positions are clamped and the document keeps being checked", async () => {
  const uri = "file:///virtual/range.dlp";
  await client.open(uri, text);
  let next = client.nextDiagnostics(uri, 2);
  // Past the end of the file: appended.
  client.change(uri, 2, [{ range: { start: { line: 999, character: 0 }, end: { line: 1999, character: 5 } }, text: "\n// tail\n" }]);
  assert.equal(codes((await next).diagnostics), ["DLP3001"]);
  // Past the end of a line, and a reversed range.
  next = client.nextDiagnostics(uri, 3);
  client.change(uri, 3, [{ range: { start: { line: 0, character: 500 }, end: { line: 0, character: 400 } }, text: "" }]);
  const p = await next;
  assert.is(p.version, 3);
  // A change that is not an edit at all.
  next = client.nextDiagnostics(uri, 5);
  client.change(uri, 4, [{ nonsense: true } as never]);
  client.change(uri, 5, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: "" }]);
  assert.equal(codes((await next).diagnostics), ["DLP3001"]);
  await stillServes("bad edits");
});

bad("a 5 MB file degrades to a warning; the server keeps answering", async () => {
  const uri = "file:///virtual/huge.dlp";
  const huge = text + ("// " + "x".repeat(97) + "\n").repeat(50_000);
  assert.ok(huge.length > 5_000_000);
  const t0 = Date.now();
  const p = await client.open(uri, huge);
  assert.equal(codes(p.diagnostics), ["DLP0002"]);
  assert.match(p.diagnostics[0].message as string, "file too large to check while editing");
  assert.ok(Date.now() - t0 < 10_000, "answered quickly");
  assert.is(await client.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 7, character: 5 } }), null);
  // Editing it back under the limit checks it again.
  const next = client.nextDiagnostics(uri, 2);
  client.change(uri, 2, [{ range: { start: { line: 19, character: 0 }, end: { line: 60_000, character: 0 } }, text: "" }]);
  assert.equal(codes((await next).diagnostics), ["DLP3001"]);
  await stillServes("a 5 MB file");
});

bad.run();

const life = suite("lsp lifecycle");

life("shutdown then exit ends the server with code 0", async () => {
  const c = await startClient();
  assert.is(await c.close(), 0);
});

life("exit without shutdown ends with 1; so does the end of the input", async () => {
  const c = await startClient();
  await c.conn.sendNotification(ExitNotification.type);
  assert.is(await c.exited, 1);
  c.conn.dispose();
  const d = await startClient();
  d.proc.stdin!.end();
  assert.is(await d.exited, 1);
  d.conn.dispose();
});

life("a request during the debounce checks early and still publishes that version", async () => {
  const c = await startClient({ debounceMs: 60_000 });
  try {
    const uri = "file:///virtual/debounce.dlp";
    await c.open(uri, text);
    const next = c.nextDiagnostics(uri, 2, 10_000);
    c.change(uri, 2, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: "// moved\n" }]);
    await new Promise((r) => setTimeout(r, 300));
    assert.is(c.published.filter((p) => p.uri === uri && p.version === 2).length, 0, "the 60 s debounce holds the check back");
    const h = await c.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 14, character: 6 } });
    assert.match(JSON.stringify(h), "conv2d", "hover sees the edited text (the layer moved down a line)");
    const p = await next;
    assert.equal([p.version, p.diagnostics[0].code, p.diagnostics[0].range.start.line], [2, "DLP3001", 14]);
  } finally {
    await c.close();
  }
});

life.run();
