#!/usr/bin/env node
// `npm start`: opens Init Inspector in a real VS Code. Starts code-server on 127.0.0.1 with the extension loaded from
// this working tree and examples/ as the workspace, prints the URL to open in a browser, and stops everything on Ctrl+C.
// PORT=8080 npm start picks the port; otherwise a free one is used.
// Ctrl+C: the terminal sends SIGINT to npm, its shell and this process (npm also forwards one to its shell and exits
// only after it); the Sandbox's handler stops code-server's process group (code-server, its extension host and file
// watcher, which no terminal signal reaches), removes the temp folder and exits with 130. A second Ctrl+C or closing
// the terminal (SIGHUP) still stops everything. scripts/quickstartTest.js checks this in `npm test`.
'use strict';
const path = require('node:path');
const { ROOT, ensureTools, Sandbox } = require('./codeServer');

async function main() {
  const tools = ensureTools();
  const sandbox = new Sandbox('start');
  const server = await sandbox.startCodeServer(tools, { workspace: path.join(ROOT, 'examples'), port: Number(process.env.PORT) || undefined });
  const url = server.url({ extensionPath: ROOT });
  console.log('\nInit Inspector is running in VS Code (code-server). Open this URL in a browser:\n');
  console.log(`  ${url}\n`);
  console.log('Right-click an example in the Explorer and pick "Analyze Network". Press Ctrl+C to stop.');
  await new Promise(() => { /* until Ctrl+C; the sandbox cleans up on SIGINT */ });
}

main().catch((err) => { console.error('[start] error:', err.message || err); process.exit(1); });
