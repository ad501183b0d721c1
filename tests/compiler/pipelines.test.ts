// Every pipeline checks clean, its summary totals equal Keras/tfjs counts, and every emitted
// .ts golden type-checks under the project's strict tsconfig.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { compile } from "../../compiler/driver.ts";
import { summaryJson } from "../../compiler/summary.ts";
import { emitPipeline } from "../../compiler/codegen/emit.ts";
import { scratchDir } from "../runtime/compiled.ts";

const EXPECTED: Record<string, number> = {
  mnist_mlp: 407_050,
  mnist_cnn: 34_826,
  mnist_cnn_deep: 197_482,
  fashion_cnn: 881_898,
  cifar10_cnn: 122_570,
  imdb_conv1d: 661_601,
};

test("seed pipelines have the tutorials' parameter totals", () => {
  for (const [name, total] of Object.entries(EXPECTED)) {
    const file = `pipelines/${name}.dlp`;
    const r = compile(readFileSync(file, "utf8"), { file });
    assert.not.ok(r.hasErrors, `${file} has errors`);
    assert.is(summaryJson(r.checked!).totalParams, total, file);
  }
});

test("batch_norm moving statistics count as non-trainable", () => {
  const r = compile(readFileSync("pipelines/resnet_small.dlp", "utf8"), { file: "resnet_small.dlp" });
  const s = summaryJson(r.checked!);
  assert.ok(s.nonTrainableParams > 0);
  assert.is(s.totalParams, s.trainableParams + s.nonTrainableParams);
});

test("emitted TypeScript type-checks under strict tsc", () => {
  const files = readdirSync("tests/golden/emit").filter((f) => f.endsWith(".ts")).map((f) => join("tests/golden/emit", f));
  assert.ok(files.length >= 7);
  // The params fixtures read params in every data and train field (string params in enum fields too).
  const dir = scratchDir("typecheck");
  for (const f of readdirSync("tests/golden/params").filter((x) => x.endsWith(".dlp"))) {
    const file = join("tests/golden/params", f);
    const r = compile(readFileSync(file, "utf8"), { file });
    assert.not.ok(r.hasErrors, file);
    const out = join(dir, f.replace(/\.dlp$/, ".ts"));
    writeFileSync(out, emitPipeline(r.checked!, file, r.sourceHash));
    files.push(out);
  }
  const cfg = ts.readConfigFile("tsconfig.json", ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(cfg.config, ts.sys, ".");
  const program = ts.createProgram(files, parsed.options);
  const diags = ts.getPreEmitDiagnostics(program).filter((d) => d.file && files.some((f) => d.file!.fileName.endsWith(f)));
  const text = diags.map((d) => `${d.file?.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`).join("\n");
  assert.is(text, "");
});

test("user text cannot inject code into the emitted file", () => {
  const evil = `pipeline evil {
  data { source csv("a\\"); process.exit(1); //*/ \`\${x}\`", label: "y*/ x") ; x = features as vector[4]; y = labels as class(3) }
  model { dense(3, activation: softmax) }
  train { loss sparse_categorical_crossentropy }
}`;
  const r = compile(evil, { file: "x*/ evil().dlp" });
  assert.not.ok(r.hasErrors, JSON.stringify(r.diagnostics.map((d) => d.message)));
  return import("../../compiler/codegen/emit.ts").then(({ emitPipeline }) => {
    const code = emitPipeline(r.checked!, "x*/ evil()\n.dlp", r.sourceHash);
    const sf = ts.createSourceFile("e.ts", code, ts.ScriptTarget.ES2022, true);
    // The only call expressions at top level are the ones the emitter writes itself.
    let strayExit = false;
    const visit = (n: ts.Node) => {
      if (ts.isCallExpression(n) && n.expression.getText(sf).includes("process")) strayExit = true;
      ts.forEachChild(n, visit);
    };
    visit(sf);
    assert.not.ok(strayExit, code);
    assert.ok(code.includes(JSON.stringify('a"); process.exit(1); //*/ `${x}`')));
  });
});

test.run();
