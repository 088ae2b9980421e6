#!/usr/bin/python3
"""Do the two oracles mean the same thing? Runs every transformer golden network of networks.json through NumPy
(make_golden.py) and through PyTorch (make_torch_fixtures.py's interpreter) with the same weights (NumPy's, loaded
into the torch modules), the same input, dropout masks, targets and upstream noise, and prints per network the largest
relative difference of every layer's output and output gradient (max |torch − numpy| / max |numpy| over the tensor),
and of the statistics (logit std, entropy, loss, weight-gradient std). Exits non-zero above 1e-4.

    /usr/bin/python3 test/golden/crosscheck_torch_numpy.py
"""
import json
import os
import sys

import numpy as np
import torch

import make_golden as mg
import make_torch_fixtures as mt

NETWORKS = ('gpt2-stack', 'bert-stack', 'llama-stack', 'neox-parallel', 't5-ish', 'feature-sequence')
LIMIT = 1e-4


def by_index(nodes, out):
    for n in nodes:
        for br in [n.get('branch') or []] + (n.get('branches') or []):
            by_index(br, out)
        if n.get('projection'):
            out[n['projection']['index']] = n['projection']
        out[n['index']] = n
    return out


def put(param, value):
    with torch.no_grad():
        param.copy_(torch.tensor(np.asarray(value), dtype=torch.float32).reshape(param.shape))


def load(m, node, ctx, B):
    """Copies NumPy's weights (and dropout mask, lm_head targets) of one node into its torch module."""
    if isinstance(m, (mt.Embedding, mt.PositionEmbedding)):
        put(m.emb.weight, node['E'])
    elif isinstance(m, mt.RMSNorm):
        put(m.weight, node['prm'])
    elif isinstance(m, mt.Dense):
        w, b = mg.weight_of(node, ctx)
        put(m.lin.weight, w)
        if b is not None:
            put(m.lin.bias, b)
    elif isinstance(m, mt.Attention):
        p = node['prm']
        if m.fused:
            put(m.c_attn.weight, np.concatenate([p['Wq'], p['Wk'], p['Wv']]))
            if p['bq'] is not None:
                put(m.c_attn.bias, np.concatenate([p['bq'], p['bk'], p['bv']]))
        else:
            for name in 'qkv':
                lin = getattr(m, name + '_proj')
                put(lin.weight, p['W' + name])
                if p['b' + name] is not None:
                    put(lin.bias, p['b' + name])
        put(m.o_proj.weight, p['Wo'])
        if p['bo'] is not None:
            put(m.o_proj.bias, p['bo'])
    elif isinstance(m, mt.GatedMLP):
        p = node['prm']
        for name, lin in (('g', m.gate), ('u', m.up), ('d', m.down)):
            put(lin.weight, p['W' + name])
            if p['b' + name] is not None:
                put(lin.bias, p['b' + name])
    elif isinstance(m, mt.LMHead):
        if m.tied_to is None:
            put(m.weight, node['prm'])
        if node['bias'] is not None:
            put(m.bias, node['bias'])
        T, V = node['in_shape'][0], node['layer']['vocab']
        u = mg.fill_uniform(mg.stream_key(ctx.seed, mg.STREAM_TARGETS), B * T, 0, V)
        m.targets = torch.tensor(np.minimum(V - 1, np.floor(u).astype(np.int64)).reshape(B, T))
    elif isinstance(m, mt.Dropout):
        m.mask = torch.tensor(node['mask']).reshape([B] + node['in_shape'])


def rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def crosscheck(name, net):
    sim = mg.simulate(net)
    ctx, B = sim['ctx'], sim['ctx'].batch
    nodes = by_index(sim['nodes'], {})
    torch.manual_seed(0)
    model = mt.Network(net)
    assert len(model.nodes) == len(nodes), (len(model.nodes), len(nodes))
    for i, m in enumerate(model.nodes):
        assert m.layer_type == nodes[i]['layer']['type']
        load(m, nodes[i], ctx, B)
    inp = net['input']
    x = torch.tensor(sim['input']) if 'tokens' in inp else torch.tensor(sim['input']).reshape([B] + inp['shape'])
    y = model(x)
    y.backward(torch.tensor(sim['upstream']).reshape(y.shape), retain_graph=True)
    worst = {'output': 0.0, 'gradient': 0.0, 'statistics': 0.0}
    where = {}
    for i, m in enumerate(model.nodes):
        n, st = nodes[i], ctx.stats[i]
        checks = [('output', rel(m.out.detach().numpy().reshape(B, -1), n['out'])),
                  ('gradient', rel(m.out.grad.numpy().reshape(B, -1), n['dy']))]
        if isinstance(m, mt.Attention):
            checks += [('statistics', rel(m.logit_std, st['logitStd'])), ('statistics', rel(m.entropy, st['entropy']))]
        if isinstance(m, mt.LMHead):
            checks.append(('statistics', rel(m.loss, st['loss'])))
        grad_of = {mt.Dense: lambda m: m.lin.weight.grad, mt.PositionEmbedding: lambda m: m.emb.weight.grad,
                   mt.LMHead: lambda m: m.weight.grad if m.tied_to is None else None,
                   # the lookup's own share (a tied table's .grad also holds the head's), by nn.Embedding's backward
                   mt.Embedding: lambda m: torch.autograd.grad(m.out, m.emb.weight, m.out.grad, retain_graph=True)[0]}
        g = grad_of.get(type(m), lambda m: None)(m)
        if g is not None:
            checks.append(('statistics', rel(g.double().std(unbiased=False).item(), st['weightGradStd'])))
        for kind, r in checks:
            if r > worst[kind]:
                worst[kind], where[kind] = r, f'layer {i} ({m.layer_type})'
    print(f'{name:18s} ' + '  '.join(f'{k} {v:.1e} at {where.get(k, "-")}' for k, v in worst.items()))
    return max(worst.values())


def main():
    torch.set_num_threads(1)
    with open(os.path.join(mg.HERE, 'networks.json')) as f:
        networks = json.load(f)
    worst = max(crosscheck(n, networks[n]) for n in NETWORKS)
    print(f'max relative difference {worst:.2e}')
    sys.exit(0 if worst < LIMIT else 1)


if __name__ == '__main__':
    main()
