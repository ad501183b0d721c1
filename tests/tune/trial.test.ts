// The runtime's tuner helpers that the CLI used to hold (runtime/tune/trial.ts, session.ts):
// a trial's score at its best epoch, and the `dlpc run` command that retrains a trial.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { metricsAtBest, reproduceCommand, type TrialRecord } from "../../runtime/tune/index.ts";

test("metricsAtBest: the objective's best epoch, in the study's direction, with that epoch's other metrics", () => {
  const h = { epoch: [0, 1, 2], val_accuracy: [0.5, 0.9, 0.7], loss: [1, 0.5, 0.3] };
  assert.equal(metricsAtBest(h, "val_accuracy", "maximize"), { val_accuracy: 0.9, loss: 0.5 });
  assert.equal(metricsAtBest(h, "val_accuracy", "minimize"), { val_accuracy: 0.5, loss: 1 });
  // NaN epochs are skipped; an all-NaN series scores its last epoch.
  assert.equal(metricsAtBest({ val_loss: [NaN, 0.4, NaN], loss: [1, 2, 3] }, "val_loss", "minimize"), { val_loss: 0.4, loss: 2 });
  assert.equal(metricsAtBest({ val_loss: [NaN, NaN], loss: [1, 2] }, "val_loss", "minimize"), { val_loss: NaN, loss: 2 });
  // The objective was never reported: every metric's last value.
  assert.equal(metricsAtBest({ loss: [1, 0.2], epoch: [0, 1] }, "val_accuracy", "maximize"), { loss: 0.2 });
});

test("reproduceCommand: quotes what the shell would split, adds --epochs only when it differs", () => {
  const t = { params: { units: 64, act: "relu", name: "a b" }, epochs: 9, seed: 7 } as unknown as TrialRecord;
  assert.is(
    reproduceCommand("pipelines/my file.dlp", t, { pipelineEpochs: 4, limit: 100, backend: "wasm" }),
    "dlpc run 'pipelines/my file.dlp' --set units=64 --set act=relu --set 'name=a b' --epochs 9 --seed 7 --limit 100 --backend wasm",
  );
  assert.is(reproduceCommand("p.dlp", { ...t, params: {}, epochs: 4 }, { pipelineEpochs: 4, backend: "auto" }), "dlpc run p.dlp --seed 7");
  assert.is(reproduceCommand("it's.dlp", { ...t, params: {}, epochs: null }, { pipelineEpochs: 4 }), `dlpc run 'it'\\''s.dlp' --seed 7`);
});

test.run();
