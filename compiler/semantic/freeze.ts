// Freezing more than one layer at a time, as Keras users do it:
//
//   base.trainable = False                    →  dw_block(64, 1, trainable: false)
//   for layer in model.layers[:N]: … = False  →  a `freeze` statement after the N-th layer
//
// `trainable: false` on a block call freezes every layer that call builds (nested block calls
// included; an inner `trainable: true` does not thaw it, as in Keras where the outer flag
// wins). `freeze` on its own line in the model section freezes every layer built before it
// (at the model's top level, or in a top-level `if`/`repeat`: `if fine_tune { freeze }`).
// Frozen layers count as non-trainable params in `dlpc summary`; the emitted code applies the
// same freezing with the runtime's `freezeBlock`/`freezeUpTo`, and the runtime runs a frozen
// batch_norm in inference mode (its moving mean and variance stay as they are), as Keras does.
// The model walk (model.ts) and the emitter (emit.ts) call in here from a few lines each.
import type { Argument, CallExpr, Span } from "../../grammar/ast.ts";
import { diag, type Diagnostic } from "../diagnostics/diagnostic.ts";
import type { ArgValue, ParamCount } from "./layers/types.ts";
import { evalExpr } from "./values.ts";
import type { BlockIR } from "./lower.ts";
import { blockTrainableArg } from "./model_ir.ts";
export { blockParamArgs, blockTrainableArg } from "./model_ir.ts";

/** The reference's section on freezing (docs/reference.md). */
export const FREEZE_DOC = [
  "## Freezing layers (fine-tuning)",
  "",
  "Frozen layers keep their weights through training (the optimizer leaves them alone) and count as",
  "non-trainable params in `dlpc summary`; a frozen `batch_norm` runs in inference mode (its moving",
  "mean and variance stay as loaded), as Keras does. Three ways, matching Keras's:",
  "",
  "| dlp | Keras | freezes |",
  "|---|---|---|",
  "| `dense(64, trainable: false)` | `Dense(64, trainable=False)` | that layer |",
  "| `dw_block(64, 1, trainable: false)` | `block.trainable = False` | every layer the block call builds, nested blocks included |",
  "| `freeze` (a statement of its own in `model`) | `for layer in model.layers[:N]: layer.trainable = False` | every layer built before it |",
  "",
  "`freeze` goes at the model's top level (or inside a top-level `if`/`repeat`, so a param can",
  "switch it: `if freeze_base { freeze }`), not inside a block. A block call's `trainable` may be a",
  "param (`trainable: tune_base`); a block with its own parameter named `trainable` takes it as",
  "that parameter instead.",
  "",
  "```dlp",
  "model {",
  "  conv2d(32, 3, use_bias: false)",
  "  dw_block(64, 1)",
  "  dw_block(128, 2)",
  "  freeze                        // the base above keeps its (init_weights) weights",
  "  global_avg_pool()",
  "  dense(10, activation: softmax) // the new head trains",
  "}",
  "```",
  "",
];

/** Problems with a `freeze` statement (a model IR node): words after it, or inside a block body. */
export function freezeProblem(st: { inWords: boolean; span: Span }, inBlock: boolean): Diagnostic | undefined {
  if (st.inWords) {
    return diag("DLP1001", "error", "`freeze` takes nothing: it freezes every layer built before it", st.span, { label: "unexpected words after `freeze`", help: "to freeze one layer give it `trainable: false`; to freeze a block call's layers, the call `trainable: false`" });
  }
  if (inBlock) {
    return diag("DLP1001", "error", "`freeze` belongs in the model section, not inside a block", st.span, { label: "inside a block", help: "give the block call `trainable: false` to freeze the layers it builds, or put `freeze` after the call in `model`" });
  }
  return undefined;
}

/** Frozen: every weight counts as non-trainable. */
export function frozenCount(p: ParamCount): ParamCount {
  return p.trainable === 0 ? p : { trainable: 0, nonTrainable: p.trainable + p.nonTrainable };
}

/** Freezes the counts of layers [from, end) in place (`layers` as the model walk records them). */
export function freezeFrom(layers: { params: ParamCount }[], from: number): void {
  for (let k = from; k < layers.length; k++) layers[k]!.params = frozenCount(layers[k]!.params);
}

/** A block call's `trainable:` value: true when absent, a diagnostic when not a boolean. */
export function blockTrainable(block: BlockIR, call: CallExpr, values: ReadonlyMap<string, ArgValue>): boolean | Diagnostic {
  const a = blockTrainableArg(block, call);
  if (!a) return true;
  const v = evalExpr(a.value, values);
  if (typeof v === "boolean") return v;
  return diag("DLP2004", "error", `\`trainable\` of block \`${block.name}\` is true or false`, a.value.span, { label: v === undefined ? "cannot evaluate" : `found ${JSON.stringify(v)}`, help: "`trainable: false` freezes every layer the call builds" });
}
