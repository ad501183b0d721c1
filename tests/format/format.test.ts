// dlpc fmt: canonical layout that keeps every comment, is idempotent, and preserves meaning
// (same summary, same emitted TypeScript, same diagnostics) over every .dlp in the repo.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, cpSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { CODES } from "../../compiler/diagnostics/codes.ts";
import { formatDlp } from "../../compiler/format/format.ts";
import { compile } from "../../compiler/driver.ts";
import { summaryJson } from "../../compiler/summary.ts";
import { emitPipeline } from "../../compiler/codegen/emit.ts";
import { parseDlp } from "../../grammar/parser.ts";
import { dlpFiles } from "../dlp_files.ts";

const FILES = [...dlpFiles("pipelines"), ...dlpFiles("tests/golden")];

function meaning(text: string, file: string) {
  const r = compile(text, { file });
  return {
    diagnostics: r.diagnostics.map((d) => `${d.severity} ${d.code} ${d.message} | ${d.notes.join(" ")} | ${d.help ?? ""}`),
    summary: r.checked?.model ? JSON.stringify(summaryJson(r.checked)) : undefined,
    emitted: r.checked && !r.hasErrors ? emitPipeline(r.checked, file, "hash") : undefined,
  };
}

const comments = (text: string) => parseDlp(text).comments.map((c) => c.image.trimEnd());

// Each file is formatted once and shared by the tests below.
const FORMATTED = new Map(FILES.map((f) => {
  const text = readFileSync(f, "utf8");
  return [f, { text, r: formatDlp(text) }] as const;
}));

test("every file formats, except exactly those with syntax errors", () => {
  assert.ok(FILES.length >= 25, `found ${FILES.length} files`);
  const refused = [...FORMATTED].filter(([, v]) => !v.r.ok).map(([f]) => f);
  const broken = [...FORMATTED].filter(([, v]) => parseDlp(v.text).errors.length > 0).map(([f]) => f);
  assert.equal(refused, broken);
  assert.ok(refused.includes("tests/golden/errors/syntax_errors.dlp"));
  for (const f of refused) {
    const r = FORMATTED.get(f)!.r;
    assert.ok(!r.ok && r.errors.length > 0 && r.errors.every((e) => /^DLP100[1-4]$/.test(e.code)), f);
  }
});

test("fmt is idempotent and keeps every comment", () => {
  for (const [f, { text, r: once }] of FORMATTED) {
    if (!once.ok) continue;
    const twice = formatDlp(once.text);
    assert.ok(twice.ok, f);
    if (twice.ok) {
      assert.is(twice.text, once.text, `${f}: fmt of fmt differs`);
      assert.not.ok(twice.changed, f);
    }
    assert.equal(comments(once.text), comments(text), `${f}: comments changed`);
  }
});

test("fmt preserves meaning: same summary, emitted TypeScript and diagnostics", () => {
  let withSummary = 0;
  for (const [f, { text, r }] of FORMATTED) {
    if (!r.ok) continue;
    const a = meaning(text, f);
    const b = meaning(r.text, f);
    assert.equal(b.diagnostics, a.diagnostics, `${f}: diagnostics differ`);
    assert.is(b.summary, a.summary, `${f}: summary differs`);
    assert.is(b.emitted, a.emitted, `${f}: emitted code differs`);
    if (a.summary) withSummary++;
  }
  assert.ok(withSummary >= 7, `only ${withSummary} files had a summary`);
});

// Whitespace inside a line and indentation carry no meaning, so they cannot change the output.
test("output does not depend on spacing or indentation", () => {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (const [f, { text, r: want }] of FORMATTED) {
    if (!want.ok) continue;
    const parsed = parseDlp(text);
    const toks = [...parsed.tokens, ...parsed.comments].sort((x, y) => x.startOffset - y.startOffset);
    let out = "";
    let at = 0;
    for (const t of toks) {
      const gap = text.slice(at, t.startOffset);
      if (t.tokenType.name === "Newline" || gap.includes("\n")) out += gap;
      else out += rand() < 0.5 ? gap : " ".repeat(Math.floor(rand() * 3) + (gap.length ? 1 : 0));
      let img = text.slice(t.startOffset, t.endOffset! + 1);
      if (t.tokenType.name === "Newline") img += " ".repeat(Math.floor(rand() * 6));
      out += img;
      at = t.endOffset! + 1;
    }
    out += text.slice(at);
    const got = formatDlp(out);
    assert.ok(got.ok, `${f} mangled: ${out}`);
    if (got.ok) assert.is(got.text, want.text, f);
  }
});

