// Shared helpers of the browser tests: headless Chromium (Debian's /usr/bin/chromium through
// puppeteer-core, no bundled browser) and a static file server on 127.0.0.1.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, resolve, sep } from "node:path";
import { promisify } from "node:util";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Launches headless Chromium. CI runs as root, where Chromium refuses to start without
 * --no-sandbox; /dev/shm is small in containers, hence --disable-dev-shm-usage.
 */
export async function launchChromium(executable: string = CHROMIUM): Promise<Browser> {
  if (!existsSync(executable)) {
    throw new Error(`the browser tests need Chromium at ${executable}: install it with \`apt-get install chromium\`, or set CHROMIUM_PATH to a Chromium binary`);
  }
  try {
    return await puppeteer.launch({
      executablePath: executable,
      headless: true,
      args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run", "--no-default-browser-check"],
      timeout: 60_000,
    });
  } catch (e) {
    throw new Error(`cannot start Chromium (${executable}): ${(e as Error).message.split("\n")[0]}`);
  }
}

/** A new page that records console errors and uncaught exceptions, so tests can assert none. */
export async function openPage(browser: Browser, errors: string[]): Promise<Page> {
  const page = await browser.newPage();
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => { errors.push(`page: ${(e as Error).message ?? String(e)}`); });
  page.on("requestfailed", (r) => { errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ""}`); });
  return page;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".json": "application/json",
  ".bin": "application/octet-stream", ".png": "image/png", ".jpg": "image/jpeg", ".css": "text/css",
};

export interface StaticServer {
  url: string;
  /** Every path requested, in order (tests check what the page fetched). */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Serves folders over http://127.0.0.1:<free port>/. `mounts` maps a URL prefix ("/run/") to a
 * folder or a single file; paths that escape their folder get 403, missing ones 404.
 */
export async function serveStatic(mounts: Record<string, string>): Promise<StaticServer> {
  const requests: string[] = [];
  const entries = Object.entries(mounts).sort((a, b) => b[0].length - a[0].length);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    requests.push(path);
    const hit = entries.find(([prefix]) => path === prefix || path.startsWith(prefix.endsWith("/") ? prefix : `${prefix}/`));
    if (!hit) { res.writeHead(404).end("not found"); return; }
    const [prefix, target] = hit;
    const root = resolve(target);
    let file = root;
    if (!existsSync(root)) { res.writeHead(404).end("not found"); return; }
    if (statSync(root).isDirectory()) {
      file = resolve(root, `.${sep}${path.slice(prefix.length)}`);
      if (file !== root && !file.startsWith(root + sep)) { res.writeHead(403).end("forbidden"); return; }
      if (existsSync(file) && statSync(file).isDirectory()) file = resolve(file, "index.html");
    }
    if (!existsSync(file)) { res.writeHead(404).end("not found"); return; }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

const execFileP = promisify(execFile);

const temps: string[] = [];
/**
 * A temporary folder removed when the process exits; DLP_KEEP_TMP=1 keeps them (the report
 * test's screenshots, the trained runs) for a look afterwards.
 */
export function tempDir(prefix: string, base: string = tmpdir()): string {
  mkdirSync(base, { recursive: true });
  const d = mkdtempSync(join(base, prefix));
  if (temps.length === 0 && !process.env.DLP_KEEP_TMP) process.on("exit", () => { for (const t of temps) rmSync(t, { recursive: true, force: true }); });
  temps.push(d);
  return d;
}

/**
 * Pipelines trained by the real CLI (`dlpc run FILE --limit N --epochs E --backend wasm`) on
 * the embedded MNIST digits, cached per process so the test files of this folder share them.
 */
const runs = new Map<string, Promise<{ out: string; dir: string; stderr: string }>>();
export function dlpcRun(file: string, pipeline: string, limit: number, epochs: number): Promise<{ out: string; dir: string; stderr: string }> {
  const key = `${file} ${limit} ${epochs}`;
  let r = runs.get(key);
  if (!r) {
    r = (async () => {
      const out = tempDir("dlp-browser-");
      const args = ["bin/dlpc.mjs", "run", file, "--limit", String(limit), "--epochs", String(epochs), "--backend", "wasm", "--out", out];
      const done = await execFileP(process.execPath, args, { maxBuffer: 1 << 24 }).catch((e: { stderr?: string; message: string }) => {
        throw new Error(`dlpc ${args.slice(1).join(" ")} failed: ${e.stderr ?? e.message}`);
      });
      return { out, dir: join(out, pipeline), stderr: done.stderr };
    })();
    runs.set(key, r);
  }
  return r;
}

/** The tiny CNN of fixtures/, 2 epochs on 600 digits: what the export and report tests open. */
export const trainedRun = (): Promise<{ out: string; dir: string; stderr: string }> => dlpcRun("tests/browser/fixtures/tiny_cnn.dlp", "tiny_cnn", 600, 2);
