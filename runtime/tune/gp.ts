// Gaussian-process surrogate: ARD Matern 5/2 kernel on [0,1]^d inputs, standardised outputs,
// hyper-parameters (length-scales, signal and noise variance) fitted by maximising the log
// marginal likelihood (with weak log-normal priors) by Adam on analytic gradients, Cholesky
// with growing jitter, and log expected improvement for minimisation.

const SQRT5 = Math.sqrt(5);
const LOG_2PI = Math.log(2 * Math.PI);

/** Log-space hyper-parameters: d length-scales, then signal variance, then noise variance. */
export type Hyper = Float64Array;

export const LS_MIN = Math.log(0.01);
export const LS_MAX = Math.log(20);
const SF_MIN = Math.log(0.05);
const SF_MAX = Math.log(20);
const SN_MIN = Math.log(1e-6);
const SN_MAX = Math.log(0.2);

/** In-place lower Cholesky of a row-major n×n matrix; false when not positive definite. */
export function cholesky(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let s = a[j * n + j]!;
    for (let k = 0; k < j; k++) s -= a[j * n + k]! * a[j * n + k]!;
    if (!(s > 0)) return false;
    const d = Math.sqrt(s);
    a[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let t = a[i * n + j]!;
      for (let k = 0; k < j; k++) t -= a[i * n + k]! * a[j * n + k]!;
      a[i * n + j] = t / d;
    }
    for (let k = j + 1; k < n; k++) a[j * n + k] = 0;
  }
  return true;
}

/** Solves L z = b (forward substitution). */
function forward(L: Float64Array, n: number, b: Float64Array, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * out[k]!;
    out[i] = s / L[i * n + i]!;
  }
}

/** Solves L^T z = b (back substitution). */
function backward(L: Float64Array, n: number, b: Float64Array, out: Float64Array): void {
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * out[k]!;
    out[i] = s / L[i * n + i]!;
  }
}

