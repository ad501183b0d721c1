// `dlpc run --resume` for `split kfold K`: a k-fold run SIGKILLed in the middle of its second
// fold keeps the finished first fold and the second fold's last checkpoint in DIR.partial/; a
// fresh run refuses to discard them, a resume with other settings is refused with what changed,
// and `--resume` keeps fold 1 (not retrained), continues fold 2 from its state.ckpt and runs
// fold 3: the folds' weights and the cross-validation numbers equal an uninterrupted run's
// (separate processes, the cpu backend).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DLPC, dlpc, scratchDir, show, type Out } from "./compiled.ts";
import { readCheckpointFile } from "../../runtime/checkpoint.ts";

const PIPELINE = `pipeline cvkill {
  seed 9
  data {
    source mnist
    x = images / 255 as vector[784]
    y = labels as class(10)
    split kfold 3 stratified
  }
  model {
    dense(32, activation: relu)
    dropout(0.25)
    dense(10, activation: softmax)
  }
  train {
    loss      sparse_categorical_crossentropy
    optimizer adam(lr: 1e-3)
    batch     8
    epochs    3
    metrics   accuracy
  }
  evaluate test { accuracy }
}
`;
const ARGS = ["--backend", "cpu", "--limit", "240"];

function start(cwd: string, args: string[], onErr: (stderr: string, kill: (s: NodeJS.Signals) => void) => void): Promise<Out> {
  const child = spawn(process.execPath, [DLPC, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "", stderr = "";
  child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); onErr(stderr, (s) => child.kill(s)); });
  return new Promise((res) => {
    const t = setTimeout(() => child.kill("SIGKILL"), 300_000);
    child.on("close", (code) => { clearTimeout(t); res({ code, stdout, stderr }); });
  });
}

// One uninterrupted run that both tests compare with.
const cwd = scratchDir("kfold-kill");
writeFileSync(join(cwd, "x.dlp"), PIPELINE);
let whole: Out | null = null;
const uninterrupted = (): void => {
  whole ??= dlpc(cwd, "run", "x.dlp", ...ARGS, "--out", "a");
  assert.is(whole.code, 0, show(whole));
};
const sameFolds = (out: string): void => {
  for (const f of ["1", "2", "3"]) {
    for (const file of ["weights.bin", "history.json"]) {
      assert.ok(readFileSync(join(cwd, "a", "cvkill", "folds", f, file)).equals(readFileSync(join(cwd, out, "cvkill", "folds", f, file))), `fold ${f}'s ${file} differs from the uninterrupted run's`);
    }
  }
  const cv = (o: string) => JSON.parse(readFileSync(join(cwd, o, "cvkill", "metrics.json"), "utf8")).crossValidation;
  assert.equal(cv(out), cv("a"));
  assert.ok(readFileSync(join(cwd, "a", "cvkill", "history.json")).equals(readFileSync(join(cwd, out, "cvkill", "history.json"))));
};

