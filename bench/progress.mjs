// The live progress line on stderr: which server, which mode, how far.
// On a terminal it is redrawn in place; otherwise each new step is one line.

const tty = Boolean(process.stderr.isTTY);
let last = '';
let shown = false;

/**
 * @param {string} text
 * @param {string} [key] what step this is: off a terminal, a line is printed only when it changes
 */
export function progress(text, key = text) {
  if (tty) {
    const width = process.stderr.columns || 100;
    process.stderr.write(`\r\x1b[K${text.slice(0, width - 1)}`);
    shown = true;
  } else if (key !== last) {
    // Ticks (elapsed time, connection counts) are only drawn on a terminal.
    last = key;
    process.stderr.write(`${text}\n`);
  }
}

/** A message that stays (a warning, a result): clears the progress line first. @param {string} text */
export function note(text) {
  if (tty && shown) process.stderr.write('\r\x1b[K');
  shown = false;
  process.stderr.write(`${text}\n`);
}

export function done() {
  if (tty && shown) process.stderr.write('\r\x1b[K');
  shown = false;
}

/**
 * Redraw `prefix elapsed/total s` every 250 ms while `promise` runs.
 * @template T
 * @param {string} prefix
 * @param {number} totalS
 * @param {Promise<T>} promise
 * @returns {Promise<T>}
 */
export async function ticking(prefix, totalS, promise) {
  const start = Date.now();
  const draw = () => progress(`${prefix} ${((Date.now() - start) / 1000).toFixed(1)}${totalS ? `/${totalS}` : ''}s`, prefix);
  draw();
  const timer = tty ? setInterval(draw, 250) : null;
  try {
    return await promise;
  } finally {
    if (timer) clearInterval(timer);
  }
}
