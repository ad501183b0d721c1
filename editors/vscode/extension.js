// @ts-check
// VS Code glue for `dlpc lsp`: starts the server, keeps it in sync with every open .dlp
// document (incremental changes), shows its diagnostics, and forwards hover, completion,
// definition, references, symbols, quick fixes and inlay hints to it.
"use strict";
const vscode = require("vscode");
const { existsSync } = require("node:fs");
const { join } = require("node:path");
const { LspClient } = require("./client.js");

/** @type {LspClient | undefined} */
let client;

/** The command that starts the server: the setting, else the workspace's own dlpc, else `dlpc` on PATH. */
function serverCommand() {
  const configured = vscode.workspace.getConfiguration("dlp").get("server.command");
  if (Array.isArray(configured) && configured.length > 0) return { command: String(configured[0]), args: configured.slice(1).map(String) };
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    for (const rel of ["node_modules/dlp/bin/dlpc.mjs", "bin/dlpc.mjs"]) {
      const p = join(folder.uri.fsPath, rel);
      if (existsSync(p)) return { command: "node", args: [p, "lsp"], cwd: folder.uri.fsPath };
    }
  }
  return { command: "dlpc", args: ["lsp"] };
}

const toRange = (/** @type {any} */ r) => new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
const toPosition = (/** @type {vscode.Position} */ p) => ({ line: p.line, character: p.character });
const docId = (/** @type {vscode.TextDocument} */ d) => ({ uri: d.uri.toString() });
const markdown = (/** @type {any} */ c) => (c === undefined || c === null ? undefined : new vscode.MarkdownString(typeof c === "string" ? c : c.value));

/** LSP Diagnostic → vscode.Diagnostic, related locations included. */
function toDiagnostic(/** @type {any} */ d) {
  const severity = [vscode.DiagnosticSeverity.Error, vscode.DiagnosticSeverity.Warning, vscode.DiagnosticSeverity.Information, vscode.DiagnosticSeverity.Hint][(d.severity ?? 1) - 1];
  const out = new vscode.Diagnostic(toRange(d.range), d.message, severity);
  out.source = d.source;
  out.code = d.codeDescription ? { value: d.code, target: vscode.Uri.parse(d.codeDescription.href) } : d.code;
  out.relatedInformation = (d.relatedInformation ?? []).map(
    (/** @type {any} */ r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(vscode.Uri.parse(r.location.uri), toRange(r.location.range)), r.message),
  );
  return out;
}

const toLocation = (/** @type {any} */ l) => new vscode.Location(vscode.Uri.parse(l.uri), toRange(l.range));

function toSymbol(/** @type {any} */ s) {
  const sym = new vscode.DocumentSymbol(s.name, s.detail ?? "", s.kind - 1, toRange(s.range), toRange(s.selectionRange));
  sym.children = (s.children ?? []).map(toSymbol);
  return sym;
}

function toCompletion(/** @type {any} */ c) {
  const item = new vscode.CompletionItem(c.label, c.kind ? c.kind - 1 : undefined);
  item.detail = c.detail;
  item.documentation = markdown(c.documentation);
  if (c.insertText) item.insertText = c.insertText;
  if (c.filterText) item.filterText = c.filterText;
  if (c.sortText) item.sortText = c.sortText;
  return item;
}

function toCodeAction(/** @type {any} */ a, /** @type {readonly vscode.Diagnostic[]} */ diagnostics) {
  const action = new vscode.CodeAction(a.title, vscode.CodeActionKind.QuickFix);
  const edit = new vscode.WorkspaceEdit();
  for (const [uri, edits] of Object.entries(a.edit?.changes ?? {})) for (const e of /** @type {any[]} */ (edits)) edit.replace(vscode.Uri.parse(uri), toRange(e.range), e.newText);
  action.edit = edit;
  action.isPreferred = !!a.isPreferred;
  const codes = new Set((a.diagnostics ?? []).map((/** @type {any} */ d) => d.code));
  action.diagnostics = diagnostics.filter((d) => codes.has(typeof d.code === "object" && d.code ? d.code.value : d.code));
  return action;
}

