// The language server's input framing caps a message's declared length, and a file too deep to
// parse still gets its diagnostics from the analysis the server publishes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Reframer, MAX_MESSAGE } from "../../compiler/lsp/framing.ts";
import { compile } from "../../compiler/driver.ts";

function frames(input: string[]): Promise<{ out: string; r: Reframer }> {
  const r = new Reframer();
  let out = "";
  r.on("data", (d) => (out += String(d)));
  return new Promise((resolve) => {
    r.on("end", () => resolve({ out, r }));
    for (const chunk of input) r.write(Buffer.from(chunk));
    r.end();
  });
}
const msg = (body: string) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

test("a Content-Length above the cap is refused and the next message still gets through", async () => {
  const next = '{"jsonrpc":"2.0","method":"ok"}';
  const { out, r } = await frames([`Content-Length: 99999999999\r\n\r\n{"partial":`, msg(next)]);
  assert.is(out, msg(next));
  assert.is(r.oversized, 1);
  const again = await frames([`Content-Length: ${MAX_MESSAGE + 1}\r\n\r\n`, msg(next), msg(next)]);
  assert.is(again.out, msg(next) + msg(next));
});

test("a length at the cap is still awaited, not refused", async () => {
  const { r } = await frames([`Content-Length: ${MAX_MESSAGE}\r\n\r\nabc`]);
  assert.is(r.oversized, 0);
});

test("a 400-deep file yields a positioned DLP1004 for the server to publish", () => {
  const text = `pipeline p {\n  model {\n    dense(${"(".repeat(400)}1${")".repeat(400)})\n  }\n}\n`;
  const r = compile(text, { file: "deep.dlp" });
  const d = r.diagnostics.find((x) => x.code === "DLP1004");
  assert.ok(d);
  assert.is(r.lines.position(d!.span.start).line, 3);
});

test.run();
