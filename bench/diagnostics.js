#!/usr/bin/env node
// Time from an edit to diagnostics for a 1,000-layer network, without the 300 ms debounce: what the extension does
// on each edit (parse, plan, mean-field prediction, findings, JSON ranges of every finding). Two shapes: 1,000 layers
// written out one by one (a 130 KB file), and the same as a repeat.
//   npm run compile-tests && node bench/diagnostics.js
'use strict';
const path = require('node:path');
const { analyze, pointerLocator } = require(path.join(__dirname, '..', 'out', 'src', 'engine', 'index.js'));

function median(xs) { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }

const layer = (i) => ({ type: 'dense', name: `fc${i}`, units: 512, activation: i % 2 ? 'relu' : 'tanh', init: i % 7 ? 'xavier_normal' : { scheme: 'normal', std: 0.01 } });
const written = JSON.stringify({ input: { shape: [512] }, batch_size: 64, layers: Array.from({ length: 1000 }, (_, i) => layer(i)) }, null, 2);
const repeated = JSON.stringify({ input: { shape: [512] }, layers: [{ type: 'repeat', times: 1000, layers: [layer(1)] }] }, null, 2);

for (const [name, text] of [['1,000 layers written out', written], ['repeat × 1,000', repeated]]) {
  const times = [];
  let findings = 0;
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    const report = analyze(text, { mode: 'analytic' });
    const locate = pointerLocator(text);
    for (const f of report.findings) locate(f.path);
    times.push(performance.now() - t);
    findings = report.findings.length;
  }
  console.log(`${name} (${(text.length / 1024).toFixed(0)} KB): edit → diagnostics median ${median(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms over 30 runs; ${findings} findings`);
}
