// Entry point of the restricted-mode suite (extensionTestsPath of a workbench whose folder is not trusted): runs every
// *.test.js beside it with mocha against the real `vscode` API, as test/integration/index.ts does.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function run(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const m = require('mocha');
  const Mocha = m.default ?? m;
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60000, reporter: 'spec' });
  for (const f of fs.readdirSync(__dirname).sort()) {
    if (f.endsWith('.test.js')) mocha.addFile(path.join(__dirname, f));
  }
  return new Promise((resolve, reject) => {
    mocha.run((failures: number) => (failures > 0 ? reject(new Error(`${failures} restricted-mode test(s) failed`)) : resolve()));
  });
}
