// The servers the harness knows: what each serves (its scenarios), how to start it, and what
// it needs installed. Each runs pinned to the server cores; see ../run.mjs.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeNginx } from './nginx.mjs';
import { writeApache, writeApacheFiles } from './apache.mjs';
import { writeNginxFiles } from './nginx-files.mjs';
import { ensureBun, BUN_VERSION } from '../peers.mjs';

const here = (/** @type {string} */ f) => fileURLToPath(new URL(f, import.meta.url));

/**
 * Scenarios: `route` a fixed response held by the server (uvhttp static route, nginx return 200),
 * `file` a 13-byte file read from disk, `handler` user JavaScript called for every request.
 * @typedef {{ name: 'route' | 'file' | 'handler', path: string }} Scenario
 * @typedef {{ cmd: string, args: string[], env?: NodeJS.ProcessEnv, dir?: string }} Command
 * @typedef {{ port: number, workers: number, root?: string }} CommandOptions `root`: the file fixture dir (files suite)
 * @typedef {{ name: string, describe: string, scenarios: Scenario[],
 *   requires: () => string | null, bin?: string, command: (o: CommandOptions) => Command,
 *   prepare?: (o: { install: boolean, log: (s: string) => void }) => string | null,
 *   files?: string[], workers?: number }} ServerDef `prepare`: install an on-demand peer, return why it cannot run (or null);
 *   `files`: the files-suite scenarios it serves (see ../files/scenarios.mjs); `workers`: a fixed
 *   number of workers (processes or threads), run on every core of the machine (see ../suite.mjs)
 */

/** @param {string} bin */
function hasBinary(bin) {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
    return true;
  } catch {
    return false;
  }
}

/** Resolve a package the way bench/servers/*.mjs will import it. @param {string} pkg */
function hasPackage(pkg) {
  try {
    return existsSync(fileURLToPath(import.meta.resolve(pkg)));
  } catch {
    return false;
  }
}

/** @param {string} script @returns {ServerDef['command']} */
const nodeScript = (script) => ({ port, root }) => ({ cmd: process.execPath, args: [here(script), String(port), ...(root ? [root] : [])] });

/** @param {string | undefined} root */
const needRoot = (root) => {
  if (!root) throw new Error('a files-suite server needs the fixture dir');
  return root;
};

/**
 * uvhttp runs from its build output (dist/ and the native addon, from build/ or prebuilds/):
 * try loading it in a child process rather than guessing paths.
 */
let uvhttpState = /** @type {string | null | undefined} */ (undefined);
const uvhttpBuilt = () => (uvhttpState === undefined ? (uvhttpState = loadUvhttp()) : uvhttpState);
const loadUvhttp = () => {
  const entry = here('../../dist/index.js');
  if (!existsSync(entry)) return 'uvhttp is not built (no dist/index.js): run `npm run build`';
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(entry).href)})`], {
    encoding: 'utf8',
    timeout: 20000,
  });
  if (r.status === 0) return null;
  const why = (r.stderr || '').split('\n').find((l) => /Error/.test(l)) ?? `exit ${r.status}`;
  return `uvhttp does not load (${why.trim()}): run \`npm run build\``;
};

