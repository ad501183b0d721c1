// Bounded reads of data files: the magic number and the declared sizes are checked before a
// file is read whole or inflated, and a gzip stream may not inflate past what its header (or
// the format's header inside it) declares. A 592 KB .gz that would inflate to gigabytes, or a
// 1 GB file with a wrong magic number, fails in milliseconds and bounded memory.
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { constants, gunzipSync } from "node:zlib";
import { DataError } from "../errors.ts";
import { causeOf, fsFailure, gzipReason } from "../library_errors.ts";

/** The most bytes one data file may hold or inflate to (DLP_MAX_DATA_BYTES overrides; default 4 GiB). */
export function maxDataBytes(): number {
  const v = Number(process.env["DLP_MAX_DATA_BYTES"]);
  return Number.isFinite(v) && v > 0 ? v : 4 * 1024 ** 3;
}

/** Pixels one image may decode to (50 megapixels; its RGBA buffer is then 200 MB). */
export const MAX_IMAGE_PIXELS = 50_000_000;

/** The first `n` bytes of a file (fewer when it is shorter). */
export function readHead(file: string, n: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    throw new DataError(fsFailure("cannot read", file, e), file);
  }
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } catch (e) {
    throw new DataError(fsFailure("cannot read", file, e), file);
  } finally {
    closeSync(fd);
  }
}

export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch (e) {
    throw new DataError(fsFailure("cannot read", file, e), file);
  }
}

export const isGzip = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** The first `n` bytes of a gzip stream's content, inflating only a small prefix of it (a
 *  deflate byte inflates to at most ~1 KB, so 16 KB of input stays under 17 MB of output). */
export function gunzipHead(compressed: Buffer, n: number, file: string): Buffer {
  let out = Buffer.alloc(0);
  for (let take = 64; ; take *= 2) {
    const part = compressed.subarray(0, Math.min(compressed.length, take));
    try {
      out = gunzipSync(part, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: 32 * 1024 * 1024 });
    } catch (e) {
      throw new DataError(`${file}: ${gzipReason(e)} (at its start); the file is damaged: fetch or copy it again${causeOf(e)}`, file);
    }
    if (out.length >= n || part.length === compressed.length || take >= 16 * 1024) return out.subarray(0, n);
  }
}

/** Inflates a whole gzip stream, refusing to produce more than `limit` bytes. */
export function gunzipAtMost(compressed: Buffer, limit: number, file: string, what: string): Buffer {
  try {
    return gunzipSync(compressed, { maxOutputLength: Math.max(1, limit) });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ERR_BUFFER_TOO_LARGE" || /larger than/i.test((e as Error).message)) {
      throw new DataError(`${file}: the gzip stream inflates to more than ${limit} bytes, which ${what}; the file is damaged or not what it claims (a decompression bomb is refused)`, file);
    }
    throw new DataError(`${file}: ${gzipReason(e)}; the file is damaged: fetch or copy it again${causeOf(e)}`, file);
  }
}

/** Width and height from a PNG's IHDR (bytes 16..23), or undefined when the header is not there. */
export function pngSize(head: Uint8Array): { width: number; height: number } | undefined {
  if (head.length < 24) return undefined;
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (v.getUint32(12) !== 0x49484452) return undefined; // "IHDR"
  return { width: v.getUint32(16), height: v.getUint32(20) };
}
