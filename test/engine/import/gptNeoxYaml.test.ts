import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze, applySourceFixes, detectNetworkFormat, readNetwork, sourceFixEdits, sourceLocator } from '../../../src/engine';
import { methodDraw, NEOX_INIT_METHODS, smallInitStd, wangInitStd } from '../../../src/engine/import/gptNeox/initMethods';
import { paddedVocab } from '../../../src/engine/import/gptNeox/importGptNeox';
import { assertClose, ROOT } from '../../repo';

/** The project's GPT-NeoX YAML configs (test/fixtures/gptNeox). */
function neoxFixture(name: string): string {
  return fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'gptNeox', name), 'utf8');
}

/** A small GPT-NeoX config in block YAML: 2 blocks of width 64 (the extra lines go last). */
function tiny(extra = ''): string {
  return `num-layers: 2\nhidden-size: 64\nnum-attention-heads: 4\nseq-length: 64\nmax-position-embeddings: 64\npos-emb: rotary\ngpt-j-residual: true\nno-weight-tying: true\n${extra}`;
}

/** The text a located problem covers. */
const covered = (text: string, p: { offset: number; length: number }): string => text.slice(p.offset, p.offset + p.length);

suite('GPT-NeoX YAML: gpt-neox\'s init methods (megatron/model/init_functions.py)', () => {
  test('small_init and wang_init give Pythia-70M the stds formats.md computes: 0.02795 and 0.01473', () => {
    assert.equal(Number(smallInitStd(512).toPrecision(4)), 0.02795);
    assert.equal(Number(wangInitStd(6, 512).toPrecision(4)), 0.01473);
  });

  test('every init method: the engine draws dense_h_to_4h with the std of its closed form (its own fans for Xavier and orthogonal)', () => {
    // d = 64, L = 2, init_method_std 0.05: normal 0.05, scaled_normal 0.05/√4, small_init √(2/320), wang_init 2/(2·8),
    // xavier √(2/(64 + 256)) for dense_h_to_4h [256, 64], orthogonal √2/√256 and scaled_orthogonal √(2/2)/√256.
    for (const method of NEOX_INIT_METHODS) {
      const report = analyze(tiny(`init_method: ${method}\ninit_method_std: 0.05\n`), { mode: 'analytic' });
      assert.deepEqual(report.problems, [], method);
      const h4h = report.layers.find((l) => l.name === 'layers.*.mlp.dense_h_to_4h')!;
      const expected = methodDraw(method, { hiddenSize: 64, numLayers: 2, initMethodStd: 0.05 }, 64, 256).std;
      const closedForm: Record<string, number> = {
        normal: 0.05, scaled_normal: 0.05 / 2, small_init: Math.sqrt(2 / 320), wang_init: 2 / 16,
        xavier_uniform: Math.sqrt(2 / 320), xavier_normal: Math.sqrt(2 / 320), orthogonal: Math.SQRT2 / 16, scaled_orthogonal: 1 / 16,
      };
      assertClose(expected, closedForm[method], 1e-12, 0, method);
      assertClose(h4h.init!.std, expected, 1e-9, 0, `${method}: the std the engine draws`);
    }
  });

  test('orthogonal: the weights the engine samples have std gain/√max(fans) (a semi-orthogonal matrix has unit rows or columns)', () => {
    const report = analyze(tiny('output_layer_init_method: orthogonal\n'), { mode: 'sampled', seed: 3 });
    const h4h = report.layers.find((l) => l.name === 'layers.*.mlp.dense_4h_to_h')!;
    // 16,384 weights of [64, 256]: its 64 rows are unit vectors, so the std is √2·√(64/16384) to rounding.
    assertClose(h4h.init!.sampledStd!, Math.SQRT2 / 16, 0.01, 0, 'the sampled weights\' std');
  });

  test('output_layer_init_method draws attention.dense and dense_4h_to_h; init_method the rest', () => {
    const report = analyze(tiny('init_method: small_init\noutput_layer_init_method: wang_init\n'), { mode: 'analytic' });
    const std = (name: string): number => report.layers.find((l) => l.name === name)!.init!.std;
    assertClose(std('word_embeddings'), smallInitStd(64), 1e-12);
    assertClose(std('layers.*.mlp.dense_h_to_4h'), smallInitStd(64), 1e-12);
    assertClose(std('layers.*.mlp.dense_4h_to_h'), wangInitStd(2, 64), 1e-12);
    assertClose(std('final_linear'), smallInitStd(64), 1e-12);
    const roles = readNetwork(tiny('init_method: small_init\noutput_layer_init_method: wang_init\n')).map!.roles();
    assert.deepEqual(roles.filter((r) => r.key === '/output_layer_init_method').flatMap((r) => r.parameters).sort(),
      ['layers.*.attention.dense.weight', 'layers.*.mlp.dense_4h_to_h.weight']);
  });
});

