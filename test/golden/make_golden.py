#!/usr/bin/env python3
"""Golden per-layer statistics for Init Inspector's engine, computed independently with NumPy.

Re-implements, from their published definitions and not from the engine's code: the engine's seeded generators
(xoshiro128** seeded through lowbias32; Marsaglia's polar method for single draws; the chunked 4-lane bulk fills with
Box-Muller in float32 arithmetic, vectorized here over chunks and lanes, whose float32 results must match bit for bit), PyTorch's and Keras' init formulas
(torch.nn.init, keras.initializers), the forward pass (float32, like the engine) and the backward pass from standard
normal noise at the output, and the statistics (float64). Also predicts every dense layer with the mean-field recursion
using numpy's own Gauss-Hermite rule. Writes golden.json beside this file; test/engine/golden.test.ts compares the
engine against it.

    python3 test/golden/make_golden.py
"""
import json
import math
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
M32 = 0xFFFFFFFF
F32 = np.float32


# ---------------------------------------------------------------- the generator
def lowbias32(x):
    x ^= x >> 16
    x = (x * 0x7FEB352D) & M32
    x ^= x >> 15
    x = (x * 0x846CA68B) & M32
    x ^= x >> 16
    return x


def rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


class Rng:
    def __init__(self, seed, stream):
        h = lowbias32((seed & M32) ^ 0x9E3779B9)
        h = lowbias32((h + stream * 0x85EBCA6B) & M32)
        s = []
        for _ in range(4):
            h = lowbias32((h + 0x632BE5AB) & M32)
            s.append(h)
        if not any(s):
            s[0] = 1
        self.s = s
        self.spare = None

    def next_u32(self):
        s0, s1, s2, s3 = self.s
        result = (rotl((s1 * 5) & M32, 7) * 9) & M32
        t = (s1 << 9) & M32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 11)
        self.s = [s0, s1, s2, s3]
        return result

    def uniform(self):
        return (self.next_u32() >> 8) * 5.9604644775390625e-8

    def normal(self):
        if self.spare is not None:
            z, self.spare = self.spare, None
            return z
        while True:
            u = self.next_u32() * 4.656612873077393e-10 - 1
            v = self.next_u32() * 4.656612873077393e-10 - 1
            s = u * u + v * v
            if 0 < s < 1:
                break
        f = math.sqrt(-2 * math.log(s) / s)
        self.spare = v * f
        return u * f


# The bulk fills (src/engine/random/fill.ts): chunks of CHUNK values, each with 4 xoshiro128** lanes seeded from the stream
# key and (chunk, lane); normals by Box-Muller with the Cephes float32 polynomials for ln and sin/cos, every operation
# in float32 (numpy float32 arithmetic is IEEE single, with no fused multiply-add).
with open(os.path.join(HERE, '..', '..', 'src', 'engine', 'random', 'fillConstants.json')) as _f:
    FC = json.load(_f)
CHUNK = FC['CHUNK']
U32 = np.uint32


def lowbias32_v(x):
    x = x ^ (x >> U32(16))
    x = x * U32(0x7FEB352D)
    x = x ^ (x >> U32(15))
    x = x * U32(0x846CA68B)
    return x ^ (x >> U32(16))


def stream_key(seed, stream):
    h = lowbias32((seed & M32) ^ 0x9E3779B9)
    return lowbias32((h + stream * 0x85EBCA6B) & M32)


def lane_states(key, chunks):
    """xoshiro128** states, each of shape (chunks, 4): lane l of chunk c from lowbias32(key ^ (4c + l + 1)*0x27d4eb2f)."""
    idx = (np.arange(chunks, dtype=np.uint64)[:, None] * 4 + np.arange(4, dtype=np.uint64)[None, :] + 1) & M32
    h = lowbias32_v(U32(key) ^ (idx.astype(U32) * U32(0x27D4EB2F)))
    s = []
    for _ in range(4):
        h = lowbias32_v(h + U32(0x632BE5AB))
        s.append(h)
    return s


