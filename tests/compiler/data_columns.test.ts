// The checker on typed CSV columns (issue 17): header names as fields, the width of concat(…)
// from the declarations alone (so the model is checked without the file), what is refused where
// it is written, and that `features` / `labels` keep their meaning.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, writeFileSync } from "node:fs";
import { writeReviewFolders } from "../../bench/tabular_data.ts";
import { join } from "node:path";
import { compile } from "../../compiler/driver.ts";
import { emitPipeline } from "../../compiler/codegen/emit.ts";
import { valueOf } from "../../compiler/semantic/term.ts";
import { scratchDir } from "../runtime/compiled.ts";
import type { DataSpec } from "../../runtime/spec.ts";

const pipe = (data: string, units = 2) => `pipeline t {\n  param ml = 6\n  data {\n${data}\n  }\n  model {\n    dense(${units}, activation: softmax)\n  }\n  train { loss sparse_categorical_crossentropy }\n}\n`;
const errors = (text: string) => compile(text, { file: "t.dlp" }).diagnostics.filter((d) => d.severity === "error");

test("without the file, any column name is accepted and the width comes from the declarations", () => {
  const r = compile(pipe(`    source csv("absent.csv")\n    x = concat(columns(a, b), c |> category(max_tokens: 7) |> one_hot(), d |> date(), e |> text(num_words: 50, maxlen: ml), f |> binary())\n    y = target as class(2)`), { file: "t.dlp" });
  assert.equal(r.diagnostics.map((d) => d.code), ["DLP4012"]);
  assert.equal(r.checked!.inputShape, [2 + 7 + 4 + 6 + 1]);
  const spec = valueOf<DataSpec>(r.checked!.data!);
  assert.is(spec.source.kind === "csv" && spec.source.label, "target");
  assert.equal(spec.inputs[0]!.transforms.map((t) => t.op), ["columns"]);
});

test("a param read by a column stage reaches the shape and the spec", () => {
  const r = compile(pipe(`    source csv("absent.csv")\n    x = review |> text(num_words: 50, maxlen: ml)\n    y = labels as class(2)`).replace("param ml = 6", "param ml = 6 tune choice(6, 9)") + "", { file: "t.dlp" });
  assert.equal(r.diagnostics.filter((d) => d.severity === "error"), []);
  assert.equal(r.checked!.inputShape, [6]);
});

test("with the file: a missing column names the file; the label column cannot be an input; `labels` reads label:", () => {
  const dir = scratchDir("columns-check");
  const csv = join(dir, "t.csv");
  writeFileSync(csv, "age,city,won\n30,Lisbon,1\n40,Porto,0\n");
  const missing = errors(pipe(`    source csv("${csv}")\n    x = concat(age, town |> category(max_tokens: 3))\n    y = won as class(2)`));
  assert.equal(missing.map((d) => d.code), ["DLP4004"]);
  assert.is(missing[0]!.message, `no column \`town\` in ${csv}`);
  const leak = errors(pipe(`    source csv("${csv}")\n    x = concat(age, won)\n    y = won as class(2)`));
  assert.is(leak[0]?.message, "the label column `won` is also an input");
  const noLabel = errors(pipe(`    source csv("${csv}")\n    x = columns(age)\n    y = labels as class(2)`));
  assert.is(noLabel[0]?.message, `no column \`label\` in ${csv}`);
  assert.match(noLabel[0]!.help!, /y = won as …/);
  const twice = errors(pipe(`    source csv("${csv}", label: "city")\n    x = columns(age)\n    y = won as class(2)`));
  assert.match(twice[0]!.message, /the label column is `city` here and `won` in `y = …`/);
  // `y = COLUMN` with the classic `features`: the other columns, checked as numbers against the shape.
  const byName = errors(pipe(`    source csv("${csv}")\n    x = features as vector[3]\n    y = won as class(2)`));
  assert.equal(byName.map((d) => d.code), ["DLP4010"]);
  assert.match(byName[0]!.notes!.join(" "), /column "city" is not a number/);
  // The classic form is unchanged.
  const classic = compile(pipe(`    source csv("${csv}", label: "won", features: ["age"])\n    x = features |> standardize() as vector[1]\n    y = labels as class(2)`), { file: "t.dlp" });
  assert.equal(classic.diagnostics.filter((d) => d.severity !== "info"), []);
});