suite('GPT-NeoX YAML: the model and its parameter count', () => {
  test('Pythia-70M (the project\'s block-style file) has its published 70,426,624 parameters', () => {
    // d = 512, L = 6, vocab 50277 (GPT-NeoX-20B tokenizer) padded to a multiple of 128 → 50304, MLP 4·512 = 2048.
    // word_embeddings 50304·512 = 25,755,648 and final_linear (untied, no bias) 25,755,648;
    // per block: 2 LayerNorms 4·512 = 2,048; query_key_value 512·1536 + 1536 = 787,968; attention.dense
    // 512·512 + 512 = 262,656; dense_h_to_4h 512·2048 + 2048 = 1,050,624; dense_4h_to_h 2048·512 + 512 = 1,049,088
    // → 3,152,384, × 6 = 18,914,304; final norm 1,024. Total 51,511,296 + 18,914,304 + 1,024 = 70,426,624
    // (rotary embeddings have no parameters), Pythia-70M's published count (transformers' GPTNeoXForCausalLM).
    const expected = 2 * 50304 * 512 + 6 * (4 * 512 + (512 * 1536 + 1536) + (512 * 512 + 512) + (512 * 2048 + 2048) + (2048 * 512 + 512)) + 2 * 512;
    assert.equal(expected, 70_426_624);
    const text = neoxFixture('pythia-70m.yml');
    assert.equal(detectNetworkFormat(text), 'gpt-neox');
    const report = analyze(text, { mode: 'analytic' });
    assert.deepEqual(report.problems, []);
    assert.equal(report.cost?.parameterCount, expected);
    assert.deepEqual(report.findings, [], 'Pythia\'s own init raises nothing');
    assert.equal(report.source?.format, 'gpt-neox');
    assert.match(report.source!.initRules, /init_method small_init → N\(0, 0\.02795\d*²\).*output_layer_init_method wang_init → N\(0, 0\.01473\d*²\)/);
  });

  test('absent keys take NeoXArgs\' defaults, listed in the report: learned positions, sequential blocks, tied output, GPT-2\'s tokenizer', () => {
    // GPT-2 small's shape: 124,439,808 parameters with GPT-2's 50257 tokens; gpt-neox pads them to 50304 (a multiple
    // of 128), 47 more rows of 768 = 36,096 parameters.
    const report = analyze(neoxFixture('gpt2-small-learned.yml'), { mode: 'analytic' });
    assert.deepEqual(report.problems, []);
    assert.equal(paddedVocab(50257, 128, 1), 50304);
    assert.equal(report.cost?.parameterCount, 124_439_808 + 47 * 768);
    assert.ok(report.layers.some((l) => l.name === 'position_embeddings'));
    assert.ok(report.layers.some((l) => l.name === 'final_linear (tied to word_embeddings)'));
    const defaults = report.source!.notes.find((n) => n.startsWith('keys absent from this file'))!;
    for (const key of ['pos_emb: "learned"', 'gpt_j_residual: false', 'no_weight_tying: false', 'init_method: "normal"', 'output_layer_init_method: "scaled_normal"', 'init_method_std: 0.02']) {
      assert.ok(defaults.includes(key), `${key} in: ${defaults}`);
    }
    // scaled_normal: 0.02/√(2·12) for the output layers.
    assertClose(report.layers.find((l) => l.name === 'layers.*.mlp.dense_4h_to_h')!.init!.std, 0.02 / Math.sqrt(24), 1e-12);
  });

  test('a what-if on the whole model re-draws every weight with the scheme asked (xavier_normal from each weight\'s fans)', () => {
    const report = analyze(neoxFixture('pythia-70m.yml'), { mode: 'analytic', whatIf: { target: 'all', scheme: 'xavier_normal', multiplier: 1 } });
    const dense = report.layers.filter((l) => l.init && l.fanIn && l.fanOut && l.name.startsWith('layers.*.mlp'));
    assert.ok(dense.length > 0);
    for (const l of dense) assertClose(l.init!.std, Math.sqrt(2 / (l.fanIn! + l.fanOut!)), 1e-12, 0, l.name);
  });

  test('a what-if on a YAML key scales the layers that key decides, and only those', () => {
    // hidden-size decides both MLP projections (their widths); the attention's key is num-attention-heads.
    const text = neoxFixture('pythia-70m.yml');
    const before = analyze(text, { mode: 'analytic' });
    const after = analyze(text, { mode: 'analytic', whatIf: { target: '/hidden-size', scheme: 'keep', multiplier: 2 } });
    const std = (r: typeof before, name: string): number => r.layers.find((l) => l.name === name)!.init!.std;
    assertClose(std(after, 'layers.*.mlp.dense_h_to_4h'), 2 * smallInitStd(512), 1e-12);
    assertClose(std(after, 'layers.*.mlp.dense_4h_to_h'), 2 * wangInitStd(6, 512), 1e-12);
    assert.equal(std(after, 'word_embeddings'), std(before, 'word_embeddings'));
    assert.equal(std(after, 'final_linear'), std(before, 'final_linear'));
  });
});

