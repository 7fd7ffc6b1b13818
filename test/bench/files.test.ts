// The static-file suite's pure parts: the fixture, the nginx/Apache configs, finding and
// installing Bun, the loads, the body check, the round order and the medians, tables and targets.
import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync, statSync, rmSync, mkdtempSync, mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE, fixtureChunks, writeFixture, KiB, MiB } from '../../bench/files/fixture.mjs';
import { nginxFilesConfig, writeNginxFiles } from '../../bench/servers/nginx-files.mjs';
import { apacheConfig, writeApacheFiles } from '../../bench/servers/apache.mjs';
import { FILES_SERVERS, findServer } from '../../bench/servers/index.mjs';
import { peersDir, bunBinary, bunUnsupported, findBun, ensureBun, bunInstallArgs, BUN_PACKAGE, BUN_VERSION } from '../../bench/peers.mjs';
import { FILE_SCENARIOS, fileLoad, findFileScenario, fixtureFile } from '../../bench/files/scenarios.mjs';
import { fileMismatch, checkFile } from '../../bench/files/check.mjs';
import { roundOrder, scenariosOf } from '../../bench/files/suite.mjs';
import { median, summarizeFiles, filesTable, filesRatioTable, targetResults, targetTable } from '../../bench/files/summary.mjs';
import { parseCli } from '../../bench/cli.mjs';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
const has = (bin: string) =>
  spawnSync('sh', ['-c', `command -v ${bin}`], { env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin` } }).status === 0;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('file fixture', () => {
  it('is 13 B, 4 KiB, 1 MiB and 100 MiB', () => {
    expect(FIXTURE.map((f) => [f.name, f.size])).toEqual([
      ['13b.txt', 13],
      ['4k.bin', 4 * KiB],
      ['1m.bin', MiB],
      ['100m.bin', 100 * MiB],
    ]);
  });

  it('has the same bytes on every machine', () => {
    const hash = (name: string) => {
      const h = createHash('sha256');
      for (const c of fixtureChunks(FIXTURE.find((f) => f.name === name)!)) h.update(c);
      return h.digest('hex');
    };
    expect(hash('13b.txt')).toBe('096c0a72c31f9a2d65126d8e8a401a2ab2f2e21d0a282a6ffe6642bbef65ffd9');
    expect(hash('4k.bin')).toBe('5fb3bfb574940df4bac8a15748175e51c8c127a14516bc3bf7f98dc15cefbeec');
    expect(hash('1m.bin')).toBe('aaf59b1a703e7d35e30a08636539a0dd6eaead36c61a0c0c22a4d10da9d65320');
  });

  it('writes readable files into a 0755 temp dir with their SHA-256, and removes them', () => {
    const f = writeFixture({ files: FIXTURE.slice(0, 3) });
    dirs.push(f.dir);
    expect(statSync(f.dir).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(f.dir, '13b.txt'), 'utf8')).toBe('Hello World!!');
    for (const x of f.files) {
      expect(statSync(x.path).size).toBe(x.size);
      expect(statSync(x.path).mode & 0o777).toBe(0o644);
      expect(sha256(readFileSync(x.path))).toBe(x.sha256);
    }
    f.remove();
    expect(() => statSync(f.dir)).toThrow();
  });
});

describe('nginx-files config', () => {
  it('serves the root with sendfile, tcp_nopush, an open-file cache, ETag and no access log', () => {
    const text = nginxFilesConfig({ dir: '/x', root: '/data', port: 8130, workers: 1 });
    expect(text).toMatch(/^worker_processes 1;$/m);
    expect(text).toMatch(/^\s+sendfile on;$/m);
    expect(text).toMatch(/^\s+tcp_nopush on;$/m);
    expect(text).toMatch(/^\s+open_file_cache max=1000 inactive=20s;$/m);
    expect(text).toMatch(/^\s+open_file_cache_valid 1s;$/m);
    expect(text).toMatch(/^\s+etag on;$/m);
    expect(text).toMatch(/access_log off;/);
    expect(text).toMatch(/listen 127\.0\.0\.1:8130;/);
    expect(text).toMatch(/^\s+root \/data;$/m);
    expect(text).not.toContain('return 200');
  });

  it.skipIf(!has('nginx'))('passes nginx -t', () => {
    const w = writeNginxFiles({ port: 8131, workers: 1, root: temp('bench-test-root-') });
    dirs.push(w.dir);
    const r = spawnSync('nginx', ['-t', ...w.args], { encoding: 'utf8' });
    expect(r.stderr).toMatch(/syntax is ok/);
    expect(r.status).toBe(0);
  });
});

describe('apache-files config', () => {
  it('is the Debian-default Apache with EnableSendfile On and the fixture as document root', () => {
    const text = apacheConfig({ dir: '/y', port: 8132, root: '/data', sendfile: true });
    expect(text).toMatch(/^EnableSendfile On$/m);
    expect(text).toMatch(/^DocumentRoot "\/data"$/m);
    expect(text).toMatch(/^<Directory "\/data">$/m);
    expect(text).toContain('LoadModule mpm_event_module');
    expect(text).toMatch(/^KeepAlive On$/m);
    expect(text).toMatch(/ThreadsPerChild\s+25\n/);
    // The 13-byte peer is unchanged: Debian leaves sendfile off.
    const plain = apacheConfig({ dir: '/y', port: 8132 });
    expect(plain).not.toMatch(/EnableSendfile/);
    expect(plain).toMatch(/^DocumentRoot "\/y\/htdocs"$/m);
  });

  it.skipIf(!has('apache2'))('passes apache2 -t', () => {
    const w = writeApacheFiles({ port: 8133, root: temp('bench-test-root-') });
    dirs.push(w.dir);
    const r = spawnSync('apache2', ['-t', '-f', w.conf], { encoding: 'utf8', env: { ...process.env, ...w.env } });
    expect(r.stderr).toMatch(/Syntax OK/);
    expect(r.status).toBe(0);
  });
});

describe('files servers', () => {
  it('lists the peers, each with the scenarios it serves, and refuses to start without the fixture', () => {
    expect(FILES_SERVERS.map((s) => s.name).slice(0, 6)).toEqual(['uvhttp-files', 'uvhttp-static', 'nginx-files', 'apache-files', 'fastify-static', 'bun-files']);
    expect(findServer('uvhttp-static', FILES_SERVERS).files).toEqual(['13b', '4k']);
    expect(findServer('nginx-files', FILES_SERVERS).files).toEqual(['13b', '4k', '1m', '100m']);
    expect(() => findServer('nginx', FILES_SERVERS)).toThrow(/servers: uvhttp-files/);
    expect(() => findServer('fastify-static', FILES_SERVERS).command({ port: 1, workers: 1 })).toThrow(/fixture dir/);
    const c = findServer('fastify-static', FILES_SERVERS).command({ port: 8134, workers: 1, root: '/data' });
    expect(c.args.slice(-2)).toEqual(['8134', '/data']);
  });
});

describe('Bun on demand', () => {
  const fakeBun = (dir: string, version = BUN_VERSION) => {
    const pkg = join(dir, 'node_modules', '@oven', 'bun-linux-x64');
    mkdirSync(join(pkg, 'bin'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: BUN_PACKAGE, version }));
    writeFileSync(join(pkg, 'bin', 'bun'), '#!/bin/sh\n', { mode: 0o755 });
  };

  it('caches outside the repository: $UVHTTP_BENCH_PEERS, $XDG_CACHE_HOME or ~/.cache', () => {
    expect(peersDir({ UVHTTP_BENCH_PEERS: '/p' })).toBe('/p');
    expect(peersDir({ XDG_CACHE_HOME: '/c', HOME: '/h' })).toBe('/c/uvhttp-bench');
    expect(peersDir({ HOME: '/h' })).toBe('/h/.cache/uvhttp-bench');
    expect(bunBinary('/p')).toBe('/p/node_modules/@oven/bun-linux-x64/bin/bun');
    expect(bunInstallArgs('/p')).toEqual(['install', '--prefix', '/p', '--no-save', '--no-audit', '--no-fund', `${BUN_PACKAGE}@${BUN_VERSION}`]);
  });

  it('runs on linux x64 only', () => {
    expect(bunUnsupported('linux', 'x64')).toBeNull();
    expect(bunUnsupported('linux', 'arm64')).toMatch(/linux x64 only \(this is linux arm64\)/);
    expect(ensureBun({ dir: '/nowhere', install: true, platform: 'darwin', arch: 'arm64' })).toEqual({ reason: expect.stringMatching(/linux x64 only/) });
  });

  it('finds an installed bun of the pinned version, not another one', () => {
    const a = temp('bench-test-peers-');
    expect(findBun(a)).toBeNull();
    fakeBun(a);
    expect(findBun(a)).toBe(bunBinary(a));
    const b = temp('bench-test-peers-');
    fakeBun(b, '1.0.0');
    expect(findBun(b)).toBeNull();
  });

  it('installs with npm when missing, and says why when it cannot', () => {
    const dir = temp('bench-test-peers-');
    const calls: string[][] = [];
    const log: string[] = [];
    expect(ensureBun({ dir, install: false, platform: 'linux', arch: 'x64' })).toEqual({ reason: expect.stringMatching(/not installed \(run `npm install --prefix/) });
    const ok = ensureBun({ dir, install: true, platform: 'linux', arch: 'x64', log: (s) => log.push(s), npm: (args) => (calls.push(args), fakeBun(dir)) });
    expect(ok).toEqual({ path: bunBinary(dir) });
    expect(calls).toEqual([bunInstallArgs(dir)]);
    expect(log[0]).toMatch(/installing @oven\/bun-linux-x64@/);
    // Found the second time: no npm.
    expect(ensureBun({ dir, install: true, platform: 'linux', arch: 'x64', npm: () => { throw new Error('npm again'); } })).toEqual({ path: bunBinary(dir) });

    const offline = temp('bench-test-peers-');
    const failed = ensureBun({ dir: offline, install: true, platform: 'linux', arch: 'x64', npm: () => { throw Object.assign(new Error('x'), { stderr: 'npm error\nnpm error code E404\n' }); } });
    expect(failed).toEqual({ reason: expect.stringMatching(/^cannot install @oven\/bun-linux-x64@.*: npm error code E404$/) });
    const empty = temp('bench-test-peers-');
    expect(ensureBun({ dir: empty, install: true, platform: 'linux', arch: 'x64', npm: () => {} })).toEqual({ reason: expect.stringMatching(/did not leave/) });
  });
});

