// Image folders (one sub-folder per class) and single image files: PNG through pngjs, JPEG
// through jpeg-js, converted to 1 or 3 channels and resized bilinearly. Values stay 0..255.
import { extname } from "node:path";
import { PNG } from "pngjs";
import jpeg from "jpeg-js";
import { causeOf, jpegReason, pngReason } from "../library_errors.ts";
import { MAX_IMAGE_PIXELS, pngSize, readHead } from "./bounded.ts";
import { readWhole } from "./files.ts";
import { DataError } from "../errors.ts";
import { classFolderFiles } from "./files.ts";
import type { RawPart } from "./types.ts";
import { pixelsToSample } from "../export/geometry.ts";

const IMAGE_EXT = new Set([".png", ".jpg", ".jpeg"]);

export function isImageFile(path: string): boolean {
  return IMAGE_EXT.has(extname(path).toLowerCase());
}

/** Decodes a PNG or JPEG into RGBA bytes. */
export function decodeImage(file: string): { width: number; height: number; rgba: Uint8Array } {
  // The declared size first: a small PNG may declare a huge canvas (a decompression bomb).
  const head = readHead(file, 24);
  const dims = head.length >= 8 && head.readUInt32BE(0) === 0x89504e47 ? pngSize(head) : undefined;
  if (dims && dims.width * dims.height > MAX_IMAGE_PIXELS) {
    throw new DataError(`${file}: the PNG header (byte offset 16) declares ${dims.width}×${dims.height} pixels, more than the ${MAX_IMAGE_PIXELS} an image may have`, file);
  }
  const buf = readWhole(file);
  const isPng = buf.length >= 8 && buf.readUInt32BE(0) === 0x89504e47;
  const isJpeg = buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff;
  try {
    if (isPng) {
      const png = PNG.sync.read(buf);
      return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
    }
    if (isJpeg) {
      const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6 });
      return { width: img.width, height: img.height, rgba: img.data };
    }
  } catch (e) {
    const why = isPng ? pngReason(e) : jpegReason(e);
    throw new DataError(`${file}: cannot decode this ${isPng ? "PNG" : "JPEG"}: ${why}; replace or re-save the image${causeOf(e)}`, file);
  }
  const hex = Array.from(buf.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
  throw new DataError(`${file}: not a PNG or JPEG image (first bytes ${hex || "none"} at byte offset 0)`, file);
}

/** RGBA -> `channels` planes interleaved (HWC), bilinear resize to [h, w]: the same pixels `dlpc predict` and predict.html compute. */
export function toChannels(img: { width: number; height: number; rgba: Uint8Array }, size: [number, number], channels: 1 | 3, file: string): Float32Array {
  if (img.width === 0 || img.height === 0) throw new DataError(`${file}: image has size ${img.width}×${img.height}`, file);
  return pixelsToSample(img, { height: size[0], width: size[1], channels, layout: "hwc" });
}

export function loadImageFile(file: string, size: [number, number], channels: 1 | 3): Float32Array {
  return toChannels(decodeImage(file), size, channels, file);
}

/** One folder per class (sorted names are the classes). */
export function readImageFolder(dir: string, size: [number, number], channels: 1 | 3, classNames?: string[]): { part: RawPart; classNames: string[] } {
  const { classes, files } = classFolderFiles(dir, isImageFile, { folder: "image", samples: "images", ext: ".png/.jpg/.jpeg" }, classNames);
  const per = size[0] * size[1] * channels;
  const x = new Float32Array(files.length * per);
  files.forEach(({ file }, i) => x.set(loadImageFile(file, size, channels), i * per));
  return {
    part: {
      x: { kind: "dense", data: x, sampleShape: [size[0], size[1], channels] },
      y: Int32Array.from(files, (f) => f.cls),
      yWidth: 1,
      labelAt: (i) => `${files[i]!.file} (class folder)`,
      sampleAt: (i) => files[i]!.file,
    },
    classNames: classes,
  };
}
