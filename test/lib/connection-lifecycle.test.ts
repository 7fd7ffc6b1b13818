// A connection's lifecycle against a real server: requests still in a handler are answered in full
// whatever ends the connection (Connection: close, HTTP/1.0, close()), close({ timeout }) forces what
// is left, requestTimeout is the only limit on a handler, idle connections give their buffers back,
// the request-target forms other than origin-form, and a pipelined request's own headers clock.
// Timeouts are checked by a once-a-second tick, so every window here is wide.
import net from 'node:net';
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp, type Started } from '../helpers/app.js';
import { ResponseStream, exchange, rejectionProblems } from '../helpers/hardening.js';
import { RawClient, buildRequest, get, show, sleep, tryConnect, within } from '../helpers/http.js';

vi.setConfig({ testTimeout: 20_000, hookTimeout: 10_000 });

const SLOW_MS = 3500;
/** A body spanning many socket writes, with a pattern a truncation or a shift would break. */
const SLOW_BODY = Array.from({ length: 8192 }, (_, i) => `${String(i).padStart(31, '.')}\n`).join('');

const tokens = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);

/** A promise the test resolves by hand. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

/** Runs a program to completion (killed after timeoutMs). A missing program is an error, not a skip. */
function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; error?: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let error: string | undefined;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => (error = e.message));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, error });
    });
  });
}

