#!/usr/bin/env python3
"""Golden per-layer statistics for Init Inspector's engine, computed independently with NumPy.

Re-implements, from their published definitions and not from the engine's code: the engine's seeded generators
(xoshiro128** seeded through lowbias32; Marsaglia's polar method for single draws; the chunked 4-lane bulk fills with
Box-Muller in float32 arithmetic, vectorized here over chunks and lanes, whose float32 results must match bit for bit), PyTorch's and Keras' init formulas
(torch.nn.init, keras.initializers), the forward pass (float32, like the engine) and the backward pass from standard
normal noise at the output, and the statistics (float64). Also predicts every dense layer with the mean-field recursion
using numpy's own Gauss-Hermite rule. Writes golden.json beside this file; test/engine/golden.test.ts compares the
engine against it.

The transformer ops of issue 12 (token-id inputs, embedding, position_embedding, rmsnorm, attention with MHA / MQA /
GQA, causal masks, rotary and fused qkv, gated_mlp, lm_head, parallel_residual, gelu_new, and dense / dropout /
layernorm on [T, F] sequences) follow PyTorch's and Hugging Face's published definitions; gradcheck_transformer.py
checks their backward passes by central differences, and crosscheck_torch_numpy.py runs the same networks through
real PyTorch with the same weights (make_torch_fixtures.py's interpreter).

The ops Keras models need: multiply (branches multiplied, a per-channel or per-feature factor broadcast by NumPy's
rules, its gradient summed over the broadcast axes: squeeze-and-excitation), reshape with order channels_last (Keras'
(H, W, C) order), to_sequence (x.flatten(2).transpose(1, 2)) and to_feature_map (x.transpose(1, 2)[:, :, None]).

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
    steps = CHUNK // width if chunks > 1 else -(-n // width)  # a single chunk stops after its first n values
    out = np.empty((chunks, steps, width), dtype=F32)
    for i in range(steps):
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


STREAM_INPUT, STREAM_UPSTREAM, STREAM_TARGETS = 0xFFFFFFF0, 0xFFFFFFF1, 0xFFFFFFF2


def stream_weight(i): return (i * 4 + 1) & M32
def stream_bias(i): return (i * 4 + 2) & M32
def stream_dropout(i): return (i * 4 + 3) & M32
def stream_part_weight(i, p): return (0x80000000 + 16 * i + 2 * p) & M32
def stream_part_bias(i, p): return (0x80000000 + 16 * i + 2 * p + 1) & M32


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
GELU_C, GELU_K = math.sqrt(2 / math.pi), 0.044715  # gelu_new: GPT-2's tanh approximation (HF NewGELUActivation)


def phi(name, x, slope):
    x = x.astype(np.float64)
    if name == 'linear': return x
    if name == 'tanh': return np.tanh(x)
    if name == 'relu': return np.where(x > 0, x, 0.0)
    if name == 'leaky_relu': return np.where(x > 0, x, slope * x)
    if name == 'sigmoid': return 1 / (1 + np.exp(-x))
    if name == 'gelu': return x * 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
    if name == 'gelu_new': return 0.5 * x * (1 + np.tanh(GELU_C * (x + GELU_K * x ** 3)))
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
    if name == 'gelu_new':
        th = np.tanh(GELU_C * (x + GELU_K * x ** 3))
        return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * GELU_C * (1 + 3 * GELU_K * x * x)
    if name == 'silu': return s + x * s * (1 - s)
    if name == 'elu': return np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)))
    if name == 'selu': return np.where(x > 0, SELU_L, SELU_L * SELU_A * np.exp(np.minimum(x, 0)))
    if name == 'softplus': return np.where(x > 20, 1.0, s)
    raise ValueError(name)


# ---------------------------------------------------------------- transformer ops (PyTorch / Hugging Face definitions)
# Pure float64 functions of float32-valued arrays; the nodes below round their outputs to float32 like the engine.
# Every backward pass here is checked against central differences of its forward pass by gradcheck_transformer.py.
def table_init(spec):
    """nn.Embedding.reset_parameters draws N(0, 1): its PyTorch default, unlike nn.Linear's kaiming_uniform(a=√5)."""
    if spec == 'pytorch_default':
        return {'scheme': 'normal', 'mean': 0.0, 'std': 1.0}
    if isinstance(spec, dict) and spec.get('scheme') == 'pytorch_default':
        return dict(spec, scheme='normal', mean=0.0, std=1.0)
    return spec


def bias_init(bias, weight_init):
    """A bias field: absent = pytorch_default beside a pytorch_default weight, else zeros; true = zeros; false = none."""
    if bias is None:
        bias = 'pytorch_default' if weight_init == 'pytorch_default' else 'zeros'
    if bias is False:
        return None
    return 'zeros' if bias is True else bias


