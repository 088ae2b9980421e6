#!/usr/bin/env node
// The integration tests in a real VS Code (code-server 4.139, VS Code 1.139, a real Node extension host), driven by
// headless Debian Chromium:
//   1. the mocha suite out/test/integration runs inside the extension host against the real `vscode` API;
//   2. user-level tests (out/test/ui/*.ui.js) act in the workbench page with Playwright, each from a reset workbench;
//      beside them (at the same time, in code-servers and a copy of the workspace of their own, their report printed
//      after): the suite out/test/restricted in a workbench with workspace trust on, whose folder is not trusted
//      (restricted mode), then the .vsix that `npm run package` builds, installed with --install-extension and shown
//      to activate;
//   3. the README's quick start as a user runs it: `npm start` from the clone's root, its URL opened in Chromium, the
//      examples and "Analyze Network" in the Explorer, then Ctrl+C, after which no process of that run may be left
//      (scripts/quickstartTest.js).
// Prints every report, saves screenshots under test-results/, exits non-zero on any failure or timeout, and removes
// every process and temp folder it made, also when interrupted.
// Usage: node scripts/run-integration.js [--timeout SECONDS] [--skip-vsix] [--only-ui] [--ui-grep TEXT] [--skip-quickstart]
//                                        [--only-quickstart]
// --ui-grep runs only the user-level tests whose name contains TEXT.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { ROOT, ensureTools, Sandbox, run } = require('./codeServer');
const { quickstartTests } = require('./quickstartTest');

const argv = process.argv.slice(2);
const TIMEOUT_MS = Number(argv[argv.indexOf('--timeout') + 1] || 0) * 1000 || 300000;
const RESULTS = path.join(ROOT, 'test-results');
const t0 = Date.now();
const stamp = () => `[integration ${((Date.now() - t0) / 1000).toFixed(1)}s]`;
const log = (...a) => console.log(stamp(), ...a);
const NOISE = /open-vsx\.org|ENOTFOUND|AccountPolicyGate|Creating a socket|connection token|grace time|Service Worker|builtin extensions cache|AgentHost|DEP0040|punycode/;

async function screenshotter(page, prefix) {
  fs.mkdirSync(RESULTS, { recursive: true });
  return async (name) => { await page.screenshot({ path: path.join(RESULTS, `${prefix}${name}.png`) }); };
}

/**
 * Phase 1 (and 2b): a mocha suite inside the extension host, out/test/integration (or `suite`). Resolves to its exit
 * code (or 'timeout').
 */
async function extensionHostSuite(sandbox, tools, server, suite = 'integration', { print = console.log, printError = console.error, note = log } = {}) {
  const browser = await sandbox.launchBrowser(tools);
  const page = browser.pages()[0] || await browser.newPage();
  let onExit;
  const exited = new Promise((r) => { onExit = r; });
  // The workbench calls these automation hooks: the extension host's console (mocha's report) and its exit code.
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const text = util.format(...(args || []));
    if (!NOISE.test(text)) (type === 'error' ? printError : print)(text);
  });
  await page.exposeFunction('codeAutomationExit', (code) => onExit(code));
  page.on('pageerror', (e) => { if (!NOISE.test(e.message)) printError('[pageerror]', e.message); });
  await page.goto(server.url({ extensionPath: ROOT, testsPath: path.join(ROOT, 'out', 'test', suite) }));
  note(`workbench loading; the extension-host suite out/test/${suite} runs`);
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), TIMEOUT_MS))]);
  await (await screenshotter(page, `exthost-${suite}-`))('end').catch(() => {});
  await browser.close();
  return code;
}

