// The IDX format of MNIST / Fashion-MNIST: magic (0, 0, type, ndims), ndims big-endian uint32
// sizes, then the data big-endian. Every inconsistency is a DataError naming the byte offset.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DataError } from "../errors.ts";
import { readWhole } from "./files.ts";
import { fileSize, gunzipAtMost, gunzipHead, isGzip, maxDataBytes, readHead } from "./bounded.ts";
import type { RawPart } from "./types.ts";

export interface IdxArray {
  dims: number[];
  data: Float32Array | Uint8Array | Int32Array;
  /** Byte offset of the first data element (in the decompressed stream). */
  dataOffset: number;
  /** Bytes per element. */
  itemSize: number;
}

const TYPES: Record<number, { size: number; name: string }> = {
  0x08: { size: 1, name: "ubyte" },
  0x09: { size: 1, name: "byte" },
  0x0b: { size: 2, name: "short" },
  0x0c: { size: 4, name: "int" },
  0x0d: { size: 4, name: "float" },
  0x0e: { size: 8, name: "double" },
};

export function parseIdx(buf: Uint8Array, file: string): IdxArray {
  if (buf.length < 4) throw new DataError(`${file}: truncated IDX header: ${buf.length} bytes, the magic number alone needs 4 (byte offset 0)`, file);
  if (buf[0] !== 0 || buf[1] !== 0 || !(buf[2]! in TYPES) || buf[3] === 0) {
    const hex = Array.from(buf.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new DataError(`${file}: not an IDX file: wrong magic number ${hex} at byte offset 0 (expected 00 00 <type 08..0e> <ndims>)`, file);
  }
  const type = TYPES[buf[2]!]!;
  const ndims = buf[3]!;
  const headerLen = 4 + 4 * ndims;
  if (buf.length < headerLen) throw new DataError(`${file}: truncated IDX header: ${ndims} dimensions need ${headerLen} bytes, the file has ${buf.length} (byte offset ${buf.length})`, file);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const need = headerLen + count * type.size;
  if (buf.length < need) {
    const complete = Math.floor((buf.length - headerLen) / type.size);
    throw new DataError(
      `${file}: short read: dimensions ${dims.join("×")} need ${need} bytes but the file ends at byte offset ${buf.length} ` +
        `(${complete} of ${count} values present; the file is truncated)`, file);
  }
  if (buf.length > need) throw new DataError(`${file}: ${buf.length - need} unexpected bytes after the data, starting at byte offset ${need} (dimensions ${dims.join("×")})`, file);
  let data: Float32Array | Uint8Array | Int32Array;
  if (type.name === "ubyte") data = buf.subarray(headerLen, need);
  else {
    const out = type.name === "float" || type.name === "double" ? new Float32Array(count) : new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const o = headerLen + i * type.size;
      out[i] = type.name === "byte" ? view.getInt8(o) : type.name === "short" ? view.getInt16(o, false)
        : type.name === "int" ? view.getInt32(o, false) : type.name === "float" ? view.getFloat32(o, false) : view.getFloat64(o, false);
    }
    data = out;
  }
  return { dims, data, dataOffset: headerLen, itemSize: type.size };
}

/**
 * Reads an IDX file (gzipped or not) checking its magic number and declared dimensions first:
 * a raw file's size must match them before it is read whole, and a gzip stream may inflate to
 * at most the size they declare.
 */
export function readIdx(file: string): IdxArray {
  const head = readHead(file, 4 + 4 * 255);
  if (!isGzip(head)) {
    const need = declaredIdxBytes(head, file);
    const size = fileSize(file);
    // Longer than declared: reported without reading it (shorter: parseIdx says how much is there).
    if (need !== undefined && size > need) throw new DataError(`${file}: ${size - need} unexpected bytes after the data, starting at byte offset ${need} (the header declares ${need} bytes)`, file);
    return parseIdx(readWhole(file), file);
  }
  const compressed = readWhole(file);
  const inner = gunzipHead(compressed, 4 + 4 * 255, file);
  const need = declaredIdxBytes(inner, file);
  // One byte over the declared size is enough to report trailing bytes without inflating more.
  const data = gunzipAtMost(compressed, need === undefined ? maxDataBytes() : need + 1, file, `its IDX header declares ${need} bytes`);
  return parseIdx(data, file);
}

