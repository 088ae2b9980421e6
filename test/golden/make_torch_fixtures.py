#!/usr/bin/python3
"""A second oracle for Init Inspector's transformer ops: real PyTorch.

Interprets the engine's native network format (test/golden/torch_networks.json) with torch.nn modules (nn.Embedding,
nn.Linear, nn.LayerNorm, an RMSNorm written as Hugging Face's LlamaRMSNorm, attention written as HF's eager attention
since torch 1.13 has no scaled_dot_product_attention, torch.nn.functional.gelu(approximate='tanh') for gelu_new,
torch.nn.init for the inits), then over SEEDS seeds of torch's own generator: initializes, draws the token ids, runs
the forward pass, and the backward pass from unit normal noise at the output. Per layer, in the engine's execution
order (a residual block after its branch, a parallel_residual after all its branches), it records over the seeds the
output std, the std of the gradient with respect to the output, and for attention the logits' std and the normalized
entropy, for lm_head the mean cross-entropy against uniformly drawn targets. Writes torch_fixtures.json beside this
file; test/engine/torchOracle.test.ts compares the engine's medians over its own seeds against it.

Beside the reference seeds it records two kinds of controls, from this same interpreter, that tell whether the
test's tolerance is right: `probes` (the medians over 5 other seeds: a correct engine looks like this and must pass)
and `controls` (a network with one deliberate mistake, e.g. GPT-2 without the 1/√(2·n_layer) scaling of c_proj:
must fail).

    apt-get install python3-torch libopenblas0-pthread     # Debian's torch 1.13
    /usr/bin/python3 test/golden/make_torch_fixtures.py
"""
import copy
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = list(range(10))
PROBE_SEEDS = list(range(100, 105))
STATS = ('std', 'gradStd', 'logitStd', 'entropy', 'loss')


# ---------------------------------------------------------------- inits with torch.nn.init
def fans(t):
    return nn.init._calculate_fan_in_and_fan_out(t)


def init_(t, spec, role='weight', fan_of=None, table=False):
    """Fills t in place from an init spec of the native format. fan_of: the weight whose fans a bias uses. table: an
    embedding table, whose PyTorch default is N(0, 1) (nn.Embedding.reset_parameters)."""
    if isinstance(spec, str):
        spec = {'scheme': spec}
    scheme = {'glorot_uniform': 'xavier_uniform', 'glorot_normal': 'xavier_normal', 'he_uniform': 'kaiming_uniform',
              'he_normal': 'kaiming_normal', 'msra': 'kaiming_normal'}.get(spec['scheme'], spec['scheme'])
    ref = fan_of if fan_of is not None else t
    with torch.no_grad():
        if scheme == 'pytorch_default':
            if table:
                nn.init.normal_(t)
            elif role == 'bias':
                bound = 1 / math.sqrt(fans(ref)[0])
                nn.init.uniform_(t, -bound, bound)
            else:
                nn.init.kaiming_uniform_(t, a=math.sqrt(5))  # nn.Linear.reset_parameters
        elif scheme == 'zeros':
            nn.init.zeros_(t)
        elif scheme == 'ones':
            nn.init.ones_(t)
        elif scheme == 'constant':
            nn.init.constant_(t, spec['value'])
        elif scheme == 'normal':
            nn.init.normal_(t, spec.get('mean', 0.0), spec.get('std', 1.0))
        elif scheme == 'uniform':
            nn.init.uniform_(t, spec.get('low', 0.0), spec.get('high', 1.0))
        elif scheme == 'truncated_normal':
            nn.init.trunc_normal_(t, spec.get('mean', 0.0), spec.get('std', 1.0), spec.get('a', -2.0), spec.get('b', 2.0))
        elif scheme == 'xavier_normal':
            nn.init.xavier_normal_(t, gain=spec.get('gain', 1.0))
        elif scheme == 'xavier_uniform':
            nn.init.xavier_uniform_(t, gain=spec.get('gain', 1.0))
        elif scheme in ('kaiming_normal', 'kaiming_uniform'):
            fn = nn.init.kaiming_normal_ if scheme == 'kaiming_normal' else nn.init.kaiming_uniform_
            fn(t, a=spec.get('a', 0.0), mode=spec.get('mode', 'fan_in'), nonlinearity=spec.get('nonlinearity', 'leaky_relu'))
        elif scheme == 'orthogonal':
            nn.init.orthogonal_(t, gain=spec.get('gain', 1.0))
        elif scheme == 'lecun_normal':  # keras: truncated normal, std √(1/fan_in)/0.8796 over ±2 std
            s = math.sqrt(1.0 / fans(t)[0]) / 0.87962566103423978
            nn.init.trunc_normal_(t, 0.0, s, -2 * s, 2 * s)
        elif scheme == 'lecun_uniform':
            limit = math.sqrt(3.0 / fans(t)[0])
            nn.init.uniform_(t, -limit, limit)
        else:
            raise ValueError(f'init {scheme} is not supported by this interpreter')
        if spec.get('multiplier', 1) != 1:
            t.mul_(spec['multiplier'])