/** @param {vscode.ExtensionContext} context */
async function activate(context) {
  const output = vscode.window.createOutputChannel("dlp");
  const diagnostics = vscode.languages.createDiagnosticCollection("dlp");
  context.subscriptions.push(output, diagnostics);
  const { command, args, cwd } = /** @type {{command: string, args: string[], cwd?: string}} */ (serverCommand());
  output.appendLine(`starting ${command} ${args.join(" ")}`);
  client = new LspClient(command, args, { cwd });
  const c = client;
  c.on("log", (s) => output.append(s));
  c.on("exit", (code) => output.appendLine(`dlpc lsp exited (${code})`));
  c.on("notification", (method, params) => {
    if (method === "textDocument/publishDiagnostics") diagnostics.set(vscode.Uri.parse(params.uri), params.diagnostics.map(toDiagnostic));
  });
  const folder = vscode.workspace.workspaceFolders?.[0];
  await c.initialize(folder ? folder.uri.toString() : null, {});

  const isDlp = (/** @type {vscode.TextDocument} */ d) => d.languageId === "dlp";
  const open = (/** @type {vscode.TextDocument} */ d) => {
    if (isDlp(d)) c.notify("textDocument/didOpen", { textDocument: { uri: d.uri.toString(), languageId: "dlp", version: d.version, text: d.getText() } });
  };
  vscode.workspace.textDocuments.forEach(open);
  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument(open),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (!isDlp(e.document) || e.contentChanges.length === 0) return;
      c.notify("textDocument/didChange", {
        textDocument: { uri: e.document.uri.toString(), version: e.document.version },
        contentChanges: e.contentChanges.map((ch) => ({ range: { start: toPosition(ch.range.start), end: toPosition(ch.range.end) }, text: ch.text })),
      });
    }),
    vscode.workspace.onDidCloseTextDocument((d) => {
      if (!isDlp(d)) return;
      c.notify("textDocument/didClose", { textDocument: docId(d) });
      diagnostics.delete(d.uri);
    }),
  );

  const selector = { language: "dlp" };
  const ask = async (/** @type {string} */ method, /** @type {object} */ params) => {
    try {
      return await c.request(method, params);
    } catch (e) {
      output.appendLine(`${method}: ${/** @type {Error} */ (e).message}`);
      return null;
    }
  };
  context.subscriptions.push(
    vscode.languages.registerHoverProvider(selector, {
      async provideHover(doc, pos) {
        const h = await ask("textDocument/hover", { textDocument: docId(doc), position: toPosition(pos) });
        return h ? new vscode.Hover(/** @type {vscode.MarkdownString} */ (markdown(h.contents)), h.range ? toRange(h.range) : undefined) : undefined;
      },
    }),
    vscode.languages.registerCompletionItemProvider(
      selector,
      {
        async provideCompletionItems(doc, pos) {
          const r = await ask("textDocument/completion", { textDocument: docId(doc), position: toPosition(pos) });
          return (Array.isArray(r) ? r : r?.items ?? []).map(toCompletion);
        },
      },
      "(", ",", ":", ">", " ",
    ),
    vscode.languages.registerDefinitionProvider(selector, {
      async provideDefinition(doc, pos) {
        return ((await ask("textDocument/definition", { textDocument: docId(doc), position: toPosition(pos) })) ?? []).map(toLocation);
      },
    }),
    vscode.languages.registerReferenceProvider(selector, {
      async provideReferences(doc, pos, ctx) {
        return ((await ask("textDocument/references", { textDocument: docId(doc), position: toPosition(pos), context: { includeDeclaration: ctx.includeDeclaration } })) ?? []).map(toLocation);
      },
    }),
    vscode.languages.registerDocumentSymbolProvider(selector, {
      async provideDocumentSymbols(doc) {
        return ((await ask("textDocument/documentSymbol", { textDocument: docId(doc) })) ?? []).map(toSymbol);
      },
    }),
    vscode.languages.registerCodeActionsProvider(
      selector,
      {
        async provideCodeActions(doc, range, ctx) {
          const r = await ask("textDocument/codeAction", { textDocument: docId(doc), range: { start: toPosition(range.start), end: toPosition(range.end) }, context: { diagnostics: [] } });
          return (r ?? []).map((/** @type {any} */ a) => toCodeAction(a, ctx.diagnostics));
        },
      },
      { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] },
    ),
    vscode.languages.registerInlayHintsProvider(selector, {
      async provideInlayHints(doc, range) {
        const r = await ask("textDocument/inlayHint", { textDocument: docId(doc), range: { start: toPosition(range.start), end: toPosition(range.end) } });
        return (r ?? []).map((/** @type {any} */ h) => {
          const hint = new vscode.InlayHint(new vscode.Position(h.position.line, h.position.character), h.label, vscode.InlayHintKind.Type);
          hint.paddingLeft = !!h.paddingLeft;
          if (h.tooltip) hint.tooltip = h.tooltip;
          return hint;
        });
      },
    }),
  );
}

async function deactivate() {
  if (client) await client.stop();
  client = undefined;
}

module.exports = { activate, deactivate, toDiagnostic, serverCommand };
