// The `cache` route option over real sockets: a GET route's answer is served natively until its ttl
// passes (the handler's run counter says when it ran), with Age, HEAD and If-None-Match answered from
// it; answers that must not be shared are never served to another client; Vary keys, purge and the
// memory bounds; pipelined requests keep their order and their own answers.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createServer, startApp, type Started } from '../helpers/app.js';
import { get, rawRequest, RawClient, show, sleep } from '../helpers/http.js';

vi.setConfig({ testTimeout: 10_000 });

const started: Started[] = [];
afterAll(() => Promise.all(started.map((s) => s.close())));

async function server(configure: (app: any) => void) {
  const s = await startApp(configure);
  started.push(s);
  return s;
}

async function one(s: Started, target: string, headers: Record<string, string> = {}, method = 'GET') {
  const r = await rawRequest(s.port, Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: a\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`), {
    noBody: [method === 'HEAD'],
  });
  expect(r.responses.length, show(r.raw)).toBe(1);
  return r.responses[0]!;
}

describe('route option cache', () => {
  it('serves the answer again without the handler until ttl, with Age; then asks the handler again', async () => {
    let runs = 0;
    const s = await server((app) => app.get('/c', () => `run ${++runs}`, { cache: { ttl: 1500 } }));
    const first = await one(s, '/c');
    expect([first.text, first.headers.age]).toEqual(['run 1', undefined]);
    const again = await one(s, '/c');
    expect([again.text, again.headers.age, again.headers['content-length']]).toEqual(['run 1', '0', '5']);
    expect(again.headers.date).toBeDefined();
    await sleep(1100);
    expect((await one(s, '/c')).headers.age).toBe('1');
    expect(runs).toBe(1);
    await sleep(500);
    expect((await one(s, '/c')).text).toBe('run 2');
    expect(s.app.stats().cache).toMatchObject({ hits: 2, misses: 2, stores: 2, entries: 1 });
  });

  it('the query is part of the key; so are the fields the route names in vary', async () => {
    let runs = 0;
    const s = await server((app) => {
      app.get('/q', (req: any) => `${req.query.x ?? '-'} ${++runs}`, { cache: { ttl: 60_000 } });
      app.get('/lang', (req: any, res: any) => {
        res.header('vary', 'Accept-Language');
        res.end(`${req.header('accept-language') ?? 'none'} ${++runs}`);
      }, { cache: { ttl: 60_000, vary: ['Accept-Language'] } });
    });
    expect((await one(s, '/q?x=1')).text).toBe('1 1');
    expect((await one(s, '/q?x=2')).text).toBe('2 2');
    expect((await one(s, '/q?x=1')).text).toBe('1 1');
    expect((await one(s, '/lang', { 'accept-language': 'fr' })).text).toBe('fr 3');
    expect((await one(s, '/lang', { 'accept-language': 'de' })).text).toBe('de 4');
    expect((await one(s, '/lang')).text).toBe('none 5');
    expect((await one(s, '/lang', { 'Accept-Language': 'fr' })).text).toBe('fr 3');
    expect((await one(s, '/lang', { 'accept-language': '' })).text).toBe(' 6'); // empty is not absent
    expect((await one(s, '/lang')).text).toBe('none 5');
  });

  it('answers that must not be shared are never served to another client', async () => {
    let runs = 0;
    const s = await server((app) => {
      const opts = { cache: { ttl: 60_000 } };
      app.get('/cookie', (req: any, res: any) => {
        res.cookie('session', req.header('x-user'));
        res.end(`for ${req.header('x-user')} ${++runs}`);
      }, opts);
      app.get('/private', (req: any, res: any) => res.header('cache-control', 'private, max-age=60').end(`for ${req.header('x-user')}`), opts);
      app.get('/no-store', (req: any, res: any) => res.header('cache-control', 'no-store').end(`for ${req.header('x-user')}`), opts);
      app.get('/no-cache', (req: any, res: any) => res.header('Cache-Control', 'max-age=0, No-Cache').end(`for ${req.header('x-user')}`), opts);
      app.get('/vary-other', (req: any, res: any) => res.header('vary', 'Authorization').end(`for ${req.header('x-user')}`), opts);
      app.get('/vary-star', (req: any, res: any) => res.header('vary', '*').end(`for ${req.header('x-user')}`), opts);
      app.get('/error', (req: any, res: any) => res.status(500).end(`for ${req.header('x-user')}`), opts);
      app.get('/created', (req: any, res: any) => res.status(201).end(`for ${req.header('x-user')}`), opts);
      app.get('/stream', async (req: any, res: any) => {
        await res.write('for ');
        res.end(req.header('x-user'));
      }, opts);
    });
    for (const path of ['/cookie', '/private', '/no-store', '/no-cache', '/vary-other', '/vary-star', '/error', '/created', '/stream']) {
      const alice = await one(s, path, { 'x-user': 'alice' });
      expect(alice.text, path).toMatch(/^for alice/);
      const bob = await one(s, path, { 'x-user': 'bob' });
      expect(bob.text, path).toMatch(/^for bob/);
      expect(bob.text, path).not.toContain('alice');
      expect(bob.headers['set-cookie'] ?? '', path).not.toContain('alice');
    }
    expect(s.app.stats().cache).toMatchObject({ hits: 0, stores: 0, entries: 0 });
  });

  it('HEAD and If-None-Match are answered from the cache; a HEAD miss does not fill it', async () => {
    let runs = 0;
    const s = await server((app) =>
      app.get('/e', (req: any, res: any) => res.header('etag', '"v7"').end(`body ${++runs}`), { cache: { ttl: 60_000 } }),
    );
    const headMiss = await one(s, '/e', {}, 'HEAD');
    expect([headMiss.status, headMiss.body.length, headMiss.headers['content-length']]).toEqual([200, 0, '6']);
    expect(s.app.stats().cache.stores).toBe(0);
    expect((await one(s, '/e')).text).toBe('body 2');
    const head = await one(s, '/e', {}, 'HEAD');
    expect([head.status, head.body.length, head.headers['content-length'], head.headers.etag, head.headers.age]).toEqual([200, 0, '6', '"v7"', '0']);
    const notModified = await one(s, '/e', { 'if-none-match': 'W/"v0", "v7"' });
    expect([notModified.status, notModified.body.length, notModified.headers.etag]).toEqual([304, 0, '"v7"']);
    const changed = await one(s, '/e', { 'if-none-match': '"v6"' });
    expect([changed.status, changed.text]).toEqual([200, 'body 2']);
    expect(runs).toBe(2);
  });

  it('app.purge(path) drops that path under every query; app.purge() everything', async () => {
    let runs = 0;
    const s = await server((app) => {
      app.get('/a', () => `a ${++runs}`, { cache: { ttl: 60_000 } });
      app.get('/ab', () => `ab ${++runs}`, { cache: { ttl: 60_000 } });
    });
    await one(s, '/a');
    await one(s, '/a?x=1');
    await one(s, '/ab');
    expect(s.app.purge('/a')).toBe(2);
    expect((await one(s, '/ab')).text).toBe('ab 3');
    expect((await one(s, '/a')).text).toBe('a 4');
    expect(s.app.purge()).toBe(2);
    expect(s.app.stats().cache.entries).toBe(0);
    expect(() => s.app.purge('a')).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_INVALID_ARG' }));
  });

  it('maxEntries and maxBytes bound it, the least recently used going first', async () => {
    const s = await server((app) => {
      app.get('/n/:i', (req: any) => `n ${req.params.i}`, { cache: { ttl: 60_000, maxEntries: 50 } });
      app.get('/big/:i', (req: any) => 'x'.repeat(10_000) + req.params.i, { cache: { ttl: 60_000, maxBytes: 50_000 } });
    });
    await one(s, '/n/0');
    for (let i = 1; i < 200; i++) {
      await one(s, `/n/${i}`);
      if (i % 10 === 0) await one(s, '/n/0'); // kept recently used
    }
    const stats = s.app.stats().cache;
    expect(stats.entries).toBe(50);
    expect(stats.evictions).toBe(150);
    const before = s.app.stats().cache.hits;
    await one(s, '/n/0');
    await one(s, '/n/199');
    await one(s, '/n/1');
    expect(s.app.stats().cache.hits - before).toBe(2); // /n/1 was pushed out
    for (let i = 0; i < 20; i++) await one(s, `/big/${i}`);
    expect(s.app.stats().cache.bytes).toBeLessThanOrEqual(50_000 + 2 * 50 * 200); // /n's entries beside
    expect(s.app.stats().cache.entries).toBeLessThanOrEqual(50 + 4);
  });

  it('pipelined requests to a cached route keep their order, hits among misses', async () => {
    let runs = 0;
    const s = await server((app) => {
      app.get('/p/:i', async (req: any) => {
        await sleep(Number(req.params.i) % 3);
        return `p ${req.params.i} ${++runs}`;
      }, { cache: { ttl: 60_000 } });
    });
    const c = await RawClient.connect(s.port);
    const targets = ['/p/1', '/p/2', '/p/1', '/p/3', '/p/2', '/p/1'];
    await c.write(Buffer.concat(targets.map((t) => get(t))));
    const answers = (await c.read(targets.length)).map((r) => r.text.split(' ').slice(0, 2).join(' '));
    expect(answers).toEqual(targets.map((t) => `p ${t.slice(3)}`));
    await c.write(Buffer.concat(targets.map((t) => get(t))));
    const again = (await c.read(targets.length)).map((r) => r.text);
    expect(new Set(again.filter((t) => t.startsWith('p 1 '))).size).toBe(1); // one stored answer for /p/1
    c.destroy();
  });

  it('a client that leaves before its answer: the next request runs the handler, and nothing leaks', async () => {
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const s = await server((app) =>
      app.get('/slow', async () => {
        const n = ++runs;
        if (n === 1) await gate;
        return `slow ${n}`;
      }, { cache: { ttl: 60_000 } }),
    );
    const c = await RawClient.connect(s.port);
    await c.write(get('/slow'));
    await sleep(50);
    c.destroy();
    await sleep(50);
    release();
    await sleep(20);
    expect((await one(s, '/slow')).text).toBe('slow 2');
    expect((await one(s, '/slow')).text).toBe('slow 2');
  });

  it('options are checked', () => {
    const app = createServer();
    expect(() => app.post('/x', () => 'x', { cache: { ttl: 1 } })).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_INVALID_OPTION' }));
    expect(() => app.get('/x', () => 'x', { cache: {} } as never)).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_INVALID_OPTION' }));
    expect(() => app.get('/y', () => 'x', { cache: { ttl: 1, tll: 2 } } as never)).toThrow(
      expect.objectContaining({ code: 'UVHTTP_ERR_UNKNOWN_OPTION', message: expect.stringContaining('ttl') }),
    );
    expect(() => app.get('/z', () => 'x', { cache: { ttl: 1, vary: ['bad name'] } })).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_INVALID_OPTION' }));
    expect(() => app.get('/w', () => 'x', { cache: { ttl: 1.5 } })).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_INVALID_OPTION' }));
    void app.close();
  });
});
