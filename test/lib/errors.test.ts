import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { startApp, type Started } from '../helpers/app.js';
import { RawClient, framingProblems, get, rawRequest, show } from '../helpers/http.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

function routes(app: any) {
  app.get('/throw', () => {
    throw new Error('boom-sync-SECRET');
  });
  app.get('/reject', async () => {
    await new Promise((r) => setTimeout(r, 5));
    throw new Error('boom-async-SECRET');
  });
  app.get('/reject-plain', () => Promise.reject(new TypeError('plain-reject-SECRET')));
  app.get('/throw-string', () => {
    throw 'a string, not an Error';
  });
  app.get('/ok', () => 'ok');
  app.static('/static', 'static ok');
}

describe('handler errors with onError', () => {
  let s: Started;
  const seen: Array<{ err: unknown; path: unknown; method: unknown }> = [];
  const clients: RawClient[] = [];

  beforeAll(async () => {
    s = await startApp(routes, {
      onError: (err: unknown, req: any) => {
        seen.push({ err, path: req?.path, method: req?.method });
      },
    });
  });

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await s?.stop();
  });

  it('a throwing handler gives 500 with a generic body, and the next request on the same connection works', async () => {
    const c = await RawClient.connect(s.port);
    clients.push(c);
    const r1 = await c.request(get('/throw'));
    expect(r1.status).toBe(500);
    expect(r1.text).not.toContain('SECRET');
    expect(r1.text).not.toContain('boom');
    expect(framingProblems(r1)).toEqual([]);
    const r2 = await c.request(get('/ok'));
    expect(r2.status).toBe(200);
    expect(r2.text).toBe('ok');
    const r3 = await c.request(get('/static'));
    expect(r3.text).toBe('static ok');
    expect(c.closed).toBe(false);
  });

  it('onError receives the thrown error and the request', async () => {
    const before = seen.length;
    const r = await rawRequest(s.port, get('/throw'));
    expect(r.responses[0]?.status, `received ${show(r.raw)}`).toBe(500);
    await vi.waitFor(() => expect(seen.length).toBe(before + 1), { timeout: 1000 });
    const e = seen[before];
    expect(e.err).toBeInstanceOf(Error);
    expect((e.err as Error).message).toBe('boom-sync-SECRET');
    expect(e.path).toBe('/throw');
    expect(e.method).toBe('GET');
  });

  it('a rejected promise (async handler) gives 500 and reaches onError', async () => {
    const before = seen.length;
    const r = await rawRequest(s.port, get('/reject'));
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
    expect(r.responses[0].status).toBe(500);
    expect(r.responses[0].text).not.toContain('SECRET');
    expect(framingProblems(r.responses[0])).toEqual([]);
    await vi.waitFor(() => expect(seen.length).toBe(before + 1), { timeout: 1000 });
    expect((seen[before].err as Error).message).toBe('boom-async-SECRET');
    expect(seen[before].path).toBe('/reject');
  });

  it('a returned rejected promise gives 500 and reaches onError', async () => {
    const before = seen.length;
    const r = await fetch(`${s.base}/reject-plain`);
    expect(r.status).toBe(500);
    expect(await r.text()).not.toContain('SECRET');
    await vi.waitFor(() => expect(seen.length).toBe(before + 1), { timeout: 1000 });
    expect(seen[before].err).toBeInstanceOf(TypeError);
  });

  it('a thrown non-Error value gives 500 and reaches onError unchanged', async () => {
    const before = seen.length;
    const r = await fetch(`${s.base}/throw-string`);
    expect(r.status).toBe(500);
    await r.arrayBuffer();
    await vi.waitFor(() => expect(seen.length).toBe(before + 1), { timeout: 1000 });
    expect(seen[before].err).toBe('a string, not an Error');
  });

  it('pipelined: throw, reject, ok in one write → 500, 500, 200 in order', async () => {
    const r = await rawRequest(s.port, Buffer.concat([get('/throw'), get('/reject'), get('/ok')]), {
      waitForResponses: 3,
    });
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(3);
    expect(r.responses.map((x) => x.status)).toEqual([500, 500, 200]);
    expect(r.responses[2].text).toBe('ok');
  });

  it('the server keeps going after many errors', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${s.base}/throw`);
      expect(r.status).toBe(500);
      await r.arrayBuffer();
    }
    const ok = await fetch(`${s.base}/ok`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('ok');
  });
});

describe('handler errors with the default onError', () => {
  let s: Started;

  beforeAll(async () => {
    s = await startApp(routes);
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await s?.stop();
  });

  it('logs the error to stderr and answers 500', async () => {
    const logged: string[] = [];
    const capture = (...args: unknown[]) => {
      logged.push(args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : String(a))).join(' '));
    };
    // console.error (vitest intercepts it) or a direct process.stderr.write are both "stderr".
    const errSpy = vi.spyOn(console, 'error').mockImplementation(capture);
    const warnSpy = vi.spyOn(console, 'warn').mockImplementation(capture);
    const writeSpy = vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: unknown) => {
      capture(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
      return true;
    }) as never);
    try {
      const r = await rawRequest(s.port, get('/throw'));
      expect(r.responses[0]?.status, `received ${show(r.raw)}`).toBe(500);
      await vi.waitFor(() => expect(logged.join('\n')).toContain('boom-sync-SECRET'), { timeout: 1000 });
      const ok = await rawRequest(s.port, get('/ok'));
      expect(ok.responses[0]?.text).toBe('ok');
    } finally {
      errSpy.mockRestore();
      warnSpy.mockRestore();
      writeSpy.mockRestore();
    }
  });
});
