import * as assert from 'node:assert/strict';
import { analyze, pointerLocator, readNetwork } from '../../../src/engine';
import type { AttentionSpec } from '../../../src/engine/graph/ops/attention';
import type { LayerSpec } from '../../../src/engine/format/networkSpec';
import { fixture, HAS_RMSNORM, NEEDS_RMSNORM } from './hfFixtures';

/**
 * Published parameter counts (`model.num_parameters()` of the architecture the config names; tied weights once) and
 * the project's configs with those models' hyperparameters.
 */
const PUBLISHED: { file: string; family: string; architecture: string; parameters: number }[] = [
  { file: 'gpt2-small.config.json', family: 'gpt2', architecture: 'GPT2LMHeadModel', parameters: 124_439_808 },
  { file: 'gpt2-medium.config.json', family: 'gpt2', architecture: 'GPT2LMHeadModel', parameters: 354_823_168 },
  { file: 'bert-base.config.json', family: 'bert', architecture: 'BertModel', parameters: 109_482_240 },
  { file: 'bert-base-mlm.config.json', family: 'bert', architecture: 'BertForMaskedLM', parameters: 109_514_298 },
  { file: 'roberta-base.config.json', family: 'roberta', architecture: 'RobertaForMaskedLM', parameters: 124_697_433 },
  { file: 'pythia-70m.config.json', family: 'gpt_neox', architecture: 'GPTNeoXForCausalLM', parameters: 70_426_624 },
  { file: 'vit-base-patch16-224.config.json', family: 'vit', architecture: 'ViTForImageClassification', parameters: 86_567_656 },
  { file: 'llama-2-7b.config.json', family: 'llama', architecture: 'LlamaForCausalLM', parameters: 6_738_415_616 },
  { file: 'llama-3-8b.config.json', family: 'llama', architecture: 'LlamaForCausalLM', parameters: 8_030_261_248 },
  { file: 'mistral-7b.config.json', family: 'mistral', architecture: 'MistralForCausalLM', parameters: 7_241_732_096 },
  { file: 'qwen2-0.5b.config.json', family: 'qwen2', architecture: 'Qwen2ForCausalLM', parameters: 494_032_768 },
  { file: 't5-small.config.json', family: 't5', architecture: 'T5ForConditionalGeneration', parameters: 60_506_624 },
];

/** Every layer spec of a network, nested ones included, in document order. */
function allLayers(layers: LayerSpec[]): LayerSpec[] {
  return layers.flatMap((l) => [l, ...allLayers(l.layers ?? [])]);
}

