import { readActivation } from './activations';
import { causalLmHead, type Family, type FamilyContext, type FamilyNetwork, initializerRange, normal, origin, role, runTokens } from './family';

/** The heads GPT-2's modelling file has; any other architecture is built as the causal LM (with a warning). */
const HEADS = ['GPT2LMHeadModel', 'GPT2Model'];

/**
 * GPT-2 (`model_type` "gpt2"), as transformers 4.x builds and initializes it (`modeling_gpt2.py`,
 * `GPT2PreTrainedModel._init_weights`): token and position embeddings, `n_layer` pre-LN blocks (ln_1, attention with
 * the fused `c_attn`, ln_2, MLP `c_fc`–activation–`c_proj`), `ln_f`, the LM head tied to `wte`. Every Linear, Conv1D
 * and Embedding N(0, initializer_range²), biases 0, LayerNorm (1, 0); then both `c_proj` weights
 * N(0, (initializer_range/√(2·n_layer))²) (Radford et al., 2019, §2.3). Keys and defaults of `GPT2Config`, with its
 * `attribute_map` aliases (`hidden_size`, `num_hidden_layers`, `num_attention_heads`, `max_position_embeddings`).
 */
export const gpt2: Family = {
  modelTypes: ['gpt2'],
  build(ctx: FamilyContext): FamilyNetwork {
    const { config, doc, notes } = ctx;
    const vocab = config.int('vocab_size', 50257);
    const positions = config.int(['n_positions', 'max_position_embeddings'], 1024);
    const width = config.int(['n_embd', 'hidden_size'], 768);
    const layers = config.int(['n_layer', 'num_hidden_layers'], 12);
    const heads = config.int(['n_head', 'num_attention_heads'], 12);
    const inner = config.optionalInt('n_inner');
    const act = readActivation(config, 'activation_function', 'gelu_new', notes);
    const eps = config.number('layer_norm_epsilon', 1e-5, { min: 0, exclusiveMin: true });
    const range = initializerRange(config);
    const scaleWeights = config.boolean('scale_attn_weights', true);
    const byLayer = config.boolean('scale_attn_by_inverse_layer_idx', false);
    const tied = config.boolean('tie_word_embeddings', true);
    if (width.value % heads.value !== 0) config.report(heads.pointer, `n_embd ${width.value} must be a multiple of n_head ${heads.value} (GPT-2's heads split the width) at ${heads.pointer}`);
    const hidden = inner.value ?? 4 * width.value;
    const tokens = runTokens(ctx, positions);
    const architecture = pickHead(ctx, HEADS, 'GPT2LMHeadModel');
    const projStd = range.value / Math.sqrt(2 * layers.value);
    const init = range.pointer;
    const ln = (name: string): object => doc.layer({ type: 'layernorm', name, eps: eps.value }, origin(eps.pointer, { eps: eps.pointer }));

    const block = (i: number | '*'): object[] => {
      // scale_attn_by_inverse_layer_idx divides the scores by layer_idx + 1 as well.
      const scale = !scaleWeights.value ? 'none' : typeof i === 'number' ? 1 / (Math.sqrt(width.value / heads.value) * (i + 1)) : 'inverse_sqrt';
      const attention = doc.layer({
        type: 'attention', name: `h.${i}.attn`, heads: heads.value, causal: true, fused_qkv: true, scale,
        init: normal(range.value), out_init: normal(projStd), bias: 'zeros',
      }, origin(heads.pointer, { heads: heads.pointer, init, out_init: init, scale: scaleWeights.pointer, bias: init },
        { init: role([`h.${i}.attn.c_attn.weight`], range, 1), out_init: role([`h.${i}.attn.c_proj.weight`], range, 1 / Math.sqrt(2 * layers.value)) },
        { scale: typeof scale === 'number' ? scale : scale === 'none' ? 1 : Math.sqrt(heads.value / width.value) }));
      const fc = doc.layer({ type: 'dense', name: `h.${i}.mlp.c_fc`, units: hidden, activation: act.value, init: normal(range.value), bias: 'zeros' },
        origin(inner.given ? inner.pointer : width.pointer, { units: inner.pointer, activation: act.pointer, init }, { init: role([`h.${i}.mlp.c_fc.weight`], range, 1) }));
      const proj = doc.layer({ type: 'dense', name: `h.${i}.mlp.c_proj`, units: width.value, init: normal(projStd), bias: 'zeros' },
        origin(layers.pointer, { units: width.pointer, init }, { init: role([`h.${i}.mlp.c_proj.weight`], range, 1 / Math.sqrt(2 * layers.value)) }));
      return [
        doc.layer({ type: 'residual', name: `h.${i} attention block`, layers: [ln(`h.${i}.ln_1`), attention] }, origin(layers.pointer)),
        doc.layer({ type: 'residual', name: `h.${i} MLP block`, layers: [ln(`h.${i}.ln_2`), fc, proj] }, origin(layers.pointer)),
      ];
    };
    const blocks = byLayer.value && scaleWeights.value
      ? Array.from({ length: layers.value }, (_, i) => block(i)).flat()
      : [doc.layer({ type: 'repeat', times: layers.value, layers: block('*') }, origin(layers.pointer, { times: layers.pointer }))];

    const out: object[] = [
      doc.layer({ type: 'embedding', name: 'wte', vocab: vocab.value, units: width.value, init: normal(range.value) },
        origin(vocab.pointer, { vocab: vocab.pointer, units: width.pointer, init }, { init: role(['wte.weight'], range, 1) })),
      doc.layer({ type: 'position_embedding', name: 'wpe', positions: positions.value, init: normal(range.value) },
        origin(positions.pointer, { positions: positions.pointer, init }, { init: role(['wpe.weight'], range, 1) })),
      ...blocks,
      ln('ln_f'),
    ];
    if (architecture === 'GPT2LMHeadModel') {
      out.push(causalLmHead(doc, tied, vocab, range, 'lm_head', 'wte'));
    }
    notes.push('dropout (embd_pdrop, attn_pdrop, resid_pdrop) is left out, as in model.eval()');
    notes.push('transformers 5.x up to at least 5.14.1 leaves c_proj at initializer_range (issue #47458, fixed by PR #47459): each block then adds about 2·n_layer times the variance');
    return {
      input: { tokens, vocab: vocab.value }, layers: out, architecture, tokens,
      initRules: `transformers 4.x GPT2PreTrainedModel._init_weights: every weight N(0, initializer_range²) = N(0, ${range.value}²), biases 0, LayerNorm (1, 0); attn.c_proj and mlp.c_proj N(0, (initializer_range/√(2·n_layer))²) = N(0, ${fmt(projStd)}²)`,
    };
  },
};

