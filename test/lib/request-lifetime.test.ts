// A request is a view over a batch buffer the next loop iteration overwrites. These tests keep a
// request past its batch while other clients are served, with requests laid out byte for byte like
// the kept one (same lengths, different values), so a view that still read the shared buffer would
// return the other client's header and query string instead of failing.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp, type Started } from '../helpers/app.js';
import { RawClient, buildRequest, get, sleep } from '../helpers/http.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

const EXPIRED = 'UVHTTP_ERR_REQUEST_EXPIRED';

type Read = { value: unknown } | { code: unknown; isError: boolean; message: string };

/** What a read did, recorded inside the server so the test asserts on it outside the handler. */
function attempt(read: () => unknown): Read {
  try {
    return { value: read() };
  } catch (err) {
    return { code: (err as { code?: unknown }).code, isError: err instanceof Error, message: String((err as Error).message) };
  }
}

const READS = ['method', 'url', 'path', 'query', 'params', 'httpVersion', 'header', 'headers', 'buffer', 'text', 'json'] as const;

/** Every getter and method of a request. Body methods must refuse synchronously, not in their promise. */
function readEverything(req: any): Record<(typeof READS)[number], Read> {
  return {
    method: attempt(() => req.method),
    url: attempt(() => req.url),
    path: attempt(() => req.path),
    query: attempt(() => req.query),
    params: attempt(() => req.params),
    httpVersion: attempt(() => req.httpVersion),
    header: attempt(() => req.header('x-user')),
    headers: attempt(() => req.headers),
    buffer: attempt(() => req.buffer()),
    text: attempt(() => req.text()),
    json: attempt(() => req.json()),
  };
}

const expiredEverywhere = (): Record<string, Read> =>
  Object.fromEntries(READS.map((k) => [k, { code: EXPIRED, isError: true, message: expect.stringMatching(/inside the handler/) }]));

