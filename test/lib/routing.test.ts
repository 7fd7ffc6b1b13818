// Routing as an app sees it, over real sockets: one path shape with other param names per method,
// trailing wildcards, precedence, ignoreTrailingSlash, and the coded errors of a bad registration.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer, startApp, type Started } from '../helpers/app.js';
import { buildRequest, get, headerValues, rawRequest, show } from '../helpers/http.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

async function one(port: number, request: Buffer) {
  const r = await rawRequest(port, request);
  expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
  return r.responses[0]!;
}

const json = (res: { body: Buffer }) => JSON.parse(res.body.toString()) as unknown;

describe('routing', () => {
  let s: Started;

  beforeAll(async () => {
    s = await startApp((app) => {
      app.get('/items/:id', (req: any) => ({ route: 'get', params: { ...req.params } }));
      app.put('/items/:itemId', (req: any) => ({ route: 'put', params: { ...req.params } }));
      app.get('/files/*', (req: any) => ({ route: 'files', params: { ...req.params } }));
      app.get('/files/:name/meta', (req: any) => ({ route: 'meta', params: { ...req.params } }));
      app.get('/files/readme', () => ({ route: 'readme' }));
      app.post('/users/me', () => ({ route: 'post me' }));
      app.get('/users/:id', (req: any) => ({ route: 'user', params: { ...req.params } }));
    });
  });
  afterAll(() => s?.close());

  it('one shape with other param names per method: PUT /items/1 reaches the PUT route', async () => {
    const put = await one(s.port, buildRequest('PUT', '/items/1', { body: '{}' }));
    expect(put.status).toBe(200);
    expect(json(put)).toEqual({ route: 'put', params: { itemId: '1' } });
    const got = await one(s.port, get('/items/2'));
    expect(json(got)).toEqual({ route: 'get', params: { id: '2' } });
    // Each route sees only its own names.
    expect(json(got)).not.toHaveProperty('params.itemId');
  });

  it('a method no route of that shape answers is a 405 listing the ones that do', async () => {
    const res = await one(s.port, buildRequest('DELETE', '/items/1'));
    expect(res.status).toBe(405);
    expect(headerValues(res, 'allow')).toEqual(['GET, HEAD, PUT']);
  });

  it('a trailing * takes the rest of the path as params["*"], slashes and decoding included', async () => {
    expect(json(await one(s.port, get('/files/a/b%20c.txt')))).toEqual({ route: 'files', params: { '*': 'a/b c.txt' } });
    expect(json(await one(s.port, get('/files/')))).toEqual({ route: 'files', params: { '*': '' } });
    expect((await one(s.port, get('/files'))).status).toBe(404);
  });

  it('an exact segment wins over a param, a param over a wildcard', async () => {
    expect(json(await one(s.port, get('/files/readme')))).toEqual({ route: 'readme' });
    expect(json(await one(s.port, get('/files/x/meta')))).toEqual({ route: 'meta', params: { name: 'x' } });
    expect(json(await one(s.port, get('/files/x/meta/more')))).toEqual({ route: 'files', params: { '*': 'x/meta/more' } });
  });

  it('an exact path of another method does not hide a pattern of this one', async () => {
    expect(json(await one(s.port, get('/users/me')))).toEqual({ route: 'user', params: { id: 'me' } });
    expect(json(await one(s.port, buildRequest('POST', '/users/me', { body: '' })))).toEqual({ route: 'post me' });
  });

  it('HEAD reaches a GET wildcard route', async () => {
    const r = await rawRequest(s.port, buildRequest('HEAD', '/files/a'), { noBody: [true] });
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
    expect(r.responses[0]!.status).toBe(200);
    expect(Number(headerValues(r.responses[0]!, 'content-length')[0])).toBeGreaterThan(0);
    expect(r.raw.toString('latin1')).not.toContain('"route"');
  });

  it('a trailing slash is another path by default', async () => {
    expect((await one(s.port, get('/items/1/'))).status).toBe(404);
  });
});

describe('ignoreTrailingSlash', () => {
  let s: Started;

  beforeAll(async () => {
    s = await startApp(
      (app) => {
        app.get('/todos/:id', (req: any) => ({ id: req.params.id }));
        app.get('/list/', () => 'list');
      },
      { ignoreTrailingSlash: true },
    );
  });
  afterAll(() => s?.close());

  it('/todos/1/ routes as /todos/1, and a route added with its slash answers both ways', async () => {
    expect(json(await one(s.port, get('/todos/1/')))).toEqual({ id: '1' });
    expect(json(await one(s.port, get('/todos/1')))).toEqual({ id: '1' });
    expect((await one(s.port, get('/list'))).body.toString()).toBe('list');
    expect((await one(s.port, get('/list/'))).body.toString()).toBe('list');
  });

  it('a route with and without its slash is then a duplicate', () => {
    const app = createServer({ ignoreTrailingSlash: true });
    app.get('/a/', () => 'x');
    expect(() => app.get('/a', () => 'y')).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_DUPLICATE_ROUTE' }));
    void app.close();
  });
});

describe('registration errors', () => {
  const app = createServer();
  afterAll(() => app.close());

  it.each([
    ['no leading slash', 'items'],
    ['a repeated param name', '/a/:x/:x'],
    ['a param without a name', '/a/:'],
    ['a wildcard before the end', '/a/*/b'],
    ['a wildcard inside a segment', '/a*'],
    ['an empty segment', '/a//b'],
  ])('%s is UVHTTP_ERR_INVALID_ROUTE', (_what, path) => {
    expect(() => app.get(path, () => 'x')).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_INVALID_ROUTE', name: 'TypeError' }));
  });

  it('the same method and shape twice is UVHTTP_ERR_DUPLICATE_ROUTE, naming the route', () => {
    app.get('/dup/:id', () => 'x');
    let thrown: any;
    try {
      app.get('/dup/:other', () => 'y');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'UVHTTP_ERR_DUPLICATE_ROUTE' });
    expect(thrown.message).toContain('GET /dup/:other');
    // Another method on that shape is fine.
    expect(() => app.put('/dup/:x', () => 'z')).not.toThrow();
  });

  it('a static route on a taken path is a duplicate too', () => {
    app.static('/taken', 'a');
    expect(() => app.static('/taken', 'b')).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_DUPLICATE_ROUTE' }));
  });

  it('a misspelt server or route option names the closest one', () => {
    expect(() => createServer({ bodylimit: 10 } as never)).toThrow(
      expect.objectContaining({ code: 'UVHTTP_ERR_UNKNOWN_OPTION', message: expect.stringContaining('"bodyLimit"') }),
    );
    expect(() => createServer({ keepAliveTimout: 10 } as never)).toThrow(expect.objectContaining({ message: expect.stringContaining('"keepAliveTimeout"') }));
    expect(() => app.post('/up', () => 'x', { streem: true } as never)).toThrow(
      expect.objectContaining({ code: 'UVHTTP_ERR_UNKNOWN_OPTION', message: expect.stringContaining('"stream"') }),
    );
    // Nothing close: the message lists what there is.
    expect(() => createServer({ zzzzzzzzzz: 1 } as never)).toThrow(expect.objectContaining({ message: expect.stringContaining('bodyLimit') }));
  });

  it('ignoreTrailingSlash must be a boolean', () => {
    expect(() => createServer({ ignoreTrailingSlash: 'yes' } as never)).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_INVALID_OPTION' }));
  });
});
