#!/usr/bin/python3
"""Optuna reference for bench/tuning.ts: median over seeds of the best value in N trials.

Usage: /usr/bin/python3 bench/tuning_optuna.py --fn branin|hartmann6 --trials 50 --seeds 20 --sampler tpe|random
Prints one JSON line: {fn, strategy, trials, seeds, medianBest, meanBest, seconds}.
"""
import argparse
import json
import math
import statistics
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def branin(x1, x2):
    a, b, c, r, s, t = 1.0, 5.1 / (4 * math.pi ** 2), 5 / math.pi, 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x2 - b * x1 * x1 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


ALPHA = [1.0, 1.2, 3.0, 3.2]
A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
     [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(x):
    return -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j] * 1e-4) ** 2 for j in range(6))) for i in range(4))


def objective_for(fn):
    if fn == "branin":
        return lambda t: branin(t.suggest_float("x1", -5, 10), t.suggest_float("x2", 0, 15))
    if fn == "hartmann6":
        return lambda t: hartmann6([t.suggest_float(f"x{i}", 0, 1) for i in range(6)])
    raise SystemExit(f"unknown --fn {fn}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fn", default="branin")
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--sampler", default="tpe", choices=["tpe", "random"])
    a = ap.parse_args()
    t0 = time.time()
    bests = []
    for seed in range(a.seeds):
        sampler = optuna.samplers.TPESampler(seed=seed) if a.sampler == "tpe" else optuna.samplers.RandomSampler(seed=seed)
        study = optuna.create_study(direction="minimize", sampler=sampler)
        study.optimize(objective_for(a.fn), n_trials=a.trials)
        bests.append(study.best_value)
    print(json.dumps({
        "fn": a.fn, "strategy": f"optuna-{a.sampler}", "trials": a.trials, "seeds": a.seeds,
        "medianBest": round(statistics.median(bests), 4), "meanBest": round(statistics.fmean(bests), 4),
        "seconds": round(time.time() - t0, 1),
    }))


if __name__ == "__main__":
    main()