suite('GPT-NeoX YAML: problems at their keys', () => {
  test('an unknown init_method is located at its key, with a did-you-mean', () => {
    const text = neoxFixture('pythia-70m.yml').replace('init_method: small_init', 'init_method: smal_init');
    const report = analyze(text, { mode: 'analytic' });
    assert.equal(report.problems.length, 1);
    const [p] = report.problems;
    assert.equal(p.path, '/init_method');
    assert.equal(covered(text, p), 'init_method: smal_init');
    assert.equal(p.line, text.split('\n').findIndex((l) => l.startsWith('init_method:')) + 1);
    assert.match(p.message, /unknown init_method 'smal_init' at \/init_method \(did you mean 'small_init'\?\); gpt-neox accepts: normal, scaled_normal/);
  });

  test('a bad value is located at its key, spelled as the file spells it', () => {
    const text = neoxFixture('pythia-70m-normal-init.yml').replace('"hidden-size": 512', '"hidden-size": 500');
    const report = analyze(text, { mode: 'analytic' });
    assert.equal(report.problems.length, 1);
    assert.equal(covered(text, report.problems[0]), '"num-attention-heads": 8');
    assert.match(report.problems[0].message, /hidden-size 500 must be a multiple of num-attention-heads 8/);
    const negative = analyze(tiny().replace('hidden-size: 64', 'hidden-size: -64'), { mode: 'analytic' });
    assert.equal(covered(tiny().replace('hidden-size: 64', 'hidden-size: -64'), negative.problems[0]), 'hidden-size: -64');
    assert.match(negative.problems[0].message, /'hidden-size' at \/hidden-size must be >= 1, got -64/);
  });

  test('a key this file does not set and gpt-neox has no default for is named (a config split across files)', () => {
    const text = 'num-layers: 6\nhidden-size: 512\ninit_method: small_init\n';
    const report = analyze(text, { mode: 'analytic' });
    assert.equal(report.problems.length, 1);
    assert.match(report.problems[0].message, /'num-attention-heads' is not set, and gpt-neox has no default for it: add it \(gpt-neox merges several YAML files; this one is analyzed alone\)/);
  });

  test('broken YAML gets a located message and never throws; two documents in one file are refused at the second', () => {
    const broken = 'num-layers: 2\nhidden-size: [64\nnum-attention-heads: 4\n';
    assert.equal(detectNetworkFormat(broken), 'gpt-neox');
    const report = analyze(broken, { mode: 'analytic' });
    assert.equal(report.problems.length, 1);
    assert.equal(report.problems[0].line, 3);
    assert.match(report.problems[0].message, /^YAML syntax error at line 3: /);
    const two = `${tiny()}---\n${tiny()}`;
    const refused = analyze(two, { mode: 'analytic' });
    assert.equal(refused.problems.length, 1);
    assert.equal(refused.problems[0].offset, two.indexOf('---'));
    assert.match(refused.problems[0].message, /this file holds 2 YAML documents/);
    for (let cut = 0; cut < broken.length; cut += 3) assert.doesNotThrow(() => analyze(tiny().slice(0, cut) + '{[', { mode: 'analytic' }));
  });

  test('a file that only mentions the keys is not a GPT-NeoX config; a Hugging Face config stays one', () => {
    assert.equal(detectNetworkFormat('model:\n  num_layers: 2\n  hidden_size: 4\n'), null);
    assert.equal(detectNetworkFormat('{"model_type": "t5", "num_layers": 6, "hidden_size": 512}'), 'huggingface');
  });
});

