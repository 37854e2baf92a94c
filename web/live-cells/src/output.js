// Renders Jupyter outputs into a cell's output area without ever interpreting kernel output as markup:
// text goes through textContent, images only as validated base64 data: URLs of raster types, and HTML only
// when the page opted in, inside an <iframe sandbox> (no scripts, no same-origin access) via srcdoc.

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif'];
// Terminal escape sequences (colours in tracebacks): CSI, OSC and two-character escapes.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function stripAnsi(text) {
  return String(text).replace(ANSI, '');
}

/** The base64 payload without whitespace when it is well-formed base64, else null. */
export function validBase64(value) {
  if (typeof value !== 'string') return null;
  const compact = value.replace(/\s+/g, '');
  return compact.length > 0 && compact.length % 4 === 0 && BASE64.test(compact) ? compact : null;
}

/** Jupyter mime bundles may carry text as a string or a list of lines. */
function textOf(value) {
  return Array.isArray(value) ? value.join('') : typeof value === 'string' ? value : '';
}

/** The element that shows a mime bundle (execute_result / display_data), or null when nothing in it may be shown. */
export function renderMimeBundle(data, { allowHtml }) {
  if (!data || typeof data !== 'object') return null;
  if (allowHtml && typeof data['text/html'] !== 'undefined') {
    const frame = document.createElement('iframe');
    frame.setAttribute('sandbox', '');
    frame.setAttribute('referrerpolicy', 'no-referrer');
    frame.className = 'live-cells-html';
    frame.title = 'HTML output';
    frame.srcdoc = textOf(data['text/html']);
    return frame;
  }
  for (const type of IMAGE_TYPES) {
    const payload = validBase64(data[type]);
    if (payload !== null) {
      const image = document.createElement('img');
      image.className = 'live-cells-image';
      image.alt = stripAnsi(textOf(data['text/plain'])) || type;
      image.src = `data:${type};base64,${payload}`;
      return image;
    }
  }
  if (typeof data['text/plain'] !== 'undefined') {
    return textBlock('live-cells-text', stripAnsi(textOf(data['text/plain'])));
  }
  return null;
}

function textBlock(className, text) {
  const block = document.createElement('pre');
  block.className = className;
  block.textContent = text;
  return block;
}

/**
 * One cell's output area: appends stream text (merging consecutive chunks of one stream), mime bundles and
 * errors; keeps display_id targets for update_display_data; honours clear_output(wait=True).
 */
export class OutputArea {
  constructor(element, { allowHtml }) {
    this.element = element;
    this.allowHtml = allowHtml;
    this.clearPending = false;
    this.lastStream = null;
    this.displays = new Map();
  }

  clear() {
    this.element.replaceChildren();
    this.lastStream = null;
    this.clearPending = false;
    this.displays.clear();
  }

  /** Handles one iopub message that belongs to this cell; returns true if it was an output. */
  handle(message) {
    const content = message.content ?? {};
    switch (message.msg_type) {
      case 'stream':
        this.appendStream(content.name === 'stderr' ? 'stderr' : 'stdout', stripAnsi(textOf(content.text)));
        return true;
      case 'execute_result':
      case 'display_data':
        this.appendBundle(content.data, content.transient?.display_id);
        return true;
      case 'update_display_data':
        this.updateDisplay(content.transient?.display_id, content.data);
        return true;
      case 'error':
        this.appendError(content);
        return true;
      case 'clear_output':
        if (content.wait) {
          this.clearPending = true;
        } else {
          this.clear();
        }
        return true;
      default:
        return false;
    }
  }

  /** A line the page itself adds (a gateway notice, a connection problem). */
  appendNotice(text) {
    this.append(textBlock('live-cells-notice', text));
  }

  beforeAppend() {
    if (this.clearPending) {
      this.clear();
    }
  }

  append(node) {
    this.beforeAppend();
    this.element.append(node);
    if (!node.classList.contains('live-cells-stream')) {
      this.lastStream = null;
    }
  }

  appendStream(name, text) {
    this.beforeAppend();
    if (this.lastStream?.dataset.stream === name && this.lastStream.isConnected) {
      this.lastStream.textContent += text;
      return;
    }
    const block = textBlock(`live-cells-stream live-cells-${name}`, text);
    block.dataset.stream = name;
    this.append(block);
    this.lastStream = block;
  }

  appendBundle(data, displayId) {
    const node = renderMimeBundle(data, { allowHtml: this.allowHtml });
    if (node === null) return;
    const holder = document.createElement('div');
    holder.className = 'live-cells-display';
    holder.append(node);
    this.append(holder);
    if (typeof displayId === 'string') {
      const holders = this.displays.get(displayId) ?? [];
      holders.push(holder);
      this.displays.set(displayId, holders);
    }
  }

  updateDisplay(displayId, data) {
    const node = () => renderMimeBundle(data, { allowHtml: this.allowHtml });
    for (const holder of this.displays.get(displayId) ?? []) {
      const replacement = node();
      if (replacement !== null) holder.replaceChildren(replacement);
    }
  }

  appendError(content) {
    const traceback = Array.isArray(content.traceback) ? content.traceback.map(textOf).join('\n') : '';
    const text = traceback || `${content.ename ?? 'Error'}: ${content.evalue ?? ''}`;
    this.append(textBlock('live-cells-error', stripAnsi(text)));
  }

  /**
   * A prompt for input(): a label and a text field; Enter sends the value through `reply` and the field is
   * replaced by the echoed answer (masked for passwords).
   */
  promptForInput(prompt, password, reply) {
    const form = document.createElement('form');
    form.className = 'live-cells-input';
    const label = document.createElement('label');
    const caption = document.createElement('span');
    caption.textContent = stripAnsi(prompt);
    const field = document.createElement('input');
    field.type = password ? 'password' : 'text';
    field.autocomplete = 'off';
    label.append(caption, field);
    form.append(label);
    form.addEventListener('submit', event => {
      event.preventDefault();
      const value = field.value;
      field.disabled = true;
      const echo = textBlock('live-cells-stream live-cells-stdout', `${stripAnsi(prompt)}${password ? '········' : value}\n`);
      form.replaceWith(echo);
      reply(value);
    });
    this.append(form);
    field.focus();
    return form;
  }
}
