import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ParamSpec, TuneSpec } from "../../runtime/spec.ts";
import { buildSpace, configKey, gridConfigs, gridSize, SpaceError } from "../../runtime/tune/space.ts";
import { hyperbandSchedule } from "../../runtime/tune/strategies.ts";
import { MemoryStorage } from "../../runtime/tune/storage.ts";
import { runStudy, type TrialRequest } from "../../runtime/tune/study.ts";
import { hash32, Rng, trialSeed } from "../../runtime/tune/rng.ts";
import { branin } from "../../bench/tuning.ts";

const p = (name: string, space: ParamSpec["space"], condition?: ParamSpec["condition"]): ParamSpec => {
  const out: ParamSpec = { name, default: 0, affectsShape: false };
  if (space) out.space = space;
  if (condition) out.condition = condition;
  return out;
};

async function study(spec: TuneSpec, params: ParamSpec[], f: (t: TrialRequest) => number, seed = 1, trials?: number) {
  const seen: TrialRequest[] = [];
  const res = await runStudy({
    spec,
    params,
    seed,
    storage: new MemoryStorage(),
    studyName: "s",
    fingerprint: "fp",
    trials,
    objective: async (t) => {
      seen.push(t);
      return { metrics: { loss: f(t) }, epochsRun: (t.epochs ?? 1) - t.initialEpoch, checkpointDir: `ckpt/${t.number}` };
    },
  });
  return { res, seen };
}

const minimize = { metric: "loss", direction: "minimize" } as const;

test("seeded rng and trial seeds are deterministic", () => {
  const a = new Rng(7, "x");
  const b = new Rng(7, "x");
  for (let i = 0; i < 5; i++) assert.is(a.next(), b.next());
  assert.is(trialSeed(3, 4), trialSeed(3, 4));
  assert.is.not(trialSeed(3, 4), trialSeed(3, 5));
  assert.is.not(hash32(1, 2), hash32(2, 1));
});

test("grid enumerates exactly the product of choice, int-with-step and uniform-with-step values", async () => {
  const params = [
    p("act", { kind: "choice", values: ["relu", "tanh"] }),
    p("units", { kind: "int", low: 16, high: 64, step: 16 }),
    p("drop", { kind: "uniform", low: 0, high: 0.5, step: 0.25 }),
  ];
  const space = buildSpace(params);
  assert.is(gridSize(space), 2 * 4 * 3);
  const { res } = await study({ strategy: { kind: "grid" }, objective: minimize }, params, () => 1);
  assert.is(res.trials.length, 24);
  const keys = new Set(res.trials.map((t) => configKey(t.params)));
  assert.is(keys.size, 24);
  const expected = new Set<string>();
  for (const act of ["relu", "tanh"]) for (const units of [16, 32, 48, 64]) for (const drop of [0, 0.25, 0.5]) expected.add(configKey({ act, units, drop }));
  assert.equal(keys, expected);
});

test("grid rejects a continuous space without a step, naming the param", () => {
  const space = buildSpace([p("lr", { kind: "log_uniform", low: 1e-4, high: 1e-1 })]);
  assert.throws(() => gridSize(space), (e: Error) => e instanceof SpaceError && /"lr"/.test(e.message) && /step/.test(e.message));
});

test("grid size is counted, not listed: a 10^9-value int range and 10^8 uniform steps answer at once", () => {
  const space = buildSpace([
    p("a", { kind: "int", low: 1, high: 1_000_000_000, step: 1 }),
    p("b", { kind: "uniform", low: 0, high: 1, step: 1e-8 }),
  ]);
  assert.is(gridSize(space), 1_000_000_000 * 100_000_001);
});

test("a conditional grid over a huge param a condition reads is refused with a SpaceError, not a crash", () => {
  const space = buildSpace([
    p("a", { kind: "int", low: 1, high: 1_000_000_000, step: 1 }),
    p("b", { kind: "choice", values: [1, 2] }, { param: "a", op: "==", value: 3 }),
  ]);
  assert.throws(() => gridSize(space), (e: Error) => e instanceof SpaceError && /"a"/.test(e.message) && /random/.test(e.message));
});

