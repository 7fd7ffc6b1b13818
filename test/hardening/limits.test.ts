// Limits: head size (431), header count (431), target length (414), body size (413, sent as soon as
// Content-Length announces it), Expect (100 / 413 / 417) and maxConnections.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exchange, rejectionProblems } from '../helpers/hardening.js';
import { RawClient, chunked, get, show, sleep } from '../helpers/http.js';
import { HOST, TRAILING, startHardeningServer, type HardeningServer } from './app.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

const KiB = 1024;
const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-F${i}: ${i}\r\n`).join('');

describe('limits with the defaults (16 KiB head, 100 fields, 8 KiB target, 1 MiB body)', () => {
  let s: HardeningServer;
  beforeAll(async () => {
    s = await startHardeningServer();
  });
  afterAll(async () => {
    await s?.stop();
  });

  const rejected = async (data: string | Buffer | Array<string | Buffer>, status: number, opts = {}) => {
    const errorsBefore = s.clientErrors.length;
    const seenBefore = s.seen.length;
    const x = await exchange(s.port, data, opts);
    expect(rejectionProblems(x, status)).toEqual([]);
    expect(s.seen.slice(seenBefore)).toEqual([]);
    await vi.waitFor(() => expect(s.clientErrors.length).toBe(errorsBefore + 1), { timeout: 1000 });
    expect(s.clientErrors[errorsBefore].statusCode).toBe(status);
    expect(s.clientErrors[errorsBefore].code).toBe('UVHTTP_ERR_CLIENT');
    return x;
  };

  it('a 17 KiB head gets 431', async () => {
    await rejected(`GET / HTTP/1.1\r\n${HOST}X-Big: ${'a'.repeat(17 * KiB)}\r\n\r\n${TRAILING}`, 431);
  });

  it('a 15 KiB head is served', async () => {
    const x = await exchange(s.port, `GET /ok HTTP/1.1\r\n${HOST}X-Big: ${'a'.repeat(15 * KiB)}\r\nConnection: close\r\n\r\n`);
    expect(x.responses.map((r) => r.status), show(x.raw)).toEqual([200]);
  });

  it('a head that keeps growing without ending gets 431 once past 16 KiB, before it ends', async () => {
    const pieces = [`GET / HTTP/1.1\r\n${HOST}`, ...Array.from({ length: 24 }, (_, i) => `X-Pad${i}: ${'p'.repeat(1000)}\r\n`)];
    const x = await rejected(pieces, 431, { writeDelayMs: 10 });
    // It answered while the head was still incomplete: not all pieces were written.
    expect(x.bytesWritten).toBeLessThan(pieces.join('').length);
    expect(x.bytesWritten).toBeGreaterThan(16 * KiB);
  });

  it('100 header fields (Host included) are served, 101 get 431', async () => {
    const ok = await exchange(s.port, `GET /ok HTTP/1.1\r\n${HOST}${fields(98)}Connection: close\r\n\r\n`);
    expect(ok.responses.map((r) => r.status), show(ok.raw)).toEqual([200]);
    await rejected(`GET / HTTP/1.1\r\n${HOST}${fields(100)}\r\n${TRAILING}`, 431);
  });

  it('a target of 8192 bytes is served, 8193 gets 414', async () => {
    const target = (n: number) => `/ok?q=${'x'.repeat(n - 6)}`;
    expect(target(8192).length).toBe(8192);
    const ok = await exchange(s.port, `GET ${target(8192)} HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
    expect(ok.responses.map((r) => r.status), show(ok.raw)).toEqual([200]);
    await rejected(`GET ${target(8193)} HTTP/1.1\r\n${HOST}\r\n${TRAILING}`, 414);
  });

  it('a 12 KiB target trickled in 1 KiB pieces gets 414', async () => {
    const line = `GET /ok?q=${'y'.repeat(12 * KiB)} HTTP/1.1\r\n${HOST}\r\n`;
    const pieces = Array.from({ length: Math.ceil(line.length / KiB) }, (_, i) => line.slice(i * KiB, (i + 1) * KiB));
    await rejected(pieces, 414, { writeDelayMs: 5 });
  });

  it('Content-Length of 1 MiB + 1 gets 413 at once, without the body being sent', async () => {
    const x = await rejected(`POST /len HTTP/1.1\r\n${HOST}Content-Length: ${1024 * KiB + 1}\r\n\r\n`, 413);
    expect(x.firstResponseMs!).toBeLessThan(1000);
  });

  it('a body of exactly 1 MiB is served', async () => {
    const body = Buffer.alloc(1024 * KiB, 'z');
    const x = await exchange(s.port, Buffer.concat([Buffer.from(`POST /len HTTP/1.1\r\n${HOST}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]));
    expect(x.responses.map((r) => r.status), show(x.raw)).toEqual([200]);
    expect(x.responses[0].text).toBe(String(1024 * KiB));
  });
});

describe('limits with small options (maxHeaderSize 2048, bodyLimit 1024)', () => {
  let s: HardeningServer;
  beforeAll(async () => {
    s = await startHardeningServer({ maxHeaderSize: 2048, bodyLimit: 1024 });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('maxHeaderSize: a 2.5 KiB head gets 431, a 1.5 KiB head is served', async () => {
    const big = await exchange(s.port, `GET / HTTP/1.1\r\n${HOST}X-Big: ${'a'.repeat(2560)}\r\n\r\n${TRAILING}`);
    expect(rejectionProblems(big, 431)).toEqual([]);
    const ok = await exchange(s.port, `GET /ok HTTP/1.1\r\n${HOST}X-Big: ${'a'.repeat(1536)}\r\nConnection: close\r\n\r\n`);
    expect(ok.responses.map((r) => r.status), show(ok.raw)).toEqual([200]);
  });

  it('bodyLimit: Content-Length 1025 gets 413 before any body byte is sent', async () => {
    const before = s.app.stats();
    const x = await exchange(s.port, `POST /len HTTP/1.1\r\n${HOST}Content-Length: 1025\r\n\r\n`);
    expect(rejectionProblems(x, 413)).toEqual([]);
    expect(x.firstResponseMs!).toBeLessThan(1000);
    expect(s.app.stats().requests - before.requests).toBe(0);
  });

  it('bodyLimit: a body sent anyway after the 413 (holding a request) is never interpreted', async () => {
    const seenBefore = s.seen.length;
    const hidden = `GET /smuggled HTTP/1.1\r\n${HOST}\r\n`;
    const body = hidden + 'x'.repeat(1100 - hidden.length);
    const x = await exchange(s.port, `POST /len HTTP/1.1\r\n${HOST}Content-Length: ${body.length}\r\n\r\n${body}`);
    expect(rejectionProblems(x, 413)).toEqual([]);
    await sleep(50);
    expect(s.seen.slice(seenBefore)).toEqual([]);
  });

  it('bodyLimit: a chunked body growing past the limit gets 413', async () => {
    const head = `POST /len HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n`;
    const chunk = (n: number) => `${n.toString(16)}\r\n${'c'.repeat(n)}\r\n`;
    const x = await exchange(s.port, [head, chunk(600), chunk(600), chunk(600), '0\r\n\r\n'], { writeDelayMs: 20 });
    expect(rejectionProblems(x, 413)).toEqual([]);
  });

  it('bodyLimit: exactly 1024 bytes, plain and chunked, are served', async () => {
    const body = 'k'.repeat(1024);
    const x = await exchange(
      s.port,
      `POST /len HTTP/1.1\r\n${HOST}Content-Length: 1024\r\n\r\n${body}` +
        `POST /len HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
        chunked([body.slice(0, 1000), body.slice(1000)]).toString('latin1'),
    );
    expect(x.responses.map((r) => `${r.status} ${r.text}`), show(x.raw)).toEqual(['200 1024', '200 1024']);
  });

  describe('Expect', () => {
    it('100-continue: "HTTP/1.1 100 Continue" comes before the body is sent, then the response', async () => {
      const c = await RawClient.connect(s.port);
      try {
        await c.write(`POST /echo HTTP/1.1\r\n${HOST}Expect: 100-continue\r\nContent-Length: 10\r\n\r\n`);
        const [interim] = await c.read(1, { timeoutMs: 2000 });
        expect(interim.status).toBe(100);
        expect(interim.rawHead).toBe('HTTP/1.1 100 Continue');
        expect(c.received.toString('latin1')).toBe('HTTP/1.1 100 Continue\r\n\r\n');
        const [final] = await (async () => {
          await c.write('0123456789');
          return c.read(1, { timeoutMs: 2000 });
        })();
        expect(final.status).toBe(200);
        expect(final.text).toBe('/echo:0123456789');
      } finally {
        c.destroy();
      }
    });

    it('100-continue with a chunked body', async () => {
      const c = await RawClient.connect(s.port);
      try {
        await c.write(`POST /echo HTTP/1.1\r\n${HOST}Expect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n`);
        const [interim] = await c.read(1, { timeoutMs: 2000 });
        expect(interim.status).toBe(100);
        await c.write(chunked(['abc', 'def']));
        const [final] = await c.read(1, { timeoutMs: 2000 });
        expect(final.text).toBe('/echo:abcdef');
      } finally {
        c.destroy();
      }
    });

    it('100-continue with Content-Length over bodyLimit: 413 and no 100', async () => {
      const x = await exchange(s.port, `POST /echo HTTP/1.1\r\n${HOST}Expect: 100-continue\r\nContent-Length: 5000\r\n\r\n`);
      expect(rejectionProblems(x, 413)).toEqual([]);
      expect(x.raw.toString('latin1')).not.toContain(' 100 ');
      expect(x.raw.toString('latin1').startsWith('HTTP/1.1 413 ')).toBe(true);
    });

    it('another Expect value: 417', async () => {
      const x = await exchange(s.port, `POST /echo HTTP/1.1\r\n${HOST}Expect: 200-ok\r\nContent-Length: 5\r\n\r\nhello${TRAILING}`);
      expect(rejectionProblems(x, 417)).toEqual([]);
    });

    it('HTTP/1.0 with Expect: 100-continue gets no interim response', async () => {
      const c = await RawClient.connect(s.port);
      try {
        await c.write('POST /echo HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
        await sleep(300);
        expect(c.received.length, show(c.received)).toBe(0);
        await c.write('hello');
        const [r] = await c.read(1, { timeoutMs: 2000 });
        expect(r.status).toBe(200);
        expect(r.text).toBe('/echo:hello');
      } finally {
        c.destroy();
      }
    });
  });
});

describe('maxConnections', () => {
  let s: HardeningServer;
  const clients: RawClient[] = [];
  beforeAll(async () => {
    s = await startHardeningServer({ maxConnections: 3 });
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await s?.stop();
  });

  it('beyond the limit a connection is accepted and closed at once, and counted', async () => {
    for (let i = 0; i < 3; i++) {
      const c = await RawClient.connect(s.port);
      clients.push(c);
      expect((await c.request(get('/'))).text).toBe('root');
    }
    expect(s.app.stats().connections).toBe(3);
    const before = s.app.stats().connectionsRejected;

    const extra = await exchange(s.port, get('/'), { timeoutMs: 2000 });
    expect(extra.closed, 'the extra connection was closed').toBe(true);
    expect(extra.timedOut).toBe(false);
    expect(extra.raw.length, show(extra.raw)).toBe(0);
    expect(extra.closeMs!).toBeLessThan(1000);
    expect(s.app.stats().connectionsRejected - before).toBe(1);
    expect(s.app.stats().connections).toBe(3);

    // The three accepted connections are unaffected.
    for (const c of clients) expect((await c.request(get('/ok'))).text).toBe('ok');

    // Once one goes, a new connection is served again.
    clients.shift()!.destroy();
    await vi.waitFor(() => expect(s.app.stats().connections).toBe(2), { timeout: 2000 });
    const again = await exchange(s.port, `GET / HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
    expect(again.responses.map((r) => r.text), show(again.raw)).toEqual(['root']);
    expect(s.app.stats().connectionsRejected - before).toBe(1);
  });
});
