#!/usr/bin/env python3
"""Central-difference check of make_golden.py's transformer backward passes (attention with GQA, causal masks,
rotary, biases and scales; softmax; rmsnorm; layernorm; gated MLP; gelu_new), in float64.

    python3 test/golden/gradcheck_transformer.py        # prints the max relative error per check, fails above 1e-6
"""
import numpy as np

import make_golden as mg


def numeric(f, x, h=1e-6):
    g = np.zeros_like(x)
    it = np.nditer(x, flags=['multi_index'])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h; fp = f()
        x[i] = old - h; fm = f()
        x[i] = old
        g[i] = (fp - fm) / (2 * h)
    return g


def rel(a, b):
    """Max error relative to the largest gradient entry, floored at 1 (the key bias's gradient is 0 analytically)."""
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1.0))


def check(name, forward, backward, tensors):
    """forward() -> y; backward(dy) -> {name: analytic gradient}; tensors: {name: array perturbed in place}."""
    rng = np.random.default_rng(0)
    y = forward()
    dy = rng.standard_normal(y.shape)
    analytic = backward(dy)
    worst = 0.0
    for key, arr in tensors.items():
        num = numeric(lambda: float((forward() * dy).sum()), arr)
        worst = max(worst, rel(analytic[key], num))
    print(f'{name:55s} max rel err {worst:.2e}')
    assert worst < 1e-6, name
    return worst


def main():
    rng = np.random.default_rng(1)
    B, T, D = 2, 5, 8
    for cfg_extra, label in [
        (dict(heads=2, kv_heads=2, head_dim=4, causal=False, scale=0.5, rotary_dims=0), 'MHA, not causal, scale 0.5'),
        (dict(heads=4, kv_heads=2, head_dim=4, causal=True, scale=0.5, rotary_dims=4), 'GQA 4/2, causal, full rotary'),
        (dict(heads=4, kv_heads=1, head_dim=6, causal=True, scale=1.0, rotary_dims=2), 'MQA 4/1, causal, rotary 2 of 6, head_dim≠D/H'),
    ]:
        cfg = dict(cfg_extra, rotary_base=10000)
        H, KV, dh = cfg['heads'], cfg['kv_heads'], cfg['head_dim']
        x = rng.standard_normal((B, T, D))
        prm = {'Wq': rng.standard_normal((H * dh, D)), 'Wk': rng.standard_normal((KV * dh, D)), 'Wv': rng.standard_normal((KV * dh, D)),
               'Wo': rng.standard_normal((D, H * dh)) * 0.5, 'bq': rng.standard_normal(H * dh), 'bk': rng.standard_normal(KV * dh),
               'bv': rng.standard_normal(KV * dh), 'bo': rng.standard_normal(D)}
        state = {}

        def fwd():
            y, state['c'] = mg.attention_forward(x, prm, cfg)
            return y

        def bwd(dy):
            fwd()
            dx, g = mg.attention_backward(dy, prm, cfg, state['c'])
            return dict(g, x=dx)
        check('attention ' + label, fwd, bwd, dict(prm, x=x))

    x = rng.standard_normal((B, T, D))
    w = 1 + 0.3 * rng.standard_normal(D)
    check('rmsnorm', lambda: mg.rmsnorm_forward(x, w, 1e-6)[0],
          lambda dy: {'x': mg.rmsnorm_backward(dy, w, mg.rmsnorm_forward(x, w, 1e-6)[1])}, {'x': x})
    check('layernorm (last axis)', lambda: mg.layernorm_forward(x, 1e-5)[0],
          lambda dy: {'x': mg.layernorm_backward(dy, mg.layernorm_forward(x, 1e-5)[1])}, {'x': x})
    for act in ('silu', 'gelu', 'gelu_new'):
        prm = {'Wg': rng.standard_normal((12, D)), 'Wu': rng.standard_normal((12, D)), 'Wd': rng.standard_normal((D, 12)),
               'bg': None, 'bu': None, 'bd': None}

        def mlp_bwd(dy):
            dx, g = mg.gated_mlp_backward(dy, prm, act, mg.gated_mlp_forward(x, prm, act)[1])
            return dict(g, x=dx)
        check(f'gated_mlp {act}', lambda: mg.gated_mlp_forward(x, prm, act)[0], mlp_bwd,
              {'x': x, 'Wg': prm['Wg'], 'Wu': prm['Wu'], 'Wd': prm['Wd']})
    z = rng.standard_normal((3, 7)) * 2
    check('gelu_new derivative', lambda: mg.phi('gelu_new', z, 0), lambda dy: {'z': dy * mg.dphi('gelu_new', z, 0)}, {'z': z})
    # rotary: an orthogonal map; its backward is the inverse rotation
    cos, sin = mg.rope_tables(T, 4, 10000)
    v = rng.standard_normal((B, 3, T, 6))
    check('rotary (4 of 6 dims)', lambda: mg.rope(v, cos, sin, 4), lambda dy: {'v': mg.rope(dy, cos, sin, 4, -1.0)}, {'v': v})


if __name__ == '__main__':
    main()
