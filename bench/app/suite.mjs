// The realistic-app suite's run loop for one server: start it pinned, check GET /app answers the
// app's body, then for each connection count warm up, settle, and measure with wrk (p99.9 from
// bench/latency.lua). Always stops the server.
import net from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, basename } from 'node:path';
import { findMode } from '../modes.mjs';
import { startServer } from '../server-process.mjs';
import { parseResponses } from '../http-check.mjs';
import { settle } from '../netstat.mjs';
import { warmUp, measureLoad } from '../measure.mjs';
import { progress, note, ticking } from '../progress.mjs';
import { APP_BODY } from '../servers/app-work.mjs';

/**
 * @typedef {import('../results.mjs').Run} Run
 * @typedef {import('../servers/index.mjs').ServerDef} ServerDef
 */

/** wrk's per-response timeout: a request slower than this is an error (timeout), not a latency. */
export const TIMEOUT_S = 10;

/**
 * One keep-alive GET on a raw socket: why the answer is not the app's, or null.
 * @param {{ port: number, path: string, timeoutMs?: number }} o
 * @returns {Promise<string | null>}
 */
export function checkApp({ port, path, timeoutMs = 5000 }) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    const finish = (/** @type {string | null} */ why) => {
      clearTimeout(timer);
      s.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => finish(`no answer to GET ${path} within ${timeoutMs / 1000}s`), timeoutMs);
    s.on('connect', () => s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
    s.on('error', (e) => finish(`GET ${path}: ${e.message}`));
    s.on('close', () => finish(`the server closed the connection before answering GET ${path}`));
    s.on('data', (d) => {
      buf += d.toString('latin1');
      let r;
      try {
        r = parseResponses(buf).responses[0];
      } catch (e) {
        return finish(/** @type {Error} */ (e).message);
      }
      if (!r) return;
      if (r.status !== 200) return finish(`GET ${path}: status ${r.status} ${r.reason}`);
      if (r.body !== APP_BODY) return finish(`GET ${path}: body ${JSON.stringify(r.body.slice(0, 40))}, expected ${JSON.stringify(APP_BODY)}`);
      finish(null);
    });
  });
}

/** The soft and hard open-file limits this process (and so its children) has. */
export function openFileLimit(text = readFileSync('/proc/self/limits', 'utf8')) {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
  const n = (/** @type {string} */ v) => (v === 'unlimited' ? Infinity : Number(v));
  return m ? { soft: n(m[1]), hard: n(m[2]) } : { soft: Infinity, hard: Infinity };
}

/**
 * The open-file limit wrk needs for `connections` (one descriptor each, plus its own), or
 * undefined when the inherited soft limit is enough. The servers need no help: Node and Bun
 * raise their soft limit to the hard one at start.
 * @param {number} connections
 * @param {{ soft: number, hard: number }} limit
 */
export function nofileFor(connections, limit) {
  const need = connections + 256;
  return limit.soft >= need ? undefined : need;
}

/**
 * @param {ServerDef} def
 * @param {{ opts: import('../cli.mjs').Options, levels: number[], rawDir: string, step: number, total: number }} ctx
 * @param {Run[]} runs
 */
export async function runAppServer(def, ctx, runs) {
  const { opts } = ctx;
  const mode = findMode('wrk');
  const { path } = def.scenarios[0];
  progress(`[${ctx.step}/${ctx.total}] ${def.name}: starting (pinned to cpu ${opts.serverCpus ?? 'any'})`);
  const srv = await startServer(def, { cpus: opts.serverCpus, workers: opts.serverCores });
  const limit = openFileLimit();
  try {
    /** @param {number} c */
    const base = (c) => ({ server: def.name, scenario: 'app', path, mode: mode.name, tool: mode.tool, connections: c, pipeline: 1, keepalive: true });
    const empty = { requests_per_s: null, per_cpu_s: null, p50_ms: null, p99_ms: null, p999_ms: null, errors: null, rss_mb: null };
    const why = await checkApp({ port: srv.port, path });
    if (why) {
      note(`bench: ${def.name}: unsupported: ${why}`);
      for (const c of ctx.levels) {
        ctx.step++;
        runs.push({ ...base(c), ...empty, unsupported: why });
      }
      return;
    }
    for (const c of ctx.levels) {
      ctx.step++;
      const what = `[${ctx.step}/${ctx.total}] ${def.name} · app c=${c}`;
      const load = {
        url: `http://127.0.0.1:${srv.port}${path}`,
        mode,
        connections: c,
        loadCpus: opts.loadCpus,
        loadCores: opts.loadCores,
        timeoutS: TIMEOUT_S,
        nofile: nofileFor(c, limit),
      };
      await ticking(`${what}: warm-up`, opts.warmup, warmUp({ ...load, seconds: opts.warmup }));
      const s = await settle({
        threshold: opts.settleThreshold,
        maxWaitMs: opts.settleMaxMs,
        onWait: (n, ms) => progress(`${what}: waiting for ${n} open connections to settle ${(ms / 1000).toFixed(0)}s`, `${what} settle`),
      });
      const fileName = `app-${def.name}-c${c}.txt`;
      /** @type {Run} */
      let row;
      try {
        const m = await ticking(what, opts.duration, measureLoad({ ...load, seconds: opts.duration, tail: true, serverPid: srv.pid }));
        const { raw, ...fields } = m;
        writeFileSync(join(ctx.rawDir, fileName), raw);
        row = {
          ...base(c),
          ...fields,
          raw: join('raw', basename(ctx.rawDir), fileName),
          settle: { connections: s.connections, waited_s: s.waitedMs / 1000, settled: s.settled },
        };
      } catch (e) {
        const err = /** @type {Error & { raw?: string }} */ (e);
        if (err.raw) writeFileSync(join(ctx.rawDir, fileName), err.raw);
        row = { ...base(c), ...empty, error: err.message };
        note(`bench: ${what}: ${err.message}`);
      }
      if (!srv.isAlive()) {
        row = { ...row, ...empty, error: `server exited during the run: ${srv.output().trim().split('\n').slice(-2).join(' / ')}` };
        runs.push(row);
        throw new Error(row.error);
      }
      runs.push(row);
    }
  } finally {
    progress(`[${ctx.step}/${ctx.total}] ${def.name}: stopping`);
    await srv.stop();
  }
}
