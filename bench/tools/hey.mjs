// hey (Debian package hey): the seed 001 protocol, `hey -n 2000 -c 50`. Go's HTTP/1.1 client,
// keep-alive, one request in flight per worker. Building the command and parsing its output.

/**
 * With `requests` hey runs exactly that many (the seed's -n 2000); with `seconds` it runs for
 * that long (-z). `timeout`: seconds before hey gives a request up (its default is 20).
 * @param {{ url: string, concurrency: number, requests?: number, seconds?: number, timeout?: number }} o
 * @returns {string[]} hey's arguments
 */
export function heyArgs({ url, concurrency, requests, seconds, timeout = 10 }) {
  const run = seconds ? ['-z', `${seconds}s`] : ['-n', String(requests)];
  return [...run, '-c', String(concurrency), '-t', String(timeout), url];
}

/**
 * @typedef {{ requests: number, seconds: number, requests_per_s: number, p50_ms: number | null,
 *   p99_ms: number | null, non2xx: number, errors: number, statuses: Record<string, number>,
 *   error_detail: Record<string, number> }} HeyResult
 */

/**
 * Parse hey's summary. hey's own "Requests/sec" counts failed requests too (a run against a
 * closed port reports thousands per second), so requests and req/s here are responses only:
 * the sum of the status code distribution over the run's total time. Latencies are printed in
 * seconds with four decimals (0.1 ms resolution); hey has no percentile above 99%.
 * @param {string} out
 * @returns {HeyResult}
 */
export function parseHey(out) {
  const total = /^\s+Total:\s+([\d.]+) secs/m.exec(out);
  if (!total || !/^Status code distribution:/m.test(out)) throw new Error(`cannot parse hey output:\n${out}`);
  const seconds = Number(total[1]);
  /** The "  [x]\ty" lines under a title, as [x, y] pairs. @param {string} title */
  const block = (title) => {
    const at = out.indexOf(`\n${title}:\n`);
    if (at < 0) return [];
    /** @type {[string, string][]} */
    const rows = [];
    for (const line of out.slice(at + title.length + 3).split('\n')) {
      const m = /^\s+\[([^\]]+)\]\s+(.+)$/.exec(line);
      if (!m) break;
      rows.push([m[1], m[2].trim()]);
    }
    return rows;
  };
  // "[200]\t2000 responses"; errors put the count first: "[21]\tGet "…": EOF".
  /** @type {Record<string, number>} */
  const statuses = {};
  for (const [code, text] of block('Status code distribution')) statuses[code] = parseInt(text, 10);
  /** @type {Record<string, number>} */
  const errorDetail = {};
  for (const [count, text] of block('Error distribution')) errorDetail[text] = Number(count);
  const requests = Object.values(statuses).reduce((a, b) => a + b, 0);
  const non2xx = Object.entries(statuses)
    .filter(([code]) => !/^2/.test(code))
    .reduce((a, [, n]) => a + n, 0);
  /** @param {string} p */
  const pct = (p) => {
    const m = new RegExp(`^\\s+${p}% in ([\\d.]+) secs`, 'm').exec(out);
    return m ? Math.round(Number(m[1]) * 1e7) / 1e4 : null;
  };
  return {
    requests,
    seconds,
    requests_per_s: seconds > 0 ? requests / seconds : 0,
    p50_ms: pct('50'),
    p99_ms: pct('99'),
    non2xx,
    errors: Object.values(errorDetail).reduce((a, b) => a + b, 0),
    statuses,
    error_detail: errorDetail,
  };
}
