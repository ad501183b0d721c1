// The embedding-vocabulary check (issue 17, DLP4031 / DLP4032): an embedding reading the ids of
// text(num_words: N), category(max_tokens: N) or imdb(num_words: N) needs input_dim >= N, in every
// combination of the tuning space, and an embedding of one-hot or scaled values is refused. Each
// error's fix, applied, leaves a pipeline with no error.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile } from "../../compiler/driver.ts";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.ts";

const pipe = (x: string, model: string, params = "", source = `csv("absent.csv")`) =>
  `pipeline t {\n${params}  data {\n    source ${source}\n    x = ${x}\n    y = income as class(2)\n  }\n  model {\n${model}\n  }\n  train { loss sparse_categorical_crossentropy }\n}\n`;
const POOL = "    global_avg_pool1d()\n    dense(2, activation: softmax)";
const TEXT = "review |> text(num_words: 500, maxlen: 8)";
const errors = (text: string): Diagnostic[] => compile(text, { file: "t.dlp" }).diagnostics.filter((d) => d.severity === "error");
const codes = (text: string) => errors(text).map((d) => d.code);
const applyFix = (text: string, d: Diagnostic) => text.slice(0, d.fix!.span.start) + d.fix!.text + text.slice(d.fix!.span.end);

test("text(num_words: 500) into embedding(400): DLP4031 on input_dim, fixed to 500", () => {
  const text = pipe(TEXT, `    embedding(400, 16)\n${POOL}`);
  const [d, ...rest] = errors(text);
  assert.equal(rest, []);
  assert.is(d!.code, "DLP4031");
  assert.is(text.slice(d!.span.start, d!.span.end), "400");
  assert.match(d!.message, /input_dim 400 .*up to 499/);
  assert.is(d!.fix!.text, "500");
  assert.equal(codes(applyFix(text, d!)), []);
});

test("the exact id range: num_words ids (0 padding, 1 OOV) and max_tokens ids (0 OOV) need exactly N rows", () => {
  assert.equal(codes(pipe(TEXT, `    embedding(500, 16)\n${POOL}`)), []);
  assert.equal(codes(pipe(TEXT, `    embedding(499, 16)\n${POOL}`)), ["DLP4031"]);
  const cat = "city |> category(max_tokens: 8)";
  const flat = "    flatten()\n    dense(2, activation: softmax)";
  assert.equal(codes(pipe(cat, `    embedding(8, 4)\n${flat}`)), []);
  assert.equal(codes(pipe(cat, `    embedding(7, 4)\n${flat}`)), ["DLP4031"]);
  // Several id columns: the widest one counts, and the fix writes its number.
  const both = "concat(city |> category(max_tokens: 8), review |> text(num_words: 30, maxlen: 4))";
  const [d] = errors(pipe(both, `    embedding(20, 4)\n${flat}`));
  assert.is(d!.code, "DLP4031");
  assert.is(d!.fix!.text, "30");
});

test("a table larger than the vocabulary is not reported (unused rows, as Keras allows)", () => {
  assert.equal(compile(pipe(TEXT, `    embedding(5000, 16)\n${POOL}`), { file: "t.dlp" }).diagnostics.filter((d) => d.code.startsWith("DLP403")), []);
});

test("the vocab: spelling and layers that keep ids (reshape) before the embedding are checked too", () => {
  const text = pipe(TEXT, `    reshape([8])\n    embedding(vocab: 100, output_dim: 16)\n${POOL}`);
  const [d] = errors(text);
  assert.is(d!.code, "DLP4031");
  assert.is(d!.fix!.text, "500");
  assert.equal(codes(applyFix(text, d!)), []);
  // A layer that computes new values (dense) ends the ids: nothing to check after it.
  assert.equal(codes(pipe(TEXT, `    dense(8)\n    reshape([8, 1])\n    embedding(10, 4)\n    flatten()\n    dense(2, activation: softmax)`)).filter((c) => c.startsWith("DLP403")), []);
});

