// Layers that rearrange, pad, crop or repeat values without learning anything.
import type { ArgValue, Args, Dim, TensorShape } from "./types.ts";
import { ConfigBuilder, S, defineLayer, fail, fmtShape, num, numList, product, rankFailure, tuple, unknownDim, type ArgSpec } from "./util.ts";

export const flatten = defineLayer({
  name: "flatten",
  kerasClass: "Flatten",
  doc: "flattens each sample into a vector",
  shape(inputs) {
    const x = inputs[0]!;
    if (x.length < 2) return rankFailure("flatten", x, "at least a 2-D input", "remove flatten(): the input is already flat");
    // tfjs's Flatten refuses unknown dimensions (Keras would yield an unknown length).
    if (x.some((d) => d === null)) {
      return unknownDim("flatten", x, "size on every axis", "give the input a fixed size (e.g. pad sequences to maxlen), or use global_avg_pool1d() / global_avg_pool()");
    }
    return [product(x)];
  },
  tfjs() {
    return { factory: "flatten", config: [] };
  },
});

/**
 * The target with one dimension changed so that it holds `total` elements (the last axis tried
 * first), or undefined. A new dimension of 1 comes out of it only as an image's channel axis: a
 * reshape to 1 step or 1 row would make the error go away and the model read a one-step sequence.
 */
function fitTarget(target: number[], total: number): number[] | undefined {
  const all = target.reduce((a, b) => a * b, 1);
  for (let i = target.length - 1; i >= 0; i--) {
    const rest = all / target[i]!;
    const d = total / rest;
    if (Number.isInteger(d) && (d > 1 || (d === 1 && target.length === 3 && i === 2))) return target.map((t, k) => (k === i ? d : t));
  }
  return undefined;
}

export const reshape = defineLayer({
  name: "reshape",
  kerasClass: "Reshape",
  doc: "gives each sample a new shape with the same number of elements; one -1 is inferred",
  positional: ["target_shape"],
  required: ["target_shape"],
  args: {
    target_shape: {
      schema: { type: "array", items: { type: "integer", minimum: -1, not: { const: 0 } }, minItems: 1 },
      type: "[int, …]",
      doc: "the new per-sample shape, without the batch axis; one entry may be -1",
    },
  },
  shape(inputs, args) {
    const x = inputs[0]!;
    const target = numList(args["target_shape"]) ?? [];
    const unknowns = target.filter((d) => d === -1).length;
    if (unknowns > 1) {
      return fail("DLP3005", "reshape target can infer only one dimension", `target ${target.join("×")}`, {
        arg: "target_shape",
        help: "write every dimension but one explicitly",
      });
    }
    const total = product(x);
    if (total === null) return target.map((d) => (d === -1 ? null : d));
    const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    if (unknowns === 1 ? total % known !== 0 : total !== known) {
      const wanted = unknowns === 1 ? `a multiple of ${known}` : String(known);
      const fitted = unknowns === 0 ? fitTarget(target, total) : undefined;
      return fail("DLP3005", `reshape to ${target.map((d) => (d === -1 ? "?" : d)).join("×")} needs ${wanted} elements, the input has ${total}`, `receives ${fmtShape(x)} = ${total} elements`, {
        arg: "target_shape",
        help: fitted
          ? `write \`reshape([${fitted.join(", ")}])\`: ${fitted.join("×")} = ${total}`
          : unknowns === 1
            ? `the dimensions besides -1 must multiply to a divisor of ${total}`
            : `the target's dimensions must multiply to ${total}, the input's element count`,
        ...(fitted ? { fix: { arg: "target_shape", value: `[${fitted.join(", ")}]` } } : {}),
      });
    }
    return target.map((d) => (d === -1 ? total / known : d));
  },
  tfjs(args) {
    return { factory: "reshape", config: new ConfigBuilder(args).plain("target_shape", "targetShape").entries };
  },
});

export const permute = defineLayer({
  name: "permute",
  kerasClass: "Permute",
  doc: "reorders the axes of each sample; dims counts from 1 (the batch axis stays first)",
  positional: ["dims"],
  required: ["dims"],
  args: { dims: { schema: S.intList(1, 1), type: "[int, …]", doc: "the new order of the axes, 1-based, e.g. [2, 1]" } },
  shape(inputs, args) {
    const x = inputs[0]!;
    const dims = numList(args["dims"]) ?? [];
    const sorted = [...dims].sort((a, b) => a - b);
    if (dims.length !== x.length || sorted.some((d, i) => d !== i + 1)) {
      const want = x.map((_, i) => i + 1);
      return fail("DLP3008", `permute dims [${dims.join(", ")}] is not an order of the ${x.length} axes`, `receives ${fmtShape(x)}`, {
        arg: "dims",
        help: `list each of ${want.join(", ")} once, e.g. [${[...want].reverse().join(", ")}]`,
      });
    }
    return dims.map((d) => x[d - 1]!);
  },
  tfjs(args) {
    return { factory: "permute", config: new ConfigBuilder(args).plain("dims", "dims").entries };
  },
});

export const repeatVector = defineLayer({
  name: "repeat_vector",
  kerasClass: "RepeatVector",
  doc: "repeats a vector n times: features → n × features",
  positional: ["n"],
  required: ["n"],
  args: { n: { schema: S.int(1), type: "int ≥ 1", doc: "number of repetitions" } },
  shape(inputs, args) {
    const x = inputs[0]!;
    if (x.length !== 1) return rankFailure("repeat_vector", x, "a 1-D input (a vector)", "add flatten() or global_avg_pool() before this layer");
    return [num(args, "n", 1), x[0]!];
  },
  tfjs(args) {
    return { factory: "repeatVector", config: new ConfigBuilder(args).plain("n", "n").entries };
  },
});

