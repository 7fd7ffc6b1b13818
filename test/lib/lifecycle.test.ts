import { describe, it, expect, beforeAll, afterAll, afterEach, vi } from 'vitest';
import { startApp, type Started } from '../helpers/app.js';
import { RawClient, get, rawRequest, show, tryConnect, within } from '../helpers/http.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

describe('lifecycle', () => {
  const started: Started[] = [];
  const clients: RawClient[] = [];
  const start = async (configure: (app: any) => void) => {
    const s = await startApp(configure);
    started.push(s);
    return s;
  };

  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy();
  });

  afterAll(async () => {
    const results = await Promise.allSettled(started.map((s) => s.stop()));
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) throw failed.reason;
  });

  it('listen({ port: 0 }) resolves with the address and a real ephemeral port', async () => {
    const s = await start((app) => app.static('/', 'up'));
    expect(s.address).toBe('127.0.0.1');
    expect(Number.isInteger(s.port)).toBe(true);
    expect(s.port).toBeGreaterThan(0);
    expect(s.port).toBeLessThan(65536);
    const r = await fetch(`http://127.0.0.1:${s.port}/`);
    expect(await r.text()).toBe('up');
  });

  it('two servers get different ports and serve independently', async () => {
    const a = await start((app) => app.static('/', 'server A'));
    const b = await start((app) => app.get('/', () => 'server B'));
    expect(a.port).not.toBe(b.port);
    expect(await (await fetch(`${a.base}/`)).text()).toBe('server A');
    expect(await (await fetch(`${b.base}/`)).text()).toBe('server B');
  });

  it('close() resolves and the port stops accepting connections', async () => {
    const s = await start((app) => app.static('/', 'bye'));
    expect(await tryConnect(s.port)).toBe('connected');
    const r = await rawRequest(s.port, get('/'));
    expect(r.responses[0]?.text, `received ${show(r.raw)}`).toBe('bye');
    await within(s.close(), 3000, 'close()');
    expect(await tryConnect(s.port)).toBe('ECONNREFUSED');
  });

  it('close() ends idle keep-alive connections', async () => {
    const s = await start((app) => app.static('/', 'idle'));
    const c = await RawClient.connect(s.port);
    clients.push(c);
    expect((await c.request(get('/'))).text).toBe('idle');
    const closing = s.close();
    expect(await c.waitForEnd(2000)).toBe(true);
    await within(closing, 3000, 'close()');
    expect(await tryConnect(s.port)).toBe('ECONNREFUSED');
  });

  it('close() answers a request that already waits in an idle connection, as the last one, instead of resetting it', async () => {
    // A proxy reusing a keep-alive connection at the moment the server starts draining.
    for (const route of ['static', 'dynamic'] as const) {
      const s = await start((app) => (route === 'static' ? app.static('/x', 'late') : app.get('/x', () => 'late')));
      const c = await RawClient.connect(s.port);
      clients.push(c);
      expect((await c.request(get('/x'))).text).toBe('late');
      await c.write(get('/x'));
      // Block this thread until the request sits in the server socket's receive buffer, unread.
      const until = Date.now() + 30;
      while (Date.now() < until);
      const closing = s.close();
      const [r] = await c.read(1, { timeoutMs: 3000 });
      expect(r!.status, route).toBe(200);
      expect(r!.text).toBe('late');
      expect(r!.headers.connection).toBe('close');
      expect(await c.waitForEnd(2000)).toBe(true);
      expect(c.error, `${route}: ${c.error}`).toBeUndefined();
      await within(closing, 3000, 'close()');
    }
  });

  it('close() waits for an in-flight async response and delivers it complete', async () => {
    const events: string[] = [];
    let entered!: () => void;
    const handlerEntered = new Promise<void>((r) => (entered = r));
    const s = await start((app) =>
      app.get('/slow', async () => {
        entered();
        await new Promise((r) => setTimeout(r, 150));
        events.push('handler returns');
        return 'finished after close';
      }),
    );
    const c = await RawClient.connect(s.port);
    clients.push(c);
    await c.write(get('/slow'));
    await handlerEntered;

    const closing = s.close().then(() => events.push('close resolved'));
    const [res] = await c.read(1, { timeoutMs: 3000 });
    await within(closing, 3000, 'close() after the in-flight response');
    expect(res.status).toBe(200);
    expect(res.text).toBe('finished after close');
    expect(events).toEqual(['handler returns', 'close resolved']);
    // the connection is not kept alive past close()
    expect(await c.waitForEnd(2000)).toBe(true);
    expect(await tryConnect(s.port)).toBe('ECONNREFUSED');
  });

  it('after close() is called, new connections are refused even while a response is in flight', async () => {
    let entered!: () => void;
    const handlerEntered = new Promise<void>((r) => (entered = r));
    const s = await start((app) =>
      app.get('/slow', async () => {
        entered();
        await new Promise((r) => setTimeout(r, 150));
        return 'done';
      }),
    );
    const c = await RawClient.connect(s.port);
    clients.push(c);
    await c.write(get('/slow'));
    await handlerEntered;
    const closing = s.close();
    await new Promise((r) => setTimeout(r, 20));
    expect(await tryConnect(s.port)).toBe('ECONNREFUSED');
    const [res] = await c.read(1, { timeoutMs: 3000 });
    expect(res.text).toBe('done');
    await within(closing, 3000, 'close() after the in-flight response');
  });

  it('close() with no connections resolves promptly', async () => {
    const s = await start((app) => app.static('/', 'x'));
    const t0 = performance.now();
    await within(s.close(), 3000, 'close()');
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('stats().connections is 0 after close()', async () => {
    const s = await start((app) => app.static('/', 'x'));
    const c = await RawClient.connect(s.port);
    clients.push(c);
    expect((await c.request(get('/'))).text).toBe('x');
    await within(s.close(), 3000, 'close()');
    await vi.waitFor(() => expect(s.app.stats().connections).toBe(0), { timeout: 2000 });
  });

  describe('microtasks and nextTick queued by handlers run before the next loop wait', () => {
    // Nothing else in this process wakes the loop while these run (raw sockets, no fetch pool), so a
    // missing microtask/nextTick drain would stall the response until some unrelated event.
    let s: Started;
    beforeAll(async () => {
      s = await start((app) => {
        app.get('/tick', (_req: any, res: any) => {
          process.nextTick(() => res.end('from nextTick'));
        });
        app.get('/micro', (_req: any, res: any) => {
          queueMicrotask(() => res.end('from microtask'));
        });
        app.get('/then', (_req: any, res: any) => {
          Promise.resolve().then(() => res.end('from then'));
        });
        app.get('/async-return', async () => {
          await null;
          await Promise.resolve();
          return 'from async return';
        });
        app.get('/tick-chain', (_req: any, res: any) => {
          process.nextTick(() => queueMicrotask(() => process.nextTick(() => res.end('from chain'))));
        });
      });
    });

    for (const [path, body] of [
      ['/tick', 'from nextTick'],
      ['/micro', 'from microtask'],
      ['/then', 'from then'],
      ['/async-return', 'from async return'],
      ['/tick-chain', 'from chain'],
    ]) {
      it(`${path} answers in < 200 ms`, async () => {
        // warm up once, then measure on a fresh connection
        await rawRequest(s.port, get(path), { timeoutMs: 2000 });
        const r = await rawRequest(s.port, get(path), { timeoutMs: 2000 });
        expect(r.responses.length, `received ${show(r.raw)} after ${r.elapsedMs.toFixed(0)}ms`).toBe(1);
        expect(r.responses[0].status).toBe(200);
        expect(r.responses[0].text).toBe(body);
        expect(r.responseTimes[0]).toBeLessThan(200);
      });
    }

    it('several pipelined nextTick/microtask responses arrive together and in order, promptly', async () => {
      const r = await rawRequest(s.port, Buffer.concat([get('/tick'), get('/micro'), get('/then'), get('/tick')]), {
        waitForResponses: 4,
        timeoutMs: 2000,
      });
      expect(r.responses.map((x) => x.text), `received ${show(r.raw)}`).toEqual([
        'from nextTick',
        'from microtask',
        'from then',
        'from nextTick',
      ]);
      expect(r.responseTimes[3]).toBeLessThan(200);
    });
  });
});
