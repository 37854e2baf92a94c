// @jupyterlab/services (the client JupyterLab itself uses) against a running NotebookGateway.
//
//   GATEWAY_URL=http://127.0.0.1:8888/ GATEWAY_TOKEN=... node --test tests/js/
//
// The C# test project (Clients/JupyterLabServicesTests) starts the gateway and runs this file.
// Every wait is bounded; nothing sleeps to synchronise.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import {
  KernelManager,
  KernelSpecManager,
  ServerConnection,
  SessionManager
} from '@jupyterlab/services';

const GATEWAY_URL = process.env.GATEWAY_URL ?? '';
const GATEWAY_TOKEN = process.env.GATEWAY_TOKEN ?? '';

/** Kernel start (container launch) or restart. */
const KERNEL_START_MS = 90_000;
/** One short cell, REST call or websocket reconnect. */
const STEP_MS = 30_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// 1x1 transparent PNG.
const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

/** Rejects with a message naming what was awaited when `promise` takes longer than `ms`. */
function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs one cell and collects its iopub messages (in arrival order) and its execute_reply.
 * `onInput(request)` answers stdin input_request messages.
 */
async function execute(kernel, code, { onInput, onIOPub, timeoutMs = STEP_MS } = {}) {
  const future = kernel.requestExecute({ code, allow_stdin: onInput !== undefined, stop_on_error: false });
  const iopub = [];
  future.onIOPub = msg => {
    iopub.push(msg);
    onIOPub?.(msg, future);
  };
  if (onInput) {
    future.onStdin = msg => {
      if (msg.header.msg_type === 'input_request') {
        onInput(msg);
      }
    };
  }
  const reply = await within(future.done, timeoutMs, `execute_reply for ${JSON.stringify(code)}`);
  return { reply, iopub, future };
}

function ofType(messages, type) {
  return messages.filter(m => m.header.msg_type === type);
}

function describeMessages(messages) {
  return JSON.stringify(messages.map(m => [m.header.msg_type, m.content]));
}

let serverSettings;
const disposables = [];

before(() => {
  assert.ok(GATEWAY_URL, 'GATEWAY_URL is not set (the gateway base URL, e.g. http://127.0.0.1:8888/)');
  assert.ok(GATEWAY_TOKEN, 'GATEWAY_TOKEN is not set');
  const baseUrl = GATEWAY_URL.endsWith('/') ? GATEWAY_URL : GATEWAY_URL + '/';
  serverSettings = ServerConnection.makeSettings({
    baseUrl,
    wsUrl: 'ws' + baseUrl.slice('http'.length),
    token: GATEWAY_TOKEN,
    appendToken: true,
    WebSocket
  });
});

after(async () => {
  // Managers poll the server on timers. @lumino/polling's Poll.dispose() leaves the next tick's timer
  // armed (up to 61 s), which would keep this process alive after the last test: stop the polls first.
  for (const manager of disposables.reverse()) {
    for (const poll of [manager._pollModels, manager._pollSpecs]) {
      await poll?.stop();
    }
    manager.dispose();
  }
});

function newKernelManager() {
  const manager = new KernelManager({ serverSettings });
  // The constructor starts polling GET /api/kernels; tests await `ready` where they need it,
  // this only keeps a failed first poll from becoming an unhandled rejection.
  manager.ready.catch(() => {});
  disposables.push(manager);
  return manager;
}

describe('kernelspecs', () => {
  test('python3 is listed with its spec and is a valid default', { timeout: STEP_MS }, async () => {
    const specs = new KernelSpecManager({ serverSettings });
    disposables.push(specs);
    await within(specs.ready, STEP_MS, 'KernelSpecManager.ready');
    const models = specs.specs;
    assert.ok(models, 'no kernelspecs were loaded');
    const python = models.kernelspecs.python3;
    assert.ok(python, `python3 is missing from ${JSON.stringify(Object.keys(models.kernelspecs))}`);
    assert.equal(python.name, 'python3');
    assert.equal(python.language.toLowerCase(), 'python');
    assert.ok(python.display_name.length > 0);
    assert.ok(models.default in models.kernelspecs, `default ${models.default} is not a listed spec`);
  });
});