def next_v(s):
    s0, s1, s2, s3 = s
    r = s1 * U32(5)
    r = ((r << U32(7)) | (r >> U32(25))) * U32(9)
    t = s1 << U32(9)
    s2 = s2 ^ s0
    s3 = s3 ^ s1
    s1 = s1 ^ s2
    s0 = s0 ^ s3
    s2 = s2 ^ t
    s3 = (s3 << U32(11)) | (s3 >> U32(21))
    s[:] = [s0, s1, s2, s3]
    return r


def logf_v(u):
    bits = u.view(np.int32)
    e = (bits >> 23) - 127
    m = ((bits & 0x7FFFFF) | 0x3F800000).astype(np.int32).view(F32)
    big = m > F32(FC['SQRT2'])
    m = np.where(big, m * F32(0.5), m)
    e = e + big
    x = m - F32(1)
    z = x * x
    p = F32(FC['LOG_POLY'][0])
    for c in FC['LOG_POLY'][1:]:
        p = p * x + F32(c)
    y = (x * z) * p
    ef = e.astype(F32)
    y = y + ef * F32(FC['LN2_LO'])
    y = y - F32(0.5) * z
    return (x + y) + ef * F32(FC['LN2_HI'])


def sincos2pi_v(u):
    v = u * F32(4)
    q = np.floor(v + F32(0.5))
    a = (v - q) * F32(FC['HALF_PI'])
    z = a * a
    sp = (F32(FC['SIN_POLY'][0]) * z + F32(FC['SIN_POLY'][1])) * z + F32(FC['SIN_POLY'][2])
    sin = (sp * z) * a + a
    cp = (F32(FC['COS_POLY'][0]) * z + F32(FC['COS_POLY'][1])) * z + F32(FC['COS_POLY'][2])
    cos = ((cp * z) * z - F32(0.5) * z) + F32(1)
    k = q.astype(np.int64) & 3
    c = np.choose(k, [cos, -sin, -cos, sin])
    s = np.choose(k, [sin, cos, -sin, -cos])
    return c, s


