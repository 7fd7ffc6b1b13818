// Command-line parsing and the core split.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, afterEach } from 'vitest';
import { parseCli, splitCpus, countCpus } from '../../bench/cli.mjs';
import { SERVERS, findServer } from '../../bench/servers/index.mjs';
import { BUN_PACKAGE, BUN_VERSION, bunBinary } from '../../bench/peers.mjs';
import { MODES, findMode, modeLoad } from '../../bench/modes.mjs';
import { matrix, FULL, QUICK, SOURCES, sourceAddress } from '../../bench/fapws.mjs';
import { serverCpusOf } from '../../bench/suite.mjs';

describe('splitCpus', () => {
  it('gives the servers the first half and the load generator the rest', () => {
    expect(splitCpus(1)).toBeNull();
    expect(splitCpus(2)).toEqual({ server: '0', load: '1' });
    expect(splitCpus(4)).toEqual({ server: '0-1', load: '2-3' });
    expect(splitCpus(5)).toEqual({ server: '0-1', load: '2-4' });
  });
  it('counts cores in a list', () => {
    expect(countCpus('0')).toBe(1);
    expect(countCpus('0-3,6')).toBe(5);
  });
});

describe('parseCli', () => {
  it('defaults to every server and mode, 10 s runs, c=100', () => {
    const o = parseCli([], 2);
    expect(o.servers.map((s) => s.name)).toContain('apache');
    expect(o.modes).toEqual(MODES);
    expect(o).toMatchObject({ duration: 10, warmup: 2, connections: 100, serverCpus: '0', loadCpus: '1', serverCores: 1, protocol: null });
  });
  it('--quick shortens runs and waits', () => {
    expect(parseCli(['--quick'], 2)).toMatchObject({ duration: 1, warmup: 1, settleMaxMs: 3000 });
  });
  it('picks servers, modes (with aliases) and scenarios', () => {
    const o = parseCli(['--server', 'uvhttp-static,node-http', '--mode', 'wrk,pipeline,ab-keepalive', '--scenario', 'route', '--connections', '50'], 4);
    expect(o.servers.map((s) => s.name)).toEqual(['uvhttp-static', 'node-http']);
    expect(o.modes.map((m) => m.name)).toEqual(['wrk', 'wrk-pipeline', 'ab-k']);
    expect(o.scenarios).toEqual(['route']);
    expect(o.connections).toBe(50);
    expect(o.serverCpus).toBe('0-1');
    expect(o.serverCores).toBe(2);
  });
  it('rejects unknown names with the list of known ones', () => {
    expect(() => parseCli(['--server', 'lighttpd'])).toThrow(/unknown server "lighttpd"; servers: uvhttp-static/);
    expect(() => parseCli(['--mode', 'h2load'])).toThrow(/unknown mode/);
    expect(() => parseCli(['--protocol', 'tfb'])).toThrow(/only fapws/);
    expect(() => parseCli(['--connections', '0'])).toThrow(/positive integer/);
  });
});

describe('Fapws4 matrix', () => {
  it('is N x C x repetitions, N outermost', () => {
    expect(matrix(FULL)).toHaveLength(3 * 4 * 3);
    expect(matrix(QUICK)).toEqual([
      { requests: 1000, concurrency: 10, repetition: 1 },
      { requests: 1000, concurrency: 100, repetition: 1 },
      { requests: 10000, concurrency: 10, repetition: 1 },
      { requests: 10000, concurrency: 100, repetition: 1 },
    ]);
  });
});

describe('hey mode', () => {
  it("runs the seed's hey -n 2000 -c 50 unless --connections or --duration say otherwise", () => {
    const hey = findMode('hey');
    expect(hey).toMatchObject({ tool: 'hey', keepalive: true, check: 'keepalive', optional: true });
    expect(modeLoad(hey, parseCli(['--mode', 'hey'], 2))).toEqual({ concurrency: 50, requests: 2000 });
    expect(modeLoad(hey, parseCli(['--quick'], 2))).toEqual({ concurrency: 50, requests: 2000 });
    expect(modeLoad(hey, parseCli(['--connections', '200'], 2))).toEqual({ concurrency: 200, requests: 2000 });
    expect(modeLoad(hey, parseCli(['--duration', '5'], 2))).toEqual({ concurrency: 50, seconds: 5 });
    // The other modes keep the harness's timed run.
    expect(modeLoad(findMode('wrk'), parseCli([], 2))).toEqual({ concurrency: 100, seconds: 10 });
  });
  it('runs after the keep-alive modes and before ab, whose TIME_WAIT sockets go last', () => {
    const names = MODES.map((m) => m.name);
    expect(names.indexOf('hey')).toBeLessThan(names.indexOf('ab'));
    expect(names.at(-1)).toBe('ab');
  });
});

describe('--suite app', () => {
  it('has the five realistic-app servers on GET /app, at 100, 500 and 1,000 connections', () => {
    const o = parseCli(['--suite', 'app'], 2);
    expect(o.servers.map((s) => s.name)).toEqual(['uvhttp-app', 'node-http-app', 'fastify-app', 'uwebsockets-app', 'bun-app']);
    for (const s of o.servers) expect(s.scenarios).toEqual([{ name: 'handler', path: '/app' }]);
    expect(o).toMatchObject({ connectionLevels: [100, 500, 1000], duration: 10 });
    expect(parseCli(['--suite', 'app', '--quick', '--connections', '100,500'], 2)).toMatchObject({ connectionLevels: [100, 500], duration: 3 });
  });
  it('refuses what does not apply to it', () => {
    expect(() => parseCli(['--suite', 'app', '--mode', 'ab'])).toThrow(/no --mode/);
    expect(() => parseCli(['--suite', 'app', '--protocol', 'fapws'])).toThrow(/do not go together/);
    expect(() => parseCli(['--suite', 'app', '--connections', '100,x'])).toThrow(/positive integer/);
    expect(() => parseCli(['--suite', 'app', '--server', 'nginx'])).toThrow(/unknown server "nginx"; servers: uvhttp-app/);
  });
});

