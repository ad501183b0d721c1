// `dlpc lsp` spoken to over stdio by a real JSON-RPC client (vscode-languageserver-protocol).
// One server process serves most tests, as an editor session would.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { TextDocument } from "vscode-languageserver-textdocument";
import {
  CodeActionRequest,
  CompletionRequest,
  DefinitionRequest,
  DocumentSymbolRequest,
  HoverRequest,
  InlayHintRequest,
  ReferencesRequest,
  type CodeAction,
  type CompletionItem,
  type Diagnostic,
  type DocumentSymbol,
  type Hover,
  type InlayHint,
  type Location,
  type Position,
  type TextEdit,
} from "vscode-languageserver-protocol/node";
import { startClient, uriOf, ROOT, type Client } from "./client.ts";
import { compile } from "../../compiler/driver.ts";

const read = (p: string) => readFileSync(`${ROOT}/${p}`, "utf8");
const GOLDEN = "tests/golden/errors";

let client: Client;
const lsp = suite("lsp protocol");
lsp.before(async () => {
  client = await startClient();
});
lsp.after(async () => {
  await client.close();
});

let version = 10;
/** Opens `text` under a fresh URI (so every test starts from a clean document) and returns its diagnostics. */
async function openFresh(name: string, text: string): Promise<{ uri: string; diagnostics: Diagnostic[] }> {
  const uri = `file:///virtual/${name}-${version++}.dlp`;
  const p = await client.open(uri, text);
  return { uri, diagnostics: p.diagnostics };
}

function posOf(text: string, needle: string, delta = 0): Position {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`${needle} not in text`);
  const doc = TextDocument.create("x", "dlp", 0, text);
  return doc.positionAt(i + delta);
}

function applyEdits(text: string, edits: TextEdit[]): string {
  return TextDocument.applyEdits(TextDocument.create("x", "dlp", 0, text), edits);
}

const hoverText = (h: Hover | null) => (h && typeof h.contents === "object" && "value" in h.contents ? h.contents.value : "");

lsp("capabilities: incremental sync and every feature the server offers", () => {
  const c = client.init.capabilities;
  assert.equal(c.textDocumentSync, { openClose: true, change: 2 });
  for (const k of ["hoverProvider", "completionProvider", "definitionProvider", "referencesProvider", "documentSymbolProvider", "codeActionProvider", "inlayHintProvider"] as const) assert.ok(c[k], k);
});

lsp("diagnostics on open match `dlpc check --format json` for every golden error file", async () => {
  const files = readdirSync(`${ROOT}/${GOLDEN}`).filter((f) => f.endsWith(".dlp")).sort();
  const r = spawnSync(process.execPath, ["bin/dlpc.mjs", "check", "--format", "json", ...files.map((f) => `${GOLDEN}/${f}`)], { cwd: ROOT, encoding: "utf8" });
  const cli = JSON.parse(r.stdout) as { code: string; severity: string; file: string; line: number; column: number; endLine: number; endColumn: number; message: string; label: string | null; help: string | null; related: { line: number; column: number; message: string }[] }[];
  assert.ok(cli.length > 20, "the golden files hold many diagnostics");
  const sev = { error: 1, warning: 2, info: 3 } as const;
  for (const f of files) {
    const uri = uriOf(`${GOLDEN}/${f}`);
    const got = (await client.open(uri, read(`${GOLDEN}/${f}`))).diagnostics;
    const want = cli.filter((d) => d.file === `${GOLDEN}/${f}`);
    assert.is(got.length, want.length, `${f}: count`);
    want.forEach((w, i) => {
      const g = got[i];
      const message = typeof g.message === "string" ? g.message : g.message.value;
      assert.is(g.code, w.code, `${f} #${i} code`);
      assert.is(g.severity, sev[w.severity as keyof typeof sev], `${f} #${i} severity`);
      assert.equal([g.range.start.line + 1, g.range.start.character + 1, g.range.end.line + 1, g.range.end.character + 1], [w.line, w.column, w.endLine, w.endColumn], `${f} #${i} range`);
      assert.is(message.split("\n")[0], w.message, `${f} #${i} message`);
      if (w.label) assert.ok(message.includes(w.label), `${f} #${i} label`);
      if (w.help) assert.ok(message.includes(`help: ${w.help}`), `${f} #${i} help`);
      assert.is(g.source, "dlpc");
      assert.ok(g.codeDescription?.href.endsWith(`#${w.code.toLowerCase()}`));
      assert.equal(
        (g.relatedInformation ?? []).map((x) => [x.location.uri, x.location.range.start.line + 1, x.location.range.start.character + 1, x.message]),
        w.related.map((x) => [uri, x.line, x.column, x.message]),
        `${f} #${i} related`,
      );
    });
  }
});