def bias_spec(bias, weight_init):
    """Absent: pytorch_default beside a pytorch_default weight, else zeros; true: zeros; false: no bias."""
    if bias is None:
        bias = 'pytorch_default' if weight_init == 'pytorch_default' else 'zeros'
    if bias is False:
        return None
    return 'zeros' if bias is True else bias


def linear(d_in, d_out, init, bias):
    """nn.Linear(d_in, d_out) with the native format's weight and bias inits."""
    b = bias_spec(bias, init)
    m = nn.Linear(d_in, d_out, bias=b is not None)
    init_(m.weight, init)
    if b is not None:
        init_(m.bias, b, 'bias', fan_of=m.weight)
    return m


# ---------------------------------------------------------------- activations
def act_fn(name, slope=0.01):
    return {
        'linear': lambda x: x, 'relu': F.relu, 'tanh': torch.tanh, 'sigmoid': torch.sigmoid, 'gelu': F.gelu,
        'gelu_new': lambda x: F.gelu(x, approximate='tanh'),  # HF NewGELUActivation
        'silu': F.silu, 'elu': F.elu, 'selu': F.selu, 'softplus': F.softplus,
        'leaky_relu': lambda x: F.leaky_relu(x, slope),
    }[name]


# ---------------------------------------------------------------- one module per op
class Op(nn.Module):
    """A layer of the native format: keeps its output (with its gradient) and its extra statistics."""

    def record(self, y):
        if y.requires_grad:
            y.retain_grad()
        self.out = y
        return y


class Embedding(Op):
    def __init__(self, layer):
        super().__init__()
        self.padding_idx = layer.get('padding_idx')
        self.emb = nn.Embedding(layer['vocab'], layer['units'], padding_idx=self.padding_idx)
        init_(self.emb.weight, layer.get('init', 'pytorch_default'), table=True)
        if self.padding_idx is not None:
            with torch.no_grad():
                self.emb.weight[self.padding_idx].zero_()  # as HF _init_weights after its normal_

    def forward(self, ids):
        return self.record(self.emb(ids))


class PositionEmbedding(Op):
    def __init__(self, layer, D):
        super().__init__()
        self.index = layer.get('index', 'position')
        self.emb = nn.Embedding(layer['positions'], D)
        init_(self.emb.weight, layer.get('init', 'pytorch_default'), table=True)

    def forward(self, x):
        T = x.shape[1]
        pos = torch.arange(T) if self.index == 'position' else torch.zeros(T, dtype=torch.long)
        return self.record(x + self.emb(pos)[None])


class LayerNorm(Op):
    def __init__(self, layer, shape):
        super().__init__()
        # per token over F on [T, F] (and on [F]); over the whole sample on [C, H, W]
        self.norm = nn.LayerNorm(shape[-1:] if len(shape) <= 2 else shape, eps=layer.get('eps', 1e-5))

    def forward(self, x):
        return self.record(self.norm(x))


class RMSNorm(Op):
    """HF LlamaRMSNorm: weight · x · rsqrt(mean(x², -1) + eps), in float32."""

    def __init__(self, layer, D):
        super().__init__()
        w = torch.empty(D, 1)  # as a [D, 1] matrix, so that an init needing fans has them; ones and constants do not
        init_(w, layer.get('weight', 'ones'))
        self.weight = nn.Parameter(w[:, 0].clone())
        self.eps = layer.get('eps', 1e-6)

    def forward(self, x):
        variance = x.pow(2).mean(-1, keepdim=True)
        return self.record(self.weight * (x * torch.rsqrt(variance + self.eps)))


class Dense(Op):
    def __init__(self, layer, d_in, defaults):
        super().__init__()
        init = layer.get('init', defaults.get('init', 'pytorch_default'))
        self.lin = linear(d_in, layer['units'], init, layer.get('bias', defaults.get('bias')))
        self.act = act_fn(layer.get('activation', defaults.get('activation', 'linear')), layer.get('negative_slope', 0.01))

    def forward(self, x):
        return self.record(self.act(self.lin(x)))


