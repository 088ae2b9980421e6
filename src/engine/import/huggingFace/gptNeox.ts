import { readActivation } from './activations';
import { type Draw, gptNeoxLayers } from '../gptNeoxModel';
import { type Family, type FamilyContext, type FamilyNetwork, initializerRange, normal, role, runTokens } from './family';
import { fmt, pickHead } from './gpt2';

/**
 * GPT-NeoX and Pythia (`model_type` "gpt_neox"), as transformers 4.x builds and initializes them
 * (`modeling_gpt_neox.py`, `GPTNeoXPreTrainedModel._init_weights`): `embed_in`, `num_hidden_layers` blocks with the
 * parallel residual x + Attn(LN₁x) + MLP(LN₂x) (sequential pre-LN blocks when `use_parallel_residual` is false);
 * attention with the fused `query_key_value` and rotary embeddings on `rotary_pct` of each head (base
 * `rotary_emb_base`); `final_layer_norm`; `embed_out`, untied unless `tie_word_embeddings`. Every Linear and
 * Embedding N(0, initializer_range²), biases 0, LayerNorm (1, 0). (The GPT-NeoX library that trained Pythia used
 * `small_init` and `wang_init` instead; Hugging Face's init is what `from_config` gives. The layers are
 * `gptNeoxLayers`, shared with the gpt-neox YAML importer.)
 */
export const gptNeox: Family = {
  modelTypes: ['gpt_neox'],
  build(ctx: FamilyContext): FamilyNetwork {
    const { config, doc, notes } = ctx;
    const vocab = config.int('vocab_size', 50432);
    const width = config.int('hidden_size', 6144);
    const layers = config.int('num_hidden_layers', 44);
    const heads = config.int('num_attention_heads', 64);
    const hidden = config.int('intermediate_size', 24576);
    const act = readActivation(config, 'hidden_act', 'gelu', notes);
    const rotaryPct = config.number('rotary_pct', 0.25, { min: 0, max: 1, exclusiveMin: true });
    const base = config.number('rotary_emb_base', 10000, { min: 0, exclusiveMin: true });
    const positions = config.int('max_position_embeddings', 2048);
    const eps = config.number('layer_norm_eps', 1e-5, { min: 0, exclusiveMin: true });
    const parallel = config.boolean('use_parallel_residual', true);
    const attentionBias = config.boolean('attention_bias', true);
    const tied = config.boolean('tie_word_embeddings', false);
    const range = initializerRange(config);
    if (width.value % heads.value !== 0) config.report(heads.pointer, `hidden_size ${width.value} must be a multiple of num_attention_heads ${heads.value} at ${heads.pointer}`);
    const headDim = Math.max(1, Math.floor(width.value / heads.value));
    if (2 * Math.floor((headDim * rotaryPct.value) / 2) < 2) config.report(rotaryPct.pointer, `rotary_pct ${rotaryPct.value} of a head of ${headDim} rotates no pair of dimensions at ${rotaryPct.pointer}`);
    const tokens = runTokens(ctx, positions);
    const architecture = pickHead(ctx, ['GPTNeoXForCausalLM', 'GPTNeoXModel'], 'GPTNeoXForCausalLM');
    const p = 'layers.*';
    const draw = (parameters: string[]): Draw => ({ init: normal(range.value), key: range.pointer, role: role(parameters, range, 1) });
    const layersOut = gptNeoxLayers(doc, {
      vocab, width, layers, heads, hidden, activation: act, rotary: { fraction: rotaryPct, base }, positions: null,
      norm: { type: 'layernorm', eps }, parallel, attentionBias, tied, lmHead: architecture === 'GPTNeoXForCausalLM',
      draws: {
        embed: draw(['embed_in.weight']), qkv: draw([`${p}.attention.query_key_value.weight`]), attnOut: draw([`${p}.attention.dense.weight`]),
        mlpIn: draw([`${p}.mlp.dense_h_to_4h.weight`]), mlpOut: draw([`${p}.mlp.dense_4h_to_h.weight`]), head: draw(['embed_out.weight']),
      },
      names: { embed: 'embed_in', finalNorm: 'final_layer_norm', head: 'embed_out' },
    });
    notes.push('dropout (attention_dropout, hidden_dropout) is left out, as in model.eval()');
    notes.push('Pythia was trained from the GPT-NeoX library\'s init (small_init √(2/(5·d)) and wang_init 2/(L·√d)), not this one');
    return {
      input: { tokens, vocab: vocab.value }, layers: layersOut, architecture, tokens,
      initRules: `transformers 4.x GPTNeoXPreTrainedModel._init_weights: every Linear and Embedding N(0, initializer_range²) = N(0, ${fmt(range.value)}²), biases 0, LayerNorm (1, 0)`,
    };
  },
};