describe('file scenarios and loads', () => {
  const base = { connections: 100, duration: 10, warmup: 2, quick: false };

  it('judges small files by requests and large ones by bytes; samples RSS for 100 MiB', () => {
    expect(FILE_SCENARIOS.map((s) => [s.name, s.unit, s.rss])).toEqual([
      ['13b', 'requests', false],
      ['4k', 'requests', false],
      ['1m', 'bytes', false],
      ['100m', 'bytes', true],
    ]);
    expect(fixtureFile(findFileScenario('1m')).size).toBe(MiB);
    expect(() => findFileScenario('10g')).toThrow(/scenarios: 13b, 4k, 1m, 100m/);
  });

  it('runs 100 MiB longer, with its own connections and a timeout past the run', () => {
    expect(fileLoad(findFileScenario('13b'), base)).toEqual({ connections: 100, seconds: 10, warmup: 2, timeoutS: 5 });
    expect(fileLoad(findFileScenario('1m'), base)).toEqual({ connections: 100, seconds: 10, warmup: 2, timeoutS: 20 });
    expect(fileLoad(findFileScenario('100m'), base)).toEqual({ connections: 100, seconds: 20, warmup: 2, timeoutS: 30, sampleRssMs: 200 });
    expect(fileLoad(findFileScenario('100m'), { ...base, quick: true })).toMatchObject({ connections: 10, seconds: 3 });
    expect(fileLoad(findFileScenario('100m'), { ...base, largeConnections: 50, largeDuration: 40 })).toMatchObject({ connections: 50, seconds: 40, timeoutS: 50 });
  });
});

