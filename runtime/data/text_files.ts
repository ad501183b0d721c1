// Raw text data sets in Keras's text_dataset_from_directory layout: one sub-folder per class,
// each `.txt` file in it one sample; classes are the sub-folder names in sorted order, files are
// read in sorted order. The texts become a one-column table (`text`) for the typed-column encoder.
import { classFolderFiles, readWhole } from "./files.ts";
import type { RawPart } from "./types.ts";

export const TEXT_FIELD = "texts";

export function readTextFolder(dir: string, classNames?: string[]): { part: RawPart; classNames: string[] } {
  const { classes, files } = classFolderFiles(dir, (n) => n.toLowerCase().endsWith(".txt"), { folder: "text", samples: ".txt files", ext: ".txt" }, classNames);
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