/** Phase 2 and 4: user-level tests in the workbench page. Returns the number of failures. */
async function uiTests(sandbox, tools, server, tests, { extensionPath, prefix, emptyWindow = false, reset = false, print = console.log }) {
  const browser = await sandbox.launchBrowser(tools);
  const page = browser.pages()[0] || await browser.newPage();
  page.on('pageerror', (e) => { if (!NOISE.test(e.message)) print('[pageerror]', e.message); });
  await page.goto(server.url({ extensionPath, emptyWindow }));
  const screenshot = await screenshotter(page, prefix);
  let failures = 0;
  // Every test but the first (which gets a fresh workbench) starts from the same state, so that a test that fails
  // half-way cannot make the next ones fail too.
  const { resetWorkbench } = require(path.join(ROOT, 'out', 'test', 'ui', 'uiTest.js'));
  for (const [i, t] of tests.entries()) {
    const start = Date.now();
    try {
      if (i > 0 && reset) await resetWorkbench(page).catch((err) => print(`      (resetting the workbench before this test failed: ${String(err.message).split('\n')[0]})`));
      // Generous: the longest test takes about 65 s on a quiet 2-core machine, and times here drift up to 2×.
      await Promise.race([t.run({ page, screenshot }), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 240 s')), 240000))]);
      print(`  ✔ ${t.name} (${Date.now() - start} ms)`);
    } catch (err) {
      failures++;
      print(`  ✘ ${t.name}\n      ${String(err && err.message || err).split('\n').slice(0, 8).join('\n      ')}`);
      await screenshot(`FAILED-${t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`).catch(() => {});
    }
  }
  await browser.close();
  return failures;
}

function loadUiTests() {
  const dir = path.join(ROOT, 'out', 'test', 'ui');
  const grep = argv.includes('--ui-grep') ? argv[argv.indexOf('--ui-grep') + 1] : '';
  const tests = fs.readdirSync(dir).filter((f) => f.endsWith('.ui.js')).sort().flatMap((f) => require(path.join(dir, f)).tests);
  const chosen = tests.filter((t) => t.name.includes(grep));
  if (chosen.length === 0) throw new Error(`no user-level test's name contains "${grep}"`);
  return chosen;
}

/**
 * Phase 2b and 4, run beside the user-level tests: the restricted-mode suite (unless --only-ui) and the installed .vsix
 * (unless --skip-vsix), each in a code-server of its own on `workspace`. Resolves to the number of failures; reports
 * through `print` (lines) and `note` (timestamped).
 */
async function besideUiTests(sandbox, tools, workspace, { print, note }) {
  let failed = 0;
  try {
    if (!argv.includes('--only-ui')) {
      // Workspace trust on, and the folder never trusted: VS Code's restricted mode, without its startup prompt.
      const restricted = await sandbox.startCodeServer(tools, { workspace, label: 'restricted', trust: true,
        settings: { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'never', 'security.workspace.trust.emptyWindow': false } });
      const code = await extensionHostSuite(sandbox, tools, restricted, 'restricted', { print, printError: print, note });
      if (code !== 0) failed++;
      note(`restricted-mode suite ${code === 0 ? 'passed' : `FAILED (${code})`}`);
    }
    if (!argv.includes('--skip-vsix')) {
      note('packaging the .vsix and installing it into a fresh code-server');
      const vsix = path.join(sandbox.dir, 'init-inspector.vsix');
      const pack = await run(process.execPath, [path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--skip-license', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', vsix],
        { cwd: ROOT });
      if (pack.status !== 0) throw new Error(`vsce package failed: ${pack.stderr || pack.stdout}`);
      const extensionsDir = path.join(sandbox.dir, 'vsix-extensions');
      print('  ' + (await sandbox.installExtension(tools, vsix, extensionsDir)).split('\n').join('\n  '));
      const installed = await sandbox.startCodeServer(tools, { workspace, extensionsDir, label: 'vsix' });
      failed += await uiTests(sandbox, tools, installed, [{
        name: 'the installed .vsix activates: its Explorer entry appears on a network file',
        async run({ page, screenshot }) {
          const { openExplorerMenu } = require(path.join(ROOT, 'out', 'test', 'ui', 'uiTest.js'));
          await openExplorerMenu(page, 'kaiming-relu.net.json', 'Analyze Network', 60000);
          await screenshot('installed-menu');
          await page.keyboard.press('Escape');
        },
      }], { extensionPath: undefined, prefix: 'vsix-', print });
      failed += await uiTests(sandbox, tools, installed, [{
        name: 'in a window with no folder open, the walkthrough opens an example shipped inside the extension and its panel',
        async run({ page, screenshot }) {
          await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
          await page.waitForTimeout(3000);
          // The window may still be loading the installed extension: pickCommand opens the palette again until it lists it.
          const { pickCommand } = require(path.join(ROOT, 'out', 'test', 'ui', 'uiTest.js'));
          await pickCommand(page, 'Init Inspector: Open Demo Walkthrough', 60000);
          await page.getByText('7. Residual networks').first().click({ timeout: 60000 });
          await page.getByRole('button', { name: 'Open the example and its analysis' }).first().click();
          const frame = page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame');
          await frame.locator('#app[data-state="ready"]').waitFor({ timeout: 60000 });
          const codes = await frame.locator('#findings').getAttribute('data-codes');
          if (codes !== '["residual-variance-growth"]') throw new Error(`findings ${codes}`);
          // The packaged extension ships working WebAssembly kernels and their thread (not the reference fallback).
          const status = await frame.locator('#status').textContent();
          if (!/wasm-simd128 × \d+ threads/.test(status ?? '')) throw new Error(`the panel ran on: ${status}`);
          await screenshot('empty-window-walkthrough');
        },
      }], { extensionPath: undefined, prefix: 'vsix-', emptyWindow: true, print });
    }
  } catch (err) {
    print(`  ✘ ${String(err && err.stack || err)}`);
    failed++;
  }
  return failed;
}

async function main() {
  for (const f of ['dist/extension.js', 'out/test/integration/index.js']) {
    if (!fs.existsSync(path.join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build && npm run compile-tests\` first`);
  }
  fs.rmSync(RESULTS, { recursive: true, force: true });
  const tools = ensureTools();
  const onlyQuickstart = argv.includes('--only-quickstart');
  const sandbox = new Sandbox('it');
  let failed = 0;
  try {
    // The examples, test/fixtures' files, a Hugging Face config.json (recognised by its content, model_type), a Keras
    // model JSON (class_name and config), a GPT-NeoX YAML config (num-layers, hidden-size) and a package.json to check
    // that menus and diagnostics go by content, not by name.
    const fixtureDir = path.join(ROOT, 'test', 'fixtures');
    const fixtures = Object.fromEntries(fs.readdirSync(fixtureDir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => [e.name, fs.readFileSync(path.join(fixtureDir, e.name), 'utf8')]));
    const hfConfig = fs.readFileSync(path.join(fixtureDir, 'huggingFace', 'tiny-gpt2-wide-init.config.json'), 'utf8');
    const kerasModel = fs.readFileSync(path.join(fixtureDir, 'keras', 'keras2-sequential-cnn.json'), 'utf8');
    const kerasSqueezeExcite = fs.readFileSync(path.join(fixtureDir, 'keras', 'keras2.13-functional-squeeze-excite.json'), 'utf8');
    const neoxConfig = fs.readFileSync(path.join(fixtureDir, 'gptNeox', 'pythia-70m-normal-init.yml'), 'utf8');
    const workspace = sandbox.workspace(path.join(ROOT, 'examples'), { ...fixtures, 'config.json': hfConfig, 'keras-cnn.json': kerasModel, 'keras-se.json': kerasSqueezeExcite, 'pythia-normal-init.yml': neoxConfig,
      'package.json': JSON.stringify({ name: 'not-a-network', version: '1.0.0' }, null, 2) });
    // The same files for the servers beside the user-level tests (which edit theirs).
    const workspaceBeside = sandbox.workspace(workspace, {}, 'workspace-beside');
    // The examples' "$schema": "../schemas/network.schema.json" resolves beside the workspace, as it does in the repository.
    fs.cpSync(path.join(ROOT, 'schemas'), path.join(sandbox.dir, 'schemas'), { recursive: true });
    if (!onlyQuickstart) {
      const server = await sandbox.startCodeServer(tools, { workspace });
      log(`code-server up on 127.0.0.1:${server.port}`);
      if (!argv.includes('--only-ui')) {
        const code = await extensionHostSuite(sandbox, tools, server);
        if (code === 'timeout') { console.error(`[integration] TIMEOUT: the extension-host suite did not finish in ${TIMEOUT_MS / 1000} s`); failed++; }
        else if (code !== 0) failed++;
        log(`extension-host suite ${code === 0 ? 'passed' : 'FAILED'}`);
      }
      // Beside the user-level tests, in servers and workspaces of their own: the restricted-mode suite and the
      // installed .vsix (mostly waiting for workbenches to load). Their report is held back and printed after the
      // user-level tests' report.
      const held = [];
      const hold = (...a) => held.push(util.format(...a));
      const beside = besideUiTests(sandbox, tools, workspaceBeside, { print: hold, note: (...a) => hold(stamp(), ...a) });
      log(`user-level tests (Playwright in the workbench)${argv.includes('--only-ui') ? '' : '; beside them, the restricted-mode suite and the installed .vsix'}`);
      failed += await uiTests(sandbox, tools, server, loadUiTests(), { extensionPath: ROOT, prefix: 'ui-', reset: true });
      const besideFailed = await beside;
      if (held.length) log('the restricted-mode suite and the installed .vsix, which ran beside the user-level tests:');
      for (const line of held) console.log(line);
      failed += besideFailed;
    }

    // Alone: it tells its Chromium's processes by when they appeared, so no other browser may start meanwhile.
    if (!argv.includes('--skip-quickstart')) {
      log('quick start: `npm start` as a user runs it, Chromium on its URL, then Ctrl+C');
      failed += await quickstartTests({ tools, results: RESULTS, log });
    }
  } finally {
    await sandbox.cleanup();
  }
  log(`${failed === 0 ? 'PASS' : `FAIL (${failed})`}; screenshots in test-results/`);
  return failed === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (err) => { console.error('[integration] error:', err); process.exit(3); });
