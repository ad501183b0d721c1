// Names a .dlp file writes are looked up in the compiler's tables (sources, losses, optimizers,
// metrics, callbacks, transforms, augmentations, layers). A name such as `__proto__` or
// `constructor` must be an unknown name with its coded diagnostic, never an inherited property of
// Object.prototype that the checker then reads as an entry (that crashed as DLP0001 when the
// fuzz campaign wrote `source __proto__`).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { compile } from "../../compiler/driver.ts";

const base = readFileSync("pipelines/mnist_cnn.dlp", "utf8");
const WORDS = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "prototype"];
const SITES: [string, (w: string) => string][] = [
  ["source", (w) => base.replace(/source \w+/, `source ${w}`)],
  ["source call", (w) => base.replace(/source \w+/, `source ${w}("x")`)],
  ["loss", (w) => base.replace(/loss\s+\w+/, `loss ${w}`)],
  ["optimizer", (w) => base.replace(/optimizer adam/, `optimizer ${w}`)],
  ["metrics", (w) => base.replace(/metrics\s+accuracy/, `metrics ${w}`)],
  ["callback", (w) => base.replace(/metrics\s+accuracy/, `metrics accuracy\n    ${w}(monitor: val_loss)`)],
  ["layer", (w) => base.replace("flatten()", `${w}()`)],
  ["layer argument", (w) => base.replace("flatten()", `dense(4, ${w}: 1)`)],
  ["transform", (w) => base.replace("images / 255", `images |> ${w}()`)],
  ["augmentation", (w) => base.replace("split validation", `augment train { ${w} 1 }\n    split validation`)],
  ["evaluate", (w) => base.replace(/evaluate test \{[^}]*\}/, `evaluate test { ${w} }`)],
];

for (const [site, edit] of SITES) {
  test(`${site}: Object.prototype names are unknown names, not entries`, () => {
    for (const w of WORDS) {
      const text = edit(w);
      assert.ok(text !== base, `the ${site} edit applies`);
      const r = compile(text, { file: "p.dlp" });
      assert.equal(r.diagnostics.filter((d) => d.code === "DLP0001").map((d) => d.message), [], `${site} ${w}`);
      assert.ok(r.hasErrors, `${site} ${w}: an error is reported`);
      assert.ok(r.diagnostics.some((d) => d.severity === "error" && text.slice(d.span.start, d.span.end).includes(w)), `${site} ${w}: the error points at the name`);
    }
  });
}

test.run();