lsp("didChange re-publishes: an incremental edit that introduces and then fixes a shape error", async () => {
  const text = read("pipelines/mnist_cnn.dlp");
  const { uri, diagnostics } = await openFresh("mnist", text);
  assert.equal(diagnostics.map((d) => d.code), [], "the README's main model checks clean");
  // Remove `flatten()`: dense (after the dropout) now receives a feature map.
  const at = posOf(text, "flatten()");
  const edit = { range: { start: at, end: { line: at.line, character: at.character + "flatten()".length } }, text: "" };
  let next = client.nextDiagnostics(uri, 2);
  client.change(uri, 2, [edit]);
  const broken = await next;
  assert.is(broken.version, 2);
  assert.equal(broken.diagnostics.filter((d) => d.severity === 1).map((d) => d.code), ["DLP3003"]);
  assert.is(broken.diagnostics[0].range.start.line, at.line + 2, "under the dense layer after the removed flatten and the dropout");
  next = client.nextDiagnostics(uri, 3);
  client.change(uri, 3, [{ range: { start: at, end: at }, text: "flatten()" }]);
  assert.equal((await next).diagnostics.map((d) => d.code), []);
});

lsp("rapid edits are debounced into few checks, and the last version is published", async () => {
  const text = read("pipelines/mnist_mlp.dlp");
  const { uri } = await openFresh("burst", text);
  const before = client.published.filter((p) => p.uri === uri).length;
  const at = posOf(text, "dense(");
  let v = 2;
  const next = client.nextDiagnostics(uri, 21);
  for (; v <= 21; v++) client.change(uri, v, [{ range: { start: at, end: at }, text: " " }]);
  const last = await next;
  assert.is(last.version, 21);
  await new Promise((r) => setTimeout(r, 150));
  const checks = client.published.filter((p) => p.uri === uri).length - before;
  assert.ok(checks < 20, `20 edits sent in one burst gave ${checks} checks`);
});

lsp("a half-typed line keeps the shape errors of the rest of the file", async () => {
  const text = read(`${GOLDEN}/conv_too_small.dlp`);
  const { uri, diagnostics } = await openFresh("half", text);
  assert.equal(diagnostics.map((d) => d.code), ["DLP3001"]);
  const errLine = diagnostics[0].range.start.line;
  // Start typing a new layer at the top of the model: `den` (an unknown layer that would poison every later shape).
  const at = posOf(text, "    conv2d(16, 3)");
  let next = client.nextDiagnostics(uri, 2);
  client.change(uri, 2, [{ range: { start: at, end: at }, text: "    den\n" }]);
  let got = (await next).diagnostics;
  assert.ok(got.some((d) => d.code === "DLP2001" && d.range.start.line === at.line), "the half-typed line is flagged");
  const kept = got.find((d) => d.code === "DLP3001");
  assert.ok(kept, `the shape error below survives: ${JSON.stringify(got.map((d) => d.code))}`);
  assert.is(kept!.range.start.line, errLine + 1, "and moved down with the inserted line");
  // Half a call: `dense(12` with no closing parenthesis.
  next = client.nextDiagnostics(uri, 3);
  client.change(uri, 3, [{ range: { start: at, end: { line: at.line, character: 7 } }, text: "    dense(12" }]);
  got = (await next).diagnostics;
  assert.ok(got.some((d) => d.code === "DLP1001"), "the syntax error is reported");
  assert.ok(got.some((d) => d.code === "DLP3001" && d.range.start.line === errLine + 1), `shape error kept: ${JSON.stringify(got.map((d) => [d.code, d.range.start.line]))}`);
  // Finish the line as a real layer that fixes nothing: the current check is published again.
  next = client.nextDiagnostics(uri, 4);
  client.change(uri, 4, [{ range: { start: at, end: { line: at.line, character: 12 } }, text: "    conv2d(8, 1)" }]);
  got = (await next).diagnostics;
  assert.equal(got.map((d) => d.code), ["DLP3001"]);
  assert.is(got[0].range.start.line, errLine + 1);
});

