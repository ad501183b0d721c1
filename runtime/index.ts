// What generated code and the CLI import as "dlp/runtime".
export { tf } from "./tf.ts";
export type * from "./spec.ts";
export type * from "./pipeline.ts";
export { initBackend, backendNote, BACKEND_CHOICES, type BackendChoice } from "./backend.ts";
export { loadNative, nativeFallbacks, nativeRuns, nativeKernelsEnabled, NATIVE_KERNELS } from "./native.ts";
export { registerWasmGradientKernels } from "./wasm_kernels.ts";
export { runPipeline, type RunOptions, type RunResult, type RunMetrics } from "./run.ts";
export { predict, predictFiles, type Prediction, type PredictedSample } from "./predict.ts";
export { trainModel, evaluateSplit, type History, type TrainOptions, type TrainResult } from "./train.ts";
export { loadDataset, type Dataset, type Split, type Preprocess } from "./data/index.ts";
export { dirHandler, saveModel, loadModel } from "./io.ts";
export { computeMetrics, confusionMatrix } from "./metrics.ts";
export { DataError, BackendError, TrainingError, DlpRuntimeError, formatError } from "./errors.ts";
export { freezeBlock, freezeUpTo, batchNormInferenceWhenFrozen } from "./freeze.ts";
export { mulberry32, withSeededMathRandom } from "./rng.ts";
