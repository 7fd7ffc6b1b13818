// wrk: HTTP/1.1 keep-alive load, optionally pipelined. Building the command and parsing its output.
import { fileURLToPath } from 'node:url';
import { durationMs } from './units.mjs';

export const PIPELINE_SCRIPT = fileURLToPath(new URL('../pipeline.lua', import.meta.url));
/** Prints p99.9 and the rest of wrk's histogram after the run (--latency stops at 99%). */
export const LATENCY_SCRIPT = fileURLToPath(new URL('../latency.lua', import.meta.url));

/**
 * `timeout`: seconds after which wrk counts a response as timed out (default 5; a 100 MiB
 * response to 100 connections takes longer than that). `tail`: also print p99.9 (bench/latency.lua;
 * not with pipelining, whose script is another).
 * @param {{ url: string, connections: number, threads: number, seconds: number, pipeline?: number, timeout?: number, tail?: boolean }} o
 * @returns {string[]} wrk's arguments
 */
export function wrkArgs({ url, connections, threads, seconds, pipeline = 1, timeout = 5, tail = false }) {
  const args = [`-t${Math.min(threads, connections)}`, `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', `${timeout}s`];
  if (pipeline > 1) args.push('-s', PIPELINE_SCRIPT, url, '--', String(pipeline));
  else if (tail) args.push('-s', LATENCY_SCRIPT, url);
  else args.push(url);
  return args;
}

/**
 * wrk prints byte counts in binary units with two decimals: 512.00B, 1.23KB, 11.86GB.
 * @param {string} text
 * @returns {number} bytes
 */
export function binaryBytes(text) {
  const m = /^([\d.]+)([KMGTP]?)B$/.exec(text.trim());
  if (!m) return NaN;
  return Number(m[1]) * 1024 ** ' KMGTP'.indexOf(m[2] || ' ');
}

/**
 * `bytes`: everything wrk read, headers and bodies, partial responses at the end of the run
 * included (so it is the transfer for large files even when few responses completed).
 * @typedef {{ requests: number, seconds: number, requests_per_s: number, p50_ms: number | null,
 *   p99_ms: number | null, p999_ms: number | null, non2xx: number, socket_errors: number, bytes: number,
 *   socket: { connect: number, read: number, write: number, timeout: number } }} WrkResult
 */

/**
 * Parse wrk's text output (with --latency).
 * @param {string} out
 * @returns {WrkResult}
 */
export function parseWrk(out) {
  const total = /(\d+) requests in ([\d.]+\w+), ([\d.]+[KMGTP]?B) read/.exec(out);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!total || !rps) throw new Error(`cannot parse wrk output:\n${out}`);
  const pct = (/** @type {string} */ p) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+\\w+)\\s*$`, 'm').exec(out);
    // wrk prints 0.00us for percentiles it has no samples for (with pipelining it records one
    // latency per batch): that is "unknown", not zero.
    const ms = m ? durationMs(m[1]) : NaN;
    return ms > 0 ? ms : null;
  };
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socket = se
    ? { connect: Number(se[1]), read: Number(se[2]), write: Number(se[3]), timeout: Number(se[4]) }
    : { connect: 0, read: 0, write: 0, timeout: 0 };
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const tail = latencyLines(out);
  return {
    requests: Number(total[1]),
    seconds: durationMs(total[2]) / 1000,
    requests_per_s: Number(rps[1]),
    bytes: binaryBytes(total[3]),
    p50_ms: pct('50'),
    p99_ms: pct('99'),
    p999_ms: tail['p99.9'] ?? null,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socket_errors: socket.connect + socket.read + socket.write + socket.timeout,
    socket,
  };
}

/**
 * bench/latency.lua's lines, "latency_us p99.9 136528", as milliseconds by name ("p99.9", "max").
 * wrk keeps every latency in a histogram of 1 µs resolution, so p99.9 is exact to the µs; it is
 * the latency of completed requests only (a timed-out one is an error, not a latency).
 * A percentile with no samples (0) is unknown, as in parseWrk.
 * @param {string} out
 * @returns {Record<string, number>}
 */
export function latencyLines(out) {
  /** @type {Record<string, number>} */
  const r = {};
  for (const m of out.matchAll(/^latency_us (p[\d.]+|max) (\d+)$/gm)) {
    if (Number(m[2]) > 0) r[m[1]] = Number(m[2]) / 1000;
  }
  return r;
}
