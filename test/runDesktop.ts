// `npm run test:desktop`: the same extension-host suite in a desktop VS Code downloaded by @vscode/test-electron.
// Needs internet (the download); on offline machines use `npm test`, which runs the suite in code-server.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'init-inspector-desktop-'));
  fs.cpSync(path.join(root, 'examples'), workspace, { recursive: true });
  try {
    await runTests({
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(root, 'out', 'test', 'integration'),
      launchArgs: [workspace, '--disable-extensions'],
    });
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error('desktop integration tests failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
