// Model files in the tfjs layers format (model.json + weights.bin) through a tf.io handler on
// the local file system: tfjs-node's file:// scheme is not available with the wasm or cpu
// backends. tf.loadLayersModel(dirHandler(dir)) loads a saved model back.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tf } from "./tf.ts";
import { TrainingError } from "./errors.ts";

type WeightData = ArrayBuffer | ArrayBuffer[];

function joinWeights(data: WeightData | undefined): ArrayBuffer {
  if (!data) return new ArrayBuffer(0);
  if (!Array.isArray(data)) return data;
  return tf.io.concatenateArrayBuffers(data);
}

export const MODEL_FILE = "model.json";
export const WEIGHTS_FILE = "weights.bin";

export function dirHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      mkdirSync(dir, { recursive: true });
      const weights = joinWeights(artifacts.weightData as WeightData | undefined);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? "layers-model",
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: artifacts.convertedBy ?? null,
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFileSync(join(dir, MODEL_FILE), JSON.stringify(modelJson));
      writeFileSync(join(dir, WEIGHTS_FILE), Buffer.from(weights));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON({ ...artifacts, weightData: weights }) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      return readArtifacts(dir);
    },
  };
}

interface ModelJson {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  trainingConfig?: tf.io.TrainingConfig;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

const fmtShape = (shape: number[]): string => `[${shape.join(",")}]`;

/** Bytes one manifest entry takes in the weights file; null where it cannot be known (strings). */
function entryBytes(w: tf.io.WeightsManifestEntry, file: string): number | null {
  if (!Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TrainingError(`${file}: weight "${w.name}" has an invalid shape ${JSON.stringify(w.shape)} in the weightsManifest`);
  }
  if (w.dtype === "string") return null;
  const stored = w.quantization?.dtype ?? w.dtype;
  const per = DTYPE_BYTES[stored];
  if (per === undefined) throw new TrainingError(`${file}: weight "${w.name}" has the unknown dtype "${stored}" in the weightsManifest`);
  return per * w.shape.reduce((a, b) => a * b, 1);
}

/** Reads and checks model.json and its weight files: every error names the file and the item. */
export function readArtifacts(dir: string): tf.io.ModelArtifacts {
  const file = join(dir, MODEL_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new TrainingError(`cannot read the model ${file}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new TrainingError(`${file}: not valid JSON (${(e as Error).message}); expected a tfjs layers model (model.json)`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new TrainingError(`${file}: expected a JSON object with modelTopology and weightsManifest`);
  const json = parsed as Partial<ModelJson>;
  if (typeof json.modelTopology !== "object" || json.modelTopology === null) {
    throw new TrainingError(`${file}: not a tfjs layers model: it has no "modelTopology" object`);
  }
  const manifest = json.weightsManifest ?? [];
  if (!Array.isArray(manifest)) throw new TrainingError(`${file}: "weightsManifest" must be an array of {paths, weights} groups`);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  manifest.forEach((group, gi) => {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new TrainingError(`${file}: weightsManifest[${gi}] must have "paths" and "weights" arrays`);
    }
    const files: { path: string; bytes: Buffer }[] = group.paths.map((p) => {
      const path = join(dir, p);
      try {
        return { path, bytes: readFileSync(path) };
      } catch (e) {
        const code = (e as { code?: string }).code;
        const held = group.weights.map((w) => w.name);
        const what = held.length ? ` holding the weights ${held.slice(0, 4).join(", ")}${held.length > 4 ? `, … (${held.length} in all)` : ""}` : "";
        throw new TrainingError(`${file} names the weights file "${p}"${what}, but ${code === "ENOENT" ? `${path} does not exist` : `it cannot be read: ${(e as Error).message}`}`);
      }
    });
    const found = files.reduce((a, f) => a + f.bytes.length, 0);
    const where = files.map((f) => f.path).join(" + ");
    let offset = 0;
    let sized = true;
    for (const w of group.weights) {
      const need = entryBytes(w, file);
      if (need === null) { sized = false; break; }
      if (offset + need > found) {
        const left = Math.max(0, found - offset);
        throw new TrainingError(`${where} is truncated: ${found} bytes, model.json's weightsManifest needs ${offset + need} or more; weight "${w.name}" (${w.quantization?.dtype ?? w.dtype} ${fmtShape(w.shape)}, ${need} bytes) starts at byte offset ${offset} and only ${left} bytes are left`);
      }
      offset += need;
    }
    if (sized && offset !== found) {
      const lastName = group.weights[group.weights.length - 1]?.name;
      throw new TrainingError(`${where} has ${found} bytes, but model.json's weightsManifest describes ${offset} (${found - offset} extra bytes${lastName ? ` after the last weight "${lastName}"` : ""}): the weights file does not belong to this model.json`);
    }
    specs.push(...group.weights);
    buffers.push(...files.map((f) => f.bytes));
  });
  const all = Buffer.concat(buffers);
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  };
  if (json.format) artifacts.format = json.format;
  if (json.generatedBy) artifacts.generatedBy = json.generatedBy;
  if (json.trainingConfig) artifacts.trainingConfig = json.trainingConfig;
  return artifacts;
}