test("a k-fold run SIGKILLed in fold 2, then --resume: fold 1 kept, fold 2 continued, the same folds as an uninterrupted run", async () => {
  uninterrupted();

  // Kill half an epoch after fold 2's first epoch line (the epoch length measured in fold 1).
  const times: number[] = [];
  let killed = false;
  const k = await start(cwd, ["run", "x.dlp", ...ARGS, "--out", "b"], (stderr, kill) => {
    const ends = (stderr.match(/^epoch \d+\/3 /gm) ?? []).length;
    while (times.length < ends) times.push(Date.now());
    const inFold2 = stderr.split(/^fold 2\/3$/m)[1];
    if (!killed && inFold2 !== undefined && /^epoch 1\/3 /m.test(inFold2)) {
      killed = true;
      setTimeout(() => kill("SIGKILL"), Math.max(50, (times[1]! - times[0]!) / 2));
    }
  });
  assert.is(k.code, null, show(k));
  const partial = join(cwd, "b", "cvkill.partial");
  assert.ok(existsSync(join(partial, "folds", "1", "model.json")), `fold 1 finished before the kill\n${show(k)}`);
  const state = join(partial, "folds", "2.partial", "state.ckpt");
  assert.ok(existsSync(state), show(k));
  const ck = readCheckpointFile(state); // whole: its checksum holds
  assert.ok(ck.loop.epoch === 1 || ck.loop.epoch === 2, `fold 2's checkpoint at epoch ${ck.loop.epoch}`);
  assert.not.ok(existsSync(join(cwd, "b", "cvkill")), "nothing published by the killed run");

  const fresh = dlpc(cwd, "run", "x.dlp", ...ARGS, "--out", "b");
  assert.is(fresh.code, 1, show(fresh));
  assert.match(fresh.stderr, /cvkill\.partial holds an unfinished k-fold run \(1 of 3 folds done\): continue it with --resume/);
  const other = dlpc(cwd, "run", "x.dlp", "--backend", "cpu", "--limit", "210", "--out", "b", "--resume");
  assert.is(other.code, 1, show(other));
  assert.match(other.stderr, /cannot resume from .*kfold\.json: the k-fold run was started with a different pipeline or settings:\n\s+limit: 240 -> 210/);

  const r = dlpc(cwd, "run", "x.dlp", ...ARGS, "--out", "b", "--resume");
  assert.is(r.code, 0, show(r));
  assert.match(r.stderr, /resuming the k-fold run in .*cvkill\.partial: 1 of 3 folds done/);
  assert.match(r.stderr, /^fold 1\/3: finished earlier, kept$/m);
  assert.match(r.stderr, new RegExp(`^fold 2/3 \\(resumed\\)\\n[\\s\\S]*resuming from .*2\\.partial/state\\.ckpt: ${ck.loop.epoch} of 3 epochs done`, "m"));
  const fold2 = r.stderr.split(/^fold 2\/3 \(resumed\)$/m)[1]!.split(/^fold 3\/3$/m)[0]!;
  assert.not.match(fold2, /^epoch 1\/3 /m, "fold 2's finished epochs are not trained again");
  sameFolds("b");
  assert.ok(existsSync(join(cwd, "b", "cvkill", "report.html")));
  assert.not.ok(existsSync(partial), "the partial folder became the run");
  assert.not.ok(existsSync(join(cwd, "b", "cvkill", "kfold.json")));

  // Nothing left to resume now.
  const again = dlpc(cwd, "run", "x.dlp", ...ARGS, "--out", "b", "--resume");
  assert.is(again.code, 1, show(again));
  assert.match(again.stderr, /nothing to resume: there is no unfinished k-fold run in .*cvkill\.partial \(.*cvkill is a finished run\)/);
});

test("a k-fold run stopped with Ctrl-C in fold 1 keeps its state, and --resume continues it to the same folds", async () => {
  uninterrupted();
  let sent = false;
  const s = await start(cwd, ["run", "x.dlp", ...ARGS, "--out", "c"], (stderr, kill) => {
    if (!sent && /^epoch 1\/3 /m.test(stderr)) { sent = true; kill("SIGINT"); }
  });
  assert.is(s.code, 130, show(s));
  assert.match(s.stderr, /k-fold run stopped in fold 1\/3; `dlpc run … --resume` continues it/);
  assert.ok(existsSync(join(cwd, "c", "cvkill.partial", "folds", "1", "state.ckpt")), show(s));
  assert.not.match(s.stderr, /^fold 2\/3/m, "no further fold starts after Ctrl-C");
  const r = dlpc(cwd, "run", "x.dlp", ...ARGS, "--out", "c", "--resume");
  assert.is(r.code, 0, show(r));
  assert.match(r.stderr, /^fold 1\/3 \(resumed\)$/m);
  sameFolds("c");
});

test.run();
