import { mapActivation } from './activations';
import { type Family, type FamilyContext, type FamilyNetwork, normal, origin, role, runTokens, type ScaleKey } from './family';
import { fmt, pickHead } from './gpt2';

/**
 * T5 (`model_type` "t5"), as transformers 4.x builds and initializes it (`modeling_t5.py`,
 * `T5PreTrainedModel._init_weights`, with f = `initializer_factor`): the shared embedding N(0, f²); an encoder of
 * `num_layers` and a decoder of `num_decoder_layers` pre-norm blocks with T5's RMSNorm (`T5LayerNorm`, weight f),
 * attention without the 1/√d_kv scale, q N(0, f²/(d_model·d_kv)), k and v N(0, f²/d_model), o N(0, f²/(heads·d_kv)),
 * a relative position bias [buckets, heads] N(0, f²/d_model) owned by the first block of each stack and shared by the
 * others (bidirectional in the encoder), the decoder's cross-attention over the encoder's output, and the feed-forward
 * wi (or wi_0, wi_1 for gated-*) N(0, f²/d_model), wo N(0, f²/d_ff); with a tied head the decoder's output is scaled
 * by d_model^−½ before the shared embedding's logits, an untied `lm_head` is N(0, f²).
 */
export const t5: Family = {
  modelTypes: ['t5'],
  build(ctx: FamilyContext): FamilyNetwork {
    const { config, doc, notes } = ctx;
    const vocab = config.int('vocab_size', 32128);
    const width = config.int('d_model', 512);
    const headDim = config.int('d_kv', 64);
    const ff = config.int('d_ff', 2048);
    const layers = config.int('num_layers', 6);
    const decoderLayersRaw = config.optionalInt('num_decoder_layers');
    const decoderLayers = decoderLayersRaw.given ? decoderLayersRaw as { value: number; pointer: string; given: boolean } : { ...layers };
    const heads = config.int('num_heads', 8);
    const buckets = config.int('relative_attention_num_buckets', 32, { integer: true, min: 2, max: 1 << 16 });
    const maxDistance = config.int('relative_attention_max_distance', 128);
    const eps = config.number('layer_norm_epsilon', 1e-6, { min: 0, exclusiveMin: true });
    const factorValue = config.number('initializer_factor', 1.0, { min: 0 });
    const tied = config.boolean('tie_word_embeddings', true);
    const proj = config.string('feed_forward_proj', 'relu');
    const parts = proj.value.split('-');
    const gated = parts[0] === 'gated';
    const malformed = parts.length > 2 || (parts.length === 2 && !gated);
    if (malformed) config.report(proj.pointer, `feed_forward_proj '${proj.value}' at ${proj.pointer} must be an activation or "gated-" and one (for example "relu", "gated-gelu")`);
    // T5Config: "gated-gelu" means gelu_new (the original T5 v1.1's tanh approximation).
    const actName = proj.value === 'gated-gelu' ? 'gelu_new' : parts[parts.length - 1];
    const act = malformed ? { ...proj, value: 'linear' as const } : mapActivation(config, { ...proj, value: actName }, notes);
    const tokens = runTokens(ctx, null);
    const architecture = pickHead(ctx, ['T5ForConditionalGeneration', 'T5Model', 'T5EncoderModel'], 'T5ForConditionalGeneration');
    const f: ScaleKey = { name: 'initializer_factor', value: factorValue.value, pointer: factorValue.pointer };
    const d = width.value;
    const key = f.pointer;
    const rms = (name: string): object => doc.layer({ type: 'rmsnorm', name, eps: eps.value, weight: { scheme: 'constant', value: f.value } },
      origin(eps.pointer, { eps: eps.pointer, weight: key }));
    const attentionInits = {
      q_init: normal(f.value * (d * headDim.value) ** -0.5), k_init: normal(f.value * d ** -0.5), v_init: normal(f.value * d ** -0.5), out_init: normal(f.value * (heads.value * headDim.value) ** -0.5),
    };
    const attentionRoles = (prefix: string): Record<string, ReturnType<typeof role>> => ({
      q_init: role([`${prefix}.q.weight`], f, (d * headDim.value) ** -0.5), k_init: role([`${prefix}.k.weight`], f, d ** -0.5),
      v_init: role([`${prefix}.v.weight`], f, d ** -0.5), out_init: role([`${prefix}.o.weight`], f, (heads.value * headDim.value) ** -0.5),
    });
    const attentionKeys = { heads: heads.pointer, head_dim: headDim.pointer, q_init: key, k_init: key, v_init: key, out_init: key, position_bias: buckets.pointer };
    const selfAttention = (stack: string, i: string, decoder: boolean): object => {
      const prefix = `${stack}.block.${i}.layer.0.SelfAttention`;
      const own = i === '0';
      return doc.layer({
        type: 'attention', name: `${stack}.block.${i}.layer.0.SelfAttention`, heads: heads.value, head_dim: headDim.value, causal: decoder, scale: 'none', bias: false,
        ...attentionInits,
        position_bias: own ? { buckets: buckets.value, max_distance: maxDistance.value, bidirectional: !decoder, init: normal(f.value * d ** -0.5) } : 'shared',
      }, origin(heads.pointer, attentionKeys, { ...attentionRoles(prefix), ...(own ? { position_bias: role([`${prefix}.relative_attention_bias.weight`], f, d ** -0.5) } : {}) }, { scale: 1 }));
    };
    const feedForward = (stack: string, i: string, index: number): object[] => {
      const prefix = `${stack}.block.${i}.layer.${index}.DenseReluDense`;
      if (gated) {
        return [doc.layer({ type: 'gated_mlp', name: prefix.replace(/^[^.]*\./, `${stack}.`), hidden: ff.value, activation: act.value, bias: false,
          gate_init: normal(f.value * d ** -0.5), up_init: normal(f.value * d ** -0.5), down_init: normal(f.value * ff.value ** -0.5) },
        origin(ff.pointer, { hidden: ff.pointer, activation: proj.pointer, gate_init: key, up_init: key, down_init: key },
          { gate_init: role([`${prefix}.wi_0.weight`], f, d ** -0.5), up_init: role([`${prefix}.wi_1.weight`], f, d ** -0.5), down_init: role([`${prefix}.wo.weight`], f, ff.value ** -0.5) }))];
      }
      return [
        doc.layer({ type: 'dense', name: `${prefix}.wi`, units: ff.value, activation: act.value, init: normal(f.value * d ** -0.5), bias: false },
          origin(ff.pointer, { units: ff.pointer, activation: proj.pointer, init: key }, { init: role([`${prefix}.wi.weight`], f, d ** -0.5) })),
        doc.layer({ type: 'dense', name: `${prefix}.wo`, units: d, init: normal(f.value * ff.value ** -0.5), bias: false },
          origin(ff.pointer, { units: width.pointer, init: key }, { init: role([`${prefix}.wo.weight`], f, ff.value ** -0.5) })),
      ];
    };
    const block = (stack: 'encoder' | 'decoder', i: string): object[] => {
      const decoder = stack === 'decoder';
      const count = decoder ? decoderLayers : layers;
      const sub = (n: number, what: string, body: object[]): object =>
        doc.layer({ type: 'residual', name: `${stack}.block.${i}.layer.${n} ${what}`, layers: [rms(`${stack}.block.${i}.layer.${n}.layer_norm`), ...body] }, origin(count.pointer));
      const out = [sub(0, 'self-attention', [selfAttention(stack, i, decoder)])];
      if (decoder) {
        const prefix = `decoder.block.${i}.layer.1.EncDecAttention`;
        out.push(sub(1, 'cross-attention', [doc.layer({
          type: 'cross_attention', name: prefix, heads: heads.value, head_dim: headDim.value, scale: 'none', bias: false, ...attentionInits,
        }, origin(heads.pointer, attentionKeys, attentionRoles(prefix)))]));
      }
      out.push(sub(decoder ? 2 : 1, 'feed-forward', feedForward(stack, i, decoder ? 2 : 1)));
      return out;
    };
    const stack = (which: 'encoder' | 'decoder'): object[] => {
      const count = which === 'decoder' ? decoderLayers : layers;
      return [
        ...block(which, '0'),
        ...(count.value > 1 ? [doc.layer({ type: 'repeat', times: count.value - 1, layers: block(which, '*') }, origin(count.pointer, { times: count.pointer }))] : []),
        rms(`${which}.final_layer_norm`),
      ];
    };
    const shared = doc.layer({ type: 'embedding', name: 'shared', vocab: vocab.value, units: d, init: normal(f.value) },
      origin(vocab.pointer, { vocab: vocab.pointer, units: width.pointer, init: key }, { init: role(['shared.weight'], f, 1) }));
    let out: object[];
    if (architecture === 'T5EncoderModel') {
      out = [shared, ...stack('encoder')];
    } else {
      out = [
        doc.layer({ type: 'encoder', name: 'encoder', layers: [shared, ...stack('encoder')] }, origin(layers.pointer)),
        doc.layer({ type: 'embedding', name: 'decoder.embed_tokens (shared)', vocab: vocab.value, units: d, tied: true }, origin(vocab.pointer, { vocab: vocab.pointer, units: width.pointer })),
        ...stack('decoder'),
      ];
      if (architecture === 'T5ForConditionalGeneration') {
        if (tied.value) {
          out.push(doc.layer({ type: 'scale', name: 'decoder output × d_model^−½ (tied head)', factor: d ** -0.5 }, origin(tied.pointer)),
            doc.layer({ type: 'lm_head', name: 'lm_head (tied to shared)', vocab: vocab.value, tied: true }, origin(tied.pointer, { vocab: vocab.pointer })));
        } else {
          out.push(doc.layer({ type: 'lm_head', name: 'lm_head', vocab: vocab.value, init: normal(f.value) }, origin(tied.pointer, { vocab: vocab.pointer, init: key }, { init: role(['lm_head.weight'], f, 1) })));
        }
      }
      notes.push('the decoder reads the same token ids as the encoder (at init which ids does not matter: both are uniform over the vocabulary)');
    }
    notes.push('dropout (dropout_rate) is left out, as in model.eval()');
    return {
      input: { tokens, vocab: vocab.value }, layers: out, architecture, tokens,
      initRules: `transformers 4.x T5PreTrainedModel._init_weights with initializer_factor f = ${fmt(f.value)}: shared embedding N(0, f²), q N(0, f²/(d_model·d_kv)), k and v N(0, f²/d_model), o N(0, f²/(num_heads·d_kv)), wi N(0, f²/d_model), wo N(0, f²/d_ff), relative bias N(0, f²/d_model), T5LayerNorm weight f; scores not scaled by 1/√d_kv`,
    };
  },
};
