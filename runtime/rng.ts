// Seeded randomness: one PRNG (mulberry32) for shuffles, splits and augmentation, and a way to
// route Math.random through it while tfjs builds and trains a model (initializers and dropout
// without an explicit seed call Math.random), so a run is reproducible from the pipeline seed.

export type Rng = () => number;

/** A PRNG whose whole state (one uint32) can be read and set: training checkpoints save it. */
export type StatefulRng = Rng & { getState(): number; setState(state: number): void };

export function mulberry32(seed: number): StatefulRng {
  let a = seed >>> 0;
  const next = (() => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as StatefulRng;
  next.getState = () => a;
  next.setState = (s: number) => { a = s >>> 0; };
  return next;
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

/**
 * Runs `f` with Math.random replaced by a PRNG seeded with `seed`; restores it afterwards. `f`
 * gets that PRNG, so a training checkpoint can save and restore its state (dropout draws from it).
 */
export async function withSeededMathRandom<T>(seed: number, f: (random: StatefulRng) => Promise<T>): Promise<T> {
  const original = Math.random;
  const random = mulberry32(seed ^ 0x5bd1e995);
  Math.random = random;
  try {
    return await f(random);
  } finally {
    Math.random = original;
  }
}
