// What a CSV column holds, told from its cells (runtime/data/infer.ts): the kinds `dlpc init`
// writes a stage for and the editor's column hover names.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { inferColumn } from "../../runtime/data/infer.ts";

test("numbers, yes/no, dates, few short strings, long strings, near-unique short strings", () => {
  assert.equal(inferColumn(["1", "2.5", "", "NA", "-3"]), { kind: "numeric", missing: 2 });
  assert.equal(inferColumn(["yes", "No", "TRUE", "?"]), { kind: "binary", missing: 1 });
  assert.equal(inferColumn(["2020-01-31", "1999-12-01 10:00:00"]), { kind: "date", missing: 0 });
  // 2020-02-30 is no date: the column is a category of short strings.
  assert.equal(inferColumn(["2020-02-30", "2020-01-01"]), { kind: "category", missing: 0, distinct: 2 });
  assert.equal(inferColumn(["Lisbon", "Porto", "Lisbon", ""]), { kind: "category", missing: 1, distinct: 2 });
  // Three words or more on average: text; its 9 words plus the padding and OOV ids, the 90th percentile length.
  const text = inferColumn(["A great film!", "an awful, boring plot", "the plot was great"]);
  assert.equal(text, { kind: "text", missing: 0, numWords: 2 + 9, maxlen: 4 });
  const ids = Array.from({ length: 80 }, (_, i) => `u${i}`);
  assert.is(inferColumn(ids).kind, "skip");
  assert.is(inferColumn(["", "NA"]).kind, "skip");
});

test.run();
