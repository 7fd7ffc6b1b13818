// CPU time and memory of a process tree, read from /proc.
//
// A server is measured as a whole tree (nginx master + workers, apache + its children):
// for every live process we take its threads' run time plus cutime+cstime (children it has
// already reaped), so CPU spent by a child that exits mid-run is still counted once.
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // Linux has used 100 on every mainstream architecture for decades.
}

/**
 * Parse the fields of /proc/<pid>/stat we need. The command name is in parentheses and may
 * contain spaces or ')', so fields are counted from the last ')'.
 * @param {string} text
 * @returns {{ pid: number, ppid: number, ticks: number, childTicks: number }} ticks: utime+stime+cutime+cstime
 */
export function parseStat(text) {
  const close = text.lastIndexOf(')');
  const pid = Number(text.slice(0, text.indexOf(' ')));
  // After ')': state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17)
  const f = text.slice(close + 2).split(' ');
  const ppid = Number(f[1]);
  const childTicks = Number(f[13]) + Number(f[14]);
  const ticks = Number(f[11]) + Number(f[12]) + childTicks;
  return { pid, ppid, ticks, childTicks };
}

/** @returns {Map<number, { ppid: number, ticks: number, childTicks: number }>} every readable process */
function allProcesses() {
  const procs = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = parseStat(readFileSync(`/proc/${name}/stat`, 'utf8'));
      procs.set(s.pid, s);
    } catch {
      // The process exited between readdir and read.
    }
  }
  return procs;
}

/**
 * The pids of `root` and all its descendants.
 * @param {number} root
 * @param {Map<number, { ppid: number }>} [procs]
 */
export function processTree(root, procs = allProcesses()) {
  const children = new Map();
  for (const [pid, p] of procs) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(pid);
  }
  const out = [];
  const todo = procs.has(root) ? [root] : [];
  while (todo.length) {
    const pid = /** @type {number} */ (todo.pop());
    out.push(pid);
    for (const c of children.get(pid) ?? []) todo.push(c);
  }
  return out;
}

/**
 * Nanoseconds run by every thread of `pid` (/proc/<pid>/task/<tid>/schedstat, first field), or
 * null if schedstat is unavailable. /proc/<pid>/stat counts in clock ticks (10 ms), too coarse
 * for the short runs of the Fapws4 matrix (ab -n 1000 can take 0.1 s).
 * @param {number} pid
 */
function threadsNs(pid) {
  let ns = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    }
  } catch {
    return null;
  }
  return ns;
}

/**
 * CPU seconds used so far by the tree rooted at `root`: for each live process, its threads'
 * run time (ns precision when schedstat is there, else utime+stime) plus cutime+cstime (its
 * reaped children).
 * @param {number} root
 */
export function treeCpuSeconds(root) {
  const procs = allProcesses();
  let seconds = 0;
  for (const pid of processTree(root, procs)) {
    const p = /** @type {{ ticks: number, childTicks: number }} */ (procs.get(pid));
    const ns = threadsNs(pid);
    seconds += ns === null ? p.ticks / clkTck : ns / 1e9 + p.childTicks / clkTck;
  }
  return seconds;
}

/**
 * Read a `Vm*:  1234 kB` line from /proc/<pid>/status, in kB (0 if absent).
 * @param {string} status
 * @param {string} key
 */
export function statusKb(status, key) {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : 0;
}

/**
 * Memory of the tree in MB: `rss` is the current resident set summed over processes and
 * `hwm` the sum of each process's peak (VmHWM). Shared pages count once per process.
 * @param {number} root
 */
export function treeMemoryMb(root) {
  let rss = 0;
  let hwm = 0;
  for (const pid of processTree(root)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      rss += statusKb(status, 'VmRSS');
      hwm += statusKb(status, 'VmHWM');
    } catch {
      // Exited meanwhile.
    }
  }
  return { rss: rss / 1024, hwm: hwm / 1024 };
}

/**
 * CPU seconds of this process's reaped children (cutime+cstime of /proc/self/stat).
 * The delta around one bounded load-generator run is that run's CPU time, because the
 * servers (also our children) are only reaped when they stop.
 */
export function reapedChildrenCpuSeconds() {
  const text = readFileSync('/proc/self/stat', 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / clkTck;
}

/**
 * CPU seconds the whole machine has been busy (every core, all processes), from /proc/stat.
 * Minus the server's and the load generator's share, it tells how much else was running.
 */
export function machineBusySeconds() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return (user + nice + system + irq + softirq + steal) / clkTck;
}
