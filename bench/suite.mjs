// The run loop for one server: start it pinned, and for each scenario and mode check it,
// warm it up, wait for connections to settle, measure, and record a row. Always stops it.
import { writeFileSync } from 'node:fs';
import { join, basename } from 'node:path';
import { findMode, modeLoad } from './modes.mjs';
import { startServer } from './server-process.mjs';
import { checkMode } from './http-check.mjs';
import { settle, maxTimeWait } from './netstat.mjs';
import { warmUp, measureLoad } from './measure.mjs';
import { progress, note, ticking } from './progress.mjs';
import { fapwsLine } from './report.mjs';
import { sourceAddress } from './fapws.mjs';

/**
 * @typedef {import('./results.mjs').Run} Run
 * @typedef {import('./modes.mjs').Mode} Mode
 * @typedef {import('./servers/index.mjs').ServerDef} ServerDef
 * @typedef {import('./servers/index.mjs').Scenario} Scenario
 * @typedef {{ requests?: number, seconds?: number, concurrency: number, repetition?: number }} Load one ab/wrk/hey run
 * @typedef {{ opts: import('./cli.mjs').Options, modes: Mode[], fapws: boolean, loads: Load[],
 *   rawDir: string, step: number, total: number, missing?: Record<string, string>, abRuns?: number }} Context
 *   `loads`: the Fapws4 matrix (otherwise each mode's one run, modeLoad); `missing`: why an
 *   optional tool (hey) cannot run, by tool; `abRuns`: Fapws4 runs so far, for their source addresses
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

  /** @type {Load[]} */
  const loads = fapws ? ctx.loads : [modeLoad(mode, opts)];
  const missing = ctx.missing?.[mode.tool];
  if (missing) {
    note(`bench: ${label}: unsupported: ${missing}`);
    for (const l of loads) {
      ctx.step++;
      record({ ...base(l), ...empty, unsupported: missing });
    }
    return;
  }

  const check = await checkMode({ port: srv.port, path: scenario.path, check: mode.check, depth: mode.pipeline });
  if ('reason' in check) {
    note(`bench: ${label}: unsupported: ${check.reason}`);
    for (const l of loads) {
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

  for (const l of loads) {
    ctx.step++;
    // Fapws4: each run from its own 127.0.0.x, the wait counting that address (see fapws.mjs).
    const source = fapws ? sourceAddress(ctx.abRuns ?? 0, opts.sources) : undefined;
    if (fapws) ctx.abRuns = (ctx.abRuns ?? 0) + 1;
    const what = `[${ctx.step}/${ctx.total}] ${label} ${fapws ? `-n ${l.requests} -c ${l.concurrency} #${l.repetition}${source ? ` from ${source}` : ''}` : `c=${l.concurrency}`}`;
    const s = await settle({
      threshold: opts.settleThreshold,
      maxWaitMs: opts.settleMaxMs,
      ...(source ? { address: source, budget: { requests: l.requests ?? 0, max: maxTimeWait() } } : {}),
      onWait: (n, ms, why) => progress(`${what}: waiting for ${n} ${why} to settle (< ${opts.settleThreshold}) ${(ms / 1000).toFixed(0)}s`, `${what} settle`),
    });
    const fileName = `${def.name}-${scenario.name}-${mode.name}${fapws ? `-n${l.requests}-c${l.concurrency}-r${l.repetition}` : ''}.txt`;
    /** @type {Run} */
    let row;
    try {
      const load = { ...loadBase, mode, connections: l.concurrency, requests: l.requests, seconds: l.seconds, source };
      const m = await ticking(what, l.seconds ?? 0, measureLoad({ ...load, serverPid: srv.pid }));
      const { raw, ...fields } = m;
      writeFileSync(join(ctx.rawDir, fileName), raw);
      row = {
        ...base(l),
        ...fields,
        raw: join('raw', basename(ctx.rawDir), fileName),
        ...(source ? { source } : {}),
        settle: { connections: s.connections, open: s.open, time_wait: s.timeWait, waited_s: s.waitedMs / 1000, settled: s.settled },
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
