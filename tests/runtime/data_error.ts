// Shared by the data-loader tests: a promise must reject with a DataError whose message matches;
// withData runs a loader with $DLP_DATA pointing at a folder the test wrote.
import * as assert from "uvu/assert";
import { DataError } from "dlp/runtime";

export async function dataError(p: Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, DataError, `expected a DataError, got ${String(e)}`);
    for (const re of patterns) assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable("expected a DataError");
}

/** Runs `f` with $DLP_DATA set to `root` (where named sources such as mnist look first), then restores it. */
export async function withData<T>(root: string, f: () => Promise<T>): Promise<T> {
  const saved = process.env["DLP_DATA"];
  process.env["DLP_DATA"] = root;
  try {
    return await f();
  } finally {
    if (saved === undefined) delete process.env["DLP_DATA"]; else process.env["DLP_DATA"] = saved;
  }
}
