// The realistic-app suite (--suite app) and the hey mode's wiring: server definitions, the check,
// the open-file limit, the table; one real app server answering its check (~0.5 s); and a missing
// optional tool turning its mode into "unsupported" rows without running a load.
import { describe, it, expect, afterEach } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { APP_SERVERS, findServer } from '../../bench/servers/index.mjs';
import { APP_BODY, APP_PATH, WAIT_MS, burn } from '../../bench/servers/app-work.mjs';
import { checkApp, openFileLimit, nofileFor } from '../../bench/app/suite.mjs';
import { appTable, ceiling } from '../../bench/app/summary.mjs';
import { startServer } from '../../bench/server-process.mjs';
import { runServer } from '../../bench/suite.mjs';
import { parseCli } from '../../bench/cli.mjs';
import { findMode } from '../../bench/modes.mjs';

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A server answering every request with `status` and `body`. */
async function answering(status: number, body: string): Promise<number> {
  const s = http.createServer((_req, res) => res.writeHead(status, { 'content-type': 'text/plain' }).end(body));
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

describe('the realistic app', () => {
  it('answers a body that shows the hash was computed', () => {
    expect(APP_BODY).toBe(`ok ${burn().slice(0, 16)}\n`);
    expect(APP_BODY).toMatch(/^ok [0-9a-f]{16}\n$/);
    expect(APP_PATH).toBe('/app');
  });

  it('runs under node, or bun for bun-app, each its own script', () => {
    expect(APP_SERVERS.map((s) => s.name)).toEqual(['uvhttp-app', 'node-http-app', 'fastify-app', 'uwebsockets-app', 'bun-app']);
    for (const name of ['uvhttp-app', 'node-http-app', 'fastify-app', 'uwebsockets-app']) {
      const c = findServer(name, APP_SERVERS).command({ port: 8150, workers: 1 });
      expect(c.cmd, name).toBe(process.execPath);
      expect(c.args, name).toEqual([expect.stringMatching(new RegExp(`bench/servers/app-${name.replace(/-app$/, '')}\\.mjs$`)), '8150']);
    }
    expect(findServer('bun-app', APP_SERVERS).prepare).toBeTypeOf('function');
  });

  it('checks the answer: status and body', async () => {
    expect(await checkApp({ port: await answering(200, APP_BODY), path: APP_PATH })).toBeNull();
    expect(await checkApp({ port: await answering(200, 'Hello World!!'), path: APP_PATH })).toMatch(/body "Hello World!!", expected "ok /);
    expect(await checkApp({ port: await answering(404, ''), path: APP_PATH })).toMatch(/status 404/);
    expect(await checkApp({ port: 1, path: APP_PATH })).toMatch(/ECONNREFUSED/);
  });

  it('node-http-app does the work and passes the check', async () => {
    const srv = await startServer(findServer('node-http-app', APP_SERVERS), { workers: 1 });
    try {
      const t0 = Date.now();
      expect(await checkApp({ port: srv.port, path: APP_PATH })).toBeNull();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(WAIT_MS - 5);
    } finally {
      await srv.stop();
    }
  }, 15_000);
});

describe('open files for 1,000 connections', () => {
  it('reads the limits and raises wrk only when the soft limit is short', () => {
    const limits = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n';
    expect(openFileLimit(limits)).toEqual({ soft: 1024, hard: 524288 });
    expect(openFileLimit('Max open files            unlimited            unlimited            files')).toEqual({ soft: Infinity, hard: Infinity });
    expect(nofileFor(1000, { soft: 1024, hard: 524288 })).toBe(1256);
    expect(nofileFor(1000, { soft: 20000, hard: 20000 })).toBeUndefined();
    expect(openFileLimit().soft).toBeGreaterThan(0);
  });
});

describe('appTable', () => {
  it('gives req/s against the c ÷ 100 ms ceiling, p50/p99/p99.9 and errors', () => {
    expect(ceiling(1000)).toBe(10000);
    const row = { server: 'node-http-app', scenario: 'app', path: '/app', mode: 'wrk', tool: 'wrk' as const, connections: 500, pipeline: 1, keepalive: true };
    const t = appTable([
      { ...row, requests_per_s: 2500, per_cpu_s: 2600, p50_ms: 190.2, p99_ms: 250.44, p999_ms: 300.1, errors: 0, rss_mb: 80, server_cpu_pct: 97 },
      { ...row, connections: 1000, requests_per_s: null, per_cpu_s: null, p50_ms: null, p99_ms: null, errors: null, rss_mb: null, error: 'wrk did not finish in time (killed)' },
    ]);
    expect(t).toContain('| node-http-app | 500 | **2,500** | 50% | 190.2 | 250.4 | 300.1 | 0 | 97% | 2,600 | 80.0 |');
    expect(t).toContain('| node-http-app | 1000 | failed: wrk did not finish in time (killed) |');
  });
});

describe('a missing optional tool', () => {
  it('makes its mode unsupported, with the package to install, and runs no load', async () => {
    const opts = parseCli(['--mode', 'hey', '--server', 'node-http'], 1);
    const runs: Record<string, unknown>[] = [];
    const ctx = {
      opts,
      modes: [findMode('hey')],
      fapws: false,
      loads: [{ concurrency: 100 }],
      rawDir: '/nonexistent',
      step: 0,
      total: 1,
      missing: { hey: 'hey is not installed (Debian package hey)' },
    };
    const def = findServer('node-http');
    await runServer(def, def.scenarios, ctx, runs as never[]);
    expect(runs).toEqual([
      expect.objectContaining({ server: 'node-http', mode: 'hey', tool: 'hey', connections: 50, requests_per_s: null, unsupported: 'hey is not installed (Debian package hey)' }),
    ]);
  }, 15_000);
});