def chunked(key, n, width, step):
    """Runs step(states, out_step) for each of the CHUNK // width steps of every chunk at once; the first n values."""
    chunks = max(1, -(-n // CHUNK))
    s = lane_states(key, chunks)
    out = np.empty((chunks, CHUNK // width, width), dtype=F32)
    for i in range(CHUNK // width):
        step(s, out[:, i, :])
    return out.reshape(-1)[:n]


def fill_normal(key, n, mean, std):
    def step(s, out):
        u1 = (((next_v(s) >> U32(8)) + U32(1)).astype(F32)) * F32(2.0 ** -24)
        u2 = ((next_v(s) >> U32(8)).astype(F32)) * F32(2.0 ** -24)
        r = np.sqrt(logf_v(u1) * F32(-2))
        c, sn = sincos2pi_v(u2)
        out[:, :4] = F32(mean) + F32(std) * (r * c)
        out[:, 4:] = F32(mean) + F32(std) * (r * sn)
    return chunked(key, n, 8, step)


def fill_uniform(key, n, low, high):
    def step(s, out):
        u = ((next_v(s) >> U32(8)).astype(F32)) * F32(2.0 ** -24)
        out[:, :] = F32(low) + F32(high - low) * u
    return chunked(key, n, 4, step)


STREAM_INPUT, STREAM_UPSTREAM = 0xFFFFFFF0, 0xFFFFFFF1


def stream_weight(i): return (i * 4 + 1) & M32
def stream_bias(i): return (i * 4 + 2) & M32
def stream_dropout(i): return (i * 4 + 3) & M32


# ---------------------------------------------------------------- torch.nn.init / keras.initializers
def calculate_gain(nonlinearity, param=None):
    if nonlinearity in ('linear', 'conv2d', 'sigmoid'):
        return 1.0
    if nonlinearity == 'tanh':
        return 5.0 / 3
    if nonlinearity == 'relu':
        return math.sqrt(2.0)
    if nonlinearity == 'leaky_relu':
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == 'selu':
        return 3.0 / 4
    raise ValueError(nonlinearity)


def fans(shape):
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


ALIASES = {'glorot_uniform': 'xavier_uniform', 'glorot_normal': 'xavier_normal', 'he_uniform': 'kaiming_uniform',
           'he_normal': 'kaiming_normal', 'msra': 'kaiming_normal'}


def init_distribution(spec, shape, role):
    """(kind, params) for an init spec, following the PyTorch / Keras docs."""
    if isinstance(spec, str):
        spec = {'scheme': spec}
    scheme = ALIASES.get(spec['scheme'], spec['scheme'])
    fan_in, fan_out = fans(shape)
    if scheme == 'zeros':
        return ('constant', 0.0)
    if scheme == 'ones':
        return ('constant', 1.0)
    if scheme == 'constant':
        return ('constant', spec['value'])
    if scheme == 'normal':
        return ('normal', spec.get('mean', 0.0), spec.get('std', 1.0))
    if scheme == 'uniform':
        return ('uniform', spec.get('low', 0.0), spec.get('high', 1.0))
    if scheme == 'truncated_normal':
        return ('trunc', spec.get('mean', 0.0), spec.get('std', 1.0), spec.get('a', -2.0), spec.get('b', 2.0))
    if scheme in ('xavier_normal', 'xavier_uniform'):
        std = spec.get('gain', 1.0) * math.sqrt(2.0 / (fan_in + fan_out))
        return ('normal', 0.0, std) if scheme == 'xavier_normal' else ('uniform', -math.sqrt(3) * std, math.sqrt(3) * std)
    if scheme in ('kaiming_normal', 'kaiming_uniform'):
        nl = spec.get('nonlinearity', 'leaky_relu')
        gain = calculate_gain(nl, spec.get('a', 0.0) if nl == 'leaky_relu' else None)
        std = gain / math.sqrt(fan_in if spec.get('mode', 'fan_in') == 'fan_in' else fan_out)
        return ('normal', 0.0, std) if scheme == 'kaiming_normal' else ('uniform', -math.sqrt(3) * std, math.sqrt(3) * std)
    if scheme == 'lecun_normal':
        s = math.sqrt(1.0 / fan_in) / 0.87962566103423978
        return ('trunc', 0.0, s, -2 * s, 2 * s)
    if scheme == 'lecun_uniform':
        limit = math.sqrt(3.0 / fan_in)
        return ('uniform', -limit, limit)
    if scheme == 'variance_scaling':
        mode = spec.get('mode', 'fan_in')
        n = fan_in if mode == 'fan_in' else fan_out if mode == 'fan_out' else (fan_in + fan_out) / 2
        var = spec.get('scale', 1.0) / max(1.0, n)
        dist = spec.get('distribution', 'truncated_normal')
        if dist == 'uniform':
            return ('uniform', -math.sqrt(3 * var), math.sqrt(3 * var))
        if dist == 'untruncated_normal':
            return ('normal', 0.0, math.sqrt(var))
        s = math.sqrt(var) / 0.87962566103423978
        return ('trunc', 0.0, s, -2 * s, 2 * s)
    if scheme == 'orthogonal':
        return ('orthogonal', spec.get('gain', 1.0))
    if scheme == 'pytorch_default':
        bound = 1 / math.sqrt(fan_in)
        return ('uniform', -bound, bound)
    if scheme == 'keras_default':
        if role == 'bias':
            return ('constant', 0.0)
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        return ('uniform', -limit, limit)
    raise ValueError(scheme)


def sample(spec, shape, role, seed, stream, count, rows, cols):
    d = init_distribution(spec, shape, role)
    kind = d[0]
    mult = (spec.get('multiplier', 1) if isinstance(spec, dict) else 1)
    if kind == 'constant':
        return np.full(count, d[1] * mult, dtype=F32)
    if kind == 'normal':
        return fill_normal(stream_key(seed, stream), count, d[1] * mult, d[2] * mult)
    if kind == 'uniform':
        return fill_uniform(stream_key(seed, stream), count, d[1] * mult, d[2] * mult)
    rng = Rng(seed, stream)
    out = np.empty(count, dtype=F32)
    if kind == 'trunc':
        # Rejection on the bulk fill (the engine uses it while [a, b] holds >= 30% of the mass, as in these networks):
        # the first `count` float32 draws inside [a, b], in rounds of 4*(count - kept) + 64 draws.
        _, mean, std, a, b = d
        key = stream_key(seed, stream)
        kept, r = [], 0
        while len(kept) < count:
            k = key if r == 0 else lowbias32((key ^ ((r * 0x9E3779B9) & M32)) & M32)
            v = fill_normal(k, 4 * (count - len(kept)) + 64, mean, std)
            v64 = v.astype(np.float64)
            kept.extend(v[(v64 >= a) & (v64 <= b)][:count - len(kept)])
            r += 1
        out[:] = kept
    elif kind == 'orthogonal':
        transpose = rows < cols
        m, n = (cols, rows) if transpose else (rows, cols)
        flat = np.array([rng.normal() for _ in range(m * n)])
        a = flat.reshape(n, m).T
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        w = (q.T if transpose else q) * d[1]
        out[:] = w.reshape(-1)
    if mult != 1:
        out = (out.astype(np.float64) * mult).astype(F32)
    return out


# ---------------------------------------------------------------- activations (torch.nn.functional)
SELU_L, SELU_A = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717


def phi(name, x, slope):
    x = x.astype(np.float64)
    if name == 'linear': return x
    if name == 'tanh': return np.tanh(x)
    if name == 'relu': return np.where(x > 0, x, 0.0)
    if name == 'leaky_relu': return np.where(x > 0, x, slope * x)
    if name == 'sigmoid': return 1 / (1 + np.exp(-x))
    if name == 'gelu': return x * 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
    if name == 'silu': return x / (1 + np.exp(-x))
    if name == 'elu': return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))
    if name == 'selu': return np.where(x > 0, SELU_L * x, SELU_L * SELU_A * np.expm1(np.minimum(x, 0)))
    if name == 'softplus': return np.where(x > 20, x, np.log1p(np.exp(np.minimum(x, 20))))
    raise ValueError(name)


def dphi(name, x, slope):
    x = x.astype(np.float64)
    s = 1 / (1 + np.exp(-x))
    if name == 'linear': return np.ones_like(x)
    if name == 'tanh': return 1 - np.tanh(x) ** 2
    if name == 'relu': return (x > 0).astype(np.float64)
    if name == 'leaky_relu': return np.where(x > 0, 1.0, slope)
    if name == 'sigmoid': return s * (1 - s)
    if name == 'gelu': return 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2))) + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    if name == 'silu': return s + x * s * (1 - s)
    if name == 'elu': return np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)))
    if name == 'selu': return np.where(x > 0, SELU_L, SELU_L * SELU_A * np.exp(np.minimum(x, 0)))
    if name == 'softplus': return np.where(x > 20, 1.0, s)
    raise ValueError(name)


