#!/usr/bin/env python3
"""The lecture workload in NumPy float32, as the reference the engine is measured against: batch 16 through six
4096x4096 tanh layers initialized with 0.01*randn; weight generation, forward, backward from standard normal noise,
and per-layer statistics (moments in float64, a 40-bin histogram, saturated fraction, weight-gradient std).
Prints one JSON line: {"median_ms": ..., "runs_ms": [...], "last_std": [...]}.

    OPENBLAS_NUM_THREADS=2 python3 bench/lecture_numpy.py [--runs 3] [--forward-only]
"""
import json
import sys
import time

import numpy as np

B, WIDTH, DEPTH = 16, 4096, 6


def stats(x):
    x64 = x.astype(np.float64)
    np.histogram(x, bins=40, range=(-1, 1))
    return x64.mean(), x64.std(), float(np.mean(np.abs(x) > 0.99))


def run(forward_only):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((B, WIDTH), dtype=np.float32)
    weights, inputs, pres, stds = [], [], [], []
    for _ in range(DEPTH):
        w = (rng.standard_normal((WIDTH, WIDTH), dtype=np.float32) * np.float32(0.01))
        weights.append(w)
        inputs.append(x)
        pre = x @ w.T
        x = np.tanh(pre)
        pres.append(pre)
        stats(pre)
        stds.append(stats(x)[1])
    if not forward_only:
        g = rng.standard_normal(x.shape, dtype=np.float32)
        for w, h, pre in zip(reversed(weights), reversed(inputs), reversed(pres)):
            g.astype(np.float64).std()
            dpre = g * (1 - np.tanh(pre) ** 2)
            dw = dpre.T @ h
            dw.astype(np.float64).std()
            g = dpre @ w
    return stds


def main():
    runs = int(sys.argv[sys.argv.index('--runs') + 1]) if '--runs' in sys.argv else 3
    forward_only = '--forward-only' in sys.argv
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        stds = run(forward_only)
        times.append((time.perf_counter() - t) * 1000)
    print(json.dumps({'median_ms': float(np.median(times)), 'runs_ms': times, 'last_std': stds, 'numpy': np.__version__}))


if __name__ == '__main__':
    main()