lsp("hover: a layer's input → output shape and params; a param's default and space; a source's shapes", async () => {
  const text = read("pipelines/fashion_cnn.dlp");
  const { uri } = await openFresh("fashion", text);
  const h = (p: Position) => client.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: p });
  const dense = hoverText(await h(posOf(text, "dense(512", 2)));
  assert.match(dense, "**dense** (Dense)");
  assert.match(dense, "1152 → **512** · 590,336 params");
  // A layer inside a block used three times: one line per instance.
  const conv = hoverText(await h(posOf(text, "conv2d(filters", 1)));
  assert.match(conv, "28×28×1 → **28×28×32** · 320 params");
  assert.match(conv, "7×7×64 → **7×7×128** · 73,856 params");
  const block = hoverText(await h(posOf(text, "conv_block(64)", 1)));
  assert.match(block, "`conv_block(64)`: 14×14×32 → **7×7×64**");
  const param = hoverText(await h(posOf(text, "lr: lr", 5)));
  assert.match(param, "**param** `lr` = `0.001`");
  assert.match(param, "tuned over `log_uniform(1e-4, 1e-2)`");
  const source = hoverText(await h(posOf(text, "fashion_mnist", 3)));
  assert.match(source, "`images`: 28×28 per sample");
  assert.match(source, "model input `x`: **28×28×1**");
  const arg = hoverText(await h(posOf(text, "padding: same", 2)));
  assert.match(arg, "`padding: valid | same` (default `valid`)");
  assert.is(await h({ line: 0, character: 3 }), null, "nothing to say inside a comment");
});

/** docs/reference.md's entries, keyed "Section title name", each the text under its heading. */
function referenceEntries(): Map<string, string> {
  const out = new Map<string, string>();
  let section = "";
  let key: string | undefined;
  let body: string[] = [];
  const flush = () => { if (key) out.set(key, body.join("\n").trim()); key = undefined; body = []; };
  for (const line of read("docs/reference.md").split("\n")) {
    const h2 = /^## (.+)$/.exec(line);
    const h3 = /^### `([^`]+)`$/.exec(line);
    if (h2) { flush(); section = h2[1]!; }
    else if (h3) { flush(); key = `${section} ${h3[1]}`; }
    else if (key) body.push(line);
  }
  flush();
  return out;
}

lsp("hover on a layer, source, loss, optimizer, metric, callback or strategy shows its docs/reference.md entry word for word", async () => {
  const ref = referenceEntries();
  const text = read("pipelines/fashion_cnn.dlp");
  const { uri } = await openFresh("reference", text);
  const h = async (needle: string, delta: number) => hoverText(await client.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: posOf(text, needle, delta) }));
  const cases: [string, number, string][] = [
    ["dense(512", 2, "Layers dense"],
    ["max_pool(2)", 2, "Layers max_pool"],
    ["fashion_mnist", 3, "Data sources fashion_mnist"],
    ["categorical_crossentropy", 3, "Losses categorical_crossentropy"],
    ["adam(lr", 2, "Optimizers adam"],
    ["metrics   accuracy", 12, "Metrics accuracy"],
    ["early_stop(", 3, "Callbacks early_stop"],
    ["checkpoint(", 3, "Callbacks checkpoint"],
    ["random(trials", 2, "Tuning strategies random"],
  ];
  for (const [needle, delta, key] of cases) {
    const entry = ref.get(key);
    assert.ok(entry && entry.length > 40, `docs/reference.md has an entry ${key}`);
    const shown = await h(needle, delta);
    assert.ok(shown.includes(entry!), `hover on ${needle} shows docs/reference.md's ${key}:\n--- hover\n${shown}\n--- reference\n${entry}`);
  }
  // The layer hover keeps this file's shapes above the reference text.
  const dense = await h("dense(512", 2);
  assert.ok(dense.indexOf("1152 → **512**") < dense.indexOf(ref.get("Layers dense")!));
});

