// dlpc tune, the CLI glue: parses the arguments, compiles the pipeline (which checks every
// shape-affecting combination of the search space before trial 1) and hands the compiled pipeline
// to the runtime's tuner (runtime/tune/session.ts), which runs the study. A worker first reads the
// study's pipeline from the shared storage, then compiles it the same way.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { BACKENDS, compileOrReport, flag, type Parsed, positiveInt, readSource, UsageError } from "../cli_util.ts";
import type { CompiledPipeline } from "../../runtime/pipeline.ts";
import type { Storage, TuneSessionOptions } from "../../runtime/tune/index.ts";

interface Loaded {
  pipeline: CompiledPipeline;
  /** The model's layers as `dlpc summary` lists them, for the study's fingerprint description. */
  modelLayers: string[];
  combinationsChecked: number;
}

/** Compiles .dlp text into build/ and imports the emitted module; undefined after printing errors. */
async function load(file: string, text: string): Promise<Loaded | undefined> {
  const result = compileOrReport(text, file);
  if (!result) return undefined;
  // Loaded here, not at the top: the emitter (ts-morph) takes seconds to load, and a shared database is reached first.
  const [{ summaryJson }, { writeCompiled }] = await Promise.all([import("../summary.ts"), import("../codegen/write.ts")]);
  const target = writeCompiled(result.checked, file, result.sourceHash, "build");
  // A fresh URL per content: a worker that loads two versions of one pipeline must not get the cached first.
  const mod = (await import(`${pathToFileURL(resolve(target)).href}?v=${result.sourceHash.slice(0, 16)}`)) as { pipeline?: CompiledPipeline };
  if (!mod.pipeline) throw new Error(`${target} does not export a compiled pipeline`);
  const layers = summaryJson(result.checked).layers;
  return {
    pipeline: mod.pipeline,
    modelLayers: layers.map((x) => `${x.name} ${x.type} (${x.outputShape.map((v) => (v === null ? "None" : v)).join(", ")}) ${x.params}`),
    combinationsChecked: result.checked.combinationsChecked,
  };
}

/** What a worker compiles: the .dlp file it was given, else the pipeline stored with the study. */
async function workerSource(shared: Storage, study: string, file: string | undefined): Promise<{ file: string; text: string }> {
  const meta = await shared.meta(study);
  if (!meta) throw new Error(`there is no study "${study}" in ${shared.location}; start it with \`dlpc tune FILE --storage URL --study ${study}\``);
  if (file !== undefined) return { file, text: readSource(file) };
  if (!meta.pipeline) throw new Error(`study "${study}" does not hold its pipeline; pass the .dlp file: dlpc tune FILE --worker …`);
  // Data only: a stored name never reaches a path or emitted code unescaped.
  return (await import("../../runtime/tune/stored.ts")).readStoredPipeline(meta.pipeline, study);
}

export async function tuneCommand(p: Parsed): Promise<number> {
  const worker = p.flags.has("--worker");
  const storageUrl = flag(p, "--storage");
  const backend = flag(p, "--backend") ?? "auto";
  if (!(BACKENDS as readonly string[]).includes(backend)) throw new UsageError(`unknown backend ${backend}`);
  const study = flag(p, "--study");
  const trials = positiveInt(p, "--trials");
  const epochs = positiveInt(p, "--epochs");
  const limit = positiveInt(p, "--limit");
  // A running trial whose worker sends no heartbeat for this long is declared lost (default 60 s).
  const stale = positiveInt(p, "--stale");
  const connectTimeout = flag(p, "--connect-timeout");
  const connectTimeoutS = connectTimeout === undefined ? undefined : Number(connectTimeout);
  if (connectTimeoutS !== undefined && !(Number.isFinite(connectTimeoutS) && connectTimeoutS > 0 && connectTimeoutS <= 3600)) {
    throw new UsageError(`--connect-timeout takes seconds (a number above 0, at most 3600), not ${connectTimeout}`);
  }
  const postgres = storageUrl !== undefined && /^postgres(ql)?:\/\//.test(storageUrl);
  if (connectTimeoutS !== undefined && !postgres) throw new UsageError("--connect-timeout applies to a PostgreSQL --storage (postgresql://…)");
  if (worker) {
    if (p.positional.length > 1) throw new UsageError("tune --worker takes at most one .dlp file");
    if (!postgres) throw new UsageError("tune --worker needs --storage postgresql://… (a storage several processes share)");
    if (!study) throw new UsageError("tune --worker needs --study NAME (the study to join)");
  } else if (p.positional.length !== 1) throw new UsageError("tune takes one .dlp file");

  // A shared database is reached first, before compiling or loading TensorFlow.js: one that cannot
  // be reached fails within the connect timeout (default 3 s) with one line naming host:port.
  let shared: Storage | undefined;
  if (postgres) {
    const { PostgresStorage } = await import("../../runtime/tune/postgres.ts");
    const pgStorage = new PostgresStorage(storageUrl, connectTimeoutS !== undefined ? { connectTimeoutMs: connectTimeoutS * 1000 } : {});
    try {
      await pgStorage.check();
    } catch (e) {
      await pgStorage.close().catch(() => undefined);
      throw e;
    }
    shared = pgStorage;
  }
  const tune = await import("../../runtime/tune/index.ts");

  let source: { file: string; text: string };
  try {
    source = worker ? await workerSource(shared!, study!, p.positional[0]) : { file: p.positional[0]!, text: readSource(p.positional[0]!) };
  } catch (e) {
    await shared?.close();
    throw e;
  }
  let loaded: Loaded | undefined;
  try {
    loaded = await load(source.file, source.text);
  } catch (e) {
    await shared?.close();
    throw e;
  }
  if (!loaded) {
    await shared?.close();
    return 1;
  }

  const options: TuneSessionOptions = {
    pipeline: loaded.pipeline,
    source,
    modelLayers: loaded.modelLayers,
    combinationsChecked: loaded.combinationsChecked,
    out: flag(p, "--out") ?? "runs",
    backend: backend as TuneSessionOptions["backend"],
    worker,
    quiet: p.flags.has("--quiet"),
    ...(study !== undefined ? { study } : {}),
    ...(storageUrl !== undefined ? { storageUrl } : {}),
    ...(shared !== undefined ? { storage: shared } : {}),
    ...(trials !== undefined ? { trials } : {}),
    ...(epochs !== undefined ? { epochs } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(stale !== undefined ? { stale } : {}),
  };
  return tune.tunePipeline(options);
}
