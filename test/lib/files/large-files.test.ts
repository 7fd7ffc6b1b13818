// Large files: 20 MiB intact over keep-alive and then another request on the same connection,
// pipelined large/small/304 answered in order, a slow reader with bounded server buffers, and a client
// that leaves in the middle without disturbing others or leaking a descriptor.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp, type Started } from '../../helpers/app.js';
import { buildRequest, get } from '../../helpers/http.js';
import { StreamClient, etagOf, makeTree, pattern, sha256, type Tree } from './fixture.js';
import type { FileStats } from '../../../lib/index.js';

vi.setConfig({ testTimeout: 20_000, hookTimeout: 15_000 });

const MiB = 1024 * 1024;
const BIG = pattern(20 * MiB, 20);
const BIG_SHA = sha256(BIG);
const SMALL = 'a small file after a big one\n';

const OTHER = pattern(3 * MiB, 21);
const EXPECTED: Record<string, string> = { '/other.bin': sha256(OTHER), '/big.bin': BIG_SHA, '/small.txt': sha256(SMALL) };

let t: Tree;
let s: Started;

const files = (): FileStats => s.app.stats().files;

beforeAll(async () => {
  t = makeTree({ 'big.bin': BIG, 'small.txt': SMALL, 'other.bin': OTHER });
  s = await startApp((app) => app.serveDir('/', t.root));
});

afterAll(async () => {
  await s?.stop();
  t?.cleanup();
});

const idle = () => vi.waitFor(() => expect(s.app.stats().connections).toBe(0), { timeout: 3000, interval: 20 });

describe('a 20 MiB file', () => {
  it('arrives intact over keep-alive, and the next request on the connection is answered right', async () => {
    const c = await StreamClient.connect(s.port);
    try {
      const first = c.expect();
      c.write(get('/big.bin'));
      const big = await first;
      expect(big.status).toBe(200);
      expect(big.headers['content-length']).toBe(String(BIG.length));
      expect(big.headers['content-type']).toBe('application/octet-stream');
      expect(big.length).toBe(BIG.length);
      expect(big.sha256, 'the 20 MiB body differs').toBe(BIG_SHA);
      const second = c.expect();
      c.write(get('/small.txt'));
      const small = await second;
      expect(small.status).toBe(200);
      expect(small.body?.toString()).toBe(SMALL);
      const third = c.expect();
      c.write(get('/big.bin'));
      expect((await third).sha256).toBe(BIG_SHA);
      expect(c.closed).toBe(false);
    } finally {
      c.destroy();
    }
  });

  it('pipelined in one write: big, small, 304, HEAD big, big range, small — answered in order', async () => {
    const c = await StreamClient.connect(s.port);
    try {
      const want = [c.expect(), c.expect(), c.expect(), c.expect(true), c.expect(), c.expect()];
      c.write(
        Buffer.concat([
          get('/big.bin'),
          get('/small.txt'),
          get('/big.bin', { 'If-None-Match': etagOf(t.file('big.bin')) }),
          buildRequest('HEAD', '/big.bin'),
          get('/big.bin', { Range: 'bytes=10485760-10485859' }),
          get('/small.txt'),
        ]),
      );
      const [big, small, nm, head, part, small2] = await Promise.all(want);
      expect(big.status).toBe(200);
      expect(big.sha256).toBe(BIG_SHA);
      expect(small.status).toBe(200);
      expect(small.body?.toString()).toBe(SMALL);
      expect(nm.status).toBe(304);
      expect(nm.headers['content-length']).toBeUndefined();
      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe(String(BIG.length));
      expect(part.status).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes 10485760-10485859/${BIG.length}`);
      expect(part.body?.equals(BIG.subarray(10485760, 10485860))).toBe(true);
      expect(small2.body?.toString()).toBe(SMALL);
      // Nothing extra after the last response.
      await new Promise((r) => setTimeout(r, 50));
      expect(c.received).toBe(
        [big, small, nm, head, part, small2].reduce((a, r) => a + r.rawHead.length + 4 + r.length, 0),
      );
    } finally {
      c.destroy();
    }
  });

  it('a slow reader (1 MiB per 100 ms) gets every byte while the server buffers stay under 4 MiB', async () => {
    const c = await StreamClient.connect(s.port);
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, s.app.stats().bufferedBytes);
    }, 10);
    try {
      let window = 0;
      c.onBody = (chunk) => {
        window += chunk.length;
        if (window >= MiB) {
          window = 0;
          c.socket.pause();
          setTimeout(() => c.socket.resume(), 100);
        }
      };
      const t0 = performance.now();
      const res = c.expect(false, 15_000);
      c.write(get('/big.bin'));
      const big = await res;
      const elapsed = performance.now() - t0;
      expect(big.sha256, 'the slowly read body differs').toBe(BIG_SHA);
      // The throttle really throttled (20 pauses of 100 ms), so the server really had to wait.
      expect(elapsed).toBeGreaterThan(1500);
      expect(peak, `peak bufferedBytes ${peak}`).toBeLessThan(4 * MiB);
      // And the connection is still good.
      c.onBody = undefined;
      const next = c.expect();
      c.write(get('/small.txt'));
      expect((await next).body?.toString()).toBe(SMALL);
    } finally {
      clearInterval(sampler);
      c.destroy();
    }
  });

  it('a client leaving mid-file does not disturb others, and the descriptors return to rest', async () => {
    // Rest: after full transfers of every file used below, with the cache holding what it holds.
    const warm = await StreamClient.connect(s.port);
    for (const p of Object.keys(EXPECTED)) {
      const w = warm.expect();
      warm.write(get(p));
      expect((await w).sha256, p).toBe(EXPECTED[p]);
    }
    warm.destroy();
    await idle();
    const rest = files().openFiles;

    const leavers = await Promise.all(Array.from({ length: 4 }, () => StreamClient.connect(s.port)));
    for (const l of leavers) {
      let got = 0;
      l.onBody = (chunk) => {
        got += chunk.length;
        if (got > MiB) l.socket.destroy();
      };
      l.expect().catch(() => {});
      l.write(get('/big.bin'));
    }
    // Others keep being served, in full, while the leavers come and go.
    const other = await StreamClient.connect(s.port);
    try {
      for (const p of Object.keys(EXPECTED)) {
        const r = other.expect();
        other.write(get(p));
        const res = await r;
        expect(res.status, p).toBe(200);
        expect(res.sha256, p).toBe(EXPECTED[p]);
      }
    } finally {
      other.destroy();
    }
    // A leaver that never destroyed itself (raced the end) must not keep the test waiting.
    for (const l of leavers) l.destroy();
    await idle();
    await vi.waitFor(() => expect(files().openFiles).toBe(rest), { timeout: 3000, interval: 20 });
  });
});
