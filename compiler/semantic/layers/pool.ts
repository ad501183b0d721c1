// Pooling: windowed (strides default to the pool size, as in Keras) and global.
import type { LayerDef, TensorShape } from "./types.ts";
import { A, ConfigBuilder, S, defineLayer, rankFailure, slide, str, tuple, type ArgSpec } from "./util.ts";

interface PoolOpts {
  name: string;
  kerasClass: string;
  factory: string;
  n: 1 | 2;
  kind: "max" | "average";
}

function pool(o: PoolOpts): LayerDef {
  const pair = o.n === 2;
  const sizeArg: ArgSpec = {
    schema: pair ? S.intOrTuple(1, 2, 2) : S.int(1, 2),
    type: pair ? "int ≥ 1 | [int, int]" : "int ≥ 1",
    doc: `size of the pooling window (default 2)`,
  };
  const stridesArg: ArgSpec = {
    schema: pair ? S.intOrTuple(1, 2) : S.int(1),
    type: pair ? "int ≥ 1 | [int, int]" : "int ≥ 1",
    doc: "step of the window (default: the pool size)",
  };
  return defineLayer({
    name: o.name,
    kerasClass: o.kerasClass,
    doc: `${o.kind} pooling over ${pair ? "height × width" : "steps"}; the map shrinks by the pool size`,
    positional: ["pool", "strides", "padding"],
    args: { pool: sizeArg, strides: stridesArg, padding: A.padding() },
    shape(inputs, args) {
      const x = inputs[0]!;
      if (x.length !== o.n + 1) {
        return rankFailure(
          o.name,
          x,
          pair ? "a 3-D input (height × width × channels)" : "a 2-D input (steps × channels)",
          pair ? (x.length === 2 ? "use max_pool1d / avg_pool1d for sequences" : "reshape the input to [height, width, channels]")
            : x.length === 3 ? "use max_pool / avg_pool for images" : "reshape the input to [steps, channels]",
        );
      }
      const p = tuple(args, "pool", o.n, 2);
      const s = args["strides"] === undefined ? p : tuple(args, "strides", o.n, 1);
      const out = slide(o.name, "window", x, p, str(args, "padding", "valid"), s, Array<number>(o.n).fill(1));
      if (!Array.isArray(out)) return out;
      return [...out, x[o.n]!];
    },
    tfjs(args) {
      const b = new ConfigBuilder(args).plain("pool", "poolSize").plain("strides", "strides").padding();
      // tfjs defaults poolSize to 2 and strides to the pool size, as Keras does.
      return { factory: o.factory, config: b.entries };
    },
  });
}

export const maxPool = pool({ name: "max_pool", kerasClass: "MaxPooling2D", factory: "maxPooling2d", n: 2, kind: "max" });
export const avgPool = pool({ name: "avg_pool", kerasClass: "AveragePooling2D", factory: "averagePooling2d", n: 2, kind: "average" });
export const maxPool1d = pool({ name: "max_pool1d", kerasClass: "MaxPooling1D", factory: "maxPooling1d", n: 1, kind: "max" });
export const avgPool1d = pool({ name: "avg_pool1d", kerasClass: "AveragePooling1D", factory: "averagePooling1d", n: 1, kind: "average" });

function globalPool(name: string, kerasClass: string, factory: string, n: 1 | 2, kind: string): LayerDef {
  return defineLayer({
    name,
    kerasClass,
    doc: `${kind} over all ${n === 2 ? "positions of a feature map" : "steps of a sequence"}: one value per channel`,
    shape(inputs) {
      const x: TensorShape = inputs[0]!;
      if (x.length !== n + 1) {
        return rankFailure(
          name,
          x,
          n === 2 ? "a 3-D input (height × width × channels)" : "a 2-D input (steps × channels)",
          n === 2 ? (x.length === 2 ? `use ${name.replace(/2d$/, "")}1d for sequences` : "this input is not a feature map") : x.length === 3 ? `use ${name.replace(/1d$/, "")} for images` : "this input is not a sequence",
        );
      }
      return [x[n]!];
    },
    tfjs() {
      return { factory, config: [] };
    },
  });
}

export const globalAvgPool = globalPool("global_avg_pool", "GlobalAveragePooling2D", "globalAveragePooling2d", 2, "average");
export const globalMaxPool = globalPool("global_max_pool", "GlobalMaxPooling2D", "globalMaxPooling2d", 2, "maximum");
export const globalAvgPool1d = globalPool("global_avg_pool1d", "GlobalAveragePooling1D", "globalAveragePooling1d", 1, "average");
export const globalMaxPool1d = globalPool("global_max_pool1d", "GlobalMaxPooling1D", "globalMaxPooling1d", 1, "maximum");
