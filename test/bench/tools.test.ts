// wrk and ab: command lines and the parsing of outputs captured from real runs on the bench
// machine (test/bench/fixtures/, see fixtures/README.md).
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseWrk, wrkArgs, binaryBytes, latencyLines, PIPELINE_SCRIPT, LATENCY_SCRIPT } from '../../bench/tools/wrk.mjs';
import { parseAb, abArgs } from '../../bench/tools/ab.mjs';
import { parseHey, heyArgs } from '../../bench/tools/hey.mjs';
import { toolCommand } from '../../bench/measure.mjs';
import { findMode } from '../../bench/modes.mjs';
import { durationMs } from '../../bench/tools/units.mjs';

const fixture = (/** @type {string} */ name) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('durationMs', () => {
  it('reads wrk time units', () => {
    expect(durationMs('850.00us')).toBeCloseTo(0.85);
    expect(durationMs('1.23ms')).toBeCloseTo(1.23);
    expect(durationMs('2.00s')).toBe(2000);
    expect(durationMs('1.50m')).toBe(90000);
    expect(durationMs('fast')).toBeNaN();
  });
});

describe('binaryBytes', () => {
  it('reads wrk byte counts in binary units', () => {
    expect(binaryBytes('512.00B')).toBe(512);
    expect(binaryBytes('16.42MB')).toBeCloseTo(16.42 * 1024 ** 2);
    expect(binaryBytes('3.83GB')).toBeCloseTo(3.83 * 1024 ** 3);
    expect(binaryBytes('1.00TB')).toBe(1024 ** 4);
    expect(binaryBytes('lots')).toBeNaN();
  });
});

