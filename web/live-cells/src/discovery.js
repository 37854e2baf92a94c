// Finds the code blocks a page marks as executable and reads their code.

/** The elements matching `selector`, in document order, skipping ones already turned into cells. */
export function findCells(root, selector) {
  return Array.from(root.querySelectorAll(selector)).filter(element => !element.closest('.live-cell'));
}

/**
 * The code of a block: its text with the indentation common to all non-blank lines removed (HTML is usually
 * indented, Python cares) and blank leading and trailing lines dropped.
 */
export function codeOf(element) {
  // What the reader sees: an edited block's line breaks may be elements rather than characters.
  const text = element.isContentEditable ? element.innerText : element.textContent;
  const lines = (text ?? '').replace(/\r\n?/g, '\n').split('\n');
  while (lines.length > 0 && lines[0].trim() === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  const indents = lines.filter(line => line.trim() !== '').map(line => line.match(/^[ \t]*/)[0].length);
  const common = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map(line => line.slice(common)).join('\n');
}

