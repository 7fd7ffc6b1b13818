// The JSON results file and the markdown table.
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resultsDocument, writeResults, stamp, machine, medianRounds } from '../../bench/results.mjs';
import { markdownTable, fapwsLine, fmt, ratioTable } from '../../bench/report.mjs';
import { RUNS } from './fixtures/runs.mjs';

const dirs = /** @type {string[]} */ ([]);
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('medianRounds', () => {
  const row = (server: string, mode: string, per: number | null, extra: Record<string, unknown> = {}) =>
    ({ server, scenario: 'route', path: '/', mode, tool: 'wrk', connections: 100, pipeline: 1, keepalive: true, requests_per_s: per, per_cpu_s: per, p50_ms: null, p99_ms: null, errors: 0, rss_mb: null, requests: (per ?? 0) * 5, ...extra }) as any; // requests differ per round

  it('keeps one round as it is', () => {
    const one = [row('a', 'wrk', 1)];
    expect(medianRounds([one])).toBe(one);
  });

  it('takes the median round of each row and lists every round beside it, rows in first-seen order', () => {
    const out = medianRounds([
      [row('a', 'wrk', 300, { p99_ms: 3 }), row('b', 'wrk', 10)],
      [row('a', 'wrk', 100, { p99_ms: 1 }), row('b', 'wrk', 30), row('a', 'ab', 7)],
      [row('a', 'wrk', 200, { p99_ms: 2 }), row('b', 'wrk', 20)],
    ]);
    expect(out.map((r) => [r.server, r.mode, r.per_cpu_s, r.p99_ms, r.rounds_per_cpu_s])).toEqual([
      ['a', 'wrk', 200, 2, [300, 100, 200]],
      ['b', 'wrk', 20, null, [10, 30, 20]],
      ['a', 'ab', 7, null, [7]],
    ]);
  });

  it('an even count takes the lower middle; failed rounds are left out of the median but listed', () => {
    const out = medianRounds([[row('a', 'wrk', 40)], [row('a', 'wrk', 10)], [row('a', 'wrk', null, { error: 'exited' })], [row('a', 'wrk', 20)], [row('a', 'wrk', 30)]]);
    expect([out[0].per_cpu_s, out[0].rounds_per_cpu_s]).toEqual([20, [40, 10, null, 20, 30]]);
    expect(markdownTable(out).split('\n')[2]).toMatch(/\| 40 10 – 20 30 \|$/);
    const none = medianRounds([[row('x', 'wrk', null, { unsupported: 'no' })], [row('x', 'wrk', null, { unsupported: 'no' })]]);
    expect(none[0].unsupported).toBe('no');
  });
});

describe('results JSON', () => {
  it('has the documented shape', () => {
    const doc = resultsDocument({ date: new Date('2026-01-02T03:04:05.678Z'), runs: RUNS });
    expect(doc.date).toBe('2026-01-02T03:04:05.678Z');
    expect(Object.keys(doc.machine).sort()).toEqual(['cpus', 'kernel', 'model', 'node']);
    expect(doc.machine.cpus).toBeGreaterThan(0);
    expect(doc.machine.node).toBe(process.version);
    for (const r of doc.runs) {
      for (const k of ['server', 'scenario', 'tool', 'connections', 'pipeline', 'keepalive', 'requests_per_s', 'per_cpu_s', 'p50_ms', 'p99_ms', 'errors', 'rss_mb']) {
        expect(r).toHaveProperty(k);
      }
    }
    expect(doc.runs[2].unsupported).toMatch(/505/);
  });

  it('writes latest.json and a timestamped copy with the same content', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-results-'));
    dirs.push(dir);
    const doc = resultsDocument({ date: new Date('2026-01-02T03:04:05.678Z'), runs: RUNS, extra: { protocol: 'default' } });
    const files = writeResults(dir, doc);
    expect(files.copy).toBe(join(dir, '2026-01-02T03-04-05Z.json'));
    expect(readdirSync(dir).sort()).toEqual(['2026-01-02T03-04-05Z.json', 'latest.json']);
    const back = JSON.parse(readFileSync(files.latest, 'utf8'));
    expect(back).toEqual(JSON.parse(readFileSync(files.copy, 'utf8')));
    expect(back.protocol).toBe('default');
    expect(back.runs).toHaveLength(3);
    writeResults(dir, doc, 'fapws-');
    expect(readdirSync(dir)).toContain('fapws-latest.json');
  });

  it('stamps file names without colons', () => {
    expect(stamp(new Date('2026-11-22T01:02:03.456Z'))).toBe('2026-11-22T01-02-03Z');
  });

  it('describes this machine', () => {
    expect(machine().model.length).toBeGreaterThan(0);
  });
});

