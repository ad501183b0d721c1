// Crash-safe training state: after every epoch the training loop hands its whole state (model
// weights, optimizer slots, the best weights kept so far, the PRNG states that fix the data order,
// augmentation and dropout, history and callback counters) to `writeCheckpointFile`, which writes
// one self-checking file atomically (a temporary file, fsync, rename over the previous one, fsync
// of the folder). A crash at any instant leaves either the previous checkpoint or the new one,
// never a mix; a full disk leaves the previous one intact. `readCheckpointFile` checks the magic,
// the header, every tensor's extent and a sha256 of the payload, and names the first thing wrong.
import { createHash } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { tf } from "./tf.ts";
import { TrainingError } from "./errors.ts";

const MAGIC = Buffer.from("DLPCKPT\u0001", "latin1");
export const CHECKPOINT_FORMAT = "dlp-training-checkpoint";
export const CHECKPOINT_VERSION = 1;

/** A tensor's values, detached from any backend. */
export interface SavedTensor {
  name: string;
  dtype: "float32" | "int32";
  shape: number[];
  data: Float32Array | Int32Array;
}

/** A callback's monitor; `best` is null until a finite value was seen (JSON has no Infinity). */
export interface MonitorState { key: string; mode: "min" | "max"; best: number | null; wait: number }

/** Everything of the training loop besides tensors, JSON-serialisable. */
export interface LoopState {
  /** Epochs finished (the next epoch to run, 0-based). */
  epoch: number;
  /** The epoch count the run trains to. */
  targetEpochs: number;
  /** True when training ended (early stop) before targetEpochs: a resume only evaluates and saves. */
  done: boolean;
  stopReason?: string;
  /** mulberry32 state of the shuffling / augmentation PRNG. */
  rng: number;
  /** mulberry32 state of the PRNG behind Math.random (dropout, initialisers), when seeded. */
  mathRandom: number | null;
  history: Record<string, number[]>;
  lrFactor: number;
  best: MonitorState;
  early: MonitorState | null;
  reduce: MonitorState | null;
  bestEpoch: number | null;
  /** Non-tensor fields of the optimizer (iteration counters). */
  optimizerScalars: Record<string, number>;
  /** The files checkpoint(path: …) wrote so far, oldest first (for keep: K). */
  savedFiles: string[];
  trainSeconds: number;
  samplesSeen: number;
}

export interface TrainCheckpoint {
  loop: LoopState;
  weights: SavedTensor[];
  /** The best epoch's weights, when a monitor kept some. */
  bestWeights: SavedTensor[] | null;
  optimizer: SavedTensor[];
}

export interface CheckpointFile extends TrainCheckpoint {
  /** What the run was started with (pipeline, data, model, settings): a resume compares it. */
  describe: Record<string, unknown>;
  /** sha256 of `describe` plus the model builder's code. */
  fingerprint: string;
  backend: string;
  writtenAt: string;
}

interface TensorEntry { group: "weights" | "bestWeights" | "optimizer"; name: string; dtype: "float32" | "int32"; shape: number[]; offset: number; bytes: number }

interface Header {
  format: string;
  version: number;
  fingerprint: string;
  describe: Record<string, unknown>;
  backend: string;
  writtenAt: string;
  loop: LoopState;
  hasBest: boolean;
  tensors: TensorEntry[];
  payloadBytes: number;
  sha256: string;
}

// ---- tensors <-> SavedTensor ----------------------------------------------------------------

export function saveTensors(ts: { name: string; tensor: tf.Tensor }[]): SavedTensor[] {
  return ts.map(({ name, tensor }) => {
    const dtype = tensor.dtype === "int32" ? "int32" : "float32";
    if (tensor.dtype !== "int32" && tensor.dtype !== "float32") throw new TrainingError(`cannot checkpoint ${name}: dtype ${tensor.dtype} is not float32 or int32`);
    const values = tensor.dataSync();
    return { name, dtype, shape: tensor.shape.slice(), data: dtype === "int32" ? Int32Array.from(values as Int32Array) : Float32Array.from(values as Float32Array) };
  });
}

export function toTensor(s: SavedTensor): tf.Tensor {
  return tf.tensor(s.data, s.shape, s.dtype);
}

// ---- optimizer state ----------------------------------------------------------------------
// Every tfjs optimizer keeps its slots either as tf.Variables on the instance (Adam's accBeta1,
// Adamax's iteration) or as arrays of { originalName, variable } (moments, accumulators), plus
// the number `iterations_`. tfjs's own setWeights is missing for Adamax and recomputes Adam's
// beta powers with pow(), which differs in the last bits from the products it accumulated, so a
// resumed run would drift: the slots are saved and restored as they are.

type Slot = { originalName: string; variable: tf.Variable };
const isSlotArray = (v: unknown): v is (Slot | undefined)[] =>
  Array.isArray(v) && v.length > 0 && v.every((e) => e === undefined || e === null || (typeof e === "object" && (e as Slot).variable instanceof tf.Variable));

