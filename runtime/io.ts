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
      const file = join(dir, MODEL_FILE);
      let json: { modelTopology: object; format?: string; generatedBy?: string; convertedBy?: string | null; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]; trainingConfig?: tf.io.TrainingConfig };
      try {
        json = JSON.parse(readFileSync(file, "utf8"));
      } catch (e) {
        throw new TrainingError(`cannot read the model ${file}: ${(e as Error).message}`);
      }
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Buffer[] = [];
      for (const group of json.weightsManifest ?? []) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          try {
            buffers.push(readFileSync(join(dir, p)));
          } catch (e) {
            throw new TrainingError(`cannot read the weights ${join(dir, p)}: ${(e as Error).message}`);
          }
        }
      }
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
    },
  };
}

export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(dirHandler(dir));
}

export async function loadModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(dirHandler(dir));
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
