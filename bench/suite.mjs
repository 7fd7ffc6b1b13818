// The run loop for one server: start it pinned, and for each scenario and mode check it,
// warm it up, wait for connections to settle, measure, and record a row. Always stops it.
import { writeFileSync } from 'node:fs';
import { join, basename } from 'node:path';
import { findMode } from './modes.mjs';
import { startServer } from './server-process.mjs';
import { checkMode } from './http-check.mjs';
import { settle } from './netstat.mjs';
import { warmUp, measureLoad } from './measure.mjs';
import { progress, note, ticking } from './progress.mjs';
import { fapwsLine } from './report.mjs';

/**
 * @typedef {import('./results.mjs').Run} Run
 * @typedef {import('./modes.mjs').Mode} Mode
 * @typedef {import('./servers/index.mjs').ServerDef} ServerDef
 * @typedef {import('./servers/index.mjs').Scenario} Scenario
 * @typedef {{ requests?: number, concurrency: number, repetition?: number }} Load one ab/wrk run
 * @typedef {{ opts: import('./cli.mjs').Options, modes: Mode[], fapws: boolean, loads: Load[],
 *   rawDir: string, step: number, total: number }} Context `loads`: per mode (the Fapws4 matrix or one timed run)
 */

/**
 * The cores a server runs on: the server cores, or for a server with a fixed number of workers
 * (uvhttp-static-w2, nginx-w2, …) every core the harness has, the load generator's included,
 * so that two workers are not pinned to one core. On a 2-core machine wrk then competes with them.
 * @param {ServerDef} def
 * @param {import('./cli.mjs').Options} opts
 */
export function serverCpusOf(def, opts) {
  if (def.workers === undefined || !opts.serverCpus) return opts.serverCpus;
  return opts.loadCpus ? `${opts.serverCpus},${opts.loadCpus}` : opts.serverCpus;
}

/**
 * Measure every scenario and mode of one server. Rows are pushed to `runs` as they come.
 * @param {ServerDef} def
 * @param {Scenario[]} scenarios
 * @param {Context} ctx
 * @param {Run[]} runs
 */
export async function runServer(def, scenarios, ctx, runs) {
  const { opts } = ctx;
  const cpus = serverCpusOf(def, opts);
  progress(`[${ctx.step}/${ctx.total}] ${def.name}: starting (pinned to cpu ${cpus ?? 'any'})`);
  const srv = await startServer(def, { cpus, workers: def.workers ?? opts.serverCores });
  try {
    for (const scenario of scenarios) {
      if (ctx.fapws) console.log(`# ${def.name} (${scenario.name})`);
      for (const mode of ctx.modes) await runMode(def, srv, scenario, mode, ctx, runs);
    }
  } finally {
    progress(`[${ctx.step}/${ctx.total}] ${def.name}: stopping`);
    await srv.stop();
  }
}

/**
 * @param {ServerDef} def
 * @param {Awaited<ReturnType<typeof startServer>>} srv
 * @param {Scenario} scenario
 * @param {Mode} mode
 * @param {Context} ctx
 * @param {Run[]} runs
 */
async function runMode(def, srv, scenario, mode, ctx, runs) {
  const { opts, fapws } = ctx;
  const label = `${def.name} (${scenario.name}) · ${mode.title}`;
  /** @param {Load} l */
  const base = (l) => ({
    server: def.name,
    scenario: scenario.name,
    path: scenario.path,
    mode: mode.name,
    tool: mode.tool,
    connections: l.concurrency,
    pipeline: mode.pipeline,
    keepalive: mode.keepalive,
    ...(fapws ? { requests: l.requests, repetition: l.repetition } : {}),
  });
  const empty = { requests_per_s: null, per_cpu_s: null, p50_ms: null, p99_ms: null, errors: null, rss_mb: null };
  /** @param {Run} row */
  const record = (row) => {
    runs.push(row);
    if (fapws) console.log(fapwsLine(/** @type {any} */ (row)));
  };

  const check = await checkMode({ port: srv.port, path: scenario.path, check: mode.check, depth: mode.pipeline });
  if ('reason' in check) {
    note(`bench: ${label}: unsupported: ${check.reason}`);
    for (const l of ctx.loads) {
      ctx.step++;
      record({ ...base(l), ...empty, unsupported: check.reason });
    }
    return;
  }

  const url = `http://127.0.0.1:${srv.port}${scenario.path}`;
  const loadBase = { url, loadCpus: opts.loadCpus, loadCores: opts.loadCores };
  // Warm up with wrk modes themselves; the ab modes with wrk keep-alive, which warms the same
  // code without leaving thousands of TIME_WAIT sockets behind.
  const warm = mode.tool === 'wrk' ? mode : findMode('wrk');
  await ticking(`[${ctx.step}/${ctx.total}] ${label}: warm-up`, opts.warmup, warmUp({ ...loadBase, mode: warm, connections: opts.connections, seconds: opts.warmup }));

  for (const l of ctx.loads) {
    ctx.step++;
    const what = `[${ctx.step}/${ctx.total}] ${label} ${fapws ? `-n ${l.requests} -c ${l.concurrency} #${l.repetition}` : `c=${l.concurrency}`}`;
    const s = await settle({
      threshold: opts.settleThreshold,
      maxWaitMs: opts.settleMaxMs,
      onWait: (n, ms) => progress(`${what}: waiting for ${n} open connections to settle (< ${opts.settleThreshold}) ${(ms / 1000).toFixed(0)}s`, `${what} settle`),
    });
    const fileName = `${def.name}-${scenario.name}-${mode.name}${fapws ? `-n${l.requests}-c${l.concurrency}-r${l.repetition}` : ''}.txt`;
    /** @type {Run} */
    let row;
    try {
      const load = { ...loadBase, mode, connections: l.concurrency, ...(fapws ? { requests: l.requests } : { seconds: opts.duration }) };
      const m = await ticking(what, fapws ? 0 : opts.duration, measureLoad({ ...load, serverPid: srv.pid }));
      const { raw, ...fields } = m;
      writeFileSync(join(ctx.rawDir, fileName), raw);
      row = {
        ...base(l),
        ...fields,
        raw: join('raw', basename(ctx.rawDir), fileName),
        settle: { connections: s.connections, waited_s: s.waitedMs / 1000, settled: s.settled },
      };
    } catch (e) {
      const err = /** @type {Error & { raw?: string }} */ (e);
      if (err.raw) writeFileSync(join(ctx.rawDir, fileName), err.raw);
      row = { ...base(l), ...empty, error: err.message };
      note(`bench: ${what}: ${err.message}`);
    }
    if (!srv.isAlive()) {
      row = { ...row, ...empty, error: `server exited during the run: ${srv.output().trim().split('\n').slice(-2).join(' / ')}` };
      record(row);
      throw new Error(row.error);
    }
    record(row);
  }
}
