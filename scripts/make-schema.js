#!/usr/bin/env node
// Writes schemas/network.schema.json (draft-07, what VS Code's JSON language service reads) from the engine's
// `buildNetworkSchema` (src/engine/format/networkSchema.ts), which assembles it from the ops in the registry. Run
// `npm run schema` after adding or changing an op; test/docs/schema.test.ts fails while the file is out of date.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const ROOT = path.join(__dirname, '..');
const bundle = esbuild.buildSync({
  entryPoints: [path.join(ROOT, 'src', 'engine', 'format', 'networkSchema.ts')], bundle: true, platform: 'node', format: 'cjs', write: false, logLevel: 'warning',
});
const mod = { exports: {} };
new Function('module', 'exports', 'require', bundle.outputFiles[0].text)(mod, mod.exports, require);
const out = path.join(ROOT, 'schemas', 'network.schema.json');
fs.writeFileSync(out, JSON.stringify(mod.exports.buildNetworkSchema(), null, 2) + '\n');
console.log(`wrote ${path.relative(process.cwd(), out)}`);