/**
 * After tfjs refused the weights, compares the manifest with the weights the topology declares,
 * to name the first missing, unknown or wrongly shaped weight. Null when they agree.
 */
async function explainWeightMismatch(artifacts: tf.io.ModelArtifacts, file: string): Promise<string | null> {
  let bare: tf.LayersModel;
  try {
    bare = await tf.loadLayersModel({ load: async () => ({ modelTopology: artifacts.modelTopology! }) });
  } catch {
    return null;
  }
  try {
    const want = new Map(bare.weights.map((w) => [w.originalName, w.shape as number[]]));
    const specs = artifacts.weightSpecs ?? [];
    const listed = new Set(specs.map((s) => s.name));
    const missing = [...want.keys()].filter((n) => !listed.has(n));
    const unknown = specs.map((s) => s.name).filter((n) => !want.has(n));
    const names = (ns: string[]): string => ns.map((n) => `"${n}"`).join(", ");
    if (missing.length || unknown.length) {
      const parts: string[] = [];
      if (missing.length) parts.push(`the model's weight${missing.length > 1 ? "s" : ""} ${names(missing)} ${missing.length > 1 ? "are" : "is"} missing from the weightsManifest`);
      if (unknown.length) parts.push(`the weightsManifest lists ${names(unknown)}, which no layer of the model has`);
      return `${file}: ${parts.join("; ")} (${specs.length} listed, the model has ${want.size})`;
    }
    for (const s of specs) {
      const shape = want.get(s.name);
      if (!shape) continue;
      if (shape.join(",") !== s.shape.join(",")) return `${file}: weight "${s.name}" is ${fmtShape(s.shape)} in the weightsManifest, the model's layer needs ${fmtShape(shape)}`;
    }
    return null;
  } finally {
    bare.dispose();
  }
}

export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(dirHandler(dir));
}

/** Loads DIR/model.json + its weights; bad files get a TrainingError naming the file and the weight. */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const artifacts = readArtifacts(dir);
  const file = join(dir, MODEL_FILE);
  try {
    return await tf.loadLayersModel({ load: async () => artifacts });
  } catch (e) {
    const why = await explainWeightMismatch(artifacts, file);
    throw new TrainingError(why ?? `cannot load the model ${file}: ${(e as Error).message}`);
  }
}

/** Copies weights of a saved run into `model`, checking that every shape matches. */
export async function loadWeightsInto(model: tf.LayersModel, runDir: string): Promise<void> {
  const saved = await loadModel(runDir);
  try {
    const src = saved.getWeights();
    const dst = model.getWeights();
    if (src.length !== dst.length) throw new TrainingError(`cannot resume from ${runDir}: it holds ${src.length} weight tensors, the model has ${dst.length}`);
    src.forEach((w, i) => {
      const want = dst[i]!.shape.join("×"), got = w.shape.join("×");
      if (want !== got) throw new TrainingError(`cannot resume from ${runDir}: weight ${i} (${model.weights[i]?.name ?? "?"}) is ${got}, the model needs ${want}`);
    });
    model.setWeights(src);
  } finally {
    saved.dispose();
  }
}
