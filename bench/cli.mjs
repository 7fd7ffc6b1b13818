// Command-line options of bench/run.mjs.
import { parseArgs } from 'node:util';
import os from 'node:os';
import { SERVERS, FILES_SERVERS, APP_SERVERS, findServer } from './servers/index.mjs';
import { MODES, findMode } from './modes.mjs';
import { SOURCES } from './fapws.mjs';
import { FILE_SCENARIO_NAMES } from './files/scenarios.mjs';

export const USAGE = `usage: node bench/run.mjs [options]     (npm run bench -- [options])

  --quick                about 1 s a measurement (whole run < 5 min)
  --suite files          the static-file suite instead (see bench/README.md): servers
                         ${FILES_SERVERS.map((s) => s.name).join(', ')};
                         scenarios ${FILE_SCENARIO_NAMES.join(', ')}; wrk keep-alive only
  --suite app            seed 003's realistic app (CPU, a 100 ms wait, a temp file) instead: servers
                         ${APP_SERVERS.map((s) => s.name).join(', ')};
                         wrk at --connections 100,500,1000 (a list here), p50/p99/p99.9
  --server a,b           servers (default: all): ${SERVERS.map((s) => s.name).join(', ')}
  --scenario a,b         route, file, handler (default: all a server has)
  --rounds N             interleaved rounds (each server once a round), the median round of each
                         row reported with every round's figure (default 1; files suite 3,
                         --quick 1; not with --protocol fapws, which repeats runs itself)
  --large-connections N  files suite: connections for the 100 MiB file (default 100, --quick 10)
  --large-duration S     files suite: seconds measured for the 100 MiB file (default 20, --quick 3)
  --mode a,b             ${MODES.map((m) => m.name).join(', ')} (default: all)
  --protocol fapws       the Fapws4 seed matrix: ab -n N -c C, N in 1000,10000,50000,
                         C in 10,100,500,1000, three times each (--quick: N 1000,10000,
                         C 10,100, once); prints "N C /path: rps" lines
  --sources K            fapws: spread the runs over K local addresses 127.0.0.2… (ab -B), each
                         run's settle counting its own address (default ${SOURCES}; 1: the seed's
                         single address and machine-wide count)
  --connections N        connections for wrk and ab (default 100; hey: 50)
  --duration S           seconds measured per run (default 10, --quick 1; hey: -n 2000 unless given)
  --warmup S             seconds of warm-up load before each run (default 2, --quick 1)
  --server-cpus LIST     cores for the servers (default: first half, e.g. 0)
  --load-cpus LIST       cores for wrk/ab (default: second half, e.g. 1)
  --settle-threshold N   wait before each run until fewer than N TCP connections are open (default 1000)
  --settle-max S         ...but at most S seconds (default 60, --quick 3)
  --out DIR              where results go (default bench/results)
  --no-install           do not apt-get install missing tools, just say which package is missing
  -h, --help`;

/**
 * Split the machine's cores: the first half for servers, the rest for the load generator.
 * @param {number} n
 * @returns {{ server: string, load: string } | null} null on a single core (no pinning)
 */
export function splitCpus(n) {
  if (n < 2) return null;
  const half = Math.floor(n / 2);
  const range = (/** @type {number} */ a, /** @type {number} */ b) => (a === b ? `${a}` : `${a}-${b}`);
  return { server: range(0, half - 1), load: range(half, n - 1) };
}

/** Count the cores in a taskset list such as "0-3,6". @param {string} list */
export function countCpus(list) {
  let n = 0;
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map(Number);
    n += b === undefined ? 1 : b - a + 1;
  }
  return n;
}