/** Standard normal density and CDF (erfc by W. J. Cody's rational approximation via erf). */
function normPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}
function erfc(x: number): number {
  // Numerical Recipes erfcc, fractional error < 1.2e-7 everywhere.
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
function normCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** log EI(z) / sigma for z = (best - mu) / sigma, stable far into the lower tail. */
function logH(z: number): number {
  if (z > -6) {
    const v = z * normCdf(z) + normPdf(z);
    return Math.log(Math.max(v, 1e-300));
  }
  // Asymptotic: phi(z) * (1/z^2 - 3/z^4 + 15/z^6) for z -> -inf.
  const z2 = z * z;
  return -0.5 * z2 - 0.5 * LOG_2PI + Math.log((1 - 3 / z2 + 15 / (z2 * z2)) / z2);
}

export interface GPOptions {
  /** Adam steps per start. */
  steps?: number;
  /** Starting hyper-parameters from an earlier fit (warm start). */
  warm?: Hyper;
}

export class GP {
  readonly n: number;
  readonly d: number;
  readonly X: Float64Array[];
  /** Standardised targets. */
  readonly y: Float64Array;
  readonly yMean: number;
  readonly yStd: number;
  hyper: Hyper;
  private L: Float64Array = new Float64Array(0);
  private alpha: Float64Array = new Float64Array(0);
  private ls: Float64Array;
  private sf2 = 1;
  private tmpK: Float64Array;
  private tmpV: Float64Array;

  constructor(X: Float64Array[], yRaw: number[], opts: GPOptions = {}) {
    this.n = X.length;
    this.d = X[0]?.length ?? 0;
    this.X = X;
    const mean = yRaw.reduce((a, b) => a + b, 0) / Math.max(1, yRaw.length);
    const sd = Math.sqrt(yRaw.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, yRaw.length)) || 1;
    this.yMean = mean;
    this.yStd = sd;
    this.y = Float64Array.from(yRaw, (v) => (v - mean) / sd);
    this.ls = new Float64Array(this.d);
    this.tmpK = new Float64Array(this.n);
    this.tmpV = new Float64Array(this.n);
    this.hyper = this.fit(opts);
    this.factor(this.hyper);
  }

  static defaultHyper(d: number): Hyper {
    const h = new Float64Array(d + 2);
    h.fill(Math.log(0.3), 0, d);
    h[d] = 0;
    h[d + 1] = Math.log(1e-4);
    return h;
  }

  /** Log marginal likelihood plus log priors, and its gradient in log space. */
  objective(h: Hyper, grad: Float64Array | null): number {
    const { n, d, X, y } = this;
    const ls = new Float64Array(d);
    for (let k = 0; k < d; k++) ls[k] = Math.exp(h[k]!);
    const sf2 = Math.exp(h[d]!);
    const sn2 = Math.exp(h[d + 1]!);
    const K = new Float64Array(n * n);
    const R = new Float64Array(n * n); // r
    for (let i = 0; i < n; i++) {
      const xi = X[i]!;
      for (let j = 0; j < i; j++) {
        const xj = X[j]!;
        let s = 0;
        for (let k = 0; k < d; k++) {
          const t = (xi[k]! - xj[k]!) / ls[k]!;
          s += t * t;
        }
        const r = Math.sqrt(s);
        const sr = SQRT5 * r;
        const kv = sf2 * (1 + sr + (5 * s) / 3) * Math.exp(-sr);
        K[i * n + j] = kv;
        K[j * n + i] = kv;
        R[i * n + j] = r;
        R[j * n + i] = r;
      }
      K[i * n + i] = sf2;
    }
    let jitter = 1e-8;
    let L: Float64Array;
    for (;;) {
      L = K.slice();
      for (let i = 0; i < n; i++) L[i * n + i] = L[i * n + i]! + sn2 + jitter;
      if (cholesky(L, n)) break;
      jitter *= 10;
      if (jitter > 1) return -Infinity;
    }
    const tmp = new Float64Array(n);
    const alpha = new Float64Array(n);
    forward(L, n, y, tmp);
    backward(L, n, tmp, alpha);
    let lml = 0;
    for (let i = 0; i < n; i++) lml -= 0.5 * y[i]! * alpha[i]! + Math.log(L[i * n + i]!);
    lml -= 0.5 * n * LOG_2PI;
    // Priors: length-scales ~ LogNormal(log 0.5, 1), signal ~ LogNormal(0, 1), noise ~ LogNormal(log 1e-4, 2).
    let prior = 0;
    for (let k = 0; k < d; k++) prior -= 0.5 * (h[k]! - Math.log(0.5)) ** 2;
    prior -= 0.5 * h[d]! ** 2;
    prior -= 0.5 * ((h[d + 1]! - Math.log(1e-4)) / 2) ** 2;
    if (grad) {
      // Kinv from L: invert L then Kinv = L^-T L^-1.
      const Li = new Float64Array(n * n);
      for (let c = 0; c < n; c++) {
        for (let i = c; i < n; i++) {
          let s = i === c ? 1 : 0;
          for (let k = c; k < i; k++) s -= L[i * n + k]! * Li[k * n + c]!;
          Li[i * n + c] = s / L[i * n + i]!;
        }
      }
      const W = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let k = i; k < n; k++) s += Li[k * n + i]! * Li[k * n + j]!;
          const w = alpha[i]! * alpha[j]! - s;
          W[i * n + j] = w;
          W[j * n + i] = w;
        }
      }
      grad.fill(0);
      let gsf = 0;
      let tr = 0;
      for (let i = 0; i < n; i++) {
        tr += W[i * n + i]!;
        gsf += W[i * n + i]! * sf2;
        const xi = X[i]!;
        for (let j = 0; j < i; j++) {
          const w = W[i * n + j]!;
          gsf += 2 * w * K[i * n + j]!;
          const r = R[i * n + j]!;
          const base = 2 * w * sf2 * (5 / 3) * (1 + SQRT5 * r) * Math.exp(-SQRT5 * r);
          const xj = X[j]!;
          for (let k = 0; k < d; k++) {
            const t = (xi[k]! - xj[k]!) / ls[k]!;
            grad[k] = grad[k]! + base * t * t;
          }
        }
      }
      for (let k = 0; k < d; k++) grad[k] = 0.5 * grad[k]! - (h[k]! - Math.log(0.5));
      grad[d] = 0.5 * gsf - h[d]!;
      grad[d + 1] = 0.5 * sn2 * tr - (h[d + 1]! - Math.log(1e-4)) / 4;
    }
    return lml + prior;
  }

  private clamp(h: Hyper): void {
    const d = this.d;
    for (let k = 0; k < d; k++) h[k] = Math.min(LS_MAX, Math.max(LS_MIN, h[k]!));
    h[d] = Math.min(SF_MAX, Math.max(SF_MIN, h[d]!));
    h[d + 1] = Math.min(SN_MAX, Math.max(SN_MIN, h[d + 1]!));
  }

  private fit(opts: GPOptions): Hyper {
    const d = this.d;
    const starts: Hyper[] = [GP.defaultHyper(d)];
    if (opts.warm && opts.warm.length === d + 2) starts.unshift(Float64Array.from(opts.warm));
    const steps = opts.steps ?? 60;
    let best = starts[0]!;
    let bestVal = -Infinity;
    const g = new Float64Array(d + 2);
    for (const s of starts) {
      const h = Float64Array.from(s);
      const m = new Float64Array(d + 2);
      const v = new Float64Array(d + 2);
      const lr = 0.08;
      let localBest = Float64Array.from(h);
      let localVal = -Infinity;
      for (let t = 1; t <= steps; t++) {
        const val = this.objective(h, g);
        if (val > localVal) {
          localVal = val;
          localBest = Float64Array.from(h);
        }
        if (!Number.isFinite(val)) break;
        for (let k = 0; k < d + 2; k++) {
          const gk = g[k]!;
          m[k] = 0.9 * m[k]! + 0.1 * gk;
          v[k] = 0.999 * v[k]! + 0.001 * gk * gk;
          const mh = m[k]! / (1 - 0.9 ** t);
          const vh = v[k]! / (1 - 0.999 ** t);
          h[k] = h[k]! + (lr * mh) / (Math.sqrt(vh) + 1e-8);
        }
        this.clamp(h);
      }
      const last = this.objective(h, null);
      if (last > localVal) {
        localVal = last;
        localBest = Float64Array.from(h);
      }
      if (localVal > bestVal) {
        bestVal = localVal;
        best = localBest;
      }
    }
    return best;
  }

  private factor(h: Hyper): void {
    const { n, d, X } = this;
    for (let k = 0; k < d; k++) this.ls[k] = Math.exp(h[k]!);
    this.sf2 = Math.exp(h[d]!);
    const sn2 = Math.exp(h[d + 1]!);
    const K = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        const kv = i === j ? this.sf2 : this.k(X[i]!, X[j]!);
        K[i * n + j] = kv;
        K[j * n + i] = kv;
      }
    }
    let jitter = 1e-8;
    for (;;) {
      const L = K.slice();
      for (let i = 0; i < n; i++) L[i * n + i] = L[i * n + i]! + sn2 + jitter;
      if (cholesky(L, n)) {
        this.L = L;
        break;
      }
      jitter *= 10;
    }
    const tmp = new Float64Array(n);
    this.alpha = new Float64Array(n);
    forward(this.L, n, this.y, tmp);
    backward(this.L, n, tmp, this.alpha);
  }

  private k(a: ArrayLike<number>, b: ArrayLike<number>): number {
    let s = 0;
    for (let q = 0; q < this.d; q++) {
      const t = (a[q]! - b[q]!) / this.ls[q]!;
      s += t * t;
    }
    const sr = SQRT5 * Math.sqrt(s);
    return this.sf2 * (1 + sr + (5 * s) / 3) * Math.exp(-sr);
  }

  /** Posterior mean and standard deviation in standardised units. */
  predict(x: ArrayLike<number>): { mu: number; sd: number } {
    const { n } = this;
    const kv = this.tmpK;
    let mu = 0;
    for (let i = 0; i < n; i++) {
      kv[i] = this.k(x, this.X[i]!);
      mu += kv[i]! * this.alpha[i]!;
    }
    forward(this.L, n, kv, this.tmpV);
    let vv = 0;
    for (let i = 0; i < n; i++) vv += this.tmpV[i]! * this.tmpV[i]!;
    return { mu, sd: Math.sqrt(Math.max(this.sf2 - vv, 1e-12)) };
  }

  /** Log expected improvement below `best` (standardised units). */
  logEI(x: ArrayLike<number>, best: number): number {
    const { mu, sd } = this.predict(x);
    return Math.log(sd) + logH((best - mu) / sd);
  }

  /** Standardises a raw target value. */
  scale(v: number): number {
    return (v - this.yMean) / this.yStd;
  }
}
