// A study row is data, never code: the pipeline a study stores (its .dlp file name and text) is
// read back through this one function before a worker compiles it. The text is .dlp source, which
// the compiler checks like any file; the name only labels messages and the emitted header, so it
// is reduced to printable characters here (no line terminator, control or bidi character), and
// the emitter escapes it once more as a string literal.

export interface StoredPipeline {
  /** Printable label of the file the study was started from (messages only, never a path read). */
  file: string;
  text: string;
}

/** The printable form of a stored name: every control, format or line/paragraph separator becomes `?`. */
export function printableName(name: string, max = 200): string {
  const clean = name.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu, "?");
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** Parses the stored `{file, text}`; anything else is reported as a damaged study row. */
export function readStoredPipeline(raw: string, study: string): StoredPipeline {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new Error(`study "${printableName(study)}": its stored pipeline is not valid JSON (the study row is damaged); pass the .dlp file: dlpc tune FILE --worker …`);
  }
  const o = v as { file?: unknown; text?: unknown };
  if (typeof v !== "object" || v === null || typeof o.file !== "string" || typeof o.text !== "string") {
    throw new Error(`study "${printableName(study)}": its stored pipeline is not {file, text} strings (the study row is damaged); pass the .dlp file: dlpc tune FILE --worker …`);
  }
  const base = o.file.split(/[\\/]/).pop() || "pipeline.dlp";
  return { file: `study:${printableName(base)}`, text: o.text };
}
