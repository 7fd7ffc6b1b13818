// The rolling restart of docs/deploying.md, as a deployment runs it: two uvhttp processes behind nginx
// (an upstream with keep-alive connections to them, proxy_next_upstream set), a load of keep-alive
// clients through nginx for ~10 s, and each backend in turn sent SIGTERM, waited for, and started
// again on its port. Every request must succeed with its own answer: the drain finishes what a
// backend took, and what it never took nginx sends to the other one.
//
// POSTs are retried too (proxy_next_upstream non_idempotent): a draining backend closes its idle
// keep-alive connections at once (after answering a request already waiting in one), and nginx can
// still send a request on one of them while its FIN is on the way (it logs "upstream prematurely
// closed connection"). Such a request was never run -- the drain finishes every request it has read
// -- so sending it to the other backend is safe; without non_idempotent nginx answers it 502.
//
// It lives under test/deploy/ because it tests the deployment recipe (docs/deploying.md) across
// processes, not one module of lib/. nginx comes from Debian (.ci/run installs it); without it the
// test fails rather than skips.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../helpers/http.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const LOAD_MS = 10_000;
const CONCURRENCY = 48;

/** The nginx binary: on PATH, or where Debian puts it (/usr/sbin is not on every user's PATH). */
function findNginx(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v nginx || ls /usr/sbin/nginx'], { encoding: 'utf8' });
  const path = found.stdout.trim().split('\n')[0];
  return found.status === 0 && path ? path : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}

/** Resolves once something accepts connections on the port. */
async function listening(port: number, what: () => string, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`${what()} is not listening on ${port} after ${ms} ms`);
    await sleep(20);
  }
}

interface Backend {
  id: string;
  port: number;
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];

/** A backend process on `port` (0: a free one) that answers as `id`; resolves once it listens. */
function startBackend(id: string, port: number): Promise<Backend> {
  const child = spawn(join(root, 'node_modules', '.bin', 'vite-node'), [join(here, 'fixtures', 'backend.ts'), id, String(port)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ id, port: (JSON.parse(line) as { port: number }).port, child, exit });
    });
    void exit.then(({ code }) => reject(new Error(`backend ${id} exited (${code}) before listening: ${out}`)));
  });
}

/**
 * The part a deployment copies (docs/deploying.md): keep-alive to the upstreams, idle ones dropped
 * by nginx before uvhttp's keepAliveTimeout (5 s); a failed backend left out for 2 s (the default
 * 10 s would keep a restarted one out longer than this test runs); a request that met an error or a
 * timeout before its answer began sent to the other backend, a POST included; proxy_read_timeout
 * above handlerTimeout (30 s), so a live backend always answers first.
 */
function proxyConfig(ports: number[]): string {
  return `
    upstream app {
      ${ports.map((p) => `server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`).join('\n      ')}
      keepalive 64;
      keepalive_timeout 4s;
    }`;
}

function locationConfig(): string {
  return `
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout non_idempotent;
      proxy_connect_timeout 2s;
      proxy_read_timeout 35s;`;
}

/** A whole nginx.conf that runs as any user: one foreground process, every path in `dir`. */
function nginxConf(dir: string, port: number, backends: number[]): string {
  return `
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 1024; }
http {
  log_format upstreams '$request_method $status "$upstream_addr" "$upstream_status"';
  access_log ${dir}/access.log upstreams;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  ${proxyConfig(backends)}
  server {
    listen 127.0.0.1:${port};
    location / {${locationConfig()}
    }
  }
}
`;
}

interface Tally {
  ok: number;
  byBackend: Map<string, number>;
  byMethod: Map<string, number>;
  failures: string[];
}

