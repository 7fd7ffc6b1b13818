// One measurement: warm up, then run the tool while reading the server tree's CPU time and
// memory from /proc and the load generator's CPU time from our reaped-children counters.
import { runBounded } from './processes.mjs';
import { treeCpuSeconds, treeMemoryMb, reapedChildrenCpuSeconds, machineBusySeconds } from './cpu.mjs';
import { wrkArgs, parseWrk } from './tools/wrk.mjs';
import { abArgs, parseAb } from './tools/ab.mjs';
import { heyArgs, parseHey } from './tools/hey.mjs';

/**
 * @typedef {import('./modes.mjs').Mode} Mode
 * `timeoutS`: wrk's per-response timeout (large files); `sampleRssMs`: also sample the server
 * tree's resident memory this often during the run (its start and peak go in the row);
 * `tail`: wrk also reports p99.9 (bench/latency.lua); `source`: ab connects from this local address
 * (-B; the Fapws4 matrix spreads its runs over 127.0.0.x, see fapws.mjs); `nofile`: raise the
 * tool's open-file limit to this first (prlimit; 1,000 connections need more than some defaults).
 * @typedef {{ mode: Mode, url: string, connections: number, seconds?: number, requests?: number,
 *   loadCpus?: string, loadCores: number, timeoutS?: number, sampleRssMs?: number, tail?: boolean,
 *   source?: string, nofile?: number }} Load
 */

/** The tool command line for a load. @param {Load} l @returns {{ cmd: string, args: string[] }} */
export function toolCommand(l) {
  if (l.nofile) {
    const inner = toolCommand({ ...l, nofile: undefined });
    return { cmd: 'prlimit', args: [`--nofile=${l.nofile}`, '--', inner.cmd, ...inner.args] };
  }
  if (l.mode.tool === 'wrk') {
    return {
      cmd: 'wrk',
      args: wrkArgs({
        url: l.url,
        connections: l.connections,
        threads: l.loadCores,
        seconds: l.seconds ?? 1,
        pipeline: l.mode.pipeline,
        timeout: l.timeoutS,
        tail: l.tail,
      }),
    };
  }
  if (l.mode.tool === 'hey') {
    return { cmd: 'hey', args: heyArgs({ url: l.url, concurrency: l.connections, requests: l.requests, seconds: l.seconds }) };
  }
  return {
    cmd: 'ab',
    args: abArgs({ url: l.url, concurrency: l.connections, requests: l.requests, seconds: l.seconds, keepalive: l.mode.keepalive, source: l.source }),
  };
}

/** @param {number} mb */
const round1 = (mb) => Math.round(mb * 10) / 10;

/** @param {Load} l */
function timeoutMs(l) {
  if (l.seconds) return (l.seconds + 20) * 1000;
  return (60 + (l.requests ?? 0) / 200) * 1000;
}

/**
 * Run a load without measuring (warm-up). Errors are ignored: the measured run reports them.
 * @param {Load} l
 */
export async function warmUp(l) {
  const { cmd, args } = toolCommand(l);
  await runBounded({ cmd, args, cpus: l.loadCpus, timeoutMs: timeoutMs(l) });
}

/**
 * @param {Load & { serverPid: number }} l
 */
