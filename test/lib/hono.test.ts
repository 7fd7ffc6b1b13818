// A Hono app, unchanged, under uvhttp's serve() and under @hono/node-server's serve(), the server it
// was written for: every request here goes to both, and the answers must agree in status, header
// fields (less the framing and hop-by-hop ones, which each server writes its own way) and body bytes.
// Each answer's framing is checked on its own: a Content-Length that matches the bytes, or chunked.
// Raw node:net requests where the exact bytes matter (each followed on the same connection by a
// pipelined GET /ping, which only parses if the answer before it ended where its framing said), fetch
// for the rest.
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve as nodeServe } from '@hono/node-server';
import { Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { cors } from 'hono/cors';
import { etag } from 'hono/etag';
import { secureHeaders } from 'hono/secure-headers';
import { streamSSE, streamText } from 'hono/streaming';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { serve, type Server } from '../../lib/index.js';
import { buildRequest, get, headerValues, rawRequest, show, within, type ParsedResponse } from '../helpers/http.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

/** The one app both servers run. */
function buildApp(): Hono {
  const app = new Hono();
  app.use('*', secureHeaders());
  app.use(
    '/api/*',
    cors({
      origin: 'https://app.example',
      allowMethods: ['GET', 'PUT'],
      allowHeaders: ['x-custom'],
      exposeHeaders: ['x-total'],
      maxAge: 600,
      credentials: true,
    }),
  );
  app.use('/etag/*', etag());

  app.get('/ping', (c) => c.text('pong'));
  app.get('/users/:id', (c) =>
    c.json({
      id: c.req.param('id'),
      q: c.req.query('q') ?? null,
      tags: c.req.queries('tag') ?? null,
      url: c.req.url,
      method: c.req.method,
    }),
  );
  app.get('/api/data', (c) => {
    c.header('x-total', '3');
    return c.json([1, 2, 3]);
  });
  app.get('/etag/doc', (c) => c.text('a document with an etag'));
  app.get('/cookies/set', (c) => {
    setCookie(c, 'session', 'abc123', { path: '/', httpOnly: true, secure: true, sameSite: 'Strict', maxAge: 3600 });
    setCookie(c, 'theme', 'dark', { path: '/' });
    return c.text('cookies set');
  });
  app.get('/cookies/get', (c) => c.json(getCookie(c)));
  app.get('/stream/text', (c) =>
    streamText(c, async (stream) => {
      for (const word of ['one ', 'two ', 'three']) {
        await stream.write(word);
        await stream.sleep(5);
      }
    }),
  );
  app.get('/stream/sse', (c) =>
    streamSSE(c, async (stream) => {
      for (let i = 0; i < 3; i++) {
        await stream.writeSSE({ event: 'tick', id: String(i), data: `line ${i}\nsecond line` });
        await stream.sleep(5);
      }
      await stream.writeSSE({ data: 'done', retry: 1000 });
    }),
  );
  app.post('/form', async (c) => {
    const body = await c.req.parseBody({ all: true });
    const describe = async (v: string | File) =>
      typeof v === 'string' ? v : { name: v.name, type: v.type, size: v.size, base64: Buffer.from(await v.arrayBuffer()).toString('base64') };
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(body)) {
      out[name] = Array.isArray(value) ? await Promise.all(value.map(describe)) : await describe(value);
    }
    return c.json({ type: c.req.header('content-type')?.split(';')[0], fields: out });
  });
  app.post('/json', async (c) => c.json({ got: await c.req.json() }, 201));
  app.get('/throw', () => {
    throw new Error('route broke');
  });
  app.notFound((c) => c.text(`Hono has no ${c.req.path}`, 404));
  app.onError((err, c) => c.text(`onError: ${err.message}`, 500, { 'x-error': 'handled' }));
  return app;
}

