// Raw text data sets in Keras's text_dataset_from_directory layout: one sub-folder per class,
// each `.txt` file in it one sample; classes are the sub-folder names in sorted order, files are
// read in sorted order. The texts become a one-column table (`text`) for the typed-column encoder.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DataError } from "../errors.ts";
import { fsFailure } from "../library_errors.ts";
import { isDir, readWhole } from "./files.ts";
import type { RawPart } from "./types.ts";

export const TEXT_FIELD = "texts";

export function readTextFolder(dir: string, classNames?: string[]): { part: RawPart; classNames: string[] } {
  if (!isDir(dir)) throw new DataError(`text folder ${dir} does not exist`, dir);
  const list = (d: string): string[] => {
    try {
      return readdirSync(d);
    } catch (e) {
      throw new DataError(fsFailure("cannot list the text folder", d, e), d);
    }
  };
  const classes = classNames ?? list(dir).filter((n) => isDir(join(dir, n))).sort();
  if (classes.length === 0) throw new DataError(`${dir}: no class sub-folders (expected one folder of .txt files per class)`, dir);
  const files: { file: string; cls: number }[] = [];
  classes.forEach((name, cls) => {
    const sub = join(dir, name);
    for (const n of isDir(sub) ? list(sub).sort() : []) if (n.toLowerCase().endsWith(".txt")) files.push({ file: join(sub, n), cls });
  });
  if (files.length === 0) throw new DataError(`${dir}: no .txt files in the class folders ${classes.join(", ")}`, dir);
  const texts = files.map(({ file }) => readWhole(file).toString("utf8"));
  return {
    part: {
      x: { kind: "table", cells: { [TEXT_FIELD]: texts }, n: files.length, at: (i) => files[i]!.file },
      y: Int32Array.from(files, (f) => f.cls),
      yWidth: 1,
      labelAt: (i) => `${files[i]!.file} (class folder)`,
      sampleAt: (i) => files[i]!.file,
    },
    classNames: classes,
  };
}