def draw(spec, shape, seed, stream):
    """A weight of `shape` [out, in] as float64 values of its float32 draws."""
    rows, cols = shape[0], int(np.prod(shape[1:]))
    return sample(spec, shape, 'weight', seed, stream, rows * cols, rows, cols).astype(np.float64).reshape(shape)


def draw_bias(spec, weight_shape, seed, stream):
    """A bias of weight_shape[0] values, with the fans of its weight (as nn.Linear's bias bound 1/√fan_in)."""
    if spec is None:
        return None
    n = weight_shape[0]
    return sample(spec, weight_shape, 'bias', seed, stream, n, 1, n).astype(np.float64)


def rope_tables(T, r, base):
    """θ[t, j] = t·base^(−2j/r), j < r/2 (GPT-NeoX / Llama rotary embedding)."""
    inv_freq = float(base) ** (-np.arange(0, r, 2, dtype=np.float64) / r)
    theta = np.arange(T, dtype=np.float64)[:, None] * inv_freq[None, :]
    return np.cos(theta), np.sin(theta)


def rope(x, cos, sin, r, sign=1.0):
    """HF apply_rotary_pos_emb on the first r dims of x [..., T, dh]: x·cos + rotate_half(x)·sin, where rotate_half
    (x1, x2) = (−x2, x1). sign = −1 rotates back (the transpose of the rotation, for the backward pass)."""
    h = r // 2
    x1, x2 = x[..., :h], x[..., h:r]
    out = x.copy()
    out[..., :h] = x1 * cos - sign * x2 * sin
    out[..., h:r] = x2 * cos + sign * x1 * sin
    return out


def attention_forward(x, prm, cfg):
    """Multi-head self-attention (Vaswani et al. 2017; HF GPT-2 / BERT / Llama): x [B, T, D] → y [B, T, D].
    prm: Wq [H·dh, D], Wk, Wv [KV·dh, D], Wo [D, H·dh] and biases bq, bk, bv, bo (None = none). Head h reads kv head
    h // (H/KV) (HF repeat_kv); S = scale·q·kᵀ, −inf above the diagonal when causal, P = softmax(S), y = concat(P·v)·Woᵀ + bo."""
    B, T, _ = x.shape
    H, KV, dh, r = cfg['heads'], cfg['kv_heads'], cfg['head_dim'], cfg['rotary_dims']

    def project(w, b, n):
        y = x @ w.T
        if b is not None:
            y = y + b
        return y.reshape(B, T, n, dh).transpose(0, 2, 1, 3)

    q, k, v = project(prm['Wq'], prm['bq'], H), project(prm['Wk'], prm['bk'], KV), project(prm['Wv'], prm['bv'], KV)
    if r:
        cos, sin = rope_tables(T, r, cfg['rotary_base'])
        q, k = rope(q, cos, sin, r), rope(k, cos, sin, r)
    rep = H // KV
    kr, vr = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)
    S = cfg['scale'] * (q @ kr.transpose(0, 1, 3, 2))
    mask = np.triu(np.ones((T, T), dtype=bool), 1) if cfg['causal'] else np.zeros((T, T), dtype=bool)
    Sm = np.where(mask, -np.inf, S)
    P = np.exp(Sm - Sm.max(axis=-1, keepdims=True))
    P /= P.sum(axis=-1, keepdims=True)
    cat = (P @ vr).transpose(0, 2, 1, 3).reshape(B, T, H * dh)
    y = cat @ prm['Wo'].T
    if prm['bo'] is not None:
        y = y + prm['bo']
    return y, dict(x=x, q=q, kr=kr, vr=vr, S=S, P=P, mask=mask, cat=cat)


