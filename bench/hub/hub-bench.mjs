// Hub benchmark: in one run against a running gateway,
//   1. execute `1` round trip (request until execute_reply and the idle status) over the SignalR hub (this Node
//      client, @microsoft/signalr, websockets) and over /api/kernels/{id}/channels (the `ws` package, Jupyter JSON),
//      on the same kernel, interleaved run by run so both see the same machine load; p50/p90/p99;
//   2. the gateway's resident memory (VmRSS of /proc/<pid>/status) before and after opening N idle hub connections,
//      then after each of them subscribes to the kernel: KiB per connection and per stream.
//
//   cd bench/hub && npm ci
//   node hub-bench.mjs --url http://127.0.0.1:8888/ --token <token> [--pid <gateway pid>] [--runs 1000] [--warmup 100] [--idle 500]
//
// Without --pid the gateway is found among the processes whose command line names NotebookGateway.Server (one expected).
import { readFileSync, readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import * as signalR from '@microsoft/signalr';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.GATEWAY_URL ?? 'http://127.0.0.1:8888/' },
    token: { type: 'string', default: process.env.GATEWAY_TOKEN ?? '' },
    pid: { type: 'string' },
    runs: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '100' },
    idle: { type: 'string', default: '500' },
    settle: { type: 'string', default: '3000' },
  },
});
const baseUrl = args.url.endsWith('/') ? args.url : args.url + '/';
const token = args.token;
const runs = Number(args.runs);
const warmup = Number(args.warmup);
const idleCount = Number(args.idle);
/** Time given to the gateway's allocations after a phase, before its RSS is read (a measurement settle). */
const settleMs = Number(args.settle);
if (!token) {
  throw new Error('--token (or GATEWAY_TOKEN) is required');
}

function findGatewayPid() {
  const candidates = readdirSync('/proc').filter(d => /^\d+$/.test(d)).filter(pid => {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return cmdline.includes('NotebookGateway.Server') && !cmdline.includes('hub-bench');
    } catch {
      return false;
    }
  });
  if (candidates.length !== 1) {
    throw new Error(`found ${candidates.length} NotebookGateway.Server processes (${candidates.join(', ')}): pass --pid`);
  }
  return Number(candidates[0]);
}

function rssKiB(pid) {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) {
    throw new Error(`no VmRSS in /proc/${pid}/status`);
  }
  return Number(match[1]);
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { n: sorted.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), mean };
}

const ms = v => v.toFixed(2).padStart(7) + ' ms';

