import { readActivation } from './activations';
import { causalLmHead, type Family, type FamilyContext, type FamilyNetwork, initializerRange, normal, origin, role, runTokens } from './family';
import { fmt, paddingIdx, pickHead } from './gpt2';

/** `LlamaConfig`, `MistralConfig` and `Qwen2Config` defaults where they differ (transformers 4.x). */
const DEFAULTS: Readonly<Record<string, { vocab: number; hidden: number; intermediate: number; kvHeads: number | null; positions: number; qkvBias: boolean | null }>> = {
  llama: { vocab: 32000, hidden: 4096, intermediate: 11008, kvHeads: null, positions: 2048, qkvBias: null },
  mistral: { vocab: 32000, hidden: 4096, intermediate: 14336, kvHeads: 8, positions: 4096 * 32, qkvBias: null },
  qwen2: { vocab: 151936, hidden: 4096, intermediate: 22016, kvHeads: 32, positions: 32768, qkvBias: true },
};

const CLASS_PREFIX: Readonly<Record<string, string>> = { llama: 'Llama', mistral: 'Mistral', qwen2: 'Qwen2' };

/**
 * Llama, Mistral and Qwen2 (`model_type` "llama", "mistral", "qwen2"), as transformers 4.x builds and initializes
 * them (`modeling_llama.py` and the files copied from it, `_init_weights`): token embeddings, `num_hidden_layers`
 * pre-RMSNorm blocks (attention with `num_key_value_heads` grouped key/value heads, rotary embeddings of base
 * `rope_theta`; SwiGLU MLP down(silu(gate(x)) ⊙ up(x))), a final RMSNorm and the LM head (tied when
 * `tie_word_embeddings`). Every Linear and Embedding N(0, initializer_range²), biases 0 (Qwen2's q, k, v have
 * biases; Llama's `attention_bias` and `mlp_bias`), RMSNorm weights 1. No depth scaling of `o_proj` or `down_proj`.
 */
