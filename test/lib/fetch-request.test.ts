// createRequest: the Request a fetch handler gets is cheap to make and cannot be told from the one
// built the eager way (every part at once), directly and through a real server.
import net from 'node:net';
import { inspect } from 'node:util';
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { createRequest, lazyRequests, type RequestSource } from '../../lib/fetch-request.js';
import { startApp, type Started } from '../helpers/app.js';
import { buildRequest, rawRequest, show } from '../helpers/http.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Spec {
  method?: string;
  url?: string;
  host?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** A source that counts what was asked of it. */
function source(spec: Spec = {}) {
  const calls = { headers: 0, body: 0, signal: 0 };
  const controller = new AbortController();
  const method = spec.method ?? 'GET';
  const src: RequestSource = {
    method,
    url: spec.url ?? '/',
    host: 'host' in spec ? spec.host : '127.0.0.1:8080',
    headers() {
      calls.headers++;
      return { ...(spec.headers ?? {}) };
    },
    body() {
      calls.body++;
      return spec.body === undefined || spec.body.length === 0 ? null : Buffer.from(spec.body);
    },
    signal() {
      calls.signal++;
      return controller.signal;
    },
  };
  return { src, calls, controller };
}

/** The eager build, as app.fetch made every request before createRequest. */
function eager(spec: Spec = {}, signal = new AbortController().signal): Request {
  const method = spec.method ?? 'GET';
  const host = 'host' in spec ? spec.host : '127.0.0.1:8080';
  const hasBody = method !== 'GET' && method !== 'HEAD' && spec.body !== undefined && spec.body.length > 0;
  return new Request(`http://${host ?? 'localhost'}${spec.url ?? '/'}`, {
    method,
    headers: { ...(spec.headers ?? {}) },
    body: hasBody ? Buffer.from(spec.body!) : undefined,
    signal,
    duplex: 'half',
  } as RequestInit);
}

const proto = Request.prototype as unknown as Record<PropertyKey, unknown>;
const descriptors = Object.getOwnPropertyDescriptors(Request.prototype);
/** Every accessor of Request.prototype but the ones compared by kind below. */
const plainGetters = Reflect.ownKeys(descriptors).filter(
  (k) => descriptors[k as string].get !== undefined && !['headers', 'signal', 'body'].includes(k as string),
) as string[];
const bodyReaders = ['text', 'arrayBuffer', 'json', 'blob', 'formData', 'bytes'].filter((k) => typeof proto[k] === 'function');

/** What a body reader gives, in a comparable form (or the error's name and message). */
async function outcome(request: Request, reader: string): Promise<unknown> {
  try {
    const v = await (request as unknown as Record<string, () => Promise<unknown>>)[reader]();
    if (v instanceof ArrayBuffer || v instanceof Uint8Array) return ['bytes', [...new Uint8Array(v)]];
    if (v instanceof Blob) return ['blob', v.type, [...new Uint8Array(await v.arrayBuffer())]];
    if (v instanceof FormData) {
      const entries: unknown[] = [];
      for (const [k, x] of v) entries.push([k, typeof x === 'string' ? x : ['file', x.name, x.type, await x.text()]]);
      return ['form', entries];
    }
    return v;
  } catch (err) {
    return ['error', (err as Error).name, (err as Error).message];
  }
}

