#!/usr/bin/python3
"""Does make_golden.py pool with padding "same" as TensorFlow defines it? Runs the golden network `same-pools` of
networks.json through NumPy (make_golden.py) and, for each of its max and average poolings, the same input through
PyTorch written TensorFlow's way (timm's MaxPool2dSame / AvgPool2dSame idea, with TensorFlow's count of real inputs):

- max: F.pad with -inf by TensorFlow's split (⌊total/2⌋ before, the rest after), then F.max_pool2d;
- average: F.avg_pool2d of the zero-padded input divided by F.avg_pool2d of the zero-padded ones (the fraction of
  each window inside the map), i.e. the sum over the real inputs over their number (count_include_pad=False);

and the input gradient by autograd from NumPy's output gradient. Also checks, on a 1×1×5×5 map pooled 3×3 by 2,
that this torch construction gives the hand-computed values, and that with count_include_pad=False F.avg_pool2d's
own symmetric padding agrees where TensorFlow's padding is symmetric. Prints the largest relative difference per
pooling; exits non-zero above 1e-6.

    /usr/bin/python3 test/golden/crosscheck_same_pools_torch.py
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

import make_golden as mg

LIMIT = 1e-6
HERE = os.path.dirname(os.path.abspath(__file__))


def same_pads(length, size, stride):
    """TensorFlow's SAME along one axis: (before, after)."""
    out = math.ceil(length / stride)
    total = max((out - 1) * stride + size - length, 0)
    return total // 2, total - total // 2


def torch_pool(kind, x, size, stride):
    """TensorFlow's SAME max or average pooling of an NCHW tensor, in torch."""
    top, bottom = same_pads(x.shape[2], size[0], stride[0])
    left, right = same_pads(x.shape[3], size[1], stride[1])
    pad = (left, right, top, bottom)
    if kind == 'maxpool2d':
        return F.max_pool2d(F.pad(x, pad, value=-math.inf), size, stride)
    inside = F.avg_pool2d(F.pad(torch.ones_like(x[:1, :1]), pad), size, stride)
    return F.avg_pool2d(F.pad(x, pad), size, stride) / inside


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def relative(a, b):
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def main():
    worst = 0.0
    # The hand-computed map: x = 5r + c (0..24 row by row), 3×3 windows by 2, one row and column of padding on each
    # side: window rows (and columns) {0, 1}, {1, 2, 3}, {3, 4}, so max = 5·max(rows) + max(cols) and
    # average = 5·mean(rows) + mean(cols), the means 0.5, 2, 3.5.
    x = torch.arange(25, dtype=torch.float64).reshape(1, 1, 5, 5)
    expected_max = torch.tensor([[6, 8, 9], [16, 18, 19], [21, 23, 24]], dtype=torch.float64)
    expected_avg = torch.tensor([[3, 4.5, 6], [10.5, 12, 13.5], [18, 19.5, 21]], dtype=torch.float64)
    for kind, expected in (('maxpool2d', expected_max), ('avgpool2d', expected_avg)):
        got = torch_pool(kind, x, (3, 3), (2, 2))[0, 0]
        diff = float((got - expected).abs().max())
        print(f'5x5 by hand   {kind}: {diff:.2e}')
        worst = max(worst, diff)
    # Symmetric padding (1 each side): torch's own avg_pool2d with count_include_pad=False is the same pooling.
    own = F.avg_pool2d(x, 3, 2, padding=1, count_include_pad=False)[0, 0]
    diff = float((own - expected_avg).abs().max())
    print(f'5x5 by hand   avg_pool2d(padding=1, count_include_pad=False): {diff:.2e}')
    worst = max(worst, diff)

    with open(os.path.join(HERE, 'networks.json')) as f:
        net = json.load(f)['same-pools']
    sim = mg.simulate(net)
    B = sim['ctx'].batch

    def walk(nodes):
        for n in nodes:
            yield n
            yield from walk(n.get('branch') or [])

    for node in walk(sim['nodes']):
        t = node['layer']['type']
        if t not in ('maxpool2d', 'avgpool2d') or node['layer'].get('padding') != 'same':
            continue
        c, h, w = node['in_shape']
        xt = torch.tensor(node['x'].reshape(B, c, h, w), dtype=torch.float64, requires_grad=True)
        size, stride = pair(node['layer']['size']), pair(node['layer'].get('stride', node['layer']['size']))
        y = torch_pool(t, xt, size, stride)
        dy = torch.tensor(node['dy'].reshape(y.shape), dtype=torch.float64)
        (y * dy).sum().backward()
        forward = relative(node['out'].astype(np.float64).reshape(y.shape), y.detach().numpy())
        # NumPy's input gradient is the dy its predecessor received; recompute it from the node for the comparison.
        dx = mg.backward_node(node, node['dy'], sim['ctx']).astype(np.float64).reshape(xt.shape)
        backward = relative(dx, xt.grad.numpy())
        print(f'same-pools #{node["index"]:<2} {t} {size} by {stride} on {h}x{w} -> {tuple(y.shape[2:])}: forward {forward:.2e}, input gradient {backward:.2e}')
        worst = max(worst, forward, backward)
    print(f'largest relative difference {worst:.2e} (limit {LIMIT:g})')
    return 0 if worst <= LIMIT else 1


if __name__ == '__main__':
    sys.exit(main())
