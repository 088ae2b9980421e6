import type { ActivationName } from '../math/activation';
import type { InitRole, NativeDocument } from './nativeDocument';
import { origin } from './huggingFace/family';

/** A value read from an imported file and the pointer of the key that holds it (present or where it would go). */
export interface Keyed<T> {
  value: T;
  pointer: string;
}

/** How one group of weights is drawn: the engine's init, the key that decides it, and its role (for fixes). */
export interface Draw {
  init: object | string;
  key: string;
  role: InitRole;
}

/**
 * A GPT-NeoX model as both its writers describe it (Hugging Face's `GPTNeoXForCausalLM`, and EleutherAI/gpt-neox's
 * own `GPT2ModelPipe` that trained Pythia): the sizes, the block's form, and how each weight group is drawn.
 */
export interface GptNeoxModel {
  vocab: Keyed<number>;
  width: Keyed<number>;
  layers: Keyed<number>;
  heads: Keyed<number>;
  /** The MLP's inner width (4·hidden_size unless set). */
  hidden: Keyed<number>;
  activation: Keyed<ActivationName>;
  /** Rotary embeddings on a fraction of each head, or null (no rotary). */
  rotary: { fraction: Keyed<number>; base: Keyed<number> } | null;
  /** Learned position embeddings added to the tokens', or null. */
  positions: { count: Keyed<number>; draw: Draw } | null;
  norm: { type: 'layernorm' | 'rmsnorm'; eps: Keyed<number> };
  /** x + Attn(LN₁x) + MLP(LN₂x) when true, else sequential pre-LN blocks. */
  parallel: Keyed<boolean>;
  /** Whether the attention's projections have biases (the MLP's always do). */
  attentionBias: Keyed<boolean>;
  /** The output projection is the embedding's weight (no weight of its own). */
  tied: Keyed<boolean>;
  /** Whether the model ends with the LM head (else the hidden states). */
  lmHead: boolean;
  draws: { embed: Draw; qkv: Draw; attnOut: Draw; mlpIn: Draw; mlpOut: Draw; head: Draw };
  /** The module names the writer gives the embedding, the final norm and the head; blocks are `layers.*`. */
  names: { embed: string; finalNorm: string; head: string };
}

/**
 * The layers of a GPT-NeoX model in the engine's format, each marked with the key that decides it: the token
 * embedding (plus learned positions when the model has them), `layers` blocks — the parallel residual
 * x + Attn(LN₁x) + MLP(LN₂x) or sequential pre-LN ones — with attention through one fused `query_key_value`
 * (scores ÷ √head_dim, rotary on a fraction of each head), an MLP `dense_h_to_4h`–activation–`dense_4h_to_h` with
 * biases, the final norm and the LM head (untied unless `tied`). Shared by the Hugging Face and the gpt-neox
 * importers, which differ only in their keys and their inits (Hugging Face `modeling_gpt_neox.py`; gpt-neox
 * `megatron/model/transformer.py`, `gpt2_model.py`).
 */
export function gptNeoxLayers(doc: NativeDocument, m: GptNeoxModel): object[] {
  const p = 'layers.*';
  const headDim = Math.max(1, Math.floor(m.width.value / m.heads.value));
  const norm = (name: string): object => doc.layer({ type: m.norm.type, name, eps: m.norm.eps.value }, origin(m.norm.eps.pointer, { eps: m.norm.eps.pointer }));
  const dense = (name: string, units: Keyed<number>, activation: string, draw: Draw): object =>
    doc.layer({ type: 'dense', name, units: units.value, activation, init: draw.init, bias: 'zeros' },
      origin(units.pointer, { units: units.pointer, init: draw.key, activation: m.activation.pointer }, { init: draw.role }));
  const attention = [norm(`${p}.input_layernorm`), doc.layer({
    type: 'attention', name: `${p}.attention`, heads: m.heads.value, causal: true, fused_qkv: true,
    ...(m.rotary ? { rotary: { fraction: m.rotary.fraction.value, base: m.rotary.base.value } } : {}),
    init: m.draws.qkv.init, out_init: m.draws.attnOut.init, bias: m.attentionBias.value ? 'zeros' : false,
  }, origin(m.heads.pointer, {
    heads: m.heads.pointer, ...(m.rotary ? { rotary: m.rotary.fraction.pointer } : {}), init: m.draws.qkv.key, out_init: m.draws.attnOut.key,
    bias: m.attentionBias.pointer,
  }, { init: m.draws.qkv.role, out_init: m.draws.attnOut.role }, { scale: 1 / Math.sqrt(headDim) }))];
  const mlp = [norm(`${p}.post_attention_layernorm`), dense(`${p}.mlp.dense_h_to_4h`, m.hidden, m.activation.value, m.draws.mlpIn),
    dense(`${p}.mlp.dense_4h_to_h`, m.width, 'linear', m.draws.mlpOut)];
  const block = m.parallel.value
    ? [doc.layer({ type: 'parallel_residual', name: `${p} (parallel attention and MLP)`, branches: [attention, mlp] }, origin(m.parallel.pointer))]
    : [doc.layer({ type: 'residual', name: `${p} attention block`, layers: attention }, origin(m.parallel.pointer)),
      doc.layer({ type: 'residual', name: `${p} MLP block`, layers: mlp }, origin(m.parallel.pointer))];
  const out: object[] = [
    doc.layer({ type: 'embedding', name: m.names.embed, vocab: m.vocab.value, units: m.width.value, init: m.draws.embed.init },
      origin(m.vocab.pointer, { vocab: m.vocab.pointer, units: m.width.pointer, init: m.draws.embed.key }, { init: m.draws.embed.role })),
  ];
  if (m.positions) {
    const { count, draw } = m.positions;
    out.push(doc.layer({ type: 'position_embedding', name: 'position_embeddings', positions: count.value, init: draw.init },
      origin(count.pointer, { positions: count.pointer, init: draw.key }, { init: draw.role })));
  }
  out.push(doc.layer({ type: 'repeat', times: m.layers.value, layers: block }, origin(m.layers.pointer, { times: m.layers.pointer })), norm(m.names.finalNorm));
  if (m.lmHead) {
    out.push(m.tied.value
      ? doc.layer({ type: 'lm_head', name: `${m.names.head} (tied to ${m.names.embed})`, vocab: m.vocab.value, tied: true }, origin(m.tied.pointer, { vocab: m.vocab.pointer }))
      : doc.layer({ type: 'lm_head', name: m.names.head, vocab: m.vocab.value, init: m.draws.head.init },
        origin(m.tied.pointer, { vocab: m.vocab.pointer, init: m.draws.head.key }, { init: m.draws.head.role })));
  }
  return out;
}
