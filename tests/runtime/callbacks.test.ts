// Learning-rate schedules, reduce_lr, early_stop, checkpoint and Ctrl-C, checked exactly on a
// model whose training can be worked out by hand: one weight w (dense(1), no bias, w0 = 0), one
// training sample x = 1, y = 1, MSE loss and plain SGD. Each step maps the error e = w - 1 to
// e * (1 - 2 lr), so the learning rate a step really used is recovered from the weights as
// lr = (1 - e_after / e_before) / 2, and the weights after any epoch are known in closed form.
// The validation sample (x = 1, y = -1) has loss (w + 1)^2, which only grows while training
// pulls w towards 1: val_loss is best after epoch 1 and never improves again.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tf, initBackend, trainModel, type CallbackSpec, type OptimizerSpec, type TrainSpec } from "dlp/runtime";
import type { Split } from "../../runtime/data/types.ts";

const split = (ys: number[]): Split => ({ x: new Float32Array(ys.length).fill(1), sampleShape: [1], y: Float32Array.from(ys), yWidth: 1, n: ys.length });

function linear(): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 1, useBias: false, kernelInitializer: "zeros", inputShape: [1] }));
  return m;
}

const weight = (m: tf.LayersModel): number => m.getWeights()[0]!.dataSync()[0]!;

interface Run {
  /** w after each epoch (the onEpochEnd view, before any restore). */
  ws: number[];
  /** The learning rate each epoch's steps used, recovered from the weights (one step per epoch unless `steps`). */
  lrs: number[];
  /** w at the end (after a restore, if any). */
  final: number;
  history: Record<string, number[]>;
  result: Awaited<ReturnType<typeof trainModel>>;
}

async function train(optimizer: OptimizerSpec, callbacks: CallbackSpec[], epochs: number, opts: { samples?: number; onEpochEnd?: (epoch: number) => void } = {}): Promise<Run> {
  await initBackend("wasm");
  const model = linear();
  const spec: TrainSpec = { loss: "mse", optimizer, batchSize: 1, epochs, metrics: [], callbacks };
  const ws: number[] = [];
  const result = await trainModel(model, spec, { train: split(new Array(opts.samples ?? 1).fill(1)), validation: split([-1]) }, {
    epochs, seed: 1, shuffle: false, augment: [], labels: { kind: "regression", outputs: 1 }, quiet: true,
    onEpochEnd: (e) => { ws.push(weight(model)); opts.onEpochEnd?.(e); },
  });
  const errs = [-1, ...ws.map((w) => w - 1)];
  const lrs = ws.map((_, i) => (1 - errs[i + 1]! / errs[i]!) / 2);
  const final = weight(model);
  model.dispose();
  return { ws, lrs, final, history: result.history, result };
}

const close = (got: number[], want: number[], what: string, tol = 1e-4): void => {
  assert.is(got.length, want.length, `${what}: ${got.length} epochs, expected ${want.length}`);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) <= tol * Math.max(1, Math.abs(want[i]!)), `${what}: epoch ${i + 1} ${g}, expected ${want[i]} (all: ${got.join(", ")})`));
};

const sgd = (extra: Partial<OptimizerSpec> = {}): OptimizerSpec => ({ name: "sgd", learningRate: 0.1, ...extra });

test("a constant learning rate is the one applied, and history records it", async () => {
  const r = await train(sgd(), [], 4);
  close(r.lrs, [0.1, 0.1, 0.1, 0.1], "applied");
  close(r.history["lr"]!, [0.1, 0.1, 0.1, 0.1], "history");
  close(r.ws, [0.2, 0.36, 0.488, 0.5904], "weights in closed form");
});

test("schedule step(every: 2, factor: 0.5)", async () => {
  const r = await train(sgd({ schedule: { kind: "step", every: 2, factor: 0.5 } }), [], 5);
  close(r.lrs, [0.1, 0.1, 0.05, 0.05, 0.025], "applied");
  close(r.history["lr"]!, r.lrs, "history");
});

test("schedule exponential, smooth and staircase, counted in steps", async () => {
  const smooth = await train(sgd({ schedule: { kind: "exponential", decayRate: 0.5, decaySteps: 2, staircase: false } }), [], 4);
  close(smooth.lrs, [0, 1, 2, 3].map((t) => 0.1 * 0.5 ** (t / 2)), "smooth");
  const stairs = await train(sgd({ schedule: { kind: "exponential", decayRate: 0.5, decaySteps: 2, staircase: true } }), [], 4);
  close(stairs.lrs, [0.1, 0.1, 0.05, 0.05], "staircase");
  // Two steps per epoch: the rate decays within the epoch (steps 0-3 use 0.1, 0.05, 0.025, 0.0125).
  const two = await train(sgd({ schedule: { kind: "exponential", decayRate: 0.5, decaySteps: 1, staircase: false } }), [], 2, { samples: 2 });
  const perEpoch = (l0: number, l1: number): number => (1 - (1 - 2 * l0) * (1 - 2 * l1)) / 2;
  close(two.lrs, [perEpoch(0.1, 0.05), perEpoch(0.025, 0.0125)], "two steps per epoch");
});

