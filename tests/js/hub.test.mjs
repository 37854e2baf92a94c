// The SignalR kernel hub ({BaseUrl}hubs/kernels) with the real JavaScript client, @microsoft/signalr, under Node.js.
//
//   GATEWAY_URL=http://127.0.0.1:8888/ GATEWAY_TOKEN=<alice> GATEWAY_OTHER_TOKEN=<bob> node --test tests/js/hub.test.mjs
//
// The C# test project (Hubs/KernelHubNodeTests) starts a gateway with two users and runs this file. Every wait is
// bounded and waits for an event or a condition; nothing sleeps to synchronise.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import * as signalR from '@microsoft/signalr';

const GATEWAY_URL = process.env.GATEWAY_URL ?? '';
const TOKEN = process.env.GATEWAY_TOKEN ?? '';
const OTHER_TOKEN = process.env.GATEWAY_OTHER_TOKEN ?? '';
/** The second user's kernel quota, as configured on the gateway (Quotas:Users:<name>:MaxKernels). */
const OTHER_MAX_KERNELS = Number(process.env.GATEWAY_OTHER_MAX_KERNELS ?? 'NaN');
/** A user limited to one open connection (RateLimits:Users:<name>:ConcurrentWebSockets = 1). */
const ONE_CONNECTION_TOKEN = process.env.GATEWAY_ONE_CONNECTION_TOKEN ?? '';
/** Channels:OutputBytesPerCell of the gateway. */
const OUTPUT_BYTES_PER_CELL = Number(process.env.GATEWAY_OUTPUT_BYTES_PER_CELL ?? 'NaN');
/** An admission deny rule of the gateway (Admission:DenyRules) for every user: its name, message and a line it refuses. */
const ADMISSION_RULE = process.env.GATEWAY_ADMISSION_RULE ?? '';
const ADMISSION_MESSAGE = process.env.GATEWAY_ADMISSION_MESSAGE ?? '';
const ADMISSION_REFUSED_CODE = process.env.GATEWAY_ADMISSION_REFUSED_CODE ?? '';
const BASE_URL = GATEWAY_URL.endsWith('/') ? GATEWAY_URL : GATEWAY_URL + '/';
const HUB_URL = BASE_URL + 'hubs/kernels';

/** Kernel start (container launch) or restart. */
const KERNEL_START_MS = 90_000;
/** One short cell, call or reconnect. */
const STEP_MS = 30_000;

/** Rejects with a message naming what was awaited when `promise` takes longer than `ms`. */
function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer));
}