/** A promise the test resolves by hand, to hold a handler until other clients were served. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe('request lifetime', () => {
  let s: Started;
  const clients: RawClient[] = [];
  const onErrorSeen: Array<{ message: string; user: Read; url: Read }> = [];

  // Set by each test before its request arrives.
  let hold = gate();
  let kept: Record<string, Read>[] = [];
  let captured: any[] = [];
  const served: string[] = [];

  beforeAll(async () => {
    s = await startApp(
      (app) => {
        // The issue: the response is sent, then the handler awaits (an audit log) and reads.
        app.get('/late', async (req: any, res: any) => {
          res.end('sent');
          await hold.opened;
          await sleep(5);
          kept.push({ user: attempt(() => req.header('x-user')), url: attempt(() => req.url) });
        });
        // The same, but the audit runs beside the handler instead of in the promise it returns.
        app.get('/side', (req: any, res: any) => {
          res.end('sent');
          void (async () => {
            await hold.opened;
            await sleep(5);
            kept.push({ user: attempt(() => req.header('x-user')), url: attempt(() => req.url) });
          })();
        });
        // The other clients: same layout as the kept requests, different user and secret.
        app.get('/fast', (req: any) => {
          served.push(`${req.header('x-user')} ${req.query.secret}`);
          return `fast ${req.header('x-user')} ${req.query.secret}`;
        });
        app.post('/fast/:id', (req: any) => {
          served.push(`${req.header('x-user')} ${req.query.secret} ${req.params.id}`);
          return 'fast post';
        });
        // Awaits before reading anything at all.
        app.post('/item/:id', async (req: any) => {
          await hold.opened;
          await sleep(5);
          return {
            method: req.method,
            url: req.url,
            path: req.path,
            query: req.query,
            params: req.params,
            httpVersion: req.httpVersion,
            user: req.header('x-user'),
            headers: req.headers,
            body: await req.json(),
          };
        });
        // Returns a promise (not an async function) that settles after other batches ran.
        app.get('/wait', (req: any) => hold.opened.then(() => `${req.header('x-user')} ${req.url}`));
        // Synchronous handlers whose request is kept: decoded first, then read from a timer.
        app.post('/sync/:id', (req: any, res: any) => {
          const early = readEverything(req);
          captured.push(req);
          res.end(JSON.stringify({ user: (early.header as { value: unknown }).value, url: (early.url as { value: unknown }).value }));
        });
        app.post('/sync-return/:id', (req: any) => {
          captured.push(req);
          return `returned ${req.header('x-user')}`;
        });
        app.get('/sync-throw', (req: any) => {
          captured.push(req);
          throw new Error('sync failure');
        });
        app.get('/end-then-reject', async (req: any, res: any) => {
          res.end('sent');
          await sleep(5);
          throw new Error(`audit failed for ${req.header('x-user')}`);
        });
      },
      {
        onError: (err: unknown, req: any) => {
          onErrorSeen.push({
            message: (err as Error).message,
            user: attempt(() => req.header('x-user')),
            url: attempt(() => req.url),
          });
        },
      },
    );
  });

  afterEach(() => {
    hold.open(); // never leave a handler waiting past its test
    for (const c of clients.splice(0)) c.destroy();
    hold = gate();
    kept = [];
    captured = [];
    served.length = 0;
    onErrorSeen.length = 0;
  });

  afterAll(async () => {
    await s?.stop();
  });

  const connect = async () => {
    const c = await RawClient.connect(s.port);
    clients.push(c);
    return c;
  };

  /** Serves `count` requests of other clients, one batch each, with values the kept request must never show. */
  async function serveOthers(count: number): Promise<string[]> {
    const bodies: string[] = [];
    for (let i = 0; i < count; i++) {
      const other = await connect();
      const r = await other.request(get(`/fast?secret=BOBSEC${i}`, { 'x-user': `bob_${i}` }));
      bodies.push(r.text);
    }
    return bodies;
  }

  it('a request read after end() and await in a handler that does not return that work throws, never another client\'s bytes', async () => {
    const alice = await connect();
    // /side and /fast have the same length, as do the users and secrets: the same offsets.
    expect((await alice.request(get('/side?secret=ALISEC0', { 'x-user': 'alice' }))).text).toBe('sent');
    expect(await serveOthers(1)).toEqual(['fast bob_0 BOBSEC0']);
    hold.open();
    await vi.waitFor(() => expect(kept).toHaveLength(1));

    expect(kept[0]).toEqual({
      user: { code: EXPIRED, isError: true, message: expect.stringMatching(/inside the handler/) },
      url: { code: EXPIRED, isError: true, message: expect.stringMatching(/inside the handler/) },
    });
    expect(JSON.stringify(kept)).not.toMatch(/bob|BOBSEC/);
  });

  it('an async handler that ends the response and then awaits reads its own request, never another client\'s', async () => {
    const alice = await connect();
    expect((await alice.request(get('/late?secret=ALISEC0', { 'x-user': 'alice' }))).text).toBe('sent');
    expect(await serveOthers(2)).toEqual(['fast bob_0 BOBSEC0', 'fast bob_1 BOBSEC1']);
    hold.open();
    await vi.waitFor(() => expect(kept).toHaveLength(1));

    expect(kept[0]).toEqual({ user: { value: 'alice' }, url: { value: '/late?secret=ALISEC0' } });
    expect(JSON.stringify(kept)).not.toMatch(/bob|BOBSEC/);
  });

  it('its rejection after end() still reaches onError, with its own request', async () => {
    const alice = await connect();
    expect((await alice.request(get('/end-then-reject', { 'x-user': 'alice' }))).text).toBe('sent');
    await serveOthers(1);
    await vi.waitFor(() => expect(onErrorSeen).toHaveLength(1));
    expect(onErrorSeen[0]).toEqual({
      message: 'audit failed for alice',
      user: { value: 'alice' },
      url: { value: '/end-then-reject' },
    });
  });

  it('an async handler that awaits before reading sees its own method, url, query, params, headers and body', async () => {
    const alice = await connect();
    const body = JSON.stringify({ owner: 'alice' });
    await alice.write(
      buildRequest('POST', '/item/42?secret=ALISEC0&tag=a&tag=b', { headers: { 'x-user': 'alice' }, body }),
    );
    // Other clients' POSTs with the same layout overwrite the batch buffer while alice's handler waits.
    for (let i = 0; i < 3; i++) {
      const other = await connect();
      const r = await other.request(
        buildRequest('POST', `/fast/9${i}?secret=BOBSEC${i}&tag=x&tag=y`, { headers: { 'x-user': `bob_${i}` }, body: '{"owner":"bob_0"}' }),
      );
      expect(r.text).toBe('fast post');
    }
    expect(served).toEqual(['bob_0 BOBSEC0 90', 'bob_1 BOBSEC1 91', 'bob_2 BOBSEC2 92']);
    hold.open();
    const [res] = await alice.read(1);

    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({
      method: 'POST',
      url: '/item/42?secret=ALISEC0&tag=a&tag=b',
      path: '/item/42',
      query: { secret: 'ALISEC0', tag: ['a', 'b'] },
      params: { id: '42' },
      httpVersion: '1.1',
      user: 'alice',
      headers: { host: '127.0.0.1', 'x-user': 'alice', 'content-length': String(Buffer.byteLength(body)) },
      body: { owner: 'alice' },
    });
  });

  it('a synchronous handler\'s request read from a timer throws on every getter, even values it decoded', async () => {
    const alice = await connect();
    const res = await alice.request(
      buildRequest('POST', '/sync/42?secret=ALISEC0', { headers: { 'x-user': 'alice' }, body: '{"a":1}' }),
    );
    // Inside the handler the same reads worked.
    expect(JSON.parse(res.text)).toEqual({ user: 'alice', url: '/sync/42?secret=ALISEC0' });
    expect(captured).toHaveLength(1);
    const later = await new Promise<Record<string, Read>>((resolve) => setTimeout(() => resolve(readEverything(captured[0])), 5));

    expect(later).toEqual(expiredEverywhere());
  });

  it('a request expires the same way after a returned value or a throw, also once other batches ran', async () => {
    const alice = await connect();
    const r1 = await alice.request(buildRequest('POST', '/sync-return/7', { headers: { 'x-user': 'alice' }, body: '{}' }));
    expect(r1.text).toBe('returned alice');
    const r2 = await alice.request(get('/sync-throw', { 'x-user': 'alice' }));
    expect(r2.status).toBe(500);
    // onError ran inside the batch, so it could still read the thrown-from request.
    expect(onErrorSeen).toEqual([{ message: 'sync failure', user: { value: 'alice' }, url: { value: '/sync-throw' } }]);
    await serveOthers(2);

    expect(captured).toHaveLength(2);
    expect(captured.map(readEverything)).toEqual([expiredEverywhere(), expiredEverywhere()]);
  });

  it('a returned promise that settles after several other batches sees only its own bytes', async () => {
    const alice = await connect();
    const carol = await connect();
    await alice.write(get('/wait?secret=ALISEC0', { 'x-user': 'alice' }));
    await carol.write(get('/wait?secret=CARSEC0', { 'x-user': 'carol' }));
    const others = await serveOthers(5);
    expect(others).toEqual([0, 1, 2, 3, 4].map((i) => `fast bob_${i} BOBSEC${i}`));
    hold.open();

    const [a] = await alice.read(1);
    const [c] = await carol.read(1);
    expect(a.text).toBe('alice /wait?secret=ALISEC0');
    expect(c.text).toBe('carol /wait?secret=CARSEC0');
  });
});
