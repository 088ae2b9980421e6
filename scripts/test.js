#!/usr/bin/env node
// `npm test`: every check, in order, stopping at the first failure, with the time of each phase at the end:
//   lint → build (esbuild) → compile the tests (tsc -b) → unit → property → dist and docs → integration
// The bundle and the compiled tests are made once, here, for every phase after them (the `test:*` scripts each build
// what they need when run alone). scripts/setup-e2e.sh, which installs the real-VS-Code tools (from a cold cache:
// mostly downloads and a native build, about 2.5 minutes), starts at once in the background; its output goes to a log
// file, printed when the integration phase needs the tools (or at once when the install fails). The integration runner
// calls setup-e2e.sh again, which waits for this run's install (a lock) and then returns at once.
// Ctrl+C, SIGTERM or SIGHUP stop the running phase and the install (each cleans up after itself) before this exits.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const started = Date.now();
const seconds = (ms) => `${Math.round(ms / 1000)} s`;
const say = (text) => console.log(`[test] ${text}`);

/** The phases after the background install, each a command run from the repository's root. */
const PHASES = [
  ['lint', NPM, ['run', '--silent', 'lint']],
  ['build', NPM, ['run', '--silent', 'build']],
  ['compile the tests', NPM, ['run', '--silent', 'compile-tests']],
  ['unit', NPM, ['run', '--silent', 'mocha:unit']],
  ['property', NPM, ['run', '--silent', 'mocha:property']],
  ['dist and docs', NPM, ['run', '--silent', 'mocha:dist']],
  ['integration', process.execPath, [path.join(__dirname, 'run-integration.js')]],
];

const children = new Set();
/** Runs a command with the terminal's output; resolves to its exit code (128 + signal number when a signal ended it). */
function run(command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit', ...options });
    children.add(child);
    child.on('error', (err) => { console.error(`[test] cannot run ${command}: ${err.message}`); });
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve(code ?? 128 + (os.constants.signals[signal] ?? 0));
    });
  });
}

/** Starts setup-e2e.sh with its output in a log file; `done` resolves to its exit code. */
function startSetup() {
  const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'init-inspector-test-')), 'setup-e2e.log');
  const fd = fs.openSync(log, 'w');
  // Printed where it matters (before the integration phase, or when the install fails): removed at the end.
  process.once('exit', () => fs.rmSync(path.dirname(log), { recursive: true, force: true }));
  const t0 = Date.now();
  const done = run('bash', [path.join(__dirname, 'setup-e2e.sh')], { stdio: ['ignore', fd, fd] }).then((code) => {
    fs.closeSync(fd);
    return { code, ms: Date.now() - t0 };
  });
  return { log, done, print() { process.stdout.write(fs.readFileSync(log, 'utf8').replace(/^(?=.)/gm, '  ')); } };
}

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    say(`${sig}: stopping`);
    // A terminal's Ctrl+C reaches the whole process group already; a signal to this process alone is passed on.
    for (const child of children) { try { child.kill(sig); } catch { /* gone */ } }
    const exit = () => process.exit(128 + os.constants.signals[sig]);
    if (children.size === 0) exit();
    const wait = setInterval(() => { if (children.size === 0) { clearInterval(wait); exit(); } }, 100);
  });
}

async function main() {
  const setup = startSetup();
  say(`scripts/setup-e2e.sh installs the real-VS-Code tools in the background (log: ${setup.log})`);
  const times = [];
  const summary = () => say(`times: ${times.map(([name, ms]) => `${name} ${seconds(ms)}`).join(', ')}; total ${seconds(Date.now() - started)}`);
  let setupResult = null;
  setup.done.then((r) => {
    setupResult = r;
    if (r.code !== 0 && !stopping) {
      say(`scripts/setup-e2e.sh FAILED (exit code ${r.code}) after ${seconds(r.ms)}; its output:`);
      setup.print();
    }
  });
  for (const [name, command, args] of PHASES) {
    if (name === 'integration') {
      if (!setupResult) say('waiting for scripts/setup-e2e.sh to finish');
      const t0 = Date.now();
      const { code, ms } = await setup.done;
      if (Date.now() - t0 > 1000) times.push(['waiting for the tools', Date.now() - t0]);
      if (code !== 0) {
        summary();
        return 1;
      }
      say(`scripts/setup-e2e.sh finished in ${seconds(ms)} (in the background); its output:`);
      setup.print();
    }
    say(`── ${name}`);
    const t0 = Date.now();
    const code = await run(command, args);
    times.push([name, Date.now() - t0]);
    if (stopping) return 1;
    if (code !== 0) {
      say(`── ${name} FAILED (exit code ${code}) after ${seconds(Date.now() - t0)}`);
      for (const child of children) child.kill('SIGTERM'); // the background install, if still running
      await setup.done;
      summary();
      return code;
    }
    say(`── ${name}: ok in ${seconds(Date.now() - t0)}`);
  }
  summary();
  return 0;
}

main().then((code) => { if (!stopping) process.exit(code); }, (err) => { console.error('[test] error:', err); process.exit(2); });
