// Errors the runtime raises on bad input or a failed run. Each carries a message fit to be
// printed as `error: <message>` without a stack; `formatError` does that for any thrown value.

/** Base class: a user-facing failure whose message is complete on its own. */
export class DlpRuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad or missing data: names the file and the byte offset or line where it went wrong. */
export class DataError extends DlpRuntimeError {
  readonly file: string | undefined;
  constructor(message: string, file?: string) {
    super(message);
    this.file = file;
  }
}

/** A backend was forced but cannot load. */
export class BackendError extends DlpRuntimeError {}

/** Training cannot go on (non-finite loss, incompatible weights to resume from, ...). */
export class TrainingError extends DlpRuntimeError {}

/** One line for the CLI: the message of a runtime error, or the message of anything else. */
export function formatError(e: unknown): string {
  if (e instanceof DlpRuntimeError) return e.message;
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}
