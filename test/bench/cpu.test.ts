// /proc readers: stat parsing, the process tree, CPU and memory of a real child tree.
import { describe, it, expect, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { parseStat, processTree, treeCpuSeconds, treeMemoryMb, statusKb } from '../../bench/cpu.mjs';
import { countConnections, countSockets, procAddress } from '../../bench/netstat.mjs';

const children = /** @type {import('node:child_process').ChildProcess[]} */ ([]);
afterAll(() => children.forEach((c) => c.kill('SIGKILL')));

describe('parseStat', () => {
  it('reads ppid and utime+stime+cutime+cstime, even with spaces and ) in the name', () => {
    const line = '4242 (my (odd) name) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0 123 1000 200 18446744073709551615';
    expect(parseStat(line)).toEqual({ pid: 4242, ppid: 17, ticks: 250 + 50 + 7 + 3, childTicks: 7 + 3 });
  });
});

describe('statusKb', () => {
  it('reads a Vm line in kB', () => {
    const status = 'Name:\tnode\nVmHWM:\t   51234 kB\nVmRSS:\t   40000 kB\n';
    expect(statusKb(status, 'VmHWM')).toBe(51234);
    expect(statusKb(status, 'VmRSS')).toBe(40000);
    expect(statusKb(status, 'VmSwap')).toBe(0);
  });
});

describe('process tree', () => {
  it('finds a grandchild and counts the CPU the tree burns', async () => {
    // sh -> node busy loop (a grandchild of this test via sh).
    const child = spawn('sh', ['-c', `${process.execPath} -e "const t=Date.now(); while(Date.now()-t<400){} setInterval(()=>{},1000)" & wait`], { stdio: 'ignore' });
    children.push(child);
    const pid = /** @type {number} */ (child.pid);
    await new Promise((r) => setTimeout(r, 700));
    const tree = processTree(pid);
    expect(tree[0]).toBe(pid);
    expect(tree.length).toBeGreaterThanOrEqual(2);
    expect(treeCpuSeconds(pid)).toBeGreaterThan(0.05);
    const mem = treeMemoryMb(pid);
    expect(mem.hwm).toBeGreaterThan(10);
    expect(mem.hwm).toBeGreaterThanOrEqual(mem.rss);
    for (const p of tree.slice(1)) process.kill(p, 'SIGKILL');
  });

  it('is empty for a pid that does not exist', () => {
    expect(processTree(2 ** 22 + 12345)).toEqual([]);
    expect(treeCpuSeconds(2 ** 22 + 12345)).toBe(0);
  });
});

describe('countConnections', () => {
  it('counts every socket but listeners in /proc/net/tcp', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0',
      '   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1',
      '   2: 0100007F:1F90 0100007F:C351 06 00000000:00000000 03:00001000 00000000     0        0 0 3 0000000000000000',
      '',
    ].join('\n');
    expect(countConnections(text)).toBe(2);
  });
});

describe('countSockets', () => {
  const text = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0',
    '   1: 0100007F:1F90 0200007F:C350 06 00000000:00000000 03:00001000 00000000     0        0 0 3 0000000000000000',
    '   2: 0100007F:1F90 0300007F:C351 06 00000000:00000000 03:00001000 00000000     0        0 0 3 0000000000000000',
    '   3: 0200007F:C352 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1',
    '',
  ].join('\n');
  it("counts TIME_WAIT, and the sockets on one address (a Fapws4 run's source)", () => {
    expect(procAddress('127.0.0.2', 'LE')).toBe('0200007F');
    expect(procAddress('127.0.0.2', 'BE')).toBe('7F000002');
    expect(countSockets(text, procAddress('127.0.0.2', 'LE'))).toEqual({ open: 3, timeWait: 2, address: 2 });
    expect(countSockets(text, procAddress('127.0.0.9', 'LE')).address).toBe(0);
    expect(countSockets(text)).toEqual({ open: 3, timeWait: 2, address: 0 });
  });
  it('finds the address IPv4-mapped in tcp6', () => {
    const six = [
      '  sl  local_address                         remote_address                        st',
      '   0: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000200007F:C350 06 0',
    ].join('\n');
    expect(countSockets(six, '0200007F')).toEqual({ open: 1, timeWait: 1, address: 1 });
  });
});
