// Servers run in their own process group and are stopped with everything they forked.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { startProcess, runBounded, liveCount, pinned } from '../../bench/processes.mjs';
import { processTree } from '../../bench/cpu.mjs';

// Alive and not a zombie waiting for init to reap it.
const alive = (/** @type {number} */ pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

describe('processes', () => {
  it('prefixes taskset only when cores are given', () => {
    expect(pinned('0', 'nginx', ['-c', 'x'])).toEqual({ cmd: 'taskset', args: ['-c', '0', 'nginx', '-c', 'x'] });
    expect(pinned(undefined, 'nginx', [])).toEqual({ cmd: 'nginx', args: [] });
  });

  it('stops a server and the children it forked', async () => {
    const p = startProcess({ cmd: 'sh', args: ['-c', 'sleep 30 & sleep 30 & wait'] });
    await new Promise((r) => setTimeout(r, 300));
    const tree = processTree(p.pid);
    expect(tree.length).toBeGreaterThanOrEqual(3);
    await p.stop(1000);
    await new Promise((r) => setTimeout(r, 100));
    for (const pid of tree) expect(alive(pid), `pid ${pid}`).toBe(false);
    expect(liveCount()).toBe(0);
  });

  it('kills a bounded run that overstays', async () => {
    const t0 = Date.now();
    const r = await runBounded({ cmd: 'sleep', args: ['30'], timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(liveCount()).toBe(0);
  });

  it('captures a bounded run pinned to a core', async () => {
    const r = await runBounded({ cmd: 'sh', args: ['-c', 'echo hi; echo err >&2'], cpus: '0', timeoutMs: 5000 });
    expect(r).toMatchObject({ code: 0, stdout: 'hi\n', stderr: 'err\n', timedOut: false });
  });
});