/** Re-evaluates `condition` (async) until it is truthy; for state only visible through the REST API. */
async function until(condition, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await condition();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms: ${what}`);
    }
    await new Promise(resolve => setImmediate(resolve));
    await new Promise(resolve => setTimeout(resolve, 50)); // polling interval of a REST condition, not a synchronising sleep
  }
}

/** A promise that holds reconnects: the access token factory awaits it, so a reconnect cannot negotiate while closed. */
class Gate {
  constructor() {
    this.promise = Promise.resolve();
  }
  close() {
    this.promise = new Promise(resolve => {
      this.release = resolve;
    });
  }
  open() {
    this.release?.();
    this.promise = Promise.resolve();
  }
}

/** A hub connection over websockets; `sockets` collects the underlying `ws` sockets so a test can kill one. */
async function connect(token, { gate, sockets, reconnect = true } = {}) {
  const options = {
    accessTokenFactory: async () => {
      await gate?.promise;
      return token;
    },
    transport: signalR.HttpTransportType.WebSockets,
  };
  if (sockets) {
    options.WebSocket = class TrackedWebSocket extends WebSocket {
      constructor(...args) {
        super(...args);
        sockets.push(this);
      }
    };
  }
  let builder = new signalR.HubConnectionBuilder().withUrl(HUB_URL, options).configureLogging(signalR.LogLevel.None);
  if (reconnect) {
    builder = builder.withAutomaticReconnect([0, 250, 500, 1000, 2000, 5000, 10000]);
  }
  const connection = builder.build();
  await within(connection.start(), STEP_MS, 'hub connection start');
  return connection;
}

/** A Subscribe stream: every message parsed, and waits for conditions over what has arrived. */
class KernelStream {
  constructor(connection, kernelId, clientId) {
    this.clientId = clientId;
    this.messages = [];
    this.completed = false;
    this.error = null;
    this.listeners = new Set();
    this.subscription = connection.stream('Subscribe', kernelId, clientId).subscribe({
      next: text => {
        this.messages.push(JSON.parse(text));
        this.notify();
      },
      error: err => {
        this.error = err;
        this.notify();
      },
      complete: () => {
        this.completed = true;
        this.notify();
      },
    });
  }

  notify() {
    for (const listener of [...this.listeners]) {
      listener();
    }
  }

  /** Resolves with `select(this)` once it is truthy; rejects on a stream error or after `ms`. */
  until(select, what, ms = STEP_MS) {
    return within(new Promise((resolve, reject) => {
      const check = () => {
        const value = select(this);
        if (value) {
          this.listeners.delete(check);
          resolve(value);
        } else if (this.error) {
          this.listeners.delete(check);
          reject(new Error(`stream failed while waiting for ${what}: ${this.error.message}`));
        }
      };
      this.listeners.add(check);
      check();
    }), ms, `${what} (got ${this.describe()})`);
  }

  of(msgId) {
    return this.messages.filter(m => m.parent_header?.msg_id === msgId);
  }

  /** The execute_reply of `msgId` once it and the idle status of that cell have arrived. */
  done(msgId, ms = STEP_MS) {
    return this.until(s => {
      const mine = s.of(msgId);
      const reply = mine.find(m => m.msg_type === 'execute_reply');
      const idle = mine.some(m => m.msg_type === 'status' && m.content.execution_state === 'idle');
      return reply && idle ? reply : null;
    }, `execute_reply and idle for ${msgId}`, ms);
  }

  describe() {
    return JSON.stringify(this.messages.slice(-12).map(m => [m.channel, m.msg_type, m.content]));
  }

  dispose() {
    this.subscription.dispose();
  }
}

function streamText(messages, name = 'stdout') {
  return messages.filter(m => m.msg_type === 'stream' && m.content.name === name).map(m => m.content.text).join('');
}

async function rest(path, { token = TOKEN, method = 'GET', body } = {}) {
  const response = await fetch(BASE_URL + path, {
    method,
    headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function connections(kernelId) {
  const { status, body } = await rest(`api/kernels/${kernelId}`);
  assert.equal(status, 200, `GET /api/kernels/${kernelId}: ${JSON.stringify(body)}`);
  return body.connections;
}

const cleanup = [];

before(() => {
  assert.ok(GATEWAY_URL, 'GATEWAY_URL is not set (the gateway base URL, e.g. http://127.0.0.1:8888/)');
  assert.ok(TOKEN, 'GATEWAY_TOKEN is not set');
  assert.ok(OTHER_TOKEN, 'GATEWAY_OTHER_TOKEN is not set (a second user)');
  assert.ok(OTHER_MAX_KERNELS >= 1, 'GATEWAY_OTHER_MAX_KERNELS is not set (the second user\'s kernel quota)');
  assert.ok(OUTPUT_BYTES_PER_CELL > 0, 'GATEWAY_OUTPUT_BYTES_PER_CELL is not set (Channels:OutputBytesPerCell)');
});

after(async () => {
  for (const action of cleanup.reverse()) {
    await action().catch(() => {});
  }
});

describe('authentication', () => {
  test('negotiate without a token or with a wrong one answers 401', async () => {
    const none = await fetch(`${HUB_URL}/negotiate?negotiateVersion=1`, { method: 'POST' });
    assert.equal(none.status, 401);
    const wrong = await fetch(`${HUB_URL}/negotiate?negotiateVersion=1`, { method: 'POST', headers: { Authorization: 'Bearer not-a-token' } });
    assert.equal(wrong.status, 401);
    const right = await fetch(`${HUB_URL}/negotiate?negotiateVersion=1`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(right.status, 200);
  });

  test('a client with a wrong token cannot connect', async () => {
    const connection = new signalR.HubConnectionBuilder()
      .withUrl(HUB_URL, { accessTokenFactory: () => 'wrong-' + TOKEN })
      .configureLogging(signalR.LogLevel.None)
      .build();
    await assert.rejects(within(connection.start(), STEP_MS, 'start with a wrong token'), /401/);
    assert.equal(connection.state, signalR.HubConnectionState.Disconnected);
  });

  for (const transport of ['ServerSentEvents', 'LongPolling']) {
    test(`the ${transport} transport works with the same token`, async () => {
      const connection = new signalR.HubConnectionBuilder()
        .withUrl(HUB_URL, { accessTokenFactory: () => TOKEN, transport: signalR.HttpTransportType[transport] })
        .configureLogging(signalR.LogLevel.None)
        .build();
      await within(connection.start(), STEP_MS, `start over ${transport}`);
      const specs = await within(connection.invoke('ListKernelSpecs'), STEP_MS, `ListKernelSpecs over ${transport}`);
      assert.ok(specs.kernelspecs.python3, JSON.stringify(specs));
      await connection.stop();
    });
  }

  test('the websocket transport authenticates with ?access_token= alone', async () => {
    // skipNegotiation: the token reaches the gateway only in the websocket URL's query.
    const connection = new signalR.HubConnectionBuilder()
      .withUrl(HUB_URL, { accessTokenFactory: () => TOKEN, skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets })
      .configureLogging(signalR.LogLevel.None)
      .build();
    await within(connection.start(), STEP_MS, 'start without negotiate');
    const specs = await connection.invoke('ListKernelSpecs');
    assert.ok(specs.kernelspecs.python3, JSON.stringify(specs));
    await connection.stop();
  });
});

describe('kernel hub', () => {
  let hub;
  let kernelId;
  let clientId;
  let stream;

  before(async () => {
    hub = await connect(TOKEN);
    cleanup.push(() => hub.stop());
    const started = await within(hub.invoke('StartKernel', {}), KERNEL_START_MS, 'StartKernel');
    kernelId = started.kernelId;
    cleanup.push(() => rest(`api/kernels/${kernelId}`, { method: 'DELETE' }));
    clientId = randomUUID();
    stream = new KernelStream(hub, kernelId, clientId);
  });

  test('ListKernelSpecs returns the GET /api/kernelspecs body', async () => {
    const viaHub = await hub.invoke('ListKernelSpecs');
    const viaRest = await rest('api/kernelspecs');
    assert.equal(viaRest.status, 200);
    assert.deepEqual(viaHub, viaRest.body);
    assert.equal(viaHub.default, 'python3');
  });

  test('StartKernel returns a plain kernel that the REST API lists', async () => {
    const model = await rest(`api/kernels/${kernelId}`);
    assert.equal(model.status, 200);
    assert.equal(model.body.name, 'python3');
  });

  test('Execute streams execute_input, stream text, execute_result, status and a shell execute_reply', async () => {
    const code = 'import sys\nprint("out line")\nprint("err line", file=sys.stderr)\n40 + 2';
    const msgId = await hub.invoke('Execute', kernelId, clientId, code);
    assert.match(msgId, /^[0-9a-f-]{32,36}$/);
    const reply = await stream.done(msgId);
    const mine = stream.of(msgId);
    assert.equal(reply.channel, 'shell');
    assert.equal(reply.content.status, 'ok');
    assert.deepEqual(mine.filter(m => m.msg_type === 'status').map(m => m.content.execution_state), ['busy', 'idle']);
    assert.equal(mine.find(m => m.msg_type === 'execute_input').content.code, code);
    assert.equal(streamText(mine, 'stdout'), 'out line\n');
    assert.equal(streamText(mine, 'stderr'), 'err line\n');
    const result = mine.find(m => m.msg_type === 'execute_result');
    assert.equal(result.content.data['text/plain'], '42');
    for (const message of mine) {
      assert.ok(Array.isArray(message.buffers), 'every message has buffers');
      assert.equal(message.msg_id, message.header.msg_id);
      assert.equal(message.msg_type, message.header.msg_type);
      assert.equal(message.channel, message.msg_type === 'execute_reply' ? 'shell' : 'iopub');
    }
  });

  test('an error arrives with its traceback and an error execute_reply', async () => {
    const msgId = await hub.invoke('Execute', kernelId, clientId, 'def f():\n    return 1 / 0\nf()', { stopOnError: false });
    const reply = await stream.done(msgId);
    assert.equal(reply.content.status, 'error');
    const error = stream.of(msgId).find(m => m.msg_type === 'error');
    assert.ok(error, stream.describe());
    assert.equal(error.content.ename, 'ZeroDivisionError');
    assert.ok(error.content.traceback.length >= 2, JSON.stringify(error.content.traceback));
    const plain = error.content.traceback.join('\n').replace(/\x1b\[[0-9;]*m/g, ''); // IPython colours its tracebacks
    assert.ok(plain.includes('----> 3 f()') && plain.includes('return 1 / 0'), plain);
  });

  test('a cell an admission rule refuses ends with ExecutionRefused naming the rule and never reaches the kernel', async () => {
    assert.ok(ADMISSION_RULE && ADMISSION_MESSAGE && ADMISSION_REFUSED_CODE, 'GATEWAY_ADMISSION_* are set');
    const expected = `execution refused by rule \`${ADMISSION_RULE}\`: ${ADMISSION_MESSAGE}`;
    const msgId = await hub.invoke('Execute', kernelId, clientId, ADMISSION_REFUSED_CODE);
    const reply = await stream.done(msgId);
    const mine = stream.of(msgId);
    assert.equal(reply.content.status, 'error');
    assert.equal(reply.content.ename, 'ExecutionRefused');
    assert.equal(reply.content.evalue, expected);
    assert.equal(streamText(mine, 'stderr'), `[${expected}]\n`);
    assert.ok(!mine.some(m => m.msg_type === 'execute_input'), 'the kernel never saw the cell');
    // Its side effect is absent: the refused code assigned hub_refused_marker.
    const check = await hub.invoke('Execute', kernelId, clientId, "'hub_refused_marker' in globals()");
    assert.equal((await stream.done(check)).content.status, 'ok');
    assert.equal(stream.of(check).find(m => m.msg_type === 'execute_result')?.content.data['text/plain'], 'False', stream.describe());
  });

  test('matplotlib display_data carries a PNG; update_display_data and clear_output arrive', async () => {
    const code = [
      '%matplotlib inline',
      'import matplotlib.pyplot as plt',
      'from IPython.display import display, clear_output',
      'plt.figure(figsize=(2, 2))',
      'plt.plot([1, 3, 2])',
      'plt.show()',
      'handle = display("first", display_id=True)',
      'handle.update("second")',
      'print("to be cleared", flush=True)',
      'clear_output()',
    ].join('\n');
    const msgId = await hub.invoke('Execute', kernelId, clientId, code, null);
    const reply = await stream.done(msgId, KERNEL_START_MS); // the first matplotlib import builds a font cache
    const mine = stream.of(msgId);
    assert.equal(reply.content.status, 'ok', stream.describe());
    const png = mine.find(m => m.msg_type === 'display_data' && m.content.data['image/png']);
    assert.ok(png, stream.describe());
    const bytes = Buffer.from(png.content.data['image/png'], 'base64');
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG signature');
    const first = mine.find(m => m.msg_type === 'display_data' && m.content.data['text/plain'] === "'first'");
    assert.ok(first?.content.transient?.display_id, 'display_id is carried in transient');
    const update = mine.find(m => m.msg_type === 'update_display_data');
    assert.equal(update.content.data['text/plain'], "'second'");
    assert.equal(update.content.transient.display_id, first.content.transient.display_id);
    const printed = mine.findIndex(m => m.msg_type === 'stream' && m.content.text.includes('to be cleared'));
    const cleared = mine.findIndex(m => m.msg_type === 'clear_output');
    assert.ok(printed >= 0 && cleared > printed, 'clear_output follows the printed text');
    assert.equal(mine[cleared].content.wait, false);
  });

  test('input() prompts only the requesting client; InputReply answers it', async () => {
    const otherClient = randomUUID();
    const other = new KernelStream(hub, kernelId, otherClient);
    await until(async () => (await connections(kernelId)) === 2, STEP_MS, 'the second stream is attached');
    await assert.rejects(hub.invoke('InputReply', kernelId, clientId, 'early'), /No input_request/);

    const msgId = await hub.invoke('Execute', kernelId, clientId, 'name = input("name? ")\nprint("hello " + name)');
    const request = await stream.until(s => s.of(msgId).find(m => m.msg_type === 'input_request'), 'input_request');
    assert.equal(request.channel, 'stdin');
    assert.equal(request.content.prompt, 'name? ');
    await hub.invoke('InputReply', kernelId, clientId, 'hub');
    const reply = await stream.done(msgId);
    assert.equal(reply.content.status, 'ok');
    assert.equal(streamText(stream.of(msgId)), 'hello hub\n');

    // The other client sees the cell's iopub (fan-out) but never its stdin or shell traffic.
    await other.until(s => streamText(s.of(msgId)) === 'hello hub\n', 'the output on the other stream');
    await other.until(s => s.of(msgId).some(m => m.msg_type === 'status' && m.content.execution_state === 'idle'), 'idle on the other stream');
    assert.deepEqual(other.messages.filter(m => m.channel !== 'iopub'), []);
    other.dispose();
    await until(async () => (await connections(kernelId)) === 1, STEP_MS, 'the second stream is detached');
  });

  test('Send relays a client message in the websocket JSON format; replies come on the stream', async () => {
    const msgId = randomUUID();
    const message = {
      header: { msg_id: msgId, msg_type: 'complete_request', username: '', session: clientId, date: new Date().toISOString(), version: '5.3' },
      parent_header: {},
      metadata: {},
      content: { code: 'impo', cursor_pos: 4 },
      buffers: [],
      channel: 'shell',
    };
    await hub.invoke('Send', kernelId, clientId, JSON.stringify(message));
    const reply = await stream.until(s => s.of(msgId).find(m => m.msg_type === 'complete_reply'), 'complete_reply');
    assert.equal(reply.channel, 'shell');
    assert.ok(reply.content.matches.includes('import'), JSON.stringify(reply.content));
    await assert.rejects(hub.invoke('Send', kernelId, clientId, '{"not": "a message"}'), /Message refused/);
    await assert.rejects(hub.invoke('Send', kernelId, clientId, JSON.stringify({ ...message, channel: 'iopub' })), /Message refused/);
  });

  test('output beyond the per-cell limit is dropped after one notice, as on the websocket', async () => {
    const lines = Math.ceil((2 * OUTPUT_BYTES_PER_CELL) / 8192);
    const msgId = await hub.invoke('Execute', kernelId, clientId, `for i in range(${lines}):\n    print("x" * 8191, flush=True)\nprint("end")`);
    const reply = await stream.done(msgId, KERNEL_START_MS);
    assert.equal(reply.content.status, 'ok');
    const mine = stream.of(msgId);
    const notices = mine.filter(m => m.msg_type === 'stream' && m.content.name === 'stderr' && m.content.text.includes('output truncated'));
    assert.equal(notices.length, 1, stream.describe());
    const stdout = streamText(mine, 'stdout');
    assert.ok(stdout.length <= OUTPUT_BYTES_PER_CELL && stdout.length > 0, `${stdout.length} bytes of stdout passed`);
    assert.ok(!stdout.includes('end'), 'the output after the limit is dropped');
  });

  test('Interrupt stops a running cell with KeyboardInterrupt', async () => {
    const msgId = await hub.invoke('Execute', kernelId, clientId, 'import time\nprint("sleeping", flush=True)\ntime.sleep(120)');
    await stream.until(s => streamText(s.of(msgId)) === 'sleeping\n', 'the cell is running');
    await within(hub.invoke('Interrupt', kernelId), STEP_MS, 'Interrupt');
    const reply = await stream.done(msgId);
    assert.equal(reply.content.status, 'error');
    assert.equal(reply.content.ename, 'KeyboardInterrupt');
  });

  test('Restart: the stream reports restarting and the kernel comes back fresh', async () => {
    const setMsg = await hub.invoke('Execute', kernelId, clientId, 'kept = 41');
    await stream.done(setMsg);
    const before = stream.messages.length;
    await within(hub.invoke('Restart', kernelId), KERNEL_START_MS, 'Restart');
    await stream.until(s => s.messages.slice(before).some(m => m.msg_type === 'status' && m.content.execution_state === 'restarting'), 'status restarting');
    const msgId = await hub.invoke('Execute', kernelId, clientId, 'kept');
    const reply = await stream.done(msgId);
    assert.equal(reply.content.status, 'error');
    assert.equal(reply.content.ename, 'NameError');
  });

  test('a kernel death is reported as status dead; Restart revives it', async () => {
    const before = stream.messages.length;
    const fatal = await hub.invoke('Execute', kernelId, clientId, 'import os\nos._exit(3)');
    await stream.until(s => s.messages.slice(before).some(m => m.msg_type === 'status' && m.content.execution_state === 'dead'), 'status dead', KERNEL_START_MS);
    // The kernel never answers the cell that ended it; the gateway does, so the cell finishes.
    await stream.until(s => s.of(fatal).some(m => m.msg_type === 'execute_reply'), 'the execute_reply of the fatal cell');
    const fatalReply = stream.of(fatal).find(m => m.msg_type === 'execute_reply');
    assert.equal(fatalReply.content.status, 'error');
    assert.equal(fatalReply.content.ename, 'KernelDied');
    await assert.rejects(hub.invoke('Execute', kernelId, clientId, '1'), /dead/);
    await within(hub.invoke('Restart', kernelId), KERNEL_START_MS, 'Restart after death');
    const msgId = await hub.invoke('Execute', kernelId, clientId, '6 * 7');
    await stream.done(msgId);
    assert.equal(stream.of(msgId).find(m => m.msg_type === 'execute_result').content.data['text/plain'], '42');
  });

  test('Shutdown completes the stream; the kernel is gone for every method', async () => {
    const started = await within(hub.invoke('StartKernel', { kernelName: 'python3' }), KERNEL_START_MS, 'StartKernel');
    const doomed = new KernelStream(hub, started.kernelId, randomUUID());
    await until(async () => (await connections(started.kernelId)) === 1, STEP_MS, 'the stream is attached');
    await within(hub.invoke('Shutdown', started.kernelId), STEP_MS, 'Shutdown');
    await doomed.until(s => s.completed, 'the stream completes');
    assert.equal(doomed.error, null);
    await assert.rejects(hub.invoke('Execute', started.kernelId, doomed.clientId, '1'), new RegExp(`Kernel '${started.kernelId}' not found`));
    assert.equal((await rest(`api/kernels/${started.kernelId}`)).status, 404);
  });

  test('an unknown kernelspec is refused with the REST message', async () => {
    await assert.rejects(hub.invoke('StartKernel', { kernelName: 'no-such-spec' }), /Kernel spec no-such-spec not found/);
  });
});

