// `dlpc import MODEL.json [-o FILE.dlp]`: writes the imported pipeline to FILE.dlp (atomically),
// or to stdout without -o. Exit codes: 0 imported, 1 the model cannot be imported (every
// problem listed, by layer index and name), 2 usage errors.
import { basename } from "node:path";
import { UsageError, flag, readSource, writeFileAtomic, type Parsed } from "../cli_util.ts";
import { ImportError, importModel } from "./importer.ts";

export async function importCommand(p: Parsed): Promise<number> {
  for (const k of p.flags.keys()) if (k !== "-o") throw new UsageError(`import does not take ${k}`);
  if (p.positional.length !== 1) throw new UsageError("import takes one MODEL.json");
  const file = p.positional[0]!;
  const out = flag(p, "-o");
  const text = readSource(file);
  let result;
  try {
    result = importModel(text, file, out ? { name: basename(out).replace(/\.dlp$/, "") } : {});
  } catch (e) {
    if (!(e instanceof ImportError)) throw e;
    for (const m of e.problems) process.stderr.write(`error: ${m}\n`);
    process.stderr.write(`error: ${file} was not imported (${e.problems.length} problem${e.problems.length === 1 ? "" : "s"})\n`);
    return 1;
  }
  for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
  if (!out) {
    process.stdout.write(result.text);
    return 0;
  }
  writeFileAtomic(out, result.text);
  process.stderr.write(`${file} -> ${out} (${result.layers} layers)\n`);
  return 0;
}
