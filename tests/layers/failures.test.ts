// Every failure a shape rule can report, with its catalogue code and rustc-style wording.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { getLayer, isFailure, type Args, type ShapeFailure, type TensorShape } from "../../compiler/semantic/layers/index.ts";
import { validated } from "./harness.ts";

interface Bad {
  layer: string;
  inputs: TensorShape[];
  args?: Args;
  code: string;
  message?: string;
  label?: string;
  help?: string;
  arg?: string;
  /** Args the schema already rejects: call the shape rule directly (its own fallback). */
  raw?: boolean;
}

const CASES: Bad[] = [
  {
    layer: "conv2d", inputs: [[1, 1, 64]], args: { filters: 128, kernel: 3 }, code: "DLP3001",
    message: "conv2d kernel 3×3 is larger than its 1×1 input", label: "needs at least 3×3, receives 1×1×64",
    help: "use a kernel of at most 1×1 here, or `padding: same` on this layer",
  },
  { layer: "conv2d", inputs: [[5, 5, 3]], args: { filters: 4, kernel: 3, dilation: 3 }, code: "DLP3001", message: "conv2d dilated kernel 7×7 is larger than its 5×5 input" },
  { layer: "conv1d", inputs: [[2, 4]], args: { filters: 4, kernel: 3 }, code: "DLP3001", label: "needs at least 3, receives 2×4" },
  { layer: "max_pool", inputs: [[1, 1, 8]], args: {}, code: "DLP3001", message: "max_pool window 2×2 is larger than its 1×1 input" },
  { layer: "avg_pool1d", inputs: [[2, 8]], args: { pool: 3 }, code: "DLP3001" },
  { layer: "separable_conv2d", inputs: [[2, 9, 3]], args: { filters: 4, kernel: 3 }, code: "DLP3001" },
  { layer: "cropping2d", inputs: [[4, 4, 3]], args: { cropping: 2 }, code: "DLP3001", arg: "cropping" },
  { layer: "conv2d", inputs: [[28, 28]], args: { filters: 4, kernel: 3 }, code: "DLP3002", message: "conv2d expects a 3-D input (height × width × channels), receives a 2-D tensor" },
  { layer: "conv1d", inputs: [[100]], args: { filters: 4, kernel: 3 }, code: "DLP3002" },
  { layer: "max_pool", inputs: [[10, 4]], args: {}, code: "DLP3002", help: "use max_pool1d / avg_pool1d for sequences" },
  { layer: "global_avg_pool", inputs: [[10]], code: "DLP3002" },
  { layer: "global_max_pool1d", inputs: [[4, 4, 3]], code: "DLP3002" },
  { layer: "flatten", inputs: [[10]], code: "DLP3002", help: "remove flatten(): the input is already flat" },
  { layer: "repeat_vector", inputs: [[3, 4]], args: { n: 2 }, code: "DLP3002" },
  { layer: "spatial_dropout1d", inputs: [[10]], args: { rate: 0.1 }, code: "DLP3002" },
  { layer: "zero_padding2d", inputs: [[10, 3]], code: "DLP3002" },
  { layer: "upsampling2d", inputs: [[10]], code: "DLP3002" },
  { layer: "dense", inputs: [[]], args: { units: 3 }, code: "DLP3002" },
  {
    layer: "dense", inputs: [[5, 5, 64]], args: { units: 10 }, code: "DLP3003",
    message: "dense on a 3-D feature map", label: "receives 5×5×64", help: "add flatten() or global_avg_pool() before this layer",
  },
  { layer: "add", inputs: [[4, 4, 8], [4, 4, 3]], code: "DLP3004", message: "add needs inputs of matching shapes", label: "receives 4×4×8 and 4×4×3" },
  { layer: "multiply", inputs: [[10], [12]], code: "DLP3004" },
  { layer: "concatenate", inputs: [[4, 4, 8], [2, 4, 8]], code: "DLP3004", label: "receives 4×4×8 and 2×4×8" },
  { layer: "concatenate", inputs: [[4, 4, 8], [4, 8]], code: "DLP3004" },
  { layer: "concatenate", inputs: [[null, 8], [10, 8]], code: "DLP3004" },
  { layer: "reshape", inputs: [[784]], args: { target_shape: [28, 28, 2] }, code: "DLP3005", message: "reshape to 28×28×2 needs 1568 elements, the input has 784", arg: "target_shape" },
  { layer: "reshape", inputs: [[10]], args: { target_shape: [-1, 3] }, code: "DLP3005" },
  { layer: "reshape", inputs: [[12]], args: { target_shape: [-1, -1] }, code: "DLP3005" },
  { layer: "flatten", inputs: [[null, 8]], code: "DLP3006", message: "flatten needs a known size on every axis" },
  { layer: "dense", inputs: [[10, null]], args: { units: 3 }, code: "DLP3006" },
  { layer: "conv2d", inputs: [[8, 8, null]], args: { filters: 3, kernel: 3 }, code: "DLP3006" },
  { layer: "lstm", inputs: [[10, null]], args: { units: 3 }, code: "DLP3006" },
  { layer: "batch_norm", inputs: [[null]], code: "DLP3006" },
  { layer: "lstm", inputs: [[10]], args: { units: 3 }, code: "DLP3007", message: "lstm expects a 2-D sequence (steps × features), receives a 1-D tensor" },
  { layer: "gru", inputs: [[4, 4, 3]], args: { units: 3 }, code: "DLP3007" },
  { layer: "simple_rnn", inputs: [[4, 4, 3]], args: { units: 3 }, code: "DLP3007" },
  { layer: "bidirectional", inputs: [[10]], args: { layer: { layer: "lstm", args: { units: 4 } } }, code: "DLP3007" },
  { layer: "embedding", inputs: [[20]], args: { input_dim: 10, output_dim: 4, input_length: 30 }, code: "DLP3008", arg: "input_length" },
  { layer: "permute", inputs: [[3, 5]], args: { dims: [1, 3] }, code: "DLP3008", arg: "dims" },
  { layer: "permute", inputs: [[3, 5]], args: { dims: [1] }, code: "DLP3008" },
  { layer: "batch_norm", inputs: [[8, 8, 3]], args: { axis: 0 }, code: "DLP3008", arg: "axis" },
  { layer: "concatenate", inputs: [[4], [4]], args: { axis: 3 }, code: "DLP3008" },
  { layer: "softmax", inputs: [[3, 10]], args: { axis: 3 }, code: "DLP3008" },
  { layer: "conv2d", inputs: [[20, 20, 3]], args: { filters: 3, kernel: 3, strides: 2, dilation: 2 }, code: "DLP3009", arg: "dilation" },
  { layer: "conv1d", inputs: [[20, 3]], args: { filters: 3, kernel: 3, strides: 2, dilation: 2 }, code: "DLP3009" },
  { layer: "dense", inputs: [[4], [4]], args: { units: 3 }, code: "DLP3010" },
  { layer: "add", inputs: [[4]], code: "DLP3010" },
  { layer: "bidirectional", inputs: [[10, 4]], args: { layer: { layer: "dense", args: { units: 4 } } }, code: "DLP3011", arg: "layer", raw: true },
  { layer: "dense", inputs: [[10]], args: { units: 3, activation: "leaky_relu" }, code: "DLP3012", arg: "activation", help: "remove activation: leaky_relu and add leaky_relu() as a layer after this one" },
  { layer: "activation", inputs: [[10]], args: { activation: "leaky_relu" }, code: "DLP3012" },
  { layer: "elu", inputs: [[10]], args: { alpha: 0.5 }, code: "DLP3013", arg: "alpha" },
  { layer: "depthwise_conv2d", inputs: [[16, 16, 3]], args: { kernel: 3, dilation: 2 }, code: "DLP3013", arg: "dilation", message: "tfjs's depthwise_conv2d does not support dilation" },
  { layer: "separable_conv2d", inputs: [[20, 20, 3]], args: { filters: 3, kernel: 3, strides: 2, dilation: 2 }, code: "DLP3009", arg: "dilation", message: "separable_conv2d cannot use strides and dilation above 1 together" },
  { layer: "depthwise_conv2d", inputs: [[2, 2, 3]], args: { kernel: 3, strides: 2 }, code: "DLP3001", message: "depthwise_conv2d kernel 3×3 is larger than its 2×2 input" },
];