lsp("completion: layers, argument names with types, activations, losses, optimizers, params", async () => {
  const base = read("pipelines/fashion_cnn.dlp");
  const complete = async (text: string, needle: string, delta: number) => {
    const { uri } = await openFresh("complete", text);
    const r = await client.conn.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: posOf(text, needle, delta) });
    return (Array.isArray(r) ? r : r?.items ?? []) as CompletionItem[];
  };
  const labels = (xs: CompletionItem[]) => xs.map((x) => x.label);
  // A new statement in the model: layer names and the file's blocks.
  let items = await complete(base.replace("    flatten()\n", "    flatten()\n    con\n"), "    con\n", 7);
  assert.ok(labels(items).includes("conv2d") && labels(items).includes("dense") && labels(items).includes("conv_block"), "layers and blocks");
  // Argument names of conv2d with their types, without those already given.
  items = await complete(base.replace("dense(512, activation: relu)", "conv2d(64, 3, )"), "conv2d(64, 3, )", 14);
  const pad = items.find((x) => x.label === "padding:");
  assert.ok(pad, "padding offered");
  assert.is(pad!.detail, "valid | same");
  assert.ok(labels(items).includes("lr") && labels(items).includes("drop"), "params offered as values");
  items = await complete(base.replace("dense(512, activation: relu)", "dense(512, units: 3)"), "dense(512, units: 3)", 11);
  assert.not.ok(labels(items).includes("units:"), "a given argument is not offered again");
  // Activations after `activation:`.
  items = await complete(base.replace("dense(512, activation: relu)", "dense(512, activation: )"), "activation: )", 12);
  assert.ok(labels(items).includes("relu") && labels(items).includes("softmax") && labels(items).includes("gelu"));
  // Losses, optimizers, strategies.
  items = await complete(base.replace("loss      categorical_crossentropy", "loss "), "loss \n", 5);
  assert.ok(labels(items).includes("sparse_categorical_crossentropy") && labels(items).includes("huber"));
  items = await complete(base.replace("optimizer adam(lr: lr)", "optimizer "), "optimizer \n", 10);
  assert.ok(labels(items).includes("adam") && labels(items).includes("sgd") && labels(items).includes("rmsprop"));
  items = await complete(base.replace("optimizer adam(lr: lr)", "optimizer sgd(lr: lr, )"), "lr: lr, )", 8);
  assert.ok(labels(items).includes("momentum:") && labels(items).includes("nesterov:"));
  items = await complete(base.replace("strategy  random(trials: 10)", "strategy "), "strategy \n", 9);
  assert.ok(labels(items).includes("hyperband") && labels(items).includes("bayesian"));
  // Param names in a value position, and the sections of a pipeline.
  items = await complete(base.replace("dropout(0.5)", "dropout()"), "dropout()", 8);
  assert.ok(labels(items).includes("drop") && labels(items).includes("rate:"));
  items = await complete(base.replace("  seed 42\n", "  seed 42\n  \n"), "  seed 42\n  \n", 12);
  assert.ok(["data", "model", "train", "param", "tune"].every((k) => labels(items).includes(k)));
});

lsp("go to definition and find references for params and blocks; document symbols", async () => {
  const text = read("pipelines/fashion_cnn.dlp");
  const { uri } = await openFresh("nav", text);
  const def = (await client.conn.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: posOf(text, "dropout(drop)", 9) })) as Location[];
  assert.equal(def.map((l) => l.range.start), [posOf(text, "drop = 0.25")]);
  const blockDef = (await client.conn.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: posOf(text, "conv_block(128)", 2) })) as Location[];
  assert.equal(blockDef.map((l) => l.range.start), [posOf(text, "conv_block(filters)")]);
  // `filters` inside the block is the block's parameter, not a pipeline param.
  const local = (await client.conn.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: posOf(text, "conv2d(filters", 8) })) as Location[];
  assert.equal(local.map((l) => l.range.start), [posOf(text, "filters) (x)")]);
  const refs = (await client.conn.sendRequest(ReferencesRequest.type, { textDocument: { uri }, position: posOf(text, "conv_block(filters)", 1), context: { includeDeclaration: false } })) as Location[];
  assert.is(refs.length, 3, "three uses of conv_block");
  const withDecl = (await client.conn.sendRequest(ReferencesRequest.type, { textDocument: { uri }, position: posOf(text, "lr   = 1e-3", 0), context: { includeDeclaration: true } })) as Location[];
  assert.equal(withDecl.map((l) => l.range.start), [posOf(text, "lr   = 1e-3"), posOf(text, "lr: lr", 4)]);
  const syms = (await client.conn.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } })) as DocumentSymbol[];
  assert.is(syms.length, 1);
  assert.is(syms[0].name, "fashion_cnn");
  const kids = syms[0].children!.map((s) => s.name);
  assert.equal(kids, ["lr", "drop", "data", "conv_block", "model", "train", "evaluate", "tune"]);
  const model = syms[0].children!.find((s) => s.name === "model")!;
  assert.is(model.detail, "→ 10");
  assert.equal(model.children!.map((s) => [s.name, s.detail]), [
    ["conv_block", "→ 14×14×32"],
    ["conv_block", "→ 7×7×64"],
    ["conv_block", "→ 3×3×128"],
    ["flatten", "→ 1152"],
    ["dense", "→ 512"],
    ["dropout", "→ 512"],
    ["dense", "→ 10"],
  ]);
});

