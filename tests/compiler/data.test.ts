// The data section's input expression: `as` after a pipe declares the piped result, and an input
// the checker cannot read is an error, never an empty data spec.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile } from "../../compiler/driver.ts";

const pipeline = (x: string) => `pipeline p {
  data {
    source csv("d.csv", label: "y")
    x = ${x}
    y = labels as binary
  }
  model { dense(1, activation: sigmoid) }
  train { loss binary_crossentropy; optimizer adam(); epochs 1 }
}
`;

test("`features |> standardize() as vector[2]` standardizes, then declares the shape", () => {
  const r = compile(pipeline("features |> standardize() as vector[2]"), { file: "p.dlp" });
  assert.equal(r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), []);
  assert.equal(r.checked?.data?.transforms, [{ op: "standardize" }, { op: "reshape", shape: [2] }]);
  assert.equal(r.checked?.inputShape, [2]);
});

test("a pipe stage that is not a call is an error at its span", () => {
  const text = pipeline("features |> 3 as vector[2]");
  const r = compile(text, { file: "p.dlp" });
  const errs = r.diagnostics.filter((d) => d.severity === "error");
  assert.is(errs.length, 1);
  assert.is(errs[0]!.code, "DLP2004");
  assert.is(text.slice(errs[0]!.span.start, errs[0]!.span.end), "3");
});

test.run();
