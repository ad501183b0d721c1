// The classification report (scikit-learn's numbers for a known confusion matrix), the f1
// metric, and class_weight: "balanced" as scikit-learn computes it, the weighted loss as Keras
// reduces it, a weight of 0 that removes a class from training, and the checker's and runtime's
// errors for a malformed or mis-sized class_weight.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tf, initBackend, trainModel, computeMetrics, type TrainSpec } from "dlp/runtime";
import { classificationReport, reportText } from "../../runtime/metrics.ts";
import { lossTensor } from "../../runtime/losses.ts";
import { classWeights, predictSplit } from "../../runtime/train.ts";
import type { Split } from "../../runtime/data/types.ts";
import { compile } from "../../compiler/driver.ts";

const near = (got: number, want: number, what: string): void => assert.ok(Math.abs(got - want) < 1e-9, `${what}: ${got}, expected ${want}`);

test("classificationReport matches scikit-learn's classification_report", () => {
  const r = classificationReport([[5, 1, 0], [2, 3, 1], [0, 0, 4]]);
  [0.7142857142857143, 0.75, 0.8].forEach((v, i) => near(r.precision[i]!, v, `precision ${i}`));
  [0.8333333333333334, 0.5, 1].forEach((v, i) => near(r.recall[i]!, v, `recall ${i}`));
  [0.7692307692307692, 0.6, 0.888888888888889].forEach((v, i) => near(r.f1[i]!, v, `f1 ${i}`));
  assert.equal(r.support, [6, 6, 4]);
  near(r.accuracy, 0.75, "accuracy");
  near(r.macro.precision, 0.7547619047619047, "macro precision");
  near(r.macro.f1, 0.7527065527065527, "macro f1");
  near(r.weighted.precision, 0.7491071428571427, "weighted precision");
  near(r.weighted.f1, 0.7356837606837606, "weighted f1");
  assert.is(r.macro.support, 16);
  const text = reportText(r, ["cat", "dog", "bird"]);
  assert.match(text, /precision    recall  f1-score   support/);
  assert.match(text, /\n {9}dog {4}0\.7500 {4}0\.5000 {4}0\.6000 {9}6\n/);
  assert.match(text, /\n {4}accuracy {24}0\.7500 {8}16\n/);
  assert.match(text, /\nweighted avg {4}0\.7491 {4}0\.7500 {4}0\.7357 {8}16$/);
  // A class never predicted and never present: 0, not NaN (scikit-learn's zero_division=0).
  const z = classificationReport([[2, 0], [0, 0]]);
  assert.equal([z.precision[1], z.recall[1], z.f1[1]], [0, 0, 0]);
});

test("the f1 metric: binary F1 of class 1, macro F1 over classes", () => {
  // Binary: y = 1,1,0,0 and p = .9,.2,.8,.1 → tp 1, fp 1, fn 1: precision = recall = f1 = 0.5.
  const bin = computeMetrics({ p: Float32Array.from([0.9, 0.2, 0.8, 0.1]), width: 1, n: 4, y: Int32Array.from([1, 1, 0, 0]) }, { kind: "binary" }, [{ name: "f1" }]);
  near(bin["f1"]!, 0.5, "binary f1");
  const p = new Float32Array(16 * 3);
  const y = new Int32Array(16);
  const cm = [[5, 1, 0], [2, 3, 1], [0, 0, 4]];
  let i = 0;
  cm.forEach((row, t) => row.forEach((count, k) => { for (let c = 0; c < count; c++, i++) { y[i] = t; p[i * 3 + k] = 1; } }));
  near(computeMetrics({ p, width: 3, n: 16, y }, { kind: "class", classes: 3, encoding: "sparse" }, [{ name: "f1" }])["f1"]!, 0.7527065527065527, "macro f1");
});

const split = (xs: number[][], ys: number[]): Split => ({ x: Float32Array.from(xs.flat()), sampleShape: [xs[0]!.length], y: Int32Array.from(ys), yWidth: 1, n: ys.length });