// Written by each server its own way, or about the connection rather than the message.
const FRAMING = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/** Header fields as [lowercase name, value], framing ones left out, ordered by name (same-name fields keep their order). */
function fieldSet(fields: Iterable<[string, string]>): Array<[string, string]> {
  return [...fields]
    .map(([name, value]): [string, string] => [name.toLowerCase(), value])
    .filter(([name]) => !FRAMING.has(name))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * What is wrong with a response's framing, as received on the wire:
 * `body`: exactly one of a Content-Length equal to the bytes, or Transfer-Encoding: chunked;
 * `bodyless` (204, 304): no body, no Transfer-Encoding, and for 204 no Content-Length;
 * `{ headOf }`: the answer to HEAD: no body, and a Content-Length only if it is the GET's length.
 */
function framingProblems(res: ParsedResponse, kind: 'body' | 'bodyless' | { headOf: number }): string[] {
  const lengths = headerValues(res, 'content-length');
  const codings = headerValues(res, 'transfer-encoding');
  const problems: string[] = [];
  if (lengths.length > 1) problems.push(`${lengths.length} Content-Length fields`);
  if (kind === 'body') {
    if (lengths.length === 1 && codings.length > 0) problems.push('both Content-Length and Transfer-Encoding');
    else if (lengths.length === 1 && lengths[0] !== String(res.body.length)) problems.push(`Content-Length ${lengths[0]} for ${res.body.length} bytes`);
    else if (lengths.length === 0 && codings.join(',').toLowerCase() !== 'chunked') problems.push(`neither Content-Length nor chunked (Transfer-Encoding: ${codings.join(',') || 'none'})`);
  } else if (kind === 'bodyless') {
    if (res.body.length > 0) problems.push(`${res.body.length} body bytes`);
    if (codings.length > 0) problems.push(`Transfer-Encoding ${codings.join(',')} on a ${res.status}`);
    if (res.status === 204 && lengths.length > 0) problems.push('Content-Length on a 204');
  } else {
    if (res.body.length > 0) problems.push(`${res.body.length} body bytes after a HEAD`);
    // RFC 9110 8.6: a HEAD response's Content-Length, if sent, is the length a GET would have.
    if (lengths.length === 1 && lengths[0] !== String(kind.headOf)) problems.push(`Content-Length ${lengths[0]} on HEAD, GET has ${kind.headOf} bytes`);
  }
  return problems;
}

/** Framing as a fetch client can still see it (undici keeps the fields, decodes the body). */
function fetchFraming(headers: Headers, body: Buffer): string {
  const length = headers.get('content-length');
  const coding = headers.get('transfer-encoding');
  if (length !== null) return coding === null && length === String(body.length) ? 'content-length' : `bad: Content-Length ${length}, Transfer-Encoding ${coding}, ${body.length} bytes`;
  return coding?.toLowerCase() === 'chunked' ? 'chunked' : `bad: no Content-Length, Transfer-Encoding ${coding}`;
}

type Name = 'uvhttp' | 'node';
const NAMES: Name[] = ['uvhttp', 'node'];

describe('a Hono app under uvhttp serve() and under @hono/node-server', () => {
  const app = buildApp();
  const ports = {} as Record<Name, number>;
  let uv: Server;
  let node: HttpServer;
  // uvhttp's own onError: Hono's onError takes the route's throw, so nothing must reach it.
  const uvErrors: unknown[] = [];

  beforeAll(async () => {
    uv = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1', onError: (err) => void uvErrors.push(err) });
    ports.uvhttp = (await uv.ready).port;
    // overrideGlobalObjects: false leaves the global Request and Response alone, so uvhttp runs with the
    // real ones, as in a process that does not load @hono/node-server (that case is the last describe).
    ports.node = await new Promise<number>((resolve) => {
      node = nodeServe({ fetch: app.fetch, port: 0, hostname: '127.0.0.1', overrideGlobalObjects: false }, (info) => resolve(info.port)) as HttpServer;
    });
  });

  afterAll(async () => {
    await uv?.close();
    node?.closeAllConnections();
    await new Promise((resolve) => node?.close(resolve));
  });

  /** One request on a fresh connection, then GET /ping pipelined behind it; returns the first answer. */
  async function raw(name: Name, request: Buffer, opts: { head?: boolean } = {}): Promise<ParsedResponse> {
    const r = await rawRequest(ports[name], Buffer.concat([request, get('/ping')]), { waitForResponses: 2, noBody: [opts.head ?? false, false] });
    expect(r.parseError, `${name}: ${show(r.raw)}`).toBeUndefined();
    expect(r.responses.length, `${name}: ${show(r.raw)}`).toBe(2);
    // The answer behind it parses and is whole: the first one ended where its framing said.
    expect(r.responses[1].status, name).toBe(200);
    expect(r.responses[1].text, name).toBe('pong');
    return r.responses[0];
  }

  /** The same raw request to both servers: status, fields and body bytes agree; returns uvhttp's answer. */
  async function rawBoth(request: Buffer, opts: { head?: boolean } = {}): Promise<Record<Name, ParsedResponse>> {
    const out = {} as Record<Name, ParsedResponse>;
    for (const name of NAMES) out[name] = await raw(name, request, opts);
    expect(out.uvhttp.status).toBe(out.node.status);
    expect(out.uvhttp.reason).toBe(out.node.reason);
    expect(fieldSet(out.uvhttp.headerList)).toEqual(fieldSet(out.node.headerList));
    expect(out.uvhttp.body.toString('latin1')).toBe(out.node.body.toString('latin1'));
    return out;
  }

  interface Fetched {
    status: number;
    headers: Headers;
    body: Buffer;
  }

  /** The same fetch to both servers; status, fields and body bytes agree, and each is framed correctly. */
  async function fetchBoth(path: string, init: () => RequestInit = () => ({})): Promise<Record<Name, Fetched>> {
    const out = {} as Record<Name, Fetched>;
    for (const name of NAMES) {
      const r = await fetch(`http://127.0.0.1:${ports[name]}${path}`, init());
      out[name] = { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
      expect(['content-length', 'chunked'], name).toContain(fetchFraming(out[name].headers, out[name].body));
    }
    expect(out.uvhttp.status).toBe(out.node.status);
    expect(fieldSet(out.uvhttp.headers)).toEqual(fieldSet(out.node.headers));
    expect(out.uvhttp.body.toString('latin1')).toBe(out.node.body.toString('latin1'));
    return out;
  }

  describe('raw requests', () => {
    it('route params, repeated query parameters and the URL, with secureHeaders on every answer', async () => {
      const r = await rawBoth(get('/users/42?q=x%20y&tag=a&tag=b'));
      for (const name of NAMES) expect(framingProblems(r[name], 'body'), name).toEqual([]);
      expect(r.uvhttp.status).toBe(200);
      expect(JSON.parse(r.uvhttp.text)).toEqual({ id: '42', q: 'x y', tags: ['a', 'b'], url: 'http://127.0.0.1/users/42?q=x%20y&tag=a&tag=b', method: 'GET' });
      expect(r.uvhttp.headers['content-type']).toBe('application/json');
      expect(r.uvhttp.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(r.uvhttp.headers['strict-transport-security']).toBe('max-age=15552000; includeSubDomains');
      expect(r.uvhttp.headers['x-content-type-options']).toBe('nosniff');
    });

    it('two cookies are two Set-Cookie fields, not one joined field', async () => {
      const r = await rawBoth(get('/cookies/set'));
      for (const name of NAMES) {
        expect(framingProblems(r[name], 'body'), name).toEqual([]);
        expect(headerValues(r[name], 'set-cookie'), name).toEqual(['session=abc123; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Strict', 'theme=dark; Path=/']);
      }
      expect(headerValues(r.uvhttp, 'set-cookie').filter((v) => v.includes('session=') && v.includes('theme='))).toEqual([]);
      expect(r.uvhttp.text).toBe('cookies set');
    });

    it('HEAD: the GET route’s head, no body, and no Content-Length but the GET’s', async () => {
      const got = await raw('node', get('/users/42'));
      const r = await rawBoth(buildRequest('HEAD', '/users/42'), { head: true });
      expect(r.uvhttp.status).toBe(200);
      expect(r.uvhttp.headers['content-type']).toBe('application/json');
      for (const name of NAMES) expect(framingProblems(r[name], { headOf: got.body.length }), name).toEqual([]);
    });

    it('etag: a 200 with the ETag, then a 304 with no body for If-None-Match', async () => {
      const first = await rawBoth(get('/etag/doc'));
      const tag = first.uvhttp.headers.etag;
      expect(tag).toMatch(/^"[0-9a-f]{40}"$/);
      expect(first.uvhttp.text).toBe('a document with an etag');
      for (const name of NAMES) expect(framingProblems(first[name], 'body'), name).toEqual([]);

      const r = await rawBoth(get('/etag/doc', { 'If-None-Match': tag }));
      expect(r.uvhttp.status).toBe(304);
      expect(r.uvhttp.headers.etag).toBe(tag);
      expect(r.uvhttp.headers['content-type']).toBeUndefined();
      for (const name of NAMES) expect(framingProblems(r[name], 'bodyless'), name).toEqual([]);

      // Another tag is not a match.
      const other = await rawBoth(get('/etag/doc', { 'If-None-Match': '"something-else"' }));
      expect(other.uvhttp.status).toBe(200);
      expect(other.uvhttp.text).toBe('a document with an etag');
    });

    it('a CORS preflight gets the cors middleware’s 204', async () => {
      const r = await rawBoth(
        buildRequest('OPTIONS', '/api/data', {
          headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'x-custom' },
        }),
      );
      expect(r.uvhttp.status).toBe(204);
      expect(r.uvhttp.headers).toMatchObject({
        'access-control-allow-origin': 'https://app.example',
        'access-control-allow-methods': 'GET,PUT',
        'access-control-allow-headers': 'x-custom',
        'access-control-allow-credentials': 'true',
        'access-control-max-age': '600',
      });
      // Hono's answer, not the core's own OPTIONS handling (that one sends Allow).
      expect(r.uvhttp.headers.allow).toBeUndefined();
      for (const name of NAMES) expect(framingProblems(r[name], 'bodyless'), name).toEqual([]);
    });

    it('app.notFound answers what no route matches, not uvhttp’s own 404', async () => {
      const r = await rawBoth(get('/no/such/page'));
      expect(r.uvhttp.status).toBe(404);
      expect(r.uvhttp.text).toBe('Hono has no /no/such/page');
      expect(r.uvhttp.text).not.toBe('Not Found');
      expect(r.uvhttp.headers['x-frame-options']).toBe('SAMEORIGIN');
      for (const name of NAMES) expect(framingProblems(r[name], 'body'), name).toEqual([]);
    });

    it('app.onError answers a throwing route, not uvhttp’s own 500, and uvhttp’s onError hears nothing', async () => {
      uvErrors.length = 0;
      const r = await rawBoth(get('/throw'));
      expect(r.uvhttp.status).toBe(500);
      expect(r.uvhttp.text).toBe('onError: route broke');
      expect(r.uvhttp.text).not.toBe('Internal Server Error');
      expect(r.uvhttp.headers['x-error']).toBe('handled');
      expect(uvErrors).toEqual([]);
      for (const name of NAMES) expect(framingProblems(r[name], 'body'), name).toEqual([]);
    });

    it('streamText: the same bytes, framed by length or chunked', async () => {
      const r = await rawBoth(get('/stream/text'));
      expect(r.uvhttp.status).toBe(200);
      expect(r.uvhttp.text).toBe('one two three');
      expect(r.uvhttp.headers['content-type']).toBe('text/plain; charset=UTF-8');
      for (const name of NAMES) expect(framingProblems(r[name], 'body'), name).toEqual([]);
    });

    it('streamSSE: the same event stream, byte for byte', async () => {
      const r = await rawBoth(get('/stream/sse'));
      expect(r.uvhttp.status).toBe(200);
      const events = [0, 1, 2].map((i) => `event: tick\ndata: line ${i}\ndata: second line\nid: ${i}\n\n`).join('');
      expect(r.uvhttp.text).toBe(`${events}data: done\nretry: 1000\n\n`);
      expect(r.uvhttp.headers['content-type']).toBe('text/event-stream');
      expect(r.uvhttp.headers['cache-control']).toBe('no-cache');
      for (const name of NAMES) expect(framingProblems(r[name], 'body'), name).toEqual([]);
    });
  });

  describe('fetch', () => {
    it('CORS on an actual cross-origin request', async () => {
      const r = await fetchBoth('/api/data', () => ({ headers: { Origin: 'https://app.example' } }));
      expect(r.uvhttp.status).toBe(200);
      expect(r.uvhttp.body.toString()).toBe('[1,2,3]');
      expect(r.uvhttp.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(r.uvhttp.headers.get('access-control-expose-headers')).toBe('x-total');
      expect(r.uvhttp.headers.get('vary')).toBe('Origin');
      expect(r.uvhttp.headers.get('x-total')).toBe('3');
    });

    it('c.req.json() reads a JSON body', async () => {
      const r = await fetchBoth('/json', () => ({
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ a: [1, 'b'], ü: null }),
      }));
      expect(r.uvhttp.status).toBe(201);
      expect(JSON.parse(r.uvhttp.body.toString())).toEqual({ got: { a: [1, 'b'], ü: null } });
    });

    it('invalid JSON goes to app.onError, not to uvhttp’s 400', async () => {
      uvErrors.length = 0;
      const r = await fetchBoth('/json', () => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' }));
      expect(r.uvhttp.status).toBe(500);
      expect(r.uvhttp.body.toString()).toMatch(/^onError: /);
      expect(uvErrors).toEqual([]);
    });

    it('c.req.parseBody() of a multipart form with a file part', async () => {
      const file = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x2d, 0x2d, 0x41, 0xc3, 0xa9]); // NUL, 0xff, CRLF, "--", "A", "é"
      const r = await fetchBoth('/form', () => {
        const form = new FormData();
        form.append('title', 'Grüße & more');
        form.append('tag', 'a');
        form.append('tag', 'b');
        form.append('upload', new Blob([file], { type: 'application/octet-stream' }), 'bytes.bin');
        return { method: 'POST', body: form };
      });
      expect(r.uvhttp.status).toBe(200);
      expect(JSON.parse(r.uvhttp.body.toString())).toEqual({
        type: 'multipart/form-data',
        fields: {
          title: 'Grüße & more',
          tag: ['a', 'b'],
          upload: { name: 'bytes.bin', type: 'application/octet-stream', size: file.length, base64: file.toString('base64') },
        },
      });
    });

    it('c.req.parseBody() of a urlencoded form', async () => {
      const r = await fetchBoth('/form', () => ({ method: 'POST', body: new URLSearchParams([['a', '1'], ['b', 'x y'], ['b', '&=?'], ['c', 'é']]) }));
      expect(r.uvhttp.status).toBe(200);
      expect(JSON.parse(r.uvhttp.body.toString())).toEqual({
        type: 'application/x-www-form-urlencoded',
        fields: { a: '1', b: ['x y', '&=?'], c: 'é' },
      });
    });

    it('getCookie reads the Cookie header', async () => {
      const r = await fetchBoth('/cookies/get', () => ({ headers: { cookie: 'session=abc123; theme=dark; quoted="v"; enc=two%20words' } }));
      expect(r.uvhttp.status).toBe(200);
      expect(JSON.parse(r.uvhttp.body.toString())).toEqual({ session: 'abc123', theme: 'dark', quoted: 'v', enc: 'two words' });
    });

    it('streamSSE through fetch: the whole stream, text/event-stream', async () => {
      const r = await fetchBoth('/stream/sse');
      expect(r.uvhttp.headers.get('content-type')).toBe('text/event-stream');
      expect(r.uvhttp.body.toString()).toMatch(/^event: tick\ndata: line 0\n/);
      expect(r.uvhttp.body.toString()).toMatch(/data: done\nretry: 1000\n\n$/);
    });
  });

  // Last: @hono/node-server's serve() at its defaults replaces the global Request and Response with
  // its own for the rest of this file (vitest runs each file in a process of its own).
  describe('beside @hono/node-server at its defaults (global Request and Response replaced)', () => {
    let plain: HttpServer;
    let plainPort: number;
    beforeAll(async () => {
      const before = globalThis.Response;
      plainPort = await new Promise<number>((resolve) => {
        plain = nodeServe({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(info.port)) as HttpServer;
      });
      expect(globalThis.Response).not.toBe(before);
    });
    afterAll(async () => {
      plain?.closeAllConnections();
      await within(new Promise((resolve) => plain?.close(resolve)), 5000, 'closing @hono/node-server');
    });

    it('uvhttp gives the same answers as node-server with its lightweight Response', async () => {
      for (const request of [
        get('/users/9?tag=z'),
        get('/cookies/set'),
        get('/stream/sse'),
        get('/nowhere'),
        get('/throw'),
        buildRequest('POST', '/json', { headers: { 'content-type': 'application/json' }, body: '[true]' }),
      ]) {
        const mine = await raw('uvhttp', request);
        const theirs = (await rawRequest(plainPort, request)).responses[0];
        expect(mine.status, show(request)).toBe(theirs.status);
        expect(fieldSet(mine.headerList), show(request)).toEqual(fieldSet(theirs.headerList));
        expect(mine.text, show(request)).toBe(theirs.text);
        expect(framingProblems(mine, 'body'), show(request)).toEqual([]);
      }
    });
  });
});
