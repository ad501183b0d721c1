// `dlpc run` as a user runs it, in a child process: `run x.dlp` and `compile x.dlp && run
// build/x.ts` train the same model; run reuses an up-to-date build/ output and recompiles when the
// .dlp changed; stdout holds only the result line (no tfjs banner); a file with errors trains
// nothing; a failed run (bad data, diverging loss) leaves an earlier run in DIR/ untouched; Ctrl-C
// stops after the current batch, keeps the best weights, saves, and exits 130.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DLPC, dlpc, scratchDir, show } from "./compiled.ts";

const mlp = (units: number, extra = ""): string => `pipeline tiny {
  seed 3
  data {
    source mnist
    x = images / 255 as vector[784]
    y = labels as class(10)
    split validation 10%
  }
  model {
    dense(${units}, activation: relu)
    dense(10, activation: softmax)
  }
  train {
    loss      sparse_categorical_crossentropy
    optimizer adam(lr: 1e-3)
    batch     32
    epochs    2
    metrics   accuracy
    ${extra}
  }
  evaluate test { accuracy, confusion_matrix }
}
`;

const files = (dir: string): Record<string, string> =>
  Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f)).toString("base64")]));

test("run x.dlp ≡ compile x.dlp && run build/x.ts; build/ reused while up to date, recompiled after an edit; stdout clean", () => {
  const cwd = scratchDir("cli-run");
  writeFileSync(join(cwd, "x.dlp"), mlp(32));
  const c = dlpc(cwd, "compile", "x.dlp");
  assert.is(c.code, 0, show(c));
  const built = join(cwd, "build", "tiny.ts");
  const before = { text: readFileSync(built, "utf8"), mtime: statSync(built).mtimeMs };

  const a = dlpc(cwd, "run", "x.dlp", "--backend", "wasm", "--limit", "400", "--out", "a");
  assert.is(a.code, 0, show(a));
  assert.match(a.stderr, /using build\/tiny\.ts \(up to date with x\.dlp\)/);
  assert.is(statSync(built).mtimeMs, before.mtime, "build/tiny.ts was not rewritten");
  assert.is(a.stdout, `saved to ${join(cwd, "a", "tiny")}\n`);

  const b = dlpc(cwd, "run", "build/tiny.ts", "--backend", "wasm", "--limit", "400", "--out", "b");
  assert.is(b.code, 0, show(b));
  const ra = join(cwd, "a", "tiny"), rb = join(cwd, "b", "tiny");
  for (const f of ["history.json", "weights.bin", "model.json"]) assert.ok(readFileSync(join(ra, f)).equals(readFileSync(join(rb, f))), `${f} differs between run x.dlp and run build/tiny.ts`);
  const ma = JSON.parse(readFileSync(join(ra, "metrics.json"), "utf8")), mb = JSON.parse(readFileSync(join(rb, "metrics.json"), "utf8"));
  assert.equal(ma.test, mb.test);
  assert.is(ma.params, 784 * 32 + 32 + 32 * 10 + 10);

  // An edit makes the build stale: run recompiles, and trains the new model. The cpu backend's
  // "install our node backend" banner must not reach stdout (nor stderr).
  writeFileSync(join(cwd, "x.dlp"), mlp(16));
  const e = dlpc(cwd, "run", "x.dlp", "--backend", "cpu", "--limit", "200", "--epochs", "1", "--out", "a");
  assert.is(e.code, 0, show(e));
  assert.match(e.stderr, /compiled x\.dlp -> build\/tiny\.ts/);
  assert.is(e.stdout, `saved to ${ra}\n`);
  assert.not.match(e.stderr, /Hi, looks like you are running TensorFlow\.js/);
  assert.match(e.stderr, /backend: cpu/);
  assert.is.not(readFileSync(built, "utf8"), before.text);
  assert.is(JSON.parse(readFileSync(join(ra, "metrics.json"), "utf8")).params, 784 * 16 + 16 + 16 * 10 + 10);
  assert.is(JSON.parse(readFileSync(join(ra, "metrics.json"), "utf8")).backend, "cpu");
});

test("run on a file with errors prints the diagnostics and trains nothing", () => {
  const cwd = scratchDir("cli-errors");
  writeFileSync(join(cwd, "bad.dlp"), mlp(32).replace("dense(10, activation: softmax)", "dense(10, activation: softmax)\n    conv2d(8, 3)"));
  const r = dlpc(cwd, "run", "bad.dlp", "--out", "out");
  assert.is(r.code, 1, show(r));
  assert.match(r.stderr, /error\[DLP\d+\]/);
  assert.match(r.stderr, /bad\.dlp:\d+:\d+/);
  assert.not.match(r.stderr, /backend:|epoch 1/);
  assert.is(r.stdout, "");
  assert.not.ok(existsSync(join(cwd, "out")), "no run folder");
  assert.not.ok(existsSync(join(cwd, "build", "tiny.ts")), "nothing compiled");
});

const csvPipeline = `pipeline flowers {
  seed 1
  param lr = 0.05
  data {
    source csv("flowers.csv", label: "kind")
    x = (features |> standardize()) as vector[2]
    y = labels as class(2)
    split validation 20%
  }
  model { dense(2, activation: softmax) }
  train {
    loss sparse_categorical_crossentropy
    optimizer sgd(lr: lr)
    batch 8
    epochs 2
  }
  evaluate validation { accuracy }
}
`;

