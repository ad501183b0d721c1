// The layer table: every layer dlp knows, by its .dlp name (aliases included).
import type { ArgCode, LayerDef } from "./types.ts";
import { ACTIVATION_LAYERS } from "./activation.ts";
import { conv1d, conv2d, conv2dTranspose, depthwiseConv2d, separableConv2d } from "./conv.ts";
import { dense, dropout, embedding, gaussianNoise, spatialDropout1d } from "./core.ts";
import { add, average, concatenate, maximum, minimum, multiply } from "./merge.ts";
import { batchNorm, layerNorm } from "./norm.ts";
import { avgPool, avgPool1d, globalAvgPool, globalAvgPool1d, globalMaxPool, globalMaxPool1d, maxPool, maxPool1d } from "./pool.ts";
import { bidirectional, gru, lstm, simpleRnn } from "./recurrent.ts";
import { cropping2d, flatten, permute, repeatVector, reshape, upsampling2d, zeroPadding2d } from "./reshape.ts";
import { callCode } from "./util.ts";
import { timeDistributed, wrapLayers } from "./wrappers.ts";

export * from "./types.ts";
export {
  ACTIVATIONS,
  ACTIVATION_NAMES,
  ACTIVATION_TFJS,
  INITIALIZERS,
  INITIALIZER_NAMES,
  INITIALIZER_TFJS,
  PADDINGS,
  enumCode,
  regularizerCode,
  type ActivationDef,
  type InitializerDef,
} from "./enums.ts";
export { fmtShape } from "./util.ts";

const DEFS: LayerDef[] = [
  dense,
  conv1d,
  conv2d,
  depthwiseConv2d,
  separableConv2d,
  conv2dTranspose,
  maxPool,
  avgPool,
  maxPool1d,
  avgPool1d,
  globalAvgPool,
  globalMaxPool,
  globalAvgPool1d,
  globalMaxPool1d,
  flatten,
  reshape,
  permute,
  repeatVector,
  dropout,
  spatialDropout1d,
  gaussianNoise,
  batchNorm,
  layerNorm,
  embedding,
  lstm,
  gru,
  simpleRnn,
  bidirectional,
  timeDistributed,
  zeroPadding2d,
  cropping2d,
  upsampling2d,
  add,
  concatenate,
  multiply,
  average,
  maximum,
  minimum,
  ...ACTIVATION_LAYERS,
];
wrapLayers(DEFS);

/** Other spellings accepted in .dlp → the canonical layer name. */
export const LAYER_ALIASES: ReadonlyMap<string, string> = new Map([
  ["max_pool2d", "max_pool"],
  ["avg_pool2d", "avg_pool"],
  ["global_avg_pool2d", "global_avg_pool"],
  ["global_max_pool2d", "global_max_pool"],
  ["batch_normalization", "batch_norm"],
  ["layer_normalization", "layer_norm"],
]);

/** Every layer by name, aliases included (an alias maps to the canonical entry, whose
 *  `name` is the canonical spelling). */
export const LAYERS: ReadonlyMap<string, LayerDef> = (() => {
  const m = new Map<string, LayerDef>();
  for (const d of DEFS) {
    if (m.has(d.name)) throw new Error(`layer ${d.name} defined twice`);
    m.set(d.name, d);
  }
  for (const [alias, name] of LAYER_ALIASES) m.set(alias, m.get(name)!);
  return m;
})();

/** The canonical layers, each once, in table order (for docs and completion). */
export const LAYER_DEFS: readonly LayerDef[] = DEFS;

export function getLayer(name: string): LayerDef | undefined {
  return LAYERS.get(name);
}

/** `tf.layers.<factory>({ ... })` for a layer call; the emitter uses it for nested calls
 *  (the `layer` argument of bidirectional) whose arguments are not all literals. */
export function emitLayerCall(name: string, args: Record<string, ArgCode>): string {
  const def = getLayer(name);
  if (!def) throw new Error(`unknown layer ${name}`);
  return callCode(def.tfjs(args));
}
