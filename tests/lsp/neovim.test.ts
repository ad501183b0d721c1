// End to end in a real editor no one here wrote: Neovim 0.7 from Debian, headless, attaches
// `dlpc lsp` through its built-in LSP client (vim.lsp.start_client / buf_attach_client),
// opens a pipeline with a shape error and reports what vim.diagnostic.get() holds; then
// edits the buffer (Neovim's incremental didChange) and hovers.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./client.ts";

interface NvimDiagnostic {
  lnum: number;
  col: number;
  end_lnum: number;
  end_col: number;
  severity: number;
  message: string;
  source: string;
  code: string;
}
interface NvimResult {
  error?: string;
  attached: boolean;
  moved: boolean;
  server: boolean;
  open: NvimDiagnostic[];
  after_edit: NvimDiagnostic[];
  hover: string;
}

test("Neovim's built-in client shows the shape error at the right line and column", () => {
  const nvim = spawnSync("nvim", ["--version"], { encoding: "utf8" });
  assert.ok(nvim.status === 0, "nvim is installed (Debian package `neovim`; .ci/run installs it)");
  assert.match(nvim.stdout, /NVIM v0\.\d+/);
  const home = mkdtempSync(join(tmpdir(), "dlp-nvim-"));
  try {
    const out = join(home, "result.json");
    const r = spawnSync("nvim", ["--headless", "--clean", "-c", `luafile ${join(ROOT, "tests/lsp/fixtures/nvim_attach.lua")}`], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 150_000,
      env: { ...process.env, DLP_ROOT: ROOT, DLP_NVIM_FILE: join(ROOT, "tests/golden/errors/conv_too_small.dlp"), DLP_NVIM_OUT: out, XDG_CACHE_HOME: home, XDG_STATE_HOME: home, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home },
    });
    assert.is(r.status, 0, `nvim exited with ${r.status}: ${r.stderr}`);
    const res = JSON.parse(readFileSync(out, "utf8")) as NvimResult;
    assert.is(res.error, undefined, res.error);
    assert.ok(res.attached, "diagnostics arrived");
    assert.ok(res.server, "the server announced hover support to Neovim");
    // `dlpc check` reports conv_too_small.dlp:14:5 to 14:19; Neovim's positions are 0-based.
    assert.is(res.open.length, 1);
    const d = res.open[0];
    assert.equal([d.lnum, d.col, d.end_lnum, d.end_col], [13, 4, 13, 18]);
    assert.is(d.severity, 1, "vim.diagnostic.severity.ERROR");
    assert.is(d.code, "DLP3001");
    assert.is(d.source, "dlpc");
    assert.match(d.message, "conv2d kernel 3×3 is larger than its 1×1 input");
    // Two lines inserted above: the error follows the layer.
    assert.ok(res.moved, "the diagnostic moved with the edit");
    assert.equal(res.after_edit.map((x) => [x.code, x.lnum, x.col]), [["DLP3001", 15, 4]]);
    assert.match(res.hover, "5×5×32 → **3×3×64** · 18,496 params");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test.run();
