// Seeded randomness: one PRNG (mulberry32) for shuffles, splits and augmentation, and a way to
// route Math.random through it while tfjs builds and trains a model (initializers and dropout
// without an explicit seed call Math.random), so a run is reproducible from the pipeline seed.

export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates over 0..n-1. */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** Runs `f` with Math.random replaced by a PRNG seeded with `seed`; restores it afterwards. */
export async function withSeededMathRandom<T>(seed: number, f: () => Promise<T>): Promise<T> {
  const original = Math.random;
  Math.random = mulberry32(seed ^ 0x5bd1e995);
  try {
    return await f();
  } finally {
    Math.random = original;
  }
}