suite('Hugging Face config.json: each family built as transformers 4.x builds it', () => {
  for (const c of PUBLISHED) {
    test(`${c.file}: ${c.architecture} has its published ${c.parameters.toLocaleString('en')} parameters, analyzed without problems`, function () {
      if (NEEDS_RMSNORM.has(c.family) && !HAS_RMSNORM) this.skip();
      const report = analyze(fixture(c.file), { mode: 'analytic' });
      assert.deepEqual(report.problems.filter((p) => p.severity === 'error'), []);
      assert.equal(report.source?.family, c.family);
      assert.equal(report.source?.architecture, c.architecture);
      assert.match(report.source!.initRules, /^transformers 4\.x /);
      assert.equal(report.cost?.parameterCount, c.parameters);
    });
  }

  test('a model past the default budget is refused its sampled run with the estimate, nothing allocated, and keeps its prediction', function () {
    const medium = analyze(fixture('gpt2-medium.config.json'));
    assert.match(medium.sampledRefused!, /^sampled run refused: it would need 2[0-9]\.\d\d GFLOP per forward pass \(budget 8\.00\)/);
    assert.ok(medium.layers.every((l) => l.activation === null && Number.isFinite(l.predicted!.activationStd)));
    if (!HAS_RMSNORM) return;
    // Llama-3-8B at 32 tokens: 2·32·8.0e9 FLOP; its memory fits (its weights are streamed by blocks of rows: the
    // 128256 × 4096 head and table are never held whole), under issue 13's 1.5 GiB.
    const big = analyze(fixture('llama-3-8b.config.json'));
    assert.match(big.sampledRefused!, /^sampled run refused: it would need 48\d\.\d\d GFLOP per forward pass \(budget 8\.00\);/);
    assert.ok(big.cost!.peakBytes < 1.5 * 2 ** 30, `${big.cost!.peakBytes} bytes`);
    assert.ok(big.layers.every((l) => l.activation === null && Number.isFinite(l.predicted!.activationStd)));
  });

  test('every layer and init of a GPT-2 config points at the config key that decides it', () => {
    const text = fixture('gpt2-small.config.json');
    const report = analyze(text, { mode: 'analytic' });
    const locate = pointerLocator(text);
    const keys = new Set(report.layers.map((l) => l.path));
    assert.deepEqual([...keys].sort(), ['/layer_norm_epsilon', '/n_embd', '/n_head', '/n_layer', '/n_positions', '/tie_word_embeddings', '/vocab_size']);
    for (const key of keys) assert.equal(locate(key).foundPath, key, `${key} is a key of the file`);
    const byName = (name: string): string | undefined => report.layers.find((l) => l.name === name)?.path;
    assert.equal(byName('h.*.attn'), '/n_head');
    assert.equal(byName('h.*.mlp.c_proj'), '/n_layer');
    assert.equal(byName('wte'), '/vocab_size');
  });

  test('GPT-2: every weight N(0, 0.02²), both c_proj N(0, (0.02/√24)²) = 0.0040825, biases 0, the head tied to wte', () => {
    const { network } = readNetwork(fixture('gpt2-small.config.json'));
    const layers = allLayers(network!.layers);
    const attention = layers.find((l) => l.type === 'attention') as AttentionSpec;
    assert.deepEqual(attention.init.options, { std: 0.02 });
    assert.ok(Math.abs(attention.out!.options.std! - 0.02 / Math.sqrt(24)) < 1e-15);
    assert.equal(attention.fusedQkv, true);
    assert.equal(attention.causal, true);
    assert.equal(attention.bias?.scheme, 'zeros');
    const report = analyze(fixture('gpt2-small.config.json'), { mode: 'analytic' });
    const proj = report.layers.find((l) => l.name === 'h.*.mlp.c_proj')!;
    assert.ok(Math.abs(proj.init!.std - 0.0040825) < 1e-7, String(proj.init!.std));
    assert.equal(report.layers.find((l) => l.name === 'h.*.mlp.c_fc')!.init!.std, 0.02);
    assert.equal(report.layers.at(-1)!.type, 'lm_head');
    assert.equal(report.layers.at(-1)!.init!.std, 0.02);
  });

  test('a config that gives only model_type is the config class\'s defaults (GPT-2 small), and says which keys it defaulted', () => {
    const report = analyze('{ "model_type": "gpt2" }', { mode: 'analytic' });
    assert.equal(report.cost?.parameterCount, 124_439_808);
    assert.ok(report.source!.notes.some((n) => /defaults: vocab_size, n_positions, n_embd, n_layer, n_head/.test(n)), report.source!.notes.join('\n'));
    // GPT2Config's attribute_map aliases read as the canonical keys.
    const aliases = analyze(JSON.stringify({ model_type: 'gpt2', hidden_size: 1024, num_hidden_layers: 24, num_attention_heads: 16 }), { mode: 'analytic' });
    assert.equal(aliases.cost?.parameterCount, 354_823_168);
  });

  test('scale_attn_by_inverse_layer_idx divides block i\'s scores by i + 1 as well: the predicted logit std falls as 1/(i + 1)', () => {
    const base = JSON.parse(fixture('tiny-gpt2.config.json'));
    const report = analyze(JSON.stringify({ ...base, scale_attn_by_inverse_layer_idx: true }), { mode: 'analytic' });
    const logits = report.layers.filter((l) => l.type === 'attention').map((l) => l.attention!.predictedLogitStd!);
    assert.equal(logits.length, 3);
    assert.ok(Math.abs(logits[1] / logits[0] - 0.5) < 0.05 && Math.abs(logits[2] / logits[0] - 1 / 3) < 0.05, logits.join(', '));
  });

  test('the sequence length is 32 tokens unless asked, at most the model\'s positions; the batch is 1; both can be overridden', () => {
    assert.equal(analyze(fixture('gpt2-small.config.json'), { mode: 'analytic' }).layers[0].outputShape[0], 32);
    const small = analyze(fixture('tiny-gpt2.config.json'), { mode: 'analytic' });
    assert.equal(small.layers[0].outputShape[0], 16);
    assert.ok(small.source!.notes.some((n) => /32 tokens asked, 16 used/.test(n)));
    const asked = analyze(fixture('gpt2-small.config.json'), { mode: 'analytic', tokens: 8, batchSize: 3 });
    assert.equal(asked.layers[0].outputShape[0], 8);
    assert.equal(asked.batchSize, 3);
    assert.equal(asked.source?.batchSize, 3);
    assert.equal(small.batchSize, 1);
  });

  test('BERT: word + position + token-type embeddings, post-LN blocks, the pooler on the first token; the padding row of the word table is 0', () => {
    const { network } = readNetwork(fixture('bert-base.config.json'));
    const types = allLayers(network!.layers).map((l) => l.type);
    assert.deepEqual(types.slice(0, 5), ['embedding', 'position_embedding', 'position_embedding', 'layernorm', 'repeat']);
    assert.deepEqual(types.slice(-2), ['first_token', 'dense']);
    assert.equal((network!.layers[0] as LayerSpec & { paddingIdx: number }).paddingIdx, 0);
    const report = analyze(fixture('tiny-bert.config.json'));
    assert.equal(report.problems.length, 0);
    // Post-LN: every block ends on a LayerNorm, whose output has std 1.
    for (const l of report.layers.filter((x) => x.name.endsWith('output.LayerNorm'))) assert.ok(Math.abs(l.activation!.std - 1) < 0.01);
  });

  test('GPT-NeoX: parallel residual blocks with rotary on rotary_pct of each head, untied embed_out; sequential blocks when use_parallel_residual is false', () => {
    const { network } = readNetwork(fixture('pythia-70m.config.json'));
    const layers = allLayers(network!.layers);
    assert.equal(layers.filter((l) => l.type === 'parallel_residual').length, 1);
    assert.deepEqual((layers.find((l) => l.type === 'attention') as AttentionSpec).rotary, { fraction: 0.25, base: 10000 });
    const sequential = readNetwork(JSON.stringify({ ...JSON.parse(fixture('pythia-70m.config.json')), use_parallel_residual: false }));
    assert.equal(allLayers(sequential.network!.layers).filter((l) => l.type === 'residual').length, 2);
    assert.equal(analyze(JSON.stringify({ ...JSON.parse(fixture('pythia-70m.config.json')), use_parallel_residual: false }), { mode: 'analytic' }).cost?.parameterCount, 70_426_624);
  });

  test('ViT: a patch conv with kernel = stride = patch_size, (224/16)² + 1 = 197 tokens with the class token, trunc_normal_(0.02) inits', () => {
    const report = analyze(fixture('vit-base-patch16-224.config.json'), { mode: 'analytic' });
    const conv = report.layers[0];
    assert.equal(conv.type, 'conv2d');
    assert.deepEqual(conv.outputShape, [768, 14, 14]);
    assert.equal(conv.init!.scheme, 'truncated_normal');
    assert.ok(Math.abs(conv.init!.std - 0.02) < 1e-6, 'bounds ±2 are ±100σ: the std is 0.02');
    assert.deepEqual(report.layers.find((l) => l.type === 'class_token')!.outputShape, [197, 768]);
    assert.deepEqual(report.layers.at(-1)!.outputShape, [1000]);
    const tiny = analyze(fixture('tiny-vit.config.json'));
    assert.equal(tiny.problems.length, 0);
    assert.ok(tiny.layers.every((l) => Number.isFinite(l.activation!.std)));
  });

  test('Llama-family configs build pre-RMSNorm blocks with grouped-query attention, rotary base rope_theta and SwiGLU; untied heads their own N(0, 0.02²)', function () {
    const { network, problems } = readNetwork(fixture('llama-3-8b.config.json'));
    if (!HAS_RMSNORM) {
      assert.match(problems[0].message, /llama models need the 'rmsnorm' layer/);
      return;
    }
    const layers = allLayers(network!.layers);
    const attention = layers.find((l) => l.type === 'attention') as AttentionSpec;
    assert.equal(attention.heads, 32);
    assert.equal(attention.kvHeads, 8);
    assert.deepEqual(attention.rotary, { fraction: 1, base: 500000 });
    assert.equal(attention.bias, null);
    assert.deepEqual(layers.filter((l) => l.type === 'rmsnorm').length, 3);
    assert.ok(layers.some((l) => l.type === 'gated_mlp'));
    // Qwen2: q, k, v with biases, o without; its head tied.
    const qwen = allLayers(readNetwork(fixture('qwen2-0.5b.config.json')).network!.layers);
    const qa = qwen.find((l) => l.type === 'attention') as AttentionSpec;
    assert.equal(qa.bias?.scheme, 'zeros');
    assert.equal(qa.outBias, null);
  });

  test('T5: shared embedding N(0, f²), q N(0, f²/(d·d_kv)), k and v N(0, f²/d), o N(0, f²/(h·d_kv)), no 1/√d_kv, the first block of each stack owning the position bias', function () {
    if (!HAS_RMSNORM) this.skip();
    const base = JSON.parse(fixture('t5-small.config.json'));
    const { network } = readNetwork(JSON.stringify({ ...base, initializer_factor: 2 }));
    const layers = allLayers(network!.layers);
    const attentions = layers.filter((l) => l.type === 'attention') as AttentionSpec[];
    const first = attentions[0];
    const f = 2;
    assert.equal(first.scale, 'none');
    assert.ok(Math.abs(first.q!.options.std! - f / Math.sqrt(512 * 64)) < 1e-12);
    assert.ok(Math.abs(first.k!.options.std! - f / Math.sqrt(512)) < 1e-12);
    assert.ok(Math.abs(first.out!.options.std! - f / Math.sqrt(8 * 64)) < 1e-12);
    assert.deepEqual(attentions.map((a) => typeof a.positionBias === 'string' ? a.positionBias : a.positionBias && (a.positionBias.bidirectional ? 'own, bidirectional' : 'own, causal')),
      ['own, bidirectional', 'shared', 'own, causal', 'shared']);
    assert.equal((layers.find((l) => l.type === 'embedding') as LayerSpec & { init: { options: { std: number } } }).init.options.std, f);
    assert.ok(layers.some((l) => l.type === 'cross_attention'));
    assert.ok(layers.some((l) => l.type === 'scale'), 'tied: the decoder output × d_model^−½');
    // T5's init makes the scores' std 1 by construction.
    const report = analyze(fixture('t5-small.config.json'), { mode: 'analytic' });
    for (const l of report.layers.filter((x) => x.attention)) assert.ok(Math.abs(l.attention!.predictedLogitStd! - 1) < 0.05, `${l.name}: ${l.attention!.predictedLogitStd}`);
  });

  test('tiny models of every family run sampled without a problem, close to their prediction', function () {
    for (const file of ['tiny-gpt2', 'tiny-bert', 'tiny-neox', 'tiny-vit', 'tiny-llama', 'tiny-t5']) {
      if ((file === 'tiny-llama' || file === 'tiny-t5') && !HAS_RMSNORM) continue;
      const report = analyze(fixture(`${file}.config.json`));
      assert.deepEqual(report.problems, [], file);
      assert.equal(report.sampledRefused, null, file);
      // The last sequence [tokens, features] (the logits; ViT's final LayerNorm): 16 to 197 tokens, sampled within 25%
      // of the mean field. (The class token after it is one row: LayerNorm here normalizes each sample as a whole, so
      // a row of it can stand apart.)
      const last = report.layers.filter((l) => l.outputShape.length === 2).at(-1)!;
      assert.ok(Math.abs(last.activation!.std / last.predicted!.activationStd - 1) < 0.25, `${file}: ${last.activation!.std} vs ${last.predicted!.activationStd}`);
    }
  });
});
