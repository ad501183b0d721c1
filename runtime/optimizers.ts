// Optimizers and learning rates: the spec's optimizer as a tfjs optimizer, schedules, Keras'
// legacy decay, and a setter that works for every tfjs optimizer class.
import { tf } from "./tf.ts";
import { FusedAdamOptimizer, FusedRmsPropOptimizer } from "./native.ts";
import type { OptimizerSpec } from "./spec.ts";

export function makeOptimizer(o: OptimizerSpec): tf.Optimizer {
  switch (o.name) {
    case "sgd":
      return o.momentum || o.nesterov ? tf.train.momentum(o.learningRate, o.momentum ?? 0, o.nesterov ?? false) : tf.train.sgd(o.learningRate);
    // tfjs's Adam and RMSprop, each variable's update one kernel on the native backend (runtime/native.ts).
    case "adam": return new FusedAdamOptimizer(o.learningRate, o.beta1 ?? 0.9, o.beta2 ?? 0.999, o.epsilon ?? 1e-7);
    case "rmsprop": return new FusedRmsPropOptimizer(o.learningRate, o.rho ?? 0.9, o.momentum ?? 0, o.epsilon ?? 1e-7);
    case "adagrad": return tf.train.adagrad(o.learningRate, 0.1);
    case "adamax": return tf.train.adamax(o.learningRate, o.beta1 ?? 0.9, o.beta2 ?? 0.999, o.epsilon ?? 1e-7, 0);
  }
}

/** The scheduled rate (before reduce_lr's factor) at a global step within an epoch (0-based). */
export function scheduledLr(o: OptimizerSpec, epoch: number, step: number): number {
  let lr = o.learningRate;
  const s = o.schedule;
  if (s?.kind === "exponential") {
    const e = step / s.decaySteps;
    lr *= s.decayRate ** (s.staircase ? Math.floor(e) : e);
  } else if (s?.kind === "step") {
    lr *= s.factor ** Math.floor(epoch / Math.max(1, s.every));
  } else if (s?.kind === "cosine") {
    const t = Math.min(epoch, s.epochs) / Math.max(1, s.epochs);
    lr = s.minLr + (lr - s.minLr) * 0.5 * (1 + Math.cos(Math.PI * t));
  }
  if (o.decay) lr /= 1 + o.decay * step;
  return lr;
}

export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  const o = opt as tf.Optimizer & { setLearningRate?: (lr: number) => void; learningRate?: number };
  if (typeof o.setLearningRate === "function") o.setLearningRate(lr);
  else o.learningRate = lr;
}

/**
 * Disposes an optimizer and every tensor it still holds. tfjs's own dispose() misses some:
 * MomentumOptimizer never disposes the learning-rate scalar `c` it inherits from SGD, and no
 * subclass disposes the base class's `iterations_`.
 */
export function disposeOptimizer(opt: tf.Optimizer): void {
  opt.dispose();
  const held = (v: unknown): void => {
    if (v instanceof tf.Tensor) {
      if (!v.isDisposed) v.dispose();
    } else if (Array.isArray(v)) {
      for (const e of v) held(e && typeof e === "object" && "variable" in e ? (e as { variable: unknown }).variable : e);
    }
  };
  for (const v of Object.values(opt as unknown as Record<string, unknown>)) held(v);
}