/** One request through nginx; the answer must be 200, from a backend, with this request's token. */
function request(agent: http.Agent, port: number, method: 'GET' | 'POST', token: string, tally: Tally): Promise<void> {
  return new Promise((resolve) => {
    const fail = (why: string) => {
      tally.failures.push(`${method} ${token}: ${why}`);
      resolve();
    };
    const req = http.request(
      { agent, host: '127.0.0.1', port, method, path: method === 'GET' ? `/work?t=${token}` : '/work', headers: method === 'POST' ? { 'content-type': 'text/plain' } : {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('error', (e) => fail(`response ${e.message}`));
        res.on('end', () => {
          const backend = String(res.headers['x-backend']);
          if (res.statusCode !== 200) return fail(`status ${res.statusCode} ${body.slice(0, 200)}`);
          if (body !== `${backend} ${method} ${token}`) return fail(`another answer: ${JSON.stringify(body)} (x-backend ${backend})`);
          tally.ok++;
          tally.byBackend.set(backend, (tally.byBackend.get(backend) ?? 0) + 1);
          tally.byMethod.set(method, (tally.byMethod.get(method) ?? 0) + 1);
          resolve();
        });
      },
    );
    req.on('error', (e) => fail(`request ${e.message}`));
    req.end(method === 'POST' ? token : undefined);
  });
}

async function until(check: () => boolean, what: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what} not within ${ms} ms`);
    await sleep(20);
  }
}

const nginxPath = findNginx();
const dir = mkdtempSync(join(tmpdir(), 'uvhttp-rolling-'));
let nginx: ChildProcess | undefined;
let nginxOut = '';

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (nginx && nginx.exitCode === null) {
    nginx.kill('SIGQUIT');
    await new Promise((r) => nginx!.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('rolling restart behind nginx', () => {
  let proxyPort = 0;
  const backends: Backend[] = [];

  beforeAll(async () => {
    if (!nginxPath) throw new Error('nginx is not installed: this test needs it (apt-get install nginx; .ci/run installs it)');
    backends.push(...(await Promise.all([startBackend('a1', 0), startBackend('b1', 0)])));
    proxyPort = await freePort();
    for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'nginx.conf'), nginxConf(dir, proxyPort, backends.map((b) => b.port)));
    // -e: the error log before the configuration is read (the default, /var/log/nginx, needs root).
    nginx = spawn(nginxPath, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx.stdout!.on('data', (d) => (nginxOut += d));
    nginx.stderr!.on('data', (d) => (nginxOut += d));
    const errorLog = () => {
      try {
        return readFileSync(join(dir, 'error.log'), 'utf8');
      } catch {
        return '';
      }
    };
    await listening(proxyPort, () => `nginx (exit ${nginx!.exitCode}; ${nginxOut}${errorLog()})`);
  }, 15_000);

  it('restarts each backend in turn under load and every request gets its own 200', async () => {
    const tally: Tally = { ok: 0, byBackend: new Map(), byMethod: new Map(), failures: [] };
    const served = (id: string) => tally.byBackend.get(id) ?? 0;
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const end = Date.now() + LOAD_MS;
    let rolled = false;
    // Each client sends one request after another on its keep-alive connection; one in four is a POST.
    // The load goes on for LOAD_MS, and past it until the restarted backends have served.
    const clients = Array.from({ length: CONCURRENCY }, async (_, c) => {
      for (let i = 0; !rolled || Date.now() < end; i++) {
        await request(agent, proxyPort, i % 4 === 3 ? 'POST' : 'GET', `${c}.${i}.${Math.random().toString(36).slice(2, 8)}`, tally);
      }
    });

    // The deployment: restart one backend, wait until nginx sends it requests again, then the next.
    const restarts: string[] = [];
    const rolling = (async () => {
      await sleep(1500);
      await until(() => served('a1') > 200 && served('b1') > 200, 'both backends serving', 5000);
      for (const [i, next] of [
        [0, 'a2'],
        [1, 'b2'],
      ] as const) {
        const old = backends[i];
        const t0 = Date.now();
        old.child.kill('SIGTERM');
        const exited = await old.exit;
        expect(exited, `${old.id} exits 0 after draining`).toEqual({ code: 0, signal: null });
        backends[i] = await startBackend(next, old.port);
        await until(() => served(next) > 200, `nginx sending requests to ${next}`, 6000);
        restarts.push(`${old.id} -> ${next} in ${Date.now() - t0} ms`);
      }
    })().finally(() => (rolled = true));

    await Promise.all([rolling, ...clients]);
    agent.destroy();

    const log = readFileSync(join(dir, 'access.log'), 'utf8').trim().split('\n');
    const retried = log.filter((l) => l.includes(', ')).length;
    const errorLog = readFileSync(join(dir, 'error.log'), 'utf8');
    const upstreamErrors = errorLog.split('\n').filter((l) => /\[error\]/.test(l));
    const kinds = new Map<string, number>();
    for (const l of upstreamErrors) {
      const kind = /\] \d+#\d+: \*\d+ (.*?) while/.exec(l)?.[1] ?? l;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    console.log(
      `rolling restart: ${tally.ok} ok, ${tally.failures.length} failed; by backend ${JSON.stringify(Object.fromEntries(tally.byBackend))}; ` +
        `by method ${JSON.stringify(Object.fromEntries(tally.byMethod))}; ${restarts.join(', ')}; ` +
        `nginx retried ${retried} requests on the other backend, logged upstream errors ${JSON.stringify(Object.fromEntries(kinds))}`,
    );

    expect(tally.failures.slice(0, 20)).toEqual([]);
    expect(tally.ok).toBeGreaterThan(5000);
    expect(tally.byMethod.get('POST')).toBeGreaterThan(1000);
    // Each backend answered both before and after its restart.
    for (const id of ['a1', 'a2', 'b1', 'b2']) expect(served(id), id).toBeGreaterThan(200);
    // nginx's own count agrees: every request it logged was a 200.
    expect(log.filter((l) => !/^\w+ 200 /.test(l)).slice(0, 20)).toEqual([]);
  }, 25_000);
});
