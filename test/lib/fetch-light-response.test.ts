// LightResponse: every member read on it must equal the same member of undici's Response built from the
// same arguments, it must throw what undici throws, and a server must send it as it sends the real one.
// serve() makes it the global Response while it runs: fetch() must keep working, and the global must
// come back when the last such server closes.
import { describe, it, expect, vi } from 'vitest';
import { inspect } from 'node:util';
import { LightResponse, lightOf } from '../../lib/fetch-light-response.js';
import { serve } from '../../lib/index.js';
import { startApp } from '../helpers/app.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

const NativeResponse = globalThis.Response;
type Ctor = new (body?: unknown, init?: unknown) => Response;
const Light = LightResponse as unknown as Ctor & typeof Response;
const Native = NativeResponse as unknown as Ctor;

const enc = (s: string) => new TextEncoder().encode(s);
const stream = () =>
  new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(enc('one,'));
      c.enqueue(enc('two'));
      c.close();
    },
  });
const form = () => {
  const f = new FormData();
  f.append('a', '1');
  f.append('file', new Blob(['content'], { type: 'text/x-file' }), 'f.txt');
  return f;
};

/** Bodies, made afresh for each Response (a stream can be read once). */
const BODIES: Record<string, () => unknown> = {
  none: () => undefined,
  null: () => null,
  string: () => 'héllo ✓',
  'empty string': () => '',
  ArrayBuffer: () => new Uint8Array([1, 2, 3, 250]).buffer,
  Uint8Array: () => new Uint8Array([0, 255, 7]),
  'Uint8Array view': () => new Uint8Array([9, 8, 7, 6, 5]).subarray(1, 4),
  Buffer: () => Buffer.from('buffer body'),
  Int16Array: () => new Int16Array([1, -1, 300]),
  DataView: () => new DataView(new Uint8Array([4, 5, 6, 7]).buffer, 1, 2),
  Blob: () => new Blob(['blob ', 'body'], { type: 'text/x-blob' }),
  FormData: form,
  URLSearchParams: () => new URLSearchParams({ a: '1', b: 'x y&z' }),
  ReadableStream: stream,
  number: () => 42,
};

const INITS: Record<string, () => unknown> = {
  none: () => undefined,
  'status and text': () => ({ status: 201, statusText: 'Made' }),
  'object headers with set-cookie': () => ({ status: 202, headers: { 'X-A': '1', 'set-cookie': 'a=1', 'Content-Type': 'text/x-own' } }),
  'array headers with two set-cookie': () => ({
    headers: [
      ['set-cookie', 'a=1; Path=/'],
      ['Set-Cookie', 'b=2'],
      ['x-b', 'v'],
    ],
  }),
  'a Headers object': () => {
    const h = new Headers({ 'x-h': '1' });
    h.append('set-cookie', 'c=3');
    h.append('set-cookie', 'd=4');
    return { headers: h };
  },
  'values undici trims': () => ({ headers: { 'x-t': '  padded\t' } }),
  'names that repeat': () => ({
    headers: [
      ['x-r', '1'],
      ['X-R', '2'],
    ],
  }),
  'status 299 and statusText with a tab': () => ({ status: 299, statusText: 'a\tb' }),
};

const boundaryFree = (s: string) => s.replace(/formdata-undici-\d+/g, 'B');

async function describeResponse(r: Response) {
  return {
    status: r.status,
    statusText: r.statusText,
    ok: r.ok,
    type: r.type,
    url: r.url,
    redirected: r.redirected,
    headers: [...r.headers].map(([k, v]) => [k, boundaryFree(v)]),
    cookies: r.headers.getSetCookie(),
    bodyNull: r.body === null,
    bodyUsed: r.bodyUsed,
    tag: Object.prototype.toString.call(r),
  };
}

async function readAll(r: Response) {
  const blob = await r.blob();
  return { type: boundaryFree(blob.type), text: boundaryFree(Buffer.from(await blob.arrayBuffer()).toString('latin1')), used: r.bodyUsed };
}

