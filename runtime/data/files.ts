// Reading possibly gzipped files, with errors that name the file.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { DataError } from "../errors.ts";
import { fsFailure } from "../library_errors.ts";
import { fileSize, gunzipAtMost, isGzip, maxDataBytes } from "./bounded.ts";

/** `$DLP_DATA`, else ~/.dlp/data. */
export function dataRoot(): string {
  return process.env["DLP_DATA"] || join(homedir(), ".dlp", "data");
}

/** A whole file, refused (before reading) when it is larger than a data file may be. */
export function readWhole(file: string): Buffer {
  const size = fileSize(file);
  if (size > maxDataBytes()) throw new DataError(`${file}: ${size} bytes, more than the ${maxDataBytes()} a data file may hold (DLP_MAX_DATA_BYTES)`, file);
  try {
    return readFileSync(file);
  } catch (e) {
    throw new DataError(fsFailure("cannot read", file, e), file);
  }
}

/** A file's bytes, inflated when gzipped: at most the size its gzip trailer declares (and the data limit). */
export function readMaybeGzip(file: string): Buffer {
  const buf = readWhole(file);
  if (!isGzip(buf)) return buf;
  if (buf.length < 18) throw new DataError(`${file}: truncated gzip stream: ${buf.length} bytes (byte offset ${buf.length})`, file);
  const claimed = buf.readUInt32LE(buf.length - 4);
  const out = gunzipAtMost(buf, Math.min(maxDataBytes(), claimed + 1), file, `its gzip trailer declares ${claimed} bytes`);
  if (out.length !== claimed) throw new DataError(`${file}: the gzip trailer declares ${claimed} bytes but the stream inflates to ${out.length}; the file is damaged`, file);
  return out;
}

export function isDir(p: string): boolean {
  try {
    return existsSync(p) && statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A folder with one sub-folder per class (Keras's image_dataset_from_directory and
 * text_dataset_from_directory layout): the classes (sorted sub-folder names, or `classNames`) and
 * each class's accepted files in sorted order. `what` names the folder, its samples and their
 * extensions in the errors ("image", "images", ".png/.jpg/.jpeg").
 */
export function classFolderFiles(dir: string, accept: (name: string) => boolean, what: { folder: string; samples: string; ext: string }, classNames?: string[]): { classes: string[]; files: { file: string; cls: number }[] } {
  if (!isDir(dir)) throw new DataError(`${what.folder} folder ${dir} does not exist`, dir);
  const list = (d: string): string[] => {
    try {
      return readdirSync(d);
    } catch (e) {
      throw new DataError(fsFailure(`cannot list the ${what.folder} folder`, d, e), d);
    }
  };
  const classes = classNames ?? list(dir).filter((n) => isDir(join(dir, n))).sort();
  if (classes.length === 0) throw new DataError(`${dir}: no class sub-folders (expected one folder of ${what.samples} per class)`, dir);
  const files: { file: string; cls: number }[] = [];
  classes.forEach((name, cls) => {
    const sub = join(dir, name);
    for (const n of isDir(sub) ? list(sub).sort() : []) if (accept(n)) files.push({ file: join(sub, n), cls });
  });
  if (files.length === 0) throw new DataError(`${dir}: no ${what.ext} files in the class folders ${classes.join(", ")}`, dir);
  return { classes, files };
}
