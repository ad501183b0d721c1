// Typed-column preprocessing + one training epoch on an adult-income-like CSV (bench/tabular_data.ts:
// 6 numeric and 8 categorical columns, `--rows` rows, default 30 000), through the dlp runtime
// (loadDataset: read the CSV, fit median fill / standardize / StringLookup vocabularies on the
// training split, encode; then trainModel for one epoch), next to the same preprocessing in pandas
// and the same model in PyTorch (bench/tabular.py: 72 inputs, dense 64 relu, dense 2, Adam,
// batch 128), run with OMP_WAIT_POLICY=passive at 1 and at 2 threads, the faster of the two kept.
// The dlp side runs in a child process per backend; prints one JSON object.
// Usage: node --import tsx bench/tabular.ts [--rows 30000] [--backend native[,wasm]] [--dlp-threads 1,2] [--threads N (PyTorch: only N, not the best of 1 and 2)] [--no-torch]
//        node --import tsx bench/tabular.ts --write FILE [--rows N] [--spend]   (only writes the CSV; --spend adds the remark and spend columns of tabular_two_heads)
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { initBackend, trainModel, loadDataset, BACKEND_CHOICES, type BackendChoice, type CompiledPipeline, type Params } from "../runtime/index.ts";
import { compile } from "../compiler/driver.ts";
import { writeCompiled } from "../compiler/codegen/write.ts";
import { ADULT_CATEGORICAL, ADULT_NUMERIC, adultLikeCsv } from "./tabular_data.ts";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => (args.includes(name) ? args[args.indexOf(name) + 1] ?? dflt : dflt);
const rows = Number(opt("--rows", "30000"));
if (!Number.isInteger(rows) || rows < 100) throw new Error(`--rows takes an integer of 100 or more, not ${opt("--rows", "")}`);
const here = dirname(fileURLToPath(import.meta.url));
const work = join(here, "..", "build", ".bench");

/** Vocabulary sizes: each column's levels + the OOV id (bench/tabular.py uses the same). */
const MAX_TOKENS: Record<string, number> = { workclass: 8, education: 11, marital_status: 7, occupation: 13, relationship: 7, race: 6, sex: 3, native_country: 11 };

function pipelineText(csv: string): string {
  const numeric = ADULT_NUMERIC.map((c) => (c === "hours_per_week" ? `${c} |> fill(median) |> standardize()` : `${c} |> standardize()`));
  const categorical = ADULT_CATEGORICAL.map((c) => `${c} |> category(max_tokens: ${MAX_TOKENS[c]}) |> one_hot()`);
  return `pipeline tabular_bench {
  seed 1
  data {
    source csv(${JSON.stringify(csv)})
    x = concat(${[...numeric, ...categorical].join(", ")})
    y = income as class(2)
    split validation 10%
  }
  model {
    dense(64, activation: relu)
    dense(2, activation: softmax)
  }
  train {
    loss sparse_categorical_crossentropy
    optimizer adam(lr: 1e-3)
    batch 128
    epochs 1
  }
}
`;
}

async function child(csv: string, choice: BackendChoice): Promise<void> {
  const text = pipelineText(csv);
  const r = compile(text, { file: "tabular_bench.dlp" });
  if (r.hasErrors || !r.checked) throw new Error(`the benchmark pipeline does not compile: ${r.diagnostics.map((d) => d.message).join("; ")}`);
  const modulePath = writeCompiled(r.checked, "tabular_bench.dlp", r.sourceHash, work);
  const { pipeline } = (await import(pathToFileURL(resolve(modulePath)).href)) as { pipeline: CompiledPipeline<Params> };
  const backend = await initBackend(choice);
  const p = pipeline.defaults;
  // CPU seconds too (every thread of the process, as Python's process_time): on a loaded machine
  // they move far less than wall seconds, which depend on the share of the cores a process gets.
  const cpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  const c0 = cpu();
  const t0 = performance.now();
  const ds = await loadDataset(pipeline.data(p), { seed: 1 });
  const t1 = performance.now();
  const c1 = cpu();
  const net = pipeline.buildModel(p);
  const spec = { ...pipeline.train(p), callbacks: [] };
  await trainModel(net, spec, { train: ds.train, validation: null }, { epochs: 1, seed: 1, shuffle: true, augment: [], labels: pipeline.data(p).outputs[0]!.labels, quiet: true });
  const t2 = performance.now();
  const c2 = cpu();
  console.log(JSON.stringify({ backend, inputs: ds.inputShape[0], trainRows: ds.train.n, params: net.countParams(), preprocessSeconds: (t1 - t0) / 1000, epochSeconds: (t2 - t1) / 1000, preprocessCpuSeconds: c1 - c0, epochCpuSeconds: c2 - c1 }));
  net.dispose();
}