const CASES: Spec[] = [
  { method: 'GET', url: '/a/b?x=1&y=%20z', headers: { accept: 'text/html', 'x-dup': 'a, b', cookie: 'a=1; b=2' } },
  { method: 'HEAD', url: '/head' },
  { method: 'POST', url: '/json', headers: { 'content-type': 'application/json' }, body: '{"a":[1,2],"b":"é"}' },
  { method: 'POST', url: '/form', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=x+y&a=2' },
  { method: 'PUT', url: '/bin', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([0, 255, 1, 254, 10, 13]) },
  { method: 'POST', url: '/empty', headers: {} },
  { method: 'DELETE', url: '/x', body: 'gone' },
  { method: 'PATCH', url: '/p', headers: { 'content-type': 'text/plain;charset=utf-8' }, body: 'patch' },
  { method: 'OPTIONS', url: '/o' },
  { method: 'GET', url: '/no-host', host: undefined },
];

const label = (spec: Spec) => `${spec.method} ${spec.url}`;

describe('createRequest, directly', () => {
  it('this Node takes the lazy request (undici with symbol-keyed state, Node 18 to 22)', () => {
    // If this turns false after a Node upgrade, every request is built eagerly again: correct but slow.
    const undiciMajor = Number(process.versions.undici?.split('.')[0] ?? 0);
    expect(lazyRequests).toBe(undiciMajor > 0 && undiciMajor < 7);
  });

  it.skipIf(!lazyRequests)('common requests take the cheap path; unusual ones are built at once', () => {
    // A real Request has its state in own symbol-keyed slots; the lazy one has none of its own.
    const built = (spec: Spec) => Object.getOwnPropertySymbols(createRequest(source(spec).src)).length > 0;
    expect(built({ url: '/a/b.txt?x=1&y=%20', host: '127.0.0.1:8080' })).toBe(false);
    expect(built({ method: 'POST', url: '/api/users', host: 'example.com', body: 'x' })).toBe(false);
    expect(built({ url: '/', host: undefined })).toBe(false);
    expect(built({ url: '/a/../b' })).toBe(true);
    expect(built({ url: '/a b' })).toBe(true);
    expect(built({ url: '/', host: 'Example.com' })).toBe(true);
    expect(built({ method: 'PROPFIND' })).toBe(true);
  });

  it('is a Request to every check an app makes of its kind', () => {
    const request = createRequest(source().src);
    const real = eager();
    expect(request instanceof Request).toBe(true);
    expect(request.constructor).toBe(Request);
    expect(Object.prototype.toString.call(request)).toBe('[object Request]');
    expect(Object.keys(request)).toEqual(Object.keys(real));
    expect(JSON.stringify(request)).toBe(JSON.stringify(real));
    const keys = (o: object) => {
      const out: string[] = [];
      for (const k in o) out.push(k);
      return out;
    };
    expect(keys(request)).toEqual(keys(real));
    expect(request.text.name).toBe(real.text.name);
    expect(request.text.length).toBe(real.text.length);
  });

  for (const spec of CASES) {
    it(`${label(spec)}: every property equals the eager build's`, async () => {
      const request = createRequest(source(spec).src);
      const real = eager(spec);
      for (const key of plainGetters) {
        expect((request as unknown as Record<string, unknown>)[key], key).toEqual((real as unknown as Record<string, unknown>)[key]);
      }
      expect([...request.headers]).toEqual([...real.headers]);
      expect(request.body === null).toBe(real.body === null);
      if (request.body !== null) expect(request.body).toBeInstanceOf(ReadableStream);
      expect(request.signal).toBeInstanceOf(AbortSignal);
      expect(request.signal.aborted).toBe(false);
      expect(inspect(request, { depth: 4 })).toBe(inspect(real, { depth: 4 }));
    });

    it(`${label(spec)}: every body reader gives what the eager build's gives, once`, async () => {
      for (const reader of bodyReaders) {
        const request = createRequest(source(spec).src);
        const real = eager(spec);
        expect(await outcome(request, reader), reader).toEqual(await outcome(real, reader));
        expect(request.bodyUsed, reader).toBe(real.bodyUsed);
        // A second read fails the same way (or succeeds, for no body).
        expect(await outcome(request, reader), `${reader} again`).toEqual(await outcome(real, reader));
      }
    });

    it(`${label(spec)}: clone() gives an equal, independent Request`, async () => {
      const request = createRequest(source(spec).src);
      const real = eager(spec);
      const a = request.clone();
      const b = real.clone();
      expect(a).toBeInstanceOf(Request);
      expect(a.url).toBe(b.url);
      expect(a.method).toBe(b.method);
      expect([...a.headers]).toEqual([...b.headers]);
      expect(await a.text()).toBe(await b.text());
      // The original still reads after its clone did.
      expect(await request.text()).toBe(await real.text());
    });
  }

  it.skipIf(!lazyRequests)('builds nothing it is not asked for: headers on first read, the signal on first read, the body never for GET', async () => {
    const { src, calls } = source({ method: 'GET', headers: { a: '1' } });
    const request = createRequest(src);
    expect(request.method).toBe('GET');
    expect(request.url).toBe('http://127.0.0.1:8080/');
    expect(calls).toEqual({ headers: 0, body: 0, signal: 0 });
    const headers = request.headers;
    expect(headers).toBeInstanceOf(Headers);
    expect(request.headers).toBe(headers);
    expect(calls).toEqual({ headers: 1, body: 0, signal: 0 });
    expect(request.signal).toBe(request.signal);
    expect(calls).toEqual({ headers: 1, body: 0, signal: 1 });
    expect(await request.text()).toBe('');
    expect(calls.body).toBe(0);
  });

  it('anything else builds the real Request once, with the body asked for once', async () => {
    const others = [...plainGetters.filter((k) => k !== 'method' && k !== 'url'), 'body', 'clone', ...bodyReaders];
    for (const key of others) {
      const { src, calls } = source({ method: 'POST', body: 'once', headers: { 'x-a': '1' } });
      const request = createRequest(src) as unknown as Record<string, unknown>;
      const v = request[key];
      // json() of a non-JSON body rejects: that is still a read.
      if (typeof v === 'function') await Promise.resolve((v as () => unknown).call(request)).catch(() => {});
      expect(calls.body, key).toBe(1);
      // Everything after that asks the same real Request.
      void request.cache;
      void request.body;
      let again: string;
      try {
        again = await (request as unknown as Request).clone().text();
      } catch {
        again = 'used';
      }
      expect(again, key).toMatch(/^(once|used)$/);
      expect(calls.body, key).toBe(1);
      expect(calls.headers, key).toBe(1);
      expect(calls.signal, key).toBe(1);
    }
  });

  it('headers changed before the real Request exists are the ones it gets', async () => {
    const request = createRequest(source({ method: 'POST', body: 'b', headers: { 'x-a': '1' } }).src);
    request.headers.set('x-b', '2');
    request.headers.delete('x-a');
    const copy = request.clone();
    expect([...copy.headers]).toEqual([['x-b', '2']]);
    expect([...request.headers]).toEqual([['x-b', '2']]);
  });

  it('headers first read after the real Request exists are its own', () => {
    const request = createRequest(source({ method: 'POST', body: 'b', headers: { 'x-a': '1' } }).src);
    void request.bodyUsed;
    request.headers.set('x-b', '2');
    expect([...request.clone().headers]).toEqual([
      ['x-a', '1'],
      ['x-b', '2'],
    ]);
  });

  it('new Request(request) and new Request(url, request) take it as a Request', async () => {
    const spec: Spec = { method: 'PUT', url: '/from?q', headers: { 'content-type': 'text/plain', 'x-a': '1' }, body: 'payload' };
    const copy = new Request(createRequest(source(spec).src));
    const expected = new Request(eager(spec));
    expect(copy.url).toBe(expected.url);
    expect(copy.method).toBe(expected.method);
    expect([...copy.headers]).toEqual([...expected.headers]);
    expect(await copy.text()).toBe(await expected.text());

    const moved = new Request('http://elsewhere/x', createRequest(source(spec).src));
    expect(moved.method).toBe('PUT');
    expect(moved.headers.get('x-a')).toBe('1');
    expect(await moved.text()).toBe('payload');

    const overridden = new Request(createRequest(source(spec).src), { method: 'POST', headers: { 'x-b': '2' } });
    expect(overridden.method).toBe('POST');
    expect([...overridden.headers]).toEqual([['x-b', '2']]);
    expect(await overridden.text()).toBe('payload');
  });

  it('a used body makes new Request(request) fail as it does for a real one', async () => {
    const request = createRequest(source({ method: 'POST', body: 'x' }).src);
    const real = eager({ method: 'POST', body: 'x' });
    await request.text();
    await real.text();
    expect(() => new Request(real)).toThrow(TypeError);
    expect(() => new Request(request)).toThrow(TypeError);
    expect(() => request.clone()).toThrow(TypeError);
  });

  it('structuredClone treats it as it treats a real Request', () => {
    const request = createRequest(source().src);
    let real: unknown;
    let lazy: unknown;
    try {
      real = structuredClone(eager());
    } catch (err) {
      real = (err as Error).name;
    }
    try {
      lazy = structuredClone(request);
    } catch (err) {
      lazy = (err as Error).name;
    }
    expect(lazy).toEqual(real);
  });

  it('request.signal is the source signal: it aborts with it, and so do clones and the real Request', () => {
    const { src, controller } = source({ method: 'POST', body: 'x' });
    const request = createRequest(src);
    const signal = request.signal;
    const clone = request.clone();
    expect(signal.aborted).toBe(false);
    const reason = new Error('gone');
    controller.abort(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
    expect(request.signal).toBe(signal);
    expect(clone.signal.aborted).toBe(true);
    expect(clone.signal.reason).toBe(reason);
  });

  describe('URLs: the string it gives is the one the URL parser gives', () => {
    const targets = [
      '/',
      '/a/b/c.txt',
      '/a?b=1&c=%20d',
      '/a?',
      '/?',
      '//double//slashes',
      '/a/../b',
      '/a/./b',
      '/a/..',
      '/a/.',
      '/.well-known/x',
      '/a/.hidden',
      '/%2e%2E/x',
      '/a/%2e',
      '/a%2fb',
      '/a%zz',
      '/~user/x-y_z.html',
      "/a'b?c'd",
      '/a"b',
      '/a<b>?<c>',
      '/a`b?`c',
      '/a{b}?{c}',
      '/a|b^c?|^',
      '/a[b]?[c]',
      '/a\\b?c\\d',
      '/a#frag',
      '/a?b#frag',
      '/a?b?c/d',
      "/!$&()*+,;=:@?!$&()*+,;=:@/",
      '/a\u00e9b',
      '/a?\u00ff',
    ];
    const hosts = [
      '127.0.0.1:8080',
      'localhost',
      'example.com',
      'Example.COM',
      'example.com:80',
      'example.com:080',
      'example.com.',
      '127.1',
      '0x7f.0.0.1',
      '010.0.0.1',
      '[::1]:3000',
      '[0:0::1]',
      'xn--nxasmq6b.example',
      'a_b.example',
      'a..b',
      'a/b',
      'a?b',
      'a#b',
      'a\\b',
      '',
      undefined,
    ];
    for (const host of hosts) {
      it(`host ${host}`, () => {
        for (const url of targets) {
          const spec: Spec = { url, host };
          let expected: string;
          try {
            expected = eager(spec).url;
          } catch (err) {
            expect(() => createRequest(source(spec).src), url).toThrow((err as Error).constructor as ErrorConstructor);
            continue;
          }
          expect(createRequest(source(spec).src).url, url).toBe(expected);
        }
      });
    }

    it('hosts and targets the parser rejects fail as the eager build fails, before the handler could run', () => {
      for (const host of ['a b', 'a:99999', 'a:x', 'a@b']) {
        const spec: Spec = { url: '/x', host };
        expect(() => eager(spec), host).toThrow(TypeError);
        expect(() => createRequest(source(spec).src), host).toThrow(TypeError);
      }
    });
  });

  describe('methods', () => {
    it('an uncommon method, or one undici folds, is what the eager build makes of it', async () => {
      for (const method of ['get', 'Post', 'patch', 'PROPFIND', 'MKCOL', 'QUERY']) {
        const spec: Spec = { method, url: '/m', body: method.toUpperCase() === 'GET' ? undefined : 'b' };
        const request = createRequest(source(spec).src);
        expect(request.method, method).toBe(eager(spec).method);
        expect(await request.text(), method).toBe(await eager(spec).text());
      }
    });

    it('a method undici refuses is refused as before', () => {
      for (const method of ['TRACE', 'TRACK', 'CONNECT']) {
        expect(() => eager({ method }), method).toThrow(TypeError);
        expect(() => createRequest(source({ method }).src), method).toThrow(TypeError);
      }
    });
  });
});

describe('createRequest, behind a real server', () => {
  let s: Started;
  const errors: unknown[] = [];
  let kept: Request | undefined;
  let parked: Array<() => void> = [];
  let waiting: { read?: 'before' | 'after'; signal?: AbortSignal; entered?: () => void; gone?: Promise<void> } = {};

  const describeRequest = async (request: Request) => ({
    isRequest: request instanceof Request,
    method: request.method,
    url: request.url,
    headers: [...request.headers],
    dup: request.headers.get('x-dup'),
    id: request.headers.get('x-id'),
    body: await request.text(),
    bodyUsed: request.bodyUsed,
  });

  beforeAll(async () => {
    s = await startApp(
      (app) => {
        app.fetch(async (request: Request) => {
          const path = new URL(request.url).pathname;
          switch (path) {
            case '/echo':
              return Response.json(await describeRequest(request));
            case '/later':
              // Read only after the batch that carried the request is long gone.
              await sleep(20);
              return Response.json(await describeRequest(request));
            case '/barrier': {
              // Every request waits until all have arrived, then reads its own.
              await new Promise<void>((resolve) => {
                parked.push(resolve);
                if (parked.length === Number(request.headers.get('x-of'))) for (const r of parked.splice(0)) r();
              });
              return Response.json(await describeRequest(request));
            }
            case '/keep':
              kept = request;
              return new Response('kept');
            case '/proxy': {
              const target = new URL(request.url);
              target.pathname = '/echo';
              const upstream = await fetch(new Request(target, request));
              return new Response(upstream.body, { status: upstream.status, headers: upstream.headers });
            }
            case '/wait': {
              if (waiting.read === 'before') waiting.signal = request.signal;
              waiting.entered?.();
              await waiting.gone;
              if (waiting.read === 'after') waiting.signal = request.signal;
              await new Promise<void>((resolve) => {
                if (waiting.signal!.aborted) resolve();
                waiting.signal!.addEventListener('abort', () => resolve());
              });
              return new Response('late');
            }
            default:
              return new Response('no', { status: 404 });
          }
        });
      },
      { onError: (err: unknown) => errors.push(err) },
    );
  });

  afterAll(() => s?.stop());

  it('method, absolute URL, headers (repeated fields joined) and body, as the handler sees them', async () => {
    const r = await rawRequest(
      s.port,
      buildRequest('POST', '/echo?q=1', {
        headers: [
          ['Content-Type', 'text/plain'],
          ['X-Dup', 'a'],
          ['X-Dup', 'b'],
        ],
        body: 'héllo',
      }),
    );
    expect(r.responses.length, show(r.raw)).toBe(1);
    const j = JSON.parse(r.responses[0].text);
    expect(j).toMatchObject({
      isRequest: true,
      method: 'POST',
      url: `http://127.0.0.1/echo?q=1`,
      dup: 'a, b',
      body: 'héllo',
      bodyUsed: true,
    });
    expect(j.headers).toEqual([
      ['content-length', String(Buffer.byteLength('héllo'))],
      ['content-type', 'text/plain'],
      ['host', '127.0.0.1'],
      ['x-dup', 'a, b'],
    ]);
    expect(errors).toEqual([]);
  });

  it('a request read after an await (its batch long over) is still its own', async () => {
    const j = await (await fetch(`${s.base}/later?x`, { method: 'PUT', body: 'after a while', headers: { 'x-id': 'late' } })).json();
    expect(j).toMatchObject({ method: 'PUT', url: `${s.base}/later?x`, id: 'late', body: 'after a while' });
  });

  it('a request kept after its response went out still reads, body included', async () => {
    kept = undefined;
    expect(await (await fetch(`${s.base}/keep`, { method: 'POST', body: 'kept body', headers: { 'x-id': 'k' } })).text()).toBe('kept');
    await sleep(10);
    expect(kept).toBeDefined();
    expect(kept!.headers.get('x-id')).toBe('k');
    expect(await kept!.text()).toBe('kept body');
  });

  it('concurrent requests on their own connections never see each other’s headers or bodies', async () => {
    parked = [];
    const n = 8;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        fetch(`${s.base}/barrier?i=${i}`, {
          method: 'POST',
          headers: { 'x-id': `id-${i}`, 'x-of': String(n), 'x-dup': `only-${i}` },
          body: `body-${i}-`.repeat(i + 1),
        }).then((r) => r.json()),
      ),
    );
    results.forEach((j, i) => {
      expect(j.id).toBe(`id-${i}`);
      expect(j.dup).toBe(`only-${i}`);
      expect(j.url).toBe(`${s.base}/barrier?i=${i}`);
      expect(j.body).toBe(`body-${i}-`.repeat(i + 1));
    });
  });

  it('pipelined requests of one batch, read after it, each keep their own bytes', async () => {
    parked = [];
    const n = 6;
    const data = Buffer.concat(
      Array.from({ length: n }, (_, i) =>
        buildRequest('POST', `/barrier?p=${i}`, {
          headers: { 'X-Id': `p-${i}`, 'X-Of': String(n) },
          body: String.fromCharCode(97 + i).repeat(100 * (i + 1)),
        }),
      ),
    );
    const r = await rawRequest(s.port, data, { waitForResponses: n });
    expect(r.responses.length, show(r.raw)).toBe(n);
    r.responses.forEach((res, i) => {
      const j = JSON.parse(res.text);
      expect(j.id).toBe(`p-${i}`);
      expect(j.url).toBe(`http://127.0.0.1/barrier?p=${i}`);
      expect(j.body).toBe(String.fromCharCode(97 + i).repeat(100 * (i + 1)));
    });
  });

  it('it can be passed on: fetch(new Request(url, request)) carries method, headers and body', async () => {
    const j = await (await fetch(`${s.base}/proxy?z=1`, { method: 'POST', body: 'passed on', headers: { 'x-id': 'via' } })).json();
    expect(j).toMatchObject({ method: 'POST', url: `${s.base}/echo?z=1`, id: 'via', body: 'passed on' });
  });

  it('fetch(request) sends it as it is', async () => {
    const spec: Spec = { method: 'POST', url: '/echo?direct', host: `127.0.0.1:${s.port}`, headers: { 'x-id': 'direct' }, body: 'sent as is' };
    const request = createRequest(source(spec).src);
    const j = await (await fetch(request)).json();
    expect(j).toMatchObject({ method: 'POST', url: `${s.base}/echo?direct`, id: 'direct', body: 'sent as is' });
    expect(request.bodyUsed).toBe(true);
  });

  for (const read of ['before', 'after'] as const) {
    it(`request.signal aborts when the client goes away (read ${read} it left)`, async () => {
      let gone!: () => void;
      const entered = new Promise<void>((resolve) => {
        waiting = { read, entered: resolve, gone: new Promise<void>((r) => (gone = r)) };
      });
      const sock = net.connect({ port: s.port, host: '127.0.0.1' });
      sock.on('error', () => {});
      sock.write(buildRequest('GET', '/wait'));
      await entered;
      sock.destroy();
      await sleep(50);
      gone();
      for (let i = 0; i < 200 && !waiting.signal?.aborted; i++) await sleep(10);
      expect(waiting.signal?.aborted).toBe(true);
      expect((waiting.signal!.reason as { code?: string }).code).toBe('UVHTTP_ERR_CONNECTION_CLOSED');
    });
  }
});

