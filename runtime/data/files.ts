// Reading possibly gzipped files, with errors that name the file.
import { existsSync, readFileSync, statSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { homedir } from "node:os";
import { join } from "node:path";
import { DataError } from "../errors.ts";

/** `$DLP_DATA`, else ~/.dlp/data. */
export function dataRoot(): string {
  return process.env["DLP_DATA"] || join(homedir(), ".dlp", "data");
}

export function readMaybeGzip(file: string): Buffer {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new DataError(`cannot read ${file}: ${(e as Error).message}`, file);
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      return gunzipSync(buf);
    } catch (e) {
      throw new DataError(`${file}: corrupt gzip stream (${(e as Error).message})`, file);
    }
  }
  return buf;
}

export function isDir(p: string): boolean {
  try {
    return existsSync(p) && statSync(p).isDirectory();
  } catch {
    return false;
  }
}
