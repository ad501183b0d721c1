// Crash-safe training (runtime/checkpoint.ts, runtime/resume.ts): a run that dies after epoch 2
// and is resumed ends with the same bytes (weights, history) as an uninterrupted run of the same
// seed, on the cpu backend, with dropout, augmentation, Adam, reduce_lr and early_stop state in
// play; a fresh run refuses to discard an unfinished one; a changed pipeline is refused with what
// changed; corrupt, truncated or foreign checkpoints are named; a failed checkpoint write leaves
// the previous one intact; checkpoint(path: …) writes Keras-style files and keeps the last K.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runPipeline, loadModel, type RunOptions } from "dlp/runtime";
import { compileText, scratchDir } from "./compiled.ts";
import { formatPattern, readCheckpointFile, writeFileAtomicSync } from "../../runtime/checkpoint.ts";

const text = (units: number, callbacks = "early_stop(patience: 8)\n    reduce_lr(patience: 1, factor: 0.5)\n    checkpoint(best: val_loss)"): string => `pipeline resumable {
  seed 11
  data {
    source mnist
    x = images / 255 as image[28, 28, 1]
    y = labels as class(10)
    split validation 20%
    augment train { noise 0.05 }
  }
  model {
    flatten()
    dense(${units}, activation: relu)
    dropout(0.3)
    dense(10, activation: softmax)
  }
  train {
    loss      sparse_categorical_crossentropy
    optimizer adam(lr: 3e-3)
    batch     16
    epochs    4
    metrics   accuracy
    ${callbacks}
  }
  evaluate test { accuracy }
}
`;

const base = (out: string): RunOptions => ({ backend: "cpu", limit: 160, out, quiet: true });
const bytes = (dir: string, f: string): Buffer => readFileSync(join(dir, f));

class Crash extends Error {}

/** Awaits `p`, which must reject; `check` is a regex for the message or a function of the error. */
async function rejects(p: Promise<unknown>, check?: RegExp | ((e: Error) => boolean)): Promise<void> {
  let err: Error | null = null;
  try {
    await p;
  } catch (e) {
    err = e as Error;
  }
  if (!err) assert.unreachable("expected a rejection");
  if (check instanceof RegExp) assert.match(err!.message, check);
  else if (check) assert.ok(check(err!));
}

