// req.ip, cookies both ways, forms (urlencoded and multipart with a file) and req.json()'s content
// types, over real sockets with fetch and raw requests.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp, type Started } from '../helpers/app.js';
import { buildRequest, get, headerValues, rawRequest, show } from '../helpers/http.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

describe('request and response helpers', () => {
  let s: Started;
  let base: string;

  beforeAll(async () => {
    s = await startApp((app) => {
      app.get('/ip', (req: any) => ({ ip: req.ip }));
      app.get('/ip-later', async (req: any) => {
        await new Promise((r) => setTimeout(r, 5));
        return { ip: req.ip };
      });
      app.get('/cookies', (req: any) => ({ ...req.cookies }));
      app.get('/login', (_req: any, res: any) => {
        res.cookie('session', 'a b;c', { httpOnly: true, path: '/', sameSite: 'lax', maxAge: 3600 });
        res.cookie('theme', 'dark');
        res.end('ok');
      });
      app.get('/logout', (_req: any, res: any) => res.clearCookie('session', { path: '/' }).end('bye'));
      app.post('/form', async (req: any) => {
        const form = await req.formData();
        const out: Record<string, unknown> = {};
        for (const [k, v] of form) {
          out[k] = typeof v === 'string' ? v : { name: v.name, type: v.type, size: v.size, text: await v.text() };
        }
        return out;
      });
      app.post('/form-small', async (req: any) => {
        await req.formData({ maxParts: 2, maxFieldSize: 4 });
        return 'fits';
      });
      app.post('/json', async (req: any) => ({ got: await req.json() }));
    });
    base = `http://127.0.0.1:${s.port}`;
  });
  afterAll(() => s?.close());

  it('req.ip is the peer address, also after an await', async () => {
    expect(await (await fetch(`${base}/ip`)).json()).toEqual({ ip: '127.0.0.1' });
    expect(await (await fetch(`${base}/ip-later`)).json()).toEqual({ ip: '127.0.0.1' });
  });

  it('req.cookies decodes the Cookie header; none is {}', async () => {
    const r = await fetch(`${base}/cookies`, { headers: { cookie: 'a=1; b=hello%20world;c=3' } });
    expect(await r.json()).toEqual({ a: '1', b: 'hello world', c: '3' });
    expect(await (await fetch(`${base}/cookies`)).json()).toEqual({});
  });

  it('res.cookie sets one Set-Cookie each, encoded; clearCookie expires it', async () => {
    const r = await fetch(`${base}/login`);
    const cookies = r.headers.getSetCookie();
    expect(cookies).toHaveLength(2);
    expect(cookies[0]).toMatch(/^session=a%20b%3Bc; Max-Age=3600; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(cookies[1]).toBe('theme=dark');
    // Round trip: what the server set, the server reads back.
    const back = await fetch(`${base}/cookies`, { headers: { cookie: cookies.map((c) => c.split(';')[0]).join('; ') } });
    expect(await back.json()).toEqual({ session: 'a b;c', theme: 'dark' });
    const out = (await fetch(`${base}/logout`)).headers.getSetCookie();
    expect(out).toEqual([expect.stringMatching(/^session=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT$/)]);
  });

  it('a multipart form with a file part arrives as fields and a File', async () => {
    const form = new FormData();
    form.append('title', 'Report ✓');
    form.append('upload', new Blob([Buffer.from('file bytes\x00\x01')], { type: 'application/octet-stream' }), 'data.bin');
    const r = await fetch(`${base}/form`, { method: 'POST', body: form });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({
      title: 'Report ✓',
      upload: { name: 'data.bin', type: 'application/octet-stream', size: 12, text: 'file bytes\x00\x01' },
    });
  });

  it('an urlencoded form arrives as fields', async () => {
    const r = await fetch(`${base}/form`, { method: 'POST', body: new URLSearchParams({ a: '1', b: 'x y&z' }) });
    expect(await r.json()).toEqual({ a: '1', b: 'x y&z' });
  });

  it('form limits, a malformed form and a wrong content type are coded client errors', async () => {
    const many = await fetch(`${base}/form-small`, { method: 'POST', body: new URLSearchParams({ a: '1', b: '2', c: '3' }) });
    expect(many.status).toBe(413);
    expect(await many.text()).toMatch(/more than 2 parts/);
    const long = await fetch(`${base}/form-small`, { method: 'POST', body: new URLSearchParams({ a: '12345' }) });
    expect(long.status).toBe(413);
    const broken = await rawRequest(
      s.port,
      buildRequest('POST', '/form', { headers: { 'content-type': 'multipart/form-data; boundary=xyz' }, body: 'not a multipart body' }),
    );
    expect(broken.responses[0]!.status, show(broken.raw)).toBe(400);
    const json = await fetch(`${base}/form`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(415);
  });

  it('req.json(): +json types are JSON, other types 415, an empty body 400, no type is read as JSON', async () => {
    const post = (type: string | undefined, body: string) =>
      rawRequest(s.port, buildRequest('POST', '/json', { headers: type ? { 'content-type': type } : {}, body })).then((r) => r.responses[0]!);
    const ok = await post('application/json; charset=utf-8', '{"a":1}');
    expect(JSON.parse(ok.body.toString())).toEqual({ got: { a: 1 } });
    expect((await post('application/problem+json', '[1]')).status).toBe(200);
    expect((await post(undefined, '"x"')).status).toBe(200);
    const text = await post('text/plain', '{"a":1}');
    expect(text.status).toBe(415);
    expect(text.body.toString()).toMatch(/Content-Type is text\/plain/);
    const empty = await post('application/json', '');
    expect(empty.status).toBe(400);
    expect(empty.body.toString()).toBe('the request has no body');
    expect(headerValues(empty, 'content-type')[0]).toMatch(/text\/plain/);
  });

  it('HEAD and GET are unaffected: a GET /ip over a raw socket', async () => {
    const r = await rawRequest(s.port, get('/ip'));
    expect(JSON.parse(r.responses[0]!.body.toString())).toEqual({ ip: '127.0.0.1' });
  });
});
