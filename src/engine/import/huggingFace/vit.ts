import { readActivation } from './activations';
import { type Family, type FamilyContext, type FamilyNetwork, initializerRange, origin, role, truncatedNormal } from './family';
import { fmt, pickHead } from './gpt2';

/**
 * ViT (`model_type` "vit"), as transformers 4.x builds and initializes it (`modeling_vit.py`,
 * `ViTPreTrainedModel._init_weights`): the patch embedding, a Conv2d with kernel = stride = `patch_size` whose
 * output map becomes (image_size/patch_size)² tokens, the class token prepended, position embeddings added;
 * `num_hidden_layers` pre-LN blocks (`layernorm_before`, attention with `qkv_bias`, `layernorm_after`, MLP); the final
 * LayerNorm; then the classifier on the class token (ViTForImageClassification, `num_labels` from `id2label`) or the
 * pooler (ViTModel: dense and `pooler_act` on the class token). Every Linear and Conv2d `trunc_normal_(std =
 * initializer_range)` (PyTorch's bounds ±2 are absolute: ±100σ, in effect a normal), the class token and position
 * embeddings likewise, biases 0, LayerNorm (1, 0). The input is a batch of images with N(0, 1) pixels (normalized).
 */
export const vit: Family = {
  modelTypes: ['vit'],
  build(ctx: FamilyContext): FamilyNetwork {
    const { config, doc, notes } = ctx;
    const width = config.int('hidden_size', 768);
    const layers = config.int('num_hidden_layers', 12);
    const heads = config.int('num_attention_heads', 12);
    const hidden = config.int('intermediate_size', 3072);
    const act = readActivation(config, 'hidden_act', 'gelu', notes);
    const eps = config.number('layer_norm_eps', 1e-12, { min: 0, exclusiveMin: true });
    const image = config.int('image_size', 224);
    const patch = config.int('patch_size', 16);
    const channels = config.int('num_channels', 3);
    const qkvBias = config.boolean('qkv_bias', true);
    const range = initializerRange(config);
    if (width.value % heads.value !== 0) config.report(heads.pointer, `hidden_size ${width.value} must be a multiple of num_attention_heads ${heads.value} at ${heads.pointer}`);
    if (patch.value > image.value) config.report(patch.pointer, `patch_size ${patch.value} is larger than image_size ${image.value} at ${patch.pointer}`);
    const side = Math.max(1, Math.floor(image.value / patch.value));
    const tokens = side * side + 1;
    if (ctx.tokens !== undefined) notes.push(`a ViT's tokens are set by image_size and patch_size: ${tokens}, not the ${ctx.tokens} asked`);
    const architecture = pickHead(ctx, ['ViTForImageClassification', 'ViTModel'], 'ViTModel');
    const init = range.pointer;
    const p = 'encoder.layer.*';
    const ln = (name: string): object => doc.layer({ type: 'layernorm', name, eps: eps.value }, origin(eps.pointer, { eps: eps.pointer }));
    const dense = (name: string, units: number, unitsKey: string, activation: string, param: string): object =>
      doc.layer({ type: 'dense', name, units, activation, init: truncatedNormal(range.value), bias: 'zeros' }, origin(unitsKey, { units: unitsKey, init }, { init: role([param], range, 1) }));
    const block = [
      doc.layer({ type: 'residual', name: 'layer.* attention block', layers: [ln('layer.*.layernorm_before'), doc.layer({
        type: 'attention', name: 'layer.*.attention', heads: heads.value, init: truncatedNormal(range.value), bias: qkvBias.value ? 'zeros' : false, out_bias: 'zeros',
      }, origin(heads.pointer, { heads: heads.pointer, init, bias: qkvBias.pointer },
        { init: role([`${p}.attention.attention.query.weight`, `${p}.attention.attention.key.weight`, `${p}.attention.attention.value.weight`, `${p}.attention.output.dense.weight`], range, 1) },
        { scale: Math.sqrt(heads.value / width.value) }))] }, origin(layers.pointer)),
      doc.layer({ type: 'residual', name: 'layer.* MLP block', layers: [ln('layer.*.layernorm_after'),
        dense('layer.*.intermediate.dense', hidden.value, hidden.pointer, act.value, `${p}.intermediate.dense.weight`),
        dense('layer.*.output.dense', width.value, width.pointer, 'linear', `${p}.output.dense.weight`)] }, origin(layers.pointer)),
    ];
    const out: object[] = [
      doc.layer({ type: 'conv2d', name: 'embeddings.patch_embeddings.projection', filters: width.value, kernel_size: patch.value, stride: patch.value, padding: 'valid',
        init: truncatedNormal(range.value), bias: 'zeros' }, origin(patch.pointer, { filters: width.pointer, kernel_size: patch.pointer, stride: patch.pointer, init },
        { init: role(['embeddings.patch_embeddings.projection.weight'], range, 1) })),
      doc.layer({ type: 'to_sequence', name: 'patches → tokens (flatten(2).transpose(1, 2))' }, origin(patch.pointer)),
      doc.layer({ type: 'class_token', name: 'embeddings.cls_token', init: truncatedNormal(range.value) }, origin(width.pointer, { init }, { init: role(['embeddings.cls_token'], range, 1) })),
      doc.layer({ type: 'position_embedding', name: 'embeddings.position_embeddings', positions: tokens, init: truncatedNormal(range.value) },
        origin(image.pointer, { positions: image.pointer, init }, { init: role(['embeddings.position_embeddings'], range, 1) })),
      doc.layer({ type: 'repeat', times: layers.value, layers: block }, origin(layers.pointer, { times: layers.pointer })),
      ln('layernorm'),
      doc.layer({ type: 'first_token', name: 'class token' }, origin(width.pointer)),
    ];
    if (architecture === 'ViTForImageClassification') {
      const labels = config.numLabels();
      out.push(dense('classifier', labels.value, labels.pointer, 'linear', 'classifier.weight'));
    } else {
      const poolerWidth = config.int('pooler_output_size', width.value);
      const poolerAct = readActivation(config, 'pooler_act', 'tanh', notes);
      out.push(doc.layer({ type: 'dense', name: 'pooler.dense', units: poolerWidth.value, activation: poolerAct.value, init: truncatedNormal(range.value), bias: 'zeros' },
        origin(poolerWidth.pointer, { units: poolerWidth.pointer, activation: poolerAct.pointer, init }, { init: role(['pooler.dense.weight'], range, 1) })));
    }
    notes.push('the images are N(0, 1) pixels (normalized); dropout (hidden_dropout_prob, attention_probs_dropout_prob) is left out, as in model.eval()');
    return {
      input: { shape: [channels.value, image.value, image.value] }, layers: out, architecture, tokens,
      initRules: `transformers 4.x ViTPreTrainedModel._init_weights: every Linear and Conv2d, the class token and the position embeddings trunc_normal_(std = initializer_range = ${fmt(range.value)}) with bounds ±2 (absolute, so in effect N(0, ${fmt(range.value)}²)), biases 0, LayerNorm (1, 0)`,
    };
  },
};
