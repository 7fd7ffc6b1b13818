// Hooks, scopes, error and not-found handlers, over real sockets: what each hook sees and may change,
// which scope's hooks a request runs, and what other scopes and the native routes must not run.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer, startApp, type Started } from '../helpers/app.js';
import { buildRequest, get, headerValues, rawRequest, show, sleep } from '../helpers/http.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

async function one(port: number, request: Buffer) {
  const r = await rawRequest(port, request);
  expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
  return r.responses[0]!;
}

const text = (res: { body: Buffer }) => res.body.toString();

describe('hooks and scopes', () => {
  let s: Started;
  const seen: string[] = [];
  const logged: Array<{ url: string; status: number }> = [];
  const errorsSeen: unknown[] = [];

  beforeAll(async () => {
    s = await startApp(
      (app) => {
        app.addHook('onRequest', (req: any, res: any) => {
          seen.push(`root onRequest ${req.url}`);
          res.header('x-request-hook', 'root');
        });
        app.addHook('onSend', (_req: any, res: any, body: any) => {
          res.header('access-control-allow-origin', '*');
          return body;
        });
        app.addHook('onResponse', (req: any, res: any) => {
          logged.push({ url: req.url, status: res.statusCode });
        });
        app.get('/plain', () => 'plain');
        app.get('/throws', () => {
          throw new Error('boom');
        });
        app.static('/native', 'native body');
        app.register(
          (api: any) => {
            api.addHook('preHandler', async (req: any, res: any) => {
              await sleep(1);
              if (req.header('authorization') !== 'Bearer ok') res.status(401).json({ error: 'unauthorized' });
            });
            api.addHook('onSend', (_req: any, _res: any, body: any) => (typeof body === 'string' ? body.replace('secret', '******') : body));
            api.setErrorHandler((err: any, _req: any, res: any) => {
              res.status(err.statusCode ?? 500).json({ error: err.message });
            });
            api.setNotFoundHandler((req: any, res: any) => {
              res.json({ error: 'no such route', path: req.path, status: res.statusCode });
            });
            api.get('/items/:id', (req: any) => ({ id: req.params.id, note: 'secret' }));
            api.get('/', () => ({ api: true }));
            api.post('/fail', async () => {
              await sleep(1);
              throw Object.assign(new Error('bad input'), { statusCode: 422 });
            });
            api.get('/map', () => new Map([['a', 1]]));
          },
          { prefix: '/api' },
        );
        app.register((other: any) => {
          other.get('/other', () => 'other');
        });
      },
      { onError: (err: unknown) => errorsSeen.push(err) },
    );
  });
  afterAll(() => s?.close());

  it('an app-wide onRequest and onSend run around a route; onResponse runs after it', async () => {
    seen.length = 0;
    logged.length = 0;
    const res = await one(s.port, get('/plain?x=1'));
    expect(res.status).toBe(200);
    expect(text(res)).toBe('plain');
    expect(headerValues(res, 'x-request-hook')).toEqual(['root']);
    expect(headerValues(res, 'access-control-allow-origin')).toEqual(['*']);
    expect(seen).toEqual(['root onRequest /plain?x=1']);
    expect(logged).toEqual([{ url: '/plain?x=1', status: 200 }]);
  });

  it('a scope prefixes its routes; its preHandler may answer instead of the handler', async () => {
    const denied = await one(s.port, get('/api/items/7'));
    expect(denied.status).toBe(401);
    expect(JSON.parse(text(denied))).toEqual({ error: 'unauthorized' });
    // The app-wide hooks ran for it too.
    expect(headerValues(denied, 'access-control-allow-origin')).toEqual(['*']);
    const allowed = await one(s.port, get('/api/items/7', { authorization: 'Bearer ok' }));
    expect(allowed.status).toBe(200);
    expect(JSON.parse(text(allowed))).toEqual({ id: '7', note: '******' });
    const root = await one(s.port, get('/api', { authorization: 'Bearer ok' }));
    expect(JSON.parse(text(root))).toEqual({ api: true });
  });

  it("a scope's hooks do not run for its parent's or its siblings' routes", async () => {
    const other = await one(s.port, get('/other'));
    expect(other.status).toBe(200);
    expect(text(other)).toBe('other');
    // No 401 from /api's preHandler, and the root's hooks still apply.
    expect(headerValues(other, 'access-control-allow-origin')).toEqual(['*']);
  });

  it("an async throw in a scope goes to that scope's error handler, and onSend still runs", async () => {
    errorsSeen.length = 0;
    const res = await one(s.port, buildRequest('POST', '/api/fail', { body: '{}', headers: { authorization: 'Bearer ok' } }));
    expect(res.status).toBe(422);
    expect(JSON.parse(text(res))).toEqual({ error: 'bad input' });
    expect(headerValues(res, 'access-control-allow-origin')).toEqual(['*']);
    expect(errorsSeen).toHaveLength(1);
  });

  it('without an error handler a throw is a 500 that onSend still sees', async () => {
    const res = await one(s.port, get('/throws'));
    expect(res.status).toBe(500);
    expect(headerValues(res, 'access-control-allow-origin')).toEqual(['*']);
  });

  it('a Map returned is UVHTTP_ERR_INVALID_RETURN, shaped by the error handler', async () => {
    errorsSeen.length = 0;
    const res = await one(s.port, get('/api/map', { authorization: 'Bearer ok' }));
    expect(res.status).toBe(500);
    expect(JSON.parse(text(res)).error).toMatch(/a Map/);
    expect(errorsSeen[0]).toMatchObject({ code: 'UVHTTP_ERR_INVALID_RETURN' });
  });

  it("a scope's not-found handler answers under its prefix, with its hooks", async () => {
    const res = await one(s.port, get('/api/nothing', { authorization: 'Bearer ok' }));
    expect(res.status).toBe(404);
    expect(JSON.parse(text(res))).toEqual({ error: 'no such route', path: '/api/nothing', status: 404 });
    expect(headerValues(res, 'access-control-allow-origin')).toEqual(['*']);
    // Its preHandler ran first: no token, no route list.
    expect((await one(s.port, get('/api/nothing'))).status).toBe(401);
  });

  it('a 405 reaches the not-found handler with its status and Allow set', async () => {
    const res = await one(s.port, buildRequest('DELETE', '/api/items/1', { headers: { authorization: 'Bearer ok' } }));
    expect(res.status).toBe(405);
    expect(headerValues(res, 'allow')).toEqual(['GET, HEAD']);
    expect(JSON.parse(text(res))).toMatchObject({ status: 405 });
  });

  it('outside any not-found handler a 404 is the canned one, and the app-wide hooks see it', async () => {
    logged.length = 0;
    const res = await one(s.port, get('/missing'));
    expect(res.status).toBe(404);
    expect(text(res)).toBe('Not Found');
    expect(headerValues(res, 'access-control-allow-origin')).toEqual(['*']);
    expect(logged).toEqual([{ url: '/missing', status: 404 }]);
  });

  it('native static routes run no hooks', async () => {
    seen.length = 0;
    const res = await one(s.port, get('/native'));
    expect(text(res)).toBe('native body');
    expect(headerValues(res, 'access-control-allow-origin')).toEqual([]);
    expect(seen).toEqual([]);
  });
});

