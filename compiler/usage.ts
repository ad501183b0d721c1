// What the CLI's argument handling needs and nothing more (no parser, no compiler), so that
// `dlpc --help` loads fast; compiler/cli_util.ts re-exports it for the command modules.

export class UsageError extends Error {}

export interface Parsed {
  positional: string[];
  flags: Map<string, string[]>;
}

/** The backends `--backend` accepts. */
export const BACKENDS = ["auto", "tensorflow-gpu", "tensorflow", "native", "wasm", "cpu"] as const;