/** @param {string | undefined} v @param {string} name */
function positive(v, name) {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} needs a positive integer, got "${v}"`);
  return n;
}

/**
 * @param {string[]} argv
 * @param {number} [cpus]
 */
export function parseCli(argv, cpus = os.availableParallelism?.() ?? os.cpus().length) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      suite: { type: 'string' },
      rounds: { type: 'string' },
      'large-connections': { type: 'string' },
      'large-duration': { type: 'string' },
      server: { type: 'string' },
      scenario: { type: 'string' },
      mode: { type: 'string' },
      protocol: { type: 'string' },
      sources: { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      'server-cpus': { type: 'string' },
      'load-cpus': { type: 'string' },
      'settle-threshold': { type: 'string' },
      'settle-max': { type: 'string' },
      out: { type: 'string' },
      'no-install': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const list = (/** @type {string | undefined} */ v) => v?.split(',').map((x) => x.trim()).filter(Boolean);
  const quick = values.quick;
  if (values.protocol && values.protocol !== 'fapws') throw new Error(`unknown --protocol "${values.protocol}" (only fapws)`);
  const split = splitCpus(cpus);
  const serverCpus = values['server-cpus'] ?? split?.server;
  const loadCpus = values['load-cpus'] ?? split?.load;
  const suite = values.suite ?? 'default';
  if (!['default', 'files', 'app'].includes(suite)) throw new Error(`unknown --suite "${suite}" (default, files or app)`);
  const files = suite === 'files';
  const app = suite === 'app';
  if ((files || app) && values.protocol) throw new Error(`--protocol and --suite ${suite} do not go together`);
  if (values.sources !== undefined && values.protocol !== 'fapws') throw new Error('--sources is for --protocol fapws');
  if (Number(values.sources) > 254) throw new Error('--sources: at most 254 (127.0.0.2-255)');
  if (app && (values.mode !== undefined || values.scenario !== undefined)) throw new Error('--suite app has one scenario and uses wrk: no --mode or --scenario');
  // The app suite takes a list of connection counts; everything else one.
  const levels = app ? (list(values.connections) ?? ['100', '500', '1000']).map((c) => /** @type {number} */ (positive(c, 'connections'))) : null;
  if (values.rounds !== undefined && (app || values.protocol)) throw new Error('--rounds is not for --suite app or --protocol fapws');
  if (!files) {
    for (const k of ['large-connections', 'large-duration']) {
      if (values[/** @type {'rounds'} */ (k)] !== undefined) throw new Error(`--${k} is for --suite files`);
    }
  }
  const scenarioNames = files ? FILE_SCENARIO_NAMES : ['route', 'file', 'handler'];
  const scenarios = list(values.scenario);
  for (const s of scenarios ?? []) {
    if (!scenarioNames.includes(s)) throw new Error(`unknown scenario "${s}"; scenarios: ${scenarioNames.join(', ')}`);
  }
  const serverList = files ? FILES_SERVERS : app ? APP_SERVERS : SERVERS;
  return {
    help: values.help,
    quick,
    suite,
    protocol: values.protocol ?? null,
    servers: (list(values.server) ?? serverList.map((s) => s.name)).map((n) => findServer(n, serverList)),
    explicitServers: values.server !== undefined,
    scenarios: scenarios ?? null,
    modes: (list(values.mode) ?? MODES.map((m) => m.name)).map(findMode),
    connections: levels ? levels[0] : (positive(values.connections, 'connections') ?? 100),
    connectionLevels: levels,
    explicitConnections: values.connections !== undefined,
    duration: positive(values.duration, 'duration') ?? (app ? (quick ? 3 : 10) : quick ? 1 : 10),
    explicitDuration: values.duration !== undefined,
    sources: positive(values.sources, 'sources') ?? SOURCES,
    warmup: positive(values.warmup, 'warmup') ?? (quick ? 1 : 2),
    serverCpus,
    loadCpus,
    serverCores: serverCpus ? countCpus(serverCpus) : cpus,
    loadCores: loadCpus ? countCpus(loadCpus) : cpus,
    settleThreshold: positive(values['settle-threshold'], 'settle-threshold') ?? 1000,
    settleMaxMs: (positive(values['settle-max'], 'settle-max') ?? (quick ? 3 : 60)) * 1000,
    out: values.out ?? null,
    install: !values['no-install'],
    rounds: positive(values.rounds, 'rounds') ?? (files && !quick ? 3 : 1),
    largeConnections: positive(values['large-connections'], 'large-connections') ?? null,
    largeDuration: positive(values['large-duration'], 'large-duration') ?? null,
  };
}

/** @typedef {ReturnType<typeof parseCli>} Options */
