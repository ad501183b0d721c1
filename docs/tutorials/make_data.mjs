#!/usr/bin/env node
// Writes the small data sets the tutorials in docs/tutorials/ train on, into DIR (default
// ./data), with nothing but Node itself (no package, no download), always the same bytes:
//
//   DIR/shapes-idx/        IDX files (train-/t10k-images-idx3-ubyte, …-labels-idx1-ubyte):
//                          28×28 grey circles, squares and crosses, 900 train, 300 test
//   DIR/shapes/            the same kind of pictures as PNG files, one sub-folder per class,
//                          in train/ and test/ (images.md)
//   DIR/houses.csv         400 houses: area, rooms, age, distance → price in k€ (csv-regression.md)
//   DIR/flowers.csv        450 flowers: four measurements → species name (csv-classification.md)
//   DIR/imdb/              train.txt and test.txt in dlp's IMDB format: `label<TAB>token ids`,
//                          1 200 + 400 "reviews" over a 2 000-word vocabulary (text.md)
//   DIR/sensor.csv         2 000 windows of a noisy daily-cycle temperature sensor: 24 hourly
//                          readings → the next hour's reading (time-series.md)
//
// Usage: node make_data.mjs [DIR]      (from an installed dlp: node "$(npm root -g)/dlp/docs/tutorials/make_data.mjs")
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";

const out = process.argv[2] ?? "data";

// A seeded generator (mulberry32), so every run writes the same files.
let state = 20240601;
const rand = () => {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));

// ---- Pictures: a circle, a square or a cross at a random place and size, with noise.
const SHAPES = ["circle", "square", "cross"];
function picture(kind, size = 28) {
  const px = new Uint8Array(size * size);
  const r = 5 + rand() * 6;
  const cx = r + 2 + rand() * (size - 2 * r - 4);
  const cy = r + 2 + rand() * (size - 2 * r - 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x - cx;
      const dy = y - cy;
      const on =
        kind === "circle" ? Math.abs(Math.hypot(dx, dy) - r) < 1.3 :
        kind === "square" ? Math.max(Math.abs(dx), Math.abs(dy)) < r && Math.max(Math.abs(dx), Math.abs(dy)) > r - 2.3 :
        (Math.abs(dx) < 1.3 && Math.abs(dy) < r) || (Math.abs(dy) < 1.3 && Math.abs(dx) < r);
      px[y * size + x] = Math.max(0, Math.min(255, Math.round((on ? 220 : 15) + 25 * gauss())));
    }
  }
  return px;
}

function idxFile(dims, bytes) {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt8(0x08, 2); // unsigned bytes
  head.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(bytes)]);
}

function writeIdx(dir, prefix, n) {
  const images = new Uint8Array(n * 784);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    images.set(picture(SHAPES[i % 3]), i * 784);
  }
  writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), idxFile([n, 28, 28], images));
  writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), idxFile([n], labels));
}

// A grey 8-bit PNG: signature, IHDR, one IDAT (each row led by filter byte 0), IEND.
const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(px, size) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(0, 9); // greyscale
  const raw = Buffer.alloc(size * (size + 1));
  for (let y = 0; y < size; y++) Buffer.from(px.subarray(y * size, (y + 1) * size)).copy(raw, y * (size + 1) + 1);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

function writeFolder(dir, perClass) {
  for (const kind of SHAPES) {
    mkdirSync(join(dir, kind), { recursive: true });
    for (let i = 0; i < perClass; i++) writeFileSync(join(dir, kind, `${kind}_${String(i).padStart(3, "0")}.png`), png(picture(kind, 32), 32));
  }
}

// ---- Tables.
function houses(n) {
  const rows = ["area,rooms,age,distance,price"];
  for (let i = 0; i < n; i++) {
    const area = 30 + rand() * 170;
    const rooms = Math.max(1, Math.min(7, Math.round(area / 30 + gauss())));
    const age = int(0, 90);
    const distance = 0.5 + rand() * 29.5;
    const price = 40 + 2.1 * area + 8 * rooms - 0.9 * age - 3.2 * distance + 12 * gauss();
    rows.push(`${area.toFixed(1)},${rooms},${age},${distance.toFixed(1)},${price.toFixed(1)}`);
  }
  return rows.join("\n") + "\n";
}

function flowers(n) {
  const SPECIES = [["setosa", 5.0, 3.4, 1.5, 0.25], ["versicolor", 5.9, 2.8, 4.3, 1.3], ["virginica", 6.6, 3.0, 5.5, 2.0]];
  const rows = ["sepal_length,sepal_width,petal_length,petal_width,species"];
  for (let i = 0; i < n; i++) {
    const [name, ...means] = SPECIES[i % 3];
    rows.push([...means.map((m, j) => (m + [0.5, 0.35, 0.6, 0.3][j] * gauss()).toFixed(2)), name].join(","));
  }
  return rows.join("\n") + "\n";
}

// "Reviews": token ids 1..1999 (0 is padding). Every review mixes common words with words
// that lean positive (ids 100-299) or negative (ids 300-499) by its label.
function reviews(n) {
  const lines = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const length = int(20, 150);
    const ids = Array.from({ length }, () => {
      const u = rand();
      if (u < 0.12) return label ? int(100, 299) : int(300, 499);
      if (u < 0.16) return label ? int(300, 499) : int(100, 299);
      return int(500, 1999) - (rand() < 0.3 ? int(0, 480) : 0);
    });
    lines.push(`${label}\t${ids.join(" ")}`);
  }
  return lines.join("\n") + "\n";
}

// A temperature sensor read every hour, as the deviation from its site's long-run mean (°C): a
// daily cycle, a slow drift and noise. Each row is 24 hours and the reading one hour later.
function sensor(n, window = 24) {
  const series = Array.from({ length: n + window }, (_, t) => 6 * Math.sin((2 * Math.PI * t) / 24) + 2 * Math.sin((2 * Math.PI * t) / 170) + 0.6 * gauss());
  const rows = [[...Array.from({ length: window }, (_, i) => `t${i}`), "next"].join(",")];
  for (let i = 0; i < n; i++) rows.push(series.slice(i, i + window + 1).map((v) => v.toFixed(2)).join(","));
  return rows.join("\n") + "\n";
}

mkdirSync(join(out, "shapes-idx"), { recursive: true });
writeIdx(join(out, "shapes-idx"), "train", 900);
writeIdx(join(out, "shapes-idx"), "t10k", 300);
writeFolder(join(out, "shapes", "train"), 200);
writeFolder(join(out, "shapes", "test"), 50);
writeFileSync(join(out, "houses.csv"), houses(400));
writeFileSync(join(out, "flowers.csv"), flowers(450));
mkdirSync(join(out, "imdb"), { recursive: true });
writeFileSync(join(out, "imdb", "train.txt"), reviews(1200));
writeFileSync(join(out, "imdb", "test.txt"), reviews(400));
writeFileSync(join(out, "sensor.csv"), sensor(2000));
console.log(`wrote ${out}/: shapes-idx/, shapes/, houses.csv, flowers.csv, imdb/, sensor.csv`);