describe('LightResponse against undici’s Response, built the same way', () => {
  for (const [bodyName, body] of Object.entries(BODIES)) {
    for (const [initName, init] of Object.entries(INITS)) {
      it(`${bodyName} body, init: ${initName}`, async () => {
        const light = new Light(body(), init());
        const real = new Native(body(), init());
        expect(light).toBeInstanceOf(NativeResponse);
        expect(await describeResponse(light)).toEqual(await describeResponse(real));
        // Read once more after the body was touched, and read the body.
        expect(await describeResponse(light)).toEqual(await describeResponse(real));
        expect(await readAll(light)).toEqual(await readAll(real));
        expect(light.bodyUsed).toBe(real.bodyUsed);
        if (real.body !== null) {
          await expect(light.text()).rejects.toThrow(TypeError);
          expect(() => light.clone()).toThrow(TypeError);
        }
      });
    }
  }

  it('takes the light form for the bodies and inits it holds exactly, and undici’s for the rest', () => {
    for (const body of ['s', null, undefined, new Uint8Array(1), new ArrayBuffer(2), new DataView(new ArrayBuffer(1))]) {
      expect(lightOf(new Light(body, { status: 201, headers: { a: 'b' } })), String(body)).toBeDefined();
    }
    expect(() => new Light(new Uint8Array(new SharedArrayBuffer(2)))).toThrow(TypeError); // as undici
    for (const body of [new Blob(['x']), form(), stream(), new URLSearchParams('a=1'), 42]) {
      const r = new Light(body);
      expect(lightOf(r), String(body)).toBeUndefined();
      expect(Object.getPrototypeOf(r)).toBe(LightResponse.prototype);
    }
    expect(lightOf(new Light('x', { headers: { a: ' b' } }))).toBeUndefined();
    expect(lightOf(new Light('x', { status: '201' }))).toBeUndefined();
  });

  it('every member of Response.prototype is there, in order, and a light one prints as a Response', () => {
    expect(Reflect.ownKeys(LightResponse.prototype).filter((k) => typeof k === 'string')).toEqual(
      Reflect.ownKeys(NativeResponse.prototype).filter((k) => typeof k === 'string'),
    );
    expect(inspect(new Light('x', { status: 201 }))).toBe(inspect(new Native('x', { status: 201 })));
    expect(LightResponse.name).toBe('Response');
    expect(new Light('x').constructor).toBe(LightResponse);
  });

  it('clone() gives the same response, and both read', async () => {
    const light = new Light('cloned', { status: 203, headers: { 'x-c': '1' } });
    const copy = light.clone();
    expect(await describeResponse(copy)).toEqual(await describeResponse(new Native('cloned', { status: 203, headers: { 'x-c': '1' } })));
    expect(await copy.text()).toBe('cloned');
    expect(await light.text()).toBe('cloned');
  });

  it('headers handed out stay the response’s headers, before and after the body is read', async () => {
    const light = new Light('{"a":1}');
    const headers = light.headers;
    headers.set('content-type', 'application/json');
    expect((await light.clone().blob()).type).toBe('application/json');
    headers.set('x-late', '1');
    expect(light.headers).toBe(headers);
    expect(light.clone().headers.get('x-late')).toBe('1');
    expect(await light.json()).toEqual({ a: 1 });
    expect(light.headers).toBe(headers);
  });

  it('takes copies of the bytes and Headers it is given, as undici does', async () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const given = new Headers({ 'x-a': '1' });
    const light = new Light(bytes, { headers: given });
    bytes[0] = 9;
    given.set('x-a', 'changed');
    expect([...new Uint8Array(await light.arrayBuffer())]).toEqual([1, 2, 3]);
    expect(light.headers.get('x-a')).toBe('1');
  });

  it('throws what the real constructor throws', () => {
    const cases: Array<[unknown, unknown]> = [
      ['x', { status: 99 }],
      ['x', { status: 600 }],
      ['x', { status: 204 }],
      ['x', { status: 205 }],
      ['x', { status: 304 }],
      ['x', { statusText: 'bad\n' }],
      ['x', { headers: { 'a b': '1' } }],
      ['x', { headers: { a: 'x\ny' } }],
      ['x', { headers: [['a']] }],
      ['x', { headers: { [Symbol('s')]: '1' } }],
      ['x', 5],
      ['x', 'init'],
    ];
    for (const [body, init] of cases) {
      let expected: unknown;
      try {
        new Native(body, init);
      } catch (err) {
        expected = err;
      }
      expect(expected, JSON.stringify(init)).toBeInstanceOf(Error);
      let got: unknown;
      try {
        new Light(body, init);
      } catch (err) {
        got = err;
      }
      expect(got?.constructor, String(init)).toBe((expected as Error).constructor);
      expect((got as Error).message).toBe((expected as Error).message);
    }
    expect(() => new Light('x', { status: 99 })).toThrow(RangeError);
    expect(() => new Light('x', { status: 204 })).toThrow(TypeError);
    expect(new Light(null, { status: 204 }).status).toBe(204);
  });

  it('Response.json, Response.redirect and Response.error answer as the real ones', async () => {
    const pairs: Array<[Response, Response]> = [
      [Light.json({ a: [1, 'é'] }), NativeResponse.json({ a: [1, 'é'] })],
      [Light.json('s', { status: 201, headers: { 'content-type': 'application/x-own' } }), NativeResponse.json('s', { status: 201, headers: { 'content-type': 'application/x-own' } })],
      [Light.json(null, { headers: [['x-j', '1']] }), NativeResponse.json(null, { headers: [['x-j', '1']] })],
      [Light.redirect('http://example.com/a', 301), NativeResponse.redirect('http://example.com/a', 301)],
      [Light.error(), NativeResponse.error()],
    ];
    for (const [light, real] of pairs) {
      expect(await describeResponse(light)).toEqual(await describeResponse(real));
      if (real.body !== null) expect(await light.text()).toBe(await real.text());
    }
    expect(lightOf(Light.json({ a: 1 }))).toBeDefined();
    expect(() => Light.json(undefined)).toThrow(TypeError);
    expect(() => Light.json({}, { status: 204 })).toThrow(TypeError);
    expect(() => Light.redirect('http://example.com/', 200)).toThrow(RangeError);
  });

  it('instanceof holds both ways, and subclassing works with light and real bodies', async () => {
    expect(new Native('x')).toBeInstanceOf(LightResponse);
    expect(new Light('x')).toBeInstanceOf(NativeResponse);
    expect({}).not.toBeInstanceOf(LightResponse);
    class Mine extends (LightResponse as unknown as typeof Response) {
      shout() {
        return 'mine';
      }
      override async text() {
        return (await super.text()).toUpperCase();
      }
    }
    for (const body of ['quiet', stream()]) {
      const m = new Mine(body as BodyInit);
      expect(m).toBeInstanceOf(Mine);
      expect(m).toBeInstanceOf(NativeResponse);
      expect(m.shout()).toBe('mine');
      expect(new Native('x')).not.toBeInstanceOf(Mine);
    }
    expect(await new Mine('quiet').text()).toBe('QUIET');
    expect(await new Mine(stream()).text()).toBe('ONE,TWO');
  });

  it('undici’s own methods work on a light one', async () => {
    expect(await NativeResponse.prototype.text.call(new Light('direct'))).toBe('direct');
    expect(new Response(new Light('inner').body).status).toBe(200);
  });

  it('structuredClone treats it as it treats a real one', () => {
    let real: unknown;
    let light: unknown;
    try {
      real = structuredClone(new Native('x'));
    } catch (err) {
      real = (err as Error).name;
    }
    try {
      light = structuredClone(new Light('x'));
    } catch (err) {
      light = (err as Error).name;
    }
    expect(light).toEqual(real);
  });
});

