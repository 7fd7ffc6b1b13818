// The load modes: which tool, which connection behaviour, and which check a server must pass
// first. A mode a server cannot serve correctly is reported `unsupported`, not measured.
// Order matters: ab without keep-alive leaves one TIME_WAIT socket per request, so it runs
// last for each server (hey, keep-alive, before it) and the settle wait before the next run absorbs them.

/**
 * `requests`, `connections`: a mode with its own protocol (hey's seed 001 `-n 2000 -c 50`) rather
 * than the harness's timed runs; an explicit --connections or --duration still wins (modeLoad).
 * `optional`: a missing tool makes the mode unsupported instead of stopping the run.
 * @typedef {{ name: string, title: string, tool: 'wrk' | 'ab' | 'hey', keepalive: boolean, pipeline: number,
 *   check: 'keepalive' | 'pipeline' | 'http10' | 'http10-keepalive', measures: string,
 *   requests?: number, connections?: number, optional?: boolean }} Mode
 */

/** @type {Mode[]} */
export const MODES = [
  {
    name: 'wrk',
    title: 'wrk keep-alive',
    tool: 'wrk',
    keepalive: true,
    pipeline: 1,
    check: 'keepalive',
    measures: 'HTTP/1.1, persistent connections, one request in flight per connection',
  },
  {
    name: 'wrk-pipeline',
    title: 'wrk pipelined x16',
    tool: 'wrk',
    keepalive: true,
    pipeline: 16,
    check: 'pipeline',
    measures: 'HTTP/1.1, 16 requests written at once per connection (parser and write batching)',
  },
  {
    name: 'hey',
    title: 'hey -n 2000 -c 50',
    tool: 'hey',
    keepalive: true,
    pipeline: 1,
    check: 'keepalive',
    measures: "HTTP/1.1 keep-alive from Go's client, a fixed 2000 requests (the seed 001 protocol)",
    requests: 2000,
    connections: 50,
    optional: true,
  },
  {
    name: 'ab-k',
    title: 'ab -k (HTTP/1.0 keep-alive)',
    tool: 'ab',
    keepalive: true,
    pipeline: 1,
    check: 'http10-keepalive',
    measures: 'HTTP/1.0 with Connection: Keep-Alive',
  },
  {
    name: 'ab',
    title: 'ab (HTTP/1.0, new connection per request)',
    tool: 'ab',
    keepalive: false,
    pipeline: 1,
    check: 'http10',
    measures: 'HTTP/1.0, one TCP connection per request: accept/close cost (the Fapws4 protocol)',
  },
];

/**
 * What one run of a mode is: its own protocol's requests and connections when it has one (hey),
 * unless the command line named --connections or --duration; else the harness's timed run.
 * @param {Mode} mode
 * @param {{ connections: number, duration: number, explicitConnections?: boolean, explicitDuration?: boolean }} o
 * @returns {{ concurrency: number, requests?: number, seconds?: number }}
 */
export function modeLoad(mode, o) {
  const concurrency = mode.connections && !o.explicitConnections ? mode.connections : o.connections;
  if (mode.requests && !o.explicitDuration) return { concurrency, requests: mode.requests };
  return { concurrency, seconds: o.duration };
}

/** Accepted spellings on the command line. */
export const MODE_ALIASES = /** @type {Record<string, string>} */ ({
  keepalive: 'wrk',
  'keep-alive': 'wrk',
  pipeline: 'wrk-pipeline',
  pipelined: 'wrk-pipeline',
  'ab-keepalive': 'ab-k',
  abk: 'ab-k',
});

/** @param {string} name */
export function findMode(name) {
  const mode = MODES.find((m) => m.name === (MODE_ALIASES[name] ?? name));
  if (!mode) throw new Error(`unknown mode "${name}"; modes: ${MODES.map((m) => m.name).join(', ')}`);
  return mode;
}
