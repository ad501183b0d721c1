// Training-time augmentation of an image batch [B, H, W, C]: one random affine map per sample
// (rotate, shift, shear, zoom, flips composed) applied by tf.image.transform, then noise.
import { tf } from "../tf.ts";
import type { Augment } from "../spec.ts";
import type { Rng } from "../rng.ts";
import { DataError } from "../errors.ts";

type M3 = [number, number, number, number, number, number, number, number, number];
const mul = (a: M3, b: M3): M3 => {
  const r = new Array(9).fill(0) as M3;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) r[i * 3 + j] += a[i * 3 + k]! * b[k * 3 + j]!;
  return r;
};
const translate = (tx: number, ty: number): M3 => [1, 0, tx, 0, 1, ty, 0, 0, 1];
const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng();

const GEOMETRIC = new Set(["rotate", "shift", "shear", "zoom", "flip"]);

/** Checks the augmentations apply to samples of this shape (before training starts). */
export function checkAugment(ops: Augment[], sampleShape: number[]): void {
  const geo = ops.find((o) => GEOMETRIC.has(o.op));
  if (geo && sampleShape.length !== 3) {
    throw new DataError(`augment ${geo.op} needs image samples [height, width, channels], the samples are ${sampleShape.join("×")}`);
  }
}

/** Output-to-input pixel map for one sample, in tf.image.transform's 8-number form. */
function sampleTransform(ops: Augment[], h: number, w: number, rng: Rng): number[] {
  const cx = (w - 1) / 2, cy = (h - 1) / 2;
  let m: M3 = translate(cx, cy);
  for (const op of ops) {
    switch (op.op) {
      case "shift":
        m = mul(m, translate(uniform(rng, -op.width, op.width) * w, uniform(rng, -op.height, op.height) * h));
        break;
      case "rotate": {
        const a = (uniform(rng, -op.degrees, op.degrees) * Math.PI) / 180;
        m = mul(m, [Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a), 0, 0, 0, 1]);
        break;
      }
      case "shear": {
        const s = Math.tan((uniform(rng, -op.degrees, op.degrees) * Math.PI) / 180);
        m = mul(m, [1, s, 0, 0, 1, 0, 0, 0, 1]);
        break;
      }
      case "zoom": {
        const z = uniform(rng, op.min, op.max);
        m = mul(m, [1 / z, 0, 0, 0, 1 / z, 0, 0, 0, 1]);
        break;
      }
      case "flip": {
        const fx = (op.mode === "horizontal" || op.mode === "both") && rng() < 0.5 ? -1 : 1;
        const fy = (op.mode === "vertical" || op.mode === "both") && rng() < 0.5 ? -1 : 1;
        m = mul(m, [fx, 0, 0, 0, fy, 0, 0, 0, 1]);
        break;
      }
      case "noise":
        break;
    }
  }
  m = mul(m, translate(-cx, -cy));
  return [m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]];
}

/** Returns a new augmented batch; the caller disposes both. */
export function augmentBatch(x: tf.Tensor, ops: Augment[], rng: Rng): tf.Tensor {
  if (ops.length === 0) return x.clone();
  return tf.tidy(() => {
    let out: tf.Tensor = x;
    if (ops.some((o) => GEOMETRIC.has(o.op))) {
      const [b, h, w] = x.shape as [number, number, number, number];
      const t = new Float32Array(b * 8);
      for (let i = 0; i < b; i++) t.set(sampleTransform(ops, h, w, rng), i * 8);
      out = tf.image.transform(out as tf.Tensor4D, tf.tensor2d(t, [b, 8]), "bilinear", "constant", 0);
    }
    for (const op of ops) {
      if (op.op === "noise" && op.std > 0) out = tf.add(out, tf.randomNormal(out.shape, 0, op.std, "float32", Math.floor(rng() * 2 ** 31)));
    }
    return out === x ? x.clone() : out;
  });
}
