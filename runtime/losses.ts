// Losses on predictions (probabilities for the cross-entropies, as Keras' defaults), in tf for
// training and in plain JS for evaluating stored predictions.
import { tf } from "./tf.ts";
import type { LossName } from "./spec.ts";

const EPS = 1e-7;

/**
 * The batch loss. With `weights` ([B], Keras's sample weights) each sample's loss is scaled and
 * the sum divided by the batch size (Keras's sum_over_batch_size reduction).
 */
export function lossTensor(name: LossName, yTrue: tf.Tensor, yPred: tf.Tensor, delta = 1, weights?: tf.Tensor): tf.Scalar {
  if (weights) return tf.tidy(() => tf.mean(tf.mul(perSampleLoss(name, yTrue, yPred, delta), weights)) as tf.Scalar);
  return tf.tidy(() => {
    switch (name) {
      case "mse": return tf.mean(tf.squaredDifference(yTrue, yPred)) as tf.Scalar;
      case "mae": return tf.mean(tf.abs(tf.sub(yTrue, yPred))) as tf.Scalar;
      case "huber": {
        const err = tf.abs(tf.sub(yTrue, yPred));
        const quad = tf.minimum(err, delta);
        return tf.mean(tf.add(tf.mul(0.5, tf.square(quad)), tf.mul(delta, tf.sub(err, quad)))) as tf.Scalar;
      }
      case "binary_crossentropy": {
        const p = tf.clipByValue(yPred, EPS, 1 - EPS);
        return tf.neg(tf.mean(tf.add(tf.mul(yTrue, tf.log(p)), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, p)))))) as tf.Scalar;
      }
      case "categorical_crossentropy":
      case "sparse_categorical_crossentropy": {
        const p = tf.clipByValue(yPred, EPS, 1 - EPS);
        return tf.neg(tf.mean(tf.sum(tf.mul(yTrue, tf.log(p)), -1))) as tf.Scalar;
      }
    }
  });
}

/** Each sample's loss, [B]: the mean over the output axis for the regression losses and BCE, as Keras. */
export function perSampleLoss(name: LossName, yTrue: tf.Tensor, yPred: tf.Tensor, delta = 1): tf.Tensor {
  return tf.tidy(() => {
    const last = yPred.rank - 1;
    const flat = (t: tf.Tensor): tf.Tensor => (t.rank > 2 ? t.reshape([t.shape[0]!, -1]) : t);
    const yt = flat(yTrue), yp = flat(yPred);
    switch (name) {
      case "mse": return tf.mean(tf.squaredDifference(yt, yp), -1);
      case "mae": return tf.mean(tf.abs(tf.sub(yt, yp)), -1);
      case "huber": {
        const err = tf.abs(tf.sub(yt, yp));
        const quad = tf.minimum(err, delta);
        return tf.mean(tf.add(tf.mul(0.5, tf.square(quad)), tf.mul(delta, tf.sub(err, quad))), -1);
      }
      case "binary_crossentropy": {
        const p = tf.clipByValue(yp, EPS, 1 - EPS);
        return tf.neg(tf.mean(tf.add(tf.mul(yt, tf.log(p)), tf.mul(tf.sub(1, yt), tf.log(tf.sub(1, p)))), -1));
      }
      case "categorical_crossentropy":
      case "sparse_categorical_crossentropy": {
        const p = tf.clipByValue(yPred, EPS, 1 - EPS);
        const ps = tf.neg(tf.sum(tf.mul(yTrue, tf.log(p)), last));
        return ps.rank > 1 ? tf.mean(ps.reshape([ps.shape[0]!, -1]), -1) : ps;
      }
    }
  });
}

/** Mean loss of stored predictions; `target(i, k)` is the dense (one-hot for classes) target. */
export function lossJs(name: LossName, preds: Float32Array, width: number, n: number, target: (i: number, k: number) => number, delta = 1): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < width; k++) {
      const t = target(i, k);
      const p = preds[i * width + k]!;
      switch (name) {
        case "mse": s += (t - p) ** 2 / width; break;
        case "mae": s += Math.abs(t - p) / width; break;
        case "huber": { const e = Math.abs(t - p); const q = Math.min(e, delta); s += (0.5 * q * q + delta * (e - q)) / width; break; }
        case "binary_crossentropy": { const c = Math.min(1 - EPS, Math.max(EPS, p)); s -= (t * Math.log(c) + (1 - t) * Math.log(1 - c)) / width; break; }
        default: if (t !== 0) s -= t * Math.log(Math.min(1 - EPS, Math.max(EPS, p)));
      }
    }
    total += s;
  }
  return total / Math.max(1, n);
}
