// Every layer against tfjs itself: the emitted config builds a layer whose symbolic output
// shape and weight counts equal the table's shape() and params().
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { getLayer, isFailure, type Args, type TensorShape } from "../../compiler/semantic/layers/index.ts";
import { build, cpu, literalCodes, observe, paramCodes, validated } from "./harness.ts";

interface Case {
  layer: string;
  input: TensorShape | TensorShape[];
  args?: Args;
  /** Compare against a real run (tfjs leaves reshape's -1 unknown symbolically). */
  run?: boolean;
}

const lstm = (args: Args) => ({ layer: "lstm", args });
const CASES: Case[] = [
  { layer: "dense", input: [20], args: { units: 7 } },
  { layer: "dense", input: [5, 20], args: { units: 3, activation: "softmax", use_bias: false } },
  { layer: "dense", input: [20], args: { units: 4, init: "he_normal", bias_init: "ones", l1: 0.01, l2: 0.001, activation: "swish" } },
  { layer: "dense", input: [20], args: { units: 4, kernel_init: "xavier", l2: 1e-4 } },
  { layer: "conv1d", input: [30, 4], args: { filters: 8, kernel: 3 } },
  { layer: "conv1d", input: [30, 4], args: { filters: 8, kernel: 5, strides: 2, padding: "same" } },
  { layer: "conv1d", input: [30, 4], args: { filters: 8, kernel: 3, dilation: 2 } },
  { layer: "conv1d", input: [null, 4], args: { filters: 2, kernel: 3, use_bias: false } },
  { layer: "conv2d", input: [28, 28, 1], args: { filters: 32, kernel: 3, activation: "relu" } },
  { layer: "conv2d", input: [28, 28, 3], args: { filters: 16, kernel: [3, 5], strides: [2, 1], padding: "same" } },
  { layer: "conv2d", input: [27, 31, 3], args: { filters: 4, kernel: 4, strides: 3 } },
  { layer: "conv2d", input: [20, 20, 2], args: { filters: 4, kernel: 3, dilation: [2, 3] } },
  { layer: "conv2d", input: [20, 20, 2], args: { filters: 4, kernel: 3, dilation: 2, padding: "same" } },
  { layer: "conv2d", input: [null, null, 3], args: { filters: 4, kernel: 3, strides: 2 } },
  { layer: "depthwise_conv2d", input: [16, 16, 3], args: { kernel: 3 } },
  { layer: "depthwise_conv2d", input: [16, 16, 3], args: { kernel: [3, 2], depth_multiplier: 2, strides: 2, padding: "same" } },
  { layer: "depthwise_conv2d", input: [16, 16, 3], args: { kernel: 3, dilation: 1, use_bias: false } },
  { layer: "separable_conv2d", input: [16, 16, 3], args: { filters: 8, kernel: 3 } },
  { layer: "separable_conv2d", input: [17, 16, 3], args: { filters: 8, kernel: 3, depth_multiplier: 2, strides: 2, padding: "same" } },
  { layer: "conv2d_transpose", input: [7, 7, 16], args: { filters: 8, kernel: 3 } },
  { layer: "conv2d_transpose", input: [7, 7, 16], args: { filters: 8, kernel: 3, strides: 2, padding: "same" } },
  { layer: "conv2d_transpose", input: [7, 9, 16], args: { filters: 8, kernel: [5, 2], strides: 2 } },
  // The zoo's strided layers: ResNet50's 7×7/2 stem on a 230 map, MobileNet's padded 3×3/2
  // depthwise step (225 → 112, 113 → 56), its stride-2 1×1 shortcut, and the 3×3/2 max pool.
  { layer: "conv2d", input: [230, 230, 3], args: { filters: 64, kernel: 7, strides: 2 } },
  { layer: "conv2d", input: [56, 56, 256], args: { filters: 512, kernel: 1, strides: 2 } },
  { layer: "depthwise_conv2d", input: [113, 113, 8], args: { kernel: 3, strides: 2, use_bias: false } },
  { layer: "depthwise_conv2d", input: [15, 14, 4], args: { kernel: 3, strides: [2, 1], padding: "same", use_bias: false } },
  { layer: "separable_conv2d", input: [20, 20, 3], args: { filters: 4, kernel: 3, dilation: 2 } },
  { layer: "max_pool", input: [114, 114, 4], args: { pool: 3, strides: 2 } },
  { layer: "max_pool", input: [28, 28, 8], args: {} },
  { layer: "max_pool", input: [27, 27, 8], args: { pool: 3, strides: 2 } },
  { layer: "max_pool2d", input: [27, 26, 8], args: { pool: [2, 3], padding: "same" } },
  { layer: "avg_pool", input: [13, 13, 4], args: { pool: 2 } },
  { layer: "avg_pool", input: [13, 13, 4], args: { pool: 3, strides: 1, padding: "same" } },
  { layer: "max_pool1d", input: [31, 4], args: {} },
  { layer: "max_pool1d", input: [31, 4], args: { pool: 4, strides: 3, padding: "same" } },
  { layer: "avg_pool1d", input: [31, 4], args: { pool: 3 } },
  { layer: "global_avg_pool", input: [7, 7, 64] },
  { layer: "global_max_pool2d", input: [7, 7, 64] },
  { layer: "global_avg_pool1d", input: [50, 16] },
  { layer: "global_max_pool1d", input: [null, 16] },
  { layer: "flatten", input: [5, 5, 64] },
  { layer: "flatten", input: [10, 3] },
  { layer: "reshape", input: [784], args: { target_shape: [28, 28, 1] } },
  { layer: "reshape", input: [6, 4], args: { target_shape: [-1, 2] }, run: true },
  { layer: "permute", input: [3, 5], args: { dims: [2, 1] } },
  { layer: "permute", input: [3, 5, 7], args: { dims: [3, 1, 2] } },
  { layer: "repeat_vector", input: [12], args: { n: 4 } },
  { layer: "dropout", input: [5, 5, 3], args: { rate: 0.25 } },
  { layer: "dropout", input: [10], args: { rate: 0.5, seed: 7 } },
  { layer: "spatial_dropout1d", input: [10, 4], args: { rate: 0.2 } },
  { layer: "gaussian_noise", input: [10], args: { stddev: 0.1 } },
  { layer: "batch_norm", input: [8, 8, 16], args: {} },
  { layer: "batch_norm", input: [32], args: { momentum: 0.9, epsilon: 0.01 } },
  { layer: "batch_norm", input: [8, 8, 16], args: { center: false } },
  { layer: "batch_norm", input: [8, 6, 16], args: { axis: 1, scale: false } },
  { layer: "layer_norm", input: [10, 24], args: {} },
  { layer: "layer_norm", input: [24], args: { epsilon: 1e-5, center: false } },
  { layer: "embedding", input: [100], args: { input_dim: 1000, output_dim: 16 } },
  { layer: "embedding", input: [null], args: { vocab: 50, output_dim: 8, mask_zero: true, init: "random_normal", l2: 0.01 } },
  { layer: "embedding", input: [20], args: { input_dim: 50, output_dim: 8, input_length: 20 } },
  { layer: "lstm", input: [10, 8], args: { units: 16 } },
  { layer: "lstm", input: [10, 8], args: { units: 5, return_sequences: true, use_bias: false } },
  { layer: "lstm", input: [null, 8], args: { units: 4, recurrent_activation: "hard_sigmoid", dropout: 0.1, init: "orthogonal", recurrent_init: "glorot_uniform", unit_forget_bias: false } },
  { layer: "gru", input: [10, 8], args: { units: 16 } },
  { layer: "gru", input: [10, 8], args: { units: 3, return_sequences: true, go_backwards: true, l2: 0.01 } },
  { layer: "simple_rnn", input: [10, 8], args: { units: 6 } },
  { layer: "simple_rnn", input: [10, 8], args: { units: 6, return_sequences: true, activation: "relu" } },
  { layer: "bidirectional", input: [10, 8], args: { layer: lstm({ units: 16 }) } },
  { layer: "bidirectional", input: [10, 8], args: { layer: lstm({ units: 4, return_sequences: true }), merge: "sum" } },
  { layer: "bidirectional", input: [10, 8], args: { layer: { layer: "gru", args: { units: 4 } }, merge: "mul" } },
  { layer: "bidirectional", input: [10, 8], args: { layer: { layer: "simple_rnn", args: { units: 4, return_sequences: true } }, merge: "ave" } },
  { layer: "bidirectional", input: [10, 8], args: { layer: { layer: "gru", args: { units: 4, return_sequences: true } }, merge: "concat" } },
  { layer: "zero_padding2d", input: [8, 8, 3], args: {} },
  { layer: "zero_padding2d", input: [8, 8, 3], args: { padding: [1, 2] } },
  { layer: "zero_padding2d", input: [8, 8, 3], args: { padding: [[1, 2], [3, 0]] } },
  { layer: "cropping2d", input: [8, 8, 3], args: { cropping: 2 } },
  { layer: "cropping2d", input: [8, 9, 3], args: { cropping: [[1, 2], [3, 0]] } },
  { layer: "upsampling2d", input: [7, 7, 3], args: {} },
  { layer: "upsampling2d", input: [7, 5, 3], args: { size: [2, 3], interpolation: "bilinear" } },
  { layer: "add", input: [[4, 4, 8], [4, 4, 8]] },
  { layer: "add", input: [[4, 4, 8], [4, 4, 1], [4, 4, 8]] },
  { layer: "multiply", input: [[10], [10]] },
  { layer: "average", input: [[10, 3], [10, 3]] },
  { layer: "maximum", input: [[10], [10]] },
  { layer: "minimum", input: [[null, 3], [null, 3]] },
  { layer: "concatenate", input: [[4, 4, 8], [4, 4, 3]] },
  { layer: "concatenate", input: [[4, 4, 8], [2, 4, 8]], args: { axis: 1 } },
  { layer: "concatenate", input: [[5], [6], [7]] },
  { layer: "activation", input: [10], args: { activation: "gelu" } },
  { layer: "relu", input: [10], args: {} },
  { layer: "relu", input: [10], args: { max_value: 6 } },
  { layer: "leaky_relu", input: [10], args: { alpha: 0.1 } },
  { layer: "leaky_relu", input: [4, 4, 2], args: {} },
  { layer: "elu", input: [10], args: { alpha: 1 } },
  { layer: "softmax", input: [3, 10], args: {} },
  { layer: "softmax", input: [3, 10], args: { axis: 1 } },
  ...["sigmoid", "tanh", "softplus", "softsign", "selu", "linear", "relu6", "hard_sigmoid", "swish", "mish", "gelu"].map((layer) => ({ layer, input: [6] })),
];