describe('sent by a server, a light Response is the real one on the wire', () => {
  const cases: Record<string, () => [unknown, unknown]> = {
    string: () => ['hello', undefined],
    'status, statusText, headers, two cookies': () => [
      'made',
      {
        status: 201,
        statusText: 'Made',
        headers: [
          ['X-A', '1'],
          ['set-cookie', 'a=1'],
          ['set-cookie', 'b=2'],
        ],
      },
    ],
    'own content-type': () => ['{}', { headers: { 'content-type': 'application/json' } }],
    bytes: () => [new Uint8Array([1, 2, 3]), undefined],
    'no body': () => [null, { status: 204, headers: { 'x-n': '1' } }],
    'reserved fields': () => ['r', { headers: { 'content-length': '99', connection: 'close', 'x-ok': '1' } }],
    'a Headers object': () => ['h', { headers: new Headers([['set-cookie', 'c=1'], ['set-cookie', 'c=2'], ['x-h', 'v']]) }],
    stream: () => [stream(), { headers: { 'content-type': 'text/x-s' } }],
  };

  it('status, headers and body equal those of the same undici Response, for GET and HEAD', async () => {
    const server = await startApp((app) =>
      app.fetch((request: Request) => {
        const url = new URL(request.url);
        const [body, init] = cases[decodeURIComponent(url.pathname.slice(1))]();
        const Make = url.searchParams.has('light') ? Light : Native;
        const response = new Make(body, init);
        if (url.searchParams.has('touch')) void response.headers.get('x');
        if (url.searchParams.has('body')) void response.body;
        return response;
      }),
    );
    try {
      for (const name of Object.keys(cases)) {
        for (const method of ['GET', 'HEAD']) {
          const path = `${server.base}/${encodeURIComponent(name)}`;
          const want = await fetch(path, { method });
          const wantHeaders = [...want.headers].filter(([k]) => k !== 'date');
          const wantBody = Buffer.from(await want.arrayBuffer());
          for (const q of ['light', 'light&touch', 'light&body']) {
            const got = await fetch(`${path}?${q}`, { method });
            expect(got.status, `${name} ${method} ${q}`).toBe(want.status);
            expect(got.statusText).toBe(want.statusText);
            expect([...got.headers].filter(([k]) => k !== 'date'), `${name} ${method} ${q}`).toEqual(wantHeaders);
            expect(Buffer.from(await got.arrayBuffer())).toEqual(wantBody);
          }
        }
      }
    } finally {
      await server.stop();
    }
  });

  it('a light Response whose body was read is sent as the real one in that state, and reads as used after sending', async () => {
    const sent: Response[] = [];
    const errors: unknown[] = [];
    const server = await startApp(
      (app) =>
        app.fetch(async (request: Request) => {
          const url = new URL(request.url);
          const r = new (url.searchParams.has('light') ? Light : Native)('read');
          if (url.pathname === '/read') await r.text();
          sent.push(r);
          return r;
        }),
      { onError: (err: unknown) => void errors.push(err) },
    );
    const outcome = (url: string) =>
      fetch(url).then(
        async (r) => `${r.status} ${await r.text().catch(() => 'cut off')}`,
        () => 'failed',
      );
    try {
      expect(await outcome(`${server.base}/read?light`)).toBe(await outcome(`${server.base}/read`));
      expect(errors.map((e) => (e as Error).constructor)).toEqual([TypeError, TypeError]);
      expect(await (await fetch(`${server.base}/fresh?light`)).text()).toBe('read');
      const fresh = sent[2];
      expect(fresh.bodyUsed).toBe(true);
      await expect(fresh.text()).rejects.toThrow(TypeError);
    } finally {
      await server.stop();
    }
  });
});

