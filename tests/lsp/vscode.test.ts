// The VS Code extension: its TextMate grammar is generated from the compiler's tables and
// current; its language configuration; its dependency-free LSP client against the real
// server; extension.js activated against a stand-in `vscode` API; and the .vsix packaged
// offline by the script, with its contents checked.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire, Module } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";
import { pathToFileURL } from "node:url";
import { ROOT } from "./client.ts";
import { textmateGrammar, textmateGrammarText } from "../../compiler/lsp/textmate.ts";
import { LAYER_DEFS } from "../../compiler/semantic/layers/index.ts";

const EXT = join(ROOT, "editors/vscode");
const require = createRequire(import.meta.url);
const conv = readFileSync(join(ROOT, "tests/golden/errors/conv_too_small.dlp"), "utf8");

/** Entries of a zip file (central directory), with a reader for each. */
function unzip(buf: Buffer): Map<string, () => Buffer> {
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  assert.ok(eocd >= 0, "a zip end-of-central-directory record");
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = new Map<string, () => Buffer>();
  for (let i = 0; i < count; i++) {
    assert.is(buf.readUInt32LE(p), 0x02014b50);
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString("utf8", p + 46, p + 46 + nameLen);
    out.set(name, () => {
      const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
      const data = buf.subarray(start, start + size);
      return method === 8 ? inflateRawSync(data) : Buffer.from(data);
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

test("the TextMate grammar is generated from the layer table and is current", () => {
  const committed = readFileSync(join(EXT, "syntaxes/dlp.tmLanguage.json"), "utf8");
  assert.ok(committed === textmateGrammarText(), "stale: run `node editors/vscode/scripts/grammar.mjs`");
  const g = textmateGrammar() as { scopeName: string; repository: Record<string, { patterns?: { name: string; match?: string }[] }> };
  assert.is(g.scopeName, "source.dlp");
  const layer = new RegExp(g.repository.calls.patterns!.find((p) => p.name === "support.function.layer.dlp")!.match!);
  for (const d of LAYER_DEFS) assert.ok(layer.test(d.name), `${d.name} highlighted as a layer`);
  assert.not.ok(new RegExp(`^(?:${layer.source})$`).test("conv2dx"), "whole words only");
  const comment = new RegExp(g.repository.comments.patterns![0].match!, "m");
  assert.equal("dense(10) // softmax next".match(comment)?.[0], "// softmax next");
});

test("language configuration: // and /* */ comments, brackets", () => {
  const c = JSON.parse(readFileSync(join(EXT, "language-configuration.json"), "utf8"));
  assert.is(c.comments.lineComment, "//");
  assert.equal(c.comments.blockComment, ["/*", "*/"]);
  assert.equal(c.brackets, [["{", "}"], ["[", "]"], ["(", ")"]]);
  const pkg = JSON.parse(readFileSync(join(EXT, "package.json"), "utf8"));
  assert.equal(pkg.contributes.languages[0].extensions, [".dlp"]);
  assert.is(pkg.contributes.grammars[0].path, "./syntaxes/dlp.tmLanguage.json");
  assert.is(pkg.main, "./extension.js");
  assert.equal(pkg.dependencies ?? {}, {}, "nothing to bundle: the .vsix ships without node_modules");
});

test("the extension's own LSP client speaks to dlpc lsp", async () => {
  const { LspClient } = require(join(EXT, "client.js")) as { LspClient: new (c: string, a: string[], o: object) => import("node:events").EventEmitter & { initialize(r: string | null): Promise<{ capabilities: Record<string, unknown> }>; notify(m: string, p: unknown): void; request(m: string, p: unknown): Promise<unknown>; stop(): Promise<number> } };
  const c = new LspClient(process.execPath, [join(ROOT, "bin/dlpc.mjs"), "lsp"], { cwd: ROOT });
  const init = await c.initialize(pathToFileURL(ROOT).href);
  assert.ok(init.capabilities.hoverProvider);
  const uri = "file:///virtual/ext.dlp";
  const published = new Promise<{ uri: string; diagnostics: { code: string }[] }>((res) => c.on("notification", (m: string, p: { uri: string; diagnostics: { code: string }[] }) => m === "textDocument/publishDiagnostics" && p.uri === uri && res(p)));
  c.notify("textDocument/didOpen", { textDocument: { uri, languageId: "dlp", version: 1, text: conv } });
  assert.equal((await published).diagnostics.map((d) => d.code), ["DLP3001"]);
  let err: { code?: number } | undefined;
  await c.request("dlp/unknown", {}).catch((e) => (err = e));
  assert.is(err?.code, -32601);
  assert.is(await c.stop(), 0);
});

test("extension.js activates, shows diagnostics and forwards hover, quick fixes and inlay hints", async () => {
  const fake = require("./fixtures/fake_vscode.cjs") as { create: (s: object, f: string[], d: object[]) => { api: object; registered: Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>>; collections: { map: Map<string, { message: string; code: { value: string }; severity: number; range: { start: { line: number } } }[]>; waiters: (() => void)[] }[] }; Uri: { parse(s: string): object } };
  const uri = "file:///virtual/activate.dlp";
  const doc = { uri: fake.Uri.parse(uri), languageId: "dlp", version: 1, getText: () => conv };
  const env = fake.create({ "dlp.server.command": [process.execPath, join(ROOT, "bin/dlpc.mjs"), "lsp"] }, [ROOT], [doc]);
  // Hand extension.js the stand-in when it asks for `vscode`.
  const M = Module as unknown as { _load: (req: string, ...rest: unknown[]) => unknown };
  const load = M._load;
  M._load = (req: string, ...rest: unknown[]) => (req === "vscode" ? env.api : load(req, ...rest));
  let ext: { activate(c: { subscriptions: unknown[] }): Promise<void>; deactivate(): Promise<void> };
  try {
    ext = require(join(EXT, "extension.js"));
  } finally {
    M._load = load;
  }
  const collection = () => env.collections[0];
  await ext.activate({ subscriptions: [] });
  for (const k of ["hover", "completion", "definition", "references", "symbols", "codeActions", "inlayHints"]) assert.ok(env.registered[k], `${k} provider registered`);
  if (!collection().map.has(uri)) await new Promise<void>((res) => collection().waiters.push(res));
  const ds = collection().map.get(uri)!;
  assert.is(ds.length, 1);
  assert.is(ds[0].code.value, "DLP3001");
  assert.is(ds[0].severity, 0, "vscode.DiagnosticSeverity.Error");
  assert.is(ds[0].range.start.line, 13);
  const pos = (line: number, character: number) => ({ line, character });
  const hover = (await env.registered.hover.provideHover(doc, pos(11, 6))) as { contents: { value: string }[] };
  assert.match(hover.contents[0].value, "5×5×32 → **3×3×64**");
  const range = { start: pos(13, 4), end: pos(13, 18) };
  const actions = (await env.registered.codeActions.provideCodeActions(doc, range, { diagnostics: ds })) as { title: string; edit: { edits: unknown[] }; diagnostics: unknown[] }[];
  const pad = actions.find((a) => a.title === "add `padding: same` to the 3 earlier convolutions");
  assert.ok(pad, JSON.stringify(actions.map((a) => a.title)));
  assert.is(pad!.edit.edits.length, 3);
  assert.is(pad!.diagnostics.length, 1, "tied to the diagnostic it fixes");
  const hints = (await env.registered.inlayHints.provideInlayHints(doc, { start: pos(0, 0), end: pos(99, 0) })) as { label: string }[];
  assert.is(hints[0].label, "→ 26×26×16");
  const items = (await env.registered.completion.provideCompletionItems(doc, pos(7, 4))) as { label: string }[];
  assert.ok(items.some((i) => i.label === "conv2d"));
  await ext.deactivate();
});

test("the packaging script builds the .vsix offline, with the extension inside", () => {
  const out = mkdtempSync(join(tmpdir(), "dlp-vsix-"));
  try {
    const r = spawnSync(process.execPath, [join(EXT, "scripts/package.mjs"), "--out", out], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    assert.is(r.status, 0, r.stderr + r.stdout);
    const file = join(out, "dlp-0.1.0.vsix");
    assert.is(r.stdout.trim().split("\n").pop(), file);
    const zip = unzip(readFileSync(file));
    const names = [...zip.keys()].sort();
    for (const n of ["extension.vsixmanifest", "[Content_Types].xml", "extension/package.json", "extension/extension.js", "extension/client.js", "extension/language-configuration.json", "extension/syntaxes/dlp.tmLanguage.json", "extension/LICENSE.txt", "extension/readme.md"]) {
      assert.ok(names.includes(n), `${n} in ${names.join(", ")}`);
    }
    assert.not.ok(names.some((n) => n.includes("node_modules") || n.includes("scripts/")), "no dependencies, no build scripts");
    const pkg = JSON.parse(zip.get("extension/package.json")!().toString("utf8"));
    assert.is(pkg.name, "dlp");
    assert.is(pkg.contributes.grammars[0].scopeName, "source.dlp");
    assert.is(zip.get("extension/syntaxes/dlp.tmLanguage.json")!().toString("utf8"), textmateGrammarText());
    assert.match(zip.get("extension.vsixmanifest")!().toString("utf8"), 'Id="dlp"');
    const bad = spawnSync(process.execPath, [join(EXT, "scripts/package.mjs"), "--out"], { encoding: "utf8" });
    assert.is(bad.status, 2);
    assert.match(bad.stderr, "--out needs a directory");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