export async function measureLoad(l) {
  const { cmd, args } = toolCommand(l);
  const command = ['taskset', '-c', l.loadCpus, cmd, ...args].filter(Boolean).join(' ');
  const cpu0 = treeCpuSeconds(l.serverPid);
  const client0 = reapedChildrenCpuSeconds();
  const busy0 = machineBusySeconds();
  const self0 = process.cpuUsage();
  const rssStart = l.sampleRssMs ? treeMemoryMb(l.serverPid).rss : 0;
  let rssPeak = rssStart;
  const sampler = l.sampleRssMs ? setInterval(() => (rssPeak = Math.max(rssPeak, treeMemoryMb(l.serverPid).rss)), l.sampleRssMs) : null;
  const t0 = process.hrtime.bigint();
  const r = await runBounded({ cmd, args, cpus: l.loadCpus, timeoutMs: timeoutMs(l) }).finally(() => sampler && clearInterval(sampler));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const serverCpu = treeCpuSeconds(l.serverPid) - cpu0;
  const clientCpu = reapedChildrenCpuSeconds() - client0;
  const self = process.cpuUsage(self0);
  // Everything else: other users of the machine (the harness itself excluded).
  const otherCpu = Math.max(0, machineBusySeconds() - busy0 - serverCpu - clientCpu - (self.user + self.system) / 1e6);
  const mem = treeMemoryMb(l.serverPid);
  const raw = `$ ${command}\n${r.stdout}${r.stderr ? `\n[stderr]\n${r.stderr}` : ''}`;
  if (r.timedOut) throw Object.assign(new Error(`${cmd} did not finish in time (killed)`), { raw });
  /** @type {{ requests: number, seconds: number, requests_per_s: number, p50_ms: number | null, p99_ms: number | null, p999_ms?: number | null, bytes?: number }} */
  let parsed;
  let errors;
  /** @type {string[]} */
  const notes = [];
  try {
    if (l.mode.tool === 'wrk') {
      const w = parseWrk(r.stdout);
      parsed = w;
      errors = w.non2xx + w.socket_errors;
      if (w.socket_errors) notes.push(`socket errors: ${JSON.stringify(w.socket)}`);
      if (w.non2xx) notes.push(`${w.non2xx} non-2xx`);
    } else if (l.mode.tool === 'hey') {
      const h = parseHey(r.stdout);
      parsed = h;
      errors = h.non2xx + h.errors;
      if (h.errors) notes.push(`errors: ${JSON.stringify(h.error_detail)}`);
      if (h.non2xx) notes.push(`${h.non2xx} non-2xx`);
    } else {
      const a = parseAb(r.stdout);
      parsed = a;
      errors = a.failed + a.non2xx;
      if (a.failed) notes.push(`failed: ${JSON.stringify(a.failed_detail)}`);
      if (a.non2xx) notes.push(`${a.non2xx} non-2xx`);
      if (l.mode.keepalive && a.keepalive_requests !== null && a.keepalive_requests < a.requests * 0.9)
        notes.push(`only ${a.keepalive_requests} of ${a.requests} requests were kept alive`);
    }
  } catch (e) {
    throw Object.assign(new Error(`${cmd} exited with ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').pop()}`), { raw });
  }
  const loadgenPct = (100 * clientCpu) / wall;
  const otherPct = (100 * otherCpu) / wall;
  if (otherPct > 20) notes.push(`other processes used ${otherPct.toFixed(0)}% of a core during the run`);
  if (loadgenPct > 90 * l.loadCores) notes.push('the load generator saturated its cores: req/s is a floor for this server');
  // The tool's own window is what the requests were counted over; the CPU window is ours
  // (slightly longer: process start and exit), so per-CPU-second is a slight underestimate.
  return {
    command,
    raw,
    requests: parsed.requests,
    seconds: parsed.seconds,
    wall_s: wall,
    requests_per_s: parsed.requests_per_s,
    server_cpu_s: serverCpu,
    per_cpu_s: serverCpu > 0 ? parsed.requests / serverCpu : null,
    server_cpu_pct: (100 * serverCpu) / wall,
    loadgen_cpu_pct: loadgenPct,
    other_cpu_pct: otherPct,
    p50_ms: parsed.p50_ms,
    p99_ms: parsed.p99_ms,
    ...(l.tail ? { p999_ms: parsed.p999_ms ?? null } : {}),
    errors,
    rss_mb: Math.round(mem.hwm * 10) / 10,
    ...(typeof parsed.bytes === 'number'
      ? { bytes: parsed.bytes, bytes_per_s: parsed.bytes / parsed.seconds, bytes_per_cpu_s: serverCpu > 0 ? parsed.bytes / serverCpu : null }
      : {}),
    ...(l.sampleRssMs ? { rss_start_mb: round1(rssStart), rss_peak_mb: round1(Math.max(rssPeak, treeMemoryMb(l.serverPid).rss)) } : {}),
    notes,
  };
}
