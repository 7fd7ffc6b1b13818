// The files suite's run loop: interleaved rounds. Each round starts every server in turn (the
// starting server moves by one each round, so none always runs first or last), checks and
// measures each of its file scenarios, and stops it. Every round's rows are kept; the report
// takes medians (./summary.mjs), which is how a noisy machine is read.
import { writeFileSync } from 'node:fs';
import { join, basename } from 'node:path';
import { findMode } from '../modes.mjs';
import { startServer } from '../server-process.mjs';
import { settle } from '../netstat.mjs';
import { warmUp, measureLoad } from '../measure.mjs';
import { progress, note, ticking } from '../progress.mjs';
import { treeMemoryMb } from '../cpu.mjs';
import { checkFile } from './check.mjs';
import { fileLoad } from './scenarios.mjs';

/**
 * @typedef {import('../results.mjs').Run} Run
 * @typedef {import('../servers/index.mjs').ServerDef} ServerDef
 * @typedef {import('./scenarios.mjs').FileScenario} FileScenario
 * @typedef {import('./fixture.mjs').Fixture} Fixture
 */

/**
 * The order of servers in round `round` (1-based): the list rotated by round - 1.
 * @template T
 * @param {T[]} list
 * @param {number} round
 */
export function roundOrder(list, round) {
  if (!list.length) return [];
  const k = (round - 1) % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

/** The scenarios `def` serves, in suite order. @param {ServerDef} def @param {FileScenario[]} scenarios */
export const scenariosOf = (def, scenarios) => scenarios.filter((s) => def.files?.includes(s.name));

/**
 * @param {{ opts: import('../cli.mjs').Options, servers: ServerDef[], scenarios: FileScenario[],
 *   fixture: Fixture, rawDir: string }} o
 * @returns {Promise<{ runs: Run[], skipped: { server: string, round: number, reason: string }[] }>}
 */
export async function runFilesSuite({ opts, servers, scenarios, fixture, rawDir }) {
  /** @type {Run[]} */
  const runs = [];
  /** @type {{ server: string, round: number, reason: string }[]} */
  const skipped = [];
  const total = opts.rounds * servers.reduce((n, d) => n + scenariosOf(d, scenarios).length, 0);
  const ctx = { step: 0, total };
  for (let round = 1; round <= opts.rounds; round++) {
    for (const def of roundOrder(servers, round)) {
      const mine = scenariosOf(def, scenarios);
      const stepAfter = ctx.step + mine.length;
      try {
        await runFileServer(def, mine, { opts, fixture, rawDir, round, ctx }, runs);
      } catch (e) {
        const reason = /** @type {Error} */ (e).message;
        note(`bench: ${def.name} (round ${round}): ${reason}`);
        skipped.push({ server: def.name, round, reason });
      }
      ctx.step = stepAfter;
    }
  }
  return { runs, skipped };
}

/**
 * One server in one round: start it on the fixture, each scenario checked, warmed up, measured.
 * @param {ServerDef} def
 * @param {FileScenario[]} scenarios
 * @param {{ opts: import('../cli.mjs').Options, fixture: Fixture, rawDir: string, round: number, ctx: { step: number, total: number } }} c
 * @param {Run[]} runs
 */
async function runFileServer(def, scenarios, { opts, fixture, rawDir, round, ctx }, runs) {
  const mode = findMode('wrk');
  progress(`[${ctx.step}/${ctx.total}] round ${round} ${def.name}: starting (pinned to cpu ${opts.serverCpus ?? 'any'})`);
  const srv = await startServer(def, { cpus: opts.serverCpus, workers: opts.serverCores, root: fixture.dir });
  try {
    for (const sc of scenarios) {
      ctx.step++;
      const file = /** @type {{ path: string, size: number, sha256: string }} */ (fixture.files.find((f) => f.name === sc.file));
      const path = `/${sc.file}`;
      const load = fileLoad(sc, opts);
      const label = `[${ctx.step}/${ctx.total}] round ${round} ${def.name} · ${sc.label} c=${load.connections}`;
      const base = {
        server: def.name,
        scenario: sc.name,
        path,
        mode: mode.name,
        tool: mode.tool,
        connections: load.connections,
        pipeline: 1,
        keepalive: true,
        round,
        file_bytes: file.size,
      };
      const empty = { requests_per_s: null, per_cpu_s: null, p50_ms: null, p99_ms: null, errors: null, rss_mb: null };

      const check = await checkFile({ port: srv.port, path, size: file.size, sha256: file.sha256 });
      if ('reason' in check) {
        note(`bench: ${label}: unsupported: ${check.reason}`);
        runs.push({ ...base, ...empty, unsupported: check.reason });
        continue;
      }
      // Memory before this file's warm-up: what "flat" is measured against.
      const idle = load.sampleRssMs ? { rss_idle_mb: Math.round(treeMemoryMb(srv.pid).rss * 10) / 10 } : {};
      const loadBase = { url: `http://127.0.0.1:${srv.port}${path}`, loadCpus: opts.loadCpus, loadCores: opts.loadCores, mode, timeoutS: load.timeoutS };
      await ticking(`${label}: warm-up`, load.warmup, warmUp({ ...loadBase, connections: load.connections, seconds: load.warmup }));
      const s = await settle({
        threshold: opts.settleThreshold,
        maxWaitMs: opts.settleMaxMs,
        onWait: (n, ms) => progress(`${label}: waiting for ${n} open connections to settle ${(ms / 1000).toFixed(0)}s`, `${label} settle`),
      });
      const fileName = `files-r${round}-${def.name}-${sc.name}.txt`;
      /** @type {Run} */
      let row;
      try {
        const m = await ticking(label, load.seconds, measureLoad({ ...loadBase, connections: load.connections, seconds: load.seconds, sampleRssMs: load.sampleRssMs, serverPid: srv.pid }));
        const { raw, ...fields } = m;
        writeFileSync(join(rawDir, fileName), raw);
        row = { ...base, ...idle, ...fields, raw: join('raw', basename(rawDir), fileName), settle: { connections: s.connections, waited_s: s.waitedMs / 1000, settled: s.settled } };
      } catch (e) {
        const err = /** @type {Error & { raw?: string }} */ (e);
        if (err.raw) writeFileSync(join(rawDir, fileName), err.raw);
        row = { ...base, ...empty, error: err.message };
        note(`bench: ${label}: ${err.message}`);
      }
      if (!srv.isAlive()) {
        row = { ...row, ...empty, error: `server exited during the run: ${srv.output().trim().split('\n').slice(-2).join(' / ')}` };
        runs.push(row);
        throw new Error(row.error);
      }
      runs.push(row);
    }
  } finally {
    progress(`[${ctx.step}/${ctx.total}] round ${round} ${def.name}: stopping`);
    await srv.stop();
  }
}