const UGLY = `/* header
   comment */
// lead


pipeline   ugly{    // trailing on pipeline
  seed 42 ;
  param lr=1e-3   tune log_uniform( 1e-4 ,1e-2 )// lr
  param k = -3 tune choice(1,- 2, 3)   // k
  data
  {
source mnist
 x = images/255 as image[ 28,28,1 ]
    y = labels as class ( 10 )
    split validation 10% stratified
    augment train{rotate 10deg;shift 0.1 ; zoom 0.9 .. 1.2}
  }


  block res( f )   ( x ) {
    h = x |> conv2d(f, 3,
       padding: same)   /* inline */ |> relu()
          |> batch_norm()
    // before return

    return relu( add(x,h) )
  }
  model { conv2d(8, 3, padding: same) ; res(8); flatten()
  dense(10, activation: softmax) }
  train { loss sparse_categorical_crossentropy;;; batch 0; }
  // end of pipeline
}
// trailing file comment
`;

const UGLY_FORMATTED = `/* header
   comment */
// lead

pipeline ugly { // trailing on pipeline
  seed 42
  param lr = 1e-3 tune log_uniform(1e-4, 1e-2) // lr
  param k  = -3   tune choice(1, -2, 3)        // k
  data {
    source mnist
    x = images / 255 as image[28, 28, 1]
    y = labels as class(10)
    split validation 10% stratified
    augment train { rotate 10deg; shift 0.1; zoom 0.9..1.2 }
  }

  block res(f) (x) {
    h = x |> conv2d(f, 3,
        padding: same) /* inline */ |> relu()
        |> batch_norm()
    // before return

    return relu(add(x, h))
  }
  model {
    conv2d(8, 3, padding: same)
    res(8)
    flatten()
    dense(10, activation: softmax)
  }
  train { loss sparse_categorical_crossentropy; batch 0 }
  // end of pipeline
}
// trailing file comment
`;

test("canonical layout of a messy file", () => {
  const r = formatDlp(UGLY);
  assert.ok(r.ok);
  if (r.ok) assert.fixture(r.text, UGLY_FORMATTED);
  assert.equal(comments(UGLY_FORMATTED), comments(UGLY));
});

test("operators, unary minus, ranges, members and calls", () => {
  const src = "pipeline p {\n  param a = -1+2*(3-4) tune int(1..10 step 2)\n  param b = not true and a>=2 or a!=3\n  x = y.z[1,2] |> f( - a )\n}\n";
  const r = formatDlp(src);
  assert.ok(r.ok);
  if (r.ok) assert.is(r.text, "pipeline p {\n  param a = -1 + 2 * (3 - 4) tune int(1..10 step 2)\n  param b = not true and a >= 2 or a != 3\n  x = y.z[1, 2] |> f(-a)\n}\n");
});

test("consecutive settings, assignments and params line up in columns; a blank line or another statement ends the run", () => {
  const src = "pipeline p {\n  param units = 64 tune choice(32, 64)\n  param lr = 1e-3 tune log_uniform(1e-4, 1e-2) when units > 32\n  param n = 2\n\n  data {\n    source mnist\n    x = images / 255 as vector[784]\n    labels_y = labels as class(10)\n  }\n  train {\n    loss sparse_categorical_crossentropy\n    optimizer adam(lr: lr)\n    early_stop(patience: 2)\n    epochs 3\n  }\n}\n";
  const r = formatDlp(src);
  assert.ok(r.ok);
  if (r.ok) {
    assert.is(
      r.text,
      "pipeline p {\n  param units = 64   tune choice(32, 64)\n  param lr    = 1e-3 tune log_uniform(1e-4, 1e-2) when units > 32\n  param n     = 2\n\n  data {\n    source mnist\n    x        = images / 255 as vector[784]\n    labels_y = labels as class(10)\n  }\n  train {\n    loss      sparse_categorical_crossentropy\n    optimizer adam(lr: lr)\n    early_stop(patience: 2)\n    epochs 3\n  }\n}\n",
    );
    const again = formatDlp(r.text);
    assert.ok(again.ok && again.text === r.text, "alignment is idempotent");
  }
});

