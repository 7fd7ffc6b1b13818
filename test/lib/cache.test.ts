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
      app.get('/vary-star', (req: any, res: any) => res.header('vary', '*').end(`for ${req.header('x-user')}`), opts);
      app.get('/error', (req: any, res: any) => res.status(500).end(`for ${req.header('x-user')}`), opts);
      app.get('/created', (req: any, res: any) => res.status(201).end(`for ${req.header('x-user')}`), opts);
      app.get('/stream-cookie', async (req: any, res: any) => {
        res.cookie('user', req.header('x-user'));
        await res.write('for ');
        res.end(req.header('x-user'));
      }, opts);
    });
    for (const path of ['/cookie', '/private', '/no-store', '/no-cache', '/vary-star', '/error', '/created', '/stream-cookie']) {
      const alice = await one(s, path, { 'x-user': 'alice' });
      expect(alice.text, path).toMatch(/^for alice/);
      const bob = await one(s, path, { 'x-user': 'bob' });
      expect(bob.text, path).toMatch(/^for bob/);
      expect(bob.text, path).not.toContain('alice');
      expect(bob.headers['set-cookie'] ?? '', path).not.toContain('alice');
    }
    expect(s.app.stats().cache).toMatchObject({ hits: 0, stores: 0, entries: 0 });
  });

  it("an answer whose Vary names fields the route does not is kept per value of them, never served across them", async () => {
    let runs = 0;
    const s = await server((app) =>
      app.get('/v', (req: any, res: any) => {
        res.header('vary', 'X-User, Accept-Encoding');
        res.end(`for ${req.header('x-user') ?? 'nobody'} ${req.header('accept-encoding') ?? '-'} ${++runs}`);
      }, { cache: { ttl: 60_000 } }),
    );
    expect((await one(s, '/v', { 'x-user': 'alice' })).text).toBe('for alice - 1');
    const bob = await one(s, '/v', { 'x-user': 'bob' });
    expect(bob.text).toBe('for bob - 2');
    expect(bob.headers.age).toBeUndefined();
    const alice = await one(s, '/v', { 'X-User': 'alice' });
    expect([alice.text, alice.headers.age, alice.headers.vary]).toEqual(['for alice - 1', '0', 'X-User, Accept-Encoding']);
    expect((await one(s, '/v', { 'x-user': 'bob' })).text).toBe('for bob - 2');
    expect((await one(s, '/v', { 'x-user': 'alice', 'accept-encoding': 'br' })).text).toBe('for alice br 3');
    expect((await one(s, '/v')).text).toBe('for nobody - 4');
    expect((await one(s, '/v', { 'x-user': '' })).text).toBe('for  - 5'); // empty is not absent
    expect((await one(s, '/v')).text).toBe('for nobody - 4');
    expect(s.app.stats().cache).toMatchObject({ hits: 3, stores: 5, entries: 5 });
    expect(s.app.purge('/v')).toBe(5);
    expect((await one(s, '/v', { 'x-user': 'alice' })).text).toBe('for alice - 6');
  });

  it('a streamed answer is kept once it ends within maxBytes, and served whole with a Content-Length', async () => {
    let runs = 0;
    const s = await server((app) => {
      app.get('/s', async (req: any, res: any) => {
        const n = ++runs;
        res.header('etag', `"s${n}"`);
        await res.write('part one, ');
        await sleep(30);
        res.end(`part two ${n}`);
      }, { cache: { ttl: 60_000 } });
      app.get('/big', async (req: any, res: any) => {
        const n = ++runs;
        for (let i = 0; i < 3; i++) await res.write('x'.repeat(600));
        res.end(`big ${n}`);
      }, { cache: { ttl: 60_000, maxBytes: 1500 } });
    });
    const first = await one(s, '/s');
    expect([first.text, first.headers['transfer-encoding']]).toEqual(['part one, part two 1', 'chunked']);
    const hit = await one(s, '/s');
    expect([hit.text, hit.headers['transfer-encoding'], hit.headers['content-length'], hit.headers.age, hit.headers.etag]).toEqual([
      'part one, part two 1', undefined, '20', '0', '"s1"',
    ]);
    expect((await one(s, '/s', { range: 'bytes=0-3' })).text).toBe('part');
    expect((await one(s, '/s', { 'if-none-match': '"s1"' })).status).toBe(304);
    const head = await one(s, '/s', {}, 'HEAD');
    expect([head.status, head.headers['content-length'], head.body.length]).toEqual([200, '20', 0]);
    expect(runs).toBe(1);
    // Over maxBytes: answered in full each time, never kept.
    const big = await one(s, '/big');
    expect([big.text.length, big.text.endsWith('big 2')]).toEqual([1805, true]);
    expect((await one(s, '/big')).text.endsWith('big 3')).toBe(true);
    expect(s.app.stats().cache).toMatchObject({ stores: 1, entries: 1 });
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

  describe('concurrent misses for one key (request coalescing)', () => {
    const many = (s: Started, n: number, target: string, headers: (i: number) => Record<string, string> = () => ({})) =>
      Promise.all(Array.from({ length: n }, (_, i) => one(s, target, headers(i))));

    it('run the handler once and share its answer', async () => {
      let runs = 0;
      const s = await server((app) =>
        app.get('/once', async () => {
          const n = ++runs;
          await sleep(80);
          return `shared ${n}`;
        }, { cache: { ttl: 60_000 } }),
      );
      const answers = await many(s, 20, '/once');
      expect(runs).toBe(1);
      expect(answers.map((r) => [r.status, r.text])).toEqual(Array.from({ length: 20 }, () => [200, 'shared 1']));
      expect(s.app.stats().cache).toMatchObject({ misses: 20, coalesced: 19, stores: 1 });
    });

    it('an answer that may not be shared: each waiter runs the handler for itself and gets its own', async () => {
      let runs = 0;
      const s = await server((app) =>
        app.get('/mine', async (req: any, res: any) => {
          runs++;
          await sleep(50);
          res.cookie('user', req.header('x-user'));
          res.end(`for ${req.header('x-user')}`);
        }, { cache: { ttl: 60_000 } }),
      );
      const answers = await many(s, 10, '/mine', (i) => ({ 'x-user': `u${i}` }));
      expect(runs).toBe(10);
      answers.forEach((r, i) => {
        expect(r.text).toBe(`for u${i}`);
        expect(r.headers['set-cookie']).toBe(`user=u${i}`);
      });
      expect(s.app.stats().cache.entries).toBe(0);
    });

    it('the leader throws: the waiters run the handler themselves', async () => {
      let runs = 0;
      const s = await startApp(
        (app) =>
          app.get('/flaky', async () => {
            const n = ++runs;
            await sleep(50);
            if (n === 1) throw new Error('first fails');
            return `ok ${n}`;
          }, { cache: { ttl: 60_000 } }),
        { onError: () => {} } as never,
      );
      started.push(s);
      const answers = await many(s, 5, '/flaky');
      expect(answers[0]!.status).toBe(500);
      expect(answers.slice(1).every((r) => r.status === 200 && /^ok \d$/.test(r.text))).toBe(true);
    });

    it('the answer varies on a field of its own: waiters with the same value share it, the others run the handler', async () => {
      let runs = 0;
      const s = await server((app) =>
        app.get('/per-user', async (req: any, res: any) => {
          const n = ++runs;
          await sleep(80);
          res.header('vary', 'X-User');
          res.end(`for ${req.header('x-user')} ${n}`);
        }, { cache: { ttl: 60_000 } }),
      );
      const leader = one(s, '/per-user', { 'x-user': 'u0' });
      await sleep(20);
      const answers = await many(s, 6, '/per-user', (i) => ({ 'x-user': `u${i % 2}` }));
      expect((await leader).text).toBe('for u0 1');
      answers.forEach((r, i) => {
        expect(r.status).toBe(200);
        expect(r.text).toMatch(new RegExp(`^for u${i % 2} \\d$`));
      });
      expect(answers.filter((r) => r.text === 'for u0 1').length).toBe(3); // u0's waiters shared the leader's
      expect(runs).toBe(4); // the leader and each u1 waiter
      expect(s.app.stats().cache.coalesced).toBe(6);
    });

    it("the leader's handler outlives handlerTimeout: it gets the 503, the waiters run the handler themselves", async () => {
      let runs = 0;
      const s = await startApp(
        (app) =>
          app.get('/slow-first', async () => {
            const n = ++runs;
            await sleep(n === 1 ? 700 : 20);
            return `answer ${n}`;
          }, { cache: { ttl: 60_000 } }),
        { handlerTimeout: 200, onError: () => {} } as never,
      );
      started.push(s);
      const leader = one(s, '/slow-first');
      await sleep(30);
      const waiters = await many(s, 3, '/slow-first');
      expect((await leader).status).toBe(503);
      expect(waiters.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(waiters.map((r) => r.text).sort()).toEqual(['answer 2', 'answer 3', 'answer 4']);
      await sleep(600); // the first handler's late answer comes, and is neither sent nor kept
      const after = await one(s, '/slow-first');
      expect(after.text).not.toBe('answer 1');
      expect(s.app.stats().handlerTimeouts).toBe(1);
    });

    it("a streamed leader's client leaves mid-stream: nothing is kept, and each waiter runs the handler", async () => {
      let runs = 0;
      const s = await server((app) =>
        app.get('/stream-left', async (req: any, res: any) => {
          const n = ++runs;
          await res.write(`part ${n} `);
          await sleep(150);
          res.end('end');
        }, { cache: { ttl: 60_000 } }),
      );
      const leader = await RawClient.connect(s.port);
      await leader.write(get('/stream-left'));
      await sleep(40);
      const waiting = many(s, 3, '/stream-left');
      await sleep(40);
      leader.destroy();
      const answers = await waiting;
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(answers.map((r) => r.text).sort()).toEqual(['part 2 end', 'part 3 end', 'part 4 end']);
      await sleep(200); // the first handler's end comes, for a connection that has gone
      expect(s.app.stats().cache).toMatchObject({ stores: 0, entries: 0 });
      expect((await one(s, '/stream-left')).text).toBe('part 5 end');
    });

    it('a streamed answer that fails midway is never kept nor served to another client', async () => {
      let runs = 0;
      const s = await startApp(
        (app) =>
          app.get('/stream-fails', async (req: any, res: any) => {
            const n = ++runs;
            await res.write(`partial ${n} `);
            if (n === 1) throw new Error('the source failed');
            res.end('whole');
          }, { cache: { ttl: 60_000 } }),
        { onError: () => {} } as never,
      );
      started.push(s);
      const failed = await RawClient.connect(s.port);
      await failed.write(get('/stream-fails'));
      expect(await failed.waitForEnd(5000), 'the failed stream ends its connection').toBe(true);
      expect(failed.received.toString('latin1')).toMatch(/partial 1 /);
      expect(failed.received.toString('latin1')).not.toContain('whole');
      const second = await one(s, '/stream-fails');
      expect([second.text, second.headers.age]).toEqual(['partial 2 whole', undefined]);
      const hit = await one(s, '/stream-fails');
      expect([hit.text, hit.headers.age]).toEqual(['partial 2 whole', '0']);
      expect(runs).toBe(2);
    });

    it("the leader's client leaves: the waiters are still answered", async () => {
      let runs = 0;
      const s = await server((app) =>
        app.get('/left', async () => {
          const n = ++runs;
          await sleep(100);
          return `left ${n}`;
        }, { cache: { ttl: 60_000 } }),
      );
      const leader = await RawClient.connect(s.port);
      await leader.write(get('/left'));
      await sleep(20);
      const waiting = many(s, 3, '/left');
      await sleep(20);
      leader.destroy();
      const answers = await waiting;
      expect(answers.every((r) => r.status === 200 && r.text.startsWith('left '))).toBe(true);
    });

    it('a waiter that leaves changes nothing for the others; HEAD and pipelined waiters keep their place', async () => {
      let runs = 0;
      const s = await server((app) =>
        app.get('/w', async () => {
          const n = ++runs;
          await sleep(80);
          return `w ${n}`;
        }, { cache: { ttl: 60_000 } }),
      );
      const first = one(s, '/w');
      await sleep(10);
      const quitter = await RawClient.connect(s.port);
      await quitter.write(get('/w'));
      const c = await RawClient.connect(s.port);
      await c.write(Buffer.concat([get('/w'), Buffer.from('HEAD /w HTTP/1.1\r\nHost: a\r\n\r\n'), get('/other')]));
      await sleep(10);
      quitter.destroy();
      const [a, b, other] = await c.read(3, { noBody: [false, true, false] });
      expect((await first).text).toBe('w 1');
      expect([a!.text, b!.status, b!.body.length, b!.headers['content-length'], other!.status]).toEqual(['w 1', 200, 0, '3', 404]);
      expect(runs).toBe(1);
      c.destroy();
    });
  });

  it('staleWhileRevalidate: past ttl one request refreshes in the handler while the others get the old answer', async () => {
    let runs = 0;
    const s = await server((app) =>
      app.get('/swr', async () => {
        const n = ++runs;
        if (n > 1) await sleep(100);
        return `v${n}`;
      }, { cache: { ttl: 150, staleWhileRevalidate: 1000 } }),
    );
    expect((await one(s, '/swr')).text).toBe('v1');
    await sleep(200); // past ttl, within staleWhileRevalidate
    const answers = (await Promise.all(Array.from({ length: 6 }, () => one(s, '/swr')))).map((r) => r.text).sort();
    expect(answers).toEqual(['v1', 'v1', 'v1', 'v1', 'v1', 'v2']);
    expect(runs).toBe(2);
    expect(s.app.stats().cache.stale).toBe(5);
    expect((await one(s, '/swr')).text).toBe('v2'); // the refreshed answer, fresh again
    await sleep(1300); // past ttl and staleWhileRevalidate: gone
    expect((await one(s, '/swr')).text).toBe('v3');
  });

  it('Range of a cached answer: one range is a 206, past the end a 416; several, or another If-Range, the whole', async () => {
    let runs = 0;
    const body = Array.from({ length: 100 }, (_, i) => String.fromCharCode(65 + (i % 26))).join('');
    const s = await server((app) =>
      app.get('/r', (req: any, res: any) => {
        runs++;
        res.header('etag', '"r1"').header('content-type', 'text/plain');
        res.end(body);
      }, { cache: { ttl: 60_000 } }),
    );
    const miss = await one(s, '/r', { range: 'bytes=0-9' });
    expect([miss.status, miss.text.length]).toEqual([200, 100]); // the handler's own answer: it ignores Range
    const part = await one(s, '/r', { range: 'bytes=10-19' });
    expect([part.status, part.text, part.headers['content-range'], part.headers['content-length'], part.headers['content-type'], part.headers.etag]).toEqual([
      206, body.slice(10, 20), 'bytes 10-19/100', '10', 'text/plain', '"r1"',
    ]);
    expect(part.headers.age).toBe('0');
    const tail = await one(s, '/r', { range: 'bytes=-5' });
    expect([tail.status, tail.text]).toEqual([206, body.slice(95)]);
    const beyond = await one(s, '/r', { range: 'bytes=500-' });
    expect([beyond.status, beyond.headers['content-range'], beyond.body.length]).toEqual([416, 'bytes */100', 0]);
    expect((await one(s, '/r', { range: 'bytes=0-1,5-6' })).status).toBe(200);
    expect((await one(s, '/r', { range: 'bytes=0-1', 'if-range': '"old"' })).status).toBe(200);
    expect((await one(s, '/r', { range: 'bytes=0-1', 'if-range': '"r1"' })).status).toBe(206);
    expect((await one(s, '/r', { range: 'bytes=0-1' }, 'HEAD')).status).toBe(200);
    expect(runs).toBe(1);
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
    expect(() => app.get('/v', () => 'x', { cache: { ttl: 1, staleWhileRevalidate: -1 } })).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_INVALID_OPTION' }));
    void app.close();
  });
});
