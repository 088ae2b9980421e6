// Generates the WebAssembly text (WAT) of the engine's kernels and assembles it with the `wabt` npm package at build
// time (no binary is committed): GEMM (gemmWat.js), the seeded fills (fillWat.js), the statistics (statsWat.js),
// im2col / col2im (convWat.js) and the activations (activationWat.js).
'use strict';

const { gemmWat } = require('./gemmWat');
const { fillWat } = require('./fillWat');
const { statsWat } = require('./statsWat');
const { convWat } = require('./convWat');
const { activationWat } = require('./activationWat');

/** The whole module as WAT text. */
function kernelsWat() {
  // The memory is imported and shared, so that worker threads can run the same kernels on the same operands.
  return `(module\n  (import "env" "memory" (memory 1 65536 shared))${gemmWat()}${fillWat()}${statsWat()}${convWat()}${activationWat()}\n)\n`;
}

/** Assembles the kernels into WebAssembly bytes with wabt (SIMD enabled). */
async function buildKernels() {
  const wabt = await require('wabt')();
  const mod = wabt.parseWat('kernels.wat', kernelsWat(), { simd: true, threads: true, bulk_memory: true });
  // wabt.js's own validate() ignores the feature set, so V8 validates the result instead.
  const { buffer } = mod.toBinary({});
  mod.destroy();
  if (!WebAssembly.validate(buffer)) throw new Error('the generated WebAssembly does not validate');
  return Buffer.from(buffer);
}

module.exports = { kernelsWat, buildKernels };