describe('parseWrk', () => {
  it("keeps the bytes read: a large file's transfer, partial responses included", () => {
    const r = parseWrk(fixture('wrk-large-file.txt'));
    expect(r.requests).toBe(35);
    expect(r.bytes).toBeCloseTo(3.83 * 1024 ** 3);
    // More than the 35 complete 100 MiB responses: the unfinished ones count too.
    expect(r.bytes).toBeGreaterThan(35 * 100 * 1024 ** 2);
    expect(r.p50_ms).toBeCloseTo(756.97);
    expect(parseWrk(fixture('wrk-keepalive.txt')).bytes).toBeCloseTo(16.42 * 1024 ** 2);
  });

  it('parses a keep-alive run with --latency', () => {
    const r = parseWrk(fixture('wrk-keepalive.txt'));
    expect(r.requests).toBeGreaterThan(0);
    expect(r.seconds).toBeGreaterThan(1.9);
    expect(r.requests_per_s).toBeCloseTo(r.requests / r.seconds, -3);
    expect(r.p50_ms).toBeGreaterThan(0);
    expect(r.p99_ms).toBeGreaterThanOrEqual(/** @type {number} */ (r.p50_ms));
    expect(r.non2xx).toBe(0);
    expect(r.socket_errors).toBe(0);
  });

  it('reads latencies printed in microseconds', () => {
    const r = parseWrk(fixture('wrk-uws.txt'));
    expect(r.p50_ms).toBeCloseTo(0.414);
    expect(r.p99_ms).toBeCloseTo(8.18);
    expect(r.requests).toBe(54993);
    expect(r.requests_per_s).toBeCloseTo(54794.26);
  });

  it('parses a pipelined run', () => {
    const r = parseWrk(fixture('wrk-pipeline.txt'));
    expect(r.requests_per_s).toBeGreaterThan(0);
    expect(r.p99_ms).not.toBeNull();
  });

  it('reads percentiles wrk printed as 0.00us (no samples, pipelined) as unknown', () => {
    const r = parseWrk(fixture('wrk-pipeline-zero-percentiles.txt'));
    expect(r.p50_ms).toBeCloseTo(2.06);
    expect(r.p99_ms).toBeNull();
    expect(r.requests).toBe(548000);
  });

  it('counts non-2xx responses', () => {
    const r = parseWrk(fixture('wrk-non2xx.txt'));
    expect(r.non2xx).toBe(47578);
    expect(r.non2xx).toBe(r.requests);
  });

  it('counts socket errors', () => {
    const r = parseWrk(fixture('wrk-socket-errors.txt'));
    expect(r.socket).toEqual({ connect: 0, read: 7708, write: 0, timeout: 0 });
    expect(r.socket_errors).toBe(7708);
    expect(r.seconds).toBeCloseTo(1.1);
  });

  it('refuses output without results', () => {
    expect(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(/cannot parse wrk/);
  });

  it('reads p99.9 from bench/latency.lua, and has none without the script', () => {
    const r = parseWrk(fixture('wrk-app-latency.txt'));
    expect(r.p50_ms).toBeCloseTo(102.64);
    expect(r.p99_ms).toBeCloseTo(133.26);
    expect(r.p999_ms).toBeCloseTo(136.528);
    expect(r.requests).toBe(1867);
    expect(parseWrk(fixture('wrk-keepalive.txt')).p999_ms).toBeNull();
  });

  it('reads a 1,000-connection run whose tail is in seconds', () => {
    const r = parseWrk(fixture('wrk-app-c1000.txt'));
    expect(r.p99_ms).toBe(2100);
    expect(r.p999_ms).toBeCloseTo(2845.899);
    // The script's p99 is the same histogram as --latency's, to the microsecond.
    expect(latencyLines(fixture('wrk-app-c1000.txt'))['p99']).toBeCloseTo(2096.208);
  });
});

describe('latencyLines', () => {
  it('reads every line of the script, in ms, and drops empty percentiles', () => {
    expect(latencyLines('latency_us p50 102635\nlatency_us p99.9 136528\nlatency_us p99.99 0\nlatency_us max 136538\n')).toEqual({
      p50: 102.635,
      'p99.9': 136.528,
      max: 136.538,
    });
    expect(latencyLines('Requests/sec: 1')).toEqual({});
  });
});

describe('wrkArgs', () => {
  it('builds a keep-alive run', () => {
    expect(wrkArgs({ url: 'http://127.0.0.1:1/', connections: 100, threads: 1, seconds: 3 })).toEqual([
      '-t1', '-c100', '-d3s', '--latency', '--timeout', '5s', 'http://127.0.0.1:1/',
    ]);
  });
  it('adds the pipeline script and its depth', () => {
    const args = wrkArgs({ url: 'http://127.0.0.1:1/', connections: 100, threads: 2, seconds: 1, pipeline: 16 });
    expect(args.slice(-5)).toEqual(['-s', PIPELINE_SCRIPT, 'http://127.0.0.1:1/', '--', '16']);
    expect(PIPELINE_SCRIPT).toMatch(/bench\/pipeline\.lua$/);
  });
  it('adds the latency script for p99.9', () => {
    const args = wrkArgs({ url: 'http://127.0.0.1:1/app', connections: 1000, threads: 1, seconds: 10, timeout: 10, tail: true });
    expect(args).toEqual(['-t1', '-c1000', '-d10s', '--latency', '--timeout', '10s', '-s', LATENCY_SCRIPT, 'http://127.0.0.1:1/app']);
    expect(LATENCY_SCRIPT).toMatch(/bench\/latency\.lua$/);
  });
  it('never asks for more threads than connections', () => {
    expect(wrkArgs({ url: 'u', connections: 1, threads: 4, seconds: 1 })[0]).toBe('-t1');
  });
  it('takes a longer response timeout for large files', () => {
    expect(wrkArgs({ url: 'u', connections: 100, threads: 1, seconds: 20, timeout: 30 }).slice(3, 6)).toEqual(['--latency', '--timeout', '30s']);
  });
});

describe('parseAb', () => {
  it('parses a run without keep-alive (the Fapws4 protocol)', () => {
    const r = parseAb(fixture('ab.txt'));
    expect(r.requests).toBe(2000);
    expect(r.failed).toBe(0);
    expect(r.non2xx).toBe(0);
    expect(r.keepalive_requests).toBeNull();
    expect(r.requests_per_s).toBeGreaterThan(0);
    expect(r.p50_ms).not.toBeNull();
    expect(r.p99_ms).toBeGreaterThanOrEqual(/** @type {number} */ (r.p50_ms));
  });

  it('parses -k with its Keep-Alive count', () => {
    const r = parseAb(fixture('ab-k.txt'));
    expect(r.requests).toBe(5000);
    expect(r.keepalive_requests).toBe(5000);
    expect(r.requests_per_s).toBeCloseTo(35004.69);
    expect(r.seconds).toBeCloseTo(0.143);
  });

  it('parses a time-limited -k run', () => {
    const r = parseAb(fixture('ab-k-timelimit.txt'));
    expect(r.seconds).toBeGreaterThan(0.9);
    expect(r.requests).toBeGreaterThan(0);
  });

  it('counts non-2xx answers (uWebSockets answers HTTP/1.0 with 505)', () => {
    const r = parseAb(fixture('ab-505.txt'));
    expect(r.non2xx).toBe(500);
    expect(r.failed).toBe(0);
  });

  it('counts failed requests with their breakdown', () => {
    const r = parseAb(fixture('ab-length-failures.txt'));
    expect(r.failed).toBe(200);
    expect(r.failed_detail).toEqual({ connect: 0, receive: 0, length: 200, exceptions: 0 });
  });

  it('leaves percentiles null when ab printed none', () => {
    const text = fixture('ab-k.txt').split('Percentage of the requests')[0];
    const r = parseAb(text);
    expect(r.p50_ms).toBeNull();
    expect(r.p99_ms).toBeNull();
  });

  it('refuses output without results', () => {
    expect(() => parseAb('apr_socket_connect(): Connection refused (111)')).toThrow(/cannot parse ab/);
  });
});

describe('parseHey', () => {
  it('parses the seed 001 run, hey -n 2000 -c 50', () => {
    const r = parseHey(fixture('hey.txt'));
    expect(r).toMatchObject({ requests: 2000, seconds: 0.0585, p50_ms: 1.2, p99_ms: 5.1, non2xx: 0, errors: 0, statuses: { 200: 2000 } });
    expect(r.requests_per_s).toBeCloseTo(2000 / 0.0585);
  });

  it('parses a timed run (-z)', () => {
    const r = parseHey(fixture('hey-duration.txt'));
    expect(r.requests).toBe(39247);
    expect(r.seconds).toBeCloseTo(1.0006);
  });

  it('counts non-2xx statuses', () => {
    const r = parseHey(fixture('hey-non2xx.txt'));
    expect(r.non2xx).toBe(500);
    expect(r.statuses).toEqual({ 404: 500 });
  });

  it('counts errors, and only responses as requests', () => {
    const r = parseHey(fixture('hey-errors.txt'));
    expect(r.requests).toBe(379);
    expect(r.errors).toBe(21);
    expect(r.error_detail).toEqual({ 'Get "http://127.0.0.1:18614/": EOF': 21 });
  });

  it('does not take hey\'s own req/s when every request failed', () => {
    // hey prints "Requests/sec: 28750.2180" for 200 refused connections.
    const r = parseHey(fixture('hey-refused.txt'));
    expect(r).toMatchObject({ requests: 0, requests_per_s: 0, errors: 200, p50_ms: null, p99_ms: null });
  });

  it('refuses output without results', () => {
    expect(() => parseHey('Usage: hey [options...] <url>')).toThrow(/cannot parse hey/);
  });
});

describe('heyArgs', () => {
  it('builds the seed run, or a timed one', () => {
    expect(heyArgs({ url: 'http://h/', concurrency: 50, requests: 2000 })).toEqual(['-n', '2000', '-c', '50', '-t', '10', 'http://h/']);
    expect(heyArgs({ url: 'http://h/', concurrency: 100, seconds: 5 })).toEqual(['-z', '5s', '-c', '100', '-t', '10', 'http://h/']);
  });
});

describe('toolCommand', () => {
  const base = { url: 'http://127.0.0.1:1/', connections: 50, loadCores: 1 };
  it('runs hey for the hey mode', () => {
    expect(toolCommand({ ...base, mode: findMode('hey'), requests: 2000 })).toEqual({ cmd: 'hey', args: ['-n', '2000', '-c', '50', '-t', '10', base.url] });
  });
  it('connects ab from a source address', () => {
    expect(toolCommand({ ...base, mode: findMode('ab'), requests: 1000, source: '127.0.0.7' }).args.slice(4, 6)).toEqual(['-B', '127.0.0.7']);
  });
  it('raises the open-file limit with prlimit when asked', () => {
    const c = toolCommand({ ...base, connections: 1000, mode: findMode('wrk'), seconds: 1, nofile: 1256 });
    expect(c.cmd).toBe('prlimit');
    expect(c.args.slice(0, 3)).toEqual(['--nofile=1256', '--', 'wrk']);
  });
});

describe('abArgs', () => {
  it('builds the seed protocol run: -n N -c C, no keep-alive', () => {
    expect(abArgs({ url: 'http://h/', concurrency: 10, requests: 1000 })).toEqual(['-q', '-r', '-s', '10', '-n', '1000', '-c', '10', 'http://h/']);
  });
  it('builds a time-limited keep-alive run', () => {
    expect(abArgs({ url: 'http://h/', concurrency: 100, seconds: 2, keepalive: true })).toEqual([
      '-q', '-r', '-s', '10', '-k', '-t', '2', '-n', '10000000', '-c', '100', 'http://h/',
    ]);
  });
});
