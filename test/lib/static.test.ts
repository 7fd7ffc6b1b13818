import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { startApp, type Started } from '../helpers/app.js';
import { buildRequest, framingProblems, get, headerValues, rawRequest, show } from '../helpers/http.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

const UNICODE = 'héllo wörld ✓ 🚀';

describe('static routes', () => {
  let s: Started;

  beforeAll(async () => {
    s = await startApp((app) => {
      app.static('/', 'Hello World!!');
      app.static('/teapot', 'short and stout', {
        status: 418,
        headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Custom': 'yes' },
      });
      app.static('/unicode', UNICODE, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
      app.static('/empty', '');
      app.static('/deep/nested/path', 'nested');
    });
  });

  afterAll(async () => {
    await s?.stop();
  });

  it('serves the body with status 200 over fetch', async () => {
    const r = await fetch(`${s.base}/`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('Hello World!!');
    expect(r.headers.get('content-length')).toBe('13');
  });

  it('sends Date and Content-Length on the wire', async () => {
    const r = await rawRequest(s.port, get('/'));
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
    const res = r.responses[0];
    expect(res.httpVersion).toBe('1.1');
    expect(res.status).toBe(200);
    expect(res.text).toBe('Hello World!!');
    expect(framingProblems(res)).toEqual([]);
  });

  it('applies the configured status and headers', async () => {
    const r = await rawRequest(s.port, get('/teapot'));
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
    const res = r.responses[0];
    expect(res.status).toBe(418);
    expect(res.text).toBe('short and stout');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['x-custom']).toBe('yes');
    expect(res.headers['content-length']).toBe('15');
    expect(framingProblems(res)).toEqual([]);
  });

  it('counts Content-Length in bytes, not characters', async () => {
    const r = await fetch(`${s.base}/unicode`);
    expect(r.status).toBe(200);
    const body = Buffer.from(await r.arrayBuffer());
    expect(body.toString('utf8')).toBe(UNICODE);
    expect(r.headers.get('content-length')).toBe(String(Buffer.byteLength(UNICODE)));
  });

  it('serves an empty body with Content-Length: 0', async () => {
    const r = await rawRequest(s.port, get('/empty'));
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
    expect(r.responses[0].status).toBe(200);
    expect(r.responses[0].headers['content-length']).toBe('0');
    expect(r.responses[0].body.length).toBe(0);
  });

  it('serves a nested path', async () => {
    const r = await fetch(`${s.base}/deep/nested/path`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('nested');
  });

  it('matches by path, ignoring the query string', async () => {
    const r = await fetch(`${s.base}/?cache=bust&x=1`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('Hello World!!');
  });

  it('answers HEAD with the same headers and no body', async () => {
    // HEAD then GET in one write: if the HEAD response carried a body, the GET response would be misparsed.
    const r = await rawRequest(s.port, Buffer.concat([buildRequest('HEAD', '/teapot'), get('/')]), {
      waitForResponses: 2,
      noBody: [true, false],
    });
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(2);
    const [head, next] = r.responses;
    expect(head.status).toBe(418);
    expect(head.headers['content-length']).toBe('15');
    expect(head.headers['x-custom']).toBe('yes');
    expect(head.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(framingProblems(head, { head: true })).toEqual([]);
    expect(next.status).toBe(200);
    expect(next.text).toBe('Hello World!!');
    expect(r.rest.length, `trailing bytes ${show(r.rest)}`).toBe(0);
  });

  it('answers an unknown path with 404', async () => {
    const r = await rawRequest(s.port, get('/does-not-exist'));
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
    expect(r.responses[0].status).toBe(404);
    expect(framingProblems(r.responses[0])).toEqual([]);
  });

  it('answers POST to a static path with 405 and Allow: GET, HEAD', async () => {
    const r = await rawRequest(s.port, buildRequest('POST', '/', { body: 'x=1' }));
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
    const res = r.responses[0];
    expect(res.status).toBe(405);
    const allow = headerValues(res, 'allow').join(',').split(',').map((m) => m.trim()).sort();
    expect(allow).toEqual(['GET', 'HEAD']);
    expect(framingProblems(res)).toEqual([]);
  });

  it('serves many sequential requests on one keep-alive connection', async () => {
    const reqs = Array.from({ length: 20 }, () => get('/'));
    const r = await rawRequest(s.port, Buffer.concat(reqs), { waitForResponses: 20 });
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(20);
    for (const res of r.responses) {
      expect(res.status).toBe(200);
      expect(res.text).toBe('Hello World!!');
    }
    expect(r.closed).toBe(false);
  });
});