test("grid honours the trials cap", async () => {
  const params = [p("a", { kind: "int", low: 1, high: 10, step: 1 })];
  const { res } = await study({ strategy: { kind: "grid" }, objective: minimize, trials: 4 }, params, () => 1);
  assert.is(res.trials.length, 4);
});

test("random search never repeats a configuration while unseen ones remain, and exhausts a small space", async () => {
  const params = [p("a", { kind: "choice", values: [1, 2, 3] }), p("b", { kind: "int", low: 0, high: 3, step: 1 })];
  const { res } = await study({ strategy: { kind: "random", trials: 12 }, objective: minimize }, params, () => 1, 5);
  assert.is(res.trials.length, 12);
  assert.is(new Set(res.trials.map((t) => configKey(t.params))).size, 12);
  const over = await study({ strategy: { kind: "random", trials: 30 }, objective: minimize }, params, () => 1, 5);
  assert.is(over.res.trials.length, 12, "stops when every configuration was tried");
});

test("random search is reproducible from the seed", async () => {
  const params = [p("x", { kind: "uniform", low: 0, high: 1 }), p("lr", { kind: "log_uniform", low: 1e-4, high: 1 })];
  const a = await study({ strategy: { kind: "random", trials: 5 }, objective: minimize }, params, () => 1, 9);
  const b = await study({ strategy: { kind: "random", trials: 5 }, objective: minimize }, params, () => 1, 9);
  assert.equal(a.res.trials.map((t) => t.params), b.res.trials.map((t) => t.params));
  assert.equal(a.seen.map((t) => t.seed), b.seen.map((t) => t.seed));
  for (const t of a.res.trials) assert.ok((t.params.lr as number) >= 1e-4 && (t.params.lr as number) <= 1);
});

test("conditional params are sampled only when their condition holds", async () => {
  const params = [
    p("units3", { kind: "int", low: 8, high: 32, step: 8 }, { param: "layers", op: ">=", value: 3 }),
    p("layers", { kind: "int", low: 1, high: 3, step: 1 }),
    p("opt", { kind: "choice", values: ["sgd", "adam"] }),
    p("momentum", { kind: "uniform", low: 0, high: 0.9, step: 0.3 }, { param: "opt", op: "==", value: "sgd" }),
  ];
  const space = buildSpace(params);
  // layers 1,2: 1 each; layers 3: 4 units3 values; opt adam: 1, sgd: 4 momentum values
  assert.is(gridSize(space), (1 + 1 + 4) * (1 + 4));
  assert.is([...gridConfigs(space)].length, 30);
  for (const kind of ["random", "bayesian"] as const) {
    const strategy = kind === "random" ? { kind, trials: 25 } : { kind, trials: 25, initial: 8 };
    const { res } = await study({ strategy, objective: minimize }, params, (t) => Number(t.params.layers) + (t.params.opt === "sgd" ? 1 : 0), 3);
    assert.is(res.trials.length, 25);
    for (const t of res.trials) {
      assert.is("units3" in t.params, Number(t.params.layers) >= 3, `${kind} ${JSON.stringify(t.params)}`);
      assert.is("momentum" in t.params, t.params.opt === "sgd", `${kind} ${JSON.stringify(t.params)}`);
    }
  }
});

test("hyperband schedule matches Li et al. (2018) Table for R = 81, eta = 3", () => {
  const s = hyperbandSchedule(81, 3).map((b) => b.rungs.map((r) => [r.n, r.r]));
  assert.equal(s, [
    [[81, 1], [27, 3], [9, 9], [3, 27], [1, 81]],
    [[34, 3], [11, 9], [3, 27], [1, 81]],
    [[15, 9], [5, 27], [1, 81]],
    [[8, 27], [2, 81]],
    [[5, 81]],
  ]);
});

