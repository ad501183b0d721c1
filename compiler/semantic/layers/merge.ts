// Merge layers: several tensors in, one out. Element-wise merges broadcast exactly as tfjs's
// Merge does (a dimension of 1 stretches, unknown stays unknown); concatenate needs every
// other axis identical, as tfjs's Concatenate.build checks.
import type { Dim, LayerDef, ShapeFailure, TensorShape } from "./types.ts";
import { sampleAxis } from "./norm.ts";
import { ConfigBuilder, defineLayer, fail, fmtShape, num } from "./util.ts";

function mismatch(layer: string, inputs: TensorShape[], help: string): ShapeFailure {
  return fail("DLP3004", `${layer} needs inputs of matching shapes`, `receives ${inputs.map(fmtShape).join(" and ")}`, { help });
}

function broadcast(a: TensorShape, b: TensorShape): TensorShape | undefined {
  if (a.length < b.length) return broadcast(b, a);
  const out: Dim[] = a.slice(0, a.length - b.length);
  for (let k = 0; k < b.length; k++) {
    const i = a[a.length - b.length + k]!;
    const j = b[k]!;
    if (i === null || j === null) out.push(null);
    else if (i === 1) out.push(j);
    else if (j === 1) out.push(i);
    else if (i !== j) return undefined;
    else out.push(i);
  }
  return out;
}

function elementwise(name: string, kerasClass: string, factory: string, what: string): LayerDef {
  return defineLayer({
    name,
    kerasClass,
    doc: `${what} of two or more tensors of the same shape`,
    inputs: "many",
    shape(inputs) {
      let out: TensorShape = inputs[0]!;
      for (const s of inputs.slice(1)) {
        const r = broadcast(out, s);
        if (!r) return mismatch(name, inputs, "give every branch the same output shape, e.g. a 1×1 conv2d to match the channels");
        out = r;
      }
      return out;
    },
    tfjs() {
      return { factory, config: [] };
    },
  });
}

export const add = elementwise("add", "Add", "add", "element-wise sum");
export const multiply = elementwise("multiply", "Multiply", "multiply", "element-wise product");
export const average = elementwise("average", "Average", "average", "element-wise mean");
export const maximum = elementwise("maximum", "Maximum", "maximum", "element-wise maximum");
export const minimum = elementwise("minimum", "Minimum", "minimum", "element-wise minimum");

export const concatenate = defineLayer({
  name: "concatenate",
  kerasClass: "Concatenate",
  doc: "joins tensors along one axis (default the last, the channels)",
  positional: ["axis"],
  inputs: "many",
  args: { axis: { schema: { type: "integer", default: -1 }, type: "int", doc: "the axis joined, counting the batch axis as 0 (default -1, the last)" } },
  shape(inputs, args) {
    const first = inputs[0]!;
    if (inputs.some((s) => s.length !== first.length)) {
      return mismatch("concatenate", inputs, "give every input the same rank");
    }
    const i = sampleAxis("concatenate", first, num(args, "axis", -1));
    if (typeof i !== "number") return i;
    let along: Dim = 0;
    for (const s of inputs) {
      for (let k = 0; k < s.length; k++) {
        if (k !== i && s[k] !== first[k]) {
          return mismatch("concatenate", inputs, `every axis but the joined one (axis ${num(args, "axis", -1)}) must match`);
        }
      }
      along = along === null || s[i] === null ? null : along + s[i]!;
    }
    return first.map((d, k) => (k === i ? along : d));
  },
  tfjs(args) {
    return { factory: "concatenate", config: new ConfigBuilder(args).plain("axis", "axis").entries };
  },
});