/**
 * The architecture to build: the file's first `architectures` entry when the family module builds it, else `fallback`
 * with a warning at `/architectures` (what differs is the head, not the blocks).
 */
export function pickHead(ctx: FamilyContext, heads: readonly string[], fallback: string): string {
  const named = ctx.architecture.value;
  if (named === null) {
    ctx.notes.push(`no "architectures" in the file: built as ${fallback}`);
    return fallback;
  }
  if (heads.includes(named)) return named;
  ctx.config.report(ctx.architecture.pointer, `architecture '${named}' at ${ctx.architecture.pointer}: its head is not modelled; analyzed as ${fallback} (the same blocks; the parameter count differs by the head). Built heads: ${heads.join(', ')}`, 'warning');
  return fallback;
}

/** A number for messages: 5 significant digits. */
export function fmt(x: number): string {
  return String(Number(x.toPrecision(5)));
}

/**
 * `padding_idx` as nn.Embedding reads `pad_token_id`: a row index, negative ones counted from the end; none when
 * absent or outside the table.
 */
export function paddingIdx(pad: number | null, vocab: number): { padding_idx?: number } {
  if (pad === null) return {};
  const row = pad < 0 ? vocab + pad : pad;
  return row >= 0 && row < vocab ? { padding_idx: row } : {};
}