describe('markdown table', () => {
  it('has a header, one row per run, and the unsupported reason', () => {
    const lines = markdownTable(RUNS).split('\n');
    expect(lines).toHaveLength(2 + RUNS.length);
    expect(lines[0]).toMatch(/^\| server \| scenario \| mode \|.*req\/s \| req\/CPU-s \|/);
    expect(lines[2]).toContain('| 51,715 | **108,167** | 47% | 47% | 3% | 0.92 | 8.42 | 0 | 12.3 |');
    expect(lines[4]).toContain('unsupported: HTTP/1.0: status 505');
    const cols = (/** @type {string} */ l) => l.split(/(?<!\\)\|/).length;
    for (const l of lines) expect(cols(l)).toBe(cols(lines[0]));
  });

  it('formats missing numbers as a dash', () => {
    expect(fmt(null)).toBe('–');
    expect(fmt(1234.5, 1)).toBe('1,234.5');
  });
});

describe('Fapws4 lines', () => {
  it('prints "N C /path: rps"', () => {
    expect(fapwsLine({ requests: 1000, connections: 10, path: '/', requests_per_s: 12345.678 })).toBe('1000 10 /: 12345.68');
    expect(fapwsLine({ requests: 1000, connections: 10, path: '/', requests_per_s: null, unsupported: '505' })).toBe('1000 10 /: unsupported (505)');
  });
});

describe('ratio table', () => {
  const run = (server: string, scenario: string, mode: string, perCpu: number | null, unsupported?: string) => ({
    server, scenario, path: '/', mode, tool: mode.startsWith('wrk') ? 'wrk' : 'ab', connections: 100, pipeline: 1, keepalive: true,
    requests_per_s: perCpu, per_cpu_s: perCpu, p50_ms: 1, p99_ms: 2, errors: 0, rss_mb: 10, ...(unsupported ? { unsupported } : {}),
  });

  it("divides uvhttp's per-CPU-second figure by each peer's best scenario, mode by mode", () => {
    const lines = ratioTable([
      run('uvhttp-static', 'route', 'wrk', 150_000),
      run('uvhttp-static', 'route', 'ab', 30_000),
      run('uwebsockets', 'handler', 'wrk', 100_000),
      run('uwebsockets', 'handler', 'ab', null, 'HTTP/1.0: status 505'),
      run('nginx', 'route', 'wrk', 120_000),
      run('nginx', 'file', 'wrk', 60_000),
      run('nginx', 'route', 'ab', 40_000),
    ]).split('\n');
    expect(lines[0]).toBe('| uvhttp ÷ peer | mode | uwebsockets | nginx |');
    expect(lines[2]).toBe('| uvhttp-static | wrk | 1.50× | 1.25× |');
    expect(lines[3]).toBe('| uvhttp-static | ab | – | 0.75× |');
    expect(lines).toHaveLength(4);
  });

  it('is empty without uvhttp or without peers', () => {
    expect(ratioTable([run('nginx', 'route', 'wrk', 1)])).toBe('');
    expect(ratioTable([run('uvhttp-static', 'route', 'wrk', 1)])).toBe('');
  });
});
