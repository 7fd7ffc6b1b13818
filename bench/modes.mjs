// The load modes: which tool, which connection behaviour, and which check a server must pass
// first. A mode a server cannot serve correctly is reported `unsupported`, not measured.
// Order matters: ab without keep-alive leaves one TIME_WAIT socket per request, so it runs
// last for each server and the settle wait before the next run absorbs them.

/**
 * @typedef {{ name: string, title: string, tool: 'wrk' | 'ab', keepalive: boolean, pipeline: number,
 *   check: 'keepalive' | 'pipeline' | 'http10' | 'http10-keepalive', measures: string }} Mode
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
