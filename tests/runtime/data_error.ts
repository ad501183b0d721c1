// Shared by the data-loader tests: a promise must reject with a DataError whose message matches.
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
