// Streamed request bodies (a route with `stream: true`): the handler runs at the end of the head and
// reads the body as it arrives; the socket is not read while it does not; 100 Continue goes when it
// starts reading; per-route limits; a body that breaks its limit or framing, or a client that leaves.
import net from 'node:net';
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { createServer } from '../../lib/index.js';
import { startApp, type Started } from '../helpers/app.js';
import { RawClient, buildRequest, get, rawRequest, show, signal, sleep, within } from '../helpers/http.js';

vi.setConfig({ testTimeout: 15_000, hookTimeout: 10_000 });

const MiB = 1024 * 1024;

function post(path: string, body: Buffer | string, headers: Record<string, string> = {}): Buffer {
  return buildRequest('POST', path, { headers: { 'Content-Length': String(Buffer.byteLength(body)), ...headers }, body });
}

function chunkedHead(path: string, headers: Record<string, string> = {}): Buffer {
  return buildRequest('POST', path, { headers: { 'Transfer-Encoding': 'chunked', ...headers } });
}

describe('streamed request bodies', () => {
  let s: Started;
  const errors: unknown[] = [];
  const seen = {
    called: [] as string[],
    release: signal(),
    entered: signal(),
    readError: signal<{ code?: string; statusCode?: number }>(),
    aborted: signal<string>(),
  };

  beforeAll(async () => {
    s = await startApp(
      (app) => {
        const stream = { stream: true };
        app.post('/count', async (req: any) => {
          let n = 0;
          let chunks = 0;
          for await (const c of req.body) {
            n += c.length;
            chunks++;
          }
          return { n, chunks };
        }, { stream: true, bodyLimit: Infinity });
        app.post('/echo', (req: any, res: any) => res.stream(req.body), stream);
        app.post('/text', async (req: any) => `text:${await req.text()}`, stream);
        app.post('/json', async (req: any) => ({ got: await req.json() }), stream);
        app.post('/early', async (req: any) => {
          seen.called.push('early');
          return 'early';
        }, stream);
        app.post('/wait-then-read', async (req: any) => {
          seen.entered.resolve();
          await seen.release.promise;
          let n = 0;
          for await (const c of req.body) n += c.length;
          return `read ${n}`;
        }, { stream: true, bodyLimit: 64 * MiB });
        app.post('/limited', async (req: any) => {
          seen.called.push('limited');
          try {
            return `got ${(await req.buffer()).length}`;
          } catch (err) {
            seen.readError.resolve(err as { code?: string; statusCode?: number });
            throw err;
          }
        }, { stream: true, bodyLimit: 10 });
        app.post('/abort', async (req: any, res: any) => {
          res.signal.addEventListener('abort', () => seen.aborted.resolve('signal'));
          try {
            for await (const _ of req.body) void _;
          } catch (err) {
            seen.aborted.resolve((err as { code: string }).code);
          }
        }, stream);
        app.post('/buffered-big', async (req: any) => `buffered ${(await req.buffer()).length}`, { bodyLimit: 4 * MiB });
        app.post('/buffered-small', async (req: any) => `buffered ${(await req.buffer()).length}`, { bodyLimit: 8 });
        app.post('/buffered-body', async (req: any) => {
          let all = '';
          for await (const c of req.body) all += Buffer.from(c).toString();
          return `${req.bodyStreamed}:${all}`;
        });
        app.get('/next', () => 'next');
        app.fetch(async (request: Request) => new Response(`fetch got ${(await request.arrayBuffer()).byteLength} ${request.body instanceof ReadableStream}`), stream);
      },
      { onError: (err: unknown) => errors.push(err) },
    );
  });

  afterAll(async () => {
    seen.release.resolve();
    await s?.stop();
  });

  it('a body read as it arrives, by fetch, by raw sockets, chunked or with Content-Length', async () => {
    const big = Buffer.alloc(3 * MiB + 17, 'b');
    const res = await fetch(`${s.base}/count`, { method: 'POST', body: big });
    const r = (await res.json()) as { n: number; chunks: number };
    expect(r.n).toBe(big.length);
    expect(r.chunks).toBeGreaterThan(1); // it came in pieces, not whole
    const chunked = await rawRequest(s.port, [chunkedHead('/count'), '5\r\nhello\r\n', '6\r\n world\r\n0\r\n\r\n']);
    expect(chunked.responses[0].text).toBe('{"n":11,"chunks":2}');
    const echoed = await rawRequest(s.port, post('/echo', 'echo me'));
    expect(echoed.responses[0].text).toBe('echo me');
    const text = await rawRequest(s.port, post('/text', 'héllo'));
    expect(text.responses[0].text).toBe('text:héllo');
    const json = await rawRequest(s.port, post('/json', '{"a":[1,2]}'));
    expect(json.responses[0].text).toBe('{"got":{"a":[1,2]}}');
  });

  it('a fetch handler with stream: true gets the body as a stream', async () => {
    const r = await rawRequest(s.port, post('/anything', 'x'.repeat(1000)));
    expect(r.responses[0].text).toBe('fetch got 1000 true');
  });

  it('req.body on a buffered route is a stream of the buffered bytes', async () => {
    const r = await rawRequest(s.port, post('/buffered-body', 'buffered bytes'));
    expect(r.responses[0].text).toBe('false:buffered bytes');
  });

  it('the socket is not read while the handler does not read: the client is held back', async () => {
    const c = await RawClient.connect(s.port);
    try {
      const body = Buffer.alloc(32 * MiB, 'w');
      const before = s.app.stats().bytesRead;
      await c.write(buildRequest('POST', '/wait-then-read', { headers: { 'Content-Length': String(body.length) } }));
      void c.socket.write(body); // more than the kernel buffers hold: it cannot all be taken
      await seen.entered.promise;
      await sleep(300);
      const held = s.app.stats().bytesRead - before;
      // The core holds at most 256 KiB for the handler plus one read; the rest waits in the kernel and
      // at the client.
      expect(held).toBeLessThan(2 * MiB);
      expect(s.app.stats().bufferedBytes).toBeLessThan(2 * MiB);
      seen.release.resolve();
      const [res] = await c.read(1, { timeoutMs: 10_000 });
      expect(res.text).toBe(`read ${body.length}`);
    } finally {
      c.destroy();
    }
  });

  it('Expect: 100-continue is answered when the handler reads, not before', async () => {
    const c = await RawClient.connect(s.port);
    try {
      await c.write(buildRequest('POST', '/text', { headers: { 'Content-Length': '4', Expect: '100-continue' } }));
      const [interim] = await c.read(1);
      expect(interim.status).toBe(100);
      await c.write('body');
      const [res] = await c.read(1);
      expect(res.text).toBe('text:body');
    } finally {
      c.destroy();
    }
  });

  it('a handler that answers without reading: no 100 Continue, and the connection ends after the response', async () => {
    seen.called.length = 0;
    const r = await rawRequest(s.port, [
      buildRequest('POST', '/early', { headers: { 'Content-Length': '1000', Expect: '100-continue' } }),
    ], { waitForClose: true });
    expect(seen.called).toEqual(['early']);
    expect(r.closed).toBe(true);
    expect(r.responses.map((x) => x.status)).toEqual([200]);
    expect(r.responses[0].text).toBe('early');
    expect(r.responses[0].headers.connection).toBe('close');
    expect(r.raw.toString('latin1')).not.toContain('100 Continue');
  });

  it('a declared length over the route limit is a 413 before the handler runs', async () => {
    seen.called.length = 0;
    const r = await rawRequest(s.port, post('/limited', '01234567890'), { waitForClose: true });
    expect(r.responses[0].status).toBe(413);
    expect(seen.called).toEqual([]);
  });

  it('a chunked body that passes the route limit: the read fails with 413, the handler’s throw answers it', async () => {
    errors.length = 0;
    seen.called.length = 0;
    const r = await rawRequest(s.port, [chunkedHead('/limited'), '8\r\n01234567\r\n', '8\r\n89abcdef\r\n0\r\n\r\n', get('/next')], {
      waitForClose: true,
    });
    expect(seen.called).toEqual(['limited']);
    const err = await seen.readError.promise;
    expect(err.code).toBe('UVHTTP_ERR_REQUEST_BODY');
    expect(err.statusCode).toBe(413);
    expect(r.responses.map((x) => x.status), show(r.raw)).toEqual([413]);
    expect(r.closed).toBe(true); // nothing after a broken body is read
    expect(r.raw.toString('latin1')).not.toContain('next');
  });

  it('broken chunked framing midway fails the read with 400', async () => {
    const r = await rawRequest(s.port, [chunkedHead('/text'), '3\r\nabc\r\n', 'zz\r\n'], { waitForClose: true });
    expect(r.responses.map((x) => x.status), show(r.raw)).toEqual([400]);
    expect(r.responses[0].text).toContain('malformed');
  });

  it('per-route limits for buffered bodies, above and below the server’s', async () => {
    const big = Buffer.alloc(2 * MiB, 'a');
    const ok = await rawRequest(s.port, post('/buffered-big', big), { timeoutMs: 10_000 });
    expect(ok.responses[0].text).toBe(`buffered ${big.length}`);
    const elsewhere = await rawRequest(s.port, post('/text-not-a-route', big), { waitForClose: true });
    expect(elsewhere.responses[0].status).toBe(413); // the fallback keeps the server's 1 MiB
    const small = await rawRequest(s.port, post('/buffered-small', '123456789'), { waitForClose: true });
    expect(small.responses[0].status).toBe(413);
  });

  it('a client that leaves mid-body: the read fails and the signal aborts', async () => {
    const c = await RawClient.connect(s.port);
    await c.write(buildRequest('POST', '/abort', { headers: { 'Content-Length': '100000' } }));
    await c.write('partial');
    await sleep(50);
    c.destroy();
    const how = await within(seen.aborted.promise, 3000, 'the handler hearing the client left');
    expect(['signal', 'UVHTTP_ERR_CONNECTION_CLOSED']).toContain(how);
    await sleep(50);
    expect(errors.filter((e) => (e as { code?: string }).code === 'UVHTTP_ERR_CONNECTION_CLOSED')).toEqual([]);
  });

  it('a request pipelined behind a streamed body is answered after it, in order', async () => {
    const c = await RawClient.connect(s.port);
    try {
      await c.write(Buffer.concat([post('/text', 'first'), get('/next'), post('/count', 'abc'), get('/next')]));
      const rs = await c.read(4);
      expect(rs.map((x) => x.text)).toEqual(['text:first', 'next', '{"n":3,"chunks":1}', 'next']);
    } finally {
      c.destroy();
    }
  });

  it('route options are checked', () => {
    const app = createServer();
    const h = () => 'x';
    const cases: Array<[unknown, string]> = [
      ['yes', 'UVHTTP_ERR_INVALID_ARG'],
      [{ stream: 'yes' }, 'UVHTTP_ERR_INVALID_OPTION'],
      [{ bodyLimit: -1 }, 'UVHTTP_ERR_INVALID_OPTION'],
      [{ bodyLimit: 1.5 }, 'UVHTTP_ERR_INVALID_OPTION'],
      [{ bodyLimit: Infinity }, 'UVHTTP_ERR_INVALID_OPTION'],
      [{ bodyLimit: 2 ** 31 }, 'UVHTTP_ERR_INVALID_OPTION'],
      [{ streams: true }, 'UVHTTP_ERR_UNKNOWN_OPTION'],
    ];
    for (const [options, code] of cases) {
      expect(() => app.post('/x', h, options as never), JSON.stringify(options)).toThrow(expect.objectContaining({ code }));
    }
    expect(() => app.post('/ok', h, { stream: true, bodyLimit: Infinity })).not.toThrow();
    expect(() => app.post('/ok2', h, { bodyLimit: 2 ** 31 - 1 })).not.toThrow();
  });
});