suite('GPT-NeoX YAML: findings and fixes in the file\'s own keys and spelling', () => {
  const text = neoxFixture('pythia-70m-normal-init.yml');

  test('N(0, 0.1²) inits: each finding sits at the key that draws its weights, the fix names a gpt-neox init method', () => {
    const report = analyze(text, { mode: 'analytic' });
    const at = (code: string): (typeof report.findings)[number] => report.findings.find((f) => f.code === code)!;
    assert.deepEqual(report.findings.map((f) => f.code).sort(), ['attention-entropy-collapse', 'output-loss-above-uniform', 'residual-stream-growth']);
    const attention = at('attention-entropy-collapse');
    assert.equal(attention.path, '/init_method');
    assert.equal(attention.fix?.value, 'small_init');
    assert.match(attention.fix!.description, /^set init_method to small_init \(std 0\.02795\d* for layers\.\*\.attention\.query_key_value\.weight: .*\); it draws .*word_embeddings\.weight too$/);
    // The residual stream asks for the output layers at 1/√12 of 0.01473, which no init method gives (the other key,
    // init_method, is "normal" and reads init-method-std): the message gives the exact change.
    const residual = at('residual-stream-growth');
    assert.equal(residual.path, '/output_layer_init_method');
    assert.equal(residual.fix, null);
    assert.match(residual.message, /No one gpt-neox key makes this change: .* draw layers\.\*\.attention\.dense\.weight \(drawn by output_layer_init_method\) with std 0\.00425/);
    const loc = sourceLocator(text)(attention.path);
    assert.equal(covered(text, loc), '"init_method": "normal"');
  });

  test('the fix edits the YAML value in place (quotes kept), and the analysis of the fixed file has no finding left', () => {
    const fix = analyze(text, { mode: 'analytic' }).findings.find((f) => f.code === 'attention-entropy-collapse')!.fix!;
    const edits = sourceFixEdits(text, fix);
    assert.equal(edits.length, 1);
    assert.equal(covered(text, edits[0]), '"normal"');
    assert.equal(edits[0].content, '"small_init"');
    const fixed = applySourceFixes(text, [fix]);
    assert.equal(fixed, text.replace('"init_method": "normal"', '"init_method": "small_init"'));
    assert.deepEqual(analyze(fixed, { mode: 'analytic' }).findings, []);
  });

  test('a key the file does not have is added in its spelling: a flow map gets "key": value, a block map key: value', () => {
    const flow = '{\n  "num-layers": 6,\n  "hidden-size": 512,\n  "num-attention-heads": 8,\n  "pos-emb": "rotary",\n}\n';
    const out = applySourceFixes(flow, [{ description: '', path: '/output-layer-init-method', value: 'small_init' }]);
    assert.equal(out, '{\n  "output-layer-init-method": "small_init",\n  "num-layers": 6,\n  "hidden-size": 512,\n  "num-attention-heads": 8,\n  "pos-emb": "rotary",\n}\n');
    assert.deepEqual(readNetwork(out).problems, []);
    const block = 'num_layers: 6\nhidden_size: 512\nnum_attention_heads: 8\npos_emb: rotary\n';
    const both = applySourceFixes(block, [{ description: '', path: '/init_method', value: 'normal', also: [{ path: '/init_method_std', value: 0.01 }] }]);
    assert.equal(both, 'init_method_std: 0.01\ninit_method: normal\nnum_layers: 6\nhidden_size: 512\nnum_attention_heads: 8\npos_emb: rotary\n');
    assertClose(analyze(both, { mode: 'analytic' }).layers.find((l) => l.name === 'word_embeddings')!.init!.std, 0.01, 1e-12);
  });

  test('when no init method is near, a key whose partner does not read init_method_std becomes normal at the std asked', () => {
    // init_method orthogonal (no init_method_std), output layers wang_init: the residual stream asks for output layers
    // no named method gives, so output_layer_init_method becomes "normal" and init-method-std (dashed, as this file
    // spells its keys) the std asked.
    const text = tiny('init_method: orthogonal\noutput_layer_init_method: wang_init\n');
    const report = analyze(text, { mode: 'analytic' });
    assert.deepEqual(report.findings.map((f) => f.code), ['residual-stream-growth']);
    const fix = report.findings[0].fix!;
    assert.equal(fix.path, '/output_layer_init_method');
    assert.equal(fix.value, 'normal');
    assert.equal(fix.also?.[0].path, '/init-method-std');
    assert.match(fix.description, /^set output_layer_init_method to normal and init-method-std to /);
    const fixed = applySourceFixes(text, [fix]);
    assert.deepEqual(analyze(fixed, { mode: 'analytic' }).findings, [], fixed);
  });
});
