// Deterministic generators for the typed-column tests and bench/tabular.ts: an adult-income-like
// CSV (6 numeric and 8 categorical columns like the UCI adult table, plus a yes/no column and a
// date, a few missing cells) whose label follows a fixed logistic score of the columns, and a
// folder of short positive / negative reviews in Keras's text_dataset_from_directory layout.
// Same seed, same bytes: the tests' accuracy bars and the benchmark's data never move.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mulberry32 } from "../runtime/rng.ts";

export const ADULT_NUMERIC = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"];
export const ADULT_CATEGORICAL = ["workclass", "education", "marital_status", "occupation", "relationship", "race", "sex", "native_country"];

const LEVELS: Record<string, string[]> = {
  workclass: ["Private", "Self-emp-not-inc", "Self-emp-inc", "Federal-gov", "Local-gov", "State-gov", "Without-pay"],
  education: ["Bachelors", "HS-grad", "11th", "Masters", "9th", "Some-college", "Assoc-acdm", "Assoc-voc", "Doctorate", "Prof-school"],
  marital_status: ["Married-civ-spouse", "Divorced", "Never-married", "Separated", "Widowed", "Married-spouse-absent"],
  occupation: ["Tech-support", "Craft-repair", "Other-service", "Sales", "Exec-managerial", "Prof-specialty", "Handlers-cleaners", "Machine-op-inspct", "Adm-clerical", "Farming-fishing", "Transport-moving", "Protective-serv"],
  relationship: ["Wife", "Own-child", "Husband", "Not-in-family", "Other-relative", "Unmarried"],
  race: ["White", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other", "Black"],
  sex: ["Female", "Male"],
  native_country: ["United-States", "Cambodia", "England", "Puerto-Rico", "Canada", "Germany", "India", "Japan", "Mexico", "Philippines"],
};

/** The remark column's words (tabular_two_heads's text input): travel and cars raise the spend. */
const HOBBIES = ["travel", "cars", "books", "music", "gardening", "cooking", "chess", "hiking"];
const OPENINGS = ["Enjoys", "likes", "Spends weekends on", "into", "Keen on"];

/** Per-level weights of the score: fixed, so the relation the model must learn is fixed. */
function weights(seed: number): Record<string, number[]> {
  const r = mulberry32(seed);
  return Object.fromEntries(Object.entries(LEVELS).map(([k, v]) => [k, v.map(() => (r() - 0.5) * (k === "relationship" || k === "occupation" || k === "education" ? 3 : 1.2))]));
}

/**
 * `rows` rows with header age,fnlwgt,…,native_country,owns_house,interview,income. About 1 % of
 * the numeric cells of `hours_per_week` are empty (the pipelines fill them with the median).
 * `spend: true` adds two last columns: `remark`, a short free text naming one or two hobbies, and
 * `spend`, a numeric target (a yearly spend in k$, mean ≈ 3.3, sd ≈ 1) that follows the age,
 * years of education, occupation, ownership, the interview's weekday and the hobbies (travel
 * +0.8, cars +0.4), plus noise of sd 0.25; both are drawn from their own generator, so the other
 * columns keep their bytes.
 */
export function adultLikeCsv(rows: number, seed = 7, options: { spend?: boolean } = {}): string {
  const r = mulberry32(seed);
  const noise = mulberry32(seed + 1000);
  const gauss = () => Math.sqrt(-2 * Math.log(Math.max(1e-12, noise()))) * Math.cos(2 * Math.PI * noise());
  const w = weights(1234);
  const pick = (levels: string[]) => Math.min(levels.length - 1, Math.floor(Math.pow(r(), 1.6) * levels.length));
  const normal = () => Math.sqrt(-2 * Math.log(Math.max(1e-12, r()))) * Math.cos(2 * Math.PI * r());
  const header = [...ADULT_NUMERIC, ...ADULT_CATEGORICAL, "owns_house", "interview", "income", ...(options.spend ? ["remark", "spend"] : [])];
  const out = [header.join(",")];
  for (let i = 0; i < rows; i++) {
    const age = Math.round(Math.min(90, Math.max(17, 38 + 13 * normal())));
    const fnlwgt = Math.round(190000 + 100000 * Math.abs(normal()));
    const eduNum = Math.round(Math.min(16, Math.max(1, 10 + 2.5 * normal())));
    const gain = r() < 0.08 ? Math.round(2000 + 15000 * r()) : 0;
    const loss = r() < 0.05 ? Math.round(1000 + 1500 * r()) : 0;
    const hours = Math.round(Math.min(99, Math.max(1, 40 + 12 * normal())));
    const cats = ADULT_CATEGORICAL.map((k) => pick(LEVELS[k]!));
    const owns = r() < 0.45;
    const year = 2015 + Math.floor(r() * 8);
    const date = `${year}-${String(1 + Math.floor(r() * 12)).padStart(2, "0")}-${String(1 + Math.floor(r() * 28)).padStart(2, "0")}`;
    let score = -1.2 + 0.05 * (age - 38) + 0.35 * (eduNum - 10) + (gain > 0 ? 1.5 : 0) + 0.04 * (hours - 40) + (owns ? 0.8 : -0.4);
    cats.forEach((c, k) => { score += w[ADULT_CATEGORICAL[k]!]![c]!; });
    const p = 1 / (1 + Math.exp(-2 * score));
    const income = r() < p ? ">50K" : "<=50K";
    const hoursCell = r() < 0.01 ? "" : String(hours);
    const cells: (string | number)[] = [age, fnlwgt, eduNum, gain, loss, hoursCell, ...cats.map((c, k) => LEVELS[ADULT_CATEGORICAL[k]!]![c]!), owns ? "yes" : "no", date, income];
    if (options.spend) {
      const weekday = (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;
      const occupation = w.occupation![cats[ADULT_CATEGORICAL.indexOf("occupation")]!]!;
      const hobbies = [HOBBIES[Math.floor(noise() * HOBBIES.length)]!, ...(noise() < 0.5 ? [HOBBIES[Math.floor(noise() * HOBBIES.length)]!] : [])];
      const remark = `${OPENINGS[Math.floor(noise() * OPENINGS.length)]} ${hobbies.join(" and ")}`;
      const spend = 3 + 0.03 * (age - 38) + 0.2 * (eduNum - 10) + 0.5 * occupation + (owns ? 0.6 : -0.3) + (weekday >= 5 ? 0.5 : 0) + (hobbies.includes("travel") ? 0.8 : 0) + (hobbies.includes("cars") ? 0.4 : 0) + 0.25 * gauss();
      cells.push(remark, spend.toFixed(3));
    }
    out.push(cells.join(","));
  }
  return out.join("\n") + "\n";
}

const POSITIVE = ["great", "wonderful", "loved", "excellent", "moving", "brilliant", "superb", "delightful", "charming", "funny"];
const NEGATIVE = ["boring", "awful", "hated", "terrible", "dull", "poor", "waste", "clumsy", "bland", "tedious"];
const NEUTRAL = ["the", "film", "movie", "plot", "actor", "scene", "story", "was", "and", "a", "it", "this", "ending", "music", "director", "cast", "of", "in", "with", "really", "quite", "very", "script", "camera", "time"];

/** One review: neutral words with a few sentiment words of its class (and one of the other class). */
export function review(positive: boolean, r: () => number): string {
  const own = positive ? POSITIVE : NEGATIVE;
  const other = positive ? NEGATIVE : POSITIVE;
  const words: string[] = [];
  const n = 8 + Math.floor(r() * 14);
  for (let i = 0; i < n; i++) words.push(NEUTRAL[Math.floor(r() * NEUTRAL.length)]!);
  for (let k = 0; k < 3; k++) words.splice(Math.floor(r() * words.length), 0, own[Math.floor(r() * own.length)]!);
  if (r() < 0.3) words.splice(Math.floor(r() * words.length), 0, other[Math.floor(r() * other.length)]!);
  const s = words.join(" ");
  return `${s[0]!.toUpperCase()}${s.slice(1)}${r() < 0.5 ? "!" : "."}`;
}

/** `dir/neg/*.txt` and `dir/pos/*.txt`, `perClass` reviews each (labels: neg 0, pos 1). */
export function writeReviewFolders(dir: string, perClass: number, seed = 5): void {
  const r = mulberry32(seed);
  for (const [cls, positive] of [["neg", false], ["pos", true]] as const) {
    mkdirSync(join(dir, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) writeFileSync(join(dir, cls, `${String(i).padStart(4, "0")}.txt`), review(positive, r));
  }
}

/** The same reviews as a CSV with a free-text column (`review`) and a `sentiment` label. */
export function reviewsCsv(perClass: number, seed = 5): string {
  const r = mulberry32(seed);
  const rows = ["review,sentiment"];
  for (let i = 0; i < perClass * 2; i++) {
    const positive = i % 2 === 1;
    rows.push(`"${review(positive, r).replace(/"/g, '""')}",${positive ? "pos" : "neg"}`);
  }
  return rows.join("\n") + "\n";
}
