// `dlpc run --resume`: where an unfinished run keeps its state, what a resume must match, and the
// lock that keeps two processes from training into one folder. While it trains, a run lives in
// OUT/<pipeline>.partial/ (its state.ckpt rewritten atomically after every epoch, the files of
// checkpoint(path: …) beside it); at the end the finished run replaces OUT/<pipeline>/ in one
// rename, so an earlier run stays whole until then and a crash leaves the .partial folder to
// resume from.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { tf } from "./tf.ts";
import type { DataSpec, Params, TrainSpec } from "./spec.ts";
import type { CompiledPipeline } from "./pipeline.ts";
import { TrainingError } from "./errors.ts";
import { jsonDiff } from "./tune/storage.ts";
import type { CheckpointFile } from "./checkpoint.ts";
import { pidAlive } from "./process.ts";

export const STATE_FILE = "state.ckpt";
export const LOCK_FILE = "lock";

export const partialDir = (dir: string): string => `${dir}.partial`;

/**
 * What a resumed run must share with the run it continues: the pipeline, params, seed, data,
 * training settings (the epoch count may grow), the model's layers and weight shapes. Readable,
 * so a refusal lists what changed.
 */
export function describeRun(pipeline: CompiledPipeline, o: { params: Params; seed: number; data: DataSpec; train: TrainSpec; limit: number | null; model: tf.LayersModel }): Record<string, unknown> {
  const { epochs: _epochs, ...train } = o.train;
  return {
    pipeline: pipeline.name,
    seed: o.seed,
    params: o.params,
    limit: o.limit,
    data: o.data,
    train,
    model: o.model.layers.map((l) => `${l.getClassName()} ${JSON.stringify(l.outputShape)} ${l.countParams()}${l.trainable ? "" : " frozen"}`),
    weights: o.model.weights.map((w) => `[${w.shape.join(",")}]`),
  };
}

export function runFingerprint(pipeline: CompiledPipeline, describe: Record<string, unknown>): string {
  // The model builder's code too: an initializer or a merge order the description cannot see.
  return createHash("sha256").update(JSON.stringify(describe)).update(pipeline.buildModel.toString()).digest("hex").slice(0, 16);
}

/** Refuses a checkpoint of another pipeline or configuration, listing what changed. */
export function checkResumable(file: string, ck: CheckpointFile, describe: Record<string, unknown>, fingerprint: string): void {
  const changes = jsonDiff(ck.describe, describe);
  if (changes.length === 0 && ck.fingerprint !== fingerprint) changes.push(`the model builder's code (fingerprint ${ck.fingerprint} -> ${fingerprint})`);
  if (changes.length > 0) {
    throw new TrainingError(
      `cannot resume from ${file}: the run was started with a different pipeline or settings:\n` +
        changes.slice(0, 20).map((c) => `  ${c}`).join("\n") + (changes.length > 20 ? `\n  … ${changes.length - 20} more` : "") +
        `\nrestore the original pipeline and flags, or delete ${join(file, "..")} to start over`,
    );
  }
}


/** Takes the folder's lock; throws when another live process holds it. */
export function takeLock(partial: string): void {
  const f = join(partial, LOCK_FILE);
  if (existsSync(f)) {
    const pid = Number(readFileSync(f, "utf8").trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) {
      throw new TrainingError(`${partial} is in use: process ${pid} is training into it (wait for it, or stop it first)`);
    }
  }
  writeFileSync(f, `${process.pid}\n`);
}
