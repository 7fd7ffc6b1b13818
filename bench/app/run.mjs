// `node bench/run.mjs --suite app`: seed 003's realistic app. Every server runs the same handler
// work (../servers/app-work.mjs: a little CPU, a 100 ms wait, a 1 KiB temp file) on GET /app and
// is loaded with wrk at each connection count; the report is wall-clock req/s beside the
// c ÷ 100 ms ceiling, p50/p99/p99.9 and errors. bench/results/app-latest.json holds the rows.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBinaries } from '../deps.mjs';
import { note, done } from '../progress.mjs';
import { resultsDocument, writeResults, stamp } from '../results.mjs';
import { runAppServer, TIMEOUT_S } from './suite.mjs';
import { appTable } from './summary.mjs';
import { WAIT_MS, HASH_BYTES, FILE_BYTES, APP_BODY } from '../servers/app-work.mjs';

/**
 * @param {import('../cli.mjs').Options} opts
 * @param {{ outDir: string, version: (bin: string, flag: string) => string }} o
 */
export async function runApp(opts, { outDir, version }) {
  const tools = ['wrk', ...(opts.serverCpus ? ['taskset'] : [])];
  const missing = ensureBinaries(tools, { install: opts.install, log: note });
  if (missing.length) {
    const list = missing.map((m) => `${m.bin} (Debian package ${m.pkg})`).join(', ');
    console.error(`bench: missing ${list}: apt-get install -y ${missing.map((m) => m.pkg).join(' ')}`);
    process.exit(1);
  }
  /** @type {{ server: string, reason: string }[]} */
  const skipped = [];
  const servers = opts.servers.filter((s) => {
    const why = s.prepare?.({ install: opts.install, log: note }) ?? s.requires();
    if (why) skipped.push({ server: s.name, reason: why });
    return !why;
  });
  for (const s of skipped) note(`bench: skipping ${s.server}: ${s.reason}`);
  if (opts.explicitServers && skipped.length) {
    console.error('bench: a server you asked for cannot run (see above)');
    process.exit(1);
  }
  if (!opts.serverCpus) note('bench: one core only: servers and load generator share it (no pinning)');

  const date = new Date();
  const rawDir = join(outDir, 'raw', `app-${stamp(date)}`);
  mkdirSync(rawDir, { recursive: true });
  const levels = opts.connectionLevels ?? [opts.connections];
  const ctx = { opts, levels, rawDir, step: 0, total: servers.length * levels.length };
  /** @type {import('../results.mjs').Run[]} */
  const runs = [];
  for (const def of servers) {
    const stepAfter = ctx.step + levels.length;
    try {
      await runAppServer(def, ctx, runs);
    } catch (e) {
      note(`bench: ${def.name}: ${/** @type {Error} */ (e).message}`);
      skipped.push({ server: def.name, reason: /** @type {Error} */ (e).message });
    }
    ctx.step = stepAfter;
  }
  done();

  const doc = resultsDocument({
    date,
    runs,
    extra: {
      suite: 'app',
      app: { path: '/app', wait_ms: WAIT_MS, hash_bytes: HASH_BYTES, file_bytes: FILE_BYTES, body: APP_BODY },
      options: {
        quick: opts.quick,
        connections: levels,
        duration_s: opts.duration,
        warmup_s: opts.warmup,
        wrk_timeout_s: TIMEOUT_S,
        server_cpus: opts.serverCpus ?? null,
        load_cpus: opts.loadCpus ?? null,
        settle_threshold: opts.settleThreshold,
        settle_max_s: opts.settleMaxMs / 1000,
      },
      tools: { wrk: version('wrk', '-v') },
      skipped,
    },
  });
  const files = writeResults(outDir, doc, 'app-');
  console.log(`Realistic app (seed 003): GET /app = SHA-256 of ${HASH_BYTES / 1024} KiB, a ${WAIT_MS} ms wait, a ${FILE_BYTES} B temp file written and removed; ${opts.duration} s runs\n`);
  console.log(appTable(runs));
  note(`\nbench: wrote ${files.latest}, ${files.copy}; raw tool output in ${rawDir}`);
}
