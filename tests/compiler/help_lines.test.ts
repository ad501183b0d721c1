// Help lines in the user's own shapes (issue 13, point 5): a reshape help names a target that
// holds the input's elements (never one that makes a one-step sequence), a conv or recurrent
// rank help reshapes the input it received, and the data section's examples use the source's
// own sample shape instead of a 28×28 digit.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getLayer, isFailure, type Args, type TensorShape } from "../../compiler/semantic/layers/index.ts";
import { compile } from "../../compiler/driver.ts";

function failure(layer: string, input: TensorShape, args: Args) {
  const r = getLayer(layer)!.shape([input], args);
  assert.ok(isFailure(r), `${layer} on ${input.join("×")} should fail`);
  return r as Exclude<typeof r, TensorShape>;
}

test("reshape: the help and its edit fit the target to the input's element count", () => {
  const r = failure("reshape", [26, 26, 32], { target_shape: [26, 26, 4] });
  assert.is(r.help, "write `reshape([26, 26, 32])`: 26×26×32 = 21632");
  assert.equal(r.fix, { arg: "target_shape", value: "[26, 26, 32]" });
  // 784 values into [28, 28, 3]: a channel of 1 is an image.
  assert.equal(failure("reshape", [784], { target_shape: [28, 28, 3] }).fix, { arg: "target_shape", value: "[28, 28, 1]" });
  // 28 values into [4, 28]: four steps of 7.
  assert.equal(failure("reshape", [28], { target_shape: [4, 28] }).fix, { arg: "target_shape", value: "[4, 7]" });
  // 28 values into [3, 28]: only [1, 28] holds 28, a one-step sequence; no edit then, no -1.
  const one = failure("reshape", [28], { target_shape: [3, 28] });
  assert.is(one.fix, undefined);
  assert.not.match(one.help ?? "", /-1|\[1, 28\]/);
});

test("conv2d and lstm rank helps reshape the input they received", () => {
  assert.match(failure("conv2d", [3072], { filters: 8, kernel: 3 }).help ?? "", /`reshape\(\[32, 32, 3\]\)` \(3072 = 32×32×3\)/);
  assert.match(failure("conv2d", [20, 30], { filters: 8, kernel: 3 }).help ?? "", /`reshape\(\[20, 30, 1\]\)`/);
  assert.match(failure("lstm", [32, 32, 3], { units: 8 }).help ?? "", /`reshape\(\[32, 96\]\)` reads the 32 rows as steps/);
  assert.match(failure("lstm", [50], { units: 8 }).help ?? "", /`reshape\(\[50, 1\]\)` for a series of 50 values/);
});

test("the data section's examples use the source's own shape", () => {
  const text = `pipeline p {
  data {
    source cifar10
    y = labels as class(10)
  }
  model { flatten(); dense(10, activation: softmax) }
  train { loss sparse_categorical_crossentropy }
}
`;
  const d = compile(text, { file: "p.dlp" }).diagnostics.find((x) => x.code === "DLP2005");
  assert.ok(d, "a missing x is reported");
  assert.is(d!.help, "add e.g. `x = images / 255 as image[32, 32, 3]`");
});

test.run();
