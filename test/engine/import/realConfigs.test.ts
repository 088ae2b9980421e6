import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze, detectNetworkFormat } from '../../../src/engine';
import { HAS_RMSNORM, realConfigsFolder } from './hfFixtures';

/**
 * What each Hugging Face file of `../shared/real-configs/` (real files written by others, read from there, never
 * copied in) must give: its parameter count as published for the architecture it names, or the message it is
 * refused with.
 */
const EXPECTED: Record<string, { parameters: number; rmsnorm?: boolean } | { refused: RegExp }> = {
  'hf-gpt2.config.json': { parameters: 124_439_808 },
  'hf-bert-base-uncased.config.json': { parameters: 109_482_240 },
  'hf-vit-base-patch16-224.config.json': { parameters: 86_567_656 },
  'hf-t5-small.config.json': { parameters: 60_506_624, rmsnorm: true },
  'hf-tinyllama-1.1b-chat.config.json': { parameters: 1_100_048_384, rmsnorm: true },
  'hf-qwen2-0.5b.config.json': { parameters: 494_032_768, rmsnorm: true },
  'hf-llama-2-7b-chat.config.json': { refused: /"auto_map" at \/auto_map points at custom modelling code/ },
};

/**
 * What each GPT-NeoX YAML config there (`neox-*.yml`, EleutherAI/gpt-neox's own format) must give: its published
 * parameter count (Pythia-70M: 70,426,624, the count of its Hugging Face `GPTNeoXForCausalLM`; the arithmetic is in
 * gptNeoxYaml.test.ts), or the message it is refused with.
 */
const EXPECTED_NEOX: Record<string, { parameters: number } | { refused: RegExp }> = {
  'neox-pythia-70m.yml': { parameters: 70_426_624 },
};

const folder = realConfigsFolder();

suite('real Hugging Face and GPT-NeoX configs written by others (../shared/real-configs, when present)', () => {
  suiteSetup(function () {
    if (!folder) this.skip();
  });

  test('every Hugging Face config there is recognised by content, and nothing else there is', () => {
    for (const file of fs.readdirSync(folder!).filter((f) => f.endsWith('.json'))) {
      const format = detectNetworkFormat(fs.readFileSync(path.join(folder!, file), 'utf8'));
      assert.equal(format === 'huggingface', file.startsWith('hf-'), `${file}: ${format}`);
    }
  });

  test('every GPT-NeoX YAML config there is recognised by content; each gives its published parameter count without an error problem, or is refused with its message', () => {
    const files = fs.readdirSync(folder!).filter((f) => /\.ya?ml$/.test(f));
    assert.deepEqual(files.sort(), Object.keys(EXPECTED_NEOX).sort(), 'a new real GPT-NeoX config needs its expectation here');
    for (const file of files) {
      const text = fs.readFileSync(path.join(folder!, file), 'utf8');
      assert.equal(detectNetworkFormat(text), 'gpt-neox', file);
      const expected = EXPECTED_NEOX[file];
      const report = analyze(text, { mode: 'analytic', file });
      const errors = report.problems.filter((p) => p.severity === 'error');
      if ('refused' in expected) {
        assert.equal(errors.length, 1, file);
        assert.match(errors[0].message, expected.refused, file);
        continue;
      }
      assert.deepEqual(errors, [], file);
      assert.equal(report.cost?.parameterCount, expected.parameters, file);
      assert.ok(report.layers.every((l) => Number.isFinite(l.predicted!.activationStd) && Number.isFinite(l.predicted!.gradientStd)), file);
    }
  });

  test('each gives its published parameter count without an error problem, or is refused with its message', function () {
    const files = fs.readdirSync(folder!).filter((f) => f.startsWith('hf-') && f.endsWith('.json'));
    assert.deepEqual(files.sort(), Object.keys(EXPECTED).sort(), 'a new real config needs its expectation here');
    for (const file of files) {
      const expected = EXPECTED[file];
      const report = analyze(fs.readFileSync(path.join(folder!, file), 'utf8'), { mode: 'analytic', file });
      const errors = report.problems.filter((p) => p.severity === 'error');
      if ('refused' in expected) {
        assert.equal(errors.length, 1, file);
        assert.match(errors[0].message, expected.refused, file);
        continue;
      }
      if (expected.rmsnorm && !HAS_RMSNORM) {
        assert.match(errors[0]?.message ?? '', /need the 'rmsnorm' layer/, file);
        continue;
      }
      assert.deepEqual(errors, [], file);
      assert.equal(report.cost?.parameterCount, expected.parameters, file);
      assert.ok(report.layers.every((l) => Number.isFinite(l.predicted!.activationStd) && Number.isFinite(l.predicted!.gradientStd)), file);
    }
  });
});
