import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { startApp, type Started } from '../helpers/app.js';
import { buildRequest, framingProblems, get, headerValues, rawRequest, show } from '../helpers/http.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

const allowSet = (v: string[]) =>
  v.join(',').split(',').map((m) => m.trim()).filter(Boolean).sort();

describe('dynamic routes', () => {
  let s: Started;

  beforeAll(async () => {
    s = await startApp((app) => {
      app.get('/hello', (_req: any, res: any) => {
        res.end('hello from js');
      });
      app.get('/users/:id', (req: any, res: any) => {
        res.header('content-type', 'application/json').end(JSON.stringify({ params: req.params }));
      });
      app.get('/orgs/:org/repos/:repo', (req: any) => ({ org: req.params.org, repo: req.params.repo }));
      app.get('/inspect', (req: any) => ({
        method: req.method,
        url: req.url,
        path: req.path,
        query: req.query,
      }));
      app.get('/headers', (req: any) => ({
        upper: req.header('X-Test-Header') ?? null,
        lower: req.header('x-test-header') ?? null,
        mixed: req.header('x-TEST-header') ?? null,
        missing: req.header('x-not-sent') === undefined,
        fromObject: req.headers['x-test-header'] ?? null,
        keys: Object.keys(req.headers).filter((k) => k.startsWith('x-')).sort(),
      }));
      // return-value forms
      app.get('/ret/string', () => 'a string');
      app.get('/ret/buffer', () => Buffer.from([0, 1, 2, 253, 254, 255]));
      app.get('/ret/object', () => ({ ok: true, n: 42, list: [1, 'two'] }));
      app.get('/ret/promise', () => Promise.resolve({ async: true }));
      app.get('/ret/async-string', async () => {
        await new Promise((r) => setTimeout(r, 5));
        return 'later';
      });
      app.get('/ret/uint8', (_req: any, res: any) => res.end(new Uint8Array([104, 105])));
      // res API
      app.get('/status', (_req: any, res: any) => {
        res.status(201).header('X-One', '1').header('X-Two', 'two').end('created');
      });
      app.get('/cookies', (_req: any, res: any) => {
        res.header('Set-Cookie', 'a=1; Path=/').header('Set-Cookie', 'b=2; HttpOnly').end('ok');
      });
      app.get('/empty', (_req: any, res: any) => res.end());
      app.get('/custom-type', (_req: any, res: any) => res.header('Content-Type', 'text/csv').end('a,b\n1,2\n'));
      // methods
      app.get('/things', () => 'list');
      app.post('/things', () => 'created thing');
      app.put('/things/:id', (req: any) => `put ${req.params.id}`);
      app.patch('/things/:id', (req: any) => `patch ${req.params.id}`);
      app.delete('/things/:id', (req: any) => `delete ${req.params.id}`);
      app.route('OPTIONS', '/opts', (req: any) => `options ${req.method}`);
      app.delete('/only-delete', () => 'gone');
    });
  });

  afterAll(async () => {
    await s?.stop();
  });

  it('runs a GET handler', async () => {
    const r = await fetch(`${s.base}/hello`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('hello from js');
    expect(r.headers.get('content-length')).toBe('13');
  });

  it('sends Date and Content-Length from a dynamic route', async () => {
    const r = await rawRequest(s.port, get('/hello'));
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
    expect(r.responses[0].status).toBe(200);
    expect(r.responses[0].text).toBe('hello from js');
    expect(framingProblems(r.responses[0])).toEqual([]);
  });

  it('extracts a path parameter', async () => {
    const r = await fetch(`${s.base}/users/42`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ params: { id: '42' } });
  });

  it('extracts several path parameters', async () => {
    const r = await fetch(`${s.base}/orgs/acme/repos/rocket`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ org: 'acme', repo: 'rocket' });
  });

  it('does not match a parameter route with an extra segment', async () => {
    const r = await fetch(`${s.base}/users/42/extra`);
    expect(r.status).toBe(404);
    await r.arrayBuffer();
  });

  it('exposes method, url, path and a parsed query with repeated keys', async () => {
    const r = await fetch(`${s.base}/inspect?a=1&a=2&b=x`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({
      method: 'GET',
      url: '/inspect?a=1&a=2&b=x',
      path: '/inspect',
      query: { a: ['1', '2'], b: 'x' },
    });
  });

  it('gives an empty query object when there is no query string', async () => {
    const r = await fetch(`${s.base}/inspect`);
    expect(await r.json()).toEqual({ method: 'GET', url: '/inspect', path: '/inspect', query: {} });
  });

  it('percent-decodes query values', async () => {
    const r = await fetch(`${s.base}/inspect?q=hello%20world&e=%C3%A9`);
    const body = (await r.json()) as { query: unknown };
    expect(body.query).toEqual({ q: 'hello world', e: 'é' });
  });

  it('reads headers case-insensitively and as a lowercase object', async () => {
    const r = await rawRequest(
      s.port,
      buildRequest('GET', '/headers', { headers: { 'X-Test-Header': 'Value 1', 'X-Other': 'o' } }),
    );
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
    expect(r.responses[0].status).toBe(200);
    expect(JSON.parse(r.responses[0].text)).toEqual({
      upper: 'Value 1',
      lower: 'Value 1',
      mixed: 'Value 1',
      missing: true,
      fromObject: 'Value 1',
      keys: ['x-other', 'x-test-header'],
    });
  });

  describe('return-value forms', () => {
    it('string', async () => {
      const r = await fetch(`${s.base}/ret/string`);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe('a string');
      expect(r.headers.get('content-length')).toBe('8');
    });

    it('Buffer (binary-exact)', async () => {
      const r = await fetch(`${s.base}/ret/buffer`);
      expect(r.status).toBe(200);
      expect([...new Uint8Array(await r.arrayBuffer())]).toEqual([0, 1, 2, 253, 254, 255]);
      expect(r.headers.get('content-length')).toBe('6');
    });

    it('object → JSON with content-type application/json', async () => {
      const r = await fetch(`${s.base}/ret/object`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^application\/json\b/);
      const text = await r.text();
      expect(JSON.parse(text)).toEqual({ ok: true, n: 42, list: [1, 'two'] });
      expect(r.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    });

    it('Promise of an object', async () => {
      const r = await fetch(`${s.base}/ret/promise`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^application\/json\b/);
      expect(await r.json()).toEqual({ async: true });
    });

    it('async function returning a string after a timer', async () => {
      const r = await fetch(`${s.base}/ret/async-string`);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe('later');
    });

    it('res.end(Uint8Array)', async () => {
      const r = await fetch(`${s.base}/ret/uint8`);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe('hi');
    });
  });

  describe('res API', () => {
    it('status() and header() chain', async () => {
      const r = await rawRequest(s.port, get('/status'));
      expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
      const res = r.responses[0];
      expect(res.status).toBe(201);
      expect(res.headers['x-one']).toBe('1');
      expect(res.headers['x-two']).toBe('two');
      expect(res.text).toBe('created');
      expect(framingProblems(res)).toEqual([]);
    });

    it('repeated header() sends both Set-Cookie fields', async () => {
      const r = await rawRequest(s.port, get('/cookies'));
      expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
      expect(headerValues(r.responses[0], 'set-cookie')).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
      expect(r.responses[0].text).toBe('ok');
    });

    it('res.end() without a body sends Content-Length: 0', async () => {
      const r = await rawRequest(s.port, get('/empty'));
      expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
      expect(r.responses[0].status).toBe(200);
      expect(r.responses[0].headers['content-length']).toBe('0');
    });

    it('a custom Content-Type is kept', async () => {
      const r = await fetch(`${s.base}/custom-type`);
      expect(r.headers.get('content-type')).toBe('text/csv');
      expect(await r.text()).toBe('a,b\n1,2\n');
    });
  });

  describe('methods', () => {
    it('POST, PUT, PATCH, DELETE and OPTIONS routes', async () => {
      const cases: Array<[string, string, string]> = [
        ['POST', '/things', 'created thing'],
        ['PUT', '/things/7', 'put 7'],
        ['PATCH', '/things/8', 'patch 8'],
        ['DELETE', '/things/9', 'delete 9'],
        ['OPTIONS', '/opts', 'options OPTIONS'],
      ];
      for (const [method, path, want] of cases) {
        const r = await fetch(`${s.base}${path}`, { method });
        expect(`${method} ${path} → ${r.status} ${await r.text()}`).toBe(`${method} ${path} → 200 ${want}`);
      }
    });

    it('404 for an unknown path', async () => {
      const r = await rawRequest(s.port, get('/nope/nothing/here'));
      expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
      expect(r.responses[0].status).toBe(404);
      expect(framingProblems(r.responses[0])).toEqual([]);
    });

    it('405 with Allow: GET, HEAD, POST when the method does not match', async () => {
      const r = await rawRequest(s.port, buildRequest('PUT', '/things', { body: '{}' }));
      expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
      const res = r.responses[0];
      expect(res.status).toBe(405);
      expect(headerValues(res, 'allow')).toEqual(['GET, HEAD, POST']);
      expect(framingProblems(res)).toEqual([]);
    });

    it('405 Allow for an OPTIONS-only path lists just OPTIONS', async () => {
      const r = await rawRequest(s.port, get('/opts'));
      expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
      expect(r.responses[0].status).toBe(405);
      expect(allowSet(headerValues(r.responses[0], 'allow'))).toEqual(['OPTIONS']);
    });

    it('405 Allow for a DELETE-only path lists just DELETE', async () => {
      const r = await rawRequest(s.port, get('/only-delete'));
      expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
      expect(r.responses[0].status).toBe(405);
      expect(allowSet(headerValues(r.responses[0], 'allow'))).toEqual(['DELETE']);
    });

    it('405 on a parameter route lists that route’s methods', async () => {
      const r = await rawRequest(s.port, get('/things/1'));
      expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
      expect(r.responses[0].status).toBe(405);
      expect(allowSet(headerValues(r.responses[0], 'allow'))).toEqual(['DELETE', 'PATCH', 'PUT']);
    });
  });

  describe('HEAD on a GET route', () => {
    it('has the same status and headers (incl. Content-Length) and no body', async () => {
      const r = await rawRequest(s.port, Buffer.concat([buildRequest('HEAD', '/status'), get('/status')]), {
        waitForResponses: 2,
        noBody: [true, false],
      });
      expect(r.responses.length, `received ${show(r.raw)}`).toBe(2);
      const [head, full] = r.responses;
      expect(head.status).toBe(201);
      expect(head.headers['content-length']).toBe('7');
      expect(head.headers['x-one']).toBe('1');
      expect(head.headers['x-two']).toBe('two');
      expect(full.status).toBe(201);
      expect(full.text).toBe('created');
      expect(r.rest.length, `trailing bytes ${show(r.rest)}`).toBe(0);
    });

    it('for a JSON-returning handler keeps Content-Type and Content-Length', async () => {
      const r = await rawRequest(s.port, Buffer.concat([buildRequest('HEAD', '/ret/object'), get('/ret/object')]), {
        waitForResponses: 2,
        noBody: [true, false],
      });
      expect(r.responses.length, `received ${show(r.raw)}`).toBe(2);
      const [head, full] = r.responses;
      expect(head.status).toBe(200);
      expect(head.headers['content-type']).toMatch(/^application\/json\b/);
      expect(head.headers['content-length']).toBe(String(full.body.length));
      expect(JSON.parse(full.text)).toEqual({ ok: true, n: 42, list: [1, 'two'] });
    });

    it('via fetch returns an empty body', async () => {
      const r = await fetch(`${s.base}/hello`, { method: 'HEAD' });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-length')).toBe('13');
      expect(await r.text()).toBe('');
    });
  });
});
