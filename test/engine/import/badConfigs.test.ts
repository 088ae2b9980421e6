import * as assert from 'node:assert/strict';
import { analyze } from '../../../src/engine';
import { HF_MODEL_TYPES } from '../../../src/engine/import/huggingFace/importHuggingFace';

/** The one error problem of a config, with where it is. */
function onlyError(text: string): { path: string; line: number; column: number; message: string } {
  const report = analyze(text, { mode: 'analytic' });
  const errors = report.problems.filter((p) => p.severity === 'error');
  assert.equal(errors.length, 1, JSON.stringify(report.problems, null, 1));
  assert.deepEqual(report.layers, []);
  return errors[0];
}

const SUPPORTED = /supported model_type values .*gpt2, bert, roberta, llama, mistral, qwen2, gpt_neox, t5, vit/;

suite('Hugging Face config.json: bad input gets one located message', () => {
  test('the supported families are the nine the importer builds', () => {
    assert.deepEqual([...HF_MODEL_TYPES], ['gpt2', 'bert', 'roberta', 'llama', 'mistral', 'qwen2', 'gpt_neox', 't5', 'vit']);
  });

  test('an unknown model_type is refused at its key, with a did-you-mean and the supported families', () => {
    const p = onlyError('{\n  "model_type": "lama",\n  "hidden_size": 64\n}');
    assert.equal(p.path, '/model_type');
    assert.deepEqual([p.line, p.column], [2, 17]);
    assert.match(p.message, /unknown model_type 'lama' at \/model_type \(did you mean 'llama'\?\)/);
    assert.match(p.message, SUPPORTED);
    assert.match(onlyError('{ "model_type": "falcon" }').message, SUPPORTED);
  });

  test('an auto_map (remote custom code) is refused at its key, naming the code it points at; nothing is run', () => {
    const text = '{\n  "model_type": "llama",\n  "auto_map": { "AutoModelForCausalLM": "modeling_llama.LlamaForCausalLM" },\n  "hidden_size": 64\n}';
    const p = onlyError(text);
    assert.equal(p.path, '/auto_map');
    assert.equal(p.line, 3);
    assert.match(p.message, /custom modelling code \(AutoModelForCausalLM → modeling_llama\.LlamaForCausalLM\).*never runs/);
    assert.match(p.message, /Remove "auto_map" to analyze the config as transformers' own 'llama' model/);
    assert.match(p.message, SUPPORTED);
  });

  test('a config without model_type (no architecture to build) is refused, suggesting one from "architectures"', () => {
    const p = onlyError('{ "architectures": ["GPTNeoXForCausalLM"], "hidden_size": 64 }');
    assert.equal(p.path, '');
    assert.match(p.message, /no "model_type".*'GPTNeoXForCausalLM': add "model_type": "gpt_neox"/);
    assert.match(p.message, SUPPORTED);
    assert.match(onlyError('{ "transformers_version": "4.40.0" }').message, SUPPORTED);
  });

  test('a value of the wrong type is an error at its key, with what was expected', () => {
    const p = onlyError('{\n  "model_type": "gpt2",\n  "n_embd": "768"\n}');
    assert.equal(p.path, '/n_embd');
    assert.deepEqual([p.line, p.column], [3, 13]);
    assert.match(p.message, /n_embd at \/n_embd must be a whole number, got a string \('768'\)/);
    assert.match(onlyError('{ "model_type": "bert", "num_hidden_layers": 0 }').message, /num_hidden_layers at \/num_hidden_layers must be >= 1, got 0/);
    assert.match(onlyError('{ "model_type": "llama", "tie_word_embeddings": "no" }').message, /tie_word_embeddings at \/tie_word_embeddings must be true or false/);
  });

  test('inconsistent sizes and unknown activations are errors at the key that decides them', () => {
    const heads = onlyError('{ "model_type": "gpt2", "n_embd": 100, "n_head": 12 }');
    assert.equal(heads.path, '/n_head');
    assert.match(heads.message, /n_embd 100 must be a multiple of n_head 12/);
    const kv = onlyError('{ "model_type": "mistral", "num_attention_heads": 32, "num_key_value_heads": 5 }');
    assert.equal(kv.path, '/num_key_value_heads');
    const act = onlyError('{ "model_type": "bert", "hidden_act": "mish" }');
    assert.equal(act.path, '/hidden_act');
    assert.match(act.message, /unsupported activation 'mish' at \/hidden_act; Init Inspector computes: gelu, gelu_new/);
    assert.equal(onlyError('{ "model_type": "t5", "feed_forward_proj": "gated-gelu-x" }').path, '/feed_forward_proj');
  });

  test('an architecture whose head is not modelled is a warning at /architectures/0; the base model is analyzed', () => {
    const report = analyze('{ "model_type": "gpt2", "architectures": ["GPT2DoubleHeadsModel"], "n_layer": 2 }', { mode: 'analytic' });
    assert.equal(report.problems.length, 1);
    assert.equal(report.problems[0].severity, 'warning');
    assert.equal(report.problems[0].path, '/architectures/0');
    assert.match(report.problems[0].message, /'GPT2DoubleHeadsModel'.*analyzed as GPT2LMHeadModel/);
    assert.ok(report.layers.length > 0);
  });

  test('broken JSON is a syntax error at its position', () => {
    const report = analyze('{ "model_type": "gpt2", "n_embd": 768,, }', { mode: 'analytic' });
    assert.match(report.problems[0].message, /JSON syntax error/);
    assert.equal(report.problems[0].line, 1);
  });
});