describe('serve() and the global Response', () => {
  it('is LightResponse while a server runs, fetch() still returns working real Responses, and it is restored on close', async () => {
    expect(globalThis.Response).toBe(NativeResponse);
    const a = serve({ fetch: () => new Response('a', { headers: { 'x-from': 'a' } }), port: 0, hostname: '127.0.0.1' });
    const b = serve({ fetch: () => Response.json({ b: true }), port: 0, hostname: '127.0.0.1' });
    try {
      const [{ port: pa }, { port: pb }] = await Promise.all([a.ready, b.ready]);
      expect(globalThis.Response).toBe(LightResponse);
      expect(lightOf(new Response('x'))).toBeDefined();
      const r = await fetch(`http://127.0.0.1:${pa}/`);
      expect(Object.getPrototypeOf(r)).toBe(NativeResponse.prototype);
      expect(r).toBeInstanceOf(Response);
      expect(r.headers.get('x-from')).toBe('a');
      expect(r.clone().status).toBe(200);
      expect(await r.text()).toBe('a');
      const j = await fetch(`http://127.0.0.1:${pb}/`);
      expect(j.headers.get('content-type')).toBe('application/json');
      expect(await j.json()).toEqual({ b: true });
      // A subclass of the global made now works and is sent.
      class Sub extends Response {}
      expect(await new Sub('sub').text()).toBe('sub');
      await a.close();
      expect(globalThis.Response).toBe(LightResponse); // b still runs
    } finally {
      await a.close();
      await b.close();
    }
    expect(globalThis.Response).toBe(NativeResponse);
    expect(Object.getOwnPropertyDescriptor(globalThis, 'Response')?.enumerable).toBe(false);
  });

  it('overrideGlobalObjects: false leaves the global alone, and the server still sends light ones', async () => {
    const s = serve({ fetch: () => new Light('explicit'), port: 0, hostname: '127.0.0.1', overrideGlobalObjects: false });
    try {
      const { port } = await s.ready;
      expect(globalThis.Response).toBe(NativeResponse);
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('explicit');
    } finally {
      await s.close();
    }
    expect(() => serve({ fetch: () => new Response(''), port: 0, overrideGlobalObjects: 'no' as never })).toThrow(/overrideGlobalObjects/);
  });

  it('a server that fails to listen gives the global back', async () => {
    const first = serve({ fetch: () => new Response(''), port: 0, hostname: '127.0.0.1' });
    const { port } = await first.ready;
    const second = serve({ fetch: () => new Response(''), port, hostname: '127.0.0.1' });
    await expect(second.ready).rejects.toThrow();
    await first.close();
    await second.close();
    expect(globalThis.Response).toBe(NativeResponse);
  });

  it('leaves a global that something else replaced in the meantime', async () => {
    const s = serve({ fetch: () => new Response(''), port: 0, hostname: '127.0.0.1' });
    await s.ready;
    const other = class extends NativeResponse {};
    globalThis.Response = other;
    await s.close();
    expect(globalThis.Response).toBe(other);
    globalThis.Response = NativeResponse;
  });
});

