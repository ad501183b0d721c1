#!/usr/bin/env node
// Writes the two CSV time series that pipelines/series_seq2seq.dlp and series_tagger.dlp train
// on, into DIR (default ./data), with nothing but Node itself, always the same bytes:
//
//   DIR/load.csv   2 400 hourly rows of a building's power draw: hour_sin, hour_cos, temp, load.
//                  load = a daily cycle + 0.6 · temp (a slow random walk) + noise (σ 0.1), so the
//                  next hour's load follows from the window's hours, temperature and last loads.
//   DIR/tags.csv   3 200 rows of a sensor that switches between three regimes (a sticky Markov
//                  chain, 0 = idle, 1 = running, 2 = overload): x1, x2, regime. x1 is centred on
//                  -1, 0 or +1 with noise σ 0.8, so one reading alone tells the regime in about
//                  60 % of the steps; the steps around it raise that above 85 %.
//
// Usage: node pipelines/series_data.mjs [DIR]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const out = process.argv[2] ?? "data";

// mulberry32, so every run writes the same files.
let state = 20261201;
const rand = () => {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const f = (v) => v.toFixed(4);

mkdirSync(out, { recursive: true });

{
  const rows = ["hour_sin,hour_cos,temp,load"];
  let temp = 0;
  for (let t = 0; t < 2400; t++) {
    const a = (2 * Math.PI * (t % 24)) / 24;
    temp = 0.97 * temp + 0.25 * gauss();
    const load = Math.sin(a - 1) + 0.4 * Math.sin(2 * a) + 0.6 * temp + 0.1 * gauss();
    rows.push([f(Math.sin(a)), f(Math.cos(a)), f(temp), f(load)].join(","));
  }
  writeFileSync(join(out, "load.csv"), rows.join("\n") + "\n");
}

{
  const rows = ["x1,x2,regime"];
  let regime = 0;
  for (let t = 0; t < 3200; t++) {
    if (rand() < 0.06) regime = (regime + 1 + Math.floor(rand() * 2)) % 3;
    const x1 = regime - 1 + 0.8 * gauss();
    const x2 = 0.5 * gauss();
    rows.push([f(x1), f(x2), String(regime)].join(","));
  }
  writeFileSync(join(out, "tags.csv"), rows.join("\n") + "\n");
}

console.log(`wrote ${join(out, "load.csv")} and ${join(out, "tags.csv")}`);