const lastJson = (p: ReturnType<typeof spawnSync>): Record<string, unknown> => {
  const out = String(p.stdout ?? "").trim().split("\n").pop() ?? "";
  if (p.status === 0 && out.startsWith("{")) return JSON.parse(out) as Record<string, unknown>;
  return { error: String(p.stderr ?? "").trim().split("\n").filter((l) => l.trim()).pop() ?? `exit ${p.status}` };
};

if (args.includes("--write")) {
  const file = opt("--write", "");
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, adultLikeCsv(rows, 7, { spend: args.includes("--spend") }));
  console.log(`wrote ${file} (${rows} rows)`);
} else if (args.includes("--child")) {
  await child(opt("--csv", ""), opt("--backend", "auto") as BackendChoice);
} else {
  mkdirSync(work, { recursive: true });
  const csv = join(work, `adult_like_${rows}.csv`);
  writeFileSync(csv, adultLikeCsv(rows, 7));
  const result: Record<string, unknown> = { rows, load: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ") };
  // --dlp-threads 1,2: each backend once per DLP_THREADS value (the native backend's oneDNN
  // threads), keyed dlp_<backend>_threads<N>; without it, the default (every core).
  const dlpThreads = args.includes("--dlp-threads") ? opt("--dlp-threads", "").split(",") : [""];
  for (const b of opt("--backend", "native").split(",")) {
    if (!(BACKEND_CHOICES as readonly string[]).includes(b)) throw new Error(`--backend takes ${BACKEND_CHOICES.join(", ")}, not ${b}`);
    for (const t of dlpThreads) {
      if (t !== "" && !/^[1-9][0-9]*$/.test(t)) throw new Error(`--dlp-threads takes thread counts such as 1,2, not ${t}`);
      const env = t === "" ? process.env : { ...process.env, DLP_THREADS: t };
      result[t === "" ? `dlp_${b}` : `dlp_${b}_threads${t}`] = lastJson(spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--child", "--csv", csv, "--backend", b], { encoding: "utf8", maxBuffer: 1 << 24, env }));
    }
  }
  if (!args.includes("--no-torch")) {
    // As the guide asks of every PyTorch peer: OMP_WAIT_POLICY=passive, and the best (lowest
    // preprocessing + epoch) of 1 and 2 threads, each in its own process; `--threads N` runs only N.
    const env = { ...process.env, OMP_WAIT_POLICY: "passive" };
    const threads = args.includes("--threads") ? [opt("--threads", "1")] : ["1", "2"];
    const runs = threads.map((n) => lastJson(spawnSync("/usr/bin/python3", [join(here, "tabular.py"), "--csv", csv, "--threads", n], { encoding: "utf8", env })));
    const total = (r: Record<string, unknown>): number => ("error" in r ? Infinity : Number(r["preprocessSeconds"]) + Number(r["epochSeconds"]));
    const t = runs.reduce((a, b) => (total(b) < total(a) ? b : a));
    result["pytorch_pandas"] = t;
    result["pytorch_pandas_runs"] = runs.map((r) => ("error" in r ? r : { threads: r["threads"], preprocessSeconds: r["preprocessSeconds"], epochSeconds: r["epochSeconds"], preprocessCpuSeconds: r["preprocessCpuSeconds"], epochCpuSeconds: r["epochCpuSeconds"] }));
    for (const [k, v] of Object.entries(result)) {
      if (!k.startsWith("dlp_") || typeof v !== "object" || v === null || "error" in v) continue;
      const d = v as Record<string, number>;
      const tt = t as Record<string, number>;
      if (typeof tt["params"] === "number" && tt["params"] !== d["params"]) throw new Error(`bench/tabular.py's model has ${tt["params"]} parameters, the dlp pipeline ${d["params"]}`);
      (v as Record<string, unknown>)["ratio_to_pytorch"] = {
        preprocess: Math.round((d["preprocessSeconds"]! / tt["preprocessSeconds"]!) * 100) / 100,
        epoch: Math.round((d["epochSeconds"]! / tt["epochSeconds"]!) * 100) / 100,
        total: Math.round(((d["preprocessSeconds"]! + d["epochSeconds"]!) / (tt["preprocessSeconds"]! + tt["epochSeconds"]!)) * 100) / 100,
      };
      if (typeof tt["preprocessCpuSeconds"] === "number") {
        (v as Record<string, unknown>)["cpu_ratio_to_pytorch"] = {
          preprocess: Math.round((d["preprocessCpuSeconds"]! / tt["preprocessCpuSeconds"]!) * 100) / 100,
          epoch: Math.round((d["epochCpuSeconds"]! / tt["epochCpuSeconds"]!) * 100) / 100,
          total: Math.round(((d["preprocessCpuSeconds"]! + d["epochCpuSeconds"]!) / (tt["preprocessCpuSeconds"]! + tt["epochCpuSeconds"]!)) * 100) / 100,
        };
      }
    }
  }
  console.log(JSON.stringify(result, null, 2));
}
