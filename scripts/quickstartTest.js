// The README's quick start, run the way a user runs it: `npm start` from the clone's root as a child process in its own
// process group (a terminal's foreground job), the printed URL opened in headless Chromium, the examples in the
// Explorer and "Analyze Network" on a right-click, then Ctrl+C, simulated as a terminal does it: SIGINT to the whole
// process group. Afterwards no process of that run may be left (npm, its shell, scripts/start.js, code-server in its
// own process group, its extension host and file watcher, Chromium) and start.js's temp folder must be gone.
//
// How the processes are found: before the SIGINT, every descendant of the npm child (a walk over the parent links in
// /proc/*/stat; code-server has its own process group but is still a descendant), each remembered with its start time
// so that a reused PID is not mistaken for a survivor; Chromium's are the descendants of this process that appeared
// when the browser was launched, and every process whose environment has the browser sandbox's HOME. A process counts
// as gone when /proc/PID is missing, belongs to another process (other start time) or is a zombie. After npm exits,
// /proc is also swept for any process whose command line or environment names either temp folder.
// Used by scripts/run-integration.js (its quickstart phase); prints ✔/✘ lines and returns the number of failures.
// QUICKSTART_DEBUG=1 lists the processes it watched. npm start's output goes to test-results/quickstart-npm-start.log.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT, Sandbox } = require('./codeServer');

// What the user must see: examples in the Explorer, and the extension's entry on a right-click of one of them.
const EXPECT_FILES = ['kaiming-relu.net.json', 'tanh-0.01-randn.net.json'];
const EXPECT_ENTRY = 'Analyze Network';
const URL_TIMEOUT_MS = 15 * 60 * 1000; // a first run installs the tools (about 2.5 minutes; slow networks more)
const EXIT_TIMEOUT_MS = 20000; // from Ctrl+C to npm's exit
const URL_LINE = /^\s*(http:\/\/127\.0\.0\.1:\d+\/\S*)\s*$/m;

// --- /proc -------------------------------------------------------------------------------------------------------

/** pid → { state, ppid, pgid, start } of every process now (fields 3, 4, 5 and 22 of /proc/PID/stat). */
function processTable() {
  const table = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = statOf(Number(name));
    if (info) table.set(Number(name), info);
  }
  return table;
}

function statOf(pid) {
  let s;
  try { s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return undefined; }
  const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // the command name may contain spaces and parentheses
  return { state: f[0], ppid: Number(f[1]), pgid: Number(f[2]), start: f[19] };
}

function cmdlineOf(pid) {
  try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean); } catch { return []; }
}

function environOf(pid) {
  try { return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0'); } catch { return []; }
}

/** A remembered process: pid, start time (to tell a reused pid apart), process group and command line. */
function describe(pid, info) {
  return { pid, start: info.start, pgid: info.pgid, cmd: cmdlineOf(pid).join(' ') };
}

/** Every descendant of `root` (not `root` itself), following parent links. */
function descendants(root, table = processTable()) {
  const children = new Map();
  for (const [pid, info] of table) {
    if (!children.has(info.ppid)) children.set(info.ppid, []);
    children.get(info.ppid).push(pid);
  }
  const found = [];
  const queue = [...(children.get(root) || [])];
  while (queue.length) {
    const pid = queue.shift();
    found.push(describe(pid, table.get(pid)));
    queue.push(...(children.get(pid) || []));
  }
  return found;
}

/** Processes (other than this one) whose command line or environment contains one of `needles`. */
function processesNaming(needles) {
  const found = [];
  for (const [pid, info] of processTable()) {
    if (pid === process.pid || info.state === 'Z' || info.state === 'X') continue;
    const text = [...cmdlineOf(pid), ...environOf(pid)].join('\n');
    if (needles.some((n) => text.includes(n))) found.push(describe(pid, info));
  }
  return found;
}

/** Still running: the same process (same start time) and not a zombie. */
function isAlive(p) {
  const info = statOf(p.pid);
  return !!info && info.start === p.start && info.state !== 'Z' && info.state !== 'X';
}

function remember(into, procs) { for (const p of procs) into.set(`${p.pid}:${p.start}`, p); }

// --- the child -----------------------------------------------------------------------------------------------------

/**
 * The environment of a user's terminal: this runner's environment (it may itself run under `npm test`) without what
 * npm adds for a script (npm_* except the user's registry, proxy and cache settings, NODE, INIT_CWD,
 * node_modules/.bin on PATH), without PORT (a free port) and INIT_INSPECTOR_KEEP (the temp folder must go).
 */
function userEnv() {
  const keep = /^npm_config_(registry|.*:registry|.*_authtoken|proxy|https_proxy|http_proxy|noproxy|cafile|ca|strict_ssl|cache|userconfig|fetch_retries|fetch_retry_.*|fetch_timeout)$/i;
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(npm_.*|node|init_cwd|port|init_inspector_keep)$/i.test(name) && !keep.test(name)) continue;
    env[name] = value;
  }
  env.PATH = (process.env.PATH || '').split(':').filter((d) => !/\/node_modules\/\.bin\/?$|\/node-gyp-bin\/?$/.test(d)).join(':');
  return env;
}