/** Header + data bytes an IDX header declares; throws on a wrong magic number or a size past the limit. */
function declaredIdxBytes(head: Uint8Array, file: string): number | undefined {
  if (head.length < 4) return undefined; // parseIdx reports the truncation
  if (head[0] !== 0 || head[1] !== 0 || !(head[2]! in TYPES) || head[3] === 0) {
    parseIdx(head, file); // throws the wrong-magic error
  }
  const ndims = head[3]!;
  const headerLen = 4 + 4 * ndims;
  if (head.length < headerLen) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let count = 1;
  for (let i = 0; i < ndims; i++) count *= view.getUint32(4 + 4 * i, false);
  const need = headerLen + count * TYPES[head[2]!]!.size;
  if (need > maxDataBytes()) {
    const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i, false));
    throw new DataError(`${file}: its IDX header (byte offset 4) declares dimensions ${dims.join("×")}, ${need} bytes, more than the ${maxDataBytes()} a data file may hold (DLP_MAX_DATA_BYTES)`, file);
  }
  return need;
}

/** Images + labels files of one part, checked against each other. */
export function idxPart(imagesFile: string, labelsFile: string): RawPart {
  const images = readIdx(imagesFile);
  const labels = readIdx(labelsFile);
  if (images.dims.length < 2) throw new DataError(`${imagesFile}: expected an images file with at least 2 dimensions, found ${images.dims.length} (byte offset 3)`, imagesFile);
  if (labels.dims.length !== 1) throw new DataError(`${labelsFile}: expected a labels file with 1 dimension, found ${labels.dims.length} (byte offset 3)`, labelsFile);
  const n = images.dims[0]!;
  if (labels.dims[0] !== n) {
    throw new DataError(`label/image count mismatch: ${imagesFile} holds ${n} images (byte offset 4) but ${labelsFile} holds ${labels.dims[0]} labels (byte offset 4)`, labelsFile);
  }
  const x = Float32Array.from(images.data);
  const y = Int32Array.from(labels.data);
  const sampleShape = images.dims.slice(1);
  const per = x.length / Math.max(1, n);
  return {
    x: { kind: "dense", data: x, sampleShape },
    y,
    yWidth: 1,
    labelAt: (i) => `${labelsFile} at byte offset ${labels.dataOffset + i * labels.itemSize} (label ${i})`,
    sampleAt: (i) => `${imagesFile} at byte offset ${images.dataOffset + i * per * images.itemSize} (image ${i})`,
  };
}

/** Finds the train-/t10k- image and label files in a folder (names as distributed, gzipped or not). */
export function findIdxFiles(dir: string): { trainImages?: string; trainLabels?: string; testImages?: string; testLabels?: string } {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return {};
  }
  const pick = (re: RegExp): string | undefined => {
    const hits = names.filter((n) => re.test(n)).sort((a, b) => a.length - b.length);
    return hits[0] === undefined ? undefined : join(dir, hits[0]);
  };
  const r: ReturnType<typeof findIdxFiles> = {};
  const ti = pick(/^train-images[.-]idx\d-ubyte(\.gz)?$/);
  const tl = pick(/^train-labels[.-]idx1-ubyte(\.gz)?$/);
  const si = pick(/^(t10k|test)-images[.-]idx\d-ubyte(\.gz)?$/);
  const sl = pick(/^(t10k|test)-labels[.-]idx1-ubyte(\.gz)?$/);
  if (ti) r.trainImages = ti;
  if (tl) r.trainLabels = tl;
  if (si) r.testImages = si;
  if (sl) r.testLabels = sl;
  return r;
}

/** Serialises an array as IDX (used by tests and by tools that write data sets). */
export function encodeIdx(dims: number[], data: ArrayLike<number>, type: 0x08 | 0x0d = 0x08): Buffer {
  const size = type === 0x08 ? 1 : 4;
  const buf = Buffer.alloc(4 + 4 * dims.length + data.length * size);
  buf[2] = type;
  buf[3] = dims.length;
  dims.forEach((d, i) => buf.writeUInt32BE(d, 4 + 4 * i));
  const off = 4 + 4 * dims.length;
  for (let i = 0; i < data.length; i++) {
    if (type === 0x08) buf[off + i] = data[i]!;
    else buf.writeFloatBE(data[i]!, off + 4 * i);
  }
  return buf;
}
