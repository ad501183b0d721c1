// Seeded randomness for the tuning engine: a 32-bit hash to derive seeds and a small,
// fast PRNG (sfc32). Nothing in runtime/tune may use Math.random.

/** Mixes any number of integers and strings into one unsigned 32-bit value (murmur3 finaliser). */
export function hash32(...parts: (number | string)[]): number {
  let h = 0x9e3779b9 >>> 0;
  const mix = (k: number): void => {
    k = Math.imul(k >>> 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) >>> 0;
  };
  for (const p of parts) {
    if (typeof p === "number") {
      // Integers mix directly; other numbers through their two 32-bit halves.
      if (Number.isInteger(p) && Math.abs(p) < 2 ** 53) {
        mix(p % 4294967296);
        mix(Math.floor(p / 4294967296));
      } else {
        const f = new Float64Array([p]);
        const u = new Uint32Array(f.buffer);
        mix(u[0]!);
        mix(u[1]!);
      }
    } else {
      mix(0x5bd1e995 ^ p.length);
      for (let i = 0; i < p.length; i++) mix(p.charCodeAt(i));
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The seed of trial `number` in a study seeded with `studySeed`. */
export function trialSeed(studySeed: number, number: number): number {
  return hash32(studySeed, "trial", number);
}

/** sfc32: small fast counter PRNG, 128-bit state, seeded through hash32. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(...seed: (number | string)[]) {
    this.a = hash32(...seed, 1);
    this.b = hash32(...seed, 2);
    this.c = hash32(...seed, 3);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextU32();
  }
  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    return (this.nextU32() + (this.nextU32() >>> 11) / 2097152) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = xs[i]!;
      xs[i] = xs[j]!;
      xs[j] = t;
    }
    return xs;
  }
}
