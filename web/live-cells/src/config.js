// Settings come from data attributes on the script's own <script> tag, so a page needs no code:
//   <script src="https://gateway/static/live-cells.js" data-token="..." data-kernel="python3"></script>

const DEFAULT_SELECTOR = 'pre[data-executable]';

/** Whether a boolean data attribute is switched on (`data-x`, `data-x="true"`; `data-x="false"` is off). */
export function flag(element, name) {
  const value = element.getAttribute(name);
  return value !== null && value.trim().toLowerCase() !== 'false';
}

/** The gateway's base URL (ending in '/'): data-gateway, else the script's own URL minus `static/live-cells.js`. */
function gatewayUrl(script) {
  const explicit = script.getAttribute('data-gateway');
  const base = explicit ? new URL(explicit, document.baseURI) : new URL('../', script.src || document.baseURI);
  const href = base.href;
  return href.endsWith('/') ? href : href + '/';
}

function token(script) {
  if (script.getAttribute('data-token-from') === 'query') {
    return new URLSearchParams(window.location.search).get('token') ?? '';
  }
  return script.getAttribute('data-token') ?? '';
}

/** Reads the configuration from `script` (the live-cells <script> element, or null when loaded some other way). */
export function readConfig(script) {
  const element = script ?? document.createElement('script');
  return {
    gateway: gatewayUrl(element),
    token: token(element),
    kernelName: element.getAttribute('data-kernel') || 'python3',
    session: element.getAttribute('data-session') || window.location.pathname,
    selector: element.getAttribute('data-selector') || DEFAULT_SELECTOR,
    allowHtml: flag(element, 'data-allow-html'),
    autostart: flag(element, 'data-autostart'),
    editable: flag(element, 'data-editable'),
  };
}
