// The DOM a page gets: per cell a toolbar (Run, Interrupt, Restart, status badge) and an output area;
// per page one status badge. Buttons and badges carry data attributes for styling and for tests.
import { flag } from './config.js';

const STYLE_ID = 'live-cells-style';
const CSS = `
.live-cell { margin: 1em 0; }
.live-cell > pre { margin-bottom: 0.25em; }
.live-cell > [data-editable] { cursor: text; }
.live-cell > [data-editable]:focus { outline: 2px solid #7aa7e0; outline-offset: 1px; }
.live-cells-toolbar { display: flex; gap: 0.4em; align-items: center; font: 13px/1.4 system-ui, sans-serif; }
.live-cells-toolbar button { font: inherit; padding: 0.1em 0.7em; cursor: pointer; }
.live-cells-badge { font: 12px/1.4 system-ui, sans-serif; padding: 0.05em 0.6em; border-radius: 1em; background: #e8e8e8; color: #333; }
.live-cells-badge[data-state="busy"], .live-cells-badge[data-state="queued"], .live-cells-badge[data-state="connecting"],
.live-cells-badge[data-state="starting"], .live-cells-badge[data-state="restarting"], .live-cells-badge[data-state="reconnecting"] { background: #fff3c4; }
.live-cells-badge[data-state="idle"], .live-cells-badge[data-state="done"] { background: #d9f2d9; }
.live-cells-badge[data-state="error"], .live-cells-badge[data-state="dead"], .live-cells-badge[data-state="disconnected"] { background: #f8d0d0; }
.live-cells-output { margin-top: 0.25em; }
.live-cells-output pre { margin: 0.2em 0; white-space: pre-wrap; word-break: break-word; }
.live-cells-stderr, .live-cells-notice { background: #fff0f0; }
.live-cells-error { background: #fde2e2; color: #700; }
.live-cells-image { max-width: 100%; }
.live-cells-html { width: 100%; height: 300px; border: 1px solid #ddd; resize: vertical; }
.live-cells-input input { font: inherit; margin-left: 0.4em; min-width: 16em; }
.live-cells-page { font: 13px/1.4 system-ui, sans-serif; margin: 0.5em 0; }
`;

export function injectStyles() {
  if (document.getElementById(STYLE_ID)) return;
  const style = document.createElement('style');
  style.id = STYLE_ID;
  style.textContent = CSS;
  document.head.append(style);
}

function button(action, label, title) {
  const element = document.createElement('button');
  element.type = 'button';
  element.dataset.action = action;
  element.textContent = label;
  element.title = title;
  return element;
}

export function badge(state, text) {
  const element = document.createElement('span');
  element.className = 'live-cells-badge';
  setBadge(element, state, text);
  return element;
}

export function setBadge(element, state, text) {
  element.dataset.state = state;
  element.textContent = text;
}

/**
 * Wraps `block` in a .live-cell container with a toolbar and an output area; returns the parts.
 * The block stays where it was in the page's flow.
 */
export function buildCell(block, index) {
  const container = document.createElement('div');
  container.className = 'live-cell';
  container.dataset.cellIndex = String(index);
  block.replaceWith(container);
  const toolbar = document.createElement('div');
  toolbar.className = 'live-cells-toolbar';
  const run = button('run', 'Run', 'Run this cell');
  const interrupt = button('interrupt', 'Interrupt', 'Interrupt the kernel');
  const restart = button('restart', 'Restart', 'Restart the kernel (all cells of this page share it)');
  const status = badge('new', 'not run');
  status.setAttribute('aria-live', 'polite');
  toolbar.append(run, interrupt, restart, status);
  const output = document.createElement('div');
  output.className = 'live-cells-output';
  output.setAttribute('aria-live', 'polite');
  container.append(block, toolbar, output);
  return { container, run, interrupt, restart, status, output };
}

/**
 * The page's kernel badges: inside the page's own [data-live-cells-status] element if any, else before the first cell.
 * One row per kernel the page uses (a page can mix languages); the default kernel's badge is #live-cells-kernel-status,
 * another kernel's #live-cells-kernel-status-<name>.
 */
export function buildPageStatus(firstCell, kernelNames, defaultKernel) {
  const holder = document.querySelector('[data-live-cells-status]') ?? document.createElement('div');
  holder.classList.add('live-cells-page');
  const rows = new Map();
  for (const name of kernelNames) {
    const row = document.createElement('div');
    row.className = 'live-cells-page-kernel';
    row.dataset.kernel = name;
    const label = document.createElement('span');
    label.textContent = kernelNames.length > 1 ? `Kernel (${name}): ` : 'Kernel: ';
    const status = badge('disconnected', 'not started');
    status.id = name === defaultKernel ? 'live-cells-kernel-status' : `live-cells-kernel-status-${name}`;
    status.setAttribute('aria-live', 'polite');
    const detail = document.createElement('span');
    detail.className = 'live-cells-page-detail';
    row.append(label, status, ' ', detail);
    rows.set(name, { row, status, detail });
  }
  const notice = document.createElement('div');
  notice.className = 'live-cells-page-notice';
  holder.replaceChildren(...Array.from(rows.values(), r => r.row), notice);
  if (!holder.isConnected) {
    firstCell.before(holder);
  }
  return { holder, rows, notice };
}

/** Whether `block` becomes an editable cell: its own data-editable if it has one, else the page's. */
export function isEditable(block, pageEditable) {
  return block.getAttribute('data-editable') === null ? pageEditable : flag(block, 'data-editable');
}

/** Lets the reader change the code of `block` (plain text only where the browser can) and run it with Shift+Enter. */
export function makeEditable(block, run) {
  try {
    block.contentEditable = 'plaintext-only';
  } catch {
    block.contentEditable = 'true'; // browsers without plaintext-only; only the text is ever read
  }
  block.spellcheck = false;
  block.dataset.editable = '';
  block.setAttribute('role', 'textbox');
  block.setAttribute('aria-multiline', 'true');
  block.title = 'Edit the code; Shift+Enter runs it';
  block.addEventListener('keydown', event => {
    if (event.key === 'Enter' && event.shiftKey) {
      event.preventDefault();
      run();
    }
  });
}
