// Library and system error texts in our words. A message names the file (or host) and what to
// do; the library's own text, when it helps a bug report, follows as a trailing "(cause: …)".
// pg's texts are worded in tune/postgres.ts, SQLite's in tune/sqlite.ts.
import { fsReason } from "./outdir.ts";

/** ` (cause: <the library's first line>)`, or "" when there is nothing to add. */
export function causeOf(e: unknown): string {
  const msg = e instanceof Error ? e.message : e === undefined || e === null ? "" : String(e);
  const line = msg.split("\n")[0]!.trim();
  return line ? ` (cause: ${line})` : "";
}

const FS_WHAT_TO_DO: Record<string, string> = {
  EACCES: "check its permissions and owner",
  EPERM: "check its permissions and owner",
  ENOSPC: "free some space on that disk, or choose another folder",
  EDQUOT: "free some space within your quota, or choose another folder",
  EROFS: "choose a folder on a writable file system",
  EISDIR: "give a file, not a folder",
  ENOTDIR: "check the path: one of its folders is a file",
  ENOENT: "check the path",
  EEXIST: "check the path: a file is in the way",
  ENAMETOOLONG: "use a shorter path",
  EMFILE: "too many files are open: raise the limit (ulimit -n)",
  EIO: "the disk reported a read or write error: check the device",
};

/** "`<doing> <path>`: <reason in words> (<CODE>); <what to do>", e.g. "cannot read x.csv: permission denied (EACCES); check its permissions and owner". */
export function fsFailure(doing: string, path: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const advice = code ? FS_WHAT_TO_DO[code] : undefined;
  if (code && advice) return `${doing} ${path}: ${fsReason(e)}; ${advice}`;
  return `${doing} ${path}${causeOf(e).replace(/^ \(cause: (.*)\)$/, ": $1")}`;
}

/** What pngjs's or zlib's text says about a PNG, in words. */
export function pngReason(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  if (/waitng on finished stream|waiting on finished stream|unexpected end|end of file|truncated/i.test(m)) return "the file ends before the image does (truncated or cut short in a download)";
  if (/crc/i.test(m)) return "a chunk's checksum is wrong (the file is damaged)";
  if (/unrecognised content at end of stream|end of stream/i.test(m)) return "the compressed pixel data is damaged or followed by stray bytes";
  if (/invalid file signature/i.test(m)) return "it does not start with the PNG signature";
  if (/unsupported|not supported|bit depth|color type|interlace/i.test(m)) return "it uses a PNG variant that cannot be read (re-save it as an 8-bit RGB or grayscale PNG)";
  if (/invalid|incorrect|distance|header check|inflate/i.test(m)) return "the compressed pixel data is damaged";
  return "the image data is damaged";
}

/** What jpeg-js's text says about a JPEG, in words. */
export function jpegReason(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  if (/maxResolutionInMP|maxMemoryUsageInMB|memory/i.test(m)) return "it is too large to decode";
  if (/progressive|arithmetic|unsupported|not supported/i.test(m)) return "it uses a JPEG variant that cannot be read (re-save it as a baseline JPEG or a PNG)";
  if (/marker|SOI|EOI|out of range|undefined|unexpected/i.test(m)) return "its structure is damaged or the file is truncated";
  return "the image data is damaged";
}

/** What zlib's text says about a gzip stream, in words. */
export function gzipReason(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: string }).code ?? "";
  if (/unexpected end of file/i.test(m) || code === "Z_BUF_ERROR") return "the gzip stream ends early (the file is truncated)";
  if (/incorrect header check|unknown compression method/i.test(m)) return "it does not hold a gzip stream past its first bytes";
  return "the gzip stream is damaged";
}