describe('Fapws4 source addresses', () => {
  it('rotate over 127.0.0.2… one run each, wrapping; one address is the seed setup', () => {
    expect(parseCli(['--protocol', 'fapws'], 2).sources).toBe(SOURCES);
    expect(parseCli(['--protocol', 'fapws', '--sources', '1'], 2).sources).toBe(1);
    expect([0, 1, 63, 64].map((i) => sourceAddress(i, 64))).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.65', '127.0.0.2']);
    expect(sourceAddress(5, 1)).toBeUndefined();
    expect(() => parseCli(['--sources', '4'])).toThrow(/for --protocol fapws/);
    expect(() => parseCli(['--protocol', 'fapws', '--sources', '300'])).toThrow(/at most 254/);
  });
});

describe('two-worker servers', () => {
  const names = ['uvhttp-static-w2', 'uvhttp-dynamic-w2', 'node-cluster-w2', 'nginx-w2'];

  it('have 2 workers and run on every core, the others on the server cores only', () => {
    expect(parseCli([], 2).servers.map((s) => s.name)).toEqual(expect.arrayContaining(names));
    const two = parseCli([], 2);
    for (const name of names) {
      expect(findServer(name).workers, name).toBe(2);
      expect(serverCpusOf(findServer(name), two), name).toBe('0,1');
    }
    expect(serverCpusOf(findServer('uvhttp-static'), two)).toBe('0');
    expect(serverCpusOf(findServer('nginx-w2'), parseCli([], 8))).toBe('0-3,4-7');
    expect(serverCpusOf(findServer('nginx-w2'), parseCli([], 1))).toBeUndefined();
  });

  it('start uvhttp through its CLI with --workers, node:cluster and nginx with the worker count', () => {
    const uv = findServer('uvhttp-static-w2').command({ port: 8140, workers: 2 });
    expect(uv.cmd).toBe(process.execPath);
    expect(uv.args).toEqual([
      expect.stringMatching(/dist\/cli\.js$/),
      expect.stringMatching(/bench\/servers\/uvhttp-static-app\.mjs$/),
      '--workers',
      '2',
      '--port',
      '8140',
      '--host',
      '127.0.0.1',
    ]);
    expect(findServer('uvhttp-dynamic-w2').command({ port: 8140, workers: 2 }).args[1]).toMatch(/uvhttp-dynamic-app\.mjs$/);
    expect(findServer('node-cluster-w2').command({ port: 8141, workers: 2 }).args).toEqual([expect.stringMatching(/node-cluster\.mjs$/), '8141', '2']);
    const nginx = findServer('nginx-w2').command({ port: 8142, workers: 2 });
    try {
      expect(readFileSync((nginx as { conf?: string }).conf!, 'utf8')).toMatch(/^worker_processes 2;$/m);
    } finally {
      rmSync(nginx.dir!, { recursive: true, force: true });
    }
  });
});

describe('fetch-handler servers', () => {
  const names = ['uvhttp-serve', 'hono-uvhttp', 'hono-node', 'hono-bun', 'bun-fetch'];
  const saved = process.env.UVHTTP_BENCH_PEERS;
  const dirs: string[] = [];
  afterEach(() => {
    if (saved === undefined) delete process.env.UVHTTP_BENCH_PEERS;
    else process.env.UVHTTP_BENCH_PEERS = saved;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('are in the default list, each a handler on /', () => {
    expect(parseCli([], 2).servers.map((s) => s.name)).toEqual(expect.arrayContaining(names));
    for (const name of names) expect(findServer(name).scenarios, name).toEqual([{ name: 'handler', path: '/' }]);
    const c = findServer('hono-node').command({ port: 8135, workers: 1 });
    expect(c.cmd).toBe(process.execPath);
    expect(c.args).toEqual([expect.stringMatching(/bench\/servers\/hono-node\.mjs$/), '8135']);
  });

  it.skipIf(process.platform !== 'linux' || process.arch !== 'x64')('the Bun ones run under the bun that prepare found, and say so when there is none', () => {
    process.env.UVHTTP_BENCH_PEERS = mkdtempSync(join(tmpdir(), 'bench-test-peers-'));
    dirs.push(process.env.UVHTTP_BENCH_PEERS);
    const bun = findServer('bun-fetch');
    expect(bun.prepare?.({ install: false, log: () => {} })).toMatch(/Bun .* is not installed/);

    const dir = process.env.UVHTTP_BENCH_PEERS;
    const pkg = join(dir, 'node_modules', ...BUN_PACKAGE.split('/'));
    mkdirSync(join(pkg, 'bin'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: BUN_PACKAGE, version: BUN_VERSION }));
    writeFileSync(join(pkg, 'bin', 'bun'), '#!/bin/sh\n', { mode: 0o755 });
    for (const name of ['hono-bun', 'bun-fetch']) {
      const def = findServer(name);
      expect(def.prepare?.({ install: false, log: () => {} }), name).toBeNull();
      // (hono-bun also asks for the hono package, which vitest's module loader does not resolve the way node does.)
      expect(def.requires() ?? '', name).not.toMatch(/Bun/);
      const c = def.command({ port: 8136, workers: 1 });
      expect(c.cmd, name).toBe(bunBinary(dir));
      expect(c.args, name).toEqual([expect.stringMatching(new RegExp(`bench/servers/${name}\\.mjs$`)), '8136']);
    }
  });
});