test("the shipped pipelines are in canonical format", () => {
  const r = dlpc(["fmt", "--check", "pipelines"]);
  assert.is(r.code, 0, r.stdout + r.stderr);
});

test("syntax errors are reported with positions, never formatted", () => {
  const r = formatDlp("pipeline p {\n  model { dense(10 }\n");
  assert.not.ok(r.ok);
  if (!r.ok) {
    assert.ok(r.errors.length > 0);
    assert.ok(r.errors.every((e) => CODES[e.code].phase === "syntax" && e.span.start >= 0));
  }
});

test("empty and comment-only files", () => {
  const e = formatDlp("");
  assert.ok(e.ok && e.text === "");
  const c = formatDlp("\n\n// only a comment   \n\n\n/* and a block */\n\n");
  assert.ok(c.ok);
  if (c.ok) assert.is(c.text, "// only a comment\n\n/* and a block */\n");
});

// ---------------------------------------------------------------- the CLI

const DLPC = join(process.cwd(), "bin/dlpc.mjs");
function dlpc(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [DLPC, ...args], { encoding: "utf8", input, env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("dlpc fmt --check names the files that would change and writes nothing; fmt rewrites them", () => {
  const dir = mkdtempSync(join(tmpdir(), "dlp-fmt-"));
  const ugly = join(dir, "ugly.dlp");
  const clean = join(dir, "clean.dlp");
  writeFileSync(ugly, UGLY);
  writeFileSync(clean, UGLY_FORMATTED);
  const check = dlpc(["fmt", "--check", ugly, clean]);
  assert.is(check.code, 1, check.stderr);
  assert.ok(check.stdout.includes(ugly), check.stdout);
  assert.not.ok(check.stdout.includes(clean), check.stdout);
  assert.is(readFileSync(ugly, "utf8"), UGLY);

  const cleanMtime = statSync(clean).mtimeMs;
  const fmt = dlpc(["fmt", dir]);
  assert.is(fmt.code, 0, fmt.stderr);
  assert.is(readFileSync(ugly, "utf8"), UGLY_FORMATTED);
  assert.is(statSync(clean).mtimeMs, cleanMtime, "an already formatted file is not rewritten");
  assert.equal(readdirSync(dir).sort(), ["clean.dlp", "ugly.dlp"], "no temporary files left behind");
  const again = dlpc(["fmt", "--check", dir]);
  assert.is(again.code, 0, again.stdout + again.stderr);
});

test("dlpc fmt leaves a file with syntax errors alone and prints its diagnostics", () => {
  const dir = mkdtempSync(join(tmpdir(), "dlp-fmt-"));
  cpSync("tests/golden/errors/syntax_errors.dlp", join(dir, "broken.dlp"));
  const before = readFileSync(join(dir, "broken.dlp"), "utf8");
  const r = dlpc(["fmt", join(dir, "broken.dlp")]);
  assert.is(r.code, 1);
  assert.ok(r.stderr.includes(`${join(dir, "broken.dlp")}:8:17`), r.stderr);
  assert.ok(r.stderr.includes("error[DLP1002]: unterminated string"), r.stderr);
  assert.ok(r.stderr.includes("was not formatted"), r.stderr);
  assert.not.ok(r.stderr.includes("    at "), "no stack trace");
  assert.is(readFileSync(join(dir, "broken.dlp"), "utf8"), before);
});

test("dlpc fmt: stdin, missing files and usage", () => {
  const s = dlpc(["fmt", "-"], UGLY);
  assert.is(s.code, 0, s.stderr);
  assert.is(s.stdout, UGLY_FORMATTED);
  const missing = dlpc(["fmt", "no/such/file.dlp"]);
  assert.is(missing.code, 1);
  assert.ok(missing.stderr.includes("no such file: no/such/file.dlp"), missing.stderr);
  assert.is(dlpc(["fmt"]).code, 2);
  assert.is(dlpc(["fmt", "-o", "x", "a.dlp"]).code, 2);
});

test.run();