describe('hooks: order, async answers, failures', () => {
  it('hooks run in order, the parent scope first; an async onRequest that answers skips the rest', async () => {
    const order: string[] = [];
    const s = await startApp((app) => {
      app.addHook('onRequest', () => void order.push('root onRequest'));
      app.addHook('preHandler', () => void order.push('root preHandler'));
      app.register((scope: any) => {
        scope.addHook('onRequest', () => void order.push('scope onRequest'));
        scope.addHook('preHandler', () => void order.push('scope preHandler'));
        scope.get('/x', () => {
          order.push('handler');
          return 'x';
        });
        scope.get('/preflight', () => {
          order.push('handler ran');
          return 'no';
        });
        scope.addHook('onRequest', async (req: any, res: any) => {
          if (req.path !== '/preflight') return;
          await sleep(1);
          res.status(204).header('access-control-allow-methods', 'GET').end();
        });
      });
    });
    try {
      expect(text(await one(s.port, get('/x')))).toBe('x');
      expect(order).toEqual(['root onRequest', 'scope onRequest', 'root preHandler', 'scope preHandler', 'handler']);
      order.length = 0;
      const pre = await one(s.port, get('/preflight'));
      expect(pre.status).toBe(204);
      expect(headerValues(pre, 'access-control-allow-methods')).toEqual(['GET']);
      expect(order).toEqual(['root onRequest', 'scope onRequest']);
    } finally {
      await s.close();
    }
  });

  it('an async onSend may replace the body and set headers; a failing onSend gives a 500, the server goes on', async () => {
    const s = await startApp((app) => {
      app.addHook('onSend', async (req: any, res: any, body: any) => {
        await sleep(1);
        if (req.path === '/bad') throw new Error('onSend failed');
        res.header('x-length-before', String(body.length));
        return body.toUpperCase();
      });
      app.get('/ok', (req: any) => `hello ${req.path}`);
      app.get('/bad', () => 'never');
    });
    try {
      const ok = await one(s.port, get('/ok'));
      expect(text(ok)).toBe('HELLO /OK');
      expect(headerValues(ok, 'x-length-before')).toEqual(['9']);
      expect(headerValues(ok, 'content-length')).toEqual(['9']);
      const bad = await one(s.port, get('/bad'));
      expect(bad.status).toBe(500);
      expect(text(bad)).not.toContain('never');
      expect(text(await one(s.port, get('/ok')))).toBe('HELLO /OK');
    } finally {
      await s.close();
    }
  });

  it('a throwing onResponse is reported and changes nothing', async () => {
    const seen: unknown[] = [];
    const s = await startApp(
      (app) => {
        app.addHook('onResponse', () => {
          throw new Error('log sink down');
        });
        app.get('/x', () => 'x');
      },
      { onError: (err: unknown) => seen.push(err) },
    );
    try {
      const res = await one(s.port, get('/x'));
      expect(res.status).toBe(200);
      expect(text(res)).toBe('x');
      expect(seen).toEqual([expect.objectContaining({ message: 'log sink down' })]);
    } finally {
      await s.close();
    }
  });

  it('a hook added after the routes still applies to them', async () => {
    const s = await startApp((app) => {
      app.get('/x', () => 'x');
      app.addHook('onSend', () => 'replaced');
    });
    try {
      expect(text(await one(s.port, get('/x')))).toBe('replaced');
    } finally {
      await s.close();
    }
  });

  it('an async plugin is waited for by listen(), and its failure fails listen()', async () => {
    const app = createServer();
    app.register(async (scope: any) => {
      await sleep(5);
      scope.get('/late', () => 'late');
    });
    const { port } = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect(text(await one(port, get('/late')))).toBe('late');
    } finally {
      await app.close();
    }
    const broken = createServer();
    broken.register(async () => {
      throw new Error('plugin failed');
    });
    await expect(broken.listen({ port: 0, host: '127.0.0.1' })).rejects.toThrow('plugin failed');
    await broken.close();
  });

  it('bad hook names, handlers and register options are coded errors', () => {
    const app = createServer();
    expect(() => app.addHook('onReqest' as never, () => undefined)).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_INVALID_ARG' }));
    expect(() => app.addHook('onRequest', 'x' as never)).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_INVALID_ARG' }));
    expect(() => app.setErrorHandler(1 as never)).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_INVALID_ARG' }));
    expect(() => app.register(() => undefined, { prefx: '/a' } as never)).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_UNKNOWN_OPTION' }));
    expect(() => app.register(() => undefined, { prefix: 'a' })).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_INVALID_OPTION' }));
    void app.close();
  });
});

