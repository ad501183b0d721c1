// IMDB reviews as token ids. On-disk format (in $DLP_DATA/imdb/): `train.txt` and `test.txt`,
// one review per line: the label (0 or 1), a tab, then the token ids separated by spaces, e.g.
//   1\t1 14 22 16 43 530 973
// Ids follow the Keras convention (0 padding, 1 start, 2 out-of-vocabulary, 3.. words by
// frequency rank), so a Keras imdb.npz converts line by line. With `numWords`, ids >= numWords
// become 2.
import { readFileSync } from "node:fs";
import { DataError } from "../errors.ts";
import { fsFailure } from "../library_errors.ts";
import type { RawPart } from "./types.ts";

export const IMDB_OOV = 2;

export function readImdbFile(file: string, numWords?: number): RawPart {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new DataError(fsFailure("cannot read", file, e), file);
  }
  const seqs: Int32Array[] = [];
  const labels: number[] = [];
  const lineOf: number[] = [];
  text.split(/\r?\n/).forEach((line, li) => {
    if (line.trim() === "") return;
    const tab = line.indexOf("\t");
    if (tab < 0) throw new DataError(`${file}:${li + 1}: expected "<label><TAB><ids separated by spaces>"`, file);
    const label = Number(line.slice(0, tab).trim());
    if (label !== 0 && label !== 1) throw new DataError(`${file}:${li + 1}: label "${line.slice(0, tab)}" is not 0 or 1`, file);
    const ids = line.slice(tab + 1).trim().split(/\s+/).filter((s) => s !== "").map((s) => {
      const v = Number(s);
      if (!Number.isInteger(v) || v < 0) throw new DataError(`${file}:${li + 1}: token id "${s}" is not a non-negative integer`, file);
      return numWords !== undefined && v >= numWords ? IMDB_OOV : v;
    });
    seqs.push(Int32Array.from(ids));
    labels.push(label);
    lineOf.push(li + 1);
  });
  if (seqs.length === 0) throw new DataError(`${file}: no reviews`, file);
  return {
    x: { kind: "sequences", seqs },
    y: Int32Array.from(labels),
    yWidth: 1,
    labelAt: (i) => `${file}:${lineOf[i]}`,
    sampleAt: (i) => `${file}:${lineOf[i]}`,
  };
}
