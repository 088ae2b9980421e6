#!/usr/bin/env python3
"""NumPy float32 references for the engine's benchmark workloads (run with OPENBLAS_NUM_THREADS=2):
  w1      batch 16 through six 4096x4096 tanh layers (0.01*randn): weights, forward, backward, statistics
  w1fwd   the same, forward and statistics only
  w2      batch 1000 through ten 500-wide tanh layers (Xavier): forward, backward, statistics
  w3      batch 8, 64 channels at 56x56, 8 residual blocks of two 3x3 convs (Kaiming, ReLU), im2col: forward, statistics
Statistics per layer: float64 moments of the pre-activation and the output, a 40-bin histogram, saturated or dead
fraction; backward: gradient std and weight-gradient std. Prints {"workload": median_ms, ...} as JSON; with --once,
runs one workload once (bench/workloads.js times that whole process from the outside).

    python3 bench/workloads_numpy.py --runs 3 w1 w1fwd w2 w3
    python3 bench/workloads_numpy.py --once w1
"""
import numpy as np

from workload_runner import main


def stats(pre, out, act):
    for x in (pre, out):
        x64 = x.astype(np.float64)
        x64.mean(), x64.std()
    np.histogram(out, bins=40)
    if act == 'tanh':
        np.mean(np.abs(out) > 0.99)
    else:
        np.mean(np.all(pre.reshape(pre.shape[0], -1) <= 0, axis=0))


def mlp(batch, width, depth, std, backward):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, width), dtype=np.float32)
    ws, hs, pres = [], [], []
    for _ in range(depth):
        w = rng.standard_normal((width, width), dtype=np.float32) * np.float32(std)
        ws.append(w)
        hs.append(x)
        pre = x @ w.T
        x = np.tanh(pre)
        pres.append(pre)
        stats(pre, x, 'tanh')
    if backward:
        g = rng.standard_normal(x.shape, dtype=np.float32)
        for w, h, pre in zip(reversed(ws), reversed(hs), reversed(pres)):
            g.astype(np.float64).std()
            dpre = g * (1 - np.tanh(pre) ** 2)
            (dpre.T @ h).astype(np.float64).std()
            g = dpre @ w


def im2col(x, k=3, pad=1):
    b, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((b, c, k, k, h, w), dtype=x.dtype)
    for i in range(k):
        for j in range(k):
            cols[:, :, i, j] = xp[:, :, i:i + h, j:j + w]
    return cols.reshape(b, c * k * k, h * w)


def resnet(batch=8, channels=64, size=56, blocks=8):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, channels, size, size), dtype=np.float32)
    std = np.float32(np.sqrt(2 / (channels * 9)))
    for _ in range(blocks):
        h = x
        for layer in range(2):
            w = rng.standard_normal((channels, channels * 9), dtype=np.float32) * std
            pre = np.einsum('fk,bkp->bfp', w, im2col(h), optimize=True).reshape(batch, channels, size, size)
            h = np.maximum(pre, 0) if layer == 0 else pre
            stats(pre, h, 'relu')
        pre = x + h
        x = np.maximum(pre, 0)
        stats(pre, x, 'relu')


WORKLOADS = {
    'w1': lambda: mlp(16, 4096, 6, 0.01, True),
    'w1fwd': lambda: mlp(16, 4096, 6, 0.01, False),
    'w2': lambda: mlp(1000, 500, 10, np.sqrt(1 / 500), True),
    'w3': resnet,
}


if __name__ == '__main__':
    main(WORKLOADS)
