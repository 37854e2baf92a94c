// The live-cells embed script in a real browser: Debian's chromium driven by playwright-core (no downloaded browser).
//
//   GATEWAY_URL=http://127.0.0.1:8888/ GATEWAY_TOKEN=... CORS_GATEWAY_URL=... CORS_GATEWAY_TOKEN=... FOREIGN_PORT=...
//   SCREENSHOT_PATH=/tmp/live-cells-demo.png node --test tests/js/live-cells.browser.test.mjs
//
// GATEWAY_*: a gateway with no Hub:AllowOrigins; CORS_GATEWAY_*: one whose Hub:AllowOrigins lists
// http://127.0.0.1:FOREIGN_PORT, the origin of the small page server this file starts. The C# test project
// (Web/LiveCellsBrowserTests) starts both gateways and runs this file. Every wait is bounded; nothing sleeps.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const GATEWAY_URL = withSlash(process.env.GATEWAY_URL ?? '');
const GATEWAY_TOKEN = process.env.GATEWAY_TOKEN ?? '';
const CORS_GATEWAY_URL = withSlash(process.env.CORS_GATEWAY_URL ?? '');
const CORS_GATEWAY_TOKEN = process.env.CORS_GATEWAY_TOKEN ?? '';
const FOREIGN_PORT = Number(process.env.FOREIGN_PORT ?? '0');
const SCREENSHOT_PATH = process.env.SCREENSHOT_PATH || path.join(os.tmpdir(), 'live-cells-demo.png');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Cells of the demo page: six Python ones, then one per language (Python, R, JavaScript, C, Bash) from this index. */
const DEMO_CELLS = 11;
const FIRST_LANGUAGE_CELL = 6;

/** Kernel start (container launch) plus the SignalR connection. */
const KERNEL_START_MS = 90_000;
/** One short cell or one UI reaction. */
const STEP_MS = 30_000;

function withSlash(url) {
  return url === '' || url.endsWith('/') ? url : url + '/';
}

