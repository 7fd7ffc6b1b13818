// Both readiness backends (native/io/poll_group.h) serve the same: the edge-triggered epoll set
// (Linux) and the portable uv_poll_t one, chosen per server by UVHTTP_POLLER. The whole suite runs on
// the default; this file runs what depends most on readiness on each backend that builds here: keep-
// alive, pipelining, a reader that stops and resumes (backlog, then a full socket), a half-close,
// Connection: close, the keep-alive timeout and close(). Linux also checks which backend ran (the epoll
// set is one more eventpoll descriptor while the server has connections).
import { readdirSync, readlinkSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startApp, type Started } from '../helpers/app.js';
import { RawClient, get, rawRequest, sleep } from '../helpers/http.js';

vi.setConfig({ testTimeout: 20_000 });

const linux = process.platform === 'linux';
const backends = linux ? ['epoll', 'uv'] : ['uv'];

/** Eventpoll descriptors of this process (libuv's own, and the epoll set's while it is open). */
function eventpolls(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:[eventpoll]') n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

const BIG = 'x'.repeat(6 * 1024 * 1024); // more than a socket holds, and past one write's budget

describe.each(backends)('the %s backend', (backend) => {
  let server: Started | undefined;
  const clients: RawClient[] = [];
  const saved = process.env.UVHTTP_POLLER;

  // The backend is read when the server is made: set only around startApp.
  const start = async (options?: Record<string, unknown>) => {
    process.env.UVHTTP_POLLER = backend;
    try {
      server = await startApp((app) => {
        app.static('/', 'Hello World!!');
        app.static('/big', BIG);
        app.get('/js/:n', (req: any) => `js ${req.params.n}`);
      }, options as never);
    } finally {
      if (saved === undefined) delete process.env.UVHTTP_POLLER;
      else process.env.UVHTTP_POLLER = saved;
    }
    return server;
  };
  const connect = async (port: number) => {
    const c = await RawClient.connect(port);
    clients.push(c);
    return c;
  };

  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await server?.stop();
    server = undefined;
  });

  it('keeps a connection alive, answers a pipelined mix in order, and is the backend asked for', async () => {
    const before = linux ? eventpolls() : 0;
    const s = await start();
    const c = await connect(s.port);
    for (let i = 0; i < 3; i++) expect((await c.request(get('/'))).text).toBe('Hello World!!');
    if (linux) expect(eventpolls() - before).toBe(backend === 'epoll' ? 1 : 0);
    const paths = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? `/js/${i}` : '/'));
    await c.write(Buffer.concat(paths.map((p) => get(p))));
    const got = await c.read(paths.length);
    expect(got.map((r) => r.text)).toEqual(paths.map((p) => (p === '/' ? 'Hello World!!' : `js ${p.slice(4)}`)));
  });

  it('resumes a client that pipelined past the backlog and stopped reading, then a full socket', async () => {
    const s = await start();
    const c = await connect(s.port);
    // 400 requests to JS at once: the connection stops reading at its backlog (input stays in the
    // socket) and must be read again once the answers have gone, with no new input to wake it.
    const n = 400;
    c.socket.pause();
    await c.write(Buffer.concat(Array.from({ length: n }, (_, i) => get(`/js/${i}`))));
    await sleep(200);
    c.socket.resume();
    const got = await c.read(n, { timeoutMs: 10_000 });
    expect(got.map((r) => r.text)).toEqual(Array.from({ length: n }, (_, i) => `js ${i}`));
    // A response larger than the socket holds: the write blocks until the reader takes some.
    c.socket.pause();
    await c.write(get('/big'));
    await sleep(300);
    c.socket.resume();
    const [big] = await c.read(1, { timeoutMs: 10_000 });
    expect(big.body.length).toBe(BIG.length);
    expect((await c.request(get('/'))).text).toBe('Hello World!!');
  });

  it('answers a request whose client half-closed, and closes on Connection: close and HTTP/1.0', async () => {
    const s = await start();
    const half = await connect(s.port);
    half.socket.end(get('/js/1'));
    const [r] = await half.read(1);
    expect(r.text).toBe('js 1');
    expect(await half.waitForEnd()).toBe(true);

    const closing = await rawRequest(s.port, get('/', { connection: 'close' }), { waitForClose: true });
    expect(closing.responses.map((x) => x.text)).toEqual(['Hello World!!']);
    expect(closing.closed).toBe(true);
    const old = await rawRequest(s.port, 'GET / HTTP/1.0\r\n\r\n', { waitForClose: true });
    expect(old.responses.map((x) => x.status)).toEqual([200]);
    expect(old.closed).toBe(true);
  });

  it('ends an idle connection at the keep-alive timeout, and the rest at close()', async () => {
    const s = await start({ keepAliveTimeout: 500 });
    const idle = await connect(s.port);
    expect((await idle.request(get('/'))).status).toBe(200);
    expect(await idle.waitForEnd(3000)).toBe(true);
    const open = await connect(s.port);
    expect((await open.request(get('/js/2'))).text).toBe('js 2');
    await s.stop();
    expect(await open.waitForEnd()).toBe(true);
    expect(s.app.stats().connections).toBe(0);
  });
});
