// `node bench/run.mjs --suite files`: the static-file suite. Tools and servers first (Bun is
// installed on demand), then the fixture in a temp dir, the interleaved rounds, and the report:
// a markdown table of medians with ratios and issue 9's targets on stdout, the JSON (every
// round's rows, the medians, the targets) in bench/results/files-latest.json.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBinaries } from '../deps.mjs';
import { note, done } from '../progress.mjs';
import { resultsDocument, writeResults, stamp } from '../results.mjs';
import { writeFixture } from './fixture.mjs';
import { FILE_SCENARIOS } from './scenarios.mjs';
import { runFilesSuite, scenariosOf } from './suite.mjs';
import { summarizeFiles, filesTable, filesRatioTable, targetResults, targetTable, NGINX, STATIC_ROUTE } from './summary.mjs';

/**
 * @param {import('../cli.mjs').Options} opts
 * @param {{ outDir: string, version: (bin: string, flag: string) => string }} o
 */
export async function runFiles(opts, { outDir, version }) {
  const tools = ['wrk', ...(opts.serverCpus ? ['taskset'] : [])];
  const missing = ensureBinaries(tools, { install: opts.install, log: note });
  if (missing.length) {
    const list = missing.map((m) => `${m.bin} (Debian package ${m.pkg})`).join(', ');
    console.error(`bench: missing ${list}: apt-get install -y ${missing.map((m) => m.pkg).join(' ')}`);
    process.exit(1);
  }
  ensureBinaries(opts.servers.filter((s) => s.bin).map((s) => /** @type {string} */ (s.bin)), { install: opts.install, log: note });

  const scenarios = FILE_SCENARIOS.filter((s) => !opts.scenarios || opts.scenarios.includes(s.name));
  /** @type {{ server: string, round?: number, reason: string }[]} */
  const skipped = [];
  const servers = opts.servers.filter((s) => {
    if (!scenariosOf(s, scenarios).length) return false;
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
  const rawDir = join(outDir, 'raw', `files-${stamp(date)}`);
  mkdirSync(rawDir, { recursive: true });
  const fixture = writeFixture();
  process.once('exit', fixture.remove);
  note(`bench: fixture in ${fixture.dir}: ${fixture.files.map((f) => `${f.name} ${f.size} B`).join(', ')}`);

  let result;
  try {
    result = await runFilesSuite({ opts, servers, scenarios, fixture, rawDir });
  } finally {
    fixture.remove();
  }
  done();
  skipped.push(...result.skipped);

  const summary = summarizeFiles(result.runs);
  // uvhttp-files and, with UVHTTP_BASELINE, uvhttp-files-baseline (against its own static route).
  const judged = summary.map((s) => s.server).filter((n) => n.startsWith('uvhttp-files'));
  const targets = Object.fromEntries(judged.map((n) => [n, targetResults(summary, n)]));
  const doc = resultsDocument({
    date,
    runs: result.runs,
    extra: {
      suite: 'files',
      options: {
        quick: opts.quick,
        rounds: opts.rounds,
        duration_s: opts.duration,
        warmup_s: opts.warmup,
        connections: opts.connections,
        large_connections: opts.largeConnections,
        large_duration_s: opts.largeDuration,
        server_cpus: opts.serverCpus ?? null,
        load_cpus: opts.loadCpus ?? null,
        settle_threshold: opts.settleThreshold,
        settle_max_s: opts.settleMaxMs / 1000,
      },
      tools: { wrk: version('wrk', '-v') },
      fixture: fixture.files.map(({ name, size, sha256 }) => ({ name, size, sha256 })),
      skipped,
      summary,
      targets,
    },
  });
  const files = writeResults(outDir, doc, 'files-');

  console.log(`Static files: medians of ${opts.rounds} round${opts.rounds > 1 ? 's' : ''} (MiB = 2^20 bytes; RSS summed over the server's processes)\n`);
  console.log(filesTable(summary));
  const routes = summary.map((s) => s.server).filter((n) => n.startsWith(STATIC_ROUTE));
  for (const peer of [NGINX, ...routes]) {
    const t = filesRatioTable(summary, peer);
    if (t) console.log(`\nPer server CPU-second, each server ÷ ${peer}:\n\n${t}`);
  }
  for (const n of judged) console.log(`\nIssue 9's targets, ${n}:\n\n${targetTable(targets[n])}`);
  note(`\nbench: wrote ${files.latest}, ${files.copy}; raw tool output in ${rawDir}`);
}