describe('no hooks: 404 and 405 stay native', () => {
  it('an app without hooks or not-found handlers answers 404 and 405 without JavaScript', async () => {
    const s = await startApp((app) => {
      app.get('/x', () => 'x');
    });
    try {
      const before = s.app.stats().jsDispatches;
      expect((await one(s.port, get('/nope'))).status).toBe(404);
      expect((await one(s.port, buildRequest('POST', '/x', { body: '' }))).status).toBe(405);
      expect(s.app.stats().jsDispatches).toBe(before);
    } finally {
      await s.close();
    }
  });
});

describe('misuse of the server object', () => {
  it('listen() twice, listen() or registering after close() are coded errors that say what to do', async () => {
    const app = createServer();
    app.get('/x', () => 'x');
    await app.listen({ port: 0, host: '127.0.0.1' });
    await expect(app.listen({ port: 0, host: '127.0.0.1' })).rejects.toMatchObject({ code: 'UVHTTP_ERR_ALREADY_LISTENING' });
    await app.close();
    await expect(app.listen({ port: 0, host: '127.0.0.1' })).rejects.toMatchObject({ code: 'UVHTTP_ERR_SERVER_CLOSED' });
    expect(() => app.get('/y', () => 'y')).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_SERVER_CLOSED', message: expect.stringContaining('create a new one') }));
    expect(() => app.addHook('onRequest', () => undefined)).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_SERVER_CLOSED' }));
    expect(() => app.static('/s', 's')).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_SERVER_CLOSED' }));
    expect(() => app.register(() => undefined)).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_SERVER_CLOSED' }));
  });

  it('a listen() that failed can be retried; a misspelt listen option names the right one', async () => {
    const first = createServer();
    const { port } = await first.listen({ port: 0, host: '127.0.0.1' });
    const second = createServer();
    await expect(second.listen({ port, host: '127.0.0.1' })).rejects.toThrow();
    await first.close();
    await expect(second.listen({ port, host: '127.0.0.1' })).resolves.toMatchObject({ port });
    await second.close();
    const third = createServer();
    await expect(third.listen({ prot: 1 } as never)).rejects.toMatchObject({ code: 'UVHTTP_ERR_UNKNOWN_OPTION', message: expect.stringContaining('"port"') });
    await third.close();
  });
});

describe('hooks and clients that leave', () => {
  it('a client gone while an async onRequest waits: the handler does not run, the server goes on', async () => {
    let handlerRan = 0;
    let open!: () => void;
    const waiting = new Promise<void>((resolve) => (open = resolve));
    let entered!: () => void;
    const inHook = new Promise<void>((resolve) => (entered = resolve));
    const s = await startApp((app) => {
      app.addHook('onRequest', async (req: any) => {
        if (req.path !== '/slow') return;
        entered();
        await waiting;
      });
      app.get('/slow', () => {
        handlerRan++;
        return 'slow';
      });
      app.get('/fast', () => 'fast');
    });
    try {
      const sock = connect(s.port, '127.0.0.1');
      sock.write(get('/slow'));
      await inHook;
      sock.destroy();
      await sleep(50); // the core sees the close and aborts the response
      open();
      await sleep(20);
      expect(handlerRan).toBe(0);
      expect(text(await one(s.port, get('/fast')))).toBe('fast');
    } finally {
      await s.close();
    }
  });
});
