// app.fetch and serve(): a web-standard fetch handler behind the routes, static responses and files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { serve } from '../../lib/index.js';
import { startApp, type Started } from '../helpers/app.js';
import { RawClient, buildRequest, framingProblems, get, headerValues, rawRequest, show, signal, within } from '../helpers/http.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('app.fetch', () => {
  let s: Started;
  const endless = { started: signal(), cancelled: signal<string>(), aborted: signal<boolean>() };
  let dir: string;
  const errors: unknown[] = [];
  // The signal test's handler, to look at after the client went away.
  let waiting: { signal?: AbortSignal; entered?: () => void; release?: () => void } = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uvhttp-fetch-'));
    writeFileSync(join(dir, 'file.txt'), 'from disk');
    s = await startApp(
      (app) => {
        app.static('/static', 'static body');
        app.get('/route', () => 'route body');
        app.post('/only-post', () => 'posted');
        app.get('/users/:id', (req: any) => `user ${req.params.id}`);
        app.serveDir('/files', dir);
        app.serveDir('/open', dir, { fallthrough: true });
        app.fetch(async (request: Request) => {
          const url = new URL(request.url);
          switch (url.pathname) {
            case '/string':
              return new Response('hello fetch');
            case '/arraybuffer':
              return new Response(new Uint8Array([1, 2, 3, 250]).buffer);
            case '/uint8array':
              return new Response(new Uint8Array([0, 255, 7]));
            case '/blob':
              return new Response(new Blob(['blob body'], { type: 'text/x-blob' }));
            case '/formdata': {
              const form = new FormData();
              form.append('a', '1');
              form.append('file', new Blob(['contents'], { type: 'text/plain' }), 'f.txt');
              return new Response(form);
            }
            case '/params':
              return new Response(new URLSearchParams({ a: '1', b: 'x y' }));
            case '/stream': {
              const parts = ['one,', 'two,', 'three'];
              return new Response(
                new ReadableStream({
                  async pull(controller) {
                    await sleep(1);
                    const p = parts.shift();
                    if (p === undefined) controller.close();
                    else controller.enqueue(new TextEncoder().encode(p));
                  },
                }),
                { headers: { 'content-type': 'text/plain' } },
              );
            }
            case '/sse': {
              let i = 0;
              return new Response(
                new ReadableStream({
                  async pull(controller) {
                    if (i === 3) return controller.close();
                    if (i > 0) await sleep(100);
                    controller.enqueue(new TextEncoder().encode(`data: ${i++}\n\n`));
                  },
                }),
                { headers: { 'content-type': 'text/event-stream' } },
              );
            }
            case '/endless': {
              request.signal.addEventListener('abort', () => endless.aborted.resolve(true));
              return new Response(
                new ReadableStream({
                  async pull(controller) {
                    endless.started.resolve();
                    await sleep(10);
                    controller.enqueue(new TextEncoder().encode('tick\n'));
                  },
                  cancel(reason) {
                    endless.cancelled.resolve((reason as { code?: string })?.code ?? String(reason));
                  },
                }),
              );
            }
            case '/null':
              return new Response(null, { status: 200, headers: { 'x-null': 'yes' } });
            case '/status':
              return new Response(`status ${url.searchParams.get('code')}`, { status: Number(url.searchParams.get('code')) });
            case '/cookies': {
              const headers = new Headers();
              headers.append('set-cookie', 'a=1; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT');
              headers.append('set-cookie', 'b=2; HttpOnly');
              headers.append('x-custom', 'v');
              // The core writes these itself: the handler's values are ignored.
              headers.set('content-length', '999');
              headers.set('connection', 'close');
              headers.set('date', 'yesterday');
              return new Response('cookies', { headers });
            }
            case '/echo': {
              const body = new Uint8Array(await request.arrayBuffer());
              return Response.json({
                method: request.method,
                url: request.url,
                hasBody: request.body !== null,
                length: body.length,
                bytes: Buffer.from(body).toString('base64'),
                type: request.headers.get('content-type'),
                custom: request.headers.get('x-custom'),
                isRequest: request instanceof globalThis.Request,
              });
            }
            case '/wait':
              waiting.signal = request.signal;
              waiting.entered?.();
              await new Promise<void>((resolve) => {
                waiting.release = resolve;
                request.signal.addEventListener('abort', () => resolve());
              });
              return new Response('late');
            case '/throw':
              throw new Error('handler broke');
            case '/reject':
              return Promise.reject(new Error('handler rejected'));
            case '/not-a-response':
              return { body: 'plain object' } as unknown as Response;
            default:
              return new Response(`fallback ${request.method} ${url.pathname}`, { status: 404 });
          }
        });
      },
      { onError: (err: unknown) => errors.push(err) },
    );
  });

  afterAll(async () => {
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const raw = async (data: Buffer, opts = {}) => {
    const r = await rawRequest(s.port, data, opts);
    expect(r.responses.length, show(r.raw)).toBe(1);
    return r.responses[0];
  };

  describe('precedence', () => {
    it('routes, static responses and mounted files answer before the fetch handler', async () => {
      expect(await (await fetch(`${s.base}/route`)).text()).toBe('route body');
      expect(await (await fetch(`${s.base}/static`)).text()).toBe('static body');
      expect(await (await fetch(`${s.base}/users/7`)).text()).toBe('user 7');
      expect(await (await fetch(`${s.base}/files/file.txt`)).text()).toBe('from disk');
    });

    it('what nothing else takes goes to the fetch handler, whatever the method', async () => {
      const r = await fetch(`${s.base}/nowhere`);
      expect(r.status).toBe(404);
      expect(await r.text()).toBe('fallback GET /nowhere');
      const d = await fetch(`${s.base}/nowhere/else`, { method: 'DELETE' });
      expect(await d.text()).toBe('fallback DELETE /nowhere/else');
      // A miss below a mount with fallthrough goes on to the fetch handler; a hit does not.
      expect(await (await fetch(`${s.base}/open/missing.txt`)).text()).toBe('fallback GET /open/missing.txt');
      expect(await (await fetch(`${s.base}/open/file.txt`)).text()).toBe('from disk');
    });

    it("a miss below a mount without fallthrough gets that mount's own 404", async () => {
      const r = await fetch(`${s.base}/files/missing.txt`);
      expect(r.status).toBe(404);
      expect(await r.text()).not.toContain('fallback');
    });

    it('a route that has the path but not the method still answers 405', async () => {
      const r = await fetch(`${s.base}/only-post`);
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toContain('POST');
      expect(await r.text()).not.toContain('fallback');
    });

    it('OPTIONS * stays with the core', async () => {
      const res = await raw(buildRequest('OPTIONS', '*'));
      expect(res.status).toBe(204);
      expect(res.headers.allow).toContain('GET');
    });
  });

  describe('response bodies', () => {
    it('a string, as text/plain UTF-8', async () => {
      const r = await fetch(`${s.base}/string`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/plain;charset=UTF-8');
      expect(await r.text()).toBe('hello fetch');
    });

    it('an ArrayBuffer and a Uint8Array, bytes intact and no Content-Type invented', async () => {
      for (const [path, bytes] of [
        ['/arraybuffer', [1, 2, 3, 250]],
        ['/uint8array', [0, 255, 7]],
      ] as const) {
        const res = await raw(get(path));
        expect(res.status).toBe(200);
        expect([...res.body]).toEqual(bytes);
        expect(res.headers['content-length']).toBe(String(bytes.length));
        expect(res.headers['content-type']).toBeUndefined();
      }
    });

    it("a Blob, with the Blob's type", async () => {
      const r = await fetch(`${s.base}/blob`);
      expect(r.headers.get('content-type')).toBe('text/x-blob');
      expect(await r.text()).toBe('blob body');
    });

    it('FormData, as multipart with the boundary Response chose', async () => {
      const r = await fetch(`${s.base}/formdata`);
      const type = r.headers.get('content-type') ?? '';
      expect(type).toMatch(/^multipart\/form-data; boundary=/);
      const form = await r.formData();
      expect(form.get('a')).toBe('1');
      const file = form.get('file') as File;
      expect(file.name).toBe('f.txt');
      expect(await file.text()).toBe('contents');
    });

    it('URLSearchParams, form-encoded', async () => {
      const r = await fetch(`${s.base}/params`);
      expect(r.headers.get('content-type')).toBe('application/x-www-form-urlencoded;charset=UTF-8');
      expect(await r.text()).toBe('a=1&b=x+y');
    });

    it('a ReadableStream of several chunks, sent chunked as it is read', async () => {
      const r = await rawRequest(s.port, get('/stream'));
      const res = r.responses[0];
      expect(res.text).toBe('one,two,three');
      expect(res.headers['content-length']).toBeUndefined();
      expect(res.headers['transfer-encoding']).toBe('chunked');
      expect(res.headers['content-type']).toBe('text/plain');
      // One chunk per piece the stream gave, each sent when it was read.
      expect(r.raw.toString('latin1')).toContain('\r\n\r\n4\r\none,\r\n4\r\ntwo,\r\n5\r\nthree\r\n0\r\n\r\n');
    });

    it('server-sent events from a fetch handler arrive one by one', async () => {
      const arrived: number[] = [];
      const c = await RawClient.connect(s.port);
      try {
        c.socket.on('data', (d) => {
          for (const _ of d.toString('latin1').matchAll(/data: /g)) arrived.push(performance.now());
        });
        await c.write(get('/sse'));
        const [res] = await c.read(1);
        expect(res.headers['content-type']).toBe('text/event-stream');
        expect(res.text).toBe('data: 0\n\ndata: 1\n\ndata: 2\n\n');
        expect(arrived).toHaveLength(3);
        // 100 ms apart when produced: had they been held to the end, they would arrive together.
        expect(arrived[1] - arrived[0]).toBeGreaterThan(60);
        expect(arrived[2] - arrived[1]).toBeGreaterThan(60);
      } finally {
        c.destroy();
      }
    });

    it('a client that leaves cancels the body stream and aborts request.signal', async () => {
      const c = await RawClient.connect(s.port);
      await c.write(get('/endless'));
      await within(endless.started.promise, 2000, 'the endless stream starting');
      c.destroy();
      expect(await within(endless.cancelled.promise, 2000, 'the stream being cancelled')).toBe('UVHTTP_ERR_CONNECTION_CLOSED');
      expect(await within(endless.aborted.promise, 2000, 'request.signal aborting')).toBe(true);
    });

    it('a null body: empty, Content-Length 0, the headers kept', async () => {
      const res = await raw(get('/null'));
      expect(res.status).toBe(200);
      expect(res.body.length).toBe(0);
      expect(res.headers['content-length']).toBe('0');
      expect(res.headers['x-null']).toBe('yes');
      expect(res.headers['content-type']).toBeUndefined();
    });

    it('the status the Response names', async () => {
      for (const code of [201, 404, 418, 503]) {
        const res = await raw(get(`/status?code=${code}`));
        expect(res.status).toBe(code);
        expect(res.text).toBe(`status ${code}`);
      }
    });

    it('several Set-Cookie fields stay separate; reserved fields are the core’s', async () => {
      const res = await raw(get('/cookies'));
      expect(headerValues(res, 'set-cookie')).toEqual([
        'a=1; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT',
        'b=2; HttpOnly',
      ]);
      expect(res.headers['x-custom']).toBe('v');
      expect(headerValues(res, 'content-length')).toEqual(['7']);
      expect(headerValues(res, 'date')).toHaveLength(1);
      expect(res.headers.date).not.toBe('yesterday');
      expect(res.headers.connection).toBeUndefined();
      expect(res.text).toBe('cookies');
      expect(framingProblems(res)).toEqual([]);
    });

    it('HEAD: the head with the length the body would have, and no body', async () => {
      const r = await rawRequest(s.port, Buffer.concat([buildRequest('HEAD', '/string'), get('/string')]), {
        waitForResponses: 2,
        noBody: [true, false],
      });
      expect(r.responses.length, show(r.raw)).toBe(2);
      const [head, after] = r.responses;
      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe('11');
      expect(head.body.length).toBe(0);
      // The next response on the connection starts right after the head: no stray body bytes.
      expect(after.text).toBe('hello fetch');
    });
  });

  describe('bodyless statuses', () => {
    let b: Started;
    beforeAll(async () => {
      b = await startApp((app) => {
        app.fetch((request: Request) => new Response(null, { status: Number(new URL(request.url).searchParams.get('code')), headers: { etag: '"x"' } }));
      });
    });
    afterAll(() => b?.stop());

    it('204 and 304 carry no body and no Content-Length', async () => {
      for (const code of [204, 304]) {
        const r = await rawRequest(b.port, Buffer.concat([get(`/?code=${code}`), get('/?code=200')]), {
          waitForResponses: 2,
          noBody: [true, false],
        });
        expect(r.responses.length, show(r.raw)).toBe(2);
        expect(r.responses[0].status).toBe(code);
        expect(r.responses[0].headers['content-length']).toBeUndefined();
        expect(r.responses[0].headers.etag).toBe('"x"');
        expect(r.responses[1].status).toBe(200);
        expect(r.responses[1].headers['content-length']).toBe('0');
      }
    });
  });

  describe('the request', () => {
    it('a text POST body, the URL with its query, the headers', async () => {
      const r = await fetch(`${s.base}/echo?x=1&y=%20z`, {
        method: 'POST',
        body: 'héllo body',
        headers: { 'content-type': 'text/plain; charset=utf-8', 'x-custom': 'seen' },
      });
      const j = await r.json();
      expect(j).toMatchObject({
        method: 'POST',
        url: `http://127.0.0.1:${s.port}/echo?x=1&y=%20z`,
        hasBody: true,
        length: Buffer.byteLength('héllo body'),
        type: 'text/plain; charset=utf-8',
        custom: 'seen',
        isRequest: true,
      });
      expect(Buffer.from(j.bytes, 'base64').toString()).toBe('héllo body');
    });

    it('a binary body arrives byte for byte', async () => {
      const bytes = Buffer.alloc(70_000);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + 3) & 0xff;
      const j = await (await fetch(`${s.base}/echo`, { method: 'PUT', body: bytes })).json();
      expect(j.length).toBe(bytes.length);
      expect(Buffer.from(j.bytes, 'base64').equals(bytes)).toBe(true);
    });

    it('GET, and a POST without a body, have a null body', async () => {
      expect((await (await fetch(`${s.base}/echo`)).json()).hasBody).toBe(false);
      const j = await (await fetch(`${s.base}/echo`, { method: 'POST' })).json();
      expect(j.hasBody).toBe(false);
      expect(j.length).toBe(0);
    });

    it('without a Host header (HTTP/1.0) the URL names localhost', async () => {
      const res = await raw(buildRequest('GET', '/echo?q', { version: '1.0' }));
      expect(JSON.parse(res.text).url).toBe('http://localhost/echo?q');
    });

    it('request.signal aborts when the client goes away while the handler waits', async () => {
      const entered = new Promise<void>((resolve) => {
        waiting = { entered: resolve };
      });
      const sock = net.connect({ port: s.port, host: '127.0.0.1' });
      sock.on('error', () => {});
      sock.write(get('/wait'));
      await entered;
      const signal = waiting.signal!;
      expect(signal.aborted).toBe(false);
      sock.destroy();
      for (let i = 0; i < 200 && !signal.aborted; i++) await sleep(10);
      expect(signal.aborted).toBe(true);
      expect((signal.reason as { code?: string }).code).toBe('UVHTTP_ERR_CONNECTION_CLOSED');
    });

    it('request.signal does not abort while the client waits for the answer', async () => {
      const entered = new Promise<void>((resolve) => {
        waiting = { entered: resolve };
      });
      const pending = fetch(`${s.base}/wait`);
      await entered;
      await sleep(50);
      expect(waiting.signal!.aborted).toBe(false);
      waiting.release!();
      expect(await (await pending).text()).toBe('late');
    });
  });

  describe('failures', () => {
    it('a throwing or rejecting handler gives a 500, goes to onError, and the server goes on', async () => {
      for (const path of ['/throw', '/reject']) {
        errors.length = 0;
        const r = await fetch(`${s.base}${path}`);
        expect(r.status).toBe(500);
        expect(await r.text()).toBe('Internal Server Error');
        expect(errors).toHaveLength(1);
        expect((errors[0] as Error).message).toMatch(/handler (broke|rejected)/);
      }
      expect(await (await fetch(`${s.base}/string`)).text()).toBe('hello fetch');
    });

    it('a handler that returns something other than a Response gives a 500 with a coded report', async () => {
      errors.length = 0;
      const r = await fetch(`${s.base}/not-a-response`);
      expect(r.status).toBe(500);
      expect(errors).toHaveLength(1);
      expect((errors[0] as { code?: string }).code).toBe('UVHTTP_ERR_INVALID_RESPONSE');
      expect((errors[0] as Error).message).toContain('Object');
      expect(await (await fetch(`${s.base}/string`)).text()).toBe('hello fetch');
    });

    it('app.fetch takes only a function', async () => {
      await startApp((app) => {
        expect(() => app.fetch('nope')).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_INVALID_ARG' }));
      }).then((x) => x.stop());
    });
  });

  it('without app.fetch, what no route takes is still a native 404', async () => {
    const plain = await startApp((app) => app.get('/a', () => 'a'));
    try {
      const r = await fetch(`${plain.base}/b`);
      expect(r.status).toBe(404);
    } finally {
      await plain.stop();
    }
  });
});

