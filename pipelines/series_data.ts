// Writes the two CSV time series that pipelines/series_seq2seq.dlp and series_tagger.dlp train
// on, into DIR (default ./data), always the same bytes (seeded with the runtime's mulberry32):
//
//   DIR/load.csv   2 400 hourly rows of a building's power draw: hour_sin, hour_cos, temp, load.
//                  load = a daily cycle + 0.6 · temp (a slow random walk) + noise (σ 0.1), so the
//                  next hour's load follows from the window's hours, temperature and last loads.
//   DIR/tags.csv   3 200 rows of a sensor that switches between three regimes (a sticky Markov
//                  chain, 0 = idle, 1 = running, 2 = overload): x1, x2, regime. x1 is centred on
//                  -1, 0 or +1 with noise σ 0.8, so one reading alone tells the regime in about
//                  60 % of the steps; the steps around it raise that above 85 %.
//
// Usage: npx tsx pipelines/series_data.ts [DIR]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { mulberry32 } from "../runtime/rng.ts";

export function writeSeriesData(out: string): void {
  const rand = mulberry32(20261201);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const f = (v: number) => v.toFixed(4);
  mkdirSync(out, { recursive: true });

  const load = ["hour_sin,hour_cos,temp,load"];
  let temp = 0;
  for (let t = 0; t < 2400; t++) {
    const a = (2 * Math.PI * (t % 24)) / 24;
    temp = 0.97 * temp + 0.25 * gauss();
    const y = Math.sin(a - 1) + 0.4 * Math.sin(2 * a) + 0.6 * temp + 0.1 * gauss();
    load.push([f(Math.sin(a)), f(Math.cos(a)), f(temp), f(y)].join(","));
  }
  writeFileSync(join(out, "load.csv"), load.join("\n") + "\n");

  const tags = ["x1,x2,regime"];
  let regime = 0;
  for (let t = 0; t < 3200; t++) {
    if (rand() < 0.06) regime = (regime + 1 + Math.floor(rand() * 2)) % 3;
    tags.push([f(regime - 1 + 0.8 * gauss()), f(0.5 * gauss()), String(regime)].join(","));
  }
  writeFileSync(join(out, "tags.csv"), tags.join("\n") + "\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const out = process.argv[2] ?? "data";
  writeSeriesData(out);
  console.log(`wrote ${join(out, "load.csv")} and ${join(out, "tags.csv")}`);
}
