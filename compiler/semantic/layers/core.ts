// Dense, embedding and the regularising layers that keep the shape (dropout, noise).
import type { Args } from "./types.ts";
import { INITIALIZER_NAMES } from "./enums.ts";
import { A, ConfigBuilder, S, bool, defineLayer, fail, fmtShape, num, optNum, rankFailure, unknownDim } from "./util.ts";

export const dense = defineLayer({
  name: "dense",
  kerasClass: "Dense",
  doc: "fully connected layer: units outputs, each a weighted sum of all inputs",
  positional: ["units", "activation"],
  required: ["units"],
  schemaExtra: { not: { required: ["init", "kernel_init"] } },
  args: {
    units: { schema: S.int(1), type: "int ≥ 1", doc: "number of outputs" },
    activation: A.activation(),
    use_bias: A.useBias(),
    init: A.init(),
    kernel_init: A.kernelInit(),
    bias_init: A.biasInit(),
    l1: A.l1(),
    l2: A.l2(),
  },
  shape(inputs, args) {
    const x = inputs[0]!;
    if (x.length === 0) return rankFailure("dense", x, "a vector or a sequence", "reshape the input to [1]");
    // Keras accepts any rank and acts on the last axis; a rank-3 input is an image map, and
    // dense over its channels is almost always a missing flatten.
    if (x.length >= 3) {
      return fail("DLP3003", `dense on a ${x.length}-D feature map`, `receives ${fmtShape(x)}`, {
        help: "add flatten() or global_avg_pool() before this layer",
      });
    }
    if (x[x.length - 1] === null) {
      return unknownDim("dense", x, "input size (last axis)", "flatten a fixed-size input, or use global_avg_pool1d() over a variable-length sequence");
    }
    return [...x.slice(0, -1), num(args, "units", 1)];
  },
  params(inputs, args) {
    const x = inputs[0]!;
    const i = x[x.length - 1] ?? 0;
    const u = num(args, "units", 1);
    return { trainable: i * u + (bool(args, "use_bias", true) ? u : 0), nonTrainable: 0 };
  },
  tfjs(args) {
    const b = new ConfigBuilder(args)
      .plain("units", "units")
      .activation()
      .plain("use_bias", "useBias")
      .init(["kernelInitializer"])
      .enumInit("bias_init", "biasInitializer")
      .regularizer(["kernelRegularizer"]);
    return { factory: "dense", config: b.entries };
  },
});

export const dropout = defineLayer({
  name: "dropout",
  kerasClass: "Dropout",
  doc: "while training, sets a fraction `rate` of the inputs to zero and scales the rest",
  positional: ["rate"],
  required: ["rate"],
  args: {
    rate: A.rate("fraction of the inputs to drop"),
    seed: { schema: S.int(0), type: "int ≥ 0", doc: "random seed of the dropout mask" },
  },
  shape: (inputs) => inputs[0]!,
  tfjs(args) {
    return { factory: "dropout", config: new ConfigBuilder(args).plain("rate", "rate").plain("seed", "seed").entries };
  },
});

export const spatialDropout1d = defineLayer({
  name: "spatial_dropout1d",
  kerasClass: "SpatialDropout1D",
  doc: "dropout of whole channels of a sequence (steps × channels)",
  positional: ["rate"],
  required: ["rate"],
  args: {
    rate: A.rate("fraction of the channels to drop"),
    seed: { schema: S.int(0), type: "int ≥ 0", doc: "random seed of the dropout mask" },
  },
  shape(inputs) {
    const x = inputs[0]!;
    if (x.length !== 2) return rankFailure("spatial_dropout1d", x, "a 2-D input (steps × channels)", "use dropout() for other inputs");
    return x;
  },
  tfjs(args) {
    return { factory: "spatialDropout1d", config: new ConfigBuilder(args).plain("rate", "rate").plain("seed", "seed").entries };
  },
});

export const gaussianNoise = defineLayer({
  name: "gaussian_noise",
  kerasClass: "GaussianNoise",
  doc: "while training, adds zero-mean Gaussian noise of standard deviation `stddev`",
  positional: ["stddev"],
  required: ["stddev"],
  args: { stddev: { schema: S.nonNegative(), type: "number ≥ 0", doc: "standard deviation of the noise" } },
  shape: (inputs) => inputs[0]!,
  tfjs(args) {
    return { factory: "gaussianNoise", config: new ConfigBuilder(args).plain("stddev", "stddev").entries };
  },
});

function vocab(args: Args): number {
  return optNum(args, "input_dim") ?? optNum(args, "vocab") ?? 1;
}

export const embedding = defineLayer({
  name: "embedding",
  kerasClass: "Embedding",
  doc: "maps integer token ids in [0, input_dim) to learned vectors of size output_dim",
  positional: ["input_dim", "output_dim"],
  required: ["output_dim"],
  schemaExtra: {
    oneOf: [{ required: ["input_dim"] }, { required: ["vocab"] }],
    not: { required: ["init", "embeddings_init"] },
  },
  args: {
    input_dim: { schema: S.int(1), type: "int ≥ 1", doc: "vocabulary size: token ids lie in [0, input_dim)" },
    vocab: { schema: S.int(1), type: "int ≥ 1", doc: "same as input_dim" },
    output_dim: { schema: S.int(1), type: "int ≥ 1", doc: "size of each embedding vector" },
    mask_zero: { schema: S.bool(false), type: "bool", doc: "treat id 0 as padding and mask it in later layers (default false)" },
    input_length: { schema: S.int(1), type: "int ≥ 1", doc: "length of the input sequences, when fixed" },
    init: { schema: S.enumOf(INITIALIZER_NAMES), type: "initializer", doc: "initializer of the embedding matrix (default random_uniform)" },
    embeddings_init: { schema: S.enumOf(INITIALIZER_NAMES), type: "initializer", doc: "same as init" },
    l1: A.l1("embedding"),
    l2: A.l2("embedding"),
  },
  shape(inputs, args) {
    const x = inputs[0]!;
    const len = optNum(args, "input_length");
    if (len !== undefined && x.length >= 1 && x[x.length - 1] !== null && x[x.length - 1] !== len) {
      return fail("DLP3008", `embedding input_length ${len} does not match the input length ${x[x.length - 1]}`, `receives ${fmtShape(x)}`, {
        arg: "input_length",
        help: `set input_length: ${x[x.length - 1]}, or remove it`,
      });
    }
    if (x.length === 0) return [num(args, "output_dim", 1)];
    return [...x, num(args, "output_dim", 1)];
  },
  params(_inputs, args) {
    return { trainable: vocab(args) * num(args, "output_dim", 1), nonTrainable: 0 };
  },
  tfjs(args) {
    const b = new ConfigBuilder(args)
      .plain(args["input_dim"] ? "input_dim" : "vocab", "inputDim")
      .plain("output_dim", "outputDim")
      .plain("mask_zero", "maskZero")
      .plain("input_length", "inputLength")
      .init(["embeddingsInitializer"], ["init", "embeddings_init"], undefined)
      .regularizer(["embeddingsRegularizer"]);
    return { factory: "embedding", config: b.entries };
  },
});