# ---------------------------------------------------------------- the network
class Ctx:
    def __init__(self, net):
        self.net = net
        self.seed = net.get('seed', 0)
        self.batch = net.get('batch_size', 64)
        self.defaults = net.get('defaults', {})
        self.counter = 0
        self.stats = {}


def conv_geometry(layer, shape):
    c, h, w = shape
    k = layer['kernel_size']; kh, kw = (k, k) if isinstance(k, int) else k
    s = layer.get('stride', 1); sh, sw = (s, s) if isinstance(s, int) else s
    p = layer.get('padding', 'valid')
    if p == 'same':
        oh, ow = -(-h // sh), -(-w // sw)
        pt = max((oh - 1) * sh + kh - h, 0) // 2
        pl = max((ow - 1) * sw + kw - w, 0) // 2
        pb = max((oh - 1) * sh + kh - h, 0) - pt
        pr = max((ow - 1) * sw + kw - w, 0) - pl
    else:
        ph, pw = (0, 0) if p == 'valid' else ((p, p) if isinstance(p, int) else p)
        pt, pl, pb, pr = ph, pw, ph, pw
        oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    return dict(c=c, h=h, w=w, kh=kh, kw=kw, sh=sh, sw=sw, pt=pt, pl=pl, pb=pb, pr=pr, oh=oh, ow=ow)


def im2col(x, g):
    """x [B, C, H, W] -> cols [B, C*kh*kw, oh*ow] (zero padding)."""
    B = x.shape[0]
    xp = np.zeros((B, g['c'], g['h'] + g['pt'] + g['pb'] + g['kh'], g['w'] + g['pl'] + g['pr'] + g['kw']), dtype=x.dtype)
    xp[:, :, g['pt']:g['pt'] + g['h'], g['pl']:g['pl'] + g['w']] = x
    cols = np.empty((B, g['c'], g['kh'], g['kw'], g['oh'], g['ow']), dtype=x.dtype)
    for i in range(g['kh']):
        for j in range(g['kw']):
            cols[:, :, i, j] = xp[:, :, i:i + g['sh'] * g['oh']:g['sh'], j:j + g['sw'] * g['ow']:g['sw']]
    return cols.reshape(B, g['c'] * g['kh'] * g['kw'], g['oh'] * g['ow'])


def col2im(cols, g, B):
    cols = cols.reshape(B, g['c'], g['kh'], g['kw'], g['oh'], g['ow'])
    xp = np.zeros((B, g['c'], g['h'] + g['pt'] + g['pb'] + g['kh'], g['w'] + g['pl'] + g['pr'] + g['kw']), dtype=np.float64)
    for i in range(g['kh']):
        for j in range(g['kw']):
            xp[:, :, i:i + g['sh'] * g['oh']:g['sh'], j:j + g['sw'] * g['ow']:g['sw']] += cols[:, :, i, j]
    return xp[:, :, g['pt']:g['pt'] + g['h'], g['pl']:g['pl'] + g['w']]


def out_stats(pre, out, act, batch):
    o = out.astype(np.float64)
    p = pre.astype(np.float64)
    st = dict(preMean=p.mean(), preStd=p.std(), mean=o.mean(), std=o.std(), min=o.min(), max=o.max(), saturated=0.0, dead=0.0)
    if act == 'tanh':
        st['saturated'] = float(np.mean(np.abs(out) > 0.99))
    if act == 'sigmoid':
        st['saturated'] = float(np.mean((out > 0.99) | (out < 0.01)))
    if act in ('relu', 'leaky_relu'):
        st['dead'] = float(np.mean(np.all(pre.reshape(batch, -1) <= 0, axis=0)))
    return st


def plan(layers, ctx, shape):
    """Expands repeats and numbers the layers in execution order; returns (nodes, out shape)."""
    nodes = []
    for layer in layers:
        if layer['type'] == 'repeat':
            for _ in range(layer['times']):
                inner, shape = plan(layer['layers'], ctx, shape)
                nodes += inner
            continue
        node = dict(layer=layer, in_shape=shape)
        t = layer['type']
        if t == 'residual':
            node['branch'], out = plan(layer['layers'], ctx, shape)
            sc = layer.get('shortcut')
            node['projection'] = None
            if isinstance(sc, dict) and sc.get('type') == 'projection':
                if len(shape) == 1:
                    proj = dict(layer={'type': 'dense', 'units': out[0], 'init': sc.get('init', 'pytorch_default'), 'bias': sc.get('bias', False)}, in_shape=shape)
                else:
                    proj = dict(layer={'type': 'conv2d', 'filters': out[0], 'kernel_size': 1, 'stride': [shape[1] // out[1], shape[2] // out[2]],
                                       'init': sc.get('init', 'pytorch_default'), 'bias': sc.get('bias', False)}, in_shape=shape)
                proj['index'] = ctx.counter; ctx.counter += 1
                proj['out_shape'] = out
                node['projection'] = proj
            shape = out
        elif t == 'dense':
            shape = [layer['units']]
        elif t == 'conv2d':
            node['geometry'] = g = conv_geometry(layer, shape)
            shape = [layer['filters'], g['oh'], g['ow']]
        elif t == 'flatten':
            shape = [int(np.prod(shape))]
        elif t == 'global_avg_pool':
            shape = [shape[0]]
        elif t in ('maxpool2d', 'avgpool2d'):
            k = layer['size']; kh, kw = (k, k) if isinstance(k, int) else k
            s = layer.get('stride', layer['size']); sh, sw = (s, s) if isinstance(s, int) else s
            node['pool'] = (kh, kw, sh, sw)
            shape = [shape[0], (shape[1] - kh) // sh + 1, (shape[2] - kw) // sw + 1]
        node['index'] = ctx.counter; ctx.counter += 1
        node['out_shape'] = shape
        nodes.append(node)
    return nodes, shape


def weight_of(node, ctx):
    layer = node['layer']
    if layer['type'] == 'dense':
        shape = [layer['units'], node['in_shape'][0]]
    else:
        g = node.get('geometry') or conv_geometry(layer, node['in_shape'])
        node['geometry'] = g
        shape = [layer['filters'], node['in_shape'][0], g['kh'], g['kw']]
    init = layer.get('init', ctx.defaults.get('init', 'pytorch_default'))
    rows, cols = shape[0], int(np.prod(shape[1:]))
    w = sample(init, shape, 'weight', ctx.seed, stream_weight(node['index']), rows * cols, rows, cols).reshape(rows, cols)
    bias = layer.get('bias', ctx.defaults.get('bias', 'pytorch_default' if init == 'pytorch_default' else 'zeros'))
    b = None
    if bias is not False:
        if bias is True:
            bias = 'zeros'
        b = sample(bias, shape, 'bias', ctx.seed, stream_bias(node['index']), rows, 1, rows)
    return w, b


def activation_of(node, ctx):
    layer = node['layer']
    if layer['type'] in ('dense', 'conv2d'):
        return layer.get('activation', ctx.defaults.get('activation', 'linear')), layer.get('negative_slope', 0.01)
    return layer.get('activation', 'linear'), layer.get('negative_slope', 0.01)


def forward(nodes, x, ctx):
    for node in nodes:
        x = forward_node(node, x, ctx)
    return x


def forward_node(node, x, ctx):
    B = ctx.batch
    layer = node['layer']
    t = layer['type']
    node['x'] = x
    act, slope = activation_of(node, ctx)
    extra = {}
    if t in ('dense', 'conv2d'):
        w, b = weight_of(node, ctx)
        if t == 'dense':
            pre = (x @ w.T).astype(F32)
        else:
            cols = im2col(x.reshape([B] + node['in_shape']), node['geometry'])
            pre = np.einsum('fk,bkp->bfp', w, cols).astype(F32).reshape(B, -1)
        if b is not None:
            per = pre.shape[1] // w.shape[0]
            pre = (pre + np.repeat(b, per)[None, :]).astype(F32)
        out = phi(act, pre, slope).astype(F32)
        bits = np.concatenate([w.view(np.int32), (b.view(np.int32)[:, None] if b is not None else np.zeros((w.shape[0], 0), np.int32))], axis=1)
        extra = dict(distinct=len({r.tobytes() for r in bits}), weightStd=float(w.astype(np.float64).std()))
    elif t == 'activation':
        pre = x
        out = phi(act, x, slope).astype(F32)
    elif t == 'flatten':
        pre = out = x
    elif t == 'dropout':
        rng = Rng(ctx.seed, stream_dropout(node['index']))
        keep = 1 - layer['rate']
        mask = np.array([rng.uniform() < keep for _ in range(x.size)]).reshape(x.shape)
        node['mask'] = mask
        pre = out = np.where(mask, x / F32(keep), 0).astype(F32)
    elif t in ('batchnorm', 'layernorm'):
        eps = layer.get('eps', 1e-5)
        x64 = x.astype(np.float64)
        if t == 'layernorm':
            axes = (1,); xr = x64
        else:
            c = node['in_shape'][0]
            xr = x64.reshape(B, c, -1); axes = (0, 2)
        mean = xr.mean(axis=axes, keepdims=True)
        inv = 1 / np.sqrt(xr.var(axis=axes, keepdims=True) + eps)
        node['norm'] = (axes, inv)
        pre = out = ((xr - mean) * inv).astype(F32).reshape(B, -1)
    elif t in ('maxpool2d', 'avgpool2d', 'global_avg_pool'):
        c, h, wd = node['in_shape']
        kh, kw, sh, sw = node.get('pool', (h, wd, 1, 1))
        oh, ow = (node['out_shape'][1], node['out_shape'][2]) if t != 'global_avg_pool' else (1, 1)
        x4 = x.reshape(B, c, h, wd)
        win = np.stack([x4[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw] for i in range(kh) for j in range(kw)], axis=-1)
        node['pool_geom'] = (c, h, wd, kh, kw, sh, sw, oh, ow)
        if t == 'maxpool2d':
            node['argmax'] = win.argmax(axis=-1)
            out = win.max(axis=-1)
        else:
            out = win.astype(np.float64).sum(axis=-1) / (kh * kw)
        pre = out = out.astype(F32).reshape(B, -1)
    elif t == 'residual':
        branch = forward(node['branch'], x, ctx)
        sc = forward_node(node['projection'], x, ctx) if node['projection'] else x
        pre = (sc + branch).astype(F32)
        out = phi(act, pre, slope).astype(F32)
    node['pre'], node['out'] = pre, out
    st = out_stats(pre, out, act if t not in ('flatten', 'dropout', 'batchnorm', 'layernorm', 'maxpool2d', 'avgpool2d', 'global_avg_pool') else 'linear', B)
    st.update(extra)
    ctx.stats[node['index']] = st
    return out


def backward(nodes, dy, ctx):
    for node in reversed(nodes):
        dy = backward_node(node, dy, ctx)
    return dy


def backward_node(node, dy, ctx):
    B = ctx.batch
    layer = node['layer']
    t = layer['type']
    st = ctx.stats[node['index']]
    st['gradStd'] = float(dy.astype(np.float64).std())
    act, slope = activation_of(node, ctx)
    x = node['x']
    if t in ('dense', 'conv2d'):
        w, _ = weight_of(node, ctx)
        dpre = (dy * dphi(act, node['pre'], slope)).astype(F32)
        if t == 'dense':
            dw = dpre.T.astype(np.float64) @ x.astype(np.float64)
            dx = (dpre @ w).astype(F32)
        else:
            g = node['geometry']
            cols = im2col(x.reshape([B] + node['in_shape']), g).astype(np.float64)
            dp = dpre.reshape(B, w.shape[0], -1).astype(np.float64)
            dw = np.einsum('bfp,bkp->fk', dp, cols)
            dcols = np.einsum('fk,bfp->bkp', w.astype(np.float64), dp)
            dx = col2im(dcols, g, B).astype(F32).reshape(B, -1)
        st['weightGradStd'] = float(dw.std())
        return dx
    if t == 'activation':
        return (dy * dphi(act, x, slope)).astype(F32)
    if t == 'flatten':
        return dy
    if t == 'dropout':
        return np.where(node['mask'], dy / F32(1 - layer['rate']), 0).astype(F32)
    if t in ('batchnorm', 'layernorm'):
        axes, inv = node['norm']
        shape = (B, -1) if t == 'layernorm' else (B, node['in_shape'][0], -1)
        d = dy.astype(np.float64).reshape(shape)
        xh = node['out'].astype(np.float64).reshape(shape)
        dx = inv * (d - d.mean(axis=axes, keepdims=True) - xh * (d * xh).mean(axis=axes, keepdims=True))
        return dx.astype(F32).reshape(B, -1)
    if t in ('maxpool2d', 'avgpool2d', 'global_avg_pool'):
        c, h, wd, kh, kw, sh, sw, oh, ow = node['pool_geom']
        d = dy.astype(np.float64).reshape(B, c, oh, ow)
        dx = np.zeros((B, c, h, wd))
        for i in range(kh):
            for j in range(kw):
                k = i * kw + j
                share = np.where(node['argmax'] == k, d, 0) if t == 'maxpool2d' else d / (kh * kw)
                dx[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw] += share
        return dx.astype(F32).reshape(B, -1)
    if t == 'residual':
        dsum = (dy * dphi(act, node['pre'], slope)).astype(F32)
        db = backward(node['branch'], dsum, ctx)
        ds = backward_node(node['projection'], dsum, ctx) if node['projection'] else dsum
        return (db + ds).astype(F32)
    raise ValueError(t)


# ---------------------------------------------------------------- mean field for chains of dense layers
def mean_field_dense(net):
    """q_l = fanIn·Var(W)·E[x²] + Var(b); output moments by the trapezoid rule on a fine grid over ±12σ (a different
    quadrature from the engine's Gauss-Hermite and closed forms, exact to about 1e-9 even at ReLU's kink)."""
    grid = np.linspace(-12, 12, 480001)
    density = np.exp(-grid * grid / 2) / math.sqrt(2 * math.pi)
    second = net['input'].get('std', 1.0) ** 2 + net['input'].get('mean', 0.0) ** 2
    preds = []
    fan_in = net['input']['shape'][0]
    for layer in net['layers']:
        shape = [layer['units'], fan_in]
        d = init_distribution(layer['init'], shape, 'weight')
        var_w = {'normal': lambda: d[2] ** 2, 'uniform': lambda: (d[2] - d[1]) ** 2 / 12}[d[0]]()
        q = fan_in * var_w * second
        y = phi(layer.get('activation', 'linear'), math.sqrt(q) * grid, layer.get('negative_slope', 0.01))
        mean = np.trapezoid(y * density, grid)
        second = np.trapezoid(y * y * density, grid)
        preds.append(math.sqrt(second - mean ** 2))
        fan_in = layer['units']
    return preds


def run(net):
    ctx = Ctx(net)
    nodes, _ = plan(net['layers'], ctx, net['input']['shape'])
    inp = net['input']
    n = ctx.batch * int(np.prod(inp['shape']))
    key = stream_key(ctx.seed, STREAM_INPUT)
    if inp.get('distribution', 'normal') == 'uniform':
        half = math.sqrt(3) * inp.get('std', 1.0)
        x = fill_uniform(key, n, inp.get('mean', 0.0) - half, inp.get('mean', 0.0) + half)
    else:
        x = fill_normal(key, n, inp.get('mean', 0.0), inp.get('std', 1.0))
    out = forward(nodes, x.reshape(ctx.batch, -1), ctx)
    up = fill_normal(stream_key(ctx.seed, STREAM_UPSTREAM), out.size, 0.0, 1.0).reshape(out.shape)
    backward(nodes, up, ctx)
    return [ctx.stats[i] for i in range(ctx.counter)]


def main():
    with open(os.path.join(HERE, 'networks.json')) as f:
        networks = json.load(f)
    golden = {'generator': 'test/golden/make_golden.py', 'numpy': np.__version__, 'networks': {}}
    for name, net in networks.items():
        golden['networks'][name] = {'layers': run(net)}
    lecture = {'input': {'shape': [4096]}, 'layers': [{'type': 'dense', 'units': 4096, 'activation': 'tanh', 'init': {'scheme': 'normal', 'std': 0.01}}] * 6}
    kaiming = {'input': {'shape': [4096]}, 'layers': [{'type': 'dense', 'units': 4096, 'activation': 'relu', 'init': {'scheme': 'kaiming_normal', 'nonlinearity': 'relu'}}] * 6}
    xavier = {'input': {'shape': [4096]}, 'layers': [{'type': 'dense', 'units': 4096, 'activation': 'tanh', 'init': 'xavier_normal'}] * 6}
    # Bulk fills, compared bit for bit: values around the chunk edges and at a few places inside.
    picks = [0, 1, 2, 7, 8, 4095, 8191, 8192, 8193, 16383, 16384, 20000, 29999]
    normal = fill_normal(stream_key(12345, 77), 30000, 0.25, 3.0)
    uniform = fill_uniform(stream_key(12345, 78), 30000, -2.0, 5.0)
    golden['fills'] = {
        'normal': {'seed': 12345, 'stream': 77, 'n': 30000, 'mean': 0.25, 'std': 3.0, 'at': picks, 'values': [float(normal[i]) for i in picks],
                   'sampleMean': float(normal.astype(np.float64).mean()), 'sampleStd': float(normal.astype(np.float64).std())},
        'uniform': {'seed': 12345, 'stream': 78, 'n': 30000, 'low': -2.0, 'high': 5.0, 'at': picks, 'values': [float(uniform[i]) for i in picks],
                    'sampleMean': float(uniform.astype(np.float64).mean()), 'sampleStd': float(uniform.astype(np.float64).std())},
    }
    golden['meanField'] = {'tanh-0.01-randn': mean_field_dense(lecture), 'kaiming-relu': mean_field_dense(kaiming), 'xavier-tanh': mean_field_dense(xavier)}
    with open(os.path.join(HERE, 'golden.json'), 'w') as f:
        json.dump(golden, f, indent=1, default=float)
        f.write('\n')
    print('wrote', os.path.relpath(os.path.join(HERE, 'golden.json')))


if __name__ == '__main__':
    main()
