#!/usr/bin/env node
// npm run bench:stream [-- --mib 100 --downloads 5 --rounds 3 --out DIR]: a generated streamed response
// (64 KiB writes with backpressure) downloaded by curl, uvhttp against node:http. The server is pinned
// to CPU 0 and curl to CPU 1; the figure is MB of body per server CPU-second (CPU from /proc), the
// median of interleaved rounds, beside the wall-clock MB/s.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { treeCpuSeconds } from './cpu.mjs';
import { canConnect, freePort } from './server-process.mjs';
import { killAll, startProcess } from './processes.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const SERVERS = [
  { name: 'uvhttp', script: join(here, 'stream', 'uvhttp-stream.mjs') },
  { name: 'node-http', script: join(here, 'stream', 'node-stream.mjs') },
];

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '100' },
    downloads: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string' },
  },
});
const mib = Number(values.mib);
const downloads = Number(values.downloads);
const rounds = Number(values.rounds);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// curl is the load, not the server under test: it runs without a preloaded sanitizer runtime
// (scripts/asan.sh sets LD_PRELOAD, and curl under it hangs).
const { LD_PRELOAD: _preload, ...curlEnv } = process.env;
/** @param {string} url @param {string[]} extra */
const curl = (url, extra = []) =>
  execFileSync('taskset', ['-c', '1', 'curl', '-sS', '-o', '/dev/null', ...extra, url], { encoding: 'utf8', env: curlEnv });

async function measure(server) {
  const port = await freePort();
  const proc = startProcess({ cmd: process.execPath, args: [server.script, String(port)], cpus: '0' });
  for (let i = 0; !(await canConnect(port)); i++) {
    if (i > 200) throw new Error(`${server.name} did not start: ${proc.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = `http://127.0.0.1:${port}/stream/${mib}`;
  curl(url); // warm-up
  const cpu0 = treeCpuSeconds(proc.pid);
  const t0 = performance.now();
  let bytes = 0;
  for (let i = 0; i < downloads; i++) {
    const out = curl(url, ['-w', '%{size_download}']);
    bytes += Number(out);
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = treeCpuSeconds(proc.pid) - cpu0;
  await proc.stop();
  if (bytes !== downloads * mib * 1024 * 1024) throw new Error(`${server.name}: ${bytes} bytes, expected ${downloads * mib} MiB`);
  const mb = bytes / 1e6;
  return { mb_per_cpu_s: mb / cpu, mb_per_s: mb / wall, cpu_s: cpu };
}

try {
  const results = Object.fromEntries(SERVERS.map((s) => [s.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const s of SERVERS) {
      const m = await measure(s);
      results[s.name].push(m);
      console.error(`round ${r + 1} ${s.name}: ${m.mb_per_cpu_s.toFixed(0)} MB per server CPU-s, ${m.mb_per_s.toFixed(0)} MB/s`);
    }
  }
  const rows = SERVERS.map((s) => ({
    server: s.name,
    mb_per_cpu_s: median(results[s.name].map((m) => m.mb_per_cpu_s)),
    mb_per_s: median(results[s.name].map((m) => m.mb_per_s)),
    rounds: results[s.name],
  }));
  const base = rows.find((r) => r.server === 'node-http');
  console.log(`| server | MB per server CPU-s | MB/s (wall) | vs node:http |\n| --- | --: | --: | --: |`);
  for (const r of rows) {
    console.log(`| ${r.server} | ${r.mb_per_cpu_s.toFixed(0)} | ${r.mb_per_s.toFixed(0)} | ${(r.mb_per_cpu_s / base.mb_per_cpu_s).toFixed(2)}× |`);
  }
  if (values.out) {
    mkdirSync(values.out, { recursive: true });
    writeFileSync(join(values.out, 'stream.json'), JSON.stringify({ mib, downloads, rounds, rows }, null, 2));
  }
} finally {
  killAll();
}