describe('kernel', () => {
  let manager;
  let kernel;

  before(async () => {
    manager = newKernelManager();
    kernel = await within(manager.startNew({ name: 'python3' }), KERNEL_START_MS, 'KernelManager.startNew');
    await within(kernel.info, KERNEL_START_MS, 'kernel_info_reply over the websocket');
  });

  after(async () => {
    if (kernel && !kernel.isDisposed && kernel.status !== 'dead') {
      await within(kernel.shutdown(), STEP_MS, 'cleanup shutdown').catch(() => {});
    }
  });

  test('started kernel has a uuid and is connected over the websocket', async () => {
    assert.match(kernel.id, UUID);
    assert.equal(kernel.name, 'python3');
    assert.equal(kernel.connectionStatus, 'connected');
    const info = await kernel.info;
    assert.equal(info.status, 'ok');
    assert.equal(info.language_info.name, 'python');
    await within(manager.ready, STEP_MS, 'KernelManager.ready (GET /api/kernels)');
    await within(manager.refreshRunning(), STEP_MS, 'KernelManager.refreshRunning');
    assert.ok([...manager.running()].some(m => m.id === kernel.id), 'the new kernel is not in GET /api/kernels');
  });

  test("print('hi'); 6*7 streams hi and returns 42", { timeout: STEP_MS + 5_000 }, async () => {
    const { reply, iopub } = await execute(kernel, "print('hi'); 6*7");
    assert.equal(reply.content.status, 'ok');
    const streams = ofType(iopub, 'stream');
    assert.deepEqual(streams.map(m => [m.content.name, m.content.text]), [['stdout', 'hi\n']], describeMessages(iopub));
    const results = ofType(iopub, 'execute_result');
    assert.equal(results.length, 1, describeMessages(iopub));
    assert.equal(results[0].content.data['text/plain'], '42');
    assert.ok(iopub.indexOf(streams[0]) < iopub.indexOf(results[0]), 'stream must come before execute_result');
    for (const m of iopub) {
      assert.equal(m.parent_header.msg_id, reply.parent_header.msg_id, 'iopub parent is the request');
    }
  });

  test('1/0 raises ZeroDivisionError', { timeout: STEP_MS + 5_000 }, async () => {
    const { reply, iopub } = await execute(kernel, '1/0');
    assert.equal(reply.content.status, 'error');
    assert.equal(reply.content.ename, 'ZeroDivisionError');
    const errors = ofType(iopub, 'error');
    assert.equal(errors.length, 1, describeMessages(iopub));
    assert.equal(errors[0].content.ename, 'ZeroDivisionError');
  });

  test('display_data carries an image/png bundle', { timeout: STEP_MS + 5_000 }, async () => {
    const code =
      'from IPython.display import display\n' +
      `display({'image/png': '${PNG_BASE64}', 'text/plain': 'x'}, raw=True)`;
    const { reply, iopub } = await execute(kernel, code);
    assert.equal(reply.content.status, 'ok');
    const displays = ofType(iopub, 'display_data');
    assert.equal(displays.length, 1, describeMessages(iopub));
    assert.equal(displays[0].content.data['image/png'], PNG_BASE64);
    assert.equal(displays[0].content.data['text/plain'], 'x');
  });

  test('input() is answered through onStdin and sendInputReply', { timeout: STEP_MS + 5_000 }, async () => {
    const prompts = [];
    const { reply, iopub } = await execute(kernel, "name = input('name? ')\nprint('got ' + name)", {
      onInput: request => {
        prompts.push(request.content.prompt);
        kernel.sendInputReply({ status: 'ok', value: 'bob' }, request.header);
      }
    });
    assert.deepEqual(prompts, ['name? ']);
    assert.equal(reply.content.status, 'ok');
    const stdout = ofType(iopub, 'stream').map(m => m.content.text).join('');
    assert.equal(stdout, 'got bob\n');
  });

  test('interrupt stops time.sleep(60) with KeyboardInterrupt', { timeout: 2 * STEP_MS }, async () => {
    let interrupted;
    const { reply, iopub } = await execute(kernel, 'import time\nprint("sleeping", flush=True)\ntime.sleep(60)', {
      timeoutMs: STEP_MS,
      onIOPub: msg => {
        // Its output means the cell is in user code (a SIGINT right after execute_input can be swallowed by IPython):
        // interrupt exactly once.
        if (msg.header.msg_type === 'stream' && interrupted === undefined) {
          interrupted = kernel.interrupt();
        }
      }
    });
    assert.ok(interrupted, 'the cell printed nothing, so the interrupt was not sent');
    await within(interrupted, STEP_MS, 'POST /api/kernels/<id>/interrupt');
    assert.equal(reply.content.status, 'error');
    assert.equal(reply.content.ename, 'KeyboardInterrupt');
    assert.equal(ofType(iopub, 'error')[0]?.content.ename, 'KeyboardInterrupt', describeMessages(iopub));
  });

  test('restart keeps the id and forgets variables', { timeout: KERNEL_START_MS + 2 * STEP_MS }, async () => {
    const defined = await execute(kernel, 'before_restart = 1');
    assert.equal(defined.reply.content.status, 'ok');
    const id = kernel.id;
    await within(kernel.restart(), KERNEL_START_MS, 'KernelConnection.restart');
    assert.equal(kernel.id, id);
    await within(kernel.info, KERNEL_START_MS, 'kernel_info_reply after restart');
    const { reply, iopub } = await execute(kernel, 'before_restart');
    assert.equal(reply.content.status, 'error', describeMessages(iopub));
    assert.equal(reply.content.ename, 'NameError');
  });

  test('shutdown ends the kernel and removes it from the server', { timeout: 2 * STEP_MS }, async () => {
    const id = kernel.id;
    await within(kernel.shutdown(), STEP_MS, 'KernelConnection.shutdown');
    assert.equal(kernel.status, 'dead');
    await within(manager.refreshRunning(), STEP_MS, 'KernelManager.refreshRunning');
    assert.ok(![...manager.running()].some(m => m.id === id), 'the kernel is still listed after shutdown');
    assert.equal(await within(manager.findById(id), STEP_MS, 'findById'), undefined);
  });
});

