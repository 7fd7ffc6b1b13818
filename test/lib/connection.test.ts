import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { startApp, type Started } from '../helpers/app.js';
import { RawClient, buildRequest, framingProblems, get, rawRequest, show } from '../helpers/http.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

const connectionTokens = (v: string | undefined) =>
  (v ?? '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);

describe('connection handling', () => {
  let s: Started;
  const clients: RawClient[] = [];
  const connect = async () => {
    const c = await RawClient.connect(s.port);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    s = await startApp((app) => {
      app.static('/', 'Hello World!!');
      app.static('/s', 'static');
      app.get('/a', () => 'A');
      app.get('/b', (_req: any, res: any) => res.end('B'));
      app.get('/c', () => ({ c: 3 }));
      app.get('/slow', async () => {
        await new Promise((r) => setTimeout(r, 50));
        return 'slow';
      });
      app.get('/users/:id', (req: any) => `user ${req.params.id} ${req.query.tab ?? ''}`);
    });
  });

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await s?.stop();
  });

  describe('HTTP/1.1', () => {
    it('keeps the connection alive by default', async () => {
      const c = await connect();
      const r1 = await c.request(get('/'));
      expect(r1.status).toBe(200);
      expect(r1.text).toBe('Hello World!!');
      expect(connectionTokens(r1.headers['connection'])).not.toContain('close');
      const r2 = await c.request(get('/a'));
      expect(r2.status).toBe(200);
      expect(r2.text).toBe('A');
      const r3 = await c.request(get('/s'));
      expect(r3.text).toBe('static');
      expect(await c.waitForEnd(300)).toBe(false);
      expect(c.closed).toBe(false);
    });

    it('honours Connection: close (static route): response says close, then the server closes', async () => {
      const c = await connect();
      const r = await c.request(buildRequest('GET', '/', { headers: { Connection: 'close' } }));
      expect(r.status).toBe(200);
      expect(r.text).toBe('Hello World!!');
      expect(connectionTokens(r.headers['connection'])).toContain('close');
      expect(await c.waitForEnd(2000)).toBe(true);
      expect(c.pending.length, `bytes after the response: ${show(c.pending)}`).toBe(0);
    });

    it('honours Connection: close (dynamic route)', async () => {
      const c = await connect();
      const r = await c.request(buildRequest('GET', '/a', { headers: { Connection: 'close' } }));
      expect(r.status).toBe(200);
      expect(r.text).toBe('A');
      expect(connectionTokens(r.headers['connection'])).toContain('close');
      expect(await c.waitForEnd(2000)).toBe(true);
    });

    it('answers nothing after a Connection: close request in a pipeline', async () => {
      const data = Buffer.concat([
        get('/a'),
        buildRequest('GET', '/b', { headers: { Connection: 'close' } }),
        get('/c'),
      ]);
      const r = await rawRequest(s.port, data, { waitForResponses: 3, waitForClose: true, timeoutMs: 3000 });
      expect(r.closed, `received ${show(r.raw)}`).toBe(true);
      expect(r.responses.map((x) => x.text), `received ${show(r.raw)}`).toEqual(['A', 'B']);
      expect(r.rest.length, `received ${show(r.raw)}`).toBe(0);
    });
  });

  describe('HTTP/1.0', () => {
    it('closes after the response without Connection: keep-alive', async () => {
      const c = await connect();
      const r = await c.request(buildRequest('GET', '/a', { version: '1.0' }));
      expect(r.status).toBe(200);
      expect(r.text).toBe('A');
      expect(framingProblems(r)).toEqual([]);
      expect(connectionTokens(r.headers['connection'])).not.toContain('keep-alive');
      expect(await c.waitForEnd(2000)).toBe(true);
    });

    it('closes after a static response without Connection: keep-alive', async () => {
      const c = await connect();
      const r = await c.request(buildRequest('GET', '/', { version: '1.0' }));
      expect(r.status).toBe(200);
      expect(r.text).toBe('Hello World!!');
      expect(connectionTokens(r.headers['connection'])).not.toContain('keep-alive');
      expect(await c.waitForEnd(2000)).toBe(true);
    });

    it('stays persistent with Connection: keep-alive and echoes it', async () => {
      const c = await connect();
      for (const [path, body] of [['/', 'Hello World!!'], ['/a', 'A'], ['/s', 'static']]) {
        const r = await c.request(buildRequest('GET', path, { version: '1.0', headers: { Connection: 'keep-alive' } }));
        expect(r.status).toBe(200);
        expect(r.text).toBe(body);
        expect(connectionTokens(r.headers['connection'])).toEqual(['keep-alive']);
        expect(framingProblems(r)).toEqual([]);
      }
      expect(await c.waitForEnd(300)).toBe(false);
      // then a 1.0 request without keep-alive ends it
      const last = await c.request(buildRequest('GET', '/b', { version: '1.0' }));
      expect(last.text).toBe('B');
      expect(await c.waitForEnd(2000)).toBe(true);
    });

    it('ab-style: HTTP/1.0 Connection: Keep-Alive, 50 sequential requests on one socket', async () => {
      const c = await connect();
      const abRequest = Buffer.from(
        `GET / HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: 127.0.0.1:${s.port}\r\n` +
          'User-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n',
      );
      for (let i = 0; i < 50; i++) {
        const r = await c.request(abRequest);
        expect(r.status).toBe(200);
        expect(r.text).toBe('Hello World!!');
        expect(r.headers['content-length']).toBe('13');
        expect(connectionTokens(r.headers['connection'])).toEqual(['keep-alive']);
      }
      expect(c.closed).toBe(false);
    });

    it('ab-style keep-alive works for a dynamic route too', async () => {
      const c = await connect();
      const abRequest = Buffer.from(
        `GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: 127.0.0.1:${s.port}\r\n` +
          'User-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n',
      );
      for (let i = 0; i < 10; i++) {
        const r = await c.request(abRequest);
        expect(r.text).toBe('A');
        expect(connectionTokens(r.headers['connection'])).toEqual(['keep-alive']);
      }
      expect(c.closed).toBe(false);
    });
  });

  describe('pipelining', () => {
    it('answers 3 pipelined requests in one write in order', async () => {
      const data = Buffer.concat([get('/a'), get('/b'), get('/c')]);
      const r = await rawRequest(s.port, data, { waitForResponses: 3 });
      expect(r.responses.length, `received ${show(r.raw)}`).toBe(3);
      expect(r.responses.map((x) => x.status)).toEqual([200, 200, 200]);
      expect(r.responses.map((x) => x.text)).toEqual(['A', 'B', '{"c":3}']);
      for (const x of r.responses) expect(framingProblems(x)).toEqual([]);
    });

    it('answers mixed static and dynamic pipelined requests in order', async () => {
      const data = Buffer.concat([get('/s'), get('/a'), get('/'), get('/b'), get('/s')]);
      const r = await rawRequest(s.port, data, { waitForResponses: 5 });
      expect(r.responses.map((x) => x.text), `received ${show(r.raw)}`).toEqual([
        'static',
        'A',
        'Hello World!!',
        'B',
        'static',
      ]);
    });

    it('an async route (50 ms) followed by a static one in one write keeps order', async () => {
      const data = Buffer.concat([get('/slow'), get('/s')]);
      const r = await rawRequest(s.port, data, { waitForResponses: 2 });
      expect(r.responses.length, `received ${show(r.raw)}`).toBe(2);
      expect(r.responses.map((x) => x.text)).toEqual(['slow', 'static']);
      expect(r.responseTimes[0]).toBeGreaterThanOrEqual(45);
    });

    it('an async route followed by sync dynamic and static routes keeps order', async () => {
      const data = Buffer.concat([get('/a'), get('/slow'), get('/b'), get('/s'), get('/c')]);
      const r = await rawRequest(s.port, data, { waitForResponses: 5 });
      expect(r.responses.map((x) => x.text), `received ${show(r.raw)}`).toEqual([
        'A',
        'slow',
        'B',
        'static',
        '{"c":3}',
      ]);
    });

    it('a slow request on one connection does not hold back another connection', async () => {
      const slow = rawRequest(s.port, Buffer.concat([get('/slow'), get('/slow'), get('/slow'), get('/slow')]), {
        waitForResponses: 4,
      });
      await new Promise((r) => setTimeout(r, 10));
      const t0 = performance.now();
      const fast = await rawRequest(s.port, get('/s'));
      const fastMs = performance.now() - t0;
      expect(fast.responses[0]?.text).toBe('static');
      expect(fastMs).toBeLessThan(150);
      const sr = await slow;
      expect(sr.responses.map((x) => x.text)).toEqual(['slow', 'slow', 'slow', 'slow']);
    });
  });

  describe('partial input', () => {
    it('handles a request delivered one byte at a time', async () => {
      const req = buildRequest('GET', '/users/1234?tab=repos', { headers: { 'User-Agent': 'byte-by-byte', Accept: '*/*' } });
      const pieces = [...req].map((b) => Buffer.from([b]));
      const r = await rawRequest(s.port, pieces, { writeDelayMs: 2 });
      expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
      expect(r.responses[0].status).toBe(200);
      expect(r.responses[0].text).toBe('user 1234 repos');
    });

    it('handles a static request delivered one byte at a time, then a second request', async () => {
      const req = get('/s');
      const pieces = [...req].map((b) => Buffer.from([b]));
      const r = await rawRequest(s.port, [...pieces, get('/a')], { writeDelayMs: 1, waitForResponses: 2 });
      expect(r.responses.map((x) => x.text), `received ${show(r.raw)}`).toEqual(['static', 'A']);
    });

    it('survives a client that disconnects mid-request', async () => {
      const c = await connect();
      await c.write('GET /a HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Partial: ');
      c.destroy();
      await new Promise((r) => setTimeout(r, 20));
      const r = await fetch(`${s.base}/a`);
      expect(await r.text()).toBe('A');
    });

    it('survives a client that disconnects before reading a slow response', async () => {
      const c = await connect();
      await c.write(get('/slow'));
      c.destroy();
      await new Promise((r) => setTimeout(r, 80)); // handler finishes after the socket is gone
      const r = await fetch(`${s.base}/b`);
      expect(await r.text()).toBe('B');
    });
  });

  describe('malformed input', () => {
    it('answers 400 to a garbage request line and closes', async () => {
      const r = await rawRequest(s.port, 'THIS IS NOT HTTP\r\n\r\n', { waitForClose: true, timeoutMs: 3000 });
      expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
      expect(r.responses[0].status).toBe(400);
      expect(r.closed).toBe(true);
    });

    it('answers 400 to an HTTP/1.1 request without Host', async () => {
      const r = await rawRequest(s.port, 'GET /a HTTP/1.1\r\n\r\n', { timeoutMs: 3000 });
      expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
      expect(r.responses[0].status).toBe(400);
    });
  });
});