/** The build has app.serveDir (the static-files feature). */
const hasServeDir = () => {
  const why = uvhttpBuilt();
  if (why) return why;
  try {
    if (/\bserveDir\s*\(/.test(readFileSync(here('../../dist/app.js'), 'utf8'))) return null;
  } catch {
    // Laid out differently: let the server itself fail at start with its own message.
    return null;
  }
  return 'this uvhttp build has no app.serveDir: rebuild (`npm run build:ts`) from a tree that has it';
};

/** The build has serve() (fetch handlers). */
const hasServe = () => {
  const why = uvhttpBuilt();
  if (why) return why;
  return existsSync(here('../../dist/fetch.js')) ? null : 'this uvhttp build has no serve(): rebuild (`npm run build:ts`) from a tree that has it';
};

/** Why npm packages (devDependencies) are missing, or null. @param {...string} pkgs */
const needPackages = (...pkgs) => () => {
  const missing = pkgs.filter((p) => !hasPackage(p));
  return missing.length ? `npm package${missing.length > 1 ? 's' : ''} ${missing.join(' and ')} missing: run \`npm install\` (devDependencies)` : null;
};

/** Set by the Bun servers' prepare: the bun binary found or installed on demand. */
let bunPath = /** @type {string | null} */ (null);

/** The Bun servers' prepare: find Bun, or install it into the peers cache (see ../peers.mjs). @type {NonNullable<ServerDef['prepare']>} */
const prepareBun = ({ install, log }) => {
  const r = ensureBun({ install, log });
  if ('reason' in r) return r.reason;
  bunPath = r.path;
  return null;
};

/**
 * `uvhttp <app module> --workers N` from dist/cli.js, as a user runs it.
 * @param {string} app @returns {ServerDef['command']}
 */
const uvhttpWorkers = (app) => ({ port, workers }) => ({
  cmd: process.execPath,
  args: [here('../../dist/cli.js'), here(app), '--workers', String(workers), '--port', String(port), '--host', '127.0.0.1'],
});

/** @param {string} script @returns {ServerDef['command']} */
const bunScript = (script) => ({ port }) => ({ cmd: /** @type {string} */ (bunPath), args: [here(script), String(port)] });

/**
 * The static-file suite's servers (`--suite files`). `files` lists the scenarios each serves;
 * uvhttp-static is the ceiling for small files: the same bytes as static routes.
 * @type {ServerDef[]}
 */
export const FILES_SERVERS = [
  {
    name: 'uvhttp-files',
    describe: "uvhttp, app.serveDir('/', dir) at its defaults",
    scenarios: [],
    files: ['13b', '4k', '1m', '100m'],
    requires: hasServeDir,
    command: ({ port, root }) => nodeScript('./uvhttp-files.mjs')({ port, workers: 1, root: needRoot(root) }),
  },
  {
    name: 'uvhttp-static',
    describe: 'uvhttp, the small files as native static routes (app.static)',
    scenarios: [],
    files: ['13b', '4k'],
    requires: uvhttpBuilt,
    command: ({ port, root }) => nodeScript('./uvhttp-static.mjs')({ port, workers: 1, root: needRoot(root) }),
  },
  {
    name: 'nginx-files',
    describe: 'nginx, sendfile, tcp_nopush, open_file_cache',
    scenarios: [],
    files: ['13b', '4k', '1m', '100m'],
    bin: 'nginx',
    requires: () => (hasBinary('nginx') ? null : 'nginx is not installed (Debian package nginx-light)'),
    command: ({ port, workers, root }) => writeNginxFiles({ port, workers, root: needRoot(root) }),
  },
  {
    name: 'apache-files',
    describe: 'Apache httpd, event MPM defaults, EnableSendfile On',
    scenarios: [],
    files: ['13b', '4k', '1m', '100m'],
    bin: 'apache2',
    requires: () => (hasBinary('apache2') ? null : 'apache2 is not installed (Debian package apache2)'),
    command: ({ port, root }) => writeApacheFiles({ port, root: needRoot(root) }),
  },
  {
    name: 'fastify-static',
    describe: '@fastify/static at its defaults',
    scenarios: [],
    files: ['13b', '4k', '1m', '100m'],
    requires: () =>
      hasPackage('fastify') && hasPackage('@fastify/static') ? null : 'npm packages fastify and @fastify/static are missing: run `npm install` (devDependencies)',
    command: ({ port, root }) => nodeScript('./fastify-static.mjs')({ port, workers: 1, root: needRoot(root) }),
  },
  {
    name: 'bun-files',
    describe: 'Bun.serve, new Response(Bun.file(path)) per request',
    scenarios: [],
    files: ['13b', '4k', '1m', '100m'],
    prepare: prepareBun,
    requires: () => (bunPath ? null : 'Bun is not installed'),
    command: ({ port, root }) => ({ cmd: /** @type {string} */ (bunPath), args: [here('./bun-files.mjs'), String(port), needRoot(root)] }),
  },
];

/**
 * Seed 003's realistic app (`--suite app`): the same handler work (app-work.mjs: a little CPU,
 * a 100 ms wait, a 1 KiB temp file written and removed) under each server, on GET /app.
 * @type {ServerDef[]}
 */
export const APP_SERVERS = [
  {
    name: 'uvhttp-app',
    describe: 'uvhttp, an async app.get route',
    scenarios: [{ name: 'handler', path: '/app' }],
    requires: uvhttpBuilt,
    command: nodeScript('./app-uvhttp.mjs'),
  },
  {
    name: 'node-http-app',
    describe: `node:http ${process.version}, an async request listener`,
    scenarios: [{ name: 'handler', path: '/app' }],
    requires: () => null,
    command: nodeScript('./app-node-http.mjs'),
  },
  {
    name: 'fastify-app',
    describe: 'fastify, one async route, logger off',
    scenarios: [{ name: 'handler', path: '/app' }],
    requires: needPackages('fastify'),
    command: nodeScript('./app-fastify.mjs'),
  },
  {
    name: 'uwebsockets-app',
    describe: 'uWebSockets.js (npm uws-pack), onAborted + cork after the await',
    scenarios: [{ name: 'handler', path: '/app' }],
    requires: needPackages('uws-pack'),
    command: nodeScript('./app-uwebsockets.mjs'),
  },
  {
    name: 'bun-app',
    describe: `Bun.serve, an async fetch handler (Bun ${BUN_VERSION})`,
    scenarios: [{ name: 'handler', path: '/app' }],
    prepare: prepareBun,
    requires: () => (bunPath ? null : 'Bun is not installed'),
    command: bunScript('./app-bun.mjs'),
  },
];

/** @type {ServerDef[]} */
export const SERVERS = [
  {
    name: 'uvhttp-static',
    describe: 'uvhttp, native static route (no JS per request)',
    scenarios: [{ name: 'route', path: '/' }],
    requires: uvhttpBuilt,
    command: nodeScript('./uvhttp-static.mjs'),
  },
  {
    name: 'uvhttp-dynamic',
    describe: 'uvhttp, JS handler per request',
    scenarios: [{ name: 'handler', path: '/' }],
    requires: uvhttpBuilt,
    command: nodeScript('./uvhttp-dynamic.mjs'),
  },
  ...['combined', 'json'].map((format) => ({
    name: `uvhttp-static-accesslog-${format}`,
    describe: `uvhttp, the native static route with the access log on (${format}, to a file)`,
    scenarios: [{ name: 'route', path: '/' }],
    requires: uvhttpBuilt,
    command: ({ port }) => {
      const dir = mkdtempSync(join(tmpdir(), 'uvhttp-bench-log-'));
      return { ...nodeScript('./uvhttp-static.mjs')({ port }), env: { UVHTTP_BENCH_ACCESS_LOG: `${join(dir, 'access.log')}:${format}` }, dir };
    },
  })),
  {
    name: 'uvhttp-cached',
    describe: 'uvhttp, the JS handler with the micro-cache on (cache: { ttl: 60000 }): served natively after the first request',
    scenarios: [{ name: 'handler', path: '/' }],
    requires: uvhttpBuilt,
    command: ({ port }) => ({ ...nodeScript('./uvhttp-dynamic.mjs')({ port }), env: { UVHTTP_BENCH_CACHE_TTL: '60000' } }),
  },
  {
    name: 'uvhttp-hooks',
    describe: 'uvhttp, the JS handler with one onRequest and one onSend hook',
    scenarios: [{ name: 'handler', path: '/' }],
    requires: uvhttpBuilt,
    command: nodeScript('./uvhttp-hooks.mjs'),
  },
  {
    name: 'uvhttp-routes-10',
    describe: 'uvhttp, JS handler on a two-param route of a 10-route app (exact, :param, wildcard)',
    scenarios: [{ name: 'handler', path: '/u1/42/items/7' }],
    requires: uvhttpBuilt,
    command: ({ port }) => ({ cmd: process.execPath, args: [here('./uvhttp-routes.mjs'), String(port), '10'] }),
  },
  {
    name: 'uvhttp-routes-1000',
    describe: 'uvhttp, the same route in a 1,000-route app',
    scenarios: [{ name: 'handler', path: '/u1/42/items/7' }],
    requires: uvhttpBuilt,
    command: ({ port }) => ({ cmd: process.execPath, args: [here('./uvhttp-routes.mjs'), String(port), '1000'] }),
  },
  {
    name: 'uvhttp-serve',
    describe: 'uvhttp, serve() with a plain fetch handler (Request and Response per request)',
    scenarios: [{ name: 'handler', path: '/' }],
    requires: hasServe,
    command: nodeScript('./uvhttp-serve.mjs'),
  },
  {
    name: 'node-http',
    describe: `node:http ${process.version}`,
    scenarios: [{ name: 'handler', path: '/' }],
    requires: () => null,
    command: nodeScript('./node-http.mjs'),
  },
  {
    name: 'fastify',
    describe: 'fastify, one route',
    scenarios: [{ name: 'handler', path: '/' }],
    requires: () => (hasPackage('fastify') ? null : 'npm package fastify is missing: run `npm install` (it is a devDependency)'),
    command: nodeScript('./fastify.mjs'),
  },
  {
    name: 'uwebsockets',
    describe: 'uWebSockets.js (npm uws-pack)',
    scenarios: [{ name: 'handler', path: '/' }],
    requires: () => (hasPackage('uws-pack') ? null : 'npm package uws-pack is missing: run `npm install` (it is a devDependency)'),
    command: nodeScript('./uwebsockets.mjs'),
  },
  {
    name: 'hono-uvhttp',
    describe: 'Hono, one c.text route, under uvhttp serve()',
    scenarios: [{ name: 'handler', path: '/' }],
    requires: () => needPackages('hono')() ?? hasServe(),
    command: nodeScript('./hono-uvhttp.mjs'),
  },
  {
    name: 'hono-node',
    describe: 'Hono, one c.text route, under @hono/node-server',
    scenarios: [{ name: 'handler', path: '/' }],
    requires: needPackages('hono', '@hono/node-server'),
    command: nodeScript('./hono-node.mjs'),
  },
  {
    name: 'hono-bun',
    describe: `Hono, one c.text route, under Bun.serve (Bun ${BUN_VERSION})`,
    scenarios: [{ name: 'handler', path: '/' }],
    prepare: prepareBun,
    requires: () => (bunPath ? needPackages('hono')() : 'Bun is not installed'),
    command: bunScript('./hono-bun.mjs'),
  },
  {
    name: 'bun-fetch',
    describe: `Bun.serve with a plain fetch handler (Bun ${BUN_VERSION})`,
    scenarios: [{ name: 'handler', path: '/' }],
    prepare: prepareBun,
    requires: () => (bunPath ? null : 'Bun is not installed'),
    command: bunScript('./bun-fetch.mjs'),
  },
  {
    name: 'nginx',
    describe: 'nginx, return 200 and a static file',
    scenarios: [
      { name: 'route', path: '/' },
      { name: 'file', path: '/hello.txt' },
    ],
    bin: 'nginx',
    requires: () => (hasBinary('nginx') ? null : 'nginx is not installed (Debian package nginx-light)'),
    command: ({ port, workers }) => writeNginx({ port, workers }),
  },
  // Two workers each, on every core (the load generator shares one of them): what a second core buys.
  {
    name: 'uvhttp-static-w2',
    describe: 'uvhttp, the native static route, `uvhttp app.js --workers 2` (2 threads, SO_REUSEPORT)',
    scenarios: [{ name: 'route', path: '/' }],
    workers: 2,
    requires: uvhttpBuilt,
    command: uvhttpWorkers('./uvhttp-static-app.mjs'),
  },
  {
    name: 'uvhttp-dynamic-w2',
    describe: 'uvhttp, the JS handler, `uvhttp app.js --workers 2` (2 threads, SO_REUSEPORT)',
    scenarios: [{ name: 'handler', path: '/' }],
    workers: 2,
    requires: uvhttpBuilt,
    command: uvhttpWorkers('./uvhttp-dynamic-app.mjs'),
  },
  {
    name: 'node-cluster-w2',
    describe: `node:cluster, 2 node:http worker processes (${process.version})`,
    scenarios: [{ name: 'handler', path: '/' }],
    workers: 2,
    requires: () => null,
    command: ({ port, workers }) => ({ cmd: process.execPath, args: [here('./node-cluster.mjs'), String(port), String(workers)] }),
  },
  {
    name: 'nginx-w2',
    describe: 'nginx, worker_processes 2, return 200 and a static file',
    scenarios: [
      { name: 'route', path: '/' },
      { name: 'file', path: '/hello.txt' },
    ],
    workers: 2,
    bin: 'nginx',
    requires: () => (hasBinary('nginx') ? null : 'nginx is not installed (Debian package nginx-light)'),
    command: ({ port, workers }) => writeNginx({ port, workers }),
  },
  {
    name: 'apache',
    describe: 'Apache httpd, event MPM defaults, a static file',
    scenarios: [{ name: 'file', path: '/hello.txt' }],
    bin: 'apache2',
    requires: () => (hasBinary('apache2') ? null : 'apache2 is not installed (Debian package apache2)'),
    command: ({ port }) => writeApache({ port }),
  },
];

/**
 * UVHTTP_BASELINE=<another uvhttp checkout, built> adds uvhttp-static-baseline,
 * uvhttp-dynamic-baseline, uvhttp-serve-baseline and hono-uvhttp-baseline (and, in the files suite, uvhttp-static-baseline and
 * uvhttp-files-baseline): the same servers on that build, measured in the same run, so a change
 * to the core is compared with what it replaces under the same conditions.
 */
const baseline = process.env.UVHTTP_BASELINE;
if (baseline) {
  const entry = pathToFileURL(`${baseline.replace(/\/$/, '')}/dist/index.js`).href;
  for (const list of [SERVERS, FILES_SERVERS]) {
    for (const name of ['uvhttp-static', 'uvhttp-dynamic', 'uvhttp-serve', 'uvhttp-files', 'hono-uvhttp']) {
      const own = list.find((x) => x.name === name);
      if (!own) continue;
      list.splice(list.indexOf(own) + 1, 0, {
        ...own,
        name: `${name}-baseline`,
        describe: `${own.describe}, baseline build in ${baseline}`,
        requires: () => (existsSync(new URL(entry)) ? null : `no built uvhttp in ${baseline}`),
        command: (o) => ({ ...own.command(o), env: { ...process.env, UVHTTP_BENCH_ENTRY: entry } }),
      });
    }
  }
}

/** @param {string} name @param {ServerDef[]} [list] SERVERS, or FILES_SERVERS / APP_SERVERS for those suites */
export function findServer(name, list = SERVERS) {
  const s = list.find((x) => x.name === name);
  if (!s) throw new Error(`unknown server "${name}"; servers: ${list.map((x) => x.name).join(', ')}`);
  return s;
}