test("schedule cosine(epochs: 4, min_lr: 0.01) holds min_lr after its last epoch", async () => {
  const r = await train(sgd({ schedule: { kind: "cosine", epochs: 4, minLr: 0.01 } }), [], 6);
  close(r.lrs, [0, 1, 2, 3, 4, 5].map((e) => 0.01 + 0.09 * 0.5 * (1 + Math.cos((Math.PI * Math.min(e, 4)) / 4))), "applied");
});

test("Keras' legacy decay: lr / (1 + decay · step)", async () => {
  const r = await train(sgd({ decay: 0.5 }), [], 4);
  close(r.lrs, [0, 1, 2, 3].map((t) => 0.1 / (1 + 0.5 * t)), "applied");
});

test("reduce_lr lowers the learning rate the optimizer applies, down to min_lr", async () => {
  const reduce = (patience: number): CallbackSpec => ({ kind: "reduce_lr", monitor: "val_loss", factor: 0.5, patience, minLr: 0.01, mode: "min" });
  const p1 = await train(sgd(), [reduce(1)], 6);
  close(p1.lrs, [0.1, 0.1, 0.05, 0.025, 0.0125, 0.01], "patience 1");
  close(p1.history["lr"]!, p1.lrs, "history");
  const p2 = await train(sgd(), [reduce(2)], 6);
  close(p2.lrs, [0.1, 0.1, 0.1, 0.05, 0.05, 0.025], "patience 2");
  // A monitor that keeps improving (the training loss) never reduces.
  const none = await train(sgd(), [{ ...reduce(1), monitor: "loss" }], 4);
  close(none.lrs, [0.1, 0.1, 0.1, 0.1], "improving monitor");
  // reduce_lr multiplies a schedule: step halves at epoch 3, reduce_lr from epoch 3 on.
  const both = await train(sgd({ schedule: { kind: "step", every: 2, factor: 0.5 } }), [reduce(1)], 4);
  close(both.lrs, [0.1, 0.1, 0.025, 0.0125], "with a schedule");
});

test("early_stop stops after `patience` epochs without improvement and restores the best weights", async () => {
  const early = (restoreBest: boolean): CallbackSpec => ({ kind: "early_stop", monitor: "val_loss", patience: 2, minDelta: 0, mode: "min", restoreBest });
  const r = await train(sgd(), [early(true)], 10);
  assert.is(r.result.epochsRun, 3);
  assert.ok(r.result.stoppedEarly);
  assert.match(r.result.stopReason ?? "", /early_stop: val_loss did not improve for 2 epochs/);
  assert.is(r.result.bestEpoch, 1);
  close([r.final], [0.2], "restored to epoch 1");
  close(r.history["val_loss"]!, [1.44, 1.36 ** 2, 1.488 ** 2], "val_loss");
  const keep = await train(sgd(), [early(false)], 10);
  assert.is(keep.result.epochsRun, 3);
  close([keep.final], [0.488], "restore_best: false keeps epoch 3");
  assert.is(keep.result.bestEpoch, undefined);
  // min_delta: an improvement smaller than it does not count. The epochs' training losses are
  // 1, 0.64, 0.4096, 0.2621, 0.1678: improvements of 0.36, 0.23, 0.148 and then 0.094 < 0.1.
  const delta = await train(sgd(), [{ kind: "early_stop", monitor: "loss", patience: 1, minDelta: 0.1, mode: "min", restoreBest: true }], 10);
  close(delta.history["loss"]!, [1, 0.64, 0.4096, 0.262144, 0.16777216], "training loss");
  assert.is(delta.result.epochsRun, 5);
  // The restored weights are those with the lowest monitored value (epoch 5's, though its gain was below min_delta).
  assert.is(delta.result.bestEpoch, 5);
  close([delta.final], [1 - 0.8 ** 5], "restored epoch 5");
});

test("checkpoint(best: ...) leaves the model holding the best epoch's weights", async () => {
  const ck = (monitor: string, mode: "min" | "max"): CallbackSpec => ({ kind: "checkpoint", monitor, mode });
  const val = await train(sgd(), [ck("val_loss", "min")], 4);
  assert.is(val.result.epochsRun, 4, "a checkpoint does not stop training");
  assert.is(val.result.bestEpoch, 1);
  close([val.final], [val.ws[0]!], "epoch 1 weights");
  const loss = await train(sgd(), [ck("loss", "min")], 4);
  assert.is(loss.result.bestEpoch, 4);
  close([loss.final], [0.5904], "last epoch is best on the training loss");
  const max = await train(sgd(), [ck("val_loss", "max")], 4);
  assert.is(max.result.bestEpoch, 4, "mode max follows the growing val_loss");
  // A val_ monitor without a validation split falls back to the training metric.
  await initBackend("wasm");
  const model = linear();
  const r = await trainModel(model, { loss: "mse", optimizer: sgd(), batchSize: 1, epochs: 3, metrics: [], callbacks: [ck("val_loss", "min")] },
    { train: split([1]), validation: null }, { epochs: 3, seed: 1, shuffle: false, augment: [], labels: { kind: "regression", outputs: 1 }, quiet: true });
  assert.is(r.bestEpoch, 3);
  model.dispose();
});