export const llama: Family = {
  modelTypes: ['llama', 'mistral', 'qwen2'],
  build(ctx: FamilyContext): FamilyNetwork {
    const { config, doc, notes } = ctx;
    const type = config.string('model_type', 'llama').value;
    const d = DEFAULTS[type];
    const cls = CLASS_PREFIX[type];
    const vocab = config.int('vocab_size', d.vocab);
    const width = config.int('hidden_size', d.hidden);
    const layers = config.int('num_hidden_layers', 32);
    const heads = config.int('num_attention_heads', 32);
    const kvHeadsRaw = config.optionalInt('num_key_value_heads');
    const kvHeads = kvHeadsRaw.value ?? d.kvHeads ?? heads.value;
    const headDimRaw = config.optionalInt('head_dim');
    const hidden = config.int('intermediate_size', d.intermediate);
    const act = readActivation(config, 'hidden_act', 'silu', notes);
    const positions = config.int('max_position_embeddings', d.positions);
    const eps = config.number('rms_norm_eps', 1e-6, { min: 0, exclusiveMin: true });
    const range = initializerRange(config);
    const tied = config.boolean('tie_word_embeddings', false);
    const ropeParameters = config.find('rope_parameters');
    const theta = ropeParameters?.node.type === 'object' && config.r.prop(ropeParameters.node, 'rope_theta')
      ? { value: config.r.number(config.r.prop(ropeParameters.node, 'rope_theta'), '/rope_parameters/rope_theta', 'rope_theta', { min: 0, exclusiveMin: true }) ?? 10000, pointer: '/rope_parameters/rope_theta' }
      : config.number('rope_theta', 10000, { min: 0, exclusiveMin: true });
    const attentionBias = config.boolean('attention_bias', false);
    const mlpBias = config.boolean('mlp_bias', false);
    const pad = config.optionalInt('pad_token_id', { integer: true });
    if (kvHeadsRaw.given && heads.value % kvHeads !== 0) config.report(kvHeadsRaw.pointer, `num_key_value_heads ${kvHeads} must divide num_attention_heads ${heads.value} at ${kvHeadsRaw.pointer}`);
    if (headDimRaw.value === null && width.value % heads.value !== 0) config.report(heads.pointer, `hidden_size ${width.value} must be a multiple of num_attention_heads ${heads.value} (or set head_dim) at ${heads.pointer}`);
    const headDim = headDimRaw.value ?? Math.max(1, Math.floor(width.value / heads.value));
    if (config.has('rope_scaling')) notes.push('rope_scaling is left out: it stretches the rotary frequencies for long contexts, not the init');
    if (type === 'mistral' || config.has('sliding_window')) notes.push('sliding-window attention is computed as full causal attention (the window is longer than the sequence)');
    const tokens = runTokens(ctx, positions);
    const architecture = pickHead(ctx, [`${cls}ForCausalLM`, `${cls}Model`], `${cls}ForCausalLM`);
    // Qwen2's q, k and v projections always have biases (o_proj none); Llama's four follow attention_bias.
    const qkvBias = d.qkvBias ?? attentionBias.value;
    const outBias = d.qkvBias === null && attentionBias.value;
    const init = range.pointer;
    const p = 'layers.*';
    const rms = (name: string): object => doc.layer({ type: 'rmsnorm', name, eps: eps.value }, origin(eps.pointer, { eps: eps.pointer }));
    const attention = doc.layer({
      type: 'attention', name: 'layers.*.self_attn', heads: heads.value, kv_heads: kvHeads, head_dim: headDim, causal: true, rotary: { base: theta.value },
      init: normal(range.value), bias: qkvBias ? 'zeros' : false, out_bias: outBias ? 'zeros' : false,
    }, origin(heads.pointer, { heads: heads.pointer, kv_heads: kvHeadsRaw.pointer, head_dim: headDimRaw.pointer, rotary: theta.pointer, init, bias: attentionBias.pointer, out_bias: attentionBias.pointer },
      { init: role([`${p}.self_attn.q_proj.weight`, `${p}.self_attn.k_proj.weight`, `${p}.self_attn.v_proj.weight`, `${p}.self_attn.o_proj.weight`], range, 1) },
      { scale: 1 / Math.sqrt(headDim) }));
    const mlp = doc.layer({ type: 'gated_mlp', name: 'layers.*.mlp', hidden: hidden.value, activation: act.value, init: normal(range.value), bias: mlpBias.value ? 'zeros' : false },
      origin(hidden.pointer, { hidden: hidden.pointer, activation: act.pointer, init, bias: mlpBias.pointer },
        { init: role([`${p}.mlp.gate_proj.weight`, `${p}.mlp.up_proj.weight`, `${p}.mlp.down_proj.weight`], range, 1) }));
    const out: object[] = [
      doc.layer({ type: 'embedding', name: 'embed_tokens', vocab: vocab.value, units: width.value, init: normal(range.value), ...paddingIdx(pad.value, vocab.value) },
        origin(vocab.pointer, { vocab: vocab.pointer, units: width.pointer, init, padding_idx: pad.pointer }, { init: role(['embed_tokens.weight'], range, 1) })),
      doc.layer({ type: 'repeat', times: layers.value, layers: [
        doc.layer({ type: 'residual', name: 'layers.* attention block', layers: [rms('layers.*.input_layernorm'), attention] }, origin(layers.pointer)),
        doc.layer({ type: 'residual', name: 'layers.* MLP block', layers: [rms('layers.*.post_attention_layernorm'), mlp] }, origin(layers.pointer)),
      ] }, origin(layers.pointer, { times: layers.pointer })),
      rms('norm'),
    ];
    if (architecture.endsWith('ForCausalLM')) {
      out.push(causalLmHead(doc, tied, vocab, range, 'lm_head', 'embed_tokens'));
    }
    notes.push('attention dropout (attention_dropout) is left out, as in model.eval()');
    return {
      input: { tokens, vocab: vocab.value }, layers: out, architecture, tokens,
      initRules: `transformers 4.x ${cls}PreTrainedModel._init_weights: every Linear and Embedding N(0, initializer_range²) = N(0, ${fmt(range.value)}²), biases 0, RMSNorm weights 1; no depth scaling of o_proj or down_proj`,
    };
  },
};

