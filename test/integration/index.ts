// Entry point that VS Code's extension host loads (extensionTestsPath): runs every *.test.js beside it with mocha
// against the real `vscode` API, and resolves or rejects with the result.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function run(): Promise<void> {
  return runSuite(__dirname, 'integration');
}

/** Runs every *.test.js file of `dir` with mocha (tdd), resolving when all pass. */
export function runSuite(dir: string, what: string): Promise<void> {
  // mocha 12 is ESM-only; the extension host (Node 24) can require() it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const m = require('mocha');
  const Mocha = m.default ?? m;
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60000, reporter: 'spec' });
  for (const f of fs.readdirSync(dir).sort()) {
    if (f.endsWith('.test.js')) mocha.addFile(path.join(dir, f));
  }
  return new Promise((resolve, reject) => {
    mocha.run((failures: number) => (failures > 0 ? reject(new Error(`${failures} ${what} test(s) failed`)) : resolve()));
  });
}
