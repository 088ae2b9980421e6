// ESLint flat config. Lives in scripts/ because the project's top level is fixed; run with `npm run lint`.
// Type information comes from each file's own TypeScript project (the nearest tsconfig.json: src/engine, src/protocol,
// src, webview or test; see ../tsconfig.json), through the project service, which reads referenced projects from
// source, so linting needs no build first.
import tseslint from 'typescript-eslint';

const vscode = { group: ['vscode'], message: 'The engine, the protocol and the webview must not import vscode.' };
const node = { group: ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto'], message: 'The engine, the protocol and the webview run without Node: no Node built-ins.' };
const toolkit = {
  group: ['@vscode/webview-ui-toolkit', '@vscode/webview-ui-toolkit/*'],
  message: 'The webview toolkit is used through webview/toolkit.ts only, so that it can be replaced by editing that file.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**'] },
  {
    files: ['src/**/*.ts', 'webview/**/*.ts', 'test/**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: new URL('..', import.meta.url).pathname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true, varsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Use the seeded generator in src/engine/random/rng.ts.' }],
      'no-restricted-imports': ['error', { patterns: [toolkit] }],
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [vscode, node, toolkit] }],
      'no-restricted-globals': ['error', 'window', 'document', 'process', 'require', 'Buffer'],
    },
  },
  {
    files: ['src/protocol/**/*.ts', 'webview/**/*.ts'],
    ignores: ['webview/toolkit.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [vscode, node, toolkit] }] },
  },
  {
    files: ['webview/toolkit.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [vscode, node] }] },
  },
);
