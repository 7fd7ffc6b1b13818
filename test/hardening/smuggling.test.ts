// Request smuggling shapes sent in ONE write: each must yield exactly one response, and the request
// hidden inside must never reach a handler (the trap routes record everything that does).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exchange, rejectionProblems } from '../helpers/hardening.js';
import { chunked, show } from '../helpers/http.js';
import { HOST, startHardeningServer, type HardeningServer } from './app.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

const HIDDEN = `GET /smuggled HTTP/1.1\r\n${HOST}\r\n`;

describe('request smuggling', () => {
  let s: HardeningServer;

  beforeAll(async () => {
    s = await startHardeningServer();
  });
  afterAll(async () => {
    await s?.stop();
  });

  const rejectedOnce = async (data: string, status: number) => {
    const seenBefore = s.seen.length;
    const before = s.app.stats();
    const x = await exchange(s.port, Buffer.from(data, 'latin1'));
    expect(rejectionProblems(x, status), show(Buffer.from(data, 'latin1'))).toEqual([]);
    // Give a wrongly-parsed hidden request time to reach JS before asserting it did not.
    await new Promise((r) => setTimeout(r, 50));
    expect(s.seen.slice(seenBefore)).toEqual([]);
    expect(s.app.stats().requests - before.requests).toBe(0);
    return x;
  };

  describe('(a) Content-Length together with Transfer-Encoding: chunked', () => {
    it('CL covering the hidden request, TE ending before it (CL.TE)', async () => {
      const body = `0\r\n\r\n${HIDDEN}`;
      await rejectedOnce(`POST /echo HTTP/1.1\r\n${HOST}Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`, 400);
    });

    it('CL short, chunked body carrying the hidden request after CL bytes (TE.CL)', async () => {
      const inner = `${HIDDEN}`;
      const body = `${inner.length.toString(16)}\r\n${inner}\r\n0\r\n\r\n`;
      await rejectedOnce(`POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n${body}`, 400);
    });

    it('CL: 0 with a chunked body', async () => {
      await rejectedOnce(`POST /echo HTTP/1.1\r\n${HOST}Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n${HIDDEN}`, 400);
    });
  });

  describe('(b) two different Content-Lengths', () => {
    it('5 then 40 in two fields, the longer one covering the hidden request', async () => {
      await rejectedOnce(`POST /echo HTTP/1.1\r\n${HOST}Content-Length: 5\r\nContent-Length: 40\r\n\r\nhello${HIDDEN}`, 400);
    });

    it('40 then 5 in two fields', async () => {
      await rejectedOnce(`POST /echo HTTP/1.1\r\n${HOST}Content-Length: 40\r\nContent-Length: 5\r\n\r\nhello${HIDDEN}`, 400);
    });

    it('"5, 40" in one field', async () => {
      await rejectedOnce(`POST /echo HTTP/1.1\r\n${HOST}Content-Length: 5, 40\r\n\r\nhello${HIDDEN}`, 400);
    });

    it('a second Content-Length that differs only by a leading zero is the same value, so it is not smuggling', async () => {
      const seenBefore = s.seen.length;
      const x = await exchange(s.port, `POST /echo HTTP/1.1\r\n${HOST}Content-Length: 5\r\nContent-Length: 05\r\nConnection: close\r\n\r\nhello`);
      expect(x.responses.map((r) => r.status), show(x.raw)).toEqual([200]);
      expect(x.responses[0].text).toBe('/echo:hello');
      expect(s.seen.slice(seenBefore).map((r) => r.path)).toEqual(['/echo']);
    });
  });

  describe('(c) a request hidden inside chunk data is body, not a request', () => {
    it('one chunk holding a whole request: one 200 from /echo with the bytes as its body', async () => {
      const seenBefore = s.seen.length;
      const before = s.app.stats();
      const data = `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n` + chunked([HIDDEN]).toString('latin1');
      const x = await exchange(s.port, data, { timeoutMs: 700 });
      expect(x.responses.map((r) => r.status), show(x.raw)).toEqual([200]);
      expect(x.responses[0].text).toBe(`/echo:${HIDDEN}`);
      expect(x.rest.length, show(x.rest)).toBe(0);
      expect(x.timedOut, 'the connection stays open (keep-alive)').toBe(true);
      expect(s.seen.slice(seenBefore)).toEqual([{ method: 'POST', path: '/echo', body: HIDDEN }]);
      expect(s.app.stats().requests - before.requests).toBe(1);
    });

    it('a request split across chunks (with a chunk boundary inside the request line)', async () => {
      const seenBefore = s.seen.length;
      const data =
        `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
        chunked([HIDDEN.slice(0, 7), HIDDEN.slice(7, 20), HIDDEN.slice(20)]).toString('latin1');
      const x = await exchange(s.port, data);
      expect(x.responses.map((r) => r.status), show(x.raw)).toEqual([200]);
      expect(x.responses[0].text).toBe(`/echo:${HIDDEN}`);
      expect(x.ended).toBe(true);
      expect(s.seen.slice(seenBefore)).toEqual([{ method: 'POST', path: '/echo', body: HIDDEN }]);
    });

    it('a chunk size that stops short of the hidden request: 400, the rest is never parsed', async () => {
      // Size 5 covers "GET /" only; what follows is not CRLF, so the body is malformed.
      await rejectedOnce(`POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n5\r\n${HIDDEN}\r\n0\r\n\r\n`, 400);
    });

    it('the hidden request placed in the trailer section: 400 (not a valid trailer field)', async () => {
      await rejectedOnce(`POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n0\r\n${HIDDEN}`, 400);
    });
  });

  describe('(d) Transfer-Encoding variants', () => {
    const post = (te: string, body = '0\r\n\r\n') => `POST /echo HTTP/1.1\r\n${HOST}${te}Content-Length: ${body.length}\r\n\r\n${body}${HIDDEN}`;
    const postNoCl = (te: string) => `POST /echo HTTP/1.1\r\n${HOST}${te}\r\n0\r\n\r\n${HIDDEN}`;

    it('chunked, then a second field "identity" (final coding not chunked): 400', async () => {
      await rejectedOnce(postNoCl('Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n'), 400);
    });

    it('"chunked, identity" in one field: 400', async () => {
      await rejectedOnce(postNoCl('Transfer-Encoding: chunked, identity\r\n'), 400);
    });

    it('"identity, chunked" (an unknown coding first): 501', async () => {
      await rejectedOnce(postNoCl('Transfer-Encoding: identity, chunked\r\n'), 501);
    });

    it('"xchunked": 400', async () => {
      await rejectedOnce(postNoCl('Transfer-Encoding: xchunked\r\n'), 400);
    });

    it('"chunked;x=1" (chunked takes no parameters): 400', async () => {
      await rejectedOnce(postNoCl('Transfer-Encoding: chunked;x=1\r\n'), 400);
    });

    it('"Transfer-Encoding : chunked" (space before the colon): 400', async () => {
      await rejectedOnce(postNoCl('Transfer-Encoding : chunked\r\n'), 400);
    });

    it('TE value with a vertical tab: 400', async () => {
      await rejectedOnce(postNoCl('Transfer-Encoding: \x0bchunked\r\n'), 400);
    });

    it('TE folded onto a continuation line (obs-fold): 400', async () => {
      await rejectedOnce(postNoCl('Transfer-Encoding:\r\n chunked\r\n'), 400);
    });

    it('TE with a CL present, any TE value: 400', async () => {
      await rejectedOnce(post('Transfer-Encoding: identity\r\n'), 400);
    });

    it('TE in HTTP/1.0 with a hidden request: 400', async () => {
      await rejectedOnce(`POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${HIDDEN}`, 400);
    });

    it('"Transfer-Encoding: CHUNKED" is chunked (case-insensitive); the following request is a real one', async () => {
      const seenBefore = s.seen.length;
      const data =
        `POST /echo HTTP/1.1\r\n${HOST}Transfer-Encoding: CHUNKED\r\n\r\n5\r\nhello\r\n0\r\n\r\n` +
        `GET /smuggled HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`;
      const x = await exchange(s.port, data);
      expect(x.responses.map((r) => r.text), show(x.raw)).toEqual(['/echo:hello', '/smuggled:']);
      expect(s.seen.slice(seenBefore).map((r) => r.path)).toEqual(['/echo', '/smuggled']);
    });
  });
});
