// The pure parts of the live-cells script (web/live-cells/src): escape stripping, base64 validation, code extraction,
// configuration defaults and error texts. The browser behaviour is in live-cells.browser.test.mjs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stripAnsi, validBase64 } from '../../web/live-cells/src/output.js';
import { codeOf } from '../../web/live-cells/src/discovery.js';
import { isEditable } from '../../web/live-cells/src/controls.js';
import { describeError } from '../../web/live-cells/src/session.js';

describe('stripAnsi', () => {
  test('removes colour codes, cursor moves and OSC titles from tracebacks', () => {
    const traceback = '\u001b[0;31mValueError\u001b[0m: boom\u001b[2K\u001b]0;title\u0007 end';
    assert.equal(stripAnsi(traceback), 'ValueError: boom end');
  });
  test('leaves ordinary text, brackets included, alone', () => {
    assert.equal(stripAnsi('a[0] = "[1m"'), 'a[0] = "[1m"');
  });
});

describe('validBase64', () => {
  test('accepts base64 (line breaks as Jupyter sends them) and returns it compact', () => {
    assert.equal(validBase64('iVBORw0K\nGgo='), 'iVBORw0KGgo=');
  });
  test('refuses anything that could break out of a data: URL or is not base64', () => {
    for (const bad of ['', 'abc', 'iVBO"onerror=x', 'iVBORw0K)url(x', 'iVBO==Rw', null, 42, ['iVBO']]) {
      assert.equal(validBase64(bad), null, JSON.stringify(bad));
    }
  });
});

describe('codeOf', () => {
  test('drops blank edge lines and the indentation common to all lines (HTML indentation), keeping Python blocks', () => {
    const element = { textContent: '\n    for i in range(3):\n        print(i)\n\n    done = True\n  ' };
    assert.equal(codeOf(element), 'for i in range(3):\n    print(i)\n\ndone = True');
  });
  test('normalises CRLF line ends', () => {
    assert.equal(codeOf({ textContent: 'a = 1\r\nb = 2' }), 'a = 1\nb = 2');
  });
});

describe('isEditable', () => {
  const block = value => ({ getAttribute: name => (name === 'data-editable' ? value : null) });
  test('follows the page\'s data-editable unless the block has its own', () => {
    assert.equal(isEditable(block(null), false), false);
    assert.equal(isEditable(block(null), true), true);
    assert.equal(isEditable(block(''), false), true);
    assert.equal(isEditable(block('false'), true), false);
    assert.equal(isEditable(block(' FALSE '), true), false);
  });
});

describe('describeError', () => {
  test('shows the hub\'s own message (quota refusals, unknown kernels) without the exception type', () => {
    const error = new Error("An unexpected error occurred invoking 'StartKernel' on the server. HubException: Kernel quota reached: 10 of 10");
    assert.equal(describeError(error), 'Kernel quota reached: 10 of 10');
  });
  test('explains a refused cross-origin request or an unreachable gateway', () => {
    const error = new Error('Failed to complete negotiation with the server: TypeError: Failed to fetch');
    error.gateway = 'http://127.0.0.1:8888/';
    assert.match(describeError(error), /cannot reach the gateway at http:\/\/127\.0\.0\.1:8888\/.*Hub:AllowOrigins/);
  });
  test('explains a wrong token', () => {
    assert.match(describeError(new Error("Error: Unauthorized: Status code '401'")), /refused the token/);
  });
});
