import * as assert from 'node:assert/strict';
import { analyze, applyFixes } from '../../../src/engine';
import { namePattern } from '../../../src/engine/import/huggingFace/translateFinding';
import { fixture } from './hfFixtures';

// A GPT-2 whose initializer_range is ten times GPT-2's: 2 blocks of width 256, std 0.2.
const WIDE = fixture('tiny-gpt2-wide-init.config.json');

suite('findings on a Hugging Face config, in the config\'s vocabulary', () => {
  test('attention entropy collapse: the fix sets initializer_range so that the logit std is 1 (it grows as its square)', () => {
    const report = analyze(WIDE, { mode: 'analytic' });
    const finding = report.findings.find((f) => f.code === 'attention-entropy-collapse')!;
    assert.equal(finding.path, '/n_head');
    assert.equal(finding.fix?.path, '/initializer_range');
    assert.match(finding.fix!.description, /^set initializer_range to [\d.]+ \(from 0\.2: bring the attention logits' std to 1 .*; it scales every weight gpt2's init draws from it/);
    const before = report.layers.find((l) => l.type === 'attention')!.attention!.predictedLogitStd!;
    const fixed = analyze(applyFixes(WIDE, [finding.fix!]), { mode: 'analytic' });
    const after = fixed.layers.find((l) => l.type === 'attention')!.attention!.predictedLogitStd!;
    assert.ok(before > 3 && Math.abs(after - 1) < 0.01, `logit std ${before} → ${after}`);
    assert.ok(!fixed.findings.some((f) => f.code === 'attention-entropy-collapse'));
  });

  test('output loss above uniform: the tied head\'s fix is initializer_range at logit std 0.5, the loss then ln(vocab) + 0.125', () => {
    const finding = analyze(WIDE, { mode: 'analytic' }).findings.find((f) => f.code === 'output-loss-above-uniform')!;
    assert.equal(finding.path, '/initializer_range', 'the tied head shares wte, whose init initializer_range sets');
    assert.equal(finding.fix?.path, '/initializer_range');
    const head = analyze(applyFixes(WIDE, [finding.fix!]), { mode: 'analytic' }).layers.at(-1)!;
    assert.ok(Math.abs(head.loss!.predicted! - head.loss!.uniform - 0.125) < 0.01, `${head.loss!.predicted} vs ln(vocab) ${head.loss!.uniform}`);
  });

  test('residual stream growth cannot be written into config.json: the message gives the code that re-draws each c_proj at 1/√(2·blocks) of its std', () => {
    const finding = analyze(WIDE, { mode: 'analytic' }).findings.find((f) => f.code === 'residual-stream-growth')!;
    assert.equal(finding.path, '/n_layer');
    assert.equal(finding.fix, null);
    assert.deepEqual(finding.alternatives, []);
    // c_proj is drawn with 0.2/√(2·2) = 0.1; four residual branches: × 1/√4 → 0.05.
    assert.match(finding.message, /Not a config\.json setting: transformers draws these weights in the gpt2 model's code \(_init_weights\)/);
    assert.ok(finding.message.endsWith("after the model is built run: `import re; [torch.nn.init.normal_(p, mean=0.0, std=0.05) for name, p in model.named_parameters() "
      + "if re.search(r'(^|\\.)(h\\.\\d+\\.attn\\.c_proj\\.weight|h\\.\\d+\\.mlp\\.c_proj\\.weight)$', name)]`"), finding.message);
  });

  test('parameter names become one Python pattern: dots literal, * any block index, a block-0 name that * covers left out', () => {
    assert.equal(namePattern(['decoder.block.0.layer.0.SelfAttention.o.weight', 'decoder.block.*.layer.0.SelfAttention.o.weight', 'lm_head.weight']),
      '(^|\\.)(decoder\\.block\\.\\d+\\.layer\\.0\\.SelfAttention\\.o\\.weight|lm_head\\.weight)$');
  });

  test('a GPT-2 config with the 4.x init has no finding; its layers report at the config\'s keys', () => {
    const report = analyze(fixture('gpt2-small.config.json'), { mode: 'analytic' });
    assert.deepEqual(report.findings, []);
  });
});