test("a failed run (bad data, diverging loss) leaves the earlier run in DIR/ untouched", () => {
  const cwd = scratchDir("cli-failed");
  const rows = Array.from({ length: 40 }, (_, i) => `${i % 2 ? 1 + i / 40 : -1 - i / 40},${(i * 7) % 5},${i % 2 ? "b" : "a"}`);
  writeFileSync(join(cwd, "flowers.csv"), `x1,x2,kind\n${rows.join("\n")}\n`);
  writeFileSync(join(cwd, "flowers.dlp"), csvPipeline);
  const ok = dlpc(cwd, "run", "flowers.dlp", "--backend", "wasm", "--out", "out");
  assert.is(ok.code, 0, show(ok));
  const dir = join(cwd, "out", "flowers");
  const saved = files(dir);
  assert.ok("model.json" in saved && "weights.bin" in saved && "metrics.json" in saved && "history.json" in saved, Object.keys(saved).join(", "));

  // A non-numeric cell: caught by the check that `dlpc run` starts with (the data file is read
  // at check time), naming the file and line, before training; no stack trace.
  writeFileSync(join(cwd, "flowers.csv"), `x1,x2,kind\n${rows.slice(0, 10).join("\n")}\n1,oops,a\n${rows.slice(10).join("\n")}\n`);
  const bad = dlpc(cwd, "run", "flowers.dlp", "--backend", "wasm", "--out", "out");
  assert.is(bad.code, 1, show(bad));
  assert.match(bad.stderr, /error\[DLP4010\]: the data file is malformed/);
  assert.match(bad.stderr, /flowers\.csv:12: column "x2" is not a number: "oops"/);
  assert.not.match(bad.stderr, /^\s+at /m);
  assert.not.match(bad.stderr, /epoch 1\//);
  assert.equal(files(dir), saved, "bad data: the earlier run is unchanged");

  // A loss that diverges in the first epoch: no epoch to keep, nothing written.
  writeFileSync(join(cwd, "flowers.csv"), `x1,x2,kind\n${rows.join("\n")}\n`);
  const nan = dlpc(cwd, "run", "flowers.dlp", "--backend", "wasm", "--out", "out", "--set", "lr=1e39");
  assert.is(nan.code, 1, show(nan));
  assert.match(nan.stderr, /loss became (NaN|infinite) at epoch 1, batch \d+ of \d+/);
  assert.equal(files(dir), saved, "diverged: the earlier run is unchanged");
  assert.equal(readdirSync(join(cwd, "out")), ["flowers"], "no temporary folders left behind");
});

test("Ctrl-C stops after the current batch, keeps the best weights, saves, and exits 130", async () => {
  const cwd = scratchDir("cli-sigint");
  // Long epochs (batch 4) so that SIGINT lands inside epoch 2.
  writeFileSync(join(cwd, "x.dlp"), mlp(128, "checkpoint(best: val_loss)").replace("batch     32", "batch     4").replace("epochs    2", "epochs    50"));
  const child = spawn(process.execPath, [DLPC, "run", "x.dlp", "--backend", "wasm", "--limit", "3000", "--out", "out"], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "", stderr = "", sent = false;
  child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
    if (!sent && /epoch 1\/50 /.test(stderr)) { sent = true; setTimeout(() => child.kill("SIGINT"), 100); }
  });
  const code = await new Promise<number | null>((res) => {
    const t = setTimeout(() => child.kill("SIGKILL"), 240_000);
    child.on("close", (c) => { clearTimeout(t); res(c); });
  });
  const o = { code, stdout, stderr };
  assert.ok(sent, show(o));
  assert.is(code, 130, show(o));
  assert.match(stderr, /interrupt: stopping after the current batch \(Ctrl-C again to abort\)/);
  assert.match(stderr, /interrupted at epoch 2, batch \d+ of 675; restored the best weights \(epoch 1, val_loss \d/);
  // The progress line of the partial epoch shows the batches done, marked; epoch 2 never reads 675/675.
  const partial = /^epoch 2\/50 (\d+)\/675 .*\(interrupted: not a complete epoch\)$/m.exec(stderr);
  assert.ok(partial && Number(partial[1]) < 675, show(o));
  assert.not.match(stderr, /^epoch 2\/50 675\/675/m);
  assert.match(stderr, /test: loss/);
  const dir = join(cwd, "out", "tiny");
  assert.is(stdout, `saved to ${dir}\n`);
  const metrics = JSON.parse(readFileSync(join(dir, "metrics.json"), "utf8"));
  const history = JSON.parse(readFileSync(join(dir, "history.json"), "utf8")) as Record<string, number[]>;
  assert.match(metrics.stopReason, /^interrupted at epoch 2, batch \d+ of 675$/);
  // Only epoch 1 was complete: the partial epoch 2 is in neither history.json nor metrics.json.
  assert.is(history["val_loss"]!.length, 1);
  assert.equal(history["epoch"], [1]);
  assert.is(metrics.epochs, 1);
  assert.is(metrics.final.val_loss, history["val_loss"]![0]);
  const best = history["val_loss"]!.indexOf(Math.min(...history["val_loss"]!)) + 1;
  assert.is(metrics.bestEpoch, best, "the checkpoint's best epoch is the one held");
  assert.ok(existsSync(join(dir, "model.json")) && existsSync(join(dir, "weights.bin")));
});

test.run();
