// Streamed responses on the (req, res) API: res.write/end/ready, res.stream and returned sources,
// framed as chunked (HTTP/1.1), by a set Content-Length, or by the close (HTTP/1.0); backpressure,
// order behind and ahead of other responses, and the client going away.
import { execFile } from 'node:child_process';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { startApp, type Started } from '../helpers/app.js';
import { RawClient, buildRequest, framingProblems, get, rawRequest, show, signal, sleep, within } from '../helpers/http.js';

vi.setConfig({ testTimeout: 15_000, hookTimeout: 10_000 });

const run = promisify(execFile);
const WRITER_CHUNKS = 512; // of 16 KiB: 8 MiB, several times what the socket buffers hold

describe('streamed responses', () => {
  let s: Started;
  const errors: unknown[] = [];
  // Handlers report here what tests look at after the fact.
  const seen = {
    aborted: signal<string>(),
    generatorFinally: signal(),
    readableDestroyed: signal(),
    writerResult: signal<{ writes: number; falseAt: number; bytes: number }>(),
    releaseWriter: signal(),
    releaseSlow: signal(),
    sseSent: [] as number[],
  };

  beforeAll(async () => {
    s = await startApp(
      (app) => {
        app.static('/static', 'static');
        app.get('/route', () => 'route');
        app.get('/write', (_req: unknown, res: any) => {
          res.header('content-type', 'text/plain');
          res.write('hello ');
          setTimeout(() => {
            res.write(Buffer.from('world'));
            res.end('!');
          }, 20);
        });
        app.get('/empty-writes', (_req: unknown, res: any) => {
          res.write('');
          res.write('a');
          res.write(new Uint8Array(0));
          res.end('');
        });
        app.get('/unicode', (_req: unknown, res: any) => {
          res.write('é'.repeat(300)); // past the short-string copy: utf8Write
          res.end('€');
        });
        app.get('/generator', async function* () {
          yield 'one,';
          await sleep(5);
          yield Buffer.from('two,');
          yield new TextEncoder().encode('three');
        });
        app.get('/web-stream', () =>
          new ReadableStream({
            start(c) {
              c.enqueue(new TextEncoder().encode('web '));
              c.enqueue('stream');
              c.close();
            },
          }),
        );
        app.get('/node-readable', () => Readable.from(['node ', 'readable']));
        app.get('/res-stream', async (_req: unknown, res: any) => {
          res.status(201).header('x-kind', 'stream');
          await res.stream(Readable.from([Buffer.from('via '), 'res.stream']));
        });
        app.get('/length', (_req: unknown, res: any) => {
          res.header('content-length', 10);
          res.write('01234');
          setTimeout(() => res.end('56789'), 5);
        });
        app.get('/length-short', (_req: unknown, res: any) => {
          res.header('content-length', 10);
          res.write('0123');
          try {
            res.end();
          } catch (err) {
            errors.push(err);
          }
        });
        app.get('/length-long', (_req: unknown, res: any) => {
          res.header('content-length', 4);
          res.write('0123');
          try {
            res.write('4');
          } catch (err) {
            errors.push(err);
          }
          res.end();
        });
        app.get('/after-head', (_req: unknown, res: any) => {
          res.write('x');
          const codes: string[] = [];
          for (const f of [() => res.status(500), () => res.header('x-late', '1')]) {
            try {
              f();
            } catch (err) {
              codes.push((err as { code: string }).code);
            }
          }
          res.end(codes.join(','));
          try {
            res.write('more');
          } catch (err) {
            codes.push((err as { code: string }).code);
          }
          errors.push(codes);
        });
        app.get('/fails-midway', async function* () {
          yield 'partial';
          await sleep(5);
          throw new Error('source broke');
        });
        app.get('/slow', async (_req: unknown, res: any) => {
          res.write('slow-start;');
          await seen.releaseSlow.promise;
          res.end('slow-end');
        });
        app.get('/forever', (_req: unknown, res: any) => {
          // An event stream that never ends by itself: only the client leaving stops it.
          res.header('content-type', 'text/event-stream');
          res.flushHeaders();
          const timer = setInterval(() => res.write('data: tick\n\n'), 10);
          res.signal.addEventListener('abort', () => {
            clearInterval(timer);
            seen.aborted.resolve((res.signal.reason as { code: string }).code);
          });
        });
        app.get('/forever-generator', async function* () {
          try {
            for (;;) {
              yield 'data: tick\n\n';
              await sleep(10);
            }
          } finally {
            seen.generatorFinally.resolve();
          }
        });
        app.get('/forever-readable', () => {
          let n = 0;
          const r = new Readable({
            read() {
              setTimeout(() => this.push(`chunk ${n++}\n`), 10);
            },
          });
          r.on('close', () => seen.readableDestroyed.resolve());
          return r;
        });
        app.get('/sse', async (_req: unknown, res: any) => {
          res.header('content-type', 'text/event-stream');
          res.flushHeaders();
          for (let i = 0; i < 3; i++) {
            await sleep(150);
            seen.sseSent.push(performance.now());
            res.write(`data: event ${i}\n\n`);
          }
          res.end();
        });
        app.get('/ticks/:ms', async (req: any, res: any) => {
          const ms = Number(req.params.ms);
          for (let i = 0; i < 3; i++) {
            await sleep(ms);
            res.write(`${ms}:${i};`);
          }
          res.end();
        });
        app.get('/writer', async (_req: unknown, res: any) => {
          // Writes as fast as write() allows, to a client that does not read yet.
          const chunk = Buffer.alloc(16 * 1024, 'w');
          let writes = 0;
          let falseAt = -1;
          while (writes < WRITER_CHUNKS) {
            writes++;
            if (!res.write(chunk)) {
              if (falseAt < 0) {
                falseAt = writes;
                seen.writerResult.resolve({ writes, falseAt, bytes: writes * chunk.length });
              }
              await res.ready();
            }
          }
          await seen.releaseWriter.promise;
          res.end();
        });
      },
      { onError: (err: unknown) => errors.push(err) },
    );
  });

  afterAll(async () => {
    seen.releaseSlow.resolve();
    seen.releaseWriter.resolve();
    await s?.stop();
  });

  const raw = async (data: Buffer, opts = {}) => {
    const r = await rawRequest(s.port, data, opts);
    expect(r.responses.length, show(r.raw)).toBe(1);
    return r;
  };

  describe('framing', () => {
    it('res.write then end: chunked, each write one chunk, the last chunk at the end', async () => {
      const r = await raw(get('/write'));
      const res = r.responses[0];
      expect(res.status).toBe(200);
      expect(res.headers['transfer-encoding']).toBe('chunked');
      expect(res.headers['content-length']).toBeUndefined();
      expect(res.headers['content-type']).toBe('text/plain');
      expect(res.text).toBe('hello world!');
      // Exactly the chunks written, in hex sizes, then the last chunk.
      const body = r.raw.subarray(r.raw.indexOf('\r\n\r\n') + 4).toString('latin1');
      expect(body).toBe('6\r\nhello \r\n5\r\nworld\r\n1\r\n!\r\n0\r\n\r\n');
      expect(framingProblems(res, { chunked: true })).toEqual([]);
    });

    it('empty writes send no chunk (a zero-size chunk would end the body)', async () => {
      const r = await raw(get('/empty-writes'));
      const body = r.raw.subarray(r.raw.indexOf('\r\n\r\n') + 4).toString('latin1');
      expect(body).toBe('1\r\na\r\n0\r\n\r\n');
    });

    it('multi-byte text is sized in bytes', async () => {
      const r = await raw(get('/unicode'));
      expect(r.responses[0].text).toBe(`${'é'.repeat(300)}€`);
      const body = r.raw.subarray(r.raw.indexOf('\r\n\r\n') + 4).toString('latin1');
      expect(body.startsWith('258\r\n')).toBe(true); // 600 bytes
    });

    it('a returned async generator, ReadableStream or Node Readable is streamed', async () => {
      for (const [path, text] of [
        ['/generator', 'one,two,three'],
        ['/web-stream', 'web stream'],
        ['/node-readable', 'node readable'],
      ]) {
        const r = await raw(get(path));
        expect(r.responses[0].headers['transfer-encoding'], path).toBe('chunked');
        expect(r.responses[0].text, path).toBe(text);
      }
    });

    it('res.stream keeps the status and headers set before it', async () => {
      const r = await raw(get('/res-stream'));
      expect(r.responses[0].status).toBe(201);
      expect(r.responses[0].headers['x-kind']).toBe('stream');
      expect(r.responses[0].text).toBe('via res.stream');
    });

    it('a set Content-Length frames the stream instead of chunks', async () => {
      const r = await raw(get('/length'));
      const res = r.responses[0];
      expect(res.headers['content-length']).toBe('10');
      expect(res.headers['transfer-encoding']).toBeUndefined();
      expect(res.text).toBe('0123456789');
      expect(framingProblems(res)).toEqual([]);
    });

    it('shorter than its Content-Length: cut off with the connection, and the error says so', async () => {
      errors.length = 0;
      const r = await rawRequest(s.port, get('/length-short'), { waitForClose: true });
      expect(r.closed).toBe(true);
      expect(r.responses).toHaveLength(0); // the client never gets a complete-looking response
      expect(r.raw.toString('latin1')).toContain('Content-Length: 10\r\n');
      expect(r.raw.toString('latin1').endsWith('\r\n\r\n0123')).toBe(true);
      expect(errors.map((e) => (e as { code: string }).code)).toEqual(['UVHTTP_ERR_CONTENT_LENGTH']);
    });

    it('longer than its Content-Length: the write is refused and the response stays correct', async () => {
      errors.length = 0;
      const r = await raw(get('/length-long'));
      expect(r.responses[0].text).toBe('0123');
      expect(errors.map((e) => (e as { code: string }).code)).toEqual(['UVHTTP_ERR_CONTENT_LENGTH']);
    });

    it('status and headers are fixed once the head went out; writes after end throw', async () => {
      errors.length = 0;
      const r = await raw(get('/after-head'));
      expect(r.responses[0].status).toBe(200);
      expect(r.responses[0].headers['x-late']).toBeUndefined();
      expect(r.responses[0].text).toBe('xUVHTTP_ERR_HEADERS_SENT,UVHTTP_ERR_HEADERS_SENT');
      expect(errors).toEqual([['UVHTTP_ERR_HEADERS_SENT', 'UVHTTP_ERR_HEADERS_SENT', 'UVHTTP_ERR_ALREADY_SENT']]);
    });

    it('HEAD: the head alone, with no framing field, and the connection goes on', async () => {
      const c = await RawClient.connect(s.port);
      try {
        const head = await c.request(buildRequest('HEAD', '/generator'), { head: true });
        expect(head.status).toBe(200);
        expect(head.headers['transfer-encoding']).toBeUndefined();
        expect(head.headers['content-length']).toBeUndefined();
        expect(head.body.length).toBe(0);
        const next = await c.request(get('/route'));
        expect(next.text).toBe('route');
        const lengthHead = await c.request(buildRequest('HEAD', '/length'), { head: true });
        expect(lengthHead.headers['content-length']).toBe('10');
      } finally {
        c.destroy();
      }
    });

    it('HTTP/1.0: no chunked coding; the body ends with the connection', async () => {
      const r = await rawRequest(s.port, buildRequest('GET', '/write', { version: '1.0' }), { waitForClose: true });
      expect(r.closed).toBe(true);
      const text = r.raw.toString('latin1');
      expect(text).not.toContain('Transfer-Encoding');
      expect(text).not.toContain('Content-Length');
      expect(text).toContain('Connection: close\r\n');
      expect(text.endsWith('\r\n\r\nhello world!')).toBe(true);
    });

    it('HTTP/1.0 keep-alive: a close-delimited response is the last; nothing after it is sent', async () => {
      const keep = { version: '1.0', headers: { Connection: 'keep-alive' } };
      const r = await rawRequest(
        s.port,
        Buffer.concat([buildRequest('GET', '/write', keep), buildRequest('GET', '/route', keep)]),
        { waitForClose: true },
      );
      const text = r.raw.toString('latin1');
      expect(r.closed).toBe(true);
      expect(text).toContain('Connection: close\r\n');
      expect(text.endsWith('\r\n\r\nhello world!')).toBe(true);
      expect(text).not.toContain('route');
    });

    it('a source that fails midway cuts the response off: no last chunk, onError hears it', async () => {
      errors.length = 0;
      const r = await rawRequest(s.port, get('/fails-midway'), { waitForClose: true });
      const text = r.raw.toString('latin1');
      expect(r.closed).toBe(true);
      expect(text).toContain('7\r\npartial\r\n');
      expect(text).not.toContain('0\r\n\r\n');
      expect(r.responses).toHaveLength(0);
      expect(errors.map((e) => (e as Error).message)).toEqual(['source broke']);
      const after = await raw(get('/route'));
      expect(after.responses[0].text).toBe('route');
    });
  });

  describe('order', () => {
    it('pipelined requests behind a streamed response wait for its end, in order', async () => {
      const c = await RawClient.connect(s.port);
      try {
        await c.write(Buffer.concat([get('/slow'), get('/static'), get('/route'), get('/generator')]));
        await sleep(100);
        // The stream's head and first chunk are out; nothing behind it may be.
        const early = c.received.toString('latin1');
        expect(early).toContain('slow-start;');
        expect(early).not.toContain('static');
        expect(early).not.toContain('route');
        seen.releaseSlow.resolve();
        const rs = await c.read(4);
        expect(rs.map((x) => x.text)).toEqual(['slow-start;slow-end', 'static', 'route', 'one,two,three']);
      } finally {
        c.destroy();
      }
    });

    it('a stream still going when the one before it ends: its parts so far, then the rest, in order', async () => {
      const c = await RawClient.connect(s.port);
      try {
        // 100 ms ends at 300 ms; 200 ms has written one tick by then and two more after.
        await c.write(Buffer.concat([get('/ticks/100'), get('/ticks/200'), get('/route')]));
        const rs = await c.read(3);
        expect(rs.map((x) => x.text)).toEqual(['100:0;100:1;100:2;', '200:0;200:1;200:2;', 'route']);
        for (const r of rs.slice(0, 2)) expect(framingProblems(r, { chunked: true })).toEqual([]);
      } finally {
        c.destroy();
      }
    });

    it('a streamed response behind a slow one waits, then goes out whole and in order', async () => {
      const c = await RawClient.connect(s.port);
      try {
        await c.write(Buffer.concat([get('/sse'), get('/write')]));
        const rs = await c.read(2);
        expect(rs.map((x) => x.text)).toEqual(['data: event 0\n\ndata: event 1\n\ndata: event 2\n\n', 'hello world!']);
      } finally {
        c.destroy();
      }
    });
  });

  describe('as produced', () => {
    it('server-sent events arrive one by one, not at the end', async () => {
      seen.sseSent.length = 0;
      const c = await RawClient.connect(s.port);
      try {
        const arrived: number[] = [];
        c.socket.on('data', (d) => {
          const n = (d.toString('latin1').match(/data: event/g) ?? []).length;
          for (let i = 0; i < n; i++) arrived.push(performance.now());
        });
        const t0 = performance.now();
        await c.write(get('/sse'));
        await c.read(1);
        expect(arrived).toHaveLength(3);
        expect(seen.sseSent).toHaveLength(3);
        // Each event arrived before the next one was even produced (150 ms apart).
        expect(arrived[0]).toBeLessThan(seen.sseSent[1]);
        expect(arrived[1]).toBeLessThan(seen.sseSent[2]);
        expect(arrived[2] - t0).toBeGreaterThan(400);
      } finally {
        c.destroy();
      }
    });

    it('curl reads a chunked stream', async () => {
      const { stdout } = await run('curl', ['-sS', '--raw', '-D', '-', `${s.base}/write`], { env: { PATH: process.env.PATH } });
      expect(stdout).toContain('Transfer-Encoding: chunked');
      expect(stdout).toContain('6\r\nhello \r\n');
      const decoded = await run('curl', ['-sS', `${s.base}/generator`], { env: { PATH: process.env.PATH } });
      expect(decoded.stdout).toBe('one,two,three');
    });

    it('fetch reads a stream chunk by chunk', async () => {
      const res = await fetch(`${s.base}/sse`);
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(new TextDecoder().decode(first.value)).toBe('data: event 0\n\n');
      let rest = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        rest += new TextDecoder().decode(value);
      }
      expect(rest).toBe('data: event 1\n\ndata: event 2\n\n');
    });
  });

  describe('backpressure', () => {
    it('write() returns false past the high-water mark and ready() waits for the client to read', async () => {
      const c = await RawClient.connect(s.port);
      try {
        c.socket.pause();
        await c.write(get('/writer'));
        const first = await seen.writerResult.promise;
        // 16 KiB writes: false on the write that reaches 64 KiB unsent.
        expect(first.falseAt).toBe(4);
        await sleep(300);
        // Without a reader the producer stays stopped: what left JS is bounded by the socket buffers
        // (a few MiB on loopback) plus the high-water mark, far below the 32 MiB it wants to write.
        const stalled = s.app.stats().bytesWritten;
        await sleep(200);
        expect(s.app.stats().bytesWritten - stalled).toBe(0);
        const buffered = s.app.stats().bufferedBytes;
        expect(buffered).toBeLessThan(1024 * 1024);
        // Now read it all: the producer resumes and ends. Counted as it comes (8 MiB).
        let bytes = 0;
        let tail = '';
        const ended = new Promise<void>((resolve) => {
          c.socket.on('data', (d) => {
            bytes += d.length;
            tail = (tail + d.toString('latin1')).slice(-16);
            if (tail.endsWith('\r\n0\r\n\r\n')) resolve();
          });
        });
        seen.releaseWriter.resolve();
        c.socket.resume();
        await within(ended, 10_000, 'the rest of the stream');
        const received = c.received.length; // what RawClient had collected before plus after
        expect(received).toBeGreaterThanOrEqual(bytes);
        // Every chunk is "4000\r\n" + 16 KiB + "\r\n", then the last chunk.
        const head = c.received.indexOf('\r\n\r\n') + 4;
        expect(received - head).toBe(WRITER_CHUNKS * (16 * 1024 + 8) + 5);
      } finally {
        c.destroy();
      }
    });
  });

  describe('the client goes away', () => {
    it('res.signal aborts and the writer stops', async () => {
      const c = await RawClient.connect(s.port);
      await c.write(get('/forever'));
      await sleep(60);
      expect(c.received.toString('latin1')).toContain('data: tick');
      c.destroy();
      expect(await seen.aborted.promise).toBe('UVHTTP_ERR_CONNECTION_CLOSED');
    });

    it('a returned generator is closed (its finally runs) and a Node Readable destroyed', async () => {
      for (const [path, done] of [
        ['/forever-generator', seen.generatorFinally.promise],
        ['/forever-readable', seen.readableDestroyed.promise],
      ] as const) {
        const c = await RawClient.connect(s.port);
        await c.write(get(path));
        await sleep(60);
        expect(c.received.length, path).toBeGreaterThan(0);
        c.destroy();
        await expect(Promise.race([done.then(() => 'stopped'), sleep(2000).then(() => 'still running')])).resolves.toBe('stopped');
      }
    });

    it('no error is reported for a client that left, and the server goes on', async () => {
      await sleep(50);
      expect(errors.filter((e) => (e as { code?: string }).code === 'UVHTTP_ERR_CONNECTION_CLOSED')).toEqual([]);
      const r = await raw(get('/route'));
      expect(r.responses[0].text).toBe('route');
    });
  });
});

describe('streamed responses and time', () => {
  it('a stream longer than requestTimeout is not cut, and two clients streaming at once get only their own bytes', async () => {
    const s = await startApp(
      (app) => {
        app.get('/slow/:who', async (req: any, res: any) => {
          for (let i = 0; i < 6; i++) {
            res.write(`${req.params.who}:${i};`);
            await sleep(400); // 2.4 s in all, past the 1 s requestTimeout
          }
          res.end();
        });
      },
      { requestTimeout: 1000 },
    );
    try {
      const [a, b] = await Promise.all(
        ['alice', 'bob'].map((who) => rawRequest(s.port, get(`/slow/${who}`), { timeoutMs: 6000 })),
      );
      for (const [r, who, other] of [
        [a, 'alice', 'bob'],
        [b, 'bob', 'alice'],
      ] as const) {
        expect(r.timedOut).toBe(false);
        expect(r.responses.map((x) => x.status)).toEqual([200]);
        expect(r.responses[0].text).toBe([0, 1, 2, 3, 4, 5].map((i) => `${who}:${i};`).join(''));
        expect(r.raw.toString('latin1')).not.toContain(other);
      }
      expect(s.app.stats().timeouts).toBe(0);
    } finally {
      await s.stop();
    }
  });
});
