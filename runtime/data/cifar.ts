// CIFAR-10 binary batches: records of 1 label byte + 3072 pixel bytes (3 planes of 32×32: all
// red, then green, then blue, rows top to bottom). Samples are returned channels-last,
// [32, 32, 3], as the compiler's source catalog declares them and tfjs's NHWC layers expect.
import { DataError } from "../errors.ts";
import { readMaybeGzip } from "./files.ts";
import type { RawPart } from "./types.ts";

const RECORD = 1 + 3072;

export function readCifarBatches(files: string[]): RawPart {
  const bufs = files.map((f) => {
    const b = readMaybeGzip(f);
    if (b.length === 0) throw new DataError(`${f}: empty CIFAR-10 batch (0 bytes; each record is ${RECORD} bytes)`, f);
    if (b.length % RECORD !== 0) {
      const start = b.length - (b.length % RECORD);
      throw new DataError(`${f}: truncated CIFAR-10 batch: the record at byte offset ${start} has ${b.length - start} of its ${RECORD} bytes (${b.length} bytes is not a whole number of records)`, f);
    }
    return b;
  });
  const n = bufs.reduce((a, b) => a + b.length / RECORD, 0);
  const x = new Float32Array(n * 3072);
  const y = new Int32Array(n);
  const where: { file: string; offset: number }[] = [];
  let i = 0;
  bufs.forEach((b, fi) => {
    for (let o = 0; o < b.length; o += RECORD, i++) {
      y[i] = b[o]!;
      const base = i * 3072;
      for (let c = 0; c < 3; c++) {
        const plane = o + 1 + c * 1024;
        for (let k = 0; k < 1024; k++) x[base + k * 3 + c] = b[plane + k]!;
      }
      where.push({ file: files[fi]!, offset: o });
    }
  });
  return {
    x: { kind: "dense", data: x, sampleShape: [32, 32, 3] },
    y,
    yWidth: 1,
    labelAt: (j) => `${where[j]!.file} at byte offset ${where[j]!.offset}`,
    sampleAt: (j) => `${where[j]!.file} at byte offset ${where[j]!.offset + 1}`,
  };
}
