// `dlpc summary`: the Keras-style table of layers, output shapes and parameter counts.
import type { CheckedPipeline } from "./semantic/checked.ts";
import { fmtShape } from "./semantic/layers/index.ts";

export interface SummaryJson {
  pipeline: string;
  layers: { name: string; type: string; outputShape: (number | null)[]; params: number }[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
}

export function summaryJson(c: CheckedPipeline): SummaryJson {
  const layers = (c.model?.layers ?? []).map((l) => ({ name: l.name, type: l.def.kerasClass, outputShape: [null, ...l.output], params: l.params.trainable + l.params.nonTrainable }));
  const trainable = (c.model?.layers ?? []).reduce((a, l) => a + l.params.trainable, 0);
  const non = (c.model?.layers ?? []).reduce((a, l) => a + l.params.nonTrainable, 0);
  return { pipeline: c.ir.name, layers, totalParams: trainable + non, trainableParams: trainable, nonTrainableParams: non };
}

const n = (x: number) => x.toLocaleString("en-US");

export function summaryText(c: CheckedPipeline): string {
  const s = summaryJson(c);
  const rows = s.layers.map((l) => [`${l.name} (${l.type})`, `(${l.outputShape.map((d) => (d === null ? "None" : String(d))).join(", ")})`, n(l.params)]);
  const several = c.data && c.data.inputs.length > 1 ? c.data.inputs : undefined;
  const input = several ? `inputs: ${several.map((i) => `${i.name} ${fmtShape(i.shape)}`).join(", ")}` : c.inputShape ? `input: ${fmtShape(c.inputShape)}` : "";
  const head = ["Layer (type)", "Output Shape", "Param #"];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `${r[0].padEnd(w[0])}   ${r[1].padEnd(w[1])}   ${r[2].padStart(w[2])}`;
  const rule = (ch: string) => ch.repeat(w[0] + w[1] + w[2] + 6);
  return [
    `Model: "${s.pipeline}"${input ? `  (${input})` : ""}`,
    rule("─"),
    line(head),
    rule("═"),
    ...rows.map(line),
    rule("═"),
    `Total params: ${n(s.totalParams)}`,
    `Trainable params: ${n(s.trainableParams)}`,
    `Non-trainable params: ${n(s.nonTrainableParams)}`,
    rule("─"),
  ].join("\n");
}
