// Where a pipeline's samples are images: the raw pixel layout its source produced before the
// recorded transforms ran. `dlpc predict` and predict.html both turn a picture into this raw
// layout and then replay the run's fitted transforms, so the browser and Node see the same
// numbers.
import type { Preprocess } from "../data/types.ts";

export interface ImageGeometry {
  height: number;
  width: number;
  channels: 1 | 3;
  /** hw: grey planes without a channel axis (IDX digits); hwc: interleaved; chw: planar (CIFAR-10). */
  layout: "hw" | "hwc" | "chw";
}

/** Raw shape of one sample in the geometry's layout. */
export function rawShape(g: ImageGeometry): number[] {
  if (g.layout === "hw") return [g.height, g.width];
  if (g.layout === "chw") return [g.channels, g.height, g.width];
  return [g.height, g.width, g.channels];
}

/**
 * The raw image geometry of a run's samples, or null when its samples are not images (token
 * sequences, CSV rows). Decided by the source, not by the model's input shape: an MLP on MNIST
 * takes 784-vectors, but its samples are still 28×28 digits before `reshape`.
 */
export function imageGeometry(pre: Preprocess): ImageGeometry | null {
  const hasChannelsLast = pre.transforms.some((t) => t.op === "channels_last");
  switch (pre.sourceKind) {
    case "mnist":
    case "fashion_mnist":
      return { height: 28, width: 28, channels: 1, layout: "hw" };
    case "cifar10":
      return { height: 32, width: 32, channels: 3, layout: "chw" };
    case "images": {
      const [h, w] = pre.imageSize ?? [pre.inputShape[0], pre.inputShape[1]];
      if (!h || !w) return null;
      const channels = pre.channels === 3 ? 3 : 1;
      return { height: h, width: w, channels, layout: hasChannelsLast ? "chw" : "hwc" };
    }
    case "idx": {
      // IDX files of images are [N, H, W]; only grey images are meaningful to draw or upload.
      const s = pre.inputShape;
      if (s.length === 2 || (s.length === 3 && s[2] === 1)) return { height: s[0]!, width: s[1]!, channels: 1, layout: "hw" };
      return null;
    }
    default:
      return null;
  }
}

/**
 * RGBA pixels (any size) -> the raw sample: grey by ITU-R 601 luma or RGB, bilinear resize
 * with half-pixel centres, values 0..255, in the geometry's layout. The same arithmetic runs in
 * predict.html (PAGE_PIXELS_JS below), so keep the two in step.
 */
export function pixelsToSample(img: { width: number; height: number; rgba: Uint8Array | Uint8ClampedArray }, g: ImageGeometry): Float32Array {
  const { width: W, height: H, rgba } = img;
  const h = g.height, w = g.width, C = g.channels;
  const out = new Float32Array(h * w * C);
  const px = (x: number, y: number, c: number): number => {
    const o = (y * W + x) * 4;
    if (C === 1) return 0.299 * rgba[o]! + 0.587 * rgba[o + 1]! + 0.114 * rgba[o + 2]!;
    return rgba[o + c]!;
  };
  for (let y = 0; y < h; y++) {
    const sy = H === h ? y : Math.min(H - 1, Math.max(0, ((y + 0.5) * H) / h - 0.5));
    const y0 = Math.floor(sy), y1 = Math.min(H - 1, y0 + 1), fy = sy - y0;
    for (let x = 0; x < w; x++) {
      const sx = W === w ? x : Math.min(W - 1, Math.max(0, ((x + 0.5) * W) / w - 0.5));
      const x0 = Math.floor(sx), x1 = Math.min(W - 1, x0 + 1), fx = sx - x0;
      for (let c = 0; c < C; c++) {
        const v = (1 - fy) * ((1 - fx) * px(x0, y0, c) + fx * px(x1, y0, c)) + fy * ((1 - fx) * px(x0, y1, c) + fx * px(x1, y1, c));
        const at = g.layout === "chw" ? (c * h + y) * w + x : (y * w + x) * C + c;
        out[at] = v;
      }
    }
  }
  return out;
}

/**
 * The browser twin of pixelsToSample and of the runtime's transforms (data/transforms.ts), as
 * plain ES2017 for predict.html. Tested against `dlpc predict` in Chromium (tests/browser).
 */
export const PAGE_PIXELS_JS = String.raw`
function pixelsToSample(img, g) {
  var W = img.width, H = img.height, rgba = img.data, h = g.height, w = g.width, C = g.channels;
  var out = new Float32Array(h * w * C);
  function px(x, y, c) {
    var o = (y * W + x) * 4;
    if (C === 1) return 0.299 * rgba[o] + 0.587 * rgba[o + 1] + 0.114 * rgba[o + 2];
    return rgba[o + c];
  }
  for (var y = 0; y < h; y++) {
    var sy = H === h ? y : Math.min(H - 1, Math.max(0, ((y + 0.5) * H) / h - 0.5));
    var y0 = Math.floor(sy), y1 = Math.min(H - 1, y0 + 1), fy = sy - y0;
    for (var x = 0; x < w; x++) {
      var sx = W === w ? x : Math.min(W - 1, Math.max(0, ((x + 0.5) * W) / w - 0.5));
      var x0 = Math.floor(sx), x1 = Math.min(W - 1, x0 + 1), fx = sx - x0;
      for (var c = 0; c < C; c++) {
        var v = (1 - fy) * ((1 - fx) * px(x0, y0, c) + fx * px(x1, y0, c)) + fy * ((1 - fx) * px(x0, y1, c) + fx * px(x1, y1, c));
        out[g.layout === "chw" ? (c * h + y) * w + x : (y * w + x) * C + c] = v;
      }
    }
  }
  return out;
}

function applyTransforms(data, shape, transforms) {
  var d = Float32Array.from(data), s = shape.slice(), i, k;
  var size = function (a) { return a.reduce(function (p, q) { return p * q; }, 1); };
  transforms.forEach(function (t) {
    switch (t.op) {
      case "scale": for (i = 0; i < d.length; i++) d[i] = d[i] * t.by; break;
      case "shift": for (i = 0; i < d.length; i++) d[i] = d[i] + t.by; break;
      case "normalize": { var inv = 1 / (t.std || 1); for (i = 0; i < d.length; i++) d[i] = (d[i] - t.mean) * inv; break; }
      case "standardize":
        if (t.mean.length !== d.length) throw new Error("standardize was fitted on " + t.mean.length + " features, the image gives " + d.length);
        for (i = 0; i < d.length; i++) d[i] = (d[i] - t.mean[i]) / t.std[i];
        break;
      case "reshape":
        if (size(t.shape) !== size(s)) throw new Error("cannot reshape " + s.join("x") + " to " + t.shape.join("x"));
        s = t.shape.slice();
        break;
      case "channels_last": {
        var c = s[0], h = s[1], w = s[2], tmp = new Float32Array(d.length);
        for (k = 0; k < c; k++) for (var y = 0; y < h; y++) for (var x = 0; x < w; x++) tmp[(y * w + x) * c + k] = d[(k * h + y) * w + x];
        d = tmp; s = [h, w, c];
        break;
      }
      default: throw new Error("the transform " + t.op + " cannot be applied to an image");
    }
  });
  return { data: d, shape: s };
}
`;
