// The grid size the compiler announces is the runtime's own count (runtime/tune/space.ts),
// `when` conditions included: layers ∈ {1, 2} with units2 ∈ {32, 64} only when layers = 2 is a
// grid of 3 configurations, not 2 × 2 = 4 (issue 12).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile } from "../../compiler/driver.ts";
import { buildSpace, gridConfigs } from "../../runtime/tune/space.ts";

const pipeline = (trials: number) => `pipeline grid3 {
  param layers = 1  tune choice(1, 2)
  param units2 = 32 tune choice(32, 64) when layers >= 2
  data {
    source mnist
    x = images / 255 as vector[784]
    y = labels as class(10)
  }
  model {
    dense(64, activation: relu)
    if layers >= 2 { dense(units2, activation: relu) }
    dense(10, activation: softmax)
  }
  train {
    loss sparse_categorical_crossentropy
  }
  tune {
    strategy grid
    trials ${trials}
    objective minimize val_loss
  }
}
`;

test("a conditional grid is counted as the runtime enumerates it", () => {
  const r = compile(pipeline(4), { file: "grid3.dlp" });
  assert.equal(r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), []);
  assert.is([...gridConfigs(buildSpace(r.checked!.params))].length, 3);
  const w = r.diagnostics.filter((d) => d.code === "DLP6006");
  assert.equal(w.map((d) => d.message), ["4 trials asked for a grid of 3 combinations"]);
});

test("trials equal to the conditional grid's size warn of nothing", () => {
  const r = compile(pipeline(3), { file: "grid3.dlp" });
  assert.equal(r.diagnostics.map((d) => d.code), []);
});

test.run();
