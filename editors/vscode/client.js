// @ts-check
// A small LSP client for `dlpc lsp`: JSON-RPC 2.0 over the server's stdio with
// Content-Length framing. It depends on nothing but Node, so the .vsix ships without
// node_modules (vsce --no-dependencies) and the extension host needs no install step.
"use strict";
const { spawn } = require("node:child_process");
const { EventEmitter } = require("node:events");

class LspClient extends EventEmitter {
  /**
   * @param {string} command
   * @param {string[]} args
   * @param {{ cwd?: string, env?: NodeJS.ProcessEnv }} [options]
   */
  constructor(command, args, options = {}) {
    super();
    this.nextId = 1;
    /** @type {Map<number, { resolve: (v: any) => void, reject: (e: Error) => void, method: string }>} */
    this.pending = new Map();
    this.buffer = Buffer.alloc(0);
    this.closed = false;
    this.proc = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    this.proc.stdout.on("data", (chunk) => this.onData(chunk));
    this.proc.stderr.on("data", (chunk) => this.emit("log", String(chunk)));
    this.proc.on("error", (e) => this.fail(e));
    this.proc.on("exit", (code) => {
      this.fail(new Error(`dlpc lsp exited with code ${code}`));
      this.emit("exit", code);
    });
  }

  /** @param {Error} e */
  fail(e) {
    this.closed = true;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** @param {Buffer} chunk */
  onData(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString("ascii");
      const m = /Content-Length:\s*(\d+)/i.exec(header);
      if (!m) {
        this.buffer = this.buffer.subarray(headerEnd + 4); // skip a header block we cannot read
        continue;
      }
      const length = Number(m[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString("utf8");
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      let msg;
      try {
        msg = JSON.parse(body);
      } catch {
        this.emit("log", `unreadable message from dlpc lsp: ${body.slice(0, 200)}`);
        continue;
      }
      this.dispatch(msg);
    }
  }

  /** @param {any} msg */
  dispatch(msg) {
    if (msg.id !== undefined && msg.method === undefined) {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(Object.assign(new Error(`${p.method}: ${msg.error.message}`), { code: msg.error.code }));
      else p.resolve(msg.result);
      return;
    }
    if (msg.method !== undefined && msg.id !== undefined) {
      // Server → client requests (workspace/configuration, …): answer so the server never waits.
      this.write({ jsonrpc: "2.0", id: msg.id, result: null });
      return;
    }
    if (msg.method) this.emit("notification", msg.method, msg.params);
  }

  /** @param {object} msg */
  write(msg) {
    if (this.closed) return;
    const body = Buffer.from(JSON.stringify(msg), "utf8");
    this.proc.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.proc.stdin.write(body);
  }

  /**
   * @param {string} method
   * @param {unknown} [params]
   * @returns {Promise<any>}
   */
  request(method, params) {
    if (this.closed) return Promise.reject(new Error("dlpc lsp is not running"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.write({ jsonrpc: "2.0", id, method, params });
    });
  }

  /**
   * @param {string} method
   * @param {unknown} [params]
   */
  notify(method, params) {
    this.write({ jsonrpc: "2.0", method, params });
  }

  /** @param {object} [initializationOptions] */
  async initialize(rootUri, initializationOptions = {}) {
    const result = await this.request("initialize", {
      processId: process.pid,
      clientInfo: { name: "dlp-vscode" },
      rootUri,
      capabilities: {
        textDocument: {
          synchronization: { didSave: false },
          publishDiagnostics: { relatedInformation: true, codeDescriptionSupport: true },
          hover: { contentFormat: ["markdown", "plaintext"] },
          completion: { completionItem: { snippetSupport: false } },
          inlayHint: {},
          codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ["quickfix"] } } },
        },
      },
      initializationOptions,
    });
    this.notify("initialized", {});
    return result;
  }

  /** shutdown + exit; resolves with the server's exit code. */
  async stop() {
    if (this.closed) return this.proc.exitCode;
    const exited = new Promise((r) => this.proc.once("exit", r));
    try {
      await this.request("shutdown");
      this.notify("exit");
    } catch {
      this.proc.kill();
    }
    return exited;
  }
}

module.exports = { LspClient };