const test = suite("layer shape failures");

for (const c of CASES) {
  test(`${c.code}: ${c.layer}(${JSON.stringify(c.args ?? {})}) on ${JSON.stringify(c.inputs)}`, () => {
    const def = getLayer(c.layer)!;
    const args = c.raw ? (c.args ?? {}) : validated(def, c.args ?? {});
    const r = def.shape(c.inputs, args);
    assert.ok(isFailure(r), `expected ${c.code}, got ${JSON.stringify(r)}`);
    const f = r as ShapeFailure;
    assert.is(f.code, c.code);
    if (c.message !== undefined) assert.is(f.message, c.message);
    if (c.label !== undefined) assert.is(f.label, c.label);
    if (c.help !== undefined) assert.is(f.help, c.help);
    if (c.arg !== undefined) assert.is(f.arg, c.arg);
    // rustc style: lower-case titles, no final period.
    for (const text of [f.message, f.label, f.help ?? "x"]) {
      assert.ok(!/\.$/.test(text), `final period in ${JSON.stringify(text)}`);
    }
    assert.ok(f.message[0] === f.message[0]!.toLowerCase(), `capitalised: ${f.message}`);
    // A failing call has no parameters to count.
    assert.equal(def.params(c.inputs, args), { trainable: 0, nonTrainable: 0 });
  });
}

test("unknown dims propagate", () => {
  const conv = getLayer("conv2d")!;
  assert.equal(conv.shape([[null, 28, 3]], { filters: 8, kernel: 3 }), [null, 26, 8]);
  assert.equal(getLayer("lstm")!.shape([[null, 8]], { units: 4, return_sequences: true }), [null, 4]);
  assert.equal(getLayer("reshape")!.shape([[null, 4]], { target_shape: [-1, 2] }), [null, 2]);
  assert.equal(getLayer("concatenate")!.shape([[null, 4], [null, 5]], {}), [null, 9]);
  assert.equal(getLayer("concatenate")!.shape([[null, 4], [3, 4]], { axis: 1 }), [null, 4]);
  assert.equal(getLayer("add")!.shape([[null, 4], [7, 4]], {}), [null, 4]);
});

test.run();