describe('notebook sessions and users', () => {
  test('StartKernel with a session reuses its kernel (attached) so cells of one page share state', async () => {
    const page = `/pages/${randomUUID()}.html`;
    const first = await connect(TOKEN);
    const second = await connect(TOKEN);
    cleanup.push(() => first.stop(), () => second.stop());
    const a = await within(first.invoke('StartKernel', { session: page }), KERNEL_START_MS, 'StartKernel in a session');
    cleanup.push(() => rest(`api/kernels/${a.kernelId}`, { method: 'DELETE' }));
    assert.equal(a.attached, false);
    assert.ok(a.session, 'the notebook session id');
    const b = await within(second.invoke('StartKernel', { session: page }), STEP_MS, 'StartKernel in the same session');
    assert.deepEqual(b, { ...a, attached: true });

    const sessions = await rest('api/sessions');
    const session = sessions.body.find(s => s.id === a.session);
    assert.equal(session?.path, page, JSON.stringify(sessions.body));
    assert.equal(session.kernel.id, a.kernelId);

    const streamA = new KernelStream(first, a.kernelId, randomUUID());
    const streamB = new KernelStream(second, b.kernelId, randomUUID());
    const set = await first.invoke('Execute', a.kernelId, streamA.clientId, 'shared = "from cell one"');
    await streamA.done(set);
    const get = await second.invoke('Execute', b.kernelId, streamB.clientId, 'shared');
    await streamB.done(get);
    assert.equal(streamB.of(get).find(m => m.msg_type === 'execute_result').content.data['text/plain'], "'from cell one'");

    // After the kernel is gone, the same session gets a new kernel in the same workspace.
    await first.invoke('Shutdown', a.kernelId);
    const c = await within(first.invoke('StartKernel', { session: page }), KERNEL_START_MS, 'StartKernel after shutdown');
    cleanup.push(() => rest(`api/kernels/${c.kernelId}`, { method: 'DELETE' }));
    assert.notEqual(c.kernelId, a.kernelId);
    assert.equal(c.session, a.session);
    assert.equal(c.attached, false);
  });

  test("another user's kernel is not found by any method, and their session path is their own", async () => {
    const owner = await connect(TOKEN);
    const intruder = await connect(OTHER_TOKEN);
    cleanup.push(() => owner.stop(), () => intruder.stop());
    const page = `/pages/${randomUUID()}.html`;
    const mine = await within(owner.invoke('StartKernel', { session: page }), KERNEL_START_MS, 'StartKernel');
    cleanup.push(() => rest(`api/kernels/${mine.kernelId}`, { method: 'DELETE' }));
    const notFound = new RegExp(`Kernel '${mine.kernelId}' not found`);
    const clientId = randomUUID();
    await assert.rejects(intruder.invoke('Execute', mine.kernelId, clientId, '1'), notFound);
    await assert.rejects(intruder.invoke('InputReply', mine.kernelId, clientId, 'x'), notFound);
    await assert.rejects(intruder.invoke('Send', mine.kernelId, clientId, '{}'), notFound);
    await assert.rejects(intruder.invoke('Interrupt', mine.kernelId), notFound);
    await assert.rejects(intruder.invoke('Restart', mine.kernelId), notFound);
    await assert.rejects(intruder.invoke('Shutdown', mine.kernelId), notFound);
    const spy = new KernelStream(intruder, mine.kernelId, clientId);
    await spy.until(s => s.error, 'the Subscribe refusal');
    assert.match(spy.error.message, notFound);
    assert.equal((await rest(`api/kernels/${mine.kernelId}`)).status, 200, 'the kernel is still there');

    const theirs = await within(intruder.invoke('StartKernel', { session: page }), KERNEL_START_MS, "the other user's StartKernel");
    cleanup.push(() => rest(`api/kernels/${theirs.kernelId}`, { token: OTHER_TOKEN, method: 'DELETE' }));
    assert.notEqual(theirs.kernelId, mine.kernelId);
    assert.equal(theirs.attached, false);
    await intruder.invoke('Shutdown', theirs.kernelId);
  });
});