describe('a streamed body and the server closing', () => {
  it('close() lets a body being read finish, then the connection ends', async () => {
    const app = createServer();
    const entered = signal();
    app.post('/slow-upload', async (req: any) => {
      entered.resolve();
      let n = 0;
      for await (const c of req.body) n += c.length;
      return `got ${n}`;
    }, { stream: true });
    const { port } = await app.listen({ port: 0, host: '127.0.0.1' });
    const sock = net.connect({ port, host: '127.0.0.1' });
    let got = '';
    sock.on('data', (d) => (got += d.toString('latin1')));
    const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
    sock.write(buildRequest('POST', '/slow-upload', { headers: { 'Content-Length': '10' } }));
    sock.write('01234');
    await entered.promise;
    const closing = app.close();
    await sleep(100);
    sock.write('56789');
    await within(closed, 3000, 'the connection ending');
    await within(closing, 3000, 'close()');
    expect(got).toContain('got 10');
    expect(got).toContain('Connection: close');
  });
});

describe('a streamed body that stops coming', () => {
  it('fails the read with 408 after bodyTimeout without a byte; a handler slow to read is not the client’s fault', async () => {
    const reads: string[] = [];
    const s = await startApp(
      (app) => {
        app.post('/read', async (req: any) => {
          try {
            return `got ${(await req.buffer()).length}`;
          } catch (err) {
            reads.push(`${(err as { code: string }).code} ${(err as { statusCode: number }).statusCode}`);
            throw err;
          }
        }, { stream: true });
        app.post('/late-reader', async (req: any) => {
          await sleep(2500); // longer than bodyTimeout, with the whole body already sent
          return `late ${(await req.buffer()).length}`;
        }, { stream: true });
      },
      { bodyTimeout: 1000, onError: () => {} },
    );
    try {
      const stalled = rawRequest(s.port, [buildRequest('POST', '/read', { headers: { 'Content-Length': '10' } }), '01234'], {
        waitForClose: true,
        timeoutMs: 6000,
      });
      const late = rawRequest(s.port, post('/late-reader', 'all of it'), { timeoutMs: 6000 });
      const r = await stalled;
      expect(r.timedOut).toBe(false);
      expect(r.responses.map((x) => x.status), show(r.raw)).toEqual([408]);
      expect(reads).toEqual(['UVHTTP_ERR_REQUEST_BODY 408']);
      expect((await late).responses[0].text).toBe('late 9');
      expect(s.app.stats().timeouts).toBe(1);
    } finally {
      await s.stop();
    }
  });
});
