// Entry point of the restricted-mode suite (extensionTestsPath of a workbench whose folder is not trusted): every
// *.test.js beside it, as test/integration/index.ts runs its own.
import { runSuite } from '../integration/index';

export function run(): Promise<void> {
  return runSuite(__dirname, 'restricted-mode');
}