test("resume after a crash after epoch 2 ends bit-for-bit like the uninterrupted run", async () => {
  const { pipeline } = await compileText(text(24), "resumable.dlp");
  const cwd = scratchDir("resume");
  const a = await runPipeline(pipeline, base(join(cwd, "a")));
  a.model.dispose();

  const out = join(cwd, "b");
  // Epoch 3 dies in its onEpochEnd, before its checkpoint: the one of epoch 2 stays.
  await rejects(runPipeline(pipeline, { ...base(out), onEpochEnd: (e) => { if (e === 3) throw new Crash("killed"); } }), (e: Error) => {
    assert.match(e.message, /killed\nthe last epoch's checkpoint is kept in .*resumable\.partial: `dlpc run … --resume` continues from it/);
    return true;
  });
  const partial = join(out, "resumable.partial");
  assert.ok(existsSync(join(partial, "state.ckpt")));
  assert.not.ok(existsSync(join(out, "resumable")), "nothing is published before the run ends");
  assert.is(readCheckpointFile(join(partial, "state.ckpt")).loop.epoch, 2);

  // A fresh run does not discard it.
  await rejects(runPipeline(pipeline, base(out)), (e: Error) => {
    assert.match(e.message, /resumable\.partial holds an unfinished run \(2 of 4 epochs done, written .*\): continue it with --resume, or delete that folder to start over/);
    return true;
  });

  const b = await runPipeline(pipeline, { ...base(out), resume: true });
  b.model.dispose();
  // (model.json differs only in the layer names tfjs numbers per process; the CLI test compares it too.)
  for (const f of ["weights.bin", "history.json"]) assert.ok(bytes(a.dir, f).equals(bytes(b.dir, f)), `${f} differs between the resumed and the uninterrupted run`);
  const { trainSamplesPerSecond: _x, ...ma } = a.metrics, { trainSamplesPerSecond: _y, ...mb } = b.metrics;
  assert.equal(mb, ma);
  assert.is(ma.epochs, 4);
  assert.not.ok(existsSync(partial), "the .partial folder is published as the run");
  assert.not.ok(existsSync(join(b.dir, "state.ckpt")), "a finished run keeps no training state");
  assert.equal(readdirSync(out), ["resumable"]);
});

test("a resume under a changed pipeline or settings is refused, naming what changed", async () => {
  const cwd = scratchDir("resume-changed");
  const out = join(cwd, "o");
  const { pipeline } = await compileText(text(8), "resumable.dlp");
  await rejects(runPipeline(pipeline, { ...base(out), epochs: 3, onEpochEnd: (e) => { if (e === 2) throw new Crash("killed"); } }));
  const { pipeline: wider } = await compileText(text(9), "resumable.dlp");
  await rejects(runPipeline(wider, { ...base(out), resume: true }), (e: Error) => {
    assert.match(e.message, /^cannot resume from .*state\.ckpt: the run was started with a different pipeline or settings:\n/);
    assert.match(e.message, /\n  model\.2: "Dense \[null,8\] 6280" -> "Dense \[null,9\] 7065"\n/);
    assert.match(e.message, /\n  weights\.0: "\[784,8\]" -> "\[784,9\]"\n/);
    assert.match(e.message, /restore the original pipeline and flags, or delete .*resumable\.partial to start over/);
    return true;
  });
  await rejects(runPipeline(pipeline, { ...base(out), limit: 200, resume: true }), (e: Error) => {
    assert.match(e.message, /  limit: 160 -> 200/);
    return true;
  });
  // The right pipeline resumes, and --epochs may grow the run.
  const r = await runPipeline(pipeline, { ...base(out), resume: true, epochs: 4 });
  r.model.dispose();
  assert.is(JSON.parse(readFileSync(join(r.dir, "history.json"), "utf8")).epoch.join(","), "1,2,3,4");
});

test("nothing to resume, and a corrupt, truncated or foreign checkpoint, are errors naming the file", async () => {
  const cwd = scratchDir("resume-bad");
  const out = join(cwd, "o");
  const { pipeline } = await compileText(text(8), "resumable.dlp");
  await rejects(runPipeline(pipeline, { ...base(out), resume: true }), /nothing to resume: there is no checkpoint .*resumable\.partial\/state\.ckpt; run without --resume to start training/);
  await rejects(runPipeline(pipeline, { ...base(out), onEpochEnd: (e) => { if (e === 2) throw new Crash("killed"); } }));
  const file = join(out, "resumable.partial", "state.ckpt");
  const good = readFileSync(file);
  writeFileSync(file, good.subarray(0, good.length - 100));
  await rejects(runPipeline(pipeline, { ...base(out), resume: true }), /state\.ckpt is truncated: its tensors take \d+ bytes after the header, the file has \d+/);
  const flipped = Buffer.from(good);
  flipped[flipped.length - 3]! ^= 0xff;
  writeFileSync(file, flipped);
  await rejects(runPipeline(pipeline, { ...base(out), resume: true }), /state\.ckpt: the tensors' checksum does not match the header \(the file is corrupt\)/);
  writeFileSync(file, "{\"modelTopology\": {}}");
  await rejects(runPipeline(pipeline, { ...base(out), resume: true }), /state\.ckpt: not a dlp training checkpoint/);
  writeFileSync(file, good);
  const r = await runPipeline(pipeline, { ...base(out), resume: true });
  r.model.dispose();
});

test("a checkpoint write that fails (full disk, unwritable) leaves the previous file intact", () => {
  const dir = scratchDir("atomic");
  const file = join(dir, "state.ckpt");
  writeFileAtomicSync(file, Buffer.from("first"));
  mkdirSync(`${file}.tmp-${process.pid}`); // the temporary file cannot be created
  assert.throws(() => writeFileAtomicSync(file, Buffer.from("second")));
  assert.is(readFileSync(file, "utf8"), "first");
});

test("checkpoint(path: …) file names follow Keras's patterns", () => {
  assert.is(formatPattern("model.{epoch:02d}-{val_loss:.2f}", 3, { val_loss: 0.41234 }), "model.03-0.41");
  assert.is(formatPattern("e{epoch}_{accuracy:.3f}_{loss:.1e}", 12, { accuracy: 0.5, loss: 0.000123 }), "e12_0.500_1.2e-4");
  assert.is(formatPattern("{epoch:4d}|{epoch:04d}", 7, {}), "   7|0007");
  assert.throws(() => formatPattern("m-{val_auc:.2f}", 1, { loss: 1 }), /\{val_auc\} is not among this epoch's logs \(epoch, loss\)/);
});

test("checkpoint(path: …, best_only: false, keep: 2) writes a loadable model per epoch and keeps the last 2", async () => {
  const cwd = scratchDir("ckpt-files");
  const { pipeline } = await compileText(text(8, `checkpoint(best: val_loss, path: "checkpoints/model.{epoch:02d}-{val_loss:.2f}", best_only: false, keep: 2)`), "resumable.dlp");
  const r = await runPipeline(pipeline, base(join(cwd, "o")));
  r.model.dispose();
  const vl = (JSON.parse(readFileSync(join(r.dir, "history.json"), "utf8")) as Record<string, number[]>)["val_loss"]!;
  const names = readdirSync(join(r.dir, "checkpoints")).sort();
  assert.equal(names, [`model.03-${vl[2]!.toFixed(2)}`, `model.04-${vl[3]!.toFixed(2)}`]);
  const m = await loadModel(join(r.dir, "checkpoints", names[1]!));
  assert.is(m.countParams(), 784 * 8 + 8 + 8 * 10 + 10);
  m.dispose();

  // Only improvements (the default): one file per epoch whose val_loss was a new best.
  const { pipeline: best } = await compileText(text(8, `checkpoint(best: val_loss, path: "best-{epoch:02d}")`), "resumable.dlp");
  const b = await runPipeline(best, base(join(cwd, "p")));
  b.model.dispose();
  const h = (JSON.parse(readFileSync(join(b.dir, "history.json"), "utf8")) as Record<string, number[]>)["val_loss"]!;
  const improved = h.flatMap((v, i) => (h.slice(0, i).every((u) => v < u) ? [`best-${String(i + 1).padStart(2, "0")}`] : []));
  assert.equal(readdirSync(b.dir).filter((f) => f.startsWith("best-")).sort(), improved);
});

test.run();
