#!/usr/bin/python3
"""PyTorch float32 references for the engine's benchmark workloads W1 and W4 (Debian's torch 1.13 on OpenBLAS, run
with /usr/bin/python3, OPENBLAS_NUM_THREADS=2 and torch.set_num_threads(2)):
  w1   batch 16 through six 4096x4096 tanh layers (0.01*randn): weights, forward, backward, statistics
  w4   twelve GPT-2-small blocks (pre-LN; width 768, 12 heads, causal attention with a fused qkv, MLP 3072 with
       gelu_new; weights N(0, 0.02^2), the two output projections c_proj N(0, (0.02/sqrt(24))^2), biases zero) on a
       batch of 4 sequences of 128 unit-normal feature vectors [128, 768]: weights, forward, backward, statistics
The same work as the engine's sampled run (bench/workloadSpecs.js): the weights drawn, the forward pass, the backward
pass from unit-normal noise at the output, and per layer in the engine's order (layernorm, attention, residual sum,
layernorm, dense, dense, residual sum for a block) the statistics it reports: float64 mean, std, min and max of the
pre-activation and the output (float32 reductions here, float64 in the engine), a 40-bin histogram of the output over the same rounded range, the saturated fraction
(tanh), each dense weight's std; backward the std of the gradient at every layer's output and of every weight gradient the
engine reports (each dense weight, and attention's output projection); attention's logit std over the visible
scaled logits and its mean entropy over ln(visible keys). Only the weights whose gradient is reported require one
(the engine does not form dW of the qkv projection either), so neither side does work the other skips.
Prints {"workload": median_ms, ...} as JSON; with --once, runs one workload once (bench/workloads.js times that whole
process from the outside).

    apt-get install -y python3-torch libopenblas0-pthread
    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/workloads_torch.py --runs 3 w1 w4
    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/workloads_torch.py --once w4
"""
import math

import torch
import torch.nn.functional as F

from workload_runner import main

BINS = 40


def nice_ceil(x):
    """The engine's histogram edge: x rounded up to 1, 2, 2.5 or 5 x 10^k (sampled/layerStats.ts)."""
    if not x > 0 or not math.isfinite(x):
        return 1.0
    base = 10.0 ** math.floor(math.log10(x))
    for step in (1, 2, 2.5, 5, 10):
        if step * base >= x * (1 - 1e-12):
            return step * base
    return 10 * base


def moments(x):
    """Mean, std, min and max. In float32: torch's float32 reductions sum in cascades (accurate to about 1e-7 here),
    while converting to float64 first would cost torch more than the whole statistic (a copy of each weight)."""
    x = x.detach()
    return x.mean().item(), x.std(unbiased=False).item(), x.min().item(), x.max().item()


def layer_stats(pre, out, act='linear'):
    """What the engine records of one layer's forward pass (sampled/runSampled.ts `record`, layerStats.ts)."""
    with torch.no_grad():
        if pre is not out:
            moments(pre)
        _, _, lo, hi = moments(out)
        if act == 'tanh':
            lo, hi = -1.0, 1.0
            (out.abs() > 0.99).sum().item()
        else:
            lo, hi = (-nice_ceil(-lo) if lo < 0 else 0.0), (nice_ceil(hi) if hi > 0 else 0.0)
            if lo == hi:
                lo, hi = lo - 1, hi + 1
        torch.histc(out.detach(), bins=BINS, min=lo, max=hi)


def keep_grad(y):
    y.retain_grad()
    return y


def grad_std(t):
    return t.grad.std(unbiased=False).item()


def mlp(batch=16, width=4096, depth=6, std=0.01):
    x = torch.randn(batch, width)
    ws, outs = [], []
    for _ in range(depth):
        w = torch.randn(width, width) * std
        w.requires_grad_(True)
        ws.append(w)
        moments(w)
        pre = x @ w.t()
        x = keep_grad(torch.tanh(pre))
        layer_stats(pre, x, 'tanh')
        outs.append(x)
    x.backward(torch.randn_like(x))
    for w, out in zip(reversed(ws), reversed(outs)):
        grad_std(out)
        grad_std(w)


class Block:
    """One pre-LN GPT-2 block (HF GPT2Block, eager attention as in transformers 4.x): x + attn(ln_1(x)), then
    h + mlp(ln_2(h)), its statistics recorded as the engine records them."""

    def __init__(self, width, heads, hidden, std, proj_std):
        def weight(rows, cols, s, grad):
            w = torch.empty(rows, cols).normal_(0, s)
            return w.requires_grad_(grad)
        self.width, self.heads = width, heads
        self.c_attn = weight(3 * width, width, std, False)
        self.c_attn_b = torch.zeros(3 * width)
        self.c_proj = weight(width, width, proj_std, True)
        self.c_proj_b = torch.zeros(width)
        self.c_fc = weight(hidden, width, std, True)
        self.c_fc_b = torch.zeros(hidden)
        self.mlp_proj = weight(width, hidden, proj_std, True)
        self.mlp_proj_b = torch.zeros(width)
        self.outs = []

    def record(self, y, pre=None, act='linear'):
        layer_stats(y if pre is None else pre, y, act)
        self.outs.append(keep_grad(y))
        return y

    def attention(self, x):
        B, T, D = x.shape
        H, dh = self.heads, D // self.heads
        q, k, v = F.linear(x, self.c_attn, self.c_attn_b).split(D, dim=-1)
        q, k, v = (t.view(B, T, H, dh).transpose(1, 2) for t in (q, k, v))
        S = torch.matmul(q, k.transpose(-1, -2)) * (1 / math.sqrt(dh))
        masked = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
        P = torch.softmax(S.masked_fill(masked, torch.finfo(S.dtype).min), dim=-1)
        y = F.linear(torch.matmul(P, v).transpose(1, 2).reshape(B, T, D), self.c_proj, self.c_proj_b)
        with torch.no_grad():
            visible = ~masked
            S[..., visible].std(unbiased=False).item()
            entropy = -(P * torch.log(P.clamp_min(1e-30))).sum(-1)
            n = visible.sum(-1).float()
            (entropy[..., n > 1] / torch.log(n[n > 1])).mean().item()
        return self.record(y)

    def mlp(self, x):
        for w in (self.c_fc, self.mlp_proj):
            moments(w)
        pre = F.linear(x, self.c_fc, self.c_fc_b)
        h = self.record(F.gelu(pre, approximate='tanh'), pre)  # HF NewGELUActivation
        return self.record(F.linear(h, self.mlp_proj, self.mlp_proj_b))

    def forward(self, x):
        D = self.width
        h = self.record(x + self.attention(self.record(F.layer_norm(x, (D,)))))
        return self.record(h + self.mlp(self.record(F.layer_norm(h, (D,)))))

    def backward_stats(self):
        for y in self.outs:
            grad_std(y)
        for w in (self.c_proj, self.c_fc, self.mlp_proj):
            grad_std(w)


def gpt2(blocks=12, batch=4, tokens=128, width=768, heads=12, hidden=3072):
    x = torch.randn(batch, tokens, width, requires_grad=True)  # so that the first layernorm's gradient is formed, as the engine's
    layers = [Block(width, heads, hidden, 0.02, 0.02 / math.sqrt(2 * blocks)) for _ in range(blocks)]
    for block in layers:
        x = block.forward(x)
    x.backward(torch.randn_like(x))
    for block in layers:
        block.backward_stats()


WORKLOADS = {'w1': mlp, 'w4': gpt2}


if __name__ == '__main__':
    torch.set_num_threads(2)
    torch.manual_seed(0)
    main(WORKLOADS)