// Hono reads request.url, method and headers, and the body through the Request's own readers.
// Run when hono is installed (a dev dependency of the Hono examples).
const hono = await import('hono').catch(() => undefined);

describe.skipIf(hono === undefined)('a Hono app on createRequest', () => {
  let s: Started;

  beforeAll(async () => {
    const app = new hono!.Hono();
    app.get('/users/:id', (c) =>
      c.json({
        id: c.req.param('id'),
        q: c.req.query('q'),
        qs: c.req.queries('t'),
        h: c.req.header('x-h'),
        all: c.req.header(),
        url: c.req.url,
        path: c.req.path,
        method: c.req.method,
      }),
    );
    app.post('/json', async (c) => c.json({ got: await c.req.json() }));
    app.post('/form', async (c) => {
      const body = await c.req.parseBody({ all: true });
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(body)) out[k] = typeof v === 'string' ? v : ['file', (v as File).name, await (v as File).text()];
      return c.json(out);
    });
    app.post('/twice', async (c) => c.text(`${await c.req.text()}|${await c.req.text()}|${JSON.stringify(await c.req.json())}`));
    s = await startApp((a) => a.fetch(app.fetch));
  });

  afterAll(() => s?.stop());

  it('c.req.param(), query(), queries(), header(), url, path', async () => {
    const j = await (await fetch(`${s.base}/users/42?q=x&t=1&t=2`, { headers: { 'x-h': 'v' } })).json();
    expect(j).toMatchObject({ id: '42', q: 'x', qs: ['1', '2'], h: 'v', url: `${s.base}/users/42?q=x&t=1&t=2`, path: '/users/42', method: 'GET' });
    expect(j.all['x-h']).toBe('v');
    expect(j.all.host).toBe(`127.0.0.1:${s.port}`);
  });

  it('c.req.json(), and the body read again through Hono’s cache', async () => {
    const body = JSON.stringify({ a: [1, 'é'] });
    expect(await (await fetch(`${s.base}/json`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })).json()).toEqual({
      got: { a: [1, 'é'] },
    });
    expect(await (await fetch(`${s.base}/twice`, { method: 'POST', body: '{"n":1}' })).text()).toBe('{"n":1}|{"n":1}|{"n":1}');
  });

  it('c.req.parseBody(): urlencoded and multipart', async () => {
    expect(await (await fetch(`${s.base}/form`, { method: 'POST', body: new URLSearchParams({ a: '1', b: 'x y' }) })).json()).toEqual({
      a: '1',
      b: 'x y',
    });
    const form = new FormData();
    form.append('f', new Blob(['file body'], { type: 'text/plain' }), 'f.txt');
    form.append('n', 'v');
    expect(await (await fetch(`${s.base}/form`, { method: 'POST', body: form })).json()).toEqual({ f: ['file', 'f.txt', 'file body'], n: 'v' });
  });
});