describe('connection lifecycle', () => {
  const servers: Started[] = [];
  const clients: RawClient[] = [];
  const start = async (configure: (app: any) => void, options?: Record<string, unknown>) => {
    const s = await startApp(configure, options as never);
    servers.push(s);
    return s;
  };
  const connect = async (port: number) => {
    const c = await RawClient.connect(port);
    clients.push(c);
    return c;
  };

  afterAll(async () => {
    for (const c of clients.splice(0)) c.destroy();
    const results = await Promise.allSettled(servers.splice(0).map((s) => s.stop()));
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) throw failed.reason;
  });

  // The three run at the same time: each waits for the same slow handler.
  describe(`a final request whose handler takes ${SLOW_MS} ms is answered in full before the close`, () => {
    let s: Started;
    beforeAll(async () => {
      s = await start((app) => {
        app.get('/slow', async () => {
          await sleep(SLOW_MS);
          return SLOW_BODY;
        });
      });
    });

    it.concurrent.each([
      { label: 'HTTP/1.1 with Connection: close', request: buildRequest('GET', '/slow', { headers: { Connection: 'close' } }) },
      { label: 'HTTP/1.0 without keep-alive', request: buildRequest('GET', '/slow', { version: '1.0' }) },
    ])('$label', async ({ request }) => {
      const x = await exchange(s.port, request, { timeoutMs: 9000 });
      expect(x.parseError).toBeUndefined();
      expect(x.responses.length, `received ${show(x.raw)}`).toBe(1);
      const res = x.responses[0];
      expect(res.status).toBe(200);
      expect(res.body.length).toBe(Buffer.byteLength(SLOW_BODY));
      expect(res.text === SLOW_BODY, 'the body arrived intact').toBe(true);
      expect(tokens(res.headers['connection'])).toEqual(['close']);
      expect(x.rest.length).toBe(0);
      // The server closed it (FIN, no reset), after the response and not before the handler ended.
      expect(x.timedOut).toBe(false);
      expect(x.ended).toBe(true);
      expect(x.error).toBeUndefined();
      expect(x.firstResponseMs!).toBeGreaterThanOrEqual(SLOW_MS - 100);
      expect(x.endMs!).toBeGreaterThanOrEqual(x.firstResponseMs!);
      expect(x.endMs!).toBeLessThan(8000);
    });

    it.concurrent('ab -n 1 -c 1 (HTTP/1.0, no keep-alive)', async () => {
      const r = await run('ab', ['-n', '1', '-c', '1', `http://127.0.0.1:${s.port}/slow`], 12_000);
      expect(r.error, 'ab must be installed and on PATH').toBeUndefined();
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Complete requests:\s+1$/m);
      expect(r.stdout).toMatch(/^Failed requests:\s+0$/m);
      expect(r.stdout).not.toMatch(/Non-2xx responses/);
      expect(r.stdout).toMatch(new RegExp(`^Document Length:\\s+${Buffer.byteLength(SLOW_BODY)} bytes$`, 'm'));
      const taken = Number(/^Time taken for tests:\s+([\d.]+) seconds$/m.exec(r.stdout)?.[1]);
      expect(taken).toBeGreaterThanOrEqual((SLOW_MS - 100) / 1000);
      expect(taken).toBeLessThan(8);
    });
  });

  // The last bytes before a close go out with MSG_MORE so that the FIN rides on them; bytes that a
  // still-owed answer will follow must not, or the kernel holds them back for 200 ms.
  it('answers ready before a final request whose handler still runs go out at once, not held for the close', async () => {
    const s = await start((app) => {
      app.get('/now', () => 'now');
      app.get('/later', async () => {
        await sleep(600);
        return 'later';
      });
    });
    const firstAfter: number[] = [];
    for (let round = 0; round < 3; round++) {
      const c = await connect(s.port);
      const sent = Date.now();
      await c.write(Buffer.concat([get('/now'), buildRequest('GET', '/later', { headers: { Connection: 'close' } })]));
      const [first] = await within(c.read(1), 5000, 'the first answer');
      firstAfter.push(Date.now() - sent);
      expect([first!.status, first!.text]).toEqual([200, 'now']);
      const [second] = await within(c.read(1), 5000, 'the final answer');
      expect([second!.text, tokens(second!.headers.connection)]).toEqual(['later', ['close']]);
      expect(Date.now() - sent).toBeGreaterThanOrEqual(550);
    }
    // Held back, every round takes 200 ms or more; the fastest of three rounds is far below that.
    expect(Math.min(...firstAfter), `first answers after ${firstAfter.join(', ')} ms`).toBeLessThan(100);
  });

  it(`close() lets a ${SLOW_MS} ms handler finish, ends idle connections at once and refuses new ones`, async () => {
    let entered = false;
    let handlerDoneMs: number | undefined;
    let t0 = 0;
    const s = await start((app) => {
      app.static('/s', 'ok');
      app.get('/slow', async () => {
        entered = true;
        await sleep(SLOW_MS);
        handlerDoneMs = performance.now() - t0;
        return SLOW_BODY;
      });
    });
    const idle = await connect(s.port);
    expect((await idle.request(get('/s'))).text).toBe('ok');
    const busy = await connect(s.port);
    await busy.write(get('/slow')); // keep-alive: close() must turn it into the last response
    await vi.waitFor(() => expect(entered).toBe(true), { timeout: 3000, interval: 10 });

    t0 = performance.now();
    let closedMs: number | undefined;
    const closing = s.app.close().then(() => (closedMs = performance.now() - t0));

    // The idle client is let go at once, sent nothing.
    expect(await idle.waitForEnd(1500), 'the idle keep-alive connection was closed').toBe(true);
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(idle.pending.length, `idle client got ${show(idle.pending)}`).toBe(0);
    await sleep(100);
    expect(await tryConnect(s.port), 'a new connection after close()').toBe('ECONNREFUSED');
    expect(closedMs, 'close() waits for the handler').toBeUndefined();

    const [res] = await busy.read(1, { timeoutMs: 8000 });
    const responseMs = performance.now() - t0;
    expect(res.status).toBe(200);
    expect(res.text === SLOW_BODY, 'the body arrived intact').toBe(true);
    expect(tokens(res.headers['connection'])).toEqual(['close']);
    expect(responseMs).toBeGreaterThanOrEqual(SLOW_MS - 100);
    expect(await busy.waitForEnd(2000), 'the server closed the connection after the response').toBe(true);
    expect(busy.pending.length).toBe(0);

    await within(closing, 5000, 'close()');
    expect(handlerDoneMs).toBeDefined();
    expect(closedMs!).toBeGreaterThanOrEqual(handlerDoneMs!);
    expect(closedMs!).toBeLessThan(8000);
    expect(s.app.stats().connections).toBe(0);
  });

  it('close({ timeout: 500 }) with a handler that never answers: resolves within seconds, closes the client, counts connectionsForced', async () => {
    let held: any;
    const s = await start((app) => {
      app.get('/never', (_req: any, res: any) => {
        held = res; // never answered
      });
    });
    const c = await connect(s.port);
    let statsAtClientClose: any;
    c.socket.on('close', () => (statsAtClientClose = s.app.stats()));
    await c.write(get('/never'));
    await vi.waitFor(() => expect(held).toBeDefined(), { timeout: 3000, interval: 10 });
    expect(s.app.stats().connectionsForced).toBe(0);

    const t0 = performance.now();
    let closedMs: number | undefined;
    const closing = s.app.close({ timeout: 500 }).then(() => (closedMs = performance.now() - t0));
    await sleep(300);
    expect(c.closed, 'not closed before the deadline').toBe(false);
    expect(closedMs).toBeUndefined();

    await within(closing, 5000, 'close({ timeout: 500 })');
    expect(closedMs!).toBeGreaterThanOrEqual(450);
    expect(closedMs!).toBeLessThan(4000);
    await vi.waitFor(() => expect(c.closed).toBe(true), { timeout: 2000, interval: 10 });
    expect(c.received.length, `the client got ${show(c.received)}`).toBe(0);
    expect(statsAtClientClose?.connectionsForced).toBe(1);
    // The counters stay readable after close.
    expect(s.app.stats()).toMatchObject({ connectionsForced: 1, connections: 0 });
    // The handler's response learnt its connection went.
    expect(held.closed).toBe(true);
    expect(held.signal.aborted).toBe(true);
  });

  describe('requestTimeout limits handlers only when it is set', () => {
    it.concurrent('requestTimeout: 1000 and a handler that never answers: 503 with Connection: close, counted, and res.closed', async () => {
      let held: any;
      const s = await start(
        (app) => {
          app.get('/never', (_req: any, res: any) => {
            held = res;
          });
        },
        { requestTimeout: 1000 },
      );
      const x = await exchange(s.port, get('/never'), { timeoutMs: 6000 });
      expect(rejectionProblems(x, 503)).toEqual([]);
      expect(x.firstResponseMs!).toBeGreaterThanOrEqual(900);
      expect(x.firstResponseMs!).toBeLessThanOrEqual(3500);
      expect(s.app.stats().timeouts).toBe(1);
      await vi.waitFor(() => expect(held?.closed).toBe(true), { timeout: 2000, interval: 10 });
      expect(held.signal.aborted).toBe(true);
      expect(held.signal.reason?.code).toBe('UVHTTP_ERR_CONNECTION_CLOSED');
    });

    it.concurrent('default options and a handler that answers after 3 s: answered normally, nothing timed out', async () => {
      const s = await start((app) => {
        app.static('/s', 'ok');
        app.get('/three', async () => {
          await sleep(3000);
          return 'late but fine';
        });
      });
      const c = await connect(s.port);
      await c.write(get('/three'));
      const [res] = await c.read(1, { timeoutMs: 8000 });
      expect(res.status).toBe(200);
      expect(res.text).toBe('late but fine');
      expect(res.headers['connection']).toBeUndefined();
      expect(s.app.stats().timeouts).toBe(0);
      // Still a keep-alive connection.
      expect((await c.request(get('/s'))).text).toBe('ok');
      expect(c.ended).toBe(false);
    });
  });

  it('20 idle keep-alive connections that each received 4 MiB hold less than 64 KiB each', async () => {
    const N = 20;
    const BIG = Buffer.alloc(4 * 1024 * 1024, 'b');
    const s = await start((app) => {
      app.get('/big', () => BIG);
      app.get('/small', () => 'small');
    });

    // Clients that do not read at first, so the responses sit in the server's output.
    const socks: net.Socket[] = [];
    const streams: ResponseStream[] = [];
    const got: Array<Array<{ status: number; bodyLength: number }>> = [];
    for (let i = 0; i < N; i++) {
      const sock = net.connect({ port: s.port, host: '127.0.0.1' });
      await new Promise<void>((resolve, reject) => {
        sock.once('connect', resolve);
        sock.once('error', reject);
      });
      sock.pause();
      got.push([]);
      const stream = new ResponseStream((r) => got[i].push({ status: r.status, bodyLength: r.bodyLength }));
      sock.on('data', (d) => stream.push(d));
      socks.push(sock);
      streams.push(stream);
    }
    try {
      for (const sock of socks) sock.write(get('/big'));
      let peak = 0;
      await vi.waitFor(
        () => {
          peak = Math.max(peak, s.app.stats().bufferedBytes);
          expect(peak).toBeGreaterThan(N * 2 * 1024 * 1024);
        },
        { timeout: 8000, interval: 20 },
      );

      for (const sock of socks) sock.resume();
      await vi.waitFor(() => expect(got.map((g) => g.length)).toEqual(new Array(N).fill(1)), { timeout: 10_000, interval: 20 });
      expect(got.flat()).toEqual(new Array(N).fill({ status: 200, bodyLength: BIG.length }));
      expect(streams.map((x) => x.error)).toEqual(new Array(N).fill(undefined));

      // Idle now: the output buffers went back.
      await vi.waitFor(() => expect(s.app.stats().bufferedBytes).toBeLessThan(N * 64 * 1024), { timeout: 3000, interval: 20 });
      expect(s.app.stats().connections).toBe(N);
      expect(socks.every((x) => !x.destroyed)).toBe(true);

      // And they still work.
      for (const sock of socks) sock.write(get('/small'));
      await vi.waitFor(() => expect(got.map((g) => g.length)).toEqual(new Array(N).fill(2)), { timeout: 5000, interval: 20 });
      expect(got.map((g) => g[1])).toEqual(new Array(N).fill({ status: 200, bodyLength: 5 }));
      expect(s.app.stats().bufferedBytes).toBeLessThan(N * 64 * 1024);
    } finally {
      for (const sock of socks) sock.destroy();
    }
  });

  describe('request-target forms over a socket', () => {
    let s: Started;
    const seen: Array<{ route: string; url: string; path: string; query: Record<string, unknown> }> = [];
    beforeAll(async () => {
      s = await start((app) => {
        const record = (route: string) => (req: any) => {
          seen.push({ route, url: req.url, path: req.path, query: { ...req.query } });
          return route;
        };
        app.get('/items', record('GET /items'));
        app.post('/items', record('POST /items'));
        app.get('/', record('GET /'));
      });
    });
    afterEach(() => {
      seen.length = 0;
    });

    it('absolute-form is routed by its path; the handler sees the origin-form url, path and query', async () => {
      const c = await connect(s.port);
      const r1 = await c.request('GET http://example.com/items?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n');
      expect(r1.status).toBe(200);
      expect(r1.text).toBe('GET /items');
      const r2 = await c.request('GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n');
      expect(r2.status).toBe(200);
      expect(r2.text).toBe('GET /');
      expect(seen).toEqual([
        { route: 'GET /items', url: '/items?x=1', path: '/items', query: { x: '1' } },
        { route: 'GET /', url: '/', path: '/', query: {} },
      ]);
    });

    it('OPTIONS * gets 204 with an Allow of the routed methods and no body; no handler runs', async () => {
      const c = await connect(s.port);
      const r = await c.request('OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n');
      expect(r.status).toBe(204);
      expect(r.headers['allow']).toBe('GET, HEAD, POST');
      expect(r.headers['content-length']).toBeUndefined();
      expect(r.body.length).toBe(0);
      // Nothing after the head: the next response on the connection starts right there.
      const next = await c.request(get('/items'));
      expect(next.text).toBe('GET /items');
      await sleep(50);
      expect(c.pending.length, `extra bytes ${show(c.pending)}`).toBe(0);
      expect(seen.map((x) => x.route)).toEqual(['GET /items']);
    });

    it.each([
      { label: 'CONNECT example.com:443', request: 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', status: 501 },
      { label: 'GET *', request: 'GET * HTTP/1.1\r\nHost: example.com\r\n\r\n', status: 400 },
      { label: 'Host: a@b', request: 'GET /items HTTP/1.1\r\nHost: a@b\r\n\r\n', status: 400 },
    ])('$label gets $status and the connection ends; no handler runs', async ({ request, status }) => {
      const x = await exchange(s.port, request, { timeoutMs: 4000 });
      expect(rejectionProblems(x, status)).toEqual([]);
      expect(seen).toEqual([]);
    });
  });

  it('a request that starts in the read that completes the one before it gets its own headersTimeout clock', async () => {
    // headersTimeout 4000. Request 1 starts at 0 s and completes at 2.5 s in a read that also brings
    // the first bytes of request 2, so request 2's head is due by 6.5 s (+ up to 1 s for the tick).
    // Connection P completes it at 5.75 s: by then a clock counted from request 1's first byte (due at
    // 4 s) would have met a tick in (4 s, 5 s] and sent 408. Connection Q never completes it: its 408
    // must come from request 2's clock, after 6.5 s and not later than a tick or two after that.
    const H = 4000;
    const T1 = 2500;
    const T2 = 5750;
    const s = await start(
      (app) => {
        app.static('/one', 'one');
        app.static('/two', 'two');
      },
      { headersTimeout: H },
    );
    const schedule = async (complete: boolean) => {
        const c = await connect(s.port);
        const t0 = performance.now();
        const responses: Array<{ status: number; text: string; atMs: number }> = [];
        const collect = (async () => {
          for (let i = 0; i < 2; i++) {
            const [r] = await c.read(1, { timeoutMs: 10_000 });
            responses.push({ status: r.status, text: r.text, atMs: performance.now() - t0 });
          }
        })().catch(() => {});
        const at = (ms: number) => sleep(Math.max(0, ms - (performance.now() - t0)));
        await c.write('GET /one HTTP/1.1\r\nHost: x\r\n');
        await at(T1);
        await c.write('X-A: 1\r\n\r\nGET /two HTTP/1.1\r\n');
        await at(T1 + 1500);
        await c.write('Host: x\r\n');
        await at(T2);
        if (complete) await c.write('\r\n'); // the only difference between P and Q
        await within(collect, 10_000, 'responses');
        return { c, responses };
    };
    const [p, q] = await Promise.all([schedule(true), schedule(false)]);

    expect(p.responses.map((r) => [r.status, r.text])).toEqual([
      [200, 'one'],
      [200, 'two'],
    ]);
    expect(p.responses[0].atMs).toBeGreaterThanOrEqual(T1 - 100);
    expect(p.responses[1].atMs).toBeGreaterThanOrEqual(T2 - 100);
    expect(p.c.pending.length).toBe(0);

    expect(q.responses.map((r) => r.status)).toEqual([200, 408]);
    expect(q.responses[1].atMs).toBeGreaterThanOrEqual(T1 + H - 200);
    expect(q.responses[1].atMs).toBeLessThanOrEqual(T1 + H + 2500);
    expect(s.app.stats().timeouts).toBe(1);
  });
});
