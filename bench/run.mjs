#!/usr/bin/env node
// npm run bench [-- options]: start each server pinned to its cores, check it answers each mode
// correctly, load it with wrk/ab pinned to the other cores, and report requests per second and
// per server CPU-second. See bench/README.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { parseCli, USAGE } from './cli.mjs';
import { MODES, findMode } from './modes.mjs';
import { ensureBinaries } from './deps.mjs';
import { runServer } from './suite.mjs';
import { note, done } from './progress.mjs';
import { resultsDocument, writeResults, stamp, medianRounds } from './results.mjs';
import { markdownTable, ratioTable } from './report.mjs';
import { barChart } from './svg.mjs';
import { FULL, QUICK, matrix } from './fapws.mjs';
import { killAll } from './processes.mjs';
import { runFiles } from './files/run.mjs';
import { runApp } from './app/run.mjs';

const DEFAULT_OUT = fileURLToPath(new URL('./results/', import.meta.url));

/** First line of a tool's version output. @param {string} bin @param {string} flag */
function version(bin, flag) {
  try {
    return execFileSync(bin, [flag], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0].trim();
  } catch (e) {
    // wrk -v exits 1.
    const err = /** @type {any} */ (e);
    return String(err.stdout || err.stderr || '').split('\n')[0].trim() || 'unknown';
  }
}

/** An installed Debian package's version (hey has no version flag). @param {string} pkg */
function debianVersion(pkg) {
  try {
    return `${pkg} ${execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()} (Debian)`;
  } catch {
    return 'unknown';
  }
}

async function main() {
  /** @type {import('./cli.mjs').Options} */
  let opts;
  try {
    opts = parseCli(process.argv.slice(2));
  } catch (e) {
    console.error(`bench: ${/** @type {Error} */ (e).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  if (opts.suite === 'files') {
    await runFiles(opts, { outDir: opts.out ?? DEFAULT_OUT, version });
    return;
  }
  if (opts.suite === 'app') {
    await runApp(opts, { outDir: opts.out ?? DEFAULT_OUT, version });
    return;
  }
  const fapws = opts.protocol === 'fapws';
  const modes = fapws ? [findMode('ab')] : opts.modes;

  // Tools first, then the servers that can run. wrk warms up every mode. An optional tool (hey)
  // that is missing makes its mode unsupported; the others stop the run.
  const tools = [...new Set([...(opts.serverCpus ? ['taskset'] : []), 'wrk', ...modes.filter((m) => !m.optional).map((m) => m.tool)])];
  const optional = [...new Set(modes.filter((m) => m.optional).map((m) => m.tool))];
  /** @type {Record<string, string>} */
  const missingOptional = Object.fromEntries(
    ensureBinaries(optional, { install: opts.install, log: note }).map((m) => [m.bin, `${m.bin} is not installed (Debian package ${m.pkg})`]),
  );
  for (const why of Object.values(missingOptional)) note(`bench: ${why}: its mode is reported unsupported`);
  const missing = ensureBinaries(tools, { install: opts.install, log: note });
  if (missing.length) {
    const list = missing.map((m) => `${m.bin} (Debian package ${m.pkg})`).join(', ');
    console.error(`bench: missing ${list}: apt-get install -y ${missing.map((m) => m.pkg).join(' ')}`);
    process.exit(1);
  }
  ensureBinaries(opts.servers.filter((s) => s.bin).map((s) => /** @type {string} */ (s.bin)), { install: opts.install, log: note });
  /** @type {{ server: string, reason: string }[]} */
  const skipped = [];
  const servers = opts.servers.filter((s) => {
    // prepare installs an on-demand peer (Bun) first, or says why it cannot.
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
  const outDir = opts.out ?? DEFAULT_OUT;
  const rawDir = join(outDir, 'raw', `${fapws ? 'fapws-' : ''}${stamp(date)}`);
  mkdirSync(rawDir, { recursive: true });

  const plan = servers
    .map((def) => ({ def, scenarios: def.scenarios.filter((sc) => !opts.scenarios || opts.scenarios.includes(sc.name)) }))
    .filter((p) => p.scenarios.length);
  const loads = fapws ? matrix(opts.quick ? QUICK : FULL) : [{ concurrency: opts.connections }];
  const perServer = (/** @type {{ scenarios: unknown[] }} */ p) => p.scenarios.length * modes.length * loads.length;
  // Rounds interleave: every server runs once in a round, so a noisy minute hits them all alike.
  const rounds = fapws ? 1 : opts.rounds;
  const ctx = { opts, modes, fapws, loads, rawDir, step: 0, total: rounds * plan.reduce((n, p) => n + perServer(p), 0), missing: missingOptional, abRuns: 0 };

  /** @type {import('./results.mjs').Run[][]} */
  const byRound = [];
  for (let round = 0; round < rounds; round++) {
    /** @type {import('./results.mjs').Run[]} */
    const roundRuns = [];
    byRound.push(roundRuns);
    for (const p of plan) {
      const stepAfter = ctx.step + perServer(p);
      try {
        await runServer(p.def, p.scenarios, ctx, roundRuns);
      } catch (e) {
        note(`bench: ${p.def.name}: ${/** @type {Error} */ (e).message}`);
        if (!skipped.some((s) => s.server === p.def.name)) skipped.push({ server: p.def.name, reason: /** @type {Error} */ (e).message });
      }
      ctx.step = stepAfter;
    }
  }
  done();
  const runs = medianRounds(byRound);

  const doc = resultsDocument({
    date,
    runs,
    extra: {
      protocol: fapws ? 'fapws' : 'default',
      options: {
        quick: opts.quick,
        rounds,
        duration_s: fapws ? null : opts.duration,
        warmup_s: opts.warmup,
        server_cpus: opts.serverCpus ?? null,
        load_cpus: opts.loadCpus ?? null,
        settle_threshold: opts.settleThreshold,
        settle_max_s: opts.settleMaxMs / 1000,
        ...(fapws ? { sources: opts.sources } : {}),
      },
      tools: { wrk: version('wrk', '-v'), ab: version('ab', '-V'), ...(modes.some((m) => m.tool === 'hey') ? { hey: debianVersion('hey') } : {}) },
      skipped,
    },
  });
  const files = writeResults(outDir, doc, fapws ? 'fapws-' : '');
  if (fapws) {
    note(`bench: wrote ${files.latest}, ${files.copy}; raw tool output in ${rawDir}`);
    return;
  }
  const m = doc.machine;
  const svg = barChart({
    runs,
    modeTitles: Object.fromEntries(MODES.map((x) => [x.name, x.title])),
    subtitle:
      `${m.model}, ${m.cpus} cores (server on ${opts.serverCpus ?? 'all'}, load on ${opts.loadCpus ?? 'all'}), ` +
      `Linux ${m.kernel}, Node ${m.node}, ${opts.quick ? 'quick, ' : ''}${opts.duration} s runs, ${doc.date.slice(0, 16).replace('T', ' ')} UTC`,
  });
  const svgPath = join(outDir, 'latest.svg');
  writeFileSync(svgPath, svg);
  console.log(markdownTable(runs));
  const ratios = ratioTable(runs);
  if (ratios) console.log(`\nRequests per server CPU-second, uvhttp ÷ peer (– where the peer has no figure):\n\n${ratios}`);
  note(`\nbench: wrote ${files.latest}, ${files.copy}, ${svgPath}; raw tool output in ${rawDir}`);
}

main().catch((e) => {
  done();
  killAll();
  console.error(`bench: ${e?.stack ?? e}`);
  process.exit(1);
});
