// ApacheBench: HTTP/1.0, one request per connection (the Fapws4 protocol) or -k keep-alive.

/**
 * With `requests` ab runs exactly that many (the seed protocol); with `seconds` it runs for that
 * long (-t, with a large -n so the time limit is what stops it).
 * -r: count receive errors instead of aborting the run on the first one. `source`: the local
 * address to connect from (-B), so that runs can use different 4-tuples (see ../fapws.mjs).
 * @param {{ url: string, concurrency: number, requests?: number, seconds?: number, keepalive?: boolean, source?: string }} o
 * @returns {string[]} ab's arguments
 */
export function abArgs({ url, concurrency, requests, seconds, keepalive = false, source }) {
  const args = ['-q', '-r', '-s', '10'];
  if (source) args.push('-B', source);
  if (keepalive) args.push('-k');
  if (seconds) args.push('-t', String(seconds), '-n', '10000000');
  else args.push('-n', String(requests));
  args.push('-c', String(concurrency), url);
  return args;
}

/**
 * @typedef {{ requests: number, seconds: number, requests_per_s: number, p50_ms: number | null,
 *   p99_ms: number | null, failed: number, non2xx: number, keepalive_requests: number | null,
 *   failed_detail: { connect: number, receive: number, length: number, exceptions: number } }} AbResult
 */

/**
 * Parse ab's text output. Percentiles are missing from some versions' -k output: then null.
 * @param {string} out
 * @returns {AbResult}
 */
export function parseAb(out) {
  const num = (/** @type {RegExp} */ re) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : null;
  };
  const requests = num(/^Complete requests:\s+(\d+)/m);
  const rps = num(/^Requests per second:\s+([\d.]+)/m);
  const seconds = num(/^Time taken for tests:\s+([\d.]+) seconds/m);
  if (requests === null || rps === null || seconds === null) throw new Error(`cannot parse ab output:\n${out}`);
  const fd = /\(Connect: (\d+), Receive: (\d+), Length: (\d+), Exceptions: (\d+)\)/.exec(out);
  return {
    requests,
    seconds,
    requests_per_s: rps,
    p50_ms: num(/^\s+50%\s+(\d+)/m),
    p99_ms: num(/^\s+99%\s+(\d+)/m),
    failed: num(/^Failed requests:\s+(\d+)/m) ?? 0,
    non2xx: num(/^Non-2xx responses:\s+(\d+)/m) ?? 0,
    keepalive_requests: num(/^Keep-Alive requests:\s+(\d+)/m),
    failed_detail: fd
      ? { connect: Number(fd[1]), receive: Number(fd[2]), length: Number(fd[3]), exceptions: Number(fd[4]) }
      : { connect: 0, receive: 0, length: 0, exceptions: 0 },
  };
}
