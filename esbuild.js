// Builds the bundles: the extension host entry, the engine process and its threads, the CLI and the webview script.
// `node esbuild.js` builds once; `node esbuild.js --watch` rebuilds on change.
'use strict';
const esbuild = require('esbuild');

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** @type {import('esbuild').BuildOptions[]} */
const targets = [
  { entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', external: ['vscode'] },
  { entryPoints: ['src/worker/engineProcess.ts'], outfile: 'dist/engineProcess.js', platform: 'node', format: 'cjs' },
  { entryPoints: ['src/worker/engineWorker.ts'], outfile: 'dist/engineWorker.js', platform: 'node', format: 'cjs' },
  { entryPoints: ['src/kernels/kernelThread.ts'], outfile: 'dist/kernelThread.js', platform: 'node', format: 'cjs' },
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', banner: { js: '#!/usr/bin/env node' } },
  { entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'iife' },
];

async function main() {
  // The WebAssembly kernels, generated as WAT from their ABI (src/engine/backend/wasm/kernelAbi.ts) and assembled.
  const fs = require('node:fs');
  fs.mkdirSync('dist', { recursive: true });
  fs.writeFileSync('dist/kernels.wasm', await require('./scripts/wasm/buildKernels.js').buildKernels());
  const contexts = await Promise.all(targets.map((t) => esbuild.context({
    bundle: true, target: 'es2022', mainFields: ['module', 'main'], sourcemap: !production, minify: production, logLevel: 'warning', ...t,
  })));
  if (watch) {
    await Promise.all(contexts.map((c) => c.watch()));
    console.log('[esbuild] watching');
    return;
  }
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}

main().catch((err) => { console.error(err); process.exit(1); });