export function optimizerState(opt: tf.Optimizer): { tensors: SavedTensor[]; scalars: Record<string, number> } {
  const tensors: { name: string; tensor: tf.Tensor }[] = [];
  const scalars: Record<string, number> = {};
  for (const [k, v] of Object.entries(opt as unknown as Record<string, unknown>)) {
    if (k === "iterations_" && typeof v === "number") scalars[k] = v;
    else if (v instanceof tf.Variable) tensors.push({ name: k, tensor: v });
    else if (isSlotArray(v)) v.forEach((e, i) => { if (e) tensors.push({ name: `${k}[${i}]=${e.originalName}`, tensor: e.variable }); });
  }
  return { tensors: saveTensors(tensors), scalars };
}

export function restoreOptimizer(opt: tf.Optimizer, tensors: SavedTensor[], scalars: Record<string, number>, file: string): void {
  const o = opt as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(scalars)) o[k] = v;
  const arrays = new Map<string, Slot[]>();
  for (const t of tensors) {
    const m = /^([A-Za-z_$][\w$]*)\[(\d+)\]=(.*)$/.exec(t.name);
    if (m) {
      const [, key, index, originalName] = m;
      const list = arrays.get(key!) ?? arrays.set(key!, []).get(key!)!;
      list[Number(index)] = { originalName: originalName!, variable: tf.tidy(() => toTensor(t).variable(false)) };
      continue;
    }
    const cur = o[t.name];
    if (!(cur instanceof tf.Variable)) throw new TrainingError(`${file}: the optimizer state holds "${t.name}", which this optimizer does not have (was the optimizer changed?)`);
    if (cur.shape.join(",") !== t.shape.join(",")) throw new TrainingError(`${file}: optimizer variable "${t.name}" is [${t.shape.join(",")}], the optimizer has [${cur.shape.join(",")}]`);
    tf.tidy(() => cur.assign(toTensor(t) as tf.Tensor));
  }
  for (const [k, list] of arrays) {
    const old = o[k];
    if (Array.isArray(old)) for (const e of old) (e as Slot | undefined)?.variable?.dispose();
    o[k] = list;
  }
}

// ---- the file -----------------------------------------------------------------------------

function bytesOf(t: SavedTensor): Buffer {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** The checkpoint as bytes: magic, u32 header length, JSON header, payload. */
export function encodeCheckpoint(c: CheckpointFile): Buffer {
  const entries: TensorEntry[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  const add = (group: TensorEntry["group"], ts: SavedTensor[]): void => {
    for (const t of ts) {
      const b = bytesOf(t);
      entries.push({ group, name: t.name, dtype: t.dtype, shape: t.shape, offset, bytes: b.length });
      chunks.push(b);
      offset += b.length;
    }
  };
  add("weights", c.weights);
  if (c.bestWeights) add("bestWeights", c.bestWeights);
  add("optimizer", c.optimizer);
  const payload = Buffer.concat(chunks);
  const header: Header = {
    format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, fingerprint: c.fingerprint, describe: c.describe, backend: c.backend,
    writtenAt: c.writtenAt, loop: c.loop, hasBest: c.bestWeights !== null, tensors: entries, payloadBytes: payload.length,
    sha256: createHash("sha256").update(payload).digest("hex"),
  };
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  return Buffer.concat([MAGIC, len, json, payload]);
}

export function decodeCheckpoint(buf: Buffer, file: string): CheckpointFile {
  if (buf.length < MAGIC.length + 4) throw new TrainingError(`${file}: ${buf.length} bytes, too short to be a dlp training checkpoint (truncated?)`);
  if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new TrainingError(`${file}: not a dlp training checkpoint (its first bytes are not the DLPCKPT signature)`);
  const hlen = buf.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + hlen > buf.length) throw new TrainingError(`${file} is truncated: its header needs ${hlen} bytes from offset ${start}, the file has ${buf.length} bytes`);
  let header: Header;
  try {
    header = JSON.parse(buf.subarray(start, start + hlen).toString("utf8")) as Header;
  } catch (e) {
    throw new TrainingError(`${file}: the checkpoint header (bytes ${start}..${start + hlen}) is not valid JSON: ${(e as Error).message}`);
  }
  if (header.format !== CHECKPOINT_FORMAT) throw new TrainingError(`${file}: format "${String(header.format)}", expected "${CHECKPOINT_FORMAT}"`);
  if (header.version !== CHECKPOINT_VERSION) throw new TrainingError(`${file}: checkpoint version ${String(header.version)}, this dlpc reads version ${CHECKPOINT_VERSION}`);
  const payload = buf.subarray(start + hlen);
  if (payload.length !== header.payloadBytes) {
    throw new TrainingError(`${file} is ${payload.length < header.payloadBytes ? "truncated" : "too long"}: its tensors take ${header.payloadBytes} bytes after the header, the file has ${payload.length}`);
  }
  const out: CheckpointFile = { describe: header.describe, fingerprint: header.fingerprint, backend: header.backend, writtenAt: header.writtenAt, loop: header.loop, weights: [], bestWeights: header.hasBest ? [] : null, optimizer: [] };
  for (const e of header.tensors) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (e.bytes !== n * 4 || e.offset < 0 || e.offset + e.bytes > payload.length) {
      throw new TrainingError(`${file}: tensor "${e.name}" (${e.group}, [${e.shape.join(",")}]) claims bytes ${e.offset}..${e.offset + e.bytes} of a ${payload.length}-byte payload`);
    }
    const slice = payload.subarray(e.offset, e.offset + e.bytes);
    const copy = new ArrayBuffer(e.bytes);
    new Uint8Array(copy).set(slice);
    const data = e.dtype === "int32" ? new Int32Array(copy) : new Float32Array(copy);
    const t: SavedTensor = { name: e.name, dtype: e.dtype, shape: e.shape, data };
    if (e.group === "bestWeights") out.bestWeights?.push(t);
    else out[e.group].push(t);
  }
  const sum = createHash("sha256").update(payload).digest("hex");
  if (sum !== header.sha256) throw new TrainingError(`${file}: the tensors' checksum does not match the header (the file is corrupt)`);
  return out;
}

