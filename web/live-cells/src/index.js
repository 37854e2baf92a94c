// NotebookGateway live cells: turns the page's <pre data-executable> blocks into cells that run in sandboxed
// kernels: one per language the page uses (a block's data-kernel, else the script's), all in the page's session
// workspace. One <script> tag, configured by its data attributes (see config.js).
import { readConfig } from './config.js';
import { codeOf, findCells } from './discovery.js';
import { buildCell, buildPageStatus, injectStyles, isEditable, makeEditable, setBadge } from './controls.js';
import { OutputArea, stripAnsi } from './output.js';
import { KernelSession, describeError } from './session.js';

// Captured now: document.currentScript is only set while this script's top level runs.
const ownScript = document.currentScript;

const KERNEL_LABELS = {
  disconnected: 'not connected',
  connecting: 'connecting…',
  starting: 'starting kernel…',
  idle: 'idle',
  busy: 'busy',
  reconnecting: 'reconnecting…',
  restarting: 'restarting…',
  dead: 'dead',
  error: 'connection error',
};
const CELL_LABELS = { new: 'not run', queued: 'queued', busy: 'busy', done: 'done', error: 'error', dead: 'kernel stopped' };
/** Messages whose cell is not known yet (they can overtake the Execute result); bounded. */
const MAX_EARLY_MESSAGES = 500;

class Cell {
  constructor(page, block, index) {
    this.page = page;
    this.block = block;
    this.kernel = page.kernelFor(kernelNameOf(block, page.config));
    this.parts = buildCell(block, index);
    this.output = new OutputArea(this.parts.output, { allowHtml: page.config.allowHtml });
    this.msgId = null;
    this.replyStatus = null;
    this.finished = false;
    this.state = 'new';
    this.parts.run.addEventListener('click', () => this.run());
    this.parts.interrupt.addEventListener('click', () => page.interrupt(this.kernel));
    this.parts.restart.addEventListener('click', () => page.restart(this.kernel));
    if (isEditable(block, page.config.editable)) makeEditable(block, () => this.run());
  }

  setState(state) {
    this.state = state;
    this.parts.container.dataset.state = state;
    setBadge(this.parts.status, state, CELL_LABELS[state] ?? state);
  }

  get pending() {
    return this.state === 'queued' || this.state === 'busy';
  }

  async run() {
    this.page.forget(this);
    this.output.clear();
    this.replyStatus = null;
    this.finished = false;
    this.setState('queued');
    try {
      const msgId = await this.kernel.session.execute(codeOf(this.block));
      this.page.track(msgId, this);
    } catch (error) {
      this.setState('error');
      this.output.appendNotice(`Could not run the cell: ${describeError(error)}`);
    }
  }

  receive(message) {
    const content = message.content ?? {};
    if (message.channel === 'stdin' && message.msg_type === 'input_request') {
      this.output.promptForInput(String(content.prompt ?? ''), content.password === true, value =>
        this.kernel.session.inputReply(value).catch(error => this.output.appendNotice(describeError(error))));
      return;
    }
    if (message.msg_type === 'execute_reply') {
      this.replyStatus = content.status ?? 'ok';
      if (this.finished) this.finish();
      return;
    }
    if (message.msg_type === 'status') {
      if (content.execution_state === 'busy' && this.state === 'queued') this.setState('busy');
      if (content.execution_state === 'idle') {
        this.finished = true;
        this.finish();
      }
      return;
    }
    this.output.handle(message);
  }

  finish() {
    const failed = this.replyStatus !== null && this.replyStatus !== 'ok';
    const sawError = this.parts.output.querySelector('.live-cells-error') !== null;
    this.setState(failed || sawError ? 'error' : 'done');
  }
}

/** The kernelspec of a block: its own data-kernel, else the script's. */
function kernelNameOf(block, config) {
  return block.getAttribute('data-kernel')?.trim() || config.kernelName;
}

class LiveCellsPage {
  constructor(config) {
    this.config = config;
    this.cells = [];
    this.kernels = new Map();
    this.byMsgId = new Map();
    this.early = [];
  }

  init() {
    const blocks = findCells(document, this.config.selector);
    if (blocks.length === 0) return;
    injectStyles();
    // One kernel per language the page uses, in order of first use; the script's kernel first when it has cells.
    const names = [...new Set(blocks.map(block => kernelNameOf(block, this.config)))];
    this.status = buildPageStatus(blocks[0], names, this.config.kernelName);
    this.cells = blocks.map((block, index) => new Cell(this, block, index));
    if (this.config.autostart) {
      for (const kernel of this.kernels.values()) kernel.session.ensureKernel().catch(() => {});
    }
  }

  /** The page's kernel of `name`, with its session (started on first Run) and its status row. */
  kernelFor(name) {
    let kernel = this.kernels.get(name);
    if (!kernel) {
      kernel = { name, status: this.status.rows.get(name) };
      kernel.session = new KernelSession(this.config, name, {
        onState: (state, detail) => this.showKernelState(kernel, state, detail),
        onMessage: message => this.route(message),
      });
      this.kernels.set(name, kernel);
    }
    return kernel;
  }

  showKernelState(kernel, state, detail) {
    setBadge(kernel.status.status, state, KERNEL_LABELS[state] ?? state);
    kernel.status.row.dataset.state = state;
    if (kernel.name === this.config.kernelName || this.kernels.size === 1) this.status.holder.dataset.state = state;
    kernel.status.detail.textContent = detail;
    if (state === 'dead' || state === 'restarting') {
      for (const cell of this.cells) {
        if (cell.kernel === kernel && cell.pending) cell.setState('dead');
      }
    }
  }

  track(msgId, cell) {
    cell.msgId = msgId;
    this.byMsgId.set(msgId, cell);
    const early = this.early.filter(message => message.parent_header?.msg_id === msgId);
    this.early = this.early.filter(message => message.parent_header?.msg_id !== msgId);
    for (const message of early) cell.receive(message);
  }

  forget(cell) {
    if (cell.msgId !== null) this.byMsgId.delete(cell.msgId);
    cell.msgId = null;
  }

  route(message) {
    const parentId = message?.parent_header?.msg_id;
    const cell = parentId ? this.byMsgId.get(parentId) : undefined;
    if (cell) {
      cell.receive(message);
      return;
    }
    if (!parentId) {
      // Gateway notices without a request (culling, restarts) are shown next to the page's kernel badge.
      if (message?.msg_type === 'stream') this.status.notice.textContent = stripAnsi(String(message.content?.text ?? '')).trim();
      return;
    }
    if (this.cells.some(c => c.state === 'queued')) {
      this.early.push(message);
      if (this.early.length > MAX_EARLY_MESSAGES) this.early.shift();
    }
  }

  interrupt(kernel) {
    kernel.session.interrupt().catch(error => this.showKernelState(kernel, 'error', describeError(error)));
  }

  restart(kernel) {
    kernel.session.restart().catch(error => this.showKernelState(kernel, 'error', describeError(error)));
  }
}

function start() {
  new LiveCellsPage(readConfig(ownScript)).init();
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start, { once: true });
} else {
  start();
}
