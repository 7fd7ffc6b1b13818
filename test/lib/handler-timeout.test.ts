// handlerTimeout over real sockets: a handler slower than it gets its client a 503, the error handler
// and onError hear of it, the late answer is dropped, stats count it, and the connection goes on.
import { describe, expect, it, vi } from 'vitest';
import { createServer, startApp } from '../helpers/app.js';
import { RawClient, get, headerValues, rawRequest, show, signal, sleep } from '../helpers/http.js';

vi.setConfig({ testTimeout: 15_000, hookTimeout: 10_000 });

describe('handlerTimeout', () => {
  it('a handler that never answers gets a 503, counted; the connection serves the next request', async () => {
    const errors: unknown[] = [];
    const s = await startApp(
      (app) => {
        app.get('/never', () => new Promise(() => undefined));
        app.get('/quick', () => 'quick');
      },
      { handlerTimeout: 100, onError: (err: unknown) => errors.push(err) },
    );
    try {
      const client = await RawClient.connect(s.port);
      const started = Date.now();
      const slow = await client.request(get('/never'), { timeoutMs: 5000 });
      expect(slow.status).toBe(503);
      expect(slow.body.toString()).toBe('Service Unavailable');
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
      expect(Date.now() - started).toBeLessThan(3000);
      const next = await client.request(get('/quick'));
      expect(next.status).toBe(200);
      expect(next.body.toString()).toBe('quick');
      client.destroy();
      expect(s.app.stats().handlerTimeouts).toBe(1);
      expect(errors).toEqual([expect.objectContaining({ code: 'UVHTTP_ERR_HANDLER_TIMEOUT', statusCode: 503 })]);
    } finally {
      await s.close();
    }
  });

  it("the late answer is dropped without an error, and never reaches the client", async () => {
    const late = signal<string>();
    const s = await startApp(
      (app) => {
        app.get('/late', async (_req: any, res: any) => {
          await sleep(300);
          try {
            res.header('x-late', '1').end('late body');
            late.resolve('dropped');
          } catch (err) {
            late.resolve(`threw ${(err as Error).message}`);
          }
        });
      },
      { handlerTimeout: 100 },
    );
    try {
      const r = await rawRequest(s.port, get('/late'), { timeoutMs: 1500 });
      expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
      expect(r.responses[0]!.status).toBe(503);
      expect(await late.promise).toBe('dropped');
      await sleep(50);
      expect(r.raw.toString()).not.toContain('late body');
    } finally {
      await s.close();
    }
  });

  it('the error handler shapes the 503', async () => {
    const s = await startApp(
      (app) => {
        app.setErrorHandler((err: any, _req: any, res: any) => res.status(err.statusCode).json({ error: err.code }));
        app.get('/slow', () => sleep(2000).then(() => 'slow'));
      },
      { handlerTimeout: 100 },
    );
    try {
      const r = await rawRequest(s.port, get('/slow'), { timeoutMs: 1500 });
      expect(r.responses[0]!.status).toBe(503);
      expect(JSON.parse(r.responses[0]!.body.toString())).toEqual({ error: 'UVHTTP_ERR_HANDLER_TIMEOUT' });
      expect(headerValues(r.responses[0]!, 'content-type')[0]).toMatch(/application\/json/);
    } finally {
      await s.close();
    }
  });

  it('a streaming response has answered: it may run longer than the timeout', async () => {
    const s = await startApp(
      (app) => {
        app.get('/stream', async (_req: any, res: any) => {
          res.write('a');
          await sleep(300);
          res.end('b');
        });
      },
      { handlerTimeout: 100 },
    );
    try {
      const r = await rawRequest(s.port, get('/stream'), { timeoutMs: 2000 });
      expect(r.responses[0]!.status).toBe(200);
      expect(r.responses[0]!.body.toString()).toBe('ab');
      expect(s.app.stats().handlerTimeouts).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('0 turns it off; a bad value is a coded error; the default is 30 s', async () => {
    const s = await startApp(
      (app) => {
        app.get('/slow', () => sleep(250).then(() => 'done'));
      },
      { handlerTimeout: 0 },
    );
    try {
      const r = await rawRequest(s.port, get('/slow'), { timeoutMs: 2000 });
      expect(r.responses[0]!.body.toString()).toBe('done');
    } finally {
      await s.close();
    }
    expect(() => createServer({ handlerTimeout: -1 })).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_INVALID_OPTION' }));
    expect(() => createServer({ handlerTimeout: 1.5 })).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_INVALID_OPTION' }));
    const d = createServer();
    expect(d.stats().handlerTimeouts).toBe(0);
    await d.close();
  });

  it('a thousand fast async handlers leave no deadline behind', async () => {
    const s = await startApp(
      (app) => {
        app.get('/a', async () => {
          await sleep(0);
          return 'a';
        });
      },
      { handlerTimeout: 200 },
    );
    try {
      const client = await RawClient.connect(s.port);
      for (let i = 0; i < 1000; i++) expect((await client.request(get('/a'))).status).toBe(200);
      client.destroy();
      await sleep(450);
      expect(s.app.stats().handlerTimeouts).toBe(0);
    } finally {
      await s.close();
    }
  });
});
