import { readActivation } from './activations';
import { type Family, type FamilyContext, type FamilyNetwork, initializerRange, normal, origin, role, runTokens } from './family';
import { fmt, paddingIdx, pickHead } from './gpt2';

/**
 * BERT and RoBERTa (`model_type` "bert", "roberta"), as transformers 4.x builds and initializes them
 * (`modeling_bert.py`, `modeling_roberta.py`, `_init_weights`): word, position and token-type embeddings summed, then
 * LayerNorm; `num_hidden_layers` post-LN blocks, LN(x + Attn(x)) and LN(x + MLP(x)); then the architecture's head:
 * the pooler (first token, dense, tanh) for BertModel/RobertaModel, the MLM head (dense, activation, LayerNorm,
 * decoder tied to the word embeddings plus its own bias) for *ForMaskedLM, pooler and classifier for BERT's
 * sequence classification, RoBERTa's dense–tanh–out_proj head for its own. Every Linear and Embedding
 * N(0, initializer_range²), the padding row (pad_token_id) of the word embeddings 0, biases 0, LayerNorm (1, 0).
 * RoBERTa's positions start after its padding index (rows pad + 1, …): at init those rows are drawn as any others,
 * so the engine reads rows 0, 1, … of the same table.
 */
export const bert: Family = {
  modelTypes: ['bert', 'roberta'],
  build(ctx: FamilyContext): FamilyNetwork {
    const { config, doc, notes } = ctx;
    const roberta = config.string('model_type', 'bert').value === 'roberta';
    const vocab = config.int('vocab_size', roberta ? 50265 : 30522);
    const width = config.int('hidden_size', 768);
    const layers = config.int('num_hidden_layers', 12);
    const heads = config.int('num_attention_heads', 12);
    const hidden = config.int('intermediate_size', 3072);
    const act = readActivation(config, 'hidden_act', 'gelu', notes);
    const positions = config.int('max_position_embeddings', 512);
    const types = config.int('type_vocab_size', 2);
    const eps = config.number('layer_norm_eps', 1e-12, { min: 0, exclusiveMin: true });
    const pad = config.int('pad_token_id', roberta ? 1 : 0, { integer: true });
    const range = initializerRange(config);
    if (width.value % heads.value !== 0) config.report(heads.pointer, `hidden_size ${width.value} must be a multiple of num_attention_heads ${heads.value} at ${heads.pointer}`);
    const positionType = config.string('position_embedding_type', 'absolute');
    if (positionType.value !== 'absolute') notes.push(`position_embedding_type '${positionType.value}' is computed as "absolute" (its relative distance embeddings are left out)`);
    // RoBERTa's position ids run from pad + 1: a sequence may use positions − pad − 1 of them.
    const usable = roberta ? { ...positions, value: Math.max(1, positions.value - Math.max(0, pad.value) - 1) } : positions;
    const tokens = runTokens(ctx, usable);
    const heads_ = roberta ? ['RobertaModel', 'RobertaForMaskedLM', 'RobertaForSequenceClassification'] : ['BertModel', 'BertForMaskedLM', 'BertForSequenceClassification'];
    const architecture = pickHead(ctx, heads_, roberta ? 'RobertaForMaskedLM' : 'BertForMaskedLM');
    const init = range.pointer;
    const ln = (name: string): object => doc.layer({ type: 'layernorm', name, eps: eps.value }, origin(eps.pointer, { eps: eps.pointer }));
    const dense = (name: string, units: number, unitsKey: string, activation: string, param: string): object =>
      doc.layer({ type: 'dense', name, units, activation, init: normal(range.value), bias: 'zeros' }, origin(unitsKey, { units: unitsKey, init }, { init: role([param], range, 1) }));
    const base = 'encoder.layer.*';
    const block = [
      doc.layer({ type: 'residual', name: 'layer.* attention block', layers: [
        doc.layer({ type: 'attention', name: 'layer.*.attention', heads: heads.value, init: normal(range.value), bias: 'zeros' },
          origin(heads.pointer, { heads: heads.pointer, init, bias: init }, { init: role([`${base}.attention.self.query.weight`, `${base}.attention.self.key.weight`, `${base}.attention.self.value.weight`, `${base}.attention.output.dense.weight`], range, 1) },
            { scale: Math.sqrt(heads.value / width.value) })),
      ] }, origin(layers.pointer)),
      ln('layer.*.attention.output.LayerNorm'),
      doc.layer({ type: 'residual', name: 'layer.* MLP block', layers: [
        dense('layer.*.intermediate.dense', hidden.value, hidden.pointer, act.value, `${base}.intermediate.dense.weight`),
        dense('layer.*.output.dense', width.value, width.pointer, 'linear', `${base}.output.dense.weight`),
      ] }, origin(layers.pointer)),
      ln('layer.*.output.LayerNorm'),
    ];
    const out: object[] = [
      doc.layer({ type: 'embedding', name: 'embeddings.word_embeddings', vocab: vocab.value, units: width.value, init: normal(range.value), ...paddingIdx(pad.value, vocab.value) },
        origin(vocab.pointer, { vocab: vocab.pointer, units: width.pointer, init, padding_idx: pad.pointer }, { init: role([`embeddings.word_embeddings.weight`], range, 1) })),
      doc.layer({ type: 'position_embedding', name: 'embeddings.position_embeddings', positions: positions.value, init: normal(range.value) },
        origin(positions.pointer, { positions: positions.pointer, init }, { init: role([`embeddings.position_embeddings.weight`], range, 1) })),
      doc.layer({ type: 'position_embedding', name: 'embeddings.token_type_embeddings (type 0)', positions: types.value, index: 'zero', init: normal(range.value) },
        origin(types.pointer, { positions: types.pointer, init }, { init: role([`embeddings.token_type_embeddings.weight`], range, 1) })),
      ln('embeddings.LayerNorm'),
      doc.layer({ type: 'repeat', times: layers.value, layers: block }, origin(layers.pointer, { times: layers.pointer })),
    ];
    const pooler = (): object[] => [
      doc.layer({ type: 'first_token', name: 'pooler (first token)' }, origin(width.pointer)),
      dense('pooler.dense', width.value, width.pointer, 'tanh', 'pooler.dense.weight'),
    ];
    if (architecture.endsWith('Model')) {
      out.push(...pooler());
    } else if (architecture.endsWith('ForMaskedLM')) {
      const head = roberta ? 'lm_head' : 'cls.predictions';
      out.push(
        dense(`${head}.${roberta ? 'dense' : 'transform.dense'}`, width.value, width.pointer, roberta ? 'gelu' : act.value, `${head}.${roberta ? 'dense' : 'transform.dense'}.weight`),
        ln(`${head}.${roberta ? 'layer_norm' : 'transform.LayerNorm'}`),
        doc.layer({ type: 'lm_head', name: `${head}.decoder (tied to the word embeddings)`, vocab: vocab.value, tied: true, bias: 'zeros' }, origin(vocab.pointer, { vocab: vocab.pointer })),
      );
    } else {
      const labels = config.numLabels();
      if (roberta) {
        out.push(doc.layer({ type: 'first_token', name: 'classifier (first token)' }, origin(width.pointer)),
          dense('classifier.dense', width.value, width.pointer, 'tanh', 'classifier.dense.weight'),
          dense('classifier.out_proj', labels.value, labels.pointer, 'linear', 'classifier.out_proj.weight'));
      } else {
        out.push(...pooler(), dense('classifier', labels.value, labels.pointer, 'linear', 'classifier.weight'));
      }
    }
    notes.push('dropout (hidden_dropout_prob, attention_probs_dropout_prob) is left out, as in model.eval()');
    if (roberta) notes.push('RoBERTa reads position rows pad_token_id + 1, …; at init they are drawn as rows 0, 1, … are, so the engine reads those');
    return {
      input: { tokens, vocab: vocab.value }, layers: out, architecture, tokens,
      initRules: `transformers 4.x ${roberta ? 'RobertaPreTrainedModel' : 'BertPreTrainedModel'}._init_weights: every Linear and Embedding N(0, initializer_range²) = N(0, ${fmt(range.value)}²), the padding row 0, biases 0, LayerNorm (1, 0)`,
    };
  },
};