async function api(gateway, token, method, relative) {
  const response = await fetch(gateway + relative, {
    method,
    headers: { Authorization: `token ${token}` },
    signal: AbortSignal.timeout(STEP_MS),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function kernelIds(gateway, token) {
  const { status, body } = await api(gateway, token, 'GET', 'api/kernels');
  assert.equal(status, 200, `GET api/kernels: ${status} ${JSON.stringify(body)}`);
  return body.map(k => k.id);
}

/** Deletes the sessions and kernels a test created (anything not in `before`). */
async function cleanUp(gateway, token, kernelsBefore) {
  const sessions = await api(gateway, token, 'GET', 'api/sessions');
  for (const session of sessions.body ?? []) {
    if (!kernelsBefore.includes(session.kernel?.id)) await api(gateway, token, 'DELETE', `api/sessions/${session.id}`);
  }
  for (const id of await kernelIds(gateway, token)) {
    if (!kernelsBefore.includes(id)) await api(gateway, token, 'DELETE', `api/kernels/${id}`);
  }
}

/** A page of another origin embedding the script from `gateway` (kernel started on load): plain text, HTML (opted in), an error, a slow cell. */
function foreignPage(gateway, token) {
  const attribute = value => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  return `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Another site</title></head>
<body>
<h1>A page on another origin</h1>
<pre data-executable>print("&lt;b&gt;not bold&lt;/b&gt;")</pre>
<pre data-executable>from IPython.display import HTML, display
display(HTML('&lt;b id="inside"&gt;bold&lt;/b&gt;&lt;img src="x" onerror="parent.document.title = \\'pwned\\'"&gt;'))</pre>
<pre data-executable>raise ValueError("boom")</pre>
<pre data-executable>import time
print(0, flush=True)
time.sleep(3)
for i in range(1, 4):
    print(i, flush=True)
    time.sleep(0.2)</pre>
<script src="${attribute(gateway)}static/live-cells.js" data-gateway="${attribute(gateway)}"
        data-token="${attribute(token)}" data-session="/foreign-page" data-allow-html data-autostart></script>
</body></html>`;
}

let context;
let userDataDir;
let server;

before(async () => {
  assert.ok(GATEWAY_URL && GATEWAY_TOKEN, 'GATEWAY_URL and GATEWAY_TOKEN are not set (a gateway without Hub:AllowOrigins)');
  assert.ok(CORS_GATEWAY_URL && CORS_GATEWAY_TOKEN, 'CORS_GATEWAY_URL and CORS_GATEWAY_TOKEN are not set');
  assert.ok(FOREIGN_PORT > 0, 'FOREIGN_PORT is not set (the port of the foreign page, listed in the CORS gateway\'s Hub:AllowOrigins)');
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (bash scripts/setup.sh does it)`);

  server = http.createServer((request, response) => {
    const url = new URL(request.url, 'http://localhost');
    const target = url.pathname === '/allowed.html' ? [CORS_GATEWAY_URL, CORS_GATEWAY_TOKEN]
      : url.pathname === '/refused.html' ? [GATEWAY_URL, GATEWAY_TOKEN] : null;
    if (!target) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(foreignPage(...target));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(FOREIGN_PORT, '127.0.0.1', resolve);
  });

  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'live-cells-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    viewport: { width: 1100, height: 900 },
    timeout: STEP_MS,
  });
});

after(async () => {
  await context?.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  await new Promise(resolve => (server ? server.close(resolve) : resolve()));
});

async function newPage() {
  const page = await context.newPage();
  const log = [];
  page.on('console', message => log.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', error => log.push(`pageerror: ${error.message}`));
  return { page, log };
}

function cell(page, index) {
  const root = page.locator('.live-cell').nth(index);
  return {
    root,
    output: root.locator('.live-cells-output'),
    badge: root.locator('.live-cells-badge'),
    run: () => root.locator('button[data-action=run]').click(),
    interrupt: () => root.locator('button[data-action=interrupt]').click(),
    state: state => root.locator(`.live-cells-badge[data-state="${state}"]`),
  };
}

/** Waits for the cell's badge to reach `state`; a failure names the state it has and the page's log. */
async function waitForState(page, log, c, state, timeout) {
  try {
    await c.state(state).waitFor({ timeout });
  } catch (error) {
    const badge = await c.badge.getAttribute('data-state').catch(() => '?');
    const kernel = await page.locator('.live-cells-page').innerText().catch(() => '?');
    const output = await c.output.innerText().catch(() => '?');
    throw new Error(`cell did not reach "${state}" within ${timeout} ms: badge "${badge}", ${kernel}, output ${JSON.stringify(output)}\n` +
      `page log:\n${log.join('\n')}\n${error.message}`);
  }
}

/** Kills every TCP connection to 127.0.0.1:`port` (the browser's hub connection among them), as a network drop would. */
function dropConnectionsTo(port) {
  try {
    execFileSync('ss', ['-K', 'dst', '127.0.0.1', 'dport', '=', String(port)], { stdio: 'pipe' });
  } catch (error) {
    // ss reports an error for socket kinds it cannot destroy even when it destroyed the TCP ones; the test checks the effect.
    if (error.code === 'ENOENT') throw new Error('ss is missing: apt-get install iproute2');
  }
}

describe('the demo page served by the gateway', () => {
  let kernelsBefore = [];
  before(async () => { kernelsBefore = await kernelIds(GATEWAY_URL, GATEWAY_TOKEN); });
  after(async () => { await cleanUp(GATEWAY_URL, GATEWAY_TOKEN, kernelsBefore); });

  test('runs cells in one kernel: a variable, its use, a plot, an interrupted sleep and input()', async () => {
    const { page, log } = await newPage();
    await page.goto(`${GATEWAY_URL}demo/?token=${encodeURIComponent(GATEWAY_TOKEN)}`, { timeout: STEP_MS });
    await page.locator('.live-cell').nth(DEMO_CELLS - 1).waitFor({ timeout: STEP_MS });
    assert.equal(await page.locator('.live-cell').count(), DEMO_CELLS, `the demo page has ${DEMO_CELLS} cells`);
    assert.equal(await page.locator('#live-cells-kernel-status').getAttribute('data-state'), 'disconnected',
      'no kernel before the first Run');

    const define = cell(page, 0);
    const clicked = Date.now();
    await define.run();
    await waitForState(page, log, define, 'done', KERNEL_START_MS);
    console.log(`first Run to done (connect, kernel start, execute): ${Date.now() - clicked} ms`);
    await page.locator('#live-cells-kernel-status[data-state="idle"]').waitFor({ timeout: STEP_MS });

    const use = cell(page, 1);
    await use.run();
    await waitForState(page, log, use, 'done', STEP_MS);
    assert.equal((await use.output.innerText()).trim(), 'x is 42');

    const plot = cell(page, 2);
    await plot.run();
    await waitForState(page, log, plot, 'done', STEP_MS);
    const image = plot.output.locator('img.live-cells-image');
    await image.waitFor({ state: 'visible', timeout: STEP_MS });
    const rendered = await image.evaluate(img => ({ src: img.src.slice(0, 22), width: img.naturalWidth, height: img.naturalHeight, complete: img.complete }));
    assert.equal(rendered.src, 'data:image/png;base64,');
    assert.ok(rendered.complete && rendered.width > 100 && rendered.height > 100, `the plot decoded as an image: ${JSON.stringify(rendered)}`);

    const sleep = cell(page, 3);
    const started = Date.now();
    await sleep.run();
    await waitForState(page, log, sleep, 'busy', STEP_MS);
    const interruptClicked = Date.now();
    await sleep.interrupt();
    await waitForState(page, log, sleep, 'error', STEP_MS);
    const interruptedAfter = Date.now() - started;
    console.log(`Interrupt click to the cell's error badge: ${Date.now() - interruptClicked} ms`);
    const traceback = await sleep.output.innerText();
    assert.match(traceback, /KeyboardInterrupt/);
    assert.equal(await sleep.output.locator('.live-cells-stdout').count(), 0, 'the cell stopped before printing');
    assert.doesNotMatch(traceback, /\u001b/, 'ANSI escapes are stripped');
    assert.ok(interruptedAfter < 25_000, `interrupted well before the 30 s sleep ended (${interruptedAfter} ms)`);

    const ask = cell(page, 4);
    await ask.run();
    const field = ask.output.locator('.live-cells-input input');
    await field.waitFor({ timeout: STEP_MS });
    await field.fill('Ada');
    await field.press('Enter');
    await waitForState(page, log, ask, 'done', STEP_MS);
    assert.match(await ask.output.innerText(), /Hello, Ada!/);

    // The editable cell runs what the reader typed (Shift+Enter), line breaks included; the others stay read-only.
    const own = cell(page, 5);
    const code = own.root.locator('pre[data-executable]');
    assert.equal(await code.evaluate(element => element.isContentEditable), true, 'the data-editable block is editable');
    assert.equal(await page.locator('.live-cell').nth(1).locator('pre[data-executable]').evaluate(element => element.isContentEditable), false);
    await code.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('for i in range(2):\n    print("edited", i)');
    await page.keyboard.press('Shift+Enter');
    await waitForState(page, log, own, 'done', STEP_MS);
    assert.equal((await own.output.innerText()).trim(), 'edited 0\nedited 1');

    // All cells of the page share one kernel: the page's notebook session (path = the page's path) and no other new one.
    const sessions = (await api(GATEWAY_URL, GATEWAY_TOKEN, 'GET', 'api/sessions')).body.filter(s => s.path === '/demo/');
    assert.equal(sessions.length, 1, `one session for the page: ${JSON.stringify(sessions)}`);
    const kernelsAfter = await kernelIds(GATEWAY_URL, GATEWAY_TOKEN);
    const created = kernelsAfter.filter(id => !kernelsBefore.includes(id));
    assert.ok(created.length <= 1 && kernelsAfter.includes(sessions[0].kernel.id),
      `the page's kernel is the session's and at most one was started: ${JSON.stringify({ created, session: sessions[0] })}`);

    fs.mkdirSync(path.dirname(SCREENSHOT_PATH), { recursive: true });
    await page.screenshot({ path: SCREENSHOT_PATH, fullPage: true });
    assert.ok(fs.statSync(SCREENSHOT_PATH).size > 10_000, `screenshot written to ${SCREENSHOT_PATH}`);
    console.log(`screenshot: ${SCREENSHOT_PATH}`);

    // Restart gives the page a fresh kernel: x is gone.
    await use.root.locator('button[data-action=restart]').click();
    await page.locator('#live-cells-kernel-status[data-state="restarting"]').waitFor({ timeout: STEP_MS });
    await page.locator('#live-cells-kernel-status[data-state="idle"]').waitFor({ timeout: KERNEL_START_MS });
    await use.run();
    await waitForState(page, log, use, 'error', STEP_MS);
    assert.match(await use.output.innerText(), /NameError: name 'x' is not defined/);
    await page.close();
  });

  test('runs each language in a kernel of its own, all in the page\'s workspace (Python, R, JavaScript, C, Bash)', async () => {
    const { page, log } = await newPage();
    await page.goto(`${GATEWAY_URL}demo/?token=${encodeURIComponent(GATEWAY_TOKEN)}`, { timeout: STEP_MS });
    await page.locator('.live-cell').nth(DEMO_CELLS - 1).waitFor({ timeout: STEP_MS });
    const languages = [['python3', /wrote shared\.txt/], ['ir', /written by Python - read by R 4/], ['javascript', /written by Python - read by Node\.js v/],
      ['c', /^written by Python - read by C$/], ['bash', /^written by Python - read by bash in \/home\/sandbox\/work$/]];
    for (const [index, [kernel, expected]] of languages.entries()) {
      const c = cell(page, FIRST_LANGUAGE_CELL + index);
      await c.run();
      await waitForState(page, log, c, 'done', KERNEL_START_MS);
      assert.match((await c.output.innerText()).trim(), expected, `${kernel} cell`);
      const badge = kernel === 'python3' ? '#live-cells-kernel-status' : `#live-cells-kernel-status-${kernel}`;
      await page.locator(`${badge}[data-state="idle"]`).waitFor({ timeout: STEP_MS });
    }

    // One notebook session for the page; one kernel per language, each of its language.
    const sessions = (await api(GATEWAY_URL, GATEWAY_TOKEN, 'GET', 'api/sessions')).body.filter(s => s.path === '/demo/');
    assert.equal(sessions.length, 1, `one session for the page: ${JSON.stringify(sessions)}`);
    const kernels = (await api(GATEWAY_URL, GATEWAY_TOKEN, 'GET', 'api/kernels')).body.filter(k => !kernelsBefore.includes(k.id));
    for (const [kernel] of languages) {
      assert.equal(kernels.filter(k => k.name === kernel).length, 1, `one ${kernel} kernel started for the page: ${JSON.stringify(kernels)}`);
    }
    await page.close();
  });
});

describe('a page on another origin', () => {
  test('cannot start a kernel when its origin is not in Hub:AllowOrigins', async () => {
    const kernelsBefore = await kernelIds(GATEWAY_URL, GATEWAY_TOKEN);
    const { page, log } = await newPage();
    await page.goto(`http://127.0.0.1:${FOREIGN_PORT}/refused.html`, { timeout: STEP_MS });
    // data-autostart tries at once and fails the same way.
    await page.locator('#live-cells-kernel-status[data-state="error"]').waitFor({ timeout: STEP_MS });
    const first = cell(page, 0);
    await first.run();
    await page.locator('#live-cells-kernel-status[data-state="error"]').waitFor({ timeout: STEP_MS });
    await waitForState(page, log, first, 'error', STEP_MS);
    assert.match(await page.locator('.live-cells-page').innerText(), /connection error[\s\S]*cannot reach the gateway/);
    assert.match(await first.output.innerText(), /Could not run the cell/);
    assert.ok(log.some(line => /blocked by CORS policy/.test(line)), `the browser refused it for CORS:\n${log.join('\n')}`);
    assert.deepEqual(await kernelIds(GATEWAY_URL, GATEWAY_TOKEN), kernelsBefore, 'no kernel was started for the refused origin');
    await page.close();
  });

  describe('when its origin is allowed', () => {
    let kernelsBefore = [];
    before(async () => { kernelsBefore = await kernelIds(CORS_GATEWAY_URL, CORS_GATEWAY_TOKEN); });
    after(async () => { await cleanUp(CORS_GATEWAY_URL, CORS_GATEWAY_TOKEN, kernelsBefore); });

    test('runs cells, rendering text as text, HTML only in a sandboxed iframe, errors without escapes', async () => {
      const { page, log } = await newPage();
      await page.goto(`http://127.0.0.1:${FOREIGN_PORT}/allowed.html`, { timeout: STEP_MS });
      // data-autostart: the kernel starts with the page, before any Run.
      await page.locator('#live-cells-kernel-status[data-state="idle"]').waitFor({ timeout: KERNEL_START_MS });
      assert.equal((await kernelIds(CORS_GATEWAY_URL, CORS_GATEWAY_TOKEN)).filter(id => !kernelsBefore.includes(id)).length, 1,
        'one kernel started on page load');

      const text = cell(page, 0);
      await text.run();
      await waitForState(page, log, text, 'done', KERNEL_START_MS);
      assert.equal((await text.output.innerText()).trim(), '<b>not bold</b>');
      assert.equal(await text.output.locator('b').count(), 0, 'printed markup is not interpreted');

      const html = cell(page, 1);
      await html.run();
      await waitForState(page, log, html, 'done', STEP_MS);
      const frame = html.output.locator('iframe.live-cells-html');
      await frame.waitFor({ timeout: STEP_MS });
      assert.equal(await frame.getAttribute('sandbox'), '', 'HTML output sits in a fully sandboxed iframe');
      assert.match(await frame.getAttribute('srcdoc'), /<b id="inside">bold<\/b>/);
      await page.frameLocator('iframe.live-cells-html').locator('#inside').waitFor({ timeout: STEP_MS });
      assert.equal(await page.title(), 'Another site', 'script in HTML output did not run against the page');
      assert.equal(await page.locator('#inside').count(), 0, 'HTML output is not part of the page DOM');

      const failing = cell(page, 2);
      await failing.run();
      await waitForState(page, log, failing, 'error', STEP_MS);
      const traceback = await failing.output.innerText();
      assert.match(traceback, /ValueError: boom/);
      assert.doesNotMatch(traceback, /\u001b|\[0;31m/, 'ANSI escapes are stripped');

      assert.equal((await kernelIds(CORS_GATEWAY_URL, CORS_GATEWAY_TOKEN)).filter(id => !kernelsBefore.includes(id)).length, 1);

      // A dropped connection: SignalR reconnects (negotiating cross-origin again), the script subscribes again with
      // the same client id, and the running cell's output continues to its end. The drop comes right after the first
      // line, 3 s before the next: a message handed to the transport at the instant it dies would be lost (the hub
      // test covers output printed while disconnected).
      const states = [];
      await page.exposeFunction('recordKernelState', state => states.push(state));
      await page.evaluate(() => {
        const badge = document.getElementById('live-cells-kernel-status');
        new MutationObserver(() => window.recordKernelState(badge.dataset.state)).observe(badge, { attributes: true });
      });
      const counting = cell(page, 3);
      await counting.run();
      await counting.output.getByText('0').waitFor({ timeout: STEP_MS });
      dropConnectionsTo(new URL(CORS_GATEWAY_URL).port);
      await waitForState(page, log, counting, 'done', STEP_MS);
      assert.ok(states.includes('reconnecting'), `the page saw the connection drop: ${states} (ss -K needs a kernel with INET_DIAG_DESTROY)`);
      await page.locator('#live-cells-kernel-status[data-state="idle"]').waitFor({ timeout: STEP_MS });
      assert.equal((await counting.output.innerText()).trim(), '0\n1\n2\n3');
      await page.close();
    });
  });
});