describe('serve', () => {
  it('listens, reports the address once through onListen, answers, and closes', async () => {
    const heard: Array<{ address: string; port: number }> = [];
    const server = serve(
      { fetch: (request) => new Response(`served ${new URL(request.url).pathname}`), port: 0, hostname: '127.0.0.1' },
      (info) => heard.push(info),
    );
    expect(server.port).toBeUndefined();
    const info = await server.ready;
    expect(info.address).toBe('127.0.0.1');
    expect(info.port).toBeGreaterThan(0);
    expect(server.port).toBe(info.port);
    expect(server.address).toBe('127.0.0.1');
    expect(heard).toEqual([info]);
    const r = await fetch(`http://127.0.0.1:${info.port}/x`);
    expect(await r.text()).toBe('served /x');
    await server.close();
    await expect(fetch(`http://127.0.0.1:${info.port}/x`)).rejects.toThrow();
    expect(heard).toHaveLength(1);
  });

  it('passes server options through (bodyLimit) and exposes the app for more routes', async () => {
    const server = serve({ fetch: () => new Response('fetch'), port: 0, hostname: '127.0.0.1', bodyLimit: 4 });
    server.app.get('/route', () => 'route');
    const { port } = await server.ready;
    try {
      expect(await (await fetch(`http://127.0.0.1:${port}/route`)).text()).toBe('route');
      expect(await (await fetch(`http://127.0.0.1:${port}/other`)).text()).toBe('fetch');
      const big = await fetch(`http://127.0.0.1:${port}/other`, { method: 'POST', body: 'too long' });
      expect(big.status).toBe(413);
    } finally {
      await server.close();
    }
  });

  it('validates its arguments with coded errors', () => {
    const fetch = () => new Response('');
    const cases: Array<[unknown, unknown, string]> = [
      [undefined, undefined, 'UVHTTP_ERR_INVALID_ARG'],
      [null, undefined, 'UVHTTP_ERR_INVALID_ARG'],
      [{}, undefined, 'UVHTTP_ERR_INVALID_OPTION'],
      [{ fetch: 'x' }, undefined, 'UVHTTP_ERR_INVALID_OPTION'],
      [{ fetch, port: -1 }, undefined, 'UVHTTP_ERR_INVALID_OPTION'],
      [{ fetch, port: 70000 }, undefined, 'UVHTTP_ERR_INVALID_OPTION'],
      [{ fetch, port: 1.5 }, undefined, 'UVHTTP_ERR_INVALID_OPTION'],
      [{ fetch, hostname: 7 }, undefined, 'UVHTTP_ERR_INVALID_OPTION'],
      [{ fetch, port: 0, bodyLimit: -1 }, undefined, 'UVHTTP_ERR_INVALID_OPTION'],
      [{ fetch, port: 0 }, 'not a function', 'UVHTTP_ERR_INVALID_ARG'],
    ];
    for (const [options, onListen, code] of cases) {
      expect(() => serve(options as never, onListen as never), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code }),
      );
    }
  });

  it('a port in use rejects ready, and close() still settles', async () => {
    const first = serve({ fetch: () => new Response(''), port: 0, hostname: '127.0.0.1' });
    const { port } = await first.ready;
    let listened = false;
    const second = serve({ fetch: () => new Response(''), port, hostname: '127.0.0.1' }, () => {
      listened = true;
    });
    await expect(second.ready).rejects.toThrow();
    expect(listened).toBe(false);
    expect(second.port).toBeUndefined();
    await second.close();
    await first.close();
  });

  it('info carries the client address and port, read only when asked', async () => {
    const server = serve({
      fetch: (_request, info) => Response.json({ address: info.remoteAddress, port: info.remotePort }),
      port: 0,
      hostname: '127.0.0.1',
    });
    const { port } = await server.ready;
    try {
      const sock = net.connect({ port, host: '127.0.0.1' });
      await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
      const body = await new Promise<string>((resolve) => {
        let got = '';
        sock.on('data', (d) => {
          got += d.toString('latin1');
          if (got.includes('}')) resolve(got.slice(got.indexOf('\r\n\r\n') + 4));
        });
        sock.write(get('/'));
      });
      const localPort = sock.localPort;
      sock.destroy();
      // The server sees the client's own end of the connection.
      expect(JSON.parse(body)).toEqual({ address: '127.0.0.1', port: localPort });
    } finally {
      await server.close();
    }
  });
});
