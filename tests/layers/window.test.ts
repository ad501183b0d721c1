// convOutput (layers/util.ts): the one stride/padding/dilation rule every convolution uses.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { convOutput, kernelArea } from "../../compiler/semantic/layers/util.ts";
import { getLayer, isFailure, type Args, type TensorShape } from "../../compiler/semantic/layers/index.ts";

test("valid and same padding follow tfjs's convOutputLength", () => {
  assert.equal(convOutput("c", [225, 224, 3], { kernel: 3, strides: 2, padding: "valid" }, { n: 2, dilation: "exclusive" }), [112, 111]);
  assert.equal(convOutput("c", [225, 224, 3], { kernel: 3, strides: 2, padding: "same" }, { n: 2, dilation: "exclusive" }), [113, 112]);
  assert.equal(convOutput("c", [30, 4], { kernel: 3, dilation: 2 }, { n: 1, dilation: "exclusive" }), [26]);
  assert.equal(convOutput("c", [null, 9, 4], { kernel: [1, 3], strides: [1, 2] }, { n: 2, dilation: "exclusive" }), [null, 4]);
});

test("transposed windows grow the map", () => {
  assert.equal(convOutput("t", [7, 9, 16], { kernel: [5, 2], strides: 2 }, { n: 2, dilation: "none", transposed: true }), [17, 18]);
  assert.equal(convOutput("t", [7, 9, 16], { kernel: 3, strides: 2, padding: "same" }, { n: 2, dilation: "none", transposed: true }), [14, 18]);
});

test("dilation rules: exclusive with strides, unsupported, or absent", () => {
  const strided = { kernel: 3, strides: 2, dilation: 2 };
  const ex = convOutput("conv2d", [20, 20, 3], strided, { n: 2, dilation: "exclusive" });
  assert.ok(!Array.isArray(ex) && ex.code === "DLP3009" && ex.arg === "dilation");
  const un = convOutput("depthwise_conv2d", [20, 20, 3], { kernel: 3, dilation: 2 }, { n: 2, dilation: "unsupported" });
  assert.ok(!Array.isArray(un) && un.code === "DLP3013");
  // "none": a dilation value, if any, is not read at all.
  assert.equal(convOutput("t", [20, 20, 3], strided, { n: 2, dilation: "none" }), [9, 9]);
});

test("a kernel larger than the input: the help is in the input's own sizes, or names channels-first data", () => {
  const r = convOutput("conv2d", [2, 9, 3], { kernel: 3 }, { n: 2, dilation: "exclusive" });
  assert.ok(!Array.isArray(r));
  if (!Array.isArray(r)) {
    assert.is(r.code, "DLP3001");
    assert.is(r.help, "use a kernel of at most 2×9 here, or `padding: same` on this layer");
    assert.equal(r.fix, { arg: "padding", value: "same" });
  }
  // 1×28×28 is a digit with its channel first: padding would only hide that, so no edit is offered.
  const cf = convOutput("conv2d", [1, 28, 28], { kernel: 3 }, { n: 2, dilation: "exclusive" });
  assert.ok(!Array.isArray(cf));
  if (!Array.isArray(cf)) {
    assert.match(cf.help ?? "", /looks channels-first: put the 1 channel last, 28×28×1 \(`image\[28, 28, 1\]`.*`reshape\(\[28, 28, 1\]\)` in the model/);
    assert.is(cf.fix, undefined);
  }
});

test("kernelArea", () => {
  assert.is(kernelArea({ kernel: 3 }, 2), 9);
  assert.is(kernelArea({ kernel: [7, 1] }, 2), 7);
  assert.is(kernelArea({ kernel: 5 }, 1), 5);
});

test("the four 2-D convolutions agree on the spatial output for the same window", () => {
  const x: TensorShape = [17, 23, 4];
  for (const args of [{ kernel: 3 }, { kernel: [3, 5], strides: 2 }, { kernel: 2, strides: [1, 3], padding: "same" }] as Args[]) {
    const spatial = new Set<string>();
    for (const name of ["conv2d", "depthwise_conv2d", "separable_conv2d"]) {
      const r = getLayer(name)!.shape([x], { filters: 8, ...args });
      assert.ok(!isFailure(r), name);
      spatial.add(JSON.stringify((r as TensorShape).slice(0, 2)));
    }
    assert.is(spatial.size, 1, JSON.stringify(args));
  }
});

test.run();
