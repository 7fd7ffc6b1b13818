// app.inject(): the real parser, router, hooks and handlers without a listening socket.
import { describe, expect, it, vi } from 'vitest';
import { createServer } from '../helpers/app.js';

vi.setConfig({ testTimeout: 10_000 });

describe('app.inject', () => {
  it('runs routes, params, hooks and JSON bodies without listen()', async () => {
    const app = createServer();
    app.addHook('onSend', (_req: any, res: any, body: any) => {
      res.header('x-hook', 'ran');
      return body;
    });
    app.post('/items/:id', async (req: any, res: any) => {
      res.status(201).cookie('seen', '1');
      return { id: req.params.id, body: await req.json(), type: req.header('content-type') };
    });
    app.static('/static', 'native');
    try {
      const r = await app.inject({ method: 'POST', url: '/items/42', body: { name: 'x' } });
      expect(r.statusCode).toBe(201);
      expect(r.json()).toEqual({ id: '42', body: { name: 'x' }, type: 'application/json' });
      expect(r.headers['x-hook']).toBe('ran');
      expect(r.headers['set-cookie']).toEqual(['seen=1']);
      expect(r.headers['content-length']).toBe(String(r.rawBody.length));
      const s = await app.inject('/static');
      expect(s.statusCode).toBe(200);
      expect(s.body).toBe('native');
      expect(s.headers['x-hook']).toBeUndefined(); // native routes run no hooks
      // Nothing listens, and each inject's connection ends with its response.
      for (let i = 0; i < 100 && app.stats().connections > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(app.stats().connections).toBe(0);
      expect(app.stats().connectionsTotal).toBe(2);
    } finally {
      await app.close();
    }
  });

  it('404, 405 and malformed requests are answered as over a socket', async () => {
    const app = createServer();
    app.get('/x', () => 'x');
    try {
      expect((await app.inject('/missing')).statusCode).toBe(404);
      const r = await app.inject({ method: 'DELETE', url: '/x' });
      expect(r.statusCode).toBe(405);
      expect(r.headers.allow).toBe('GET, HEAD');
      const head = await app.inject({ method: 'HEAD', url: '/x' });
      expect(head.statusCode).toBe(200);
      expect(head.body).toBe('');
      expect(head.headers['content-length']).toBe('1');
    } finally {
      await app.close();
    }
  });

  it('many injects in parallel each get their own answer', async () => {
    const app = createServer();
    app.get('/echo/:n', async (req: any) => {
      await new Promise((r) => setTimeout(r, Number(req.params.n) % 5));
      return req.params.n;
    });
    try {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => app.inject(`/echo/${i}`)));
      results.forEach((r, i) => expect(r.body).toBe(String(i)));
      for (let i = 0; i < 100 && app.stats().connections > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(app.stats().connections).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('works beside a listening server, waits for async plugins, and refuses after close()', async () => {
    const app = createServer();
    app.register(async (scope: any) => {
      await new Promise((r) => setTimeout(r, 5));
      scope.get('/late', () => 'late');
    });
    expect((await app.inject('/late')).body).toBe('late');
    const { port } = await app.listen({ port: 0, host: '127.0.0.1' });
    expect(await (await fetch(`http://127.0.0.1:${port}/late`)).text()).toBe('late');
    expect((await app.inject('/late')).body).toBe('late');
    await app.close();
    await expect(app.inject('/late')).rejects.toMatchObject({ code: 'UVHTTP_ERR_SERVER_CLOSED' });
    await expect(createServer().inject({ methd: 'GET' } as never)).rejects.toMatchObject({ code: 'UVHTTP_ERR_UNKNOWN_OPTION' });
  });
});
