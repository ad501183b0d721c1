// `tsc -p tsconfig.json --noEmit` is part of `npm test`: the sources run through tsx, which strips
// types without checking them, so a type error would otherwise pass every other test.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

test("the whole tree type-checks (tsc -p tsconfig.json --noEmit)", () => {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.json", "--noEmit", "--pretty", "false"], { encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
  if (r.error) assert.unreachable(`could not run tsc: ${r.error.message}`);
  const out = `${r.stdout}${r.stderr}`.trim();
  const errors = out.split("\n").filter((l) => /error TS\d+/.test(l));
  assert.ok(
    r.status === 0,
    `tsc found ${errors.length} type error${errors.length === 1 ? "" : "s"} (run \`npx tsc -p tsconfig.json --noEmit\`):\n  ${(errors.length ? errors : [out]).slice(0, 40).join("\n  ")}`,
  );
});

test.run();
