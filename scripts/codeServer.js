// Starting and stopping a real VS Code (code-server) and headless Debian Chromium for the integration tests and for
// `npm start`. Everything runs in a throwaway folder that `stop()` removes, with its own HOME, user data and
// extensions; code-server runs in its own process group so that stopping it ends every process it started.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/** Runs scripts/setup-e2e.sh (idempotent) and returns the Node 24 binary and code-server entry it installed. */
function ensureTools() {
  const r = spawnSync('bash', [path.join(__dirname, 'setup-e2e.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`scripts/setup-e2e.sh failed with exit code ${r.status}`);
  const vars = Object.fromEntries(r.stdout.trim().split('\n').filter((l) => l.includes('=')).map((l) => l.split('=')));
  return { node: vars.CODE_SERVER_NODE, entry: vars.CODE_SERVER_ENTRY, chromium: process.env.CHROMIUM || '/usr/bin/chromium' };
}

/** Runs a command to its end without blocking this process; resolves to { status, stdout, stderr }. */
function run(command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', (err) => resolve({ status: -1, stdout, stderr: stderr + err.message }));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

async function waitForHttp(url, ms, child) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`code-server exited early with code ${child.exitCode}`);
    try { const r = await fetch(url); if (r.ok) return; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${url}`);
}

const SETTINGS = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'workbench.tips.enabled': false,
  'chat.disableAIFeatures': true,
  'workbench.colorTheme': 'Default Dark Modern',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/**
 * A throwaway sandbox: temp folder with HOME, XDG folders, user data, extensions and a copy of the workspace.
 * `cleanup()` stops every server started in it and deletes it; it also runs on SIGINT/SIGTERM/SIGHUP and on exit.
 */
class Sandbox {
  constructor(name) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `init-inspector-${name}-`));
    this.home = path.join(this.dir, 'home');
    fs.mkdirSync(this.home);
    this.env = { ...process.env, HOME: this.home, XDG_CONFIG_HOME: path.join(this.home, '.config'), XDG_DATA_HOME: path.join(this.home, '.local/share'), XDG_CACHE_HOME: path.join(this.home, '.cache') };
    this.servers = [];
    this.closers = [];
    this.cleaned = false;
    // Ctrl+C in a terminal sends SIGINT to the whole foreground job, and a launcher (npm, a shell) may forward one more:
    // the first signal stops everything in order, a second one while that runs must not kill this process before its
    // servers (each in its own process group, which no terminal signal reaches) are gone, so it hurries the cleanup
    // instead. SIGHUP (the terminal closed) stops everything too.
    let stopping = false;
    const onSignal = (sig) => {
      const code = 128 + os.constants.signals[sig];
      if (stopping) { this.cleanupSync(); process.exit(code); }
      stopping = true;
      this.cleanup().finally(() => process.exit(code));
    };
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, onSignal);
    this.onSignal = onSignal;
    process.once('exit', () => this.cleanupSync());
  }

  /** Copies `from` into the sandbox as a workspace folder (`name`, under the sandbox); returns its path. */
  workspace(from, extraFiles = {}, name = 'workspace') {
    const ws = path.join(this.dir, name);
    fs.cpSync(from, ws, { recursive: true });
    for (const [name, text] of Object.entries(extraFiles)) fs.writeFileSync(path.join(ws, name), text);
    return ws;
  }

  /**
   * Starts code-server on 127.0.0.1 and a free port. Workspace trust is off (every folder trusted) unless `trust` is
   * true: then a folder opens in restricted mode, without asking, until the user trusts it.
   */
  async startCodeServer(tools, { workspace, extensionsDir, label = 'cs', settings = {}, port: wantedPort, trust = false }) {
    const userData = path.join(this.dir, `${label}-user-data`);
    fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
    fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({ ...SETTINGS, ...settings }, null, 2));
    const extDir = extensionsDir || path.join(this.dir, `${label}-extensions`);
    fs.mkdirSync(extDir, { recursive: true });
    const config = path.join(this.dir, `${label}-config.yaml`);
    fs.writeFileSync(config, 'auth: none\ncert: false\n');
    const port = wantedPort || await freePort();
    const args = [tools.entry, '--config', config, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--user-data-dir', userData,
      '--extensions-dir', extDir, '--disable-telemetry', '--disable-update-check', ...(trust ? [] : ['--disable-workspace-trust']), '--disable-getting-started-override',
      // Without this the workbench silently ignores the extension development and test paths of the URL payload.
      '--vscode-option', 'enable-smoke-test-driver', workspace];
    const child = spawn(tools.node, args, { env: this.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const logFile = path.join(this.dir, `${label}.log`);
    const log = fs.createWriteStream(logFile);
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    this.servers.push(child);
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 30000, child);
    const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
    return {
      port, logFile, userData,
      /**
       * The workbench URL, loading the extension from `extensionPath` and running `testsPath` when given; `emptyWindow`
       * opens a window with no folder.
       */
      url({ extensionPath, testsPath, folder = workspace, emptyWindow = false } = {}) {
        const payload = [];
        if (extensionPath) payload.push(['extensionDevelopmentPath', remote(extensionPath)]);
        if (testsPath) payload.push(['extensionTestsPath', remote(testsPath)]);
        const q = payload.length ? `&payload=${encodeURIComponent(JSON.stringify(payload))}` : '';
        return `http://127.0.0.1:${port}/?${emptyWindow ? 'ew=true' : `folder=${encodeURIComponent(folder)}`}${q}`;
      },
    };
  }

  /**
   * Installs a .vsix into an extensions folder with code-server's own --install-extension; resolves to its output.
   * Asynchronous, so that tests running beside it in this process keep going.
   */
  async installExtension(tools, vsix, extensionsDir) {
    fs.mkdirSync(extensionsDir, { recursive: true });
    const r = await run(tools.node, [tools.entry, '--extensions-dir', extensionsDir, '--user-data-dir', path.join(this.dir, 'install-user-data'), '--install-extension', vsix], { env: this.env });
    if (r.status !== 0) throw new Error(`code-server --install-extension failed (${r.status}): ${r.stderr || r.stdout}`);
    return r.stdout.trim();
  }

  /** Launches headless Debian Chromium through playwright-core (never a downloaded browser). */
  async launchBrowser(tools, { colorScheme = 'dark' } = {}) {
    const { chromium } = require('playwright-core');
    const profile = fs.mkdtempSync(path.join(this.dir, 'chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: tools.chromium, headless: true, viewport: { width: 1500, height: 950 }, env: this.env, colorScheme, args: CHROMIUM_ARGS,
      // The sandbox's own signal handlers close the browser and then stop code-server gracefully; Playwright's would
      // exit the process first (and code-server would get SIGKILL from the exit handler instead of SIGTERM).
      handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
    });
    this.closers.push(() => context.close());
    return context;
  }

  async cleanup() {
    if (this.cleaned) return;
    for (const close of this.closers.splice(0)) await close().catch(() => {});
    for (const child of this.servers) {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
      for (let i = 0; i < 30; i++) {
        try { process.kill(-child.pid, 0); } catch { break; }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    this.cleanupSync();
  }

  cleanupSync() {
    if (this.cleaned) return;
    this.cleaned = true;
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.removeListener(sig, this.onSignal);
    for (const child of this.servers) { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }
    // Retried: a browser that is still going down may write into its profile while it is being removed. Never throws,
    // since it also runs in an 'exit' handler, where an exception would skip the handlers after it.
    if (!process.env.INIT_INSPECTOR_KEEP) {
      try { fs.rmSync(this.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }); } catch (err) { console.error(`[sandbox] could not remove ${this.dir}: ${err.message}`); }
    }
  }
}

module.exports = { ROOT, ensureTools, Sandbox, run };