describe('quotas', () => {
  test('over the kernel quota, StartKernel fails with the message of the REST 403', async () => {
    const limited = await connect(OTHER_TOKEN);
    cleanup.push(() => limited.stop());
    const started = [];
    try {
      for (let i = 0; i < OTHER_MAX_KERNELS; i++) {
        started.push(await within(limited.invoke('StartKernel', {}), KERNEL_START_MS, `kernel ${i + 1} of the quota`));
      }
      const refusal = await rest('api/kernels', { token: OTHER_TOKEN, method: 'POST', body: { name: 'python3' } });
      assert.equal(refusal.status, 403, JSON.stringify(refusal.body));
      await assert.rejects(limited.invoke('StartKernel', {}), err => {
        assert.ok(err.message.endsWith(`HubException: ${refusal.body.message}`), `${err.message} vs ${refusal.body.message}`);
        return true;
      });
    } finally {
      for (const kernel of started) {
        await limited.invoke('Shutdown', kernel.kernelId);
      }
    }
  });
});

describe('rate limits', () => {
  test('a hub connection counts against the user\'s open-connection limit, and is given back when it closes', async () => {
    assert.ok(ONE_CONNECTION_TOKEN, 'GATEWAY_ONE_CONNECTION_TOKEN is not set');
    const first = await connect(ONE_CONNECTION_TOKEN, { reconnect: false });
    // The second one is refused: either start() fails or the server closes it right after the handshake.
    const second = new signalR.HubConnectionBuilder()
      .withUrl(HUB_URL, { accessTokenFactory: () => ONE_CONNECTION_TOKEN, transport: signalR.HttpTransportType.WebSockets })
      .configureLogging(signalR.LogLevel.None)
      .build();
    const closed = new Promise(resolve => second.onclose(resolve));
    let refusal;
    try {
      await within(second.start(), STEP_MS, 'second connection start');
      refusal = await within(closed, STEP_MS, 'the second connection closed by the server');
    } catch (err) {
      refusal = err;
    }
    assert.match(String(refusal?.message ?? refusal), /at most 1 open websocket connections per user/);
    assert.equal(second.state, signalR.HubConnectionState.Disconnected);
    // The first still works, and once it is gone a new connection is admitted.
    const specs = await within(first.invoke('ListKernelSpecs'), STEP_MS, 'ListKernelSpecs on the admitted connection');
    assert.ok(specs.kernelspecs.python3);
    await first.stop();
    const third = await until(async () => {
      const candidate = new signalR.HubConnectionBuilder()
        .withUrl(HUB_URL, { accessTokenFactory: () => ONE_CONNECTION_TOKEN, transport: signalR.HttpTransportType.WebSockets })
        .configureLogging(signalR.LogLevel.None)
        .build();
      try {
        await candidate.start();
        await candidate.invoke('ListKernelSpecs'); // a refused connection fails here if start() already resolved
        return candidate;
      } catch {
        await candidate.stop();
        return null;
      }
    }, STEP_MS, 'a connection admitted after the first closed');
    await third.stop();
  });
});

