// Timeouts (checked once a second, so windows are generous): headersTimeout → 408, requestTimeout
// (whole request, body included) → 408, keepAliveTimeout → closed without a response.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bytewise, exchange, rejectionProblems } from '../helpers/hardening.js';
import { RawClient, get, show, sleep } from '../helpers/http.js';
import { HOST, startHardeningServer, type HardeningServer } from './app.js';

vi.setConfig({ testTimeout: 15_000, hookTimeout: 10_000 });

const OPTIONS = { headersTimeout: 1000, requestTimeout: 2500, keepAliveTimeout: 1000 };

describe('timeouts', () => {
  let s: HardeningServer;
  let before: { timeouts: number };
  let errorsBefore = 0;
  const timedOut408: string[] = [];
  let silent408 = 0; // 1 when the never-sent-a-byte connection was answered 408 (allowed) rather than just closed

  beforeAll(async () => {
    s = await startHardeningServer(OPTIONS);
    before = s.app.stats();
    errorsBefore = s.clientErrors.length;
  });
  afterAll(async () => {
    await s?.stop();
  });

  // These run at the same time: each waits for a timer of the server's.
  describe('408 and idle close (concurrently)', () => {
    it.concurrent('slowloris: one head byte every 250 ms is cut with 408 by headersTimeout (1000)', async () => {
      const req = `GET /ok HTTP/1.1\r\n${HOST}User-Agent: ${'s'.repeat(40)}\r\n\r\n`;
      const x = await exchange(s.port, bytewise(req), { writeDelayMs: 250, timeoutMs: 6000 });
      expect(rejectionProblems(x, 408)).toEqual([]);
      expect(x.firstResponseMs!, 'answered after headersTimeout').toBeGreaterThanOrEqual(900);
      expect(x.firstResponseMs!, 'answered within a few ticks').toBeLessThanOrEqual(3500);
      expect(x.bytesWritten, 'the head never completed').toBeLessThan(req.length);
      timedOut408.push('slowloris');
    });

    it.concurrent('a head that stalls half-way gets 408 by headersTimeout (1000)', async () => {
      const x = await exchange(s.port, `GET /ok HTTP/1.1\r\n${HOST}X-Partial: abc`, { timeoutMs: 6000 });
      expect(rejectionProblems(x, 408)).toEqual([]);
      expect(x.firstResponseMs!).toBeGreaterThanOrEqual(900);
      expect(x.firstResponseMs!).toBeLessThanOrEqual(3500);
      timedOut408.push('stalled head');
    });

    it.concurrent('a body that stalls gets 408 by requestTimeout (2500), not by headersTimeout', async () => {
      const x = await exchange(s.port, `POST /echo HTTP/1.1\r\n${HOST}Content-Length: 100\r\n\r\n0123456789`, { timeoutMs: 7000 });
      expect(rejectionProblems(x, 408)).toEqual([]);
      expect(x.firstResponseMs!).toBeGreaterThanOrEqual(2400);
      expect(x.firstResponseMs!).toBeLessThanOrEqual(5000);
      timedOut408.push('stalled body');
    });

    it.concurrent('a body trickled one byte every 200 ms gets 408 by requestTimeout (2500)', async () => {
      const head = `POST /echo HTTP/1.1\r\n${HOST}Content-Length: 100\r\n\r\n`;
      const x = await exchange(s.port, [head, ...bytewise('b'.repeat(100))], { writeDelayMs: 200, timeoutMs: 7000 });
      expect(rejectionProblems(x, 408)).toEqual([]);
      expect(x.firstResponseMs!).toBeGreaterThanOrEqual(2400);
      expect(x.firstResponseMs!).toBeLessThanOrEqual(5000);
      timedOut408.push('trickled body');
    });

    it.concurrent('a chunked body trickled chunk by chunk gets 408 by requestTimeout (2500)', async () => {
      const head = `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n`;
      const x = await exchange(s.port, [head, ...Array.from({ length: 40 }, () => '1\r\nx\r\n')], { writeDelayMs: 200, timeoutMs: 7000 });
      expect(rejectionProblems(x, 408)).toEqual([]);
      expect(x.firstResponseMs!).toBeGreaterThanOrEqual(2400);
      expect(x.firstResponseMs!).toBeLessThanOrEqual(5000);
      timedOut408.push('trickled chunks');
    });

    it.concurrent('an idle keep-alive connection is closed at keepAliveTimeout (1000) without a response', async () => {
      const c = await RawClient.connect(s.port);
      try {
        const r = await c.request(get('/ok'));
        expect(r.text).toBe('ok');
        const t0 = performance.now();
        expect(await c.waitForEnd(5000), 'closed by the server').toBe(true);
        const idleMs = performance.now() - t0;
        expect(idleMs).toBeGreaterThanOrEqual(900);
        expect(idleMs).toBeLessThanOrEqual(3500);
        expect(c.pending.length, `bytes after the response: ${show(c.pending)}`).toBe(0);
        expect(c.error, 'orderly close, not a reset').toBeUndefined();
      } finally {
        c.destroy();
      }
    });

    it.concurrent('a keep-alive connection with a request every 400 ms stays open past keepAliveTimeout', async () => {
      const c = await RawClient.connect(s.port);
      try {
        const t0 = performance.now();
        let n = 0;
        while (performance.now() - t0 < 3000) {
          expect((await c.request(get('/ok'))).text).toBe('ok');
          n++;
          await sleep(400);
        }
        expect(n).toBeGreaterThanOrEqual(6);
        expect(c.ended).toBe(false);
      } finally {
        c.destroy();
      }
    });

    it.concurrent('a connection that never sends a byte is closed within a few seconds', async () => {
      const c = await RawClient.connect(s.port);
      try {
        const t0 = performance.now();
        expect(await c.waitForEnd(5000), 'closed by the server').toBe(true);
        const ms = performance.now() - t0;
        expect(ms).toBeGreaterThanOrEqual(900);
        expect(ms).toBeLessThanOrEqual(3500);
        // Either nothing or a lone 408: never anything else.
        const raw = c.received.toString('latin1');
        expect(raw === '' || raw.startsWith('HTTP/1.1 408 '), show(c.received)).toBe(true);
        if (raw !== '') silent408 = 1;
      } finally {
        c.destroy();
      }
    });
  });

  describe('counters', () => {
    it('every 408 is counted in stats().timeouts and reported to onClientError', async () => {
      expect(timedOut408.sort()).toEqual(['slowloris', 'stalled body', 'stalled head', 'trickled body', 'trickled chunks']);
      const delta = s.app.stats().timeouts - before.timeouts;
      expect(delta).toBeGreaterThanOrEqual(5 + silent408);
      const reported = s.clientErrors.slice(errorsBefore).filter((e) => e.statusCode === 408);
      expect(reported.length).toBe(5 + silent408);
      for (const e of reported) expect(e.code).toBe('UVHTTP_ERR_CLIENT');
      // Timeouts are not parse errors.
      expect(s.clientErrors.slice(errorsBefore).every((e) => e.statusCode === 408)).toBe(true);
    });

    it('the server still serves after all that, and holds no leftover connections', async () => {
      await vi.waitFor(() => expect(s.app.stats().connections).toBe(0), { timeout: 4000 });
      const x = await exchange(s.port, `GET /ok HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
      expect(x.responses.map((r) => r.text), show(x.raw)).toEqual(['ok']);
    });
  });
});
