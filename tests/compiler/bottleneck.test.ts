// DLP7005 (fewer units than the classes they feed) in models with several heads: the layers are
// listed in build order, so the dense built just before a softmax head may be a sibling head's.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile } from "../../compiler/driver.ts";

const twoHeads = (r: string, a: string) => `pipeline bn {
  data {
    source mnist
    x = images / 255 as vector[784]
    a = labels as class(10)
    r = labels as regression(2)
  }
  model {
    h = x |> dense(64, activation: relu)
    return {
      r = ${r}
      a = ${a}
    }
  }
  train { loss { a = sparse_categorical_crossentropy, r = mse } }
}
`;
const codes = (src: string) => compile(src, { file: "bn.dlp" }).diagnostics.map((d) => d.code);

test("a sibling head's narrow dense is not read as feeding the softmax head", () => {
  assert.not.ok(codes(twoHeads("h |> dense(2)", "h |> dense(10, activation: softmax)")).includes("DLP7005"));
});

test("a narrow dense that does feed the softmax head still warns", () => {
  assert.ok(codes(twoHeads("h |> dense(2)", "h |> dense(3) |> dense(10, activation: softmax)")).includes("DLP7005"));
});

test.run();
