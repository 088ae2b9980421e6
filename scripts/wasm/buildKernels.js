// Builds dist/kernels.wasm: bundles the TypeScript WAT generator (src/engine/backend/wasm/wat/kernelsWat.ts, which
// writes the module from the ABI in kernelAbi.ts) with esbuild in memory, runs it, and assembles its WAT with the
// `wabt` npm package (nothing binary is committed).
'use strict';
const esbuild = require('esbuild');

const GENERATOR = 'src/engine/backend/wasm/wat/kernelsWat.ts';

/** The module as WAT text, from the TypeScript generator (bundled to CommonJS in memory: Node 20 cannot run .ts). */
function kernelsWat() {
  const { outputFiles } = esbuild.buildSync({ entryPoints: [GENERATOR], bundle: true, write: false, format: 'cjs', platform: 'neutral', target: 'es2022', logLevel: 'warning' });
  const module = { exports: {} };
  new Function('module', 'exports', outputFiles[0].text)(module, module.exports);
  return module.exports.kernelsWat();
}

/** Assembles the kernels into WebAssembly bytes with wabt (SIMD, threads and bulk memory enabled). */
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