export function readCheckpointFile(file: string): CheckpointFile {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new TrainingError(`cannot read the checkpoint ${file}: ${(e as Error).message}`);
  }
  return decodeCheckpoint(buf, file);
}

/** Writes `bytes` to `file` atomically: FILE.tmp, fsync, rename, fsync of the folder. On any error the previous file is untouched. */
export function writeFileAtomicSync(file: string, bytes: Buffer): void {
  const tmp = `${file}.tmp-${process.pid}`;
  let fd: number | null = null;
  try {
    fd = openSync(tmp, "w");
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, file);
  } catch (e) {
    if (fd !== null) try { closeSync(fd); } catch { /* already failing */ }
    rmSync(tmp, { force: true });
    throw e;
  }
  try {
    const dfd = openSync(dirname(file), "r");
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch {
    // Some file systems refuse fsync on a folder; the rename itself is atomic.
  }
}

export function writeCheckpointFile(file: string, c: CheckpointFile): void {
  writeFileAtomicSync(file, encodeCheckpoint(c));
}

// ---- checkpoint(path: …) file names -------------------------------------------------------

/** Placeholders in a Keras ModelCheckpoint pattern: `{epoch:02d}`, `{val_loss:.2f}`, `{loss}`. */
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)(?::(0?)(\d*)(?:\.(\d+))?([dfe]?))?\}/g;

/** Names in a pattern that are not `epoch` (metric keys the logs must have). */
export function patternKeys(pattern: string): string[] {
  return [...pattern.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((k) => k !== "epoch");
}

/** Fills a pattern like Python's str.format with the epoch (1-based) and the epoch's logs. */
export function formatPattern(pattern: string, epoch: number, logs: Record<string, number>): string {
  return pattern.replace(PLACEHOLDER, (_all, key: string, zero: string, width: string, prec: string | undefined, type: string) => {
    const v = key === "epoch" ? epoch : logs[key];
    if (v === undefined) throw new TrainingError(`checkpoint path "${pattern}": {${key}} is not among this epoch's logs (${["epoch", ...Object.keys(logs)].join(", ")})`);
    let s: string;
    if (type === "d") s = String(Math.round(v));
    else if (type === "e") s = v.toExponential(prec !== undefined ? Number(prec) : 6);
    else if (type === "f" || prec !== undefined) s = v.toFixed(prec !== undefined ? Number(prec) : 6);
    else s = Number.isInteger(v) ? String(v) : String(v);
    const w = width ? Number(width) : 0;
    if (s.length < w) {
      const neg = s.startsWith("-");
      const body = neg ? s.slice(1) : s;
      s = zero ? (neg ? "-" : "") + body.padStart(w - (neg ? 1 : 0), "0") : s.padStart(w, " ");
    }
    return s;
  });
}

/** Checks a checkpoint path before training: relative, inside the run folder, placeholders known or metric-like. */
export function checkPattern(pattern: string): void {
  if (pattern.startsWith("/") || pattern.split(/[\\/]/).includes("..")) {
    throw new TrainingError(`checkpoint path "${pattern}" must stay inside the run folder (no absolute path, no "..")`);
  }
  const stripped = pattern.replace(PLACEHOLDER, "");
  if (/[{}]/.test(stripped)) throw new TrainingError(`checkpoint path "${pattern}": a "{" or "}" is not part of a placeholder like {epoch:02d} or {val_loss:.2f}`);
}
