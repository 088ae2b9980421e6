import { readActivation } from './activations';
import { causalLmHead, type Family, type FamilyContext, type FamilyNetwork, initializerRange, normal, origin, role, runTokens } from './family';
import { fmt, pickHead } from './gpt2';

/**
 * GPT-NeoX and Pythia (`model_type` "gpt_neox"), as transformers 4.x builds and initializes them
 * (`modeling_gpt_neox.py`, `GPTNeoXPreTrainedModel._init_weights`): `embed_in`, `num_hidden_layers` blocks with the
 * parallel residual x + Attn(LN₁x) + MLP(LN₂x) (sequential pre-LN blocks when `use_parallel_residual` is false);
 * attention with the fused `query_key_value` and rotary embeddings on `rotary_pct` of each head (base
 * `rotary_emb_base`); `final_layer_norm`; `embed_out`, untied unless `tie_word_embeddings`. Every Linear and
 * Embedding N(0, initializer_range²), biases 0, LayerNorm (1, 0). (The GPT-NeoX library that trained Pythia used
 * `small_init` and `wang_init` instead; Hugging Face's init is what `from_config` gives.)
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
    const init = range.pointer;
    const p = 'layers.*';
    const ln = (name: string): object => doc.layer({ type: 'layernorm', name, eps: eps.value }, origin(eps.pointer, { eps: eps.pointer }));
    const dense = (name: string, units: number, unitsKey: string, activation: string, param: string): object =>
      doc.layer({ type: 'dense', name, units, activation, init: normal(range.value), bias: 'zeros' }, origin(unitsKey, { units: unitsKey, init, activation: act.pointer }, { init: role([param], range, 1) }));
    const attention = [ln('layers.*.input_layernorm'), doc.layer({
      type: 'attention', name: 'layers.*.attention', heads: heads.value, causal: true, fused_qkv: true, rotary: { fraction: rotaryPct.value, base: base.value },
      init: normal(range.value), bias: attentionBias.value ? 'zeros' : false,
    }, origin(heads.pointer, { heads: heads.pointer, rotary: rotaryPct.pointer, init, bias: attentionBias.pointer },
      { init: role([`${p}.attention.query_key_value.weight`, `${p}.attention.dense.weight`], range, 1) }, { scale: 1 / Math.sqrt(headDim) }))];
    const mlp = [ln('layers.*.post_attention_layernorm'), dense('layers.*.mlp.dense_h_to_4h', hidden.value, hidden.pointer, act.value, `${p}.mlp.dense_h_to_4h.weight`),
      dense('layers.*.mlp.dense_4h_to_h', width.value, width.pointer, 'linear', `${p}.mlp.dense_4h_to_h.weight`)];
    const block = parallel.value
      ? [doc.layer({ type: 'parallel_residual', name: 'layers.* (parallel attention and MLP)', branches: [attention, mlp] }, origin(parallel.pointer))]
      : [doc.layer({ type: 'residual', name: 'layers.* attention block', layers: attention }, origin(parallel.pointer)),
        doc.layer({ type: 'residual', name: 'layers.* MLP block', layers: mlp }, origin(parallel.pointer))];
    const out: object[] = [
      doc.layer({ type: 'embedding', name: 'embed_in', vocab: vocab.value, units: width.value, init: normal(range.value) },
        origin(vocab.pointer, { vocab: vocab.pointer, units: width.pointer, init }, { init: role(['embed_in.weight'], range, 1) })),
      doc.layer({ type: 'repeat', times: layers.value, layers: block }, origin(layers.pointer, { times: layers.pointer })),
      ln('final_layer_norm'),
    ];
    if (architecture === 'GPTNeoXForCausalLM') {
      out.push(causalLmHead(doc, tied, vocab, range, 'embed_out', 'embed_in'));
    }
    notes.push('dropout (attention_dropout, hidden_dropout) is left out, as in model.eval()');
    notes.push('Pythia was trained from the GPT-NeoX library\'s init (small_init √(2/(5·d)) and wang_init 2/(L·√d)), not this one');
    return {
      input: { tokens, vocab: vocab.value }, layers: out, architecture, tokens,
      initRules: `transformers 4.x GPTNeoXPreTrainedModel._init_weights: every Linear and Embedding N(0, initializer_range²) = N(0, ${fmt(range.value)}²), biases 0, LayerNorm (1, 0)`,
    };
  },
};
