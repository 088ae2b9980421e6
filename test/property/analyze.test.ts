// The property tier: generated network descriptions, valid and mutated, through analyze(), with a fixed seed. Every
// counterexample it finds becomes a unit test of its own (test/engine/…) once fixed.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyze, type Report } from '../../src/engine';
import { referenceBackend } from '../../src/engine/backend/reference/referenceBackend';
import { mutatedNetwork, mutatedText, network } from './arbitraries';
import { PROPERTY_SEED, runs } from './settings';

/** The 1-based line and column of `offset` (a line ends at \n, \r\n or \r, as VS Code counts). */
function position(text: string, offset: number): { line: number; column: number } {
  let line = 1, start = 0;
  for (let i = 0; i < offset; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/** Fields that describe a layer and are never statistics. */
const STRUCTURAL = new Set(['index', 'outputShape', 'fanIn', 'fanOut']);

/** The dotted names of a layer's statistics that are numbers but not finite (NaN, ±Infinity). */
function nonFinite(value: unknown, field = ''): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [field];
  if (Array.isArray(value)) return value.some((v) => typeof v === 'number' && !Number.isFinite(v)) ? [field] : [];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => (field === '' && STRUCTURAL.has(k) ? [] : nonFinite(v, field ? `${field}.${k}` : k)));
}

/** The invariants every report keeps, whatever the text. */
function checkReport(text: string, report: Report, budgetBytes: number): void {
  for (const p of report.problems) {
    assert.ok(p.path === '' || p.path.startsWith('/'), `a JSON pointer: ${p.path}`);
    assert.ok(Number.isInteger(p.offset) && p.offset >= 0 && p.length >= 0 && p.offset + p.length <= text.length, `inside the text: ${p.offset}+${p.length} of ${text.length}: ${p.message}`);
    assert.deepEqual({ line: p.line, column: p.column }, position(text, p.offset), `line and column of offset ${p.offset}: ${p.message}`);
    assert.ok(p.message.length > 0);
  }
  for (const layer of report.layers) {
    for (const field of nonFinite(layer)) {
      assert.ok(report.problems.some((p) => p.message.startsWith(`${field} of layer `)), `${field} of layer ${layer.index} is not finite and no problem names it`);
    }
  }
  if (report.cost && report.sampledRefused === null && report.mode !== 'analytic' && report.backend !== null) {
    assert.ok(report.cost.peakBytes <= budgetBytes, `a run of ${report.cost.peakBytes} bytes went past the budget of ${budgetBytes}`);
  }
}

/** analyze() with the timings left out (they are the only part that may differ from run to run). */
function analyzeTwice(text: string, budgetBytes: number): Report {
  const options = { mode: 'both' as const, backend: referenceBackend, budget: { flops: 5e7, bytes: budgetBytes } };
  const first = analyze(text, options);
  const second = analyze(text, options);
  const strip = (r: Report): unknown => ({ ...r, timings: null });
  assert.deepEqual(strip(second), strip(first), 'the same text and seed give the same report');
  return first;
}

const budget = fc.integer({ min: 1 << 20, max: 64 << 20 });

suite(`property tier (fast-check, seed ${PROPERTY_SEED}): analyze() on generated documents`, () => {
  test(`${runs.valid} valid networks: no throw, located problems, finite numbers or a note, the budget kept, deterministic`, () => {
    fc.assert(fc.property(network, budget, (doc, bytes) => {
      const text = JSON.stringify(doc, null, 2);
      const report = analyzeTwice(text, bytes);
      checkReport(text, report, bytes);
      assert.ok(report.layers.length > 0 || report.problems.some((p) => p.severity === 'error'), 'a valid network plans, or says why not');
    }), { seed: PROPERTY_SEED, numRuns: runs.valid });
  });

  test(`${runs.mutatedJson} networks with one value replaced or removed: the same invariants`, () => {
    fc.assert(fc.property(mutatedNetwork, budget, (doc, bytes) => {
      const text = JSON.stringify(doc) ?? '';
      checkReport(text, analyzeTwice(text, bytes), bytes);
    }), { seed: PROPERTY_SEED, numRuns: runs.mutatedJson });
  });

  test(`${runs.mutatedText} texts cut and spliced: the same invariants`, () => {
    fc.assert(fc.property(mutatedText, budget, (text, bytes) => {
      checkReport(text, analyzeTwice(text, bytes), bytes);
    }), { seed: PROPERTY_SEED, numRuns: runs.mutatedText });
  });
});