describe('file check', () => {
  const want = { size: 4, sha256: sha256(Buffer.from('abcd')) };
  const res = (status: number, body: string, headers: Record<string, string> = { 'content-length': String(body.length) }) => ({
    status, headers, size: body.length, sha256: sha256(Buffer.from(body)),
  });

  it('names the first difference', () => {
    expect(fileMismatch(res(200, 'abcd'), want)).toBeNull();
    expect(fileMismatch(res(404, 'nope'), want)).toBe('status 404');
    expect(fileMismatch(res(200, 'abcd', {}), want)).toBe('no content-length header');
    expect(fileMismatch(res(200, 'abcde'), want)).toBe('content-length 5, expected 4');
    expect(fileMismatch(res(200, 'abce'), want)).toBe('body differs from the file (sha256)');
  });

  it('checks two answers on one keep-alive connection from a real server', async () => {
    const body = Buffer.from('abcd');
    let close = false;
    const srv = createServer((req, res) => {
      res.setHeader('content-length', 4);
      if (close) res.setHeader('connection', 'close');
      res.end(req.url === '/f' ? body : 'abce');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      expect(await checkFile({ port, path: '/f', ...want })).toEqual({ ok: true });
      expect(await checkFile({ port, path: '/g', ...want })).toEqual({ ok: false, reason: 'body differs from the file (sha256)' });
      close = true;
      expect(await checkFile({ port, path: '/f', ...want })).toEqual({ ok: false, reason: expect.stringMatching(/no keep-alive/) });
    } finally {
      srv.close();
    }
  });
});

describe('rounds', () => {
  it('rotate the server order so none always goes first', () => {
    expect(roundOrder(['a', 'b', 'c'], 1)).toEqual(['a', 'b', 'c']);
    expect(roundOrder(['a', 'b', 'c'], 2)).toEqual(['b', 'c', 'a']);
    expect(roundOrder(['a', 'b', 'c'], 4)).toEqual(['a', 'b', 'c']);
    expect(roundOrder([], 2)).toEqual([]);
  });
  it('give each server only the scenarios it serves', () => {
    const stat = findServer('uvhttp-static', FILES_SERVERS);
    expect(scenariosOf(stat, FILE_SCENARIOS).map((s) => s.name)).toEqual(['13b', '4k']);
    expect(scenariosOf(stat, [findFileScenario('100m')])).toEqual([]);
  });
});

describe('files summary', () => {
  const row = (server: string, scenario: string, round: number, fig: number | null, extra: Record<string, unknown> = {}) => {
    const bytes = scenario === '1m' || scenario === '100m';
    return {
      server, scenario, path: `/${scenario}`, mode: 'wrk', tool: 'wrk' as const, connections: 100, pipeline: 1, keepalive: true, round,
      requests_per_s: fig, per_cpu_s: bytes ? 1 : fig, p50_ms: 1, p99_ms: 2, errors: 0, rss_mb: 10,
      ...(bytes ? { bytes_per_cpu_s: fig, bytes_per_s: fig === null ? null : fig / 2 } : {}),
      ...extra,
    };
  };
  const runs = [
    ...[1, 2, 3].flatMap((r) => [
      row('uvhttp-files', '13b', r, [200_000, 260_000, 210_000][r - 1]),
      row('uvhttp-files', '4k', r, 150_000),
      row('uvhttp-files', '1m', r, 10 * MiB * 1024),
      row('uvhttp-files', '100m', r, 9 * MiB * 1024, { rss_idle_mb: 40 + r, rss_peak_mb: 45 + r }),
      row('uvhttp-static', '13b', r, 220_000),
      row('uvhttp-static', '4k', r, 200_000),
      row('nginx-files', '13b', r, 150_000),
      row('nginx-files', '4k', r, 100_000),
      row('nginx-files', '1m', r, 10 * MiB * 1024),
      row('nginx-files', '100m', r, 10 * MiB * 1024, { rss_idle_mb: 12, rss_peak_mb: 12 }),
    ]),
    row('bun-files', '13b', 1, null, { unsupported: 'status 500' }),
  ];

  it('takes medians over rounds, the lowest idle and highest peak RSS', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([null, undefined, NaN])).toBeNull();
    const s = summarizeFiles(runs);
    expect(s.map((x) => x.server)).toEqual(['uvhttp-files', 'uvhttp-static', 'nginx-files', 'bun-files']);
    const u = s[0].cells;
    expect(u['13b']).toMatchObject({ rounds: 3, per_cpu_s: 210_000, values: [200_000, 260_000, 210_000], errors: 0 });
    expect(u['100m']).toMatchObject({ bytes_per_cpu_s: 9 * MiB * 1024, rss_idle_mb: 41, rss_peak_mb: 48 });
    expect(s[3].cells['13b']).toMatchObject({ rounds: 0, per_cpu_s: null, failed: 'unsupported: status 500' });
  });

  it('prints one row per server: req/CPU-s, MiB/CPU-s and MiB/s, RSS idle → peak', () => {
    const lines = filesTable(summarizeFiles(runs)).split('\n');
    expect(lines[0]).toBe('| server | 13 B req/CPU-s | 4 KiB req/CPU-s | 1 MiB MiB/CPU-s | 100 MiB MiB/CPU-s | 1 MiB MiB/s | 100 MiB MiB/s | 100 MiB RSS MB idle → peak | errors | rounds |');
    expect(lines[2]).toBe('| uvhttp-files | **210,000** | **150,000** | **10,240** | **9,216** | 5,120 | 4,608 | 41.0 → 48.0 | 0 | 3 |');
    expect(lines[3]).toBe('| uvhttp-static | **220,000** | **200,000** | – | – | – | – | – | 0 | 3 |');
    expect(lines[5]).toBe('| bun-files | unsupported: status 500 | – | – | – | – | – | – | 0 | 0 |');
    const cols = (l: string) => l.split(/(?<!\\)\|/).length;
    for (const l of lines) expect(cols(l)).toBe(cols(lines[0]));
  });

  it('divides by nginx and by the static route, scenario by scenario', () => {
    const s = summarizeFiles(runs);
    expect(filesRatioTable(s, 'nginx-files').split('\n')).toEqual([
      '| ÷ nginx-files | 13 B | 4 KiB | 1 MiB | 100 MiB |',
      '| --- | --: | --: | --: | --: |',
      '| uvhttp-files | 1.40× | 1.50× | 1.00× | 0.90× |',
      '| uvhttp-static | 1.47× | 2.00× | – | – |',
    ]);
    expect(filesRatioTable(s, 'uvhttp-static').split('\n')).toEqual([
      '| ÷ uvhttp-static | 13 B | 4 KiB |',
      '| --- | --: | --: |',
      '| uvhttp-files | 0.95× | 0.75× |',
      '| nginx-files | 0.68× | 0.50× |',
    ]);
    expect(filesRatioTable(s, 'apache-files')).toBe('');
  });

  it("checks issue 9's targets", () => {
    const t = targetResults(summarizeFiles(runs));
    expect(t.map((x) => [x.target, x.met])).toEqual([
      ['13 B: uvhttp-files ≥ 1.3× nginx-files', true],
      ['4 KiB: uvhttp-files ≥ 1.3× nginx-files', true],
      ['13 B: uvhttp-files ≥ 0.9× uvhttp-static', true],
      ['4 KiB: uvhttp-files ≥ 0.9× uvhttp-static', false],
      ['1 MiB: uvhttp-files ≥ 1.0× nginx-files', true],
      ['100 MiB: uvhttp-files ≥ 1.0× nginx-files', false],
      ['100 MiB: uvhttp-files RSS grows < 16 MB (MB)', true],
    ]);
    expect(t[6].value).toBe(7);
    const table = targetTable(t).split('\n');
    expect(table[2]).toBe('| 13 B: uvhttp-files ≥ 1.3× nginx-files | 1.40× | yes |');
    expect(table[5]).toBe('| 4 KiB: uvhttp-files ≥ 0.9× uvhttp-static | 0.75× | **no** |');
    expect(table[8]).toBe('| 100 MiB: uvhttp-files RSS grows < 16 MB (MB) | 7.0 | yes |');
    expect(targetResults(summarizeFiles(runs.filter((r) => r.server !== 'uvhttp-files')))[0]).toMatchObject({ value: null, met: null });
    // A baseline build is judged against its own static route.
    const rename = (r: (typeof runs)[number]) => ({ ...r, server: r.server.startsWith('uvhttp') ? `${r.server}-baseline` : r.server });
    const b = targetResults(summarizeFiles(runs.map(rename)), 'uvhttp-files-baseline');
    expect(b[2]).toEqual({ target: '13 B: uvhttp-files-baseline ≥ 0.9× uvhttp-static-baseline', value: 210_000 / 220_000, met: true });
  });
});

