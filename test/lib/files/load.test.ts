// Many files, many connections: 200 keep-alive connections fetching random files with every body
// checked, then a 10,000-file directory requested at random with descriptors counted in /proc/self/fd
// (the server runs in this process) against maxOpenFiles, and entries against maxEntries.
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp, type Started } from '../../helpers/app.js';
import { ResponseStream } from '../../helpers/hardening.js';
import { get } from '../../helpers/http.js';
import { StreamClient, makeTree, openFdCount, pattern, sha256, type Tree } from './fixture.js';
import type { FileStats } from '../../../lib/index.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 20_000 });


/** Deterministic PRNG so a failing run can be repeated. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

describe('200 keep-alive connections fetching random files', () => {
  const N_FILES = 300;
  const CONNECTIONS = 200;
  const PER_CONNECTION = 5;
  let t: Tree;
  let s: Started;
  const expected = new Map<string, { sha: string; size: number }>();

  beforeAll(async () => {
    const rand = rng(7);
    const entries: Record<string, Buffer> = {};
    // The edges of the in-memory limit and empty files are always there.
    const sizes = [0, 1, 65535, 65536, 65537, 300 * 1024];
    while (sizes.length < N_FILES) sizes.push(Math.floor(rand() * 300 * 1024));
    sizes.forEach((size, i) => {
      const body = pattern(size, i + 1);
      entries[`r/${i}.bin`] = body;
      expected.set(`/r/${i}.bin`, { sha: sha256(body), size });
    });
    t = makeTree(entries);
    s = await startApp((app) => app.serveDir('/', t.root));
  });
  afterAll(async () => {
    await s?.stop();
    t?.cleanup();
  });

  it('every body matches its sha256, and the file counters account for every 200', async () => {
    const before = s.app.stats().files as FileStats;
    const rand = rng(11);
    const paths = [...expected.keys()];
    let ok = 0;
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        const c = await StreamClient.connect(s.port);
        try {
          for (let i = 0; i < PER_CONNECTION; i++) {
            const p = paths[Math.floor(rand() * paths.length)];
            const r = c.expect(false, 20_000);
            c.write(get(p));
            const res = await r;
            const want = expected.get(p)!;
            if (res.status === 200 && res.length === want.size && res.sha256 === want.sha) ok++;
            else failures.push(`${p}: status ${res.status}, ${res.length} bytes (want ${want.size}), sha ${res.sha256 === want.sha ? 'ok' : 'differs'}`);
          }
        } finally {
          c.destroy();
        }
      }),
    );
    expect(failures.slice(0, 10), `${failures.length} bad responses`).toEqual([]);
    expect(ok).toBe(CONNECTIONS * PER_CONNECTION);
    const after = s.app.stats().files as FileStats;
    const served = after.memoryHits - before.memoryHits + (after.sendfileResponses - before.sendfileResponses);
    // Every 200 came from memory or from sendfile, and none is counted twice.
    expect(served).toBeGreaterThanOrEqual(ok);
    expect(served).toBeLessThanOrEqual(ok);
    expect(after.memoryBytes).toBeLessThanOrEqual(64 * 1024 * 1024);
    await vi.waitFor(() => expect(s.app.stats().connections).toBe(0), { timeout: 3000 });
  });
});

describe('a 10,000-file directory under tight fd limits', () => {
  const N_FILES = 10_000;
  const CONNECTIONS = 50;
  const REQUESTS = 20_000;
  const DEPTH = 16;
  let t: Tree;
  const body = (i: number) => `file number ${i}\n`;

  beforeAll(() => {
    t = makeTree({});
    fs.mkdirSync(t.file('many'));
    for (let i = 0; i < N_FILES; i++) fs.writeFileSync(t.file(`many/${i}.txt`), body(i));
  });
  afterAll(() => t?.cleanup());

  /**
   * Sends REQUESTS random GETs over CONNECTIONS connections, DEPTH pipelined at a time per connection;
   * checks each body against its path; calls sample() every few ms while running.
   */
  async function hammer(port: number, sample: () => void): Promise<{ ok: number; bad: string[] }> {
    const rand = rng(3);
    let remaining = REQUESTS;
    let ok = 0;
    const bad: string[] = [];
    const timer = setInterval(sample, 5);
    try {
      await Promise.all(
        Array.from(
          { length: CONNECTIONS },
          () =>
            new Promise<void>((resolve, reject) => {
              const sock = net.connect({ port, host: '127.0.0.1' });
              const sent: number[] = [];
              const send = () => {
                const batch: Buffer[] = [];
                while (batch.length < DEPTH && remaining > 0) {
                  const i = Math.floor(rand() * N_FILES);
                  sent.push(i);
                  batch.push(get(`/many/${i}.txt`));
                  remaining--;
                }
                if (batch.length === 0) {
                  sock.end();
                  return;
                }
                sock.write(Buffer.concat(batch));
              };
              const stream = new ResponseStream((r) => {
                const i = sent.shift()!;
                if (r.status === 200 && r.bodyStart === body(i)) ok++;
                else bad.push(`/many/${i}.txt: ${r.status} ${JSON.stringify(r.bodyStart.slice(0, 40))}`);
                if (sent.length === 0) send();
              });
              sock.on('connect', send);
              sock.on('data', (d) => stream.push(d));
              sock.on('error', reject);
              sock.on('close', () => (stream.error ? reject(new Error(stream.error)) : resolve()));
            }),
        ),
      );
    } finally {
      clearInterval(timer);
    }
    return { ok, bad };
  }

  it('maxOpenFiles: 64 with every file on an fd: descriptors stay within 64 + connections of the baseline', async () => {
    const s = await startApp((app) => app.serveDir('/', t.root), { fileCache: { maxOpenFiles: 64, maxFileSize: 0 } } as never);
    try {
      const baseline = openFdCount();
      let peak = baseline;
      let peakOpenFiles = 0;
      const { ok, bad } = await hammer(s.port, () => {
        peak = Math.max(peak, openFdCount());
        peakOpenFiles = Math.max(peakOpenFiles, (s.app.stats().files as FileStats).openFiles);
      });
      expect(bad.slice(0, 10), `${bad.length} bad responses`).toEqual([]);
      expect(ok).toBe(REQUESTS);
      // Each connection is two descriptors here (client and server side); margin 16 for the runtime.
      const bound = baseline + 64 + 2 * CONNECTIONS + 16;
      expect(peak, `baseline ${baseline}, peak ${peak}`).toBeLessThanOrEqual(bound);
      expect(peakOpenFiles).toBeLessThanOrEqual(64 + CONNECTIONS);
      await vi.waitFor(() => expect(s.app.stats().connections).toBe(0), { timeout: 3000 });
      const rest = s.app.stats().files as FileStats;
      expect(rest.openFiles).toBeLessThanOrEqual(64);
      expect(openFdCount(), `baseline ${baseline}`).toBeLessThanOrEqual(baseline + 64 + 16);
      expect(rest.sendfileResponses).toBeGreaterThanOrEqual(REQUESTS);
    } finally {
      await s.stop();
    }
  });

  it('maxEntries: 1000 with default options: the entries stay within 1000', async () => {
    const s = await startApp((app) => app.serveDir('/', t.root), { fileCache: { maxEntries: 1000 } } as never);
    try {
      let peakEntries = 0;
      const { ok, bad } = await hammer(s.port, () => {
        peakEntries = Math.max(peakEntries, (s.app.stats().files as FileStats).entries);
      });
      expect(bad.slice(0, 10), `${bad.length} bad responses`).toEqual([]);
      expect(ok).toBe(REQUESTS);
      const f = s.app.stats().files as FileStats;
      expect(f.entries).toBeLessThanOrEqual(1000);
      expect(f.entries).toBeGreaterThan(0);
      expect(peakEntries).toBeLessThanOrEqual(1000);
      // Small files live in memory: every 200 came from there.
      expect(f.memoryHits).toBeGreaterThanOrEqual(REQUESTS);
    } finally {
      await s.stop();
    }
  });
});
