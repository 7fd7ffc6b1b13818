// The servers the harness knows: what each serves (its scenarios), how to start it, and what
// it needs installed. Each runs pinned to the server cores; see ../run.mjs.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeNginx } from './nginx.mjs';
import { writeApache } from './apache.mjs';

const here = (/** @type {string} */ f) => fileURLToPath(new URL(f, import.meta.url));

/**
 * Scenarios: `route` a fixed response held by the server (uvhttp static route, nginx return 200),
 * `file` a 13-byte file read from disk, `handler` user JavaScript called for every request.
 * @typedef {{ name: 'route' | 'file' | 'handler', path: string }} Scenario
 * @typedef {{ cmd: string, args: string[], env?: NodeJS.ProcessEnv, dir?: string }} Command
 * @typedef {{ name: string, describe: string, scenarios: Scenario[],
 *   requires: () => string | null, bin?: string, command: (o: { port: number, workers: number }) => Command }} ServerDef
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
const nodeScript = (script) => ({ port }) => ({ cmd: process.execPath, args: [here(script), String(port)] });

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
 * UVHTTP_BASELINE=<another uvhttp checkout, built> adds uvhttp-static-baseline and
 * uvhttp-dynamic-baseline: the same two servers on that build, measured in the same run, so a change
 * to the core is compared with what it replaces under the same conditions.
 */
const baseline = process.env.UVHTTP_BASELINE;
if (baseline) {
  const entry = pathToFileURL(`${baseline.replace(/\/$/, '')}/dist/index.js`).href;
  for (const kind of ['static', 'dynamic']) {
    const own = SERVERS.find((x) => x.name === `uvhttp-${kind}`);
    if (!own) continue;
    SERVERS.splice(SERVERS.indexOf(own) + 1, 0, {
      ...own,
      name: `uvhttp-${kind}-baseline`,
      describe: `${own.describe}, baseline build in ${baseline}`,
      requires: () => (existsSync(new URL(entry)) ? null : `no built uvhttp in ${baseline}`),
      command: ({ port }) => ({
        cmd: process.execPath,
        args: [here(`./uvhttp-${kind}.mjs`), String(port)],
        env: { ...process.env, UVHTTP_BENCH_ENTRY: entry },
      }),
    });
  }
}

/** @param {string} name */
export function findServer(name) {
  const s = SERVERS.find((x) => x.name === name);
  if (!s) throw new Error(`unknown server "${name}"; servers: ${SERVERS.map((x) => x.name).join(', ')}`);
  return s;
}