class Activation(Op):
    def __init__(self, layer):
        super().__init__()
        self.act = act_fn(layer.get('activation', 'linear'), layer.get('negative_slope', 0.01))

    def forward(self, x):
        return self.record(self.act(x))


class Dropout(Op):
    def __init__(self, layer):
        super().__init__()
        self.rate = layer['rate']
        self.mask = None  # a fixed keep-mask (the cross-check with NumPy), else torch's own draw

    def forward(self, x):
        if self.mask is None:
            return self.record(F.dropout(x, self.rate, training=True))
        return self.record(x * self.mask / (1 - self.rate))


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class Attention(Op):
    """HF eager attention (Llama / GPT-NeoX / GPT-2 / BERT): q, k, v projections (or GPT-2's fused c_attn), partial
    rotary (rotate_half), repeat_kv for GQA / MQA, scaled logits, causal mask, softmax in float32, o projection."""

    def __init__(self, layer, D):
        super().__init__()
        self.H = layer['heads']
        self.KV = layer.get('kv_heads', self.H)
        self.dh = layer.get('head_dim', D // self.H)
        scale = layer.get('scale', 'inverse_sqrt')
        self.scale = 1 / math.sqrt(self.dh) if scale == 'inverse_sqrt' else 1.0 if scale == 'none' else float(scale)
        self.causal = layer.get('causal', False)
        rot = layer.get('rotary')
        self.rot = int(self.dh * rot.get('fraction', 1)) // 2 * 2 if rot is not None else 0  # GPT-NeoX rotary_ndims, even
        self.base = rot.get('base', 10000) if rot is not None else 10000
        init = layer.get('init', 'pytorch_default')
        self.fused = layer.get('fused_qkv', False)
        H, KV, dh = self.H, self.KV, self.dh
        if self.fused:
            self.c_attn = linear(D, (H + 2 * KV) * dh, init, layer.get('bias'))
        else:
            self.q_proj = linear(D, H * dh, layer.get('q_init', init), layer.get('bias'))
            self.k_proj = linear(D, KV * dh, layer.get('k_init', init), layer.get('bias'))
            self.v_proj = linear(D, KV * dh, layer.get('v_init', init), layer.get('bias'))
        oinit = layer.get('out_init', init)
        self.o_proj = linear(H * dh, D, oinit, layer['out_bias'] if 'out_bias' in layer else layer.get('bias'))

    def forward(self, x):
        B, T, _ = x.shape
        H, KV, dh = self.H, self.KV, self.dh
        if self.fused:
            q, k, v = self.c_attn(x).split([H * dh, KV * dh, KV * dh], dim=-1)
        else:
            q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        q = q.view(B, T, H, dh).transpose(1, 2)
        k = k.view(B, T, KV, dh).transpose(1, 2)
        v = v.view(B, T, KV, dh).transpose(1, 2)
        if self.rot:
            r = self.rot
            inv_freq = 1.0 / (self.base ** (torch.arange(0, r, 2).float() / r))
            freqs = torch.outer(torch.arange(T).float(), inv_freq)
            emb = torch.cat((freqs, freqs), dim=-1)
            cos, sin = emb.cos(), emb.sin()
            q = torch.cat((q[..., :r] * cos + rotate_half(q[..., :r]) * sin, q[..., r:]), dim=-1)
            k = torch.cat((k[..., :r] * cos + rotate_half(k[..., :r]) * sin, k[..., r:]), dim=-1)
        n_rep = H // KV  # HF repeat_kv
        k = k[:, :, None].expand(B, KV, n_rep, T, dh).reshape(B, H, T, dh)
        v = v[:, :, None].expand(B, KV, n_rep, T, dh).reshape(B, H, T, dh)
        S = torch.matmul(q, k.transpose(2, 3)) * self.scale
        masked = torch.triu(torch.ones(T, T, dtype=torch.bool), 1) if self.causal else torch.zeros(T, T, dtype=torch.bool)
        P = torch.softmax(S.masked_fill(masked, torch.finfo(S.dtype).min), dim=-1, dtype=torch.float32)
        y = self.o_proj(torch.matmul(P, v).transpose(1, 2).reshape(B, T, H * dh))
        with torch.no_grad():
            visible = ~masked
            self.logit_std = S[..., visible].double().std(unbiased=False).item()
            n = visible.sum(-1).double()
            Pd = P.double()
            ent = -(Pd * torch.log(Pd.clamp_min(1e-300))).sum(-1)
            rows = n > 1
            self.entropy = (ent[..., rows] / torch.log(n[rows])).mean().item()
        return self.record(y)


class GatedMLP(Op):
    """HF LlamaMLP: down(φ(gate(x)) · up(x))."""

    def __init__(self, layer, D):
        super().__init__()
        init = layer.get('init', 'pytorch_default')
        Dff = layer['hidden']
        bias = layer.get('bias', False)
        self.gate = linear(D, Dff, layer.get('gate_init', init), bias)
        self.up = linear(D, Dff, layer.get('up_init', init), bias)
        self.down = linear(Dff, D, layer.get('down_init', init), bias)
        self.act = act_fn(layer.get('activation', 'silu'))

    def forward(self, x):
        return self.record(self.down(self.act(self.gate(x)) * self.up(x)))


class LMHead(Op):
    def __init__(self, layer, D, tied_to):
        super().__init__()
        V = layer['vocab']
        self.tied_to = tied_to
        if tied_to is None:
            self.weight = nn.Parameter(torch.empty(V, D))
            init_(self.weight, layer.get('init', 'pytorch_default'))
        b = bias_spec(layer.get('bias', False), None)
        self.bias = None
        if b is not None:
            self.bias = nn.Parameter(torch.empty(V))
            init_(self.bias, b, 'bias', fan_of=torch.empty(V, D))
        self.targets = None  # fixed targets (the cross-check with NumPy), else drawn uniformly

    def forward(self, x):
        W = self.tied_to.emb.weight if self.tied_to is not None else self.weight
        logits = F.linear(x, W, self.bias)
        with torch.no_grad():
            V = logits.shape[-1]
            t = self.targets if self.targets is not None else torch.randint(0, V, logits.shape[:-1])
            self.loss = F.cross_entropy(logits.reshape(-1, V).double(), t.reshape(-1)).item()
        return self.record(logits)


class Residual(Op):
    def __init__(self, branch, act):
        super().__init__()
        self.branch = nn.ModuleList(branch)
        self.act = act

    def forward(self, x):
        y = x
        for m in self.branch:
            y = m(y)
        return self.record(self.act(x + y))


class ParallelResidual(Op):
    def __init__(self, branches):
        super().__init__()
        self.branches = nn.ModuleList(nn.ModuleList(b) for b in branches)

    def forward(self, x):
        total = x
        for br in self.branches:
            y = x
            for m in br:
                y = m(y)
            total = total + y
        return self.record(total)


class Network(nn.Module):
    """The whole network; `nodes` lists every op in the engine's execution order."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.nodes = []
        self.last_embedding = None
        inp = net['input']
        shape = ('ids', inp['tokens']) if 'tokens' in inp else list(inp['shape'])
        self.top, _ = self.build(net['layers'], shape)
        self.top = nn.ModuleList(self.top)

    def add(self, m, layer):
        m.layer_type = layer['type']
        self.nodes.append(m)
        return m

    def build(self, layers, shape):
        mods = []
        defaults = self.net.get('defaults', {})
        for layer in layers:
            t = layer['type']
            if t == 'repeat':
                for _ in range(layer['times']):
                    inner, shape = self.build(layer['layers'], shape)
                    mods += inner
                continue
            if t == 'embedding':
                m = Embedding(layer)
                self.last_embedding = m
                shape = [shape[1], layer['units']]
            elif t == 'position_embedding':
                m = PositionEmbedding(layer, shape[-1])
            elif t == 'layernorm':
                m = LayerNorm(layer, shape)
            elif t == 'rmsnorm':
                m = RMSNorm(layer, shape[-1])
            elif t == 'dense':
                m = Dense(layer, shape[-1], defaults)
                shape = shape[:-1] + [layer['units']]
            elif t == 'activation':
                m = Activation(layer)
            elif t == 'dropout':
                m = Dropout(layer)
            elif t == 'attention':
                m = Attention(layer, shape[-1])
            elif t == 'gated_mlp':
                m = GatedMLP(layer, shape[-1])
            elif t == 'lm_head':
                m = LMHead(layer, shape[-1], self.last_embedding if layer.get('tied', False) else None)
                shape = shape[:-1] + [layer['vocab']]
            elif t == 'residual':
                if layer.get('shortcut') not in (None, 'identity'):
                    raise ValueError('projection shortcuts are not supported by this interpreter')
                branch, out = self.build(layer['layers'], shape)
                assert out == shape
                m = Residual(branch, act_fn(layer.get('activation', 'linear'), layer.get('negative_slope', 0.01)))
            elif t == 'parallel_residual':
                branches = []
                for br in layer['branches']:
                    inner, out = self.build(br, shape)
                    assert out == shape
                    branches.append(inner)
                m = ParallelResidual(branches)
            else:
                raise ValueError(f'layer type {t} is not supported by this interpreter')
            mods.append(self.add(m, layer))
        return mods, shape

    def forward(self, x):
        for m in self.top:
            x = m(x)
        return x

    def make_input(self):
        inp, B = self.net['input'], self.net.get('batch_size', 64)
        if 'tokens' in inp:
            return torch.randint(0, inp['vocab'], (B, inp['tokens']))
        mean, std = inp.get('mean', 0.0), inp.get('std', 1.0)
        if inp.get('distribution', 'normal') == 'uniform':
            half = math.sqrt(3) * std
            return (torch.rand([B] + inp['shape']) * 2 - 1) * half + mean
        return torch.randn([B] + inp['shape']) * std + mean


def layer_stats(model):
    """Per node: output std and gradient std (population std over the batch), and the extra statistics."""
    out = []
    for m in model.nodes:
        s = {'type': m.layer_type, 'std': m.out.detach().double().std(unbiased=False).item(),
             'gradStd': m.out.grad.double().std(unbiased=False).item()}
        if isinstance(m, Attention):
            s['logitStd'], s['entropy'] = m.logit_std, m.entropy
        if isinstance(m, LMHead):
            s['loss'] = m.loss
        out.append(s)
    return out


def run_seed(net, seed):
    """One seed: torch's generator draws the weights, the input, the targets and the upstream noise."""
    torch.manual_seed(seed)
    model = Network(net)
    x = model.make_input()
    y = model(x)
    y.backward(torch.randn_like(y))
    return layer_stats(model)


def median(v):
    s = sorted(v)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def over_seeds(net, seeds):
    runs = [run_seed(net, s) for s in seeds]
    layers = []
    for i, first in enumerate(runs[0]):
        entry = {'type': first['type']}
        for k in STATS:
            if k in first:
                values = [r[i][k] for r in runs]
                entry[k] = {'median': median(values), 'min': min(values), 'max': max(values), 'values': values}
        layers.append(entry)
    return layers


def medians(layers):
    return [{k: v['median'] for k, v in l.items() if k != 'type'} for l in layers]


def controls(networks):
    """Networks with one deliberate mistake each, against the network they break."""
    gpt2 = copy.deepcopy(networks['gpt2'])
    n_scaled = 0
    for block in gpt2['layers']:
        if block['type'] == 'repeat':
            for res in block['layers']:
                for layer in res['layers']:
                    if layer['type'] == 'attention':
                        layer['out_init'] = layer['init']; n_scaled += 1
                    if layer['type'] == 'dense' and 'activation' not in layer:
                        layer['init'] = {'scheme': 'normal', 'std': 0.02}; n_scaled += 1
    assert n_scaled == 2
    llama = copy.deepcopy(networks['llama'])
    for block in llama['layers']:
        if block['type'] == 'repeat':
            for res in block['layers']:
                for layer in res['layers']:
                    if layer['type'] == 'attention':
                        layer['scale'] = 'none'
    return {
        'gpt2-without-c_proj-scaling': ('gpt2', gpt2, 'GPT-2 with c_proj (attention out and MLP down) at N(0, 0.02²) instead of 0.02/√(2·n_layer)'),
        'llama-unscaled-logits': ('llama', llama, 'Llama with scale "none" instead of 1/√head_dim'),
    }


def main():
    torch.set_num_threads(1)
    with open(os.path.join(HERE, 'torch_networks.json')) as f:
        networks = json.load(f)
    fixtures = {'generator': 'test/golden/make_torch_fixtures.py', 'torch': torch.__version__, 'seeds': SEEDS,
                'probeSeeds': PROBE_SEEDS, 'networks': {}, 'controls': {}}
    for name, net in networks.items():
        print(name, file=sys.stderr)
        fixtures['networks'][name] = {'layers': over_seeds(net, SEEDS), 'probe': medians(over_seeds(net, PROBE_SEEDS))}
    for name, (base, net, what) in controls(networks).items():
        print(name, file=sys.stderr)
        fixtures['controls'][name] = {'network': base, 'mistake': what, 'layers': medians(over_seeds(net, PROBE_SEEDS))}
    with open(os.path.join(HERE, 'torch_fixtures.json'), 'w') as f:
        json.dump(fixtures, f, indent=1)
        f.write('\n')
    print('wrote', os.path.relpath(os.path.join(HERE, 'torch_fixtures.json')))


if __name__ == '__main__':
    main()