/** int p, [h, w] or [[top, bottom], [left, right]] → [[top, bottom], [left, right]]. */
function sides(v: ArgValue | undefined, def: number): [[number, number], [number, number]] {
  if (typeof v === "number") return [[v, v], [v, v]];
  if (Array.isArray(v) && v.length === 2) {
    const [a, b] = v;
    if (typeof a === "number" && typeof b === "number") return [[a, a], [b, b]];
    const pa = numList(a);
    const pb = numList(b);
    if (pa?.length === 2 && pb?.length === 2) return [[pa[0]!, pa[1]!], [pb[0]!, pb[1]!]];
  }
  return [[def, def], [def, def]];
}

const sidesSchema = (def: number) => ({
  anyOf: [
    { type: "integer", minimum: 0 },
    { type: "array", items: { type: "integer", minimum: 0 }, minItems: 2, maxItems: 2 },
    {
      type: "array",
      items: { type: "array", items: { type: "integer", minimum: 0 }, minItems: 2, maxItems: 2 },
      minItems: 2,
      maxItems: 2,
    },
  ],
  default: def,
});

function imageInput(layer: string, x: TensorShape) {
  return x.length === 3 ? undefined : rankFailure(layer, x, "a 3-D input (height × width × channels)", "reshape the input to [height, width, channels]");
}

export const zeroPadding2d = defineLayer({
  name: "zero_padding2d",
  kerasClass: "ZeroPadding2D",
  doc: "adds rows and columns of zeros around an image",
  positional: ["padding"],
  args: {
    padding: { schema: sidesSchema(1), type: "int | [h, w] | [[top, bottom], [left, right]]", doc: "zeros added on each side (default 1)" },
  },
  shape(inputs, args) {
    const x = inputs[0]!;
    const bad = imageInput("zero_padding2d", x);
    if (bad) return bad;
    const [[t, b], [l, r]] = sides(args["padding"], 1);
    return [grow(x[0]!, t + b), grow(x[1]!, l + r), x[2]!];
  },
  tfjs(args) {
    return { factory: "zeroPadding2d", config: new ConfigBuilder(args).plain("padding", "padding").entries };
  },
});

function grow(d: Dim, by: number): Dim {
  return d === null ? null : d + by;
}

export const cropping2d = defineLayer({
  name: "cropping2d",
  kerasClass: "Cropping2D",
  doc: "removes rows and columns from the borders of an image",
  positional: ["cropping"],
  args: {
    cropping: { schema: sidesSchema(0), type: "int | [h, w] | [[top, bottom], [left, right]]", doc: "rows/columns removed on each side (default 0)" },
  },
  shape(inputs, args: Args) {
    const x = inputs[0]!;
    const bad = imageInput("cropping2d", x);
    if (bad) return bad;
    const [[t, b], [l, r]] = sides(args["cropping"], 0);
    const h = grow(x[0]!, -(t + b));
    const w = grow(x[1]!, -(l + r));
    if ((h !== null && h <= 0) || (w !== null && w <= 0)) {
      return fail("DLP3001", `cropping2d removes ${t + b}×${l + r} from its ${fmtShape(x.slice(0, 2))} input`, `needs more than ${t + b}×${l + r}, receives ${fmtShape(x)}`, {
        arg: "cropping",
        help: "crop less, or crop before the map is downsampled",
      });
    }
    return [h, w, x[2]!];
  },
  tfjs(args) {
    return { factory: "cropping2D", config: new ConfigBuilder(args).plain("cropping", "cropping").entries };
  },
});

const sizeArg: ArgSpec = { schema: S.intOrTuple(1, 2, 2), type: "int ≥ 1 | [int, int]", doc: "factor by which rows and columns are repeated (default 2)" };

export const upsampling2d = defineLayer({
  name: "upsampling2d",
  kerasClass: "UpSampling2D",
  doc: "enlarges an image by repeating (or interpolating) rows and columns",
  positional: ["size", "interpolation"],
  args: {
    size: sizeArg,
    interpolation: { schema: S.enumOf(["nearest", "bilinear"], "nearest"), type: "nearest | bilinear", doc: "how new pixels are filled (default nearest)" },
  },
  shape(inputs, args) {
    const x = inputs[0]!;
    const bad = imageInput("upsampling2d", x);
    if (bad) return bad;
    const [sh, sw] = tuple(args, "size", 2, 2);
    return [x[0] === null ? null : x[0]! * sh!, x[1] === null ? null : x[1]! * sw!, x[2]!];
  },
  tfjs(args) {
    const b = new ConfigBuilder(args);
    const size = args["size"];
    // tfjs wants `size` as a pair.
    if (size) {
      if (typeof size.literal === "number") b.raw("size", `[${size.code}, ${size.code}]`);
      else if (Array.isArray(size.literal)) b.raw("size", size.code);
      else b.raw("size", `(typeof (${size.code}) === "number" ? [${size.code}, ${size.code}] : ${size.code})`);
    }
    b.enum("interpolation", "interpolation", new Map([["nearest", "nearest"], ["bilinear", "bilinear"]]));
    return { factory: "upSampling2d", config: b.entries };
  },
});

