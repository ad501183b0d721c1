// Pretrained weights (`init_weights "…"` in the train section): a dlp run folder or any tfjs
// model.json, or a Keras HDF5 weights file (.h5, `model.save_weights` or `model.save`, read with
// h5wasm), copied into the model before training. Layers are matched in order (the file's
// weighted layers initialise the model's first weighted layers, so a base's weights start a
// model that adds a new head) or by name (Keras's names: dense, dense_1, conv2d, …, or the tfjs
// names). Every mismatch is an error naming the model's layer, the file's layer and both shapes;
// nothing is copied unless everything fits.
import { existsSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { tf } from "./tf.ts";
import { TrainingError } from "./errors.ts";
import { readHead } from "./data/bounded.ts";
import { causeOf } from "./library_errors.ts";
import { MODEL_FILE, readArtifacts } from "./io.ts";

export interface InitWeightsSpec {
  path: string;
  match: "order" | "name";
  /** Only the file's first N layers with weights. */
  layers?: number;
}

/** One layer's weights from a file, in the layer's own order (kernel, bias, …). */
export interface SourceLayer {
  name: string;
  weights: { name: string; shape: number[]; data: Float32Array }[];
}

/** Keras's automatic layer names: snake case of the class, then _1, _2, … per class. */
export function kerasNames(model: tf.LayersModel): string[] {
  const seen = new Map<string, number>();
  return model.layers.map((l) => {
    const base = l.getClassName().replace(/(.)([A-Z][a-z]+)/g, "$1_$2").replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  });
}

function fromArtifacts(dir: string): SourceLayer[] {
  const a = readArtifacts(dir);
  const specs = a.weightSpecs ?? [];
  const named = tf.io.decodeWeights(a.weightData as ArrayBuffer, specs);
  const layers: SourceLayer[] = [];
  for (const s of specs) {
    const layer = s.name.split("/")[0]!;
    const t = named[s.name]!;
    let entry = layers[layers.length - 1];
    if (!entry || entry.name !== layer) layers.push((entry = { name: layer, weights: [] }));
    entry.weights.push({ name: s.name, shape: t.shape.slice(), data: Float32Array.from(t.dataSync() as Float32Array) });
    t.dispose();
  }
  return layers;
}

interface H5Group { keys(): string[]; get(k: string): unknown; attrs: Record<string, { value: unknown }> }
interface H5Dataset { shape: number[]; value: unknown; dtype: string }

async function fromH5(file: string): Promise<SourceLayer[]> {
  let h5: { ready: Promise<unknown>; File: new (path: string, mode: string) => H5Group & { close(): void }; Module?: { activate_throwing_error_handler?(): number } };
  try {
    h5 = (await import("h5wasm/node")) as unknown as typeof h5;
  } catch (e) {
    throw new TrainingError(`${file}: reading HDF5 needs the npm package h5wasm (${(e as Error).message})`);
  }
  await h5.ready;
  let head: Buffer;
  try {
    head = readHead(file, 8);
  } catch (e) {
    throw new TrainingError(`init_weights: ${(e as Error).message}`); // readHead's message names the file and the reason
  }
  if (!head.equals(Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    throw new TrainingError(`init_weights: ${file} is not an HDF5 file (its first bytes are not the HDF5 signature): give a Keras .h5 weights file, a tfjs model.json or a dlp run folder`);
  }
  // By default HDF5 reports a damaged file by printing its error stack on stderr (HDF5-DIAG,
  // dozens of lines) and fails later with texts like "error - name not defined!". h5wasm's
  // throwing handler turns the stack into the thrown error instead; its innermost frame becomes
  // the cause of one message in our words.
  h5.Module?.activate_throwing_error_handler?.();
  const damaged = (e: unknown): TrainingError => {
    const text = e instanceof Error ? e.message : String(e);
    const last = text.split("\n").map((l) => l.trim()).filter((l) => /^#\d+:/.test(l)).pop();
    const why = last ? last.replace(/^#\d+:\s*\S+ line \d+ in /, "") : text;
    return new TrainingError(`init_weights: ${file} has the HDF5 signature but cannot be read: the file is damaged or truncated; copy or save it again${causeOf(why)}`);
  };
  let f: H5Group & { close(): void };
  try {
    f = new h5.File(file, "r");
    f.keys(); // a file whose superblock could not be read fails here
  } catch (e) {
    throw damaged(e);
  }
  try {
    const strings = (v: unknown): string[] => (Array.isArray(v) ? v : [v]).map((x) => (typeof x === "string" ? x : new TextDecoder().decode(x as Uint8Array)));
    // model.save() nests the weights under /model_weights; save_weights() puts them at the root.
    const root = f.keys().includes("model_weights") ? (f.get("model_weights") as H5Group) : f;
    const names = root.attrs["layer_names"];
    if (!names) {
      const hint = f.keys().includes("layers") ? " (this looks like a Keras 3 .weights.h5 file; save with Keras 2's format, h5 with layer_names, or convert to tfjs)" : "";
      throw new TrainingError(`${file}: no "layer_names" attribute: not a Keras weights file${hint}`);
    }
    const out: SourceLayer[] = [];
    for (const layer of strings(names.value)) {
      const g = root.get(layer) as H5Group | null;
      if (!g) throw new TrainingError(`${file}: layer "${layer}" is listed in layer_names but has no group`);
      const wn = g.attrs["weight_names"];
      // Keras writes an empty weight_names for layers without weights (h5 reads it back as [""]).
      const weights = wn ? strings(wn.value).filter((w) => w !== "") : [];
      const entry: SourceLayer = { name: layer, weights: [] };
      for (const w of weights) {
        const d = g.get(w) as H5Dataset | null;
        if (!d || !Array.isArray(d.shape)) throw new TrainingError(`${file}: weight "${layer}/${w}" is listed in weight_names but is not a dataset there`);
        const v = d.value;
        if (!v || typeof (v as ArrayLike<number>).length !== "number") throw new TrainingError(`${file}: weight "${layer}/${w}" (${d.dtype}) is not a numeric array`);
        const data = v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
        entry.weights.push({ name: `${layer}/${w}`, shape: d.shape.slice(), data });
      }
      if (entry.weights.length) out.push(entry);
    }
    return out;
  } catch (e) {
    if (e instanceof TrainingError) throw e;
    throw damaged(e);
  } finally {
    try {
      f.close();
    } catch {
      // closing a damaged file fails too; the error above says what matters
    }
  }
}

/** Reads the layers' weights of a run folder, a model.json or an .h5 file. */
export async function readSourceLayers(path: string): Promise<SourceLayer[]> {
  if (!existsSync(path)) throw new TrainingError(`init_weights: ${path} does not exist (a run folder, a tfjs model.json or a Keras .h5 weights file)`);
  if (statSync(path).isDirectory()) {
    if (!existsSync(join(path, MODEL_FILE))) throw new TrainingError(`init_weights: ${path} is a folder without ${MODEL_FILE} (expected a dlp run folder or a tfjs model)`);
    return fromArtifacts(path);
  }
  if (/\.(h5|hdf5|keras)$/i.test(path)) return fromH5(path);
  if (basename(path).endsWith(".json")) {
    if (basename(path) !== MODEL_FILE) throw new TrainingError(`init_weights: ${path}: give the model's folder or its ${MODEL_FILE}`);
    return fromArtifacts(dirname(path));
  }
  throw new TrainingError(`init_weights: ${path}: unknown format (expected a run folder, model.json, or .h5)`);
}

const fmt = (s: readonly (number | null)[]): string => `[${s.join(",")}]`;

/**
 * Copies `source` layers into `model`; returns how many of the model's weighted layers it set.
 * Throws, copying nothing, at the first layer whose weights do not fit.
 */
export function assignLayers(model: tf.LayersModel, source: SourceLayer[], match: "order" | "name", file: string): { set: number; of: number } {
  const keras = kerasNames(model);
  const targets = model.layers.map((l, i) => ({ l, i, keras: keras[i]! })).filter((t) => t.l.weights.length > 0);
  const pairs: { t: (typeof targets)[number]; s: SourceLayer }[] = [];
  if (match === "order") {
    if (source.length > targets.length) {
      throw new TrainingError(`${file} holds weights for ${source.length} layers, the model has ${targets.length} layers with weights (the file's layer "${source[targets.length]!.name}" has no counterpart)`);
    }
    source.forEach((s, k) => pairs.push({ t: targets[k]!, s }));
  } else {
    const byName = new Map(source.map((s) => [s.name, s]));
    for (const t of targets) {
      const s = byName.get(t.keras) ?? byName.get(t.l.name);
      if (s) { pairs.push({ t, s }); byName.delete(s.name); }
    }
    if (pairs.length === 0) throw new TrainingError(`${file}: no layer name matches the model's (file: ${source.slice(0, 5).map((s) => s.name).join(", ")}…; model: ${targets.slice(0, 5).map((t) => t.keras).join(", ")}…)`);
  }
  for (const { t, s } of pairs) {
    const want = t.l.weights;
    const what = `layer ${t.i} of the model (${t.keras}, ${t.l.getClassName()})`;
    if (want.length !== s.weights.length) {
      throw new TrainingError(`${file}: ${what} has ${want.length} weight tensors (${want.map((w) => `${w.name.split("/").pop()} ${fmt(w.shape)}`).join(", ")}), the file's layer "${s.name}" has ${s.weights.length} (${s.weights.map((w) => fmt(w.shape)).join(", ")})`);
    }
    want.forEach((w, k) => {
      const got = s.weights[k]!;
      if (w.shape.join(",") !== got.shape.join(",")) {
        throw new TrainingError(`${file}: ${what} needs ${w.name.split("/").pop()} ${fmt(w.shape)}, the file's layer "${s.name}" has ${got.name.split("/").pop()} ${fmt(got.shape)}`);
      }
    });
  }
  for (const { t, s } of pairs) t.l.setWeights(s.weights.map((w) => tf.tensor(w.data, w.shape)));
  return { set: pairs.length, of: targets.length };
}

export async function loadInitWeights(model: tf.LayersModel, spec: InitWeightsSpec, say: (s: string) => void): Promise<void> {
  const all = await readSourceLayers(spec.path);
  if (spec.layers !== undefined && spec.layers > all.length) throw new TrainingError(`init_weights ${spec.path} first ${spec.layers}: the file has ${all.length} layers with weights`);
  const layers = spec.layers !== undefined ? all.slice(0, spec.layers) : all;
  const r = assignLayers(model, layers, spec.match, spec.path);
  say(`init_weights: ${r.set} of ${r.of} layers with weights start from ${spec.path}${spec.match === "name" ? " (matched by name)" : ""}`);
}