function exitOf(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** `promise`, or a rejection after `ms` saying `what` (a string, or a function called then). */
async function race(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s ${typeof what === 'function' ? what() : what}`)), ms);
  });
  try { return await Promise.race([promise, late]); } finally { clearTimeout(timer); }
}

// --- the test ------------------------------------------------------------------------------------------------------

/**
 * Runs the quick-start test. `tools` is ensureTools()'s result (Chromium's path); `results` the screenshot folder.
 * Returns the number of failed checks (0, 1 or 2).
 */
async function quickstartTests({ tools, results, log = console.log }) {
  fs.mkdirSync(results, { recursive: true });
  const npmLog = path.join(results, 'quickstart-npm-start.log');
  const logStream = fs.createWriteStream(npmLog);
  const browserSandbox = new Sandbox('quickstart'); // Chromium's HOME and profile, so that its processes can be named
  const seen = new Map(); // every process of the run, by pid:start
  const groups = new Set(); // process groups to kill if anything goes wrong
  let startDir; // start.js's sandbox: code-server's --user-data-dir is inside it
  let npm;
  let output = '';
  let failures = 0;
  const tail = () => output.trim().split('\n').slice(-12).join('\n');

  const collectNpmTree = () => {
    const self = statOf(npm.pid);
    const procs = [...(self ? [describe(npm.pid, self)] : []), ...descendants(npm.pid)];
    remember(seen, procs);
    for (const p of procs) groups.add(p.pgid);
    return procs;
  };
  // The last resort, also on this runner's own exit: kill every process group of the run and remove the temp folder.
  // Never throws (an exception in an 'exit' handler would skip the others).
  const ownGroup = statOf(process.pid).pgid;
  const killAll = () => {
    try { if (npm && npm.exitCode === null && npm.signalCode === null) collectNpmTree(); } catch { /* best effort */ }
    for (const g of groups) { if (g !== ownGroup) { try { process.kill(-g, 'SIGKILL'); } catch { /* gone */ } } }
    for (const p of seen.values()) { if (isAlive(p)) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } } }
    if (startDir) { try { fs.rmSync(startDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }); } catch { /* reported by the check */ } }
  };
  // If this runner is interrupted (Ctrl+C on `npm test` does not reach npm start's own process group), pass a Ctrl+C
  // on to npm start at once; whatever is still running when this runner exits is killed by killAll.
  const forward = () => { if (npm) { try { process.kill(-npm.pid, 'SIGINT'); } catch { /* gone */ } } };
  const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of SIGNALS) process.on(sig, forward);
  process.on('exit', killAll);

  const check = async (name, body) => {
    const start = Date.now();
    try {
      await body();
      console.log(`  ✔ ${name} (${Date.now() - start} ms)`);
    } catch (err) {
      failures++;
      console.log(`  ✘ ${name}\n      ${String(err && err.message || err).split('\n').slice(0, 14).join('\n      ')}`);
    }
  };

  let browser;
  let page;
  let before = new Set(); // this runner's descendants before the browser was launched
  // Chromium's processes: what appeared under this runner with the browser, and whatever has the browser's HOME.
  const chromium = new Map(); // Chromium's processes (also in `seen`, so that killAll reaches them)
  const collectChromium = () => {
    const procs = [...descendants(process.pid).filter((p) => !before.has(`${p.pid}:${p.start}`) && !seen.has(`${p.pid}:${p.start}`)),
      ...processesNaming([`HOME=${browserSandbox.home}`])];
    remember(seen, procs);
    remember(chromium, procs);
  };
  try {
    await check(`npm start (as a user, from ${path.basename(ROOT)}/) prints the URL; Chromium shows the examples and "${EXPECT_ENTRY}" on a right-click`, async () => {
      const t0 = Date.now();
      npm = spawn('npm', ['start'], { cwd: ROOT, env: userEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      groups.add(npm.pid);
      const onData = (d) => { output += d; if (!logStream.writableEnded) logStream.write(d); };
      npm.stdout.on('data', onData);
      npm.stderr.on('data', onData);
      const url = await race(new Promise((resolve, reject) => {
        const look = () => { const m = URL_LINE.exec(output); if (m) resolve(m[1]); };
        npm.stdout.on('data', look);
        npm.stderr.on('data', look);
        npm.once('exit', (code, signal) => reject(new Error(`npm start exited (${signal || code}) before printing a URL:\n${tail()}`)));
      }), URL_TIMEOUT_MS, () => `waiting for npm start to print the URL:\n${tail()}`);
      log(`npm start printed the URL after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

      const server = collectNpmTree().find((p) => /code-server\/out\/node\/entry\.js/.test(p.cmd) && p.cmd.includes('--user-data-dir'));
      if (!server) throw new Error(`no code-server among npm start's processes:\n${[...seen.values()].map((p) => `${p.pid} ${p.cmd}`).join('\n')}`);
      const args = cmdlineOf(server.pid);
      startDir = path.dirname(args[args.indexOf('--user-data-dir') + 1]);
      if (path.dirname(startDir) !== fs.realpathSync(os.tmpdir()) && path.dirname(startDir) !== os.tmpdir()) throw new Error(`code-server's user data is not in ${os.tmpdir()}: ${startDir}`);
      if (!/^init-inspector-start-/.test(path.basename(startDir))) throw new Error(`unexpected temp folder of npm start: ${startDir}`);

      before = new Set(descendants(process.pid).map((p) => `${p.pid}:${p.start}`));
      browser = await browserSandbox.launchBrowser(tools);
      page = browser.pages()[0] || await browser.newPage();
      const t1 = Date.now();
      await page.goto(url);
      for (const file of EXPECT_FILES) await page.getByRole('treeitem', { name: file, exact: true }).waitFor({ timeout: 90000 });
      const t2 = Date.now();
      const { openExplorerMenu, menuLabels } = require(path.join(ROOT, 'out', 'test', 'ui', 'uiTest.js'));
      try {
        await openExplorerMenu(page, EXPECT_FILES[0], EXPECT_ENTRY, 60000);
      } catch (err) {
        // Open the menu once more to say what it shows instead.
        await page.getByRole('treeitem', { name: EXPECT_FILES[0], exact: true }).click({ button: 'right', timeout: 5000 }).catch(() => {});
        await page.waitForTimeout(500);
        throw new Error(`no "${EXPECT_ENTRY}" in the context menu of ${EXPECT_FILES[0]} after 60 s; it shows: ${(await menuLabels(page).catch(() => [])).join(', ') || '(nothing)'}\n${String(err.message).split('\n')[0]}`);
      }
      log(`the Explorer showed the examples ${((t2 - t1) / 1000).toFixed(1)} s after opening the URL, "${EXPECT_ENTRY}" was in its menu ${((Date.now() - t2) / 1000).toFixed(1)} s later`);
      await page.screenshot({ path: path.join(results, 'quickstart-explorer-menu.png') });
      const labels = await menuLabels(page);
      if (!labels.includes(EXPECT_ENTRY)) throw new Error(`the context menu of ${EXPECT_FILES[0]}: ${labels.join(', ')}`);
      await page.keyboard.press('Escape');

      const tree = collectNpmTree();
      if (!tree.some((p) => p.cmd.includes('--type=extensionHost'))) {
        throw new Error(`no extension host among npm start's processes:\n${tree.map((p) => `${p.pid} ${p.cmd.slice(0, 160)}`).join('\n')}`);
      }
    }).finally(async () => {
      if (browser) collectChromium();
      if (page && failures) await page.screenshot({ path: path.join(results, 'quickstart-FAILED.png') }).catch(() => {});
      // On success the workbench stays open in Chromium through the Ctrl+C, as a user's tab would.
      if (browser && failures) { await browser.close().catch(() => {}); browser = undefined; }
    });

    if (npm && npm.exitCode === null && npm.signalCode === null) {
      await check('Ctrl+C (SIGINT to npm start\'s process group), with the workbench still open in Chromium, stops npm, code-server and its extension host and removes the temp folder; closing Chromium then leaves none of its processes', async () => {
        collectNpmTree(); // whatever started since, up to the last moment
        if (browser) collectChromium();
        const watched = [...seen.values()].filter((p) => !chromium.has(`${p.pid}:${p.start}`));
        const exited = exitOf(npm);
        const t0 = Date.now();
        process.kill(-npm.pid, 'SIGINT');
        const { code, signal } = await race(exited, EXIT_TIMEOUT_MS, 'waiting for npm start to exit after SIGINT');
        const stopMs = Date.now() - t0;
        const problems = [];
        if (!(code === 130 || signal === 'SIGINT')) problems.push(`npm start exited with ${signal ? `signal ${signal}` : `code ${code}`}, not 130 or SIGINT`);
        const left = watched.filter(isAlive);
        if (left.length) problems.push(`still running after npm exited:\n${left.map((p) => `  ${p.pid} ${p.cmd.slice(0, 160)}`).join('\n')}`);
        if (!startDir) problems.push('code-server\'s temp folder was never found (see the first check)');
        if (startDir && fs.existsSync(startDir)) problems.push(`the temp folder of npm start is still there: ${startDir}`);
        // Then the user closes the browser: none of Chromium's processes may stay.
        if (browser) { collectChromium(); await browser.close().catch(() => {}); browser = undefined; }
        const browserProcs = [...chromium.values()];
        const deadline = Date.now() + 5000;
        while (browserProcs.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        const browserLeft = browserProcs.filter(isAlive);
        if (browserLeft.length) problems.push(`Chromium processes still running after the browser closed:\n${browserLeft.map((p) => `  ${p.pid} ${p.cmd.slice(0, 160)}`).join('\n')}`);
        const named = processesNaming([startDir, browserSandbox.dir].filter(Boolean)).filter((p) => !left.some((l) => l.pid === p.pid) && !browserLeft.some((l) => l.pid === p.pid));
        if (named.length) problems.push(`processes naming the run's temp folders:\n${named.map((p) => `  ${p.pid} ${p.cmd.slice(0, 160)}`).join('\n')}`);
        if (problems.length) throw new Error(`${problems.join('\n')}\nnpm start's output:\n${tail()}`);
        const extensionHosts = watched.filter((p) => p.cmd.includes('--type=extensionHost')).length;
        log(`npm start exited (${signal || code}) ${stopMs} ms after SIGINT with the workbench open; all ${watched.length} of its processes (${extensionHosts} extension host) and all ${browserProcs.length} Chromium processes are gone`);
        if (process.env.QUICKSTART_DEBUG) for (const p of [...watched, ...browserProcs]) console.log(`    ${p.pid} pgid ${p.pgid} ${p.cmd.slice(0, 150)}`);
      });
    }
  } finally {
    // Never leave anything behind, whatever failed: a graceful Ctrl+C first, then SIGKILL to every group of the run.
    if (npm && npm.exitCode === null && npm.signalCode === null) {
      collectNpmTree();
      try { process.kill(-npm.pid, 'SIGINT'); } catch { /* gone */ }
      await race(exitOf(npm), 10000, '').catch(() => {});
    }
    if (npm) {
      const deadline = Date.now() + 5000;
      while ([...seen.values()].some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    }
    killAll();
    process.removeListener('exit', killAll);
    for (const sig of SIGNALS) process.removeListener(sig, forward);
    await browserSandbox.cleanup();
    logStream.end();
  }
  return failures;
}

module.exports = { quickstartTests };