test("class_weight balanced is n / (classes · count); the weighted loss is Σ wᵢ·lossᵢ / batch", async () => {
  await initBackend("cpu");
  const w = classWeights("balanced", split([[0], [0], [0], [0]], [0, 0, 0, 1]), { kind: "class", classes: 3, encoding: "sparse" });
  assert.equal(Array.from(w), [Math.fround(4 / 9), Math.fround(4 / 3), 0]);
  assert.throws(() => classWeights([1, 2], split([[0]], [0]), { kind: "class", classes: 3, encoding: "sparse" }), /class_weight lists 2 weights, but the labels have 3 classes/);
  assert.throws(() => classWeights("balanced", split([[0]], [0]), { kind: "regression", outputs: 1 }), /class_weight needs class or binary labels/);
  const yt = tf.tensor2d([[1, 0], [0, 1]]), yp = tf.tensor2d([[0.8, 0.2], [0.4, 0.6]]);
  const l0 = -Math.log(0.8), l1 = -Math.log(0.6);
  assert.ok(Math.abs(lossTensor("categorical_crossentropy", yt, yp, 1, tf.tensor1d([2, 0])).dataSync()[0]! - l0) < 1e-6, "(2·l0 + 0·l1) / 2");
  assert.ok(Math.abs(lossTensor("categorical_crossentropy", yt, yp, 1, tf.tensor1d([1, 1])).dataSync()[0]! - (l0 + l1) / 2) < 1e-6);
  const mse = lossTensor("mse", tf.tensor2d([[1, 1], [0, 0]]), tf.tensor2d([[0, 1], [0, 0]]), 1, tf.tensor1d([3, 1]));
  assert.ok(Math.abs(mse.dataSync()[0]! - (3 * 0.5 + 0) / 2) < 1e-6);
});

test("class_weight balanced raises the recall of a rare class that an unweighted model neglects", async () => {
  await initBackend("cpu");
  // Two overlapping 1-D classes, 90 : 10. Unweighted, the decision threshold sits past the rare
  // class's centre; balanced weights move it back between the two.
  const xs: number[][] = [], ys: number[] = [];
  for (let i = 0; i < 100; i++) { const c = i % 10 === 0 ? 1 : 0; xs.push([(c ? 0.6 : -0.6) + ((i * 0.618034) % 1) * 2 - 1]); ys.push(c); }
  const train: Split = { ...split(xs, ys), y: Float32Array.from(ys) };
  const recall1 = async (classWeight?: TrainSpec["classWeight"]): Promise<number> => {
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, activation: "sigmoid", inputShape: [1], kernelInitializer: "zeros" })] });
    const spec: TrainSpec = { loss: "binary_crossentropy", optimizer: { name: "sgd", learningRate: 0.5 }, batchSize: 10, epochs: 60, metrics: [], callbacks: [], ...(classWeight ? { classWeight } : {}) };
    await trainModel(m, spec, { train, validation: null }, { epochs: 60, seed: 1, shuffle: true, augment: [], labels: { kind: "binary" }, quiet: true });
    const p = predictSplit(m, train, 100);
    m.dispose();
    let hit = 0;
    ys.forEach((y, i) => { if (y === 1 && p[i]! >= 0.5) hit++; });
    return hit / 10;
  };
  const plain = await recall1();
  const balanced = await recall1("balanced");
  assert.ok(balanced >= 0.7 && balanced >= plain + 0.3, `recall of the rare class: unweighted ${plain}, balanced ${balanced}`);
});

test("the checker reads class_weight and rejects anything but balanced or non-negative weights", () => {
  const src = (cw: string): string => `pipeline cw {
  data {
    source mnist
    x = images / 255 as vector[784]
    y = labels as class(10)
  }
  model { dense(10, activation: softmax) }
  train {
    loss sparse_categorical_crossentropy
    class_weight ${cw}
  }
}
`;
  const ok = compile(src("balanced"), { file: "cw.dlp" });
  assert.not.ok(ok.hasErrors, ok.diagnostics.map((d) => d.message).join("\n"));
  assert.is(ok.checked?.train?.classWeight, "balanced");
  const list = compile(src("1, 2, 1, 1, 1, 1, 1, 1, 1, 0.5"), { file: "cw.dlp" });
  assert.equal(list.checked?.train?.classWeight, [1, 2, 1, 1, 1, 1, 1, 1, 1, 0.5]);
  for (const bad of ["heavy", "1, -2", "0, 0", ""]) {
    const r = compile(src(bad), { file: "cw.dlp" });
    const d = r.diagnostics.find((x) => x.code === "DLP2004");
    assert.ok(d, `class_weight ${bad}: ${r.diagnostics.map((x) => x.message).join("; ")}`);
    assert.match(d!.message, /`class_weight` is `balanced` or one non-negative weight per class/);
  }
});

test.run();
