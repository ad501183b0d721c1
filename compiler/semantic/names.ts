// "did you mean": the closest candidate by edit distance, when it is close enough, with Keras's
// spellings of arguments and layer classes; and the one wording of the suggestion (meantHelp),
// which every "did you mean" of the compiler goes through.
import { LAYERS } from "./layers/index.ts";
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    prev = cur;
  }
  return prev[n];
}

export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const lower = name.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(name.length, best.length) / 3));
  return bestD <= limit && bestD > 0 ? best : bestD === 0 && best !== name ? best : undefined;
}

/**
 * Keras's spellings of arguments that dlp names differently. The rule: dlp has one name per
 * argument (so files stay canonical); a Keras spelling is an error whose help and quick fix give
 * dlp's name, never a silent alias. Keras names dlp spells the same way (`filters`, `units`,
 * `strides`, `padding`, `rate`, `momentum`, …) need no entry.
 */
export const KERAS_ARGUMENTS: Readonly<Record<string, string>> = {
  learning_rate: "lr",
  kernel_size: "kernel",
  pool_size: "pool",
  dilation_rate: "dilation",
  kernel_initializer: "kernel_init",
  bias_initializer: "bias_init",
  embeddings_initializer: "embeddings_init",
  recurrent_initializer: "recurrent_init",
  restore_best_weights: "restore_best",
  beta_1: "beta1",
  beta_2: "beta2",
};

/** The argument a misspelt or Keras-spelt `name` stands for, among `candidates`. */
export function argumentMeant(name: string, candidates: readonly string[]): { name: string; keras: boolean } | undefined {
  const keras = KERAS_ARGUMENTS[name];
  if (keras !== undefined && candidates.includes(keras)) return { name: keras, keras: true };
  const alt = didYouMean(name, candidates);
  return alt === undefined ? undefined : { name: alt, keras: false };
}

/** The help of a suggestion, in the one wording every diagnostic uses: "did you mean `alt`?".
 *  `call`: the suggestion is a call (`dense(…)`); `note`: said after it (why it is meant). */
export function meantHelp(alt: string | undefined, o: { call?: boolean; note?: string } = {}): string | undefined {
  if (alt === undefined) return undefined;
  return `did you mean \`${alt}${o.call ? "(…)" : ""}\`?${o.note ? ` ${o.note}` : ""}`;
}

/** The snake_case of a Keras class name: MaxPooling2D → max_pooling2d. */
function snakeOf(cls: string): string {
  return cls.replace(/(\d)D/g, "$1d").replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2").toLowerCase();
}

/**
 * Keras's layer class names (`Conv2D`, `MaxPooling2D`, `BatchNormalization`, …) with the dlp
 * layer each stands for, from the layer table's own `kerasClass` (no second table): of the
 * names that build that class, the one closest to the class's snake_case (`max_pool2d` for
 * MaxPooling2D). Like KERAS_ARGUMENTS, a Keras spelling is an error whose help and fix give
 * dlp's name, never a silent alias.
 */
export function kerasLayers(): ReadonlyMap<string, string> {
  if (kerasLayers_) return kerasLayers_;
  const best = new Map<string, { name: string; d: number }>();
  for (const [name, def] of LAYERS) {
    const d = editDistance(name, snakeOf(def.kerasClass));
    const prev = best.get(def.kerasClass);
    if (!prev || d < prev.d) best.set(def.kerasClass, { name, d });
  }
  return (kerasLayers_ = new Map([...best].map(([cls, b]) => [cls, b.name])));
}
let kerasLayers_: Map<string, string> | undefined;

/** The layer a misspelt or Keras-spelt name stands for: a Keras class name first, then the
 *  closest of `candidates` (the layers and the file's blocks). */
export function layerMeant(name: string, candidates: Iterable<string>): string | undefined {
  return kerasLayers().get(name) ?? didYouMean(name, candidates);
}
