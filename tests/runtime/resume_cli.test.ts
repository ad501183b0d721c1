// `dlpc run` SIGKILLed in the middle of an epoch, then `dlpc run --resume`: at most the running
// epoch is lost, the checkpoint on disk is whole, and the resumed run's files are byte-identical
// to those of an uninterrupted run (separate processes, the cpu backend). Ctrl-C'd runs resume too.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DLPC, dlpc, scratchDir, show, type Out } from "./compiled.ts";
import { readCheckpointFile } from "../../runtime/checkpoint.ts";

const PIPELINE = `pipeline killed {
  seed 5
  data {
    source mnist
    x = images / 255 as vector[784]
    y = labels as class(10)
    split validation 10%
  }
  model {
    dense(64, activation: relu)
    dropout(0.25)
    dense(10, activation: softmax)
  }
  train {
    loss      sparse_categorical_crossentropy
    optimizer adam(lr: 1e-3)
    batch     8
    epochs    4
    metrics   accuracy
    reduce_lr(patience: 1)
  }
  evaluate test { accuracy }
}
`;
const ARGS = ["--backend", "cpu", "--limit", "300"];

// One uninterrupted run that both tests compare with.
const cwd = scratchDir("kill");
writeFileSync(join(cwd, "x.dlp"), PIPELINE);
let whole: Out | null = null;
const uninterrupted = (): void => {
  whole ??= dlpc(cwd, "run", "x.dlp", ...ARGS, "--out", "a");
  assert.is(whole.code, 0, show(whole));
};

/** Starts a run; `onLine` sees stderr as it grows and may kill the child. */
function start(cwd: string, args: string[], onErr: (stderr: string, kill: (s: NodeJS.Signals) => void) => void): Promise<Out> {
  const child = spawn(process.execPath, [DLPC, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "", stderr = "";
  child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); onErr(stderr, (s) => child.kill(s)); });
  return new Promise((res) => {
    const t = setTimeout(() => child.kill("SIGKILL"), 240_000);
    child.on("close", (code) => { clearTimeout(t); res({ code, stdout, stderr }); });
  });
}

test("SIGKILL mid-epoch, then --resume: one epoch lost at most, the same bytes as an uninterrupted run", async () => {
  uninterrupted();

  // Kill half an epoch after epoch 2's line (the epoch length measured from epochs 1 and 2).
  const times: number[] = [];
  let killedAt = 0;
  const k = await start(cwd, ["run", "x.dlp", ...ARGS, "--out", "b"], (stderr, kill) => {
    const ends = (stderr.match(/^epoch \d+\/4 /gm) ?? []).length;
    while (times.length < ends) times.push(Date.now());
    if (ends === 2 && !killedAt) {
      killedAt = Date.now();
      setTimeout(() => kill("SIGKILL"), Math.max(50, (times[1]! - times[0]!) / 2));
    }
  });
  assert.is(k.code, null, show(k));
  const state = join(cwd, "b", "killed.partial", "state.ckpt");
  assert.ok(existsSync(state), show(k));
  const ck = readCheckpointFile(state); // whole: its checksum holds
  assert.ok(ck.loop.epoch === 2 || ck.loop.epoch === 3, `checkpoint at epoch ${ck.loop.epoch}`);
  assert.not.ok(existsSync(join(cwd, "b", "killed")), "nothing published by the killed run");

  const fresh = dlpc(cwd, "run", "x.dlp", ...ARGS, "--out", "b");
  assert.is(fresh.code, 1, show(fresh));
  assert.match(fresh.stderr, /killed\.partial holds an unfinished run \([23] of 4 epochs done, written .*\): continue it with --resume/);

  const r = dlpc(cwd, "run", "x.dlp", ...ARGS, "--out", "b", "--resume");
  assert.is(r.code, 0, show(r));
  assert.match(r.stderr, new RegExp(`resuming from .*killed\\.partial/state\\.ckpt: ${ck.loop.epoch} of 4 epochs done`));
  assert.not.match(r.stderr, /^epoch [12]\/4 /m, "finished epochs are not trained again");
  for (const f of ["weights.bin", "model.json", "history.json"]) {
    assert.ok(readFileSync(join(cwd, "a", "killed", f)).equals(readFileSync(join(cwd, "b", "killed", f))), `${f} differs from the uninterrupted run's`);
  }
  assert.not.ok(existsSync(join(cwd, "b", "killed.partial")));
});

test("a run stopped with Ctrl-C is saved with its state, and --resume continues it to the same bytes", async () => {
  uninterrupted();
  let sent = false;
  const s = await start(cwd, ["run", "x.dlp", ...ARGS, "--out", "c"], (stderr, kill) => {
    if (!sent && /^epoch 1\/4 /m.test(stderr)) { sent = true; kill("SIGINT"); }
  });
  assert.is(s.code, 130, show(s));
  assert.match(s.stderr, /the training state was kept: `dlpc run … --resume` continues from the last finished epoch/);
  assert.ok(existsSync(join(cwd, "c", "killed", "state.ckpt")));
  const r = dlpc(cwd, "run", "x.dlp", ...ARGS, "--out", "c", "--resume");
  assert.is(r.code, 0, show(r));
  for (const f of ["weights.bin", "history.json"]) {
    assert.ok(readFileSync(join(cwd, "a", "killed", f)).equals(readFileSync(join(cwd, "c", "killed", f))), `${f} differs from the uninterrupted run's`);
  }
  assert.not.ok(existsSync(join(cwd, "c", "killed", "state.ckpt")), "the finished run keeps no state");
});

test.run();