def attention_backward(dy, prm, cfg, c):
    """dL/dx (and the weight gradients) of attention_forward; softmax: dS = P ⊙ (dP − Σ_j dP·P)."""
    B, T, _ = dy.shape
    H, KV, dh, r = cfg['heads'], cfg['kv_heads'], cfg['head_dim'], cfg['rotary_dims']
    rep = H // KV
    g = {'Wo': np.einsum('bto,bti->oi', dy, c['cat']), 'bo': dy.sum(axis=(0, 1))}
    dO = (dy @ prm['Wo']).reshape(B, T, H, dh).transpose(0, 2, 1, 3)
    dP = dO @ c['vr'].transpose(0, 1, 3, 2)
    dvr = c['P'].transpose(0, 1, 3, 2) @ dO
    dS = c['P'] * (dP - (dP * c['P']).sum(axis=-1, keepdims=True))
    dq = cfg['scale'] * (dS @ c['kr'])
    dkr = cfg['scale'] * (dS.transpose(0, 1, 3, 2) @ c['q'])
    dk = dkr.reshape(B, KV, rep, T, dh).sum(axis=2)
    dv = dvr.reshape(B, KV, rep, T, dh).sum(axis=2)
    if r:
        cos, sin = rope_tables(T, r, cfg['rotary_base'])
        dq, dk = rope(dq, cos, sin, r, -1.0), rope(dk, cos, sin, r, -1.0)
    dx = np.zeros_like(c['x'])
    for name, d, n in (('q', dq, H), ('k', dk, KV), ('v', dv, KV)):
        d = d.transpose(0, 2, 1, 3).reshape(B, T, n * dh)
        dx += d @ prm['W' + name]
        g['W' + name] = np.einsum('bto,bti->oi', d, c['x'])
        g['b' + name] = d.sum(axis=(0, 1))
    return dx, g


def attention_statistics(c):
    """logitStd: std of the scaled logits S over every unmasked entry; entropy: mean over the rows with more than one
    visible key of H(P_i)/ln(visible_i)."""
    visible = ~c['mask']
    S = c['S'][..., visible]
    n_vis = visible.sum(axis=1)
    P = c['P']
    H = -np.where(P > 0, P * np.log(np.where(P > 0, P, 1.0)), 0.0).sum(axis=-1)
    rows = n_vis > 1
    return dict(logitStd=float(S.std()), entropy=float((H[..., rows] / np.log(n_vis[rows])).mean()))


def gated_mlp_forward(x, prm, act):
    """y = down(φ(gate(x)) ⊙ up(x)) (Shazeer 2020, GLU variants; HF LlamaMLP)."""
    gate = x @ prm['Wg'].T + (prm['bg'] if prm['bg'] is not None else 0)
    up = x @ prm['Wu'].T + (prm['bu'] if prm['bu'] is not None else 0)
    a = phi(act, gate, 0.01)
    h = a * up
    y = h @ prm['Wd'].T + (prm['bd'] if prm['bd'] is not None else 0)
    return y, dict(x=x, gate=gate, up=up, a=a, h=h)


def gated_mlp_backward(dy, prm, act, c):
    dh = dy @ prm['Wd']
    dup = dh * c['a']
    dgate = dh * c['up'] * dphi(act, c['gate'], 0.01)
    dx = dgate @ prm['Wg'] + dup @ prm['Wu']
    g = {'Wd': np.einsum('bto,bti->oi', dy, c['h']), 'Wg': np.einsum('bto,bti->oi', dgate, c['x']),
         'Wu': np.einsum('bto,bti->oi', dup, c['x'])}
    return dx, g


def rmsnorm_forward(x, weight, eps):
    """HF LlamaRMSNorm: x / sqrt(mean(x², last axis) + eps) · g."""
    inv = 1 / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps)
    return x * inv * weight, dict(inv=inv, xh=x * inv)


def rmsnorm_backward(dy, weight, c):
    d = dy * weight
    return c['inv'] * (d - c['xh'] * (d * c['xh']).mean(axis=-1, keepdims=True))


def layernorm_forward(x, eps):
    """nn.LayerNorm over the last axis at init (γ = 1, β = 0)."""
    inv = 1 / np.sqrt(x.var(axis=-1, keepdims=True) + eps)
    xh = (x - x.mean(axis=-1, keepdims=True)) * inv
    return xh, dict(inv=inv, xh=xh)


def layernorm_backward(dy, c):
    xh = c['xh']
    return c['inv'] * (dy - dy.mean(axis=-1, keepdims=True) - xh * (dy * xh).mean(axis=-1, keepdims=True))


def cross_entropy(logits, targets):
    """Mean over rows of logsumexp(logits) − logits[target] (nn.CrossEntropyLoss)."""
    m = logits.max(axis=-1, keepdims=True)
    lse = (m + np.log(np.exp(logits - m).sum(axis=-1, keepdims=True)))[..., 0]
    picked = np.take_along_axis(logits, targets[..., None], axis=-1)[..., 0]
    return float((lse - picked).mean())


