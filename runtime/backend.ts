// Backend choice: the fastest that loads, best first. The two native packages are optional
// dependencies (they download libtensorflow at install time, which fails offline), so they are
// imported dynamically and a failure to load is an answer, not a crash.
import { tf } from "./tf.ts";
import { BackendError } from "./errors.ts";
import { registerWasmGradientKernels } from "./wasm_kernels.ts";
import { disableNativeKernels, enableNativeKernels, loadNative } from "./native.ts";

export type BackendChoice = "auto" | "tensorflow-gpu" | "tensorflow" | "native" | "wasm" | "cpu";

export const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", "tensorflow-gpu", "tensorflow", "native", "wasm", "cpu"];

type Attempt = { ok: true; name: string } | { ok: false; why: string };

function reason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split("\n")[0] ?? text;
}

async function importOptional(pkg: string): Promise<void> {
  // A variable specifier keeps TypeScript from resolving a package that may be absent.
  const specifier: string = pkg;
  await import(specifier);
}

async function tryNative(pkg: string): Promise<Attempt> {
  try {
    await importOptional(pkg);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND"
      ? `${pkg} is not installed (npm install ${pkg}; it downloads libtensorflow, so it needs the network)`
      : `${pkg} failed to load: ${reason(e)}`;
    return { ok: false, why };
  }
  try {
    if (!(await tf.setBackend("tensorflow"))) return { ok: false, why: `${pkg} loaded but the "tensorflow" backend did not initialise` };
    await tf.ready();
    return { ok: true, name: pkg === "@tensorflow/tfjs-node-gpu" ? "tensorflow-gpu" : "tensorflow" };
  } catch (e) {
    return { ok: false, why: `${pkg} loaded but its backend failed: ${reason(e)}` };
  }
}

/**
 * The cpu backend's first tensor write prints a multi-line "install our node backend" banner
 * through console.warn. dlp says which backend it uses on one stderr line instead (runPipeline),
 * so the banner is switched off on the backend instance (the wasm backend's fallback kernels
 * use the cpu backend too).
 */
export function silenceCpuBanner(): void {
  const cpu = tf.findBackend("cpu") as (tf.KernelBackend & { firstUse?: boolean }) | null;
  if (cpu && "firstUse" in cpu) cpu.firstUse = false;
}

async function tryWasm(): Promise<Attempt> {
  try {
    await import("@tensorflow/tfjs-backend-wasm");
    if (!(await tf.setBackend("wasm"))) return { ok: false, why: "the wasm backend did not initialise" };
    await tf.ready();
    silenceCpuBanner();
    registerWasmGradientKernels();
    disableNativeKernels();
    return { ok: true, name: "wasm" };
  } catch (e) {
    return { ok: false, why: `@tensorflow/tfjs-backend-wasm failed to load: ${reason(e)}` };
  }
}

/** The wasm backend with oneDNN kernels from dlp's addon in place of its heaviest ones (runtime/native.ts). */
async function tryOneDnn(): Promise<Attempt> {
  const native = loadNative();
  if (!native.ok) return { ok: false, why: native.why };
  const wasm = await tryWasm();
  if (!wasm.ok) return { ok: false, why: `it runs on the wasm backend, which failed: ${wasm.why}` };
  enableNativeKernels(native.addon);
  return { ok: true, name: "native" };
}

async function tryCpu(): Promise<Attempt> {
  try {
    if (!(await tf.setBackend("cpu"))) return { ok: false, why: "the cpu backend did not initialise" };
    await tf.ready();
    silenceCpuBanner();
    return { ok: true, name: "cpu" };
  } catch (e) {
    return { ok: false, why: `the cpu backend failed: ${reason(e)}` };
  }
}

function attempt(choice: Exclude<BackendChoice, "auto">): Promise<Attempt> {
  switch (choice) {
    case "tensorflow-gpu": return tryNative("@tensorflow/tfjs-node-gpu");
    case "tensorflow": return tryNative("@tensorflow/tfjs-node");
    case "native": return tryOneDnn();
    case "wasm": return tryWasm();
    case "cpu": return tryCpu();
  }
}

/** Why the last "auto" choice passed over the native backend (null when it did not). */
let nativeSkipped: string | null = null;

/**
 * What runPipeline prints after `backend: NAME`: for native, the library and threads; for a
 * backend below native that "auto" reached, why native did not load and how to get it.
 */
export function backendNote(name: string): string {
  if (name === "native") {
    const n = loadNative();
    return n.ok ? ` (wasm + ${n.description})` : "";
  }
  const why = nativeSkipped ? `native backend unavailable: ${nativeSkipped}` : null;
  if (name === "cpu") return ` (pure JavaScript, the slowest${why ? `; ${why}` : ""}; install @tensorflow/tfjs-node, or use --backend wasm)`;
  if (name === "wasm" && why) return ` (${why})`;
  return "";
}

/**
 * Activates a backend and returns its name ("tensorflow-gpu", "tensorflow", "native", "wasm" or "cpu").
 * "auto" takes the first that loads; a forced choice that cannot load throws a BackendError
 * saying why.
 */
export async function initBackend(choice: BackendChoice = "auto"): Promise<string> {
  nativeSkipped = null;
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new BackendError(`unknown backend "${String(choice)}" (expected one of ${BACKEND_CHOICES.join(", ")})`);
  }
  if (choice !== "auto") {
    const r = await attempt(choice);
    if (!r.ok) throw new BackendError(`backend ${choice} cannot be used: ${r.why}`);
    return r.name;
  }
  const reasons: string[] = [];
  for (const c of ["tensorflow-gpu", "tensorflow", "native", "wasm", "cpu"] as const) {
    const r = await attempt(c);
    if (r.ok) return r.name;
    if (c === "native") nativeSkipped = r.why;
    reasons.push(`${c}: ${r.why}`);
  }
  throw new BackendError(`no backend could be loaded:\n  ${reasons.join("\n  ")}`);
}