test("hyperband runs the schedule, promotes the best and resumes them from checkpoints", async () => {
  const params = [p("x", { kind: "uniform", low: 0, high: 1 })];
  const { res, seen } = await study(
    { strategy: { kind: "hyperband", maxEpochs: 9, factor: 3, iterations: 1 }, objective: minimize },
    params,
    (t) => (t.params.x as number) + 1 / (t.epochs ?? 1),
  );
  const planned = hyperbandSchedule(9, 3).reduce((a, b) => a + b.rungs.reduce((x, r) => x + r.n, 0), 0);
  assert.is(planned, 9 + 3 + 1 + 5 + 1 + 3); // s=2: 9,3,1  s=1: 5(=ceil(3/2*3)),1  s=0: 3
  assert.is(res.trials.length, planned);
  const promoted = seen.filter((t) => t.initialEpoch > 0);
  assert.is(promoted.length, 3 + 1 + 1);
  for (const t of promoted) {
    const parent = res.trials.find((x) => x.checkpointDir === t.resumeFrom)!;
    assert.ok(parent, "resumes from a parent's checkpoint");
    assert.is(t.initialEpoch, parent.epochs);
    assert.equal(t.params, parent.params);
    assert.is(t.seed, parent.seed);
  }
  // The 3 promoted from bracket s=2's first rung are its 3 best.
  const rung0 = res.trials.filter((t) => t.bracket === 0 && t.rung === 0).sort((a, b) => a.value! - b.value!);
  const rung1 = res.trials.filter((t) => t.bracket === 0 && t.rung === 1);
  assert.equal(new Set(rung1.map((t) => t.parent)), new Set(rung0.slice(0, 3).map((t) => t.number)));
  assert.is(res.best!.epochs, 9);
});

test("asha promotes once a rung has enough results and resumes", async () => {
  const params = [p("x", { kind: "uniform", low: 0, high: 1 })];
  const { res, seen } = await study(
    { strategy: { kind: "asha", maxEpochs: 9, factor: 3, trials: 12, minEpochs: 1 }, objective: minimize },
    params,
    (t) => t.params.x as number,
  );
  assert.is(res.trials.filter((t) => t.rung === 0).length, 12);
  assert.is(res.trials.filter((t) => t.rung === 1).length, 4);
  assert.ok(res.trials.filter((t) => t.rung === 2).length >= 1);
  assert.ok(seen.filter((t) => t.initialEpoch > 0).every((t) => t.resumeFrom !== undefined));
});

test("bayesian beats random on Branin at 30 trials over a few seeds", async () => {
  const params = [p("x1", { kind: "uniform", low: -5, high: 10 }), p("x2", { kind: "uniform", low: 0, high: 15 })];
  const f = (t: TrialRequest) => branin(t.params.x1 as number, t.params.x2 as number);
  let wins = 0;
  const gaps: string[] = [];
  for (const seed of [1, 2, 3, 4]) {
    const b = await study({ strategy: { kind: "bayesian", trials: 30, initial: 6 }, objective: minimize }, params, f, seed);
    const r = await study({ strategy: { kind: "random", trials: 30 }, objective: minimize }, params, f, seed);
    gaps.push(`${b.res.best!.value!.toFixed(3)} vs ${r.res.best!.value!.toFixed(3)}`);
    if (b.res.best!.value! < r.res.best!.value!) wins++;
    assert.ok(b.res.best!.value! < 0.6, `bayesian best ${b.res.best!.value}`);
  }
  assert.is(wins, 4, gaps.join("; "));
});

test("maximize direction: best is the highest value", async () => {
  const params = [p("x", { kind: "int", low: 0, high: 9, step: 1 })];
  const { res } = await study({ strategy: { kind: "grid" }, objective: { metric: "loss", direction: "maximize" } }, params, (t) => -((Number(t.params.x) - 6) ** 2));
  assert.is(res.best!.params.x, 6);
});

test.run();
