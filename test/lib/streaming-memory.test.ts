// A 100 MiB generated stream to a client that reads slowly, and a 50 MiB upload streamed to a file:
// the server's memory stays bounded by the high-water marks and the socket buffers, not by what the
// source can produce or the client can send.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { get, sleep } from '../helpers/http.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 10_000 });

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const MiB = 1024 * 1024;
const BLOCK = 64 * 1024;
/**
 * What the server may grow by. Under a sanitizer (scripts/asan.sh) the allocator's redzones and its
 * 32 MiB quarantine of freed memory inflate RSS: there the bound only catches a runaway, and the
 * plain run is the one that tells bounded from buffered.
 */
const RSS_BOUND = (process.env.UVHTTP_SANITIZER ? 80 : 16) * MiB;

function startChild(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(join(root, 'node_modules', '.bin', 'vite-node'), [join(here, 'fixtures', 'stream-server.ts')], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc` },
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

/** Samples the server's RSS every intervalMs until stop(), which resolves with the peak seen. */
function sampleRss(port: number, base: number, intervalMs: number): { stop: () => Promise<number> } {
  let peak = base;
  let sampling = true;
  const done = (async () => {
    while (sampling) {
      peak = Math.max(peak, await rss(port));
      await sleep(intervalMs);
    }
  })();
  return {
    stop: async () => {
      sampling = false;
      await done;
      return peak;
    },
  };
}

async function rss(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/rss`);
  return ((await res.json()) as { rss: number }).rss;
}

describe('large streams both ways', () => {
  let child: ChildProcess | undefined;
  let port = 0;
  beforeAll(async () => {
    const started = await startChild();
    child = started.child;
    port = started.port;
  });
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('100 MiB arrive intact while the server holds a few MiB at most', async () => {
    // Warm up: the first stream's allocations are not growth.
    await (await fetch(`http://127.0.0.1:${port}/big/1`)).arrayBuffer();
    const base = await rss(port);

    const total = 100 * MiB;
    const sampler = sampleRss(port, base, 50);

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
    const peak = await sampler.stop();
    sock.destroy();

    expect(head!.toString('latin1')).toContain('Transfer-Encoding: chunked');
    expect(body).toBe(total);
    expect(bad).toBe(-1);
    // Unbounded buffering would hold a good part of the 100 MiB; bounded is the high-water mark and
    // the socket buffers.
    expect(peak - base, `RSS from ${(base / MiB).toFixed(0)} MiB to a peak of ${(peak / MiB).toFixed(0)} MiB`).toBeLessThan(RSS_BOUND);
  });

  it('a 50 MiB upload streamed to a file: all of it, in order, while the server holds a few MiB at most', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uvhttp-upload-'));
    try {
      const to = join(dir, 'upload.bin');
      const warm = await fetch(`http://127.0.0.1:${port}/upload?to=${encodeURIComponent(to)}`, { method: 'POST', body: Buffer.alloc(MiB) });
      expect(warm.status).toBe(200);
      const base = await rss(port);
      const sampler = sampleRss(port, base, 20);

      // 50 MiB of varied bytes, sent as fast as the socket takes them.
      const total = 50 * MiB;
      const block = Buffer.alloc(MiB);
      const hash = createHash('sha256');
      const sock = net.connect({ port, host: '127.0.0.1' });
      await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
      let answer = '';
      sock.on('data', (d) => (answer += d.toString('latin1')));
      const answered = new Promise<void>((resolve) => sock.on('data', () => answer.includes('}') && resolve()));
      sock.write(`POST /upload?to=${encodeURIComponent(to)} HTTP/1.1\r\nHost: x\r\nContent-Length: ${total}\r\n\r\n`);
      for (let i = 0; i < total / MiB; i++) {
        for (let j = 0; j < MiB; j += 4) block.writeUInt32LE((i * MiB + j) >>> 0, j);
        hash.update(block);
        if (!sock.write(Buffer.from(block))) await new Promise((r) => sock.once('drain', r));
        await sleep(5); // about 100 MB/s: long enough for the RSS samples to see what the server holds
      }
      await answered;
      const peak = await sampler.stop();
      sock.destroy();
      const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { size: number; sha256: string };
      expect(body).toEqual({ size: total, sha256: hash.digest('hex') });
      expect(peak - base, `RSS from ${(base / MiB).toFixed(0)} MiB to a peak of ${(peak / MiB).toFixed(0)} MiB`).toBeLessThan(RSS_BOUND);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