test("Ctrl-C (SIGINT) stops after the current batch and keeps the best weights", async () => {
  const listeners = process.listenerCount("SIGINT");
  let sent = false;
  // Four steps per epoch; SIGINT arrives while epoch 2's first batch runs.
  const r = await train(sgd(), [], 5, { samples: 4, onEpochEnd: (e) => { if (e === 1 && !sent) { sent = true; setImmediate(() => process.emit("SIGINT", "SIGINT")); } } });
  assert.ok(r.result.interrupted);
  assert.match(r.result.stopReason ?? "", /^interrupted at epoch 2, batch 1 of 4$/);
  assert.is(r.result.bestEpoch, 1);
  close([r.final], [1 - 0.8 ** 4], "epoch 1 weights (val_loss best)");
  // The partial epoch 2 is not an epoch: no onEpochEnd, no history entry, not counted.
  assert.is(r.ws.length, 1, `onEpochEnd ran for complete epochs only: ${r.ws.join(", ")}`);
  assert.is(r.result.epochsRun, 1);
  assert.equal(r.history["epoch"], [1]);
  assert.is(r.history["val_loss"]!.length, 1);
  assert.is(process.listenerCount("SIGINT"), listeners, "the SIGINT handler is removed after training");
});

/** Runs `f` with process.stderr.write captured; returns what it wrote. */
async function stderrOf(f: () => Promise<unknown>): Promise<string> {
  const write = process.stderr.write.bind(process.stderr);
  let out = "";
  process.stderr.write = ((chunk: string | Uint8Array) => { out += String(chunk); return true; }) as typeof process.stderr.write;
  try { await f(); } finally { process.stderr.write = write; }
  return out;
}

test("a stop mid-epoch (Ctrl-C, shouldStop) is not an epoch, as Keras: the progress line shows the batches done; history, the best weights and the callbacks see complete epochs only", async () => {
  await initBackend("wasm");
  // 4 samples, batch 1: 4 steps an epoch. Stop after the 2nd batch of epoch 2 (6th batch overall).
  const run = async (stopAfter: number, callbacks: CallbackSpec[] = []) => {
    const model = linear();
    let calls = 0;
    const epochs: number[] = [];
    let result: Awaited<ReturnType<typeof trainModel>> | null = null;
    const err = await stderrOf(async () => {
      result = await trainModel(model, { loss: "mse", optimizer: sgd(), batchSize: 1, epochs: 5, metrics: [], callbacks },
        { train: split([1, 1, 1, 1]), validation: split([-1]) },
        { epochs: 5, seed: 1, shuffle: false, augment: [], labels: { kind: "regression", outputs: 1 }, quiet: false, shouldStop: () => ++calls >= stopAfter, onEpochEnd: (e) => { epochs.push(e); } });
    });
    const final = weight(model);
    model.dispose();
    return { result: result!, err, epochs, final };
  };
  const mid = await run(6, [{ kind: "reduce_lr", monitor: "val_loss", mode: "min", factor: 0.5, patience: 1, minLr: 0 }]);
  assert.is(mid.result.stopReason, "interrupted at epoch 2, batch 2 of 4");
  assert.match(mid.err, /^epoch 2\/5 2\/4 \S+ - loss [0-9.e-]+ \(interrupted: not a complete epoch\)$/m);
  assert.not.match(mid.err, /epoch 2\/5 4\/4/);
  assert.is(mid.result.epochsRun, 1);
  assert.equal(mid.result.history["epoch"], [1]);
  assert.equal(Object.values(mid.result.history).map((v) => v.length), Object.keys(mid.result.history).map(() => 1));
  assert.equal(mid.epochs, [1], "onEpochEnd: complete epochs only");
  assert.is(mid.result.bestEpoch, 1);
  close([mid.final], [1 - 0.8 ** 4], "the best complete epoch's weights are held");
  // Interrupted in the first epoch: nothing complete, nothing recorded, no best epoch.
  const first = await run(2);
  assert.is(first.result.stopReason, "interrupted at epoch 1, batch 2 of 4");
  assert.is(first.result.epochsRun, 0);
  assert.equal(first.result.history, {});
  assert.is(first.result.bestEpoch, undefined);
  assert.match(first.err, /^epoch 1\/5 2\/4 /m);
  // A stop after an epoch's last batch leaves that epoch complete: recorded, and the run stops after it.
  const last = await run(4);
  assert.is(last.result.stopReason, "interrupted after epoch 1");
  assert.is(last.result.epochsRun, 1);
  assert.equal(last.result.history["epoch"], [1]);
  assert.match(last.err, /^epoch 1\/5 4\/4 \S+ - loss [0-9.]+ - val_loss /m);
  assert.not.match(last.err, /interrupted: not a complete epoch/);
});

test.run();
