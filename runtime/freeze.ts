// Freezing at run time (see compiler/semantic/freeze.ts for the language side): the emitted
// buildModel calls `freezeBlock` for a block call given `trainable: false` and `freezeUpTo` for a
// `freeze` statement; `batchNormInferenceWhenFrozen` makes a frozen BatchNormalization run in
// inference mode while the rest of the model trains, as Keras (TF 2) does and tfjs does not.
import { tf } from "./tf.ts";

type Layer = tf.layers.Layer;

/** Every layer on the paths into `outputs`, not going past `stop` (tensors outside the part). */
function layersInto(outputs: tf.SymbolicTensor[], stop: tf.SymbolicTensor[]): Set<Layer> {
  const stopIds = new Set(stop.map((t) => t.id));
  const seen = new Set<number>();
  const layers = new Set<Layer>();
  const pending = [...outputs];
  while (pending.length) {
    const t = pending.pop()!;
    if (stopIds.has(t.id) || seen.has(t.id)) continue;
    seen.add(t.id);
    if (t.sourceLayer && t.sourceLayer.getClassName() !== "InputLayer") layers.add(t.sourceLayer);
    pending.push(...(t.inputs ?? []));
  }
  return layers;
}

function freeze(layers: Iterable<Layer>): void {
  for (const l of layers) l.trainable = false;
}

/**
 * Builds a block call's layers with `build(inputs)`; when `trainable` is false, freezes every
 * layer between the call's inputs and its output (the layers the call built).
 */
export function freezeBlock(trainable: boolean, inputs: tf.SymbolicTensor[], build: (inputs: tf.SymbolicTensor[]) => tf.SymbolicTensor): tf.SymbolicTensor {
  const out = build(inputs);
  if (!trainable) freeze(layersInto([out], inputs));
  return out;
}

/** `freeze`: every layer built so far, i.e. every layer that the tensors in scope come from. */
export function freezeUpTo(tensors: tf.SymbolicTensor[]): void {
  freeze(layersInto(tensors, []));
}

const patched = new WeakSet<Layer>();

/**
 * A frozen BatchNormalization normalizes with its moving mean and variance and leaves them as
 * they are, also when the model trains (Keras's rule since TF 2.0: `trainable = False` on a
 * batch norm means inference mode). tfjs always uses the batch's statistics in training and
 * updates the moving ones, so each frozen batch norm of `model` (nested models included) gets
 * its call wrapped to pass `training: false` while it is frozen.
 */
export function batchNormInferenceWhenFrozen(model: tf.LayersModel): void {
  const visit = (layers: Layer[]): void => {
    for (const l of layers) {
      if (l instanceof tf.LayersModel) visit(l.layers);
      if (l.getClassName() !== "BatchNormalization" || patched.has(l)) continue;
      patched.add(l);
      const call = l.call.bind(l);
      l.call = (inputs, kwargs) => call(inputs, l.trainable ? kwargs : { ...kwargs, training: false });
    }
  };
  visit(model.layers);
}
