// CIFAR-10 binary batches: records of 1 label byte + 3072 pixel bytes (3 planes of 32×32, so
// samples are [3, 32, 32]; a channels_last transform makes them [32, 32, 3]).
import { DataError } from "../errors.ts";
import { readMaybeGzip } from "./files.ts";
import type { RawPart } from "./types.ts";

const RECORD = 1 + 3072;

export function readCifarBatches(files: string[]): RawPart {
  const bufs = files.map((f) => {
    const b = readMaybeGzip(f);
    if (b.length % RECORD !== 0) {
      throw new DataError(`${f}: truncated CIFAR-10 batch: ${b.length} bytes is not a whole number of ${RECORD}-byte records (last record starts at byte offset ${b.length - (b.length % RECORD)})`, f);
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
      for (let k = 0; k < 3072; k++) x[i * 3072 + k] = b[o + 1 + k]!;
      where.push({ file: files[fi]!, offset: o });
    }
  });
  return {
    x: { kind: "dense", data: x, sampleShape: [3, 32, 32] },
    y,
    yWidth: 1,
    labelAt: (j) => `${where[j]!.file} at byte offset ${where[j]!.offset}`,
    sampleAt: (j) => `${where[j]!.file} at byte offset ${where[j]!.offset + 1}`,
  };
}