def attention_config(layer, D):
    H = layer['heads']
    dh = layer.get('head_dim', D // H)
    scale = layer.get('scale', 'inverse_sqrt')
    scale = 1 / math.sqrt(dh) if scale == 'inverse_sqrt' else 1.0 if scale == 'none' else float(scale)
    rot = layer.get('rotary')
    r = 2 * int(math.floor(dh * rot.get('fraction', 1) / 2)) if rot is not None else 0
    return dict(heads=H, kv_heads=layer.get('kv_heads', H), head_dim=dh, scale=scale, causal=layer.get('causal', False),
                rotary_dims=r, rotary_base=rot.get('base', 10000) if rot is not None else 10000)


def attention_params(layer, cfg, D, i, seed):
    """Parts q = 0, k = 1, v = 2, o = 3 (fused qkv: one [(H + 2·KV)·dh, D] weight and its bias from part 0)."""
    H, KV, dh = cfg['heads'], cfg['kv_heads'], cfg['head_dim']
    init = layer.get('init', 'pytorch_default')
    prm = {}
    if layer.get('fused_qkv', False):
        shape = [(H + 2 * KV) * dh, D]
        w = draw(init, shape, seed, stream_part_weight(i, 0))
        bspec = bias_init(layer.get('bias'), init)
        b = draw_bias(bspec, shape, seed, stream_part_bias(i, 0))
        cuts = [0, H * dh, (H + KV) * dh, (H + 2 * KV) * dh]
        for j, name in enumerate('qkv'):
            prm['W' + name] = w[cuts[j]:cuts[j + 1]]
            prm['b' + name] = b[cuts[j]:cuts[j + 1]] if b is not None else None
    else:
        for p, (name, n) in enumerate((('q', H), ('k', KV), ('v', KV))):
            winit = layer.get(name + '_init', init)
            shape = [n * dh, D]
            prm['W' + name] = draw(winit, shape, seed, stream_part_weight(i, p))
            bspec = bias_init(layer.get('bias'), winit)
            prm['b' + name] = draw_bias(bspec, shape, seed, stream_part_bias(i, p))
    oinit = layer.get('out_init', init)
    shape = [D, H * dh]
    prm['Wo'] = draw(oinit, shape, seed, stream_part_weight(i, 3))
    bspec = bias_init(layer['out_bias'] if 'out_bias' in layer else layer.get('bias'), oinit)
    prm['bo'] = draw_bias(bspec, shape, seed, stream_part_bias(i, 3))
    return prm


def gated_mlp_params(layer, D, i, seed):
    """Parts gate = 0, up = 1, down = 2; bias default false (Llama's mlp_bias)."""
    init = layer.get('init', 'pytorch_default')
    F = layer['hidden']
    prm = {}
    for p, (name, key, shape) in enumerate((('g', 'gate_init', [F, D]), ('u', 'up_init', [F, D]), ('d', 'down_init', [D, F]))):
        winit = layer.get(key, init)
        prm['W' + name] = draw(winit, shape, seed, stream_part_weight(i, p))
        bias = layer.get('bias', False)
        prm['b' + name] = draw_bias(bias_init(bias, winit), shape, seed, stream_part_bias(i, p))
    return prm


# ---------------------------------------------------------------- the network
class Ctx:
    def __init__(self, net):
        self.net = net
        self.seed = net.get('seed', 0)
        self.batch = net.get('batch_size', 64)
        self.defaults = net.get('defaults', {})
        self.counter = 0
        self.stats = {}
        self.last_embedding = None


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


def out_stats(pre, out, act, batch, units=None):
    """units: how many units a sample's output holds (a dense layer on a [T, F] sequence: F, a unit being dead when
    ≤ 0 on all B·T rows); default every value of a sample."""
    o = out.astype(np.float64)
    p = pre.astype(np.float64)
    st = dict(preMean=p.mean(), preStd=p.std(), mean=o.mean(), std=o.std(), min=o.min(), max=o.max(), saturated=0.0, dead=0.0)
    if act == 'tanh':
        st['saturated'] = float(np.mean(np.abs(out) > 0.99))
    if act == 'sigmoid':
        st['saturated'] = float(np.mean((out > 0.99) | (out < 0.01)))
    if act in ('relu', 'leaky_relu'):
        st['dead'] = float(np.mean(np.all(pre.reshape(-1, units) <= 0, axis=0))) if units else float(np.mean(np.all(pre.reshape(batch, -1) <= 0, axis=0)))
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
            shape = [shape[0], layer['units']] if len(shape) == 2 else [layer['units']]
        elif t == 'embedding':
            shape = [shape['tokens'], layer['units']]
            ctx.last_embedding = node
        elif t == 'lm_head':
            shape = [shape[0], layer['vocab']]
            if layer.get('tied', False):
                node['tied_to'] = ctx.last_embedding
        elif t == 'parallel_residual':
            node['branches'] = []
            for br in layer['branches']:
                inner, out = plan(br, ctx, shape)
                assert out == shape, 'a parallel_residual branch must keep the shape'
                node['branches'].append(inner)
        elif t == 'conv2d':
            node['geometry'] = g = conv_geometry(layer, shape)
            shape = [layer['filters'], g['oh'], g['ow']]
        elif t == 'flatten':
            shape = [int(np.prod(shape))]
        elif t == 'reshape':
            assert int(np.prod(layer['shape'])) == int(np.prod(shape)), 'a reshape keeps the size'
            shape = list(layer['shape'])
        elif t == 'to_sequence':
            shape = [shape[1] * shape[2], shape[0]]
        elif t == 'to_feature_map':
            shape = [shape[1], 1, shape[0]]
        elif t == 'multiply':
            node['branches'], outs = [], []
            for br in layer['branches']:
                inner, out = plan(br, ctx, shape) if br else ([], shape)
                node['branches'].append(inner)
                outs.append(out)
            full = max(outs, key=lambda o: int(np.prod(o)))
            node['factor_shapes'] = [broadcast_shape(o, full) for o in outs]
            shape = full
        elif t == 'global_avg_pool':
            shape = [shape[0]]
        elif t in ('maxpool2d', 'avgpool2d'):
            k = layer['size']; kh, kw = (k, k) if isinstance(k, int) else k
            s = layer.get('stride', layer['size']); sh, sw = (s, s) if isinstance(s, int) else s
            node['pool'] = (kh, kw, sh, sw)
            if layer.get('padding', 'valid') == 'same':
                # TensorFlow's SAME (tf.nn notes on padding): out = ceil(in / stride), the padding split with the odd
                # one after; the pooling ignores the padded positions.
                oh, ow = -(-shape[1] // sh), -(-shape[2] // sw)
                ph, pw = max((oh - 1) * sh + kh - shape[1], 0), max((ow - 1) * sw + kw - shape[2], 0)
                if ph or pw:
                    node['pad'] = (ph // 2, ph - ph // 2, pw // 2, pw - pw // 2)
                shape = [shape[0], oh, ow]
            else:
                shape = [shape[0], (shape[1] - kh) // sh + 1, (shape[2] - kw) // sw + 1]
        node['index'] = ctx.counter; ctx.counter += 1
        node['out_shape'] = shape
        nodes.append(node)
    return nodes, shape


def broadcast_shape(out, full):
    """The shape (batch first) a multiply's factor of shape `out` takes to broadcast against `full` by NumPy's rules:
    the same shape, one value per channel of a [C, H, W] map ([C, 1, 1] or [C]), or per feature of a [T, F] sequence."""
    if list(out) == list(full):
        return [-1] + list(full)
    if len(full) == 3:
        assert int(np.prod(out)) == full[0], 'a per-channel factor'
        return [-1, full[0], 1, 1]
    assert int(np.prod(out)) == full[-1], 'a per-feature factor'
    return [-1, 1, full[-1]]


def channels_last(x, shape):
    """A batch of [C, H, W] maps (rows of a [B, C·H·W] array) in (H, W, C) order; other shapes as they are."""
    if len(shape) != 3:
        return x
    return x.reshape([x.shape[0]] + list(shape)).transpose(0, 2, 3, 1).reshape(x.shape[0], -1)


def channels_first(x, shape):
    """The inverse of channels_last: (H, W, C) rows back to the engine's [C, H, W] order."""
    if len(shape) != 3:
        return x
    c, h, w = shape
    return x.reshape(x.shape[0], h, w, c).transpose(0, 3, 1, 2).reshape(x.shape[0], -1)


def weight_of(node, ctx):
    layer = node['layer']
    if layer['type'] == 'dense':
        shape = [layer['units'], node['in_shape'][-1]]
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
            # nn.Linear on the last axis: a [T, F] sequence is B·T rows
            pre = (x.reshape(-1, w.shape[1]) @ w.T).astype(F32)
            if b is not None:
                pre = (pre + b[None, :]).astype(F32)
            pre = pre.reshape(B, -1)
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
    elif t == 'flatten' or (t == 'reshape' and layer.get('order', 'channels_first') == 'channels_first'):
        pre = out = x
    elif t == 'reshape':
        # Keras' Reshape: the values read and written in (H, W, C) order.
        pre = out = channels_first(channels_last(x, node['in_shape']), node['out_shape'])
    elif t == 'to_sequence':
        c = node['in_shape'][0]
        pre = out = x.reshape(B, c, -1).transpose(0, 2, 1).reshape(B, -1)
    elif t == 'to_feature_map':
        T, F = node['in_shape']
        pre = out = x.reshape(B, T, F).transpose(0, 2, 1).reshape(B, -1)
    elif t == 'multiply':
        node['factors'] = [(forward(br, x, ctx) if br else x).astype(np.float64).reshape(fs) for br, fs in zip(node['branches'], node['factor_shapes'])]
        prod = np.ones([B] + node['out_shape'])
        for f in node['factors']:
            prod = prod * f
        pre = out = prod.astype(F32).reshape(B, -1)
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
            # per token over F on a [T, F] sequence; over the whole sample otherwise
            if len(node['in_shape']) == 2:
                xr = x64.reshape(B, node['in_shape'][0], -1); axes = (2,)
            else:
                xr = x64; axes = (1,)
        else:
            c = node['in_shape'][0]
            xr = x64.reshape(B, c, -1); axes = (0, 2)
        mean = xr.mean(axis=axes, keepdims=True)
        inv = 1 / np.sqrt(xr.var(axis=axes, keepdims=True) + eps)
        node['norm'] = (axes, inv, xr.shape)
        pre = out = ((xr - mean) * inv).astype(F32).reshape(B, -1)
    elif t in ('maxpool2d', 'avgpool2d', 'global_avg_pool'):
        c, h, wd = node['in_shape']
        kh, kw, sh, sw = node.get('pool', (h, wd, 1, 1))
        oh, ow = (node['out_shape'][1], node['out_shape'][2]) if t != 'global_avg_pool' else (1, 1)
        x4 = x.reshape(B, c, h, wd)
        node['pool_geom'] = (c, h, wd, kh, kw, sh, sw, oh, ow)
        if 'pad' in node:
            # Padded SAME: max over a -inf padding, average of a zero padding divided by each window's count of real
            # inputs (the same pooling of a padded map of ones).
            top, bottom, left, right = node['pad']
            pad = ((0, 0), (0, 0), (top, bottom), (left, right))
            fill = -np.inf if t == 'maxpool2d' else 0
            xp = np.pad(x4.astype(np.float64), pad, constant_values=fill)
            win = np.stack([xp[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw] for i in range(kh) for j in range(kw)], axis=-1)
            if t == 'maxpool2d':
                node['argmax'] = win.argmax(axis=-1)
                out = win.max(axis=-1)
            else:
                ones = np.pad(np.ones((h, wd)), pad[2:])
                node['count'] = np.stack([ones[i:i + sh * oh:sh, j:j + sw * ow:sw] for i in range(kh) for j in range(kw)], axis=-1).sum(axis=-1)
                out = win.sum(axis=-1) / node['count']
        else:
            win = np.stack([x4[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw] for i in range(kh) for j in range(kw)], axis=-1)
            if t == 'maxpool2d':
                node['argmax'] = win.argmax(axis=-1)
                out = win.max(axis=-1)
            else:
                out = win.astype(np.float64).sum(axis=-1) / (kh * kw)
        pre = out = out.astype(F32).reshape(B, -1)
    elif t in SEQUENCE_OPS:
        pre = out = forward_sequence_op(node, x, ctx, extra)
        if t == 'rmsnorm':
            # As for every normalization, the pre-activation is the normalized input x̂, before the gain.
            pre = node['cache']['xh'].astype(F32).reshape(B, -1)
    elif t == 'parallel_residual':
        total = x.astype(np.float64)
        for br in node['branches']:
            total = total + forward(br, x, ctx).astype(np.float64)
        pre = out = total.astype(F32)
    elif t == 'residual':
        branch = forward(node['branch'], x, ctx)
        sc = forward_node(node['projection'], x, ctx) if node['projection'] else x
        pre = (sc + branch).astype(F32)
        out = phi(act, pre, slope).astype(F32)
    node['pre'], node['out'] = pre, out
    linear = ('flatten', 'reshape', 'to_sequence', 'to_feature_map', 'multiply', 'dropout', 'batchnorm', 'layernorm', 'maxpool2d', 'avgpool2d', 'global_avg_pool', 'parallel_residual') + SEQUENCE_OPS
    units = node['out_shape'][-1] if t == 'dense' and len(node['in_shape']) == 2 else None
    st = out_stats(pre, out, act if t not in linear else 'linear', B, units)
    st.update(extra)
    ctx.stats[node['index']] = st
    return out


SEQUENCE_OPS = ('embedding', 'position_embedding', 'rmsnorm', 'attention', 'gated_mlp', 'lm_head')


def forward_sequence_op(node, x, ctx, extra):
    """The transformer ops' forward pass on a batch (x: token ids [B, T] for an embedding, else [B, T·D] float32)."""
    B, layer, i, seed = ctx.batch, node['layer'], node['index'], ctx.seed
    t = layer['type']
    if t == 'embedding':
        E = draw(table_init(layer.get('init', 'pytorch_default')), [layer['vocab'], layer['units']], seed, stream_weight(i))
        if layer.get('padding_idx') is not None:
            E[layer['padding_idx']] = 0
        node['E'] = E
        extra['weightStd'] = float(E.std())
        return E[x].astype(F32).reshape(B, -1)
    T, D = node['in_shape']
    x3 = x.astype(np.float64).reshape(B, T, D)
    if t == 'position_embedding':
        E = draw(table_init(layer.get('init', 'pytorch_default')), [layer['positions'], D], seed, stream_weight(i))
        extra['weightStd'] = float(E.std())
        node['E'] = E
        y = x3 + (E[:T] if layer.get('index', 'position') == 'position' else E[:1])[None]
    elif t == 'rmsnorm':
        g = sample(layer.get('weight', 'ones'), [D, 1], 'weight', seed, stream_weight(i), D, D, 1).astype(np.float64)
        y, c = rmsnorm_forward(x3, g, layer.get('eps', 1e-6))
        node['prm'], node['cache'] = g, c
    elif t == 'attention':
        cfg = attention_config(layer, D)
        prm = attention_params(layer, cfg, D, i, seed)
        y, c = attention_forward(x3, prm, cfg)
        node['cfg'], node['prm'], node['cache'] = cfg, prm, c
        extra.update(attention_statistics(c))
    elif t == 'gated_mlp':
        prm = gated_mlp_params(layer, D, i, seed)
        y, c = gated_mlp_forward(x3, prm, layer.get('activation', 'silu'))
        node['prm'], node['cache'] = prm, c
    elif t == 'lm_head':
        V = layer['vocab']
        if layer.get('tied', False):
            W = node['tied_to']['E']
        else:
            W = draw(layer.get('init', 'pytorch_default'), [V, D], seed, stream_weight(i))
            extra['weightStd'] = float(W.std())
        b = draw_bias(bias_init(layer.get('bias', False), None), [V, D], seed, stream_bias(i))
        node['prm'], node['bias'] = W, b
        y = x3 @ W.T + (b if b is not None else 0)
        u = fill_uniform(stream_key(seed, STREAM_TARGETS), B * T, 0, V)
        targets = np.minimum(V - 1, np.floor(u).astype(np.int64)).reshape(B, T)
        extra['loss'] = cross_entropy(y.astype(F32).astype(np.float64), targets)
    return y.astype(F32).reshape(B, -1)


def backward_sequence_op(node, dy, ctx):
    B, layer = ctx.batch, node['layer']
    t = layer['type']
    st = ctx.stats[node['index']]
    if t == 'embedding':
        E = node['E']
        dE = np.zeros_like(E)
        np.add.at(dE, node['x'].reshape(-1), dy.astype(np.float64).reshape(-1, E.shape[1]))
        if layer.get('padding_idx') is not None:
            dE[layer['padding_idx']] = 0  # nn.Embedding never accumulates a gradient into padding_idx
        st['weightGradStd'] = float(dE.std())
        return None
    T, D = node['in_shape']
    d3 = dy.astype(np.float64).reshape(B, T, -1)
    if t == 'position_embedding':
        dE = np.zeros((layer['positions'], D))
        if layer.get('index', 'position') == 'position':
            dE[:T] = d3.sum(axis=0)
        else:
            dE[0] = d3.sum(axis=(0, 1))
        st['weightGradStd'] = float(dE.std())
        dx = d3
    elif t == 'rmsnorm':
        dx = rmsnorm_backward(d3, node['prm'], node['cache'])
    elif t == 'attention':
        dx, _ = attention_backward(d3, node['prm'], node['cfg'], node['cache'])
    elif t == 'gated_mlp':
        dx, _ = gated_mlp_backward(d3, node['prm'], layer.get('activation', 'silu'), node['cache'])
    elif t == 'lm_head':
        W = node['prm']
        dx = d3 @ W
        if not layer.get('tied', False):
            st['weightGradStd'] = float(np.einsum('btv,btd->vd', d3, node['x'].astype(np.float64).reshape(B, T, D)).std())
    return dx.astype(F32).reshape(B, -1)


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
    node['dy'] = dy
    act, slope = activation_of(node, ctx)
    x = node['x']
    if t in ('dense', 'conv2d'):
        w, _ = weight_of(node, ctx)
        dpre = (dy * dphi(act, node['pre'], slope)).astype(F32)
        if t == 'dense':
            d2 = dpre.reshape(-1, w.shape[0])
            dw = d2.T.astype(np.float64) @ x.reshape(d2.shape[0], -1).astype(np.float64)
            dx = (d2 @ w).astype(F32).reshape(B, -1)
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
    if t == 'flatten' or (t == 'reshape' and layer.get('order', 'channels_first') == 'channels_first'):
        return dy
    if t == 'reshape':
        return channels_first(channels_last(dy, node['out_shape']), node['in_shape']).astype(F32)
    if t == 'to_sequence':
        c = node['in_shape'][0]
        return dy.reshape(B, -1, c).transpose(0, 2, 1).reshape(B, -1)
    if t == 'to_feature_map':
        T, F = node['in_shape']
        return dy.reshape(B, F, T).transpose(0, 2, 1).reshape(B, -1)
    if t == 'multiply':
        d = dy.astype(np.float64).reshape([B] + node['out_shape'])
        dx = np.zeros((B, int(np.prod(node['in_shape']))))
        for k, (br, f) in enumerate(zip(node['branches'], node['factors'])):
            g = d.copy()
            for j, other in enumerate(node['factors']):
                if j != k:
                    g = g * other
            # Summed over the axes the factor was broadcast along.
            axes = tuple(a for a in range(1, g.ndim) if f.shape[a] == 1 and g.shape[a] > 1)
            g = g.sum(axis=axes, keepdims=True).astype(F32).reshape(B, -1)
            dx = dx + (backward(br, g, ctx) if br else g).astype(np.float64)
        return dx.astype(F32)
    if t == 'dropout':
        return np.where(node['mask'], dy / F32(1 - layer['rate']), 0).astype(F32)
    if t in ('batchnorm', 'layernorm'):
        axes, inv, shape = node['norm']
        d = dy.astype(np.float64).reshape(shape)
        xh = node['out'].astype(np.float64).reshape(shape)
        dx = inv * (d - d.mean(axis=axes, keepdims=True) - xh * (d * xh).mean(axis=axes, keepdims=True))
        return dx.astype(F32).reshape(B, -1)
    if t in ('maxpool2d', 'avgpool2d', 'global_avg_pool'):
        c, h, wd, kh, kw, sh, sw, oh, ow = node['pool_geom']
        d = dy.astype(np.float64).reshape(B, c, oh, ow)
        top, bottom, left, right = node.get('pad', (0, 0, 0, 0))
        # Into the padded map, then cropped: a max's argmax is never a padded position (-inf), an average's share is
        # dy over its window's count of real inputs, and what lands on the padding is dropped.
        dx = np.zeros((B, c, h + top + bottom, wd + left + right))
        count = node.get('count', kh * kw)
        for i in range(kh):
            for j in range(kw):
                k = i * kw + j
                share = np.where(node['argmax'] == k, d, 0) if t == 'maxpool2d' else d / count
                dx[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw] += share
        return dx[:, :, top:top + h, left:left + wd].astype(F32).reshape(B, -1)
    if t in SEQUENCE_OPS:
        return backward_sequence_op(node, dy, ctx)
    if t == 'parallel_residual':
        dx = dy.astype(np.float64)
        for br in node['branches']:
            dx = dx + backward(br, dy, ctx).astype(np.float64)
        return dx.astype(F32)
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
    """Every layer's statistics, in execution order."""
    ctx = simulate(net)['ctx']
    return [ctx.stats[i] for i in range(ctx.counter)]


def simulate(net):
    """The seeded forward and backward pass: the context (statistics), the planned nodes (with their weights, outputs
    and output gradients), the input and the upstream gradient."""
    ctx = Ctx(net)
    inp = net['input']
    key = stream_key(ctx.seed, STREAM_INPUT)
    if 'tokens' in inp:
        # token ids: min(V − 1, floor(u)), u uniform on [0, V) from the bulk fill
        nodes, _ = plan(net['layers'], ctx, {'tokens': inp['tokens'], 'vocab': inp['vocab']})
        u = fill_uniform(key, ctx.batch * inp['tokens'], 0, inp['vocab'])
        x = np.minimum(inp['vocab'] - 1, np.floor(u).astype(np.int64)).reshape(ctx.batch, inp['tokens'])
    else:
        nodes, _ = plan(net['layers'], ctx, inp['shape'])
        n = ctx.batch * int(np.prod(inp['shape']))
        if inp.get('distribution', 'normal') == 'uniform':
            half = math.sqrt(3) * inp.get('std', 1.0)
            x = fill_uniform(key, n, inp.get('mean', 0.0) - half, inp.get('mean', 0.0) + half)
        else:
            x = fill_normal(key, n, inp.get('mean', 0.0), inp.get('std', 1.0))
        x = x.reshape(ctx.batch, -1)
    out = forward(nodes, x, ctx)
    up = fill_normal(stream_key(ctx.seed, STREAM_UPSTREAM), out.size, 0.0, 1.0).reshape(out.shape)
    backward(nodes, up, ctx)
    return dict(ctx=ctx, nodes=nodes, input=x, upstream=up)


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