describe('a fetch handler that answers at once', () => {
  it('leaves the Request readable after the answer (kept for later, as an app may keep it)', async () => {
    const later: Array<Promise<unknown>> = [];
    const server = await startApp((app) =>
      app.fetch((request: Request) => {
        const url = new URL(request.url);
        if (url.pathname === '/read-first') void request.headers.get('x-k');
        later.push(
          new Promise((resolve) => setTimeout(resolve, 20)).then(async () => ({
            k: request.headers.get('x-k'),
            method: request.method,
            body: request.method === 'POST' ? await request.text() : null,
          })),
        );
        return new Response('now');
      }),
    );
    try {
      for (const path of ['/plain', '/read-first']) {
        expect(await (await fetch(`${server.base}${path}`, { headers: { 'x-k': path } })).text()).toBe('now');
        expect(await later.at(-1)).toEqual({ k: path, method: 'GET', body: null });
      }
      expect(await (await fetch(`${server.base}/post`, { method: 'POST', body: 'payload', headers: { 'x-k': 'p' } })).text()).toBe('now');
      expect(await later.at(-1)).toEqual({ k: 'p', method: 'POST', body: 'payload' });
    } finally {
      await server.stop();
    }
  });

  it('a handler that throws at once gets a 500 and onError the request, still readable later', async () => {
    let seen: Promise<string> | undefined;
    const server = await startApp(
      (app) =>
        app.fetch(() => {
          throw new Error('at once');
        }),
      {
        onError: (_err: unknown, req: { url: string }) => {
          seen = new Promise((resolve) => setTimeout(() => resolve(req.url), 10));
        },
      },
    );
    try {
      expect((await fetch(`${server.base}/boom?q=1`)).status).toBe(500);
      expect(await seen).toBe('/boom?q=1');
    } finally {
      await server.stop();
    }
  });
});