lsp("inlay hints: each layer's output shape at the end of its line", async () => {
  const text = read("pipelines/mnist_cnn.dlp");
  const { uri } = await openFresh("inlay", text);
  const hints = (await client.conn.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 999, character: 0 } } })) as InlayHint[];
  const lines = text.split("\n");
  const got = hints.map((h) => [lines[h.position.line].trim(), h.label, h.position.character === lines[h.position.line].length]);
  assert.equal(got.slice(0, 3), [
    ["conv2d(32, 3, activation: relu)", "→ 26×26×32", true],
    ["max_pool(2)", "→ 13×13×32", true],
    ["conv2d(64, 3, activation: relu)", "→ 11×11×64", true],
  ]);
  assert.equal(got[got.length - 1], ["dense(10, activation: softmax)", "→ 10", true]);
  const ranged = (await client.conn.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range: { start: hints[1].position, end: hints[1].position } })) as InlayHint[];
  assert.is(ranged.length, 1, "only the lines asked for");
});

async function actionsFor(uri: string, d: Diagnostic): Promise<CodeAction[]> {
  return (await client.conn.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } })) as CodeAction[];
}

/** Applies a quick fix and checks the file again with the driver. */
function applyAction(text: string, uri: string, a: CodeAction): string {
  return applyEdits(text, a.edit!.changes![uri]);
}

lsp("quick fixes remove the diagnostic they fix", async () => {
  const cases: [string, string, string, string][] = [
    // file, code, action title, code that must be gone
    ["dense_on_feature_map.dlp", "DLP3003", "add `flatten()` before this layer", "DLP3003"],
    ["conv_too_small.dlp", "DLP3001", "add `padding: same` to the 3 earlier convolutions", "DLP3001"],
    ["conv_too_small.dlp", "DLP3001", "add `padding: same` to this conv2d", "DLP3001"],
    ["sparse_on_onehot.dlp", "DLP5004", "use categorical_crossentropy", "DLP5004"],
    ["bce_many_classes.dlp", "DLP5003", "use `sparse_categorical_crossentropy`", "DLP5003"],
    ["softmax_one_unit.dlp", "DLP5002", "use `activation: sigmoid`", "DLP5002"],
    ["batch_axis.dlp", "DLP4001", "remove the batch axis", "DLP4001"],
    ["channels_first.dlp", "DLP4002", "use channels-last", "DLP4002"],
  ];
  for (const [file, code, title, gone] of cases) {
    const text = read(`${GOLDEN}/${file}`);
    const { uri, diagnostics } = await openFresh(file, text);
    const d = diagnostics.find((x) => x.code === code);
    assert.ok(d, `${file}: ${code}`);
    const actions = await actionsFor(uri, d!);
    const a = actions.find((x) => x.title === title);
    assert.ok(a, `${file}: "${title}" among ${JSON.stringify(actions.map((x) => x.title))}`);
    assert.is(a!.kind, "quickfix");
    const fixed = applyAction(text, uri, a!);
    const after = compile(fixed).diagnostics.map((x) => x.code);
    assert.not.ok((after as string[]).includes(gone), `${file}: ${title} leaves ${after.join(", ")}`);
  }
});

lsp("quick fixes: every did-you-mean rename in the misspelt file, round after round", async () => {
  // A misspelt source hides the model's errors until it is fixed, as in an editor session.
  const file = "misspelt_names.dlp";
  let text = read(`${GOLDEN}/${file}`);
  const renames: string[] = [];
  for (let round = 0; round < 8; round++) {
    const { uri, diagnostics } = await openFresh(file, text);
    let applied = false;
    for (const d of diagnostics) {
      const a = (await actionsFor(uri, d)).find((x) => x.title.startsWith("rename to") || x.title.startsWith("replace with"));
      if (!a) continue;
      renames.push(a.title);
      text = applyAction(text, uri, a);
      applied = true;
      break;
    }
    if (!applied) break;
  }
  for (const r of ["rename to `fashion_mnist`", "rename to `optimizer`", "rename to `epochs`", "rename to `activation`", "rename to `flatten`"]) assert.ok(renames.includes(r), `${r} in ${JSON.stringify(renames)}`);
  assert.equal(compile(text).diagnostics.filter((d) => d.severity === "error").map((d) => d.message), []);
});

lsp.run();