test("a tuned num_words: the combination that reaches past input_dim is reported, and the fix writes the param", () => {
  const text = pipe("review |> text(num_words: words, maxlen: 8)", `    embedding(1000, 16)\n${POOL}`, "  param words = 1000 tune choice(500, 1000, 2000)\n");
  const ds = errors(text);
  assert.equal(ds.map((d) => d.code), ["DLP4031"]);
  assert.ok(ds[0]!.notes.includes("with words = 2000 (a combination of the tuning space)"), ds[0]!.notes.join("\n"));
  assert.is(ds[0]!.fix!.text, "words");
  assert.equal(codes(applyFix(text, ds[0]!)), []);
});

test("a tuned input_dim below the vocabulary in one combination is reported with that combination", () => {
  const text = pipe(TEXT, `    embedding(dim, 16)\n${POOL}`, "  param dim = 500 tune choice(250, 500, 1000)\n");
  const ds = errors(text);
  assert.equal(ds.map((d) => d.code), ["DLP4031"]);
  assert.ok(ds[0]!.notes.includes("with dim = 250 (a combination of the tuning space)"), ds[0]!.notes.join("\n"));
  assert.match(ds[0]!.message, /input_dim 250/);
});

test("an embedding inside a block is checked in every combination (block results are not reused across vocabularies)", () => {
  const text = `pipeline t {\n  param words = 100 tune choice(100, 300)\n  block emb() {\n    embedding(200, 8)\n    global_avg_pool1d()\n  }\n  data {\n    source csv("absent.csv")\n    x = review |> text(num_words: words, maxlen: 8)\n    y = income as class(2)\n  }\n  model {\n    emb()\n    dense(2, activation: softmax)\n  }\n  train { loss sparse_categorical_crossentropy }\n}\n`;
  const ds = errors(text);
  assert.equal(ds.map((d) => d.code), ["DLP4031"]);
  assert.ok(ds[0]!.notes.includes("with words = 300 (a combination of the tuning space)"));
});

test("imdb(num_words: N) ids need N rows", () => {
  const imdb = (dim: number) => `pipeline t {\n  data {\n    source imdb(num_words: 5000)\n    x = sequences |> pad_sequences(maxlen: 50)\n    y = labels as binary\n  }\n  model {\n    embedding(${dim}, 8)\n    global_avg_pool1d()\n    dense(1, activation: sigmoid)\n  }\n  train { loss binary_crossentropy }\n}\n`;
  assert.equal(codes(imdb(5000)).filter((c) => c.startsWith("DLP403")), []);
  assert.equal(codes(imdb(4000)).filter((c) => c.startsWith("DLP403")), ["DLP4031"]);
});

test("an embedding of one-hot or standardized columns: DLP4032 on the embedding", () => {
  for (const x of ["city |> category(max_tokens: 8) |> one_hot()", "columns(age, hours) |> standardize()", "concat(city |> category(max_tokens: 8), age |> min_max())"]) {
    const ds = errors(pipe(x, `    embedding(8, 4)\n    flatten()\n    dense(2, activation: softmax)`));
    assert.equal(ds.map((d) => d.code), ["DLP4032"], x);
    assert.match(ds[0]!.message, /integer ids/);
  }
  // A numeric column may hold ids written as numbers: its range is the file's, not checked here.
  assert.equal(codes(pipe("user_id", `    embedding(8, 4)\n    flatten()\n    dense(2, activation: softmax)`)), []);
});

test("several inputs: the embedding reading a text input by name is checked against that input", () => {
  const text = `pipeline t {\n  data {\n    source csv("absent.csv")\n    words = review |> text(num_words: 300, maxlen: 8)\n    nums = columns(age, hours) |> standardize()\n    y = income as class(2)\n  }\n  model {\n    a = words |> embedding(200, 8) |> global_avg_pool1d()\n    b = nums |> dense(4)\n    concatenate(a, b) |> dense(2, activation: softmax)\n  }\n  train { loss sparse_categorical_crossentropy }\n}\n`;
  const ds = errors(text);
  assert.equal(ds.map((d) => d.code), ["DLP4031"]);
  assert.equal(codes(applyFix(text, ds[0]!)), []);
});

test.run();
