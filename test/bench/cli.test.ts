// Command-line parsing and the core split.
import { describe, it, expect } from 'vitest';
import { parseCli, splitCpus, countCpus } from '../../bench/cli.mjs';
import { MODES } from '../../bench/modes.mjs';
import { matrix, FULL, QUICK } from '../../bench/fapws.mjs';

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