describe('--suite files', () => {
  it('picks the files servers and scenarios, three rounds by default and one with --quick', () => {
    const o = parseCli(['--suite', 'files'], 2);
    expect(o.suite).toBe('files');
    expect(o.servers.map((s) => s.name).slice(0, 6)).toEqual(['uvhttp-files', 'uvhttp-static', 'nginx-files', 'apache-files', 'fastify-static', 'bun-files']);
    expect(o).toMatchObject({ rounds: 3, largeConnections: null, largeDuration: null });
    expect(parseCli(['--suite', 'files', '--quick'], 2)).toMatchObject({ rounds: 1, duration: 1 });
    const p = parseCli(['--suite', 'files', '--server', 'nginx-files', '--scenario', '13b,100m', '--rounds', '5', '--large-connections', '20', '--large-duration', '30'], 2);
    expect(p).toMatchObject({ scenarios: ['13b', '100m'], rounds: 5, largeConnections: 20, largeDuration: 30 });
  });
  it('rejects what does not belong to the suite', () => {
    expect(() => parseCli(['--suite', 'files', '--scenario', 'route'])).toThrow(/scenarios: 13b, 4k, 1m, 100m/);
    expect(() => parseCli(['--suite', 'files', '--server', 'nginx'])).toThrow(/unknown server "nginx"/);
    expect(() => parseCli(['--large-duration', '3'])).toThrow(/--large-duration is for --suite files/);
    expect(() => parseCli(['--rounds', '3', '--protocol', 'fapws'])).toThrow(/--rounds is not for/);
    expect(() => parseCli(['--suite', 'app', '--rounds', '3'])).toThrow(/--rounds is not for/);
    expect(parseCli(['--rounds', '3'], 2).rounds).toBe(3);
    expect(parseCli([], 2).rounds).toBe(1);
    expect(() => parseCli(['--suite', 'files', '--protocol', 'fapws'])).toThrow(/do not go together/);
    expect(() => parseCli(['--suite', 'big'])).toThrow(/unknown --suite/);
  });
});