describe('sessions', () => {
  let kernels;
  let sessions;
  let session;

  before(() => {
    kernels = newKernelManager();
    sessions = new SessionManager({ kernelManager: kernels, serverSettings });
    sessions.ready.catch(() => {});
    disposables.push(sessions);
  });

  after(async () => {
    if (session && !session.isDisposed) {
      await within(session.shutdown(), STEP_MS, 'cleanup session shutdown').catch(() => {});
    }
  });

  test('startNew creates a notebook session with a python3 kernel', { timeout: KERNEL_START_MS + STEP_MS }, async () => {
    session = await within(
      sessions.startNew({ path: 'a.ipynb', type: 'notebook', name: 'a', kernel: { name: 'python3' } }),
      KERNEL_START_MS,
      'SessionManager.startNew'
    );
    assert.match(session.id, UUID);
    assert.equal(session.path, 'a.ipynb');
    assert.equal(session.type, 'notebook');
    assert.ok(session.kernel, 'the session has no kernel');
    assert.equal(session.kernel.name, 'python3');
    await within(session.kernel.info, KERNEL_START_MS, 'session kernel_info_reply');
    const { reply, iopub } = await execute(session.kernel, '6*7');
    assert.equal(reply.content.status, 'ok');
    assert.equal(ofType(iopub, 'execute_result')[0]?.content.data['text/plain'], '42', describeMessages(iopub));
  });

  test('the session is listed and found by path', { timeout: STEP_MS }, async () => {
    assert.ok(session, 'no session was started');
    await within(sessions.refreshRunning(), STEP_MS, 'SessionManager.refreshRunning');
    const listed = [...sessions.running()];
    assert.ok(listed.some(s => s.id === session.id), `session ${session.id} not in ${JSON.stringify(listed)}`);
    const found = await within(sessions.findByPath('a.ipynb'), STEP_MS, 'findByPath');
    assert.equal(found?.id, session.id);
  });

  test('shutdown removes the session and its kernel', { timeout: 2 * STEP_MS }, async () => {
    assert.ok(session, 'no session was started');
    const id = session.id;
    const kernelId = session.kernel.id;
    await within(sessions.shutdown(id), STEP_MS, 'SessionManager.shutdown');
    await within(sessions.refreshRunning(), STEP_MS, 'SessionManager.refreshRunning');
    assert.ok(![...sessions.running()].some(s => s.id === id), 'the session is still listed');
    await within(kernels.refreshRunning(), STEP_MS, 'KernelManager.refreshRunning');
    assert.ok(![...kernels.running()].some(k => k.id === kernelId), 'the session kernel is still listed');
  });
});
