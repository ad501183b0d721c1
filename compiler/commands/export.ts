// dlpc export RUN_DIR --format onnx [-o FILE]: a saved run's model as ONNX (default
// RUN_DIR/model.onnx), for onnxruntime, TensorRT, OpenVINO or a Python service.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { flag, type Parsed, UsageError } from "../cli_util.ts";

export async function exportCommand(p: Parsed): Promise<number> {
  if (p.positional.length !== 1) throw new UsageError("export takes one RUN_DIR (a folder written by dlpc run)");
  const dir = p.positional[0]!;
  const fmt = flag(p, "--format") ?? "onnx";
  if (fmt !== "onnx") throw new UsageError(`export --format: onnx is the only format (tfjs's model.json is already in the run folder), not ${fmt}`);
  if (!existsSync(join(dir, "model.json"))) throw new UsageError(`${dir} holds no model.json (expected a run folder such as runs/mnist_cnn)`);
  const target = flag(p, "-o") ?? join(dir, "model.onnx");
  const runtime = await import("../../runtime/index.ts");
  await runtime.initBackend("cpu");
  const { exportOnnx } = await import("../../runtime/export/onnx.ts");
  const model = await runtime.loadModel(dir);
  const out = exportOnnx(model, { producer: "dlpc" });
  model.dispose();
  const { writeFileAtomicSync } = await import("../../runtime/checkpoint.ts");
  writeFileAtomicSync(target, Buffer.from(out.bytes));
  process.stdout.write(`${target}: ONNX opset 13, ${out.nodes} nodes, ${out.inputNames.length > 1 ? "inputs" : "input"} ${out.inputNames.map((n) => `"${n}"`).join(", ")}, ${out.outputNames.length > 1 ? "outputs" : "output"} ${out.outputNames.map((n) => `"${n}"`).join(", ")}\n`);
  return 0;
}