describe('reconnect', () => {
  test('a dropped connection reconnects, re-subscribes with its clientId and gets what was printed meanwhile', async () => {
    const gate = new Gate();
    const sockets = [];
    const client = await connect(TOKEN, { gate, sockets });
    const observer = await connect(TOKEN);
    cleanup.push(() => client.stop(), () => observer.stop());
    const { kernelId } = await within(client.invoke('StartKernel'), KERNEL_START_MS, 'StartKernel without its options argument');
    cleanup.push(() => rest(`api/kernels/${kernelId}`, { method: 'DELETE' }));
    const clientId = randomUUID();
    const stream = new KernelStream(client, kernelId, clientId);
    const watch = new KernelStream(observer, kernelId, randomUUID());
    await until(async () => (await connections(kernelId)) === 2, STEP_MS, 'both streams attached');

    // The cell prints, then waits until it is interrupted and prints again: the second line is produced while the
    // client is away, because the test interrupts only after the gateway saw the connection drop.
    const code = 'import time\nprint("before", flush=True)\ntry:\n    time.sleep(120)\nexcept KeyboardInterrupt:\n    print("while away", flush=True)';
    const msgId = await client.invoke('Execute', kernelId, clientId, code);
    await stream.until(s => streamText(s.of(msgId)) === 'before\n', 'the first line');

    const reconnecting = new Promise(resolve => client.onreconnecting(resolve));
    const reconnected = new Promise(resolve => client.onreconnected(resolve));
    gate.close(); // the reconnect waits in negotiate until the gate opens
    sockets.at(-1).terminate(); // drop the TCP connection under the client, as a network failure would
    await within(reconnecting, STEP_MS, 'the client notices the drop');
    await until(async () => (await connections(kernelId)) === 1, STEP_MS, 'the gateway detached the dropped stream');

    await observer.invoke('Interrupt', kernelId);
    await watch.until(s => streamText(s.of(msgId)) === 'before\nwhile away\n', 'the second line on the observer');
    await watch.until(s => s.of(msgId).some(m => m.msg_type === 'status' && m.content.execution_state === 'idle'), 'the cell finished');
    assert.equal(streamText(stream.of(msgId)), 'before\n', 'nothing reached the dropped stream');
    assert.equal(client.state, signalR.HubConnectionState.Reconnecting);

    gate.open();
    await within(reconnected, STEP_MS, 'automatic reconnect');
    assert.equal(client.state, signalR.HubConnectionState.Connected);
    const resumed = new KernelStream(client, kernelId, clientId);
    const reply = await resumed.done(msgId);
    assert.equal(reply.content.status, 'ok');
    assert.equal(streamText(resumed.of(msgId)), 'while away\n', 'exactly what was missed, not what was already delivered');

    // And the resumed stream is live.
    const next = await client.invoke('Execute', kernelId, clientId, 'print("live again")');
    await resumed.done(next);
    assert.equal(streamText(resumed.of(next)), 'live again\n');
  });
});