test("stage order and repetition, concat's arguments, and raw texts that are not given text()", () => {
  const src = `    source csv("absent.csv")\n`;
  assert.match(errors(pipe(`${src}    x = a |> standardize() |> date()\n    y = b as class(2)`))[0]!.message, /`date\(\)` types the column, so it comes before the scaling/);
  assert.match(errors(pipe(`${src}    x = a |> standardize() |> min_max()\n    y = b as class(2)`))[0]!.message, /a column takes one scaling stage/);
  assert.match(errors(pipe(`${src}    x = a |> categry(max_tokens: 3)\n    y = b as class(2)`))[0]!.help!, /did you mean `category`/);
  assert.match(errors(pipe(`${src}    x = concat(a, concat(b, c))\n    y = d as class(2)`))[0]!.message, /cannot be nested/);
  assert.match(errors(pipe(`${src}    x = a |> fill("x")\n    y = d as class(2)`))[0]!.message, /a numeric column is filled with a number/);
  assert.match(errors(pipe(`${src}    x = a |> date() |> fill("2020-02-30")\n    y = d as class(2)`))[0]!.message, /a date column is filled with a date/);
  assert.match(errors(pipe(`${src}    x = a |> category(max_tokens: 1)\n    y = d as class(2)`))[0]!.message, /max_tokens/);
  const texts = errors(pipe(`    source text_files("absent")\n    x = texts\n    y = labels as class(2)`));
  assert.match(texts[0]!.message, /raw texts are encoded with `text\(num_words, maxlen\)`/);
  const other = errors(pipe(`    source text_files("absent")\n    x = review |> text(num_words: 10, maxlen: 4)\n    y = labels as class(2)`));
  assert.match(other[0]!.message, /no column `review` in the text folder/);
  assert.match(other[0]!.help!, /did you mean `texts`|this source's field is `texts`/);
  // With text(), the model input is the `maxlen` ids.
  const ok = compile(pipe(`    source text_files("absent")\n    x = texts |> text(num_words: 10, maxlen: 4)\n    y = labels as class(2)`), { file: "t.dlp" });
  assert.equal(ok.diagnostics.filter((d) => d.severity === "error"), []);
  assert.equal(ok.checked!.inputShape, [4]);
});

test("a text folder is read at check time: its class folders against class(N), an empty class folder", () => {
  const dir = scratchDir("text-folder-check");
  writeReviewFolders(join(dir, "reviews"), 2, 1);
  const three = compile(pipe(`    source text_files("${join(dir, "reviews")}")\n    x = texts |> text(num_words: 10, maxlen: 4)\n    y = labels as class(3)`, 3), { file: "t.dlp" });
  assert.equal(three.diagnostics.map((d) => d.code), ["DLP4013"]);
  assert.is(three.diagnostics[0]!.message, "3 classes declared, the text folder has 2");
  mkdirSync(join(dir, "reviews", "zzz"));
  const empty = errors(pipe(`    source text_files("${join(dir, "reviews")}")\n    x = texts |> text(num_words: 10, maxlen: 4)\n    y = labels as class(3)`, 3));
  assert.equal(empty.map((d) => d.code), ["DLP4010"]);
  assert.match(empty[0]!.notes!.join(" "), /zzz: a class folder with no \.txt files/);
});

test("the one input is a tensor of its field name, `x` too: a model with heads reads it, and the emitted model declares it only when read", () => {
  const heads = (model: string) => `pipeline t {\n  data {\n    source csv("absent.csv")\n    x = columns(a, b) |> standardize()\n    c = label as class(2)\n    r = amount as regression(1)\n  }\n  model {\n${model}\n  }\n  train {\n    loss { c = sparse_categorical_crossentropy, r = mse }\n  }\n}\n`;
  const src = heads("    h = x |> dense(8, activation: relu)\n    return {\n      c = h |> dense(2, activation: softmax)\n      r = h |> dense(1)\n    }");
  const r = compile(src, { file: "t.dlp" });
  assert.equal(r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), []);
  assert.match(emitPipeline(r.checked!, "t.dlp", r.sourceHash), /const x = input;/);
  // Not read by name: no declaration.
  const plain = compile(pipe(`    source csv("absent.csv")\n    x = columns(a, b)\n    y = target as class(2)`), { file: "t.dlp" });
  assert.not.match(emitPipeline(plain.checked!, "t.dlp", plain.sourceHash), /const x = input;/);
  // The input keeps its name: assigning it is DLP2002.
  assert.equal(errors(heads("    x = dense(8)\n    return {\n      c = x |> dense(2, activation: softmax)\n      r = x |> dense(1)\n    }")).map((d) => d.code), ["DLP2002"]);
});

test.run();
