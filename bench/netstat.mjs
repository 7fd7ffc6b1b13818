// "Wait until the machine's open connections settle": the Fapws4 protocol checks netstat
// before each run so TIME_WAIT sockets left by the previous run do not weigh on the next.
// We read /proc/net/tcp{,6} directly (what netstat reads) and count every non-LISTEN socket.
import { readFileSync } from 'node:fs';

const LISTEN = '0A';

/**
 * Count non-listening sockets in the text of /proc/net/tcp or tcp6.
 * @param {string} text
 */
export function countConnections(text) {
  let n = 0;
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 3 && f[3] !== LISTEN) n++;
  }
  return n;
}

export function openConnections() {
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      n += countConnections(readFileSync(file, 'utf8'));
    } catch {
      // No IPv6.
    }
  }
  return n;
}

/**
 * Wait until fewer than `threshold` connections are open, or `maxWaitMs` has passed.
 * @param {{ threshold: number, maxWaitMs: number, onWait?: (n: number, waitedMs: number) => void }} o
 * @returns {Promise<{ connections: number, waitedMs: number, settled: boolean }>}
 */
export async function settle({ threshold, maxWaitMs, onWait }) {
  const start = Date.now();
  for (;;) {
    const connections = openConnections();
    const waitedMs = Date.now() - start;
    if (connections < threshold) return { connections, waitedMs, settled: true };
    if (waitedMs >= maxWaitMs) return { connections, waitedMs, settled: false };
    onWait?.(connections, waitedMs);
    await new Promise((r) => setTimeout(r, 250));
  }
}