async function rest(path, method = 'GET', body) {
  const response = await fetch(baseUrl + path, {
    method,
    headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  }
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

const settle = () => new Promise(resolve => setTimeout(resolve, settleMs));

/**
 * Tracks cells by msg_id; a cell is done when its execute_reply and its idle status have both arrived. Cells of the
 * other path show up here too (iopub is fanned out to every client); they never get a reply and are left alone.
 */
class Cells {
  constructor() {
    this.cells = new Map();
  }
  /** Resolves when the cell is done, and forgets it. */
  async wait(msgId) {
    await this.entry(msgId).done;
    this.cells.delete(msgId);
  }
  entry(msgId) {
    let cell = this.cells.get(msgId);
    if (!cell) {
      let resolve;
      const done = new Promise(r => (resolve = r));
      cell = { reply: false, idle: false, done, resolve };
      this.cells.set(msgId, cell);
    }
    return cell;
  }
  onMessage(message) {
    const parent = message.parent_header?.msg_id;
    if (!parent) {
      return;
    }
    const cell = this.entry(parent);
    if (message.msg_type === 'execute_reply') {
      cell.reply = true;
    } else if (message.msg_type === 'status' && message.content.execution_state === 'idle') {
      cell.idle = true;
    }
    if (cell.reply && cell.idle) {
      cell.resolve(); // the entry stays until the waiter takes it: a cell may finish before Execute returns its msg_id
    }
  }
}

function executeRequest(msgId, session) {
  return JSON.stringify({
    header: { msg_id: msgId, msg_type: 'execute_request', username: 'bench', session, date: new Date().toISOString(), version: '5.3' },
    parent_header: {},
    metadata: {},
    content: { code: '1', silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true },
    buffers: [],
    channel: 'shell',
  });
}

async function main() {
  const pid = args.pid ? Number(args.pid) : findGatewayPid();
  console.log(`gateway ${baseUrl} (pid ${pid}); ${runs} runs after ${warmup} warm-up per path; ${idleCount} idle hub connections`);
  const kernel = await rest('api/kernels', 'POST', { name: 'python3' });
  const kernelId = kernel.id;
  const opened = [];
  let closing = false;
  try {
    // The hub client.
    const hub = new signalR.HubConnectionBuilder()
      .withUrl(baseUrl + 'hubs/kernels', { accessTokenFactory: () => token, transport: signalR.HttpTransportType.WebSockets })
      .configureLogging(signalR.LogLevel.Warning)
      .build();
    await hub.start();
    opened.push(() => hub.stop());
    const hubClientId = randomUUID();
    const hubCells = new Cells();
    hub.stream('Subscribe', kernelId, hubClientId).subscribe({
      next: text => hubCells.onMessage(JSON.parse(text)),
      error: err => {
        if (!closing) {
          console.error('hub stream failed', err);
        }
      },
      complete: () => {},
    });

    // The websocket client.
    const wsSession = randomUUID();
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}api/kernels/${kernelId}/channels?session_id=${wsSession}`, {
      headers: { Authorization: `token ${token}` },
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    opened.push(() => ws.close());
    const wsCells = new Cells();
    ws.on('message', data => wsCells.onMessage(JSON.parse(data.toString())));

    async function viaHub() {
      const started = performance.now();
      const msgId = await hub.invoke('Execute', kernelId, hubClientId, '1', { allowStdin: false });
      await hubCells.wait(msgId);
      return performance.now() - started;
    }

    async function viaWebSocket() {
      const msgId = randomUUID();
      const done = wsCells.wait(msgId);
      const started = performance.now();
      ws.send(executeRequest(msgId, wsSession));
      await done;
      return performance.now() - started;
    }

    for (let i = 0; i < warmup; i++) {
      await viaHub();
      await viaWebSocket();
    }
    const hubSamples = [];
    const wsSamples = [];
    for (let i = 0; i < runs; i++) {
      // Alternate which path goes first, so neither always runs right after the other.
      if (i % 2 === 0) {
        hubSamples.push(await viaHub());
        wsSamples.push(await viaWebSocket());
      } else {
        wsSamples.push(await viaWebSocket());
        hubSamples.push(await viaHub());
      }
    }
    const h = summary(hubSamples);
    const w = summary(wsSamples);
    console.log('\nexecute `1` round trip (request → execute_reply + idle), same kernel, interleaved');
    console.log(`  path                          p50        p90        p99       mean`);
    console.log(`  SignalR hub (Node client)  ${ms(h.p50)} ${ms(h.p90)} ${ms(h.p99)} ${ms(h.mean)}`);
    console.log(`  channels websocket (ws)    ${ms(w.p50)} ${ms(w.p90)} ${ms(w.p99)} ${ms(w.mean)}`);
    console.log(`  hub − websocket            ${ms(h.p50 - w.p50)} ${ms(h.p90 - w.p90)} ${ms(h.p99 - w.p99)} ${ms(h.mean - w.mean)}`);

    // Idle connections.
    await settle();
    const before = rssKiB(pid);
    const idle = [];
    for (let i = 0; i < idleCount; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(idleCount, i + 50); j++) {
        const connection = new signalR.HubConnectionBuilder()
          .withUrl(baseUrl + 'hubs/kernels', { accessTokenFactory: () => token, transport: signalR.HttpTransportType.WebSockets })
          .configureLogging(signalR.LogLevel.Warning)
          .build();
        idle.push(connection);
        batch.push(connection.start());
      }
      await Promise.all(batch);
    }
    opened.push(() => Promise.all(idle.map(c => c.stop())));
    const connected = idle.filter(c => c.state === signalR.HubConnectionState.Connected).length;
    await settle();
    const afterConnect = rssKiB(pid);
    const streams = idle.map(c => c.stream('Subscribe', kernelId, randomUUID()).subscribe({ next: () => {}, error: () => {}, complete: () => {} }));
    // Wait until the gateway attached every stream (plus the two benchmark clients).
    const deadline = Date.now() + 60_000;
    let attached = 0;
    while ((attached = (await rest(`api/kernels/${kernelId}`)).connections) < connected + 2 && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    await settle();
    const afterSubscribe = rssKiB(pid);
    console.log(`\ngateway VmRSS with ${connected} idle SignalR connections (websockets)`);
    console.log(`  before                     ${(before / 1024).toFixed(1)} MiB`);
    console.log(`  connected                  ${(afterConnect / 1024).toFixed(1)} MiB   → ${((afterConnect - before) / connected).toFixed(1)} KiB per connection`);
    console.log(`  + one Subscribe each       ${(afterSubscribe / 1024).toFixed(1)} MiB   → ${((afterSubscribe - afterConnect) / connected).toFixed(1)} KiB per stream (${attached} streams attached to the kernel)\n`);
    streams.forEach(s => s.dispose());
  } finally {
    closing = true;
    for (const close of opened.reverse()) {
      await close();
    }
    await rest(`api/kernels/${kernelId}`, 'DELETE');
  }
}

await main();
process.exit(0);