const test = suite("layers against tfjs");
test.before(cpu);

for (const c of CASES) {
  const inputs = (Array.isArray(c.input[0]) || c.input.length === 0 ? c.input : [c.input]) as TensorShape[];
  const given = c.args ?? {};
  const title = `${c.layer}(${JSON.stringify(given)}) on ${JSON.stringify(inputs)}`;
  test(title, () => {
    const def = getLayer(c.layer);
    if (!def) throw new Error(`no layer ${c.layer}`);
    const args = validated(def, given);
    const shape = def.shape(inputs, args);
    if (isFailure(shape)) throw new Error(`unexpected failure ${shape.code}: ${shape.message}`);
    const ours = def.params(inputs, args);
    for (const [how, codes] of [["literal", literalCodes(given)], ["param", paramCodes(given)]] as const) {
      const seen = observe(build(def, codes, given), inputs, c.run);
      assert.equal(shape, seen.shape, `${how} shape`);
      assert.equal(ours, { trainable: seen.trainable, nonTrainable: seen.nonTrainable }, `${how} params`);
      assert.is(ours.trainable + ours.nonTrainable, seen.total);
    }
  });
}

test("mnist_cnn parity: Keras's Simple MNIST convnet, 34 826 parameters", () => {
  const model = [
    ["conv2d", { filters: 32, kernel: 3, activation: "relu" }],
    ["max_pool", { pool: 2 }],
    ["conv2d", { filters: 64, kernel: 3, activation: "relu" }],
    ["max_pool", { pool: 2 }],
    ["flatten", {}],
    ["dropout", { rate: 0.5 }],
    ["dense", { units: 10, activation: "softmax" }],
  ] as const;
  let shape: TensorShape = [28, 28, 1];
  let total = 0;
  const trace: string[] = [];
  for (const [name, given] of model) {
    const def = getLayer(name)!;
    const args = validated(def, given as Args);
    const out = def.shape([shape], args);
    if (isFailure(out)) throw new Error(out.message);
    const p = def.params([shape], args);
    total += p.trainable + p.nonTrainable;
    shape = out;
    trace.push(shape.join("×"));
  }
  assert.equal(trace, ["26×26×32", "13×13×32", "11×11×64", "5×5×64", "1600", "1600", "10"]);
  // keras.io/examples/vision/mnist_convnet's model.summary(): Total params: 34,826.
  assert.is(total, 34826);
});

test.run();
