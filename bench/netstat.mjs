// "Wait until the machine's open connections settle": the Fapws4 protocol checks netstat
// before each run so TIME_WAIT sockets left by the previous run do not weigh on the next.
// We read /proc/net/tcp{,6} directly (what netstat reads) and count every non-LISTEN socket.
//
// The Fapws4 matrix spreads its runs over local addresses 127.0.0.2… (ab -B, see fapws.mjs): a
// run's own 4-tuples are then those of its address, and the wait counts only the sockets on it
// (`address`), so one address drains while the next is used. `budget` also waits while the
// machine's TIME_WAIT sockets plus the next run's would pass the kernel's limit
// (net.ipv4.tcp_max_tw_buckets), past which Linux stops keeping TIME_WAIT and closes change cost.
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';

const LISTEN = '0A';
const TIME_WAIT = '06';

/**
 * An IPv4 address as /proc/net/tcp prints it: the 32-bit value in host byte order, in hex.
 * @param {string} ip
 * @param {'LE' | 'BE'} [order]
 */
export function procAddress(ip, order = endianness()) {
  const bytes = ip.split('.').map((n) => Number(n).toString(16).padStart(2, '0').toUpperCase());
  return (order === 'LE' ? bytes.reverse() : bytes).join('');
}

/**
 * Count sockets in the text of /proc/net/tcp or tcp6: `open` the non-listening ones, `timeWait`
 * those in TIME_WAIT, `address` the non-listening ones whose local or remote address is `address`
 * (procAddress form; in tcp6 as an IPv4-mapped address), 0 without one.
 * @param {string} text
 * @param {string} [address]
 */
export function countSockets(text, address) {
  const mapped = address && `0000000000000000FFFF0000${address}`;
  let open = 0;
  let timeWait = 0;
  let onAddress = 0;
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length <= 3 || f[3] === LISTEN) continue;
    open++;
    if (f[3] === TIME_WAIT) timeWait++;
    if (address) {
      const local = f[1].slice(0, f[1].indexOf(':'));
      const remote = f[2].slice(0, f[2].indexOf(':'));
      if (local === address || remote === address || local === mapped || remote === mapped) onAddress++;
    }
  }
  return { open, timeWait, address: onAddress };
}

/**
 * Count non-listening sockets in the text of /proc/net/tcp or tcp6.
 * @param {string} text
 */
export function countConnections(text) {
  return countSockets(text).open;
}

/** @param {string} [address] an IPv4 address, e.g. 127.0.0.2 */
export function socketCounts(address) {
  const hex = address && procAddress(address);
  const n = { open: 0, timeWait: 0, address: 0 };
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      const c = countSockets(readFileSync(file, 'utf8'), hex);
      n.open += c.open;
      n.timeWait += c.timeWait;
      n.address += c.address;
    } catch {
      // No IPv6.
    }
  }
  return n;
}

export function openConnections() {
  return socketCounts().open;
}

/** net.ipv4.tcp_max_tw_buckets, or null where it cannot be read. */
export function maxTimeWait() {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/tcp_max_tw_buckets', 'utf8').trim()) || null;
  } catch {
    return null;
  }
}

/**
 * Wait until fewer than `threshold` connections are open (only those on `address` when given),
 * and, with `budget`, until the machine's TIME_WAIT sockets plus `budget.requests` fit under
 * `budget.max`; or until `maxWaitMs` has passed.
 * @param {{ threshold: number, maxWaitMs: number, address?: string,
 *   budget?: { requests: number, max: number | null }, onWait?: (n: number, waitedMs: number, why: string) => void }} o
 * @returns {Promise<{ connections: number, waitedMs: number, settled: boolean, open: number, timeWait: number }>}
 */
export async function settle({ threshold, maxWaitMs, address, budget, onWait }) {
  const start = Date.now();
  for (;;) {
    const c = socketCounts(address);
    const connections = address ? c.address : c.open;
    const waitedMs = Date.now() - start;
    const over = budget?.max ? c.timeWait + budget.requests > budget.max : false;
    const result = { connections, open: c.open, timeWait: c.timeWait, waitedMs };
    if (connections < threshold && !over) return { ...result, settled: true };
    if (waitedMs >= maxWaitMs) return { ...result, settled: false };
    const why = connections >= threshold ? `open connections${address ? ` on ${address}` : ''}` : `TIME_WAIT sockets + ${budget?.requests} over the kernel's ${budget?.max}`;
    onWait?.(connections >= threshold ? connections : c.timeWait, waitedMs, why);
    await new Promise((r) => setTimeout(r, 250));
  }
}
