// A 100 MiB generated stream to a client that reads slowly: the server's memory stays bounded by the
// high-water mark and the socket buffers, not by what the source can produce.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect, afterAll, vi } from 'vitest';
import { get, sleep } from '../helpers/http.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 10_000 });

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const MiB = 1024 * 1024;
const BLOCK = 64 * 1024;

function startChild(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(join(root, 'node_modules', '.bin', 'vite-node'), [join(here, 'fixtures', 'stream-server.ts')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, port: (JSON.parse(line) as { port: number }).port });
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening: ${out}`)));
  });
}

async function rss(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/rss`);
  return ((await res.json()) as { rss: number }).rss;
}

describe('a large stream to a slow reader', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('100 MiB arrive intact while the server holds a few MiB at most', async () => {
    const started = await startChild();
    child = started.child;
    const { port } = started;
    // Warm up: the first stream's allocations are not growth.
    await (await fetch(`http://127.0.0.1:${port}/big/1`)).arrayBuffer();
    const base = await rss(port);

    const total = 100 * MiB;
    let peak = base;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await rss(port));
        await sleep(50);
      }
    })();

    // A raw socket that takes 256 KiB, then stops reading for 10 ms: about 25 MB/s.
    const sock = net.connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
    sock.write(get(`/big/${total / MiB}`));
    let head: Buffer | undefined;
    let pending = Buffer.alloc(0);
    let body = 0;
    let bad = -1;
    let sinceBreak = 0;
    let done = false;
    const ended = new Promise<void>((resolve, reject) => {
      sock.on('data', (d: Buffer) => {
        // Decode the chunked body as it comes; check each byte against its block's fill.
        pending = pending.length ? Buffer.concat([pending, d]) : d;
        if (head === undefined) {
          const end = pending.indexOf('\r\n\r\n');
          if (end < 0) return;
          head = pending.subarray(0, end);
          pending = pending.subarray(end + 4);
        }
        for (;;) {
          const line = pending.indexOf('\r\n');
          if (line < 0) break;
          const size = parseInt(pending.subarray(0, line).toString('latin1'), 16);
          if (pending.length < line + 2 + size + 2) break;
          if (size === 0) {
            done = true;
            resolve();
            return;
          }
          const data = pending.subarray(line + 2, line + 2 + size);
          for (let i = 0; i < data.length; i += 4096) {
            if (bad < 0 && data[i] !== (Math.floor((body + i) / BLOCK) & 0xff)) bad = body + i;
          }
          body += size;
          pending = pending.subarray(line + 2 + size + 2);
        }
        sinceBreak += d.length;
        if (sinceBreak >= 256 * 1024) {
          sinceBreak = 0;
          sock.pause();
          setTimeout(() => sock.resume(), 10);
        }
      });
      sock.on('close', () => (done ? resolve() : reject(new Error(`closed after ${body} bytes`))));
    });
    await ended;
    sampling = false;
    await sampler;
    sock.destroy();

    expect(head!.toString('latin1')).toContain('Transfer-Encoding: chunked');
    expect(body).toBe(total);
    expect(bad).toBe(-1);
    // Unbounded buffering would hold a good part of the 100 MiB; bounded is the high-water mark and
    // the socket buffers, plus garbage not yet collected.
    expect(peak - base, `RSS from ${(base / MiB).toFixed(0)} MiB to a peak of ${(peak / MiB).toFixed(0)} MiB`).toBeLessThan(16 * MiB);
  });
});
