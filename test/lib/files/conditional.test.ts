// Conditional requests in RFC 9110 13.2.2 order: If-Match, If-Unmodified-Since, If-None-Match,
// If-Modified-Since; the shape of a 304 and of a 412.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp, type Started } from '../../helpers/app.js';
import { buildRequest, get, rawRequest, show } from '../../helpers/http.js';
import { MTIME_HTTP, MTIME_MS, etagOf, expectBare304, getRaw, makeTree, send, type Tree } from './fixture.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

const BODY = 'CONDITIONAL-BODY-0123456789';
const CC = 'public, max-age=60';
const http = (ms: number) => new Date(ms).toUTCString();

let t: Tree;
let s: Started;
let etag: string;

beforeAll(async () => {
  t = makeTree({ 'f.txt': BODY, 'f.txt.br': 'brotli-bytes', 'plain.txt': 'no siblings' });
  etag = etagOf(t.file('f.txt'));
  s = await startApp((app) => {
    app.serveDir('/', t.root, { cacheControl: CC, headers: { 'X-Extra': 'on-304-too' } });
  });
});

afterAll(async () => {
  await s?.stop();
  t?.cleanup();
});

const files = () => s.app.stats().files;

describe('If-None-Match', () => {
  it('the exact ETag gives 304 with validators, Cache-Control, Vary and headers, and no body or Content-Length', async () => {
    const r = await getRaw(s.port, '/f.txt', { 'If-None-Match': etag });
    expectBare304(r);
    expect(r.headers['etag']).toBe(etag);
    expect(r.headers['last-modified']).toBe(MTIME_HTTP);
    expect(r.headers['cache-control']).toBe(CC);
    expect(r.headers['vary']).toBe('Accept-Encoding');
    expect(r.headers['x-extra']).toBe('on-304-too');
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(r.raw.toString()).not.toContain(BODY);
  });

  it('a 304 carries no body on the wire: the next pipelined response follows its head directly', async () => {
    const r = await rawRequest(s.port, Buffer.concat([get('/f.txt', { 'If-None-Match': etag }), get('/plain.txt')]), {
      waitForResponses: 2,
    });
    expect(r.responses.length, show(r.raw)).toBe(2);
    expect(r.responses[0].status).toBe(304);
    const firstHeadEnd = r.raw.indexOf('\r\n\r\n') + 4;
    expect(r.raw.subarray(firstHeadEnd, firstHeadEnd + 9).toString()).toBe('HTTP/1.1 ');
    expect(r.responses[1].text).toBe('no siblings');
    expect(r.rest.length).toBe(0);
  });

  it('a list containing the ETag gives 304', async () => {
    expectBare304(await getRaw(s.port, '/f.txt', { 'If-None-Match': `"nope", ${etag} , "other"` }));
    expectBare304(await getRaw(s.port, '/f.txt', { 'If-None-Match': `"nope",${etag}` }));
  });

  it('W/ (weak comparison) gives 304', async () => {
    expectBare304(await getRaw(s.port, '/f.txt', { 'If-None-Match': `W/${etag}` }));
    expectBare304(await getRaw(s.port, '/f.txt', { 'If-None-Match': `"x", W/${etag}` }));
  });

  it('* gives 304', async () => {
    expectBare304(await getRaw(s.port, '/f.txt', { 'If-None-Match': '*' }));
  });

  it('another ETag gives 200 with the body', async () => {
    for (const v of ['"nope"', etag.slice(0, -2) + '"', `${etag.slice(0, -1)}-br"`, `"${etag}"`, etag.replace(/"/g, '')]) {
      const r = await getRaw(s.port, '/f.txt', { 'If-None-Match': v });
      expect(r.status, v).toBe(200);
      expect(r.text, v).toBe(BODY);
    }
  });

  it('HEAD with a matching ETag gives 304', async () => {
    const r = await send(s.port, 'HEAD', '/f.txt', { 'If-None-Match': etag });
    expectBare304(r);
  });

  it('a 304 for a file without siblings has no Vary', async () => {
    const r = await getRaw(s.port, '/plain.txt', { 'If-None-Match': etagOf(t.file('plain.txt')) });
    expectBare304(r);
    expect(r.headers['vary']).toBeUndefined();
  });

  it('counts 304s in stats().files.notModified', async () => {
    const before = files().notModified;
    await getRaw(s.port, '/f.txt', { 'If-None-Match': etag });
    await getRaw(s.port, '/f.txt', { 'If-Modified-Since': MTIME_HTTP });
    await getRaw(s.port, '/f.txt', { 'If-None-Match': '"nope"' });
    expect(files().notModified - before).toBe(2);
  });
});

describe('If-Modified-Since', () => {
  it('equal to Last-Modified gives 304 (mtime compared in whole seconds, its .5 s dropped)', async () => {
    const r = await getRaw(s.port, '/f.txt', { 'If-Modified-Since': MTIME_HTTP });
    expectBare304(r);
    expect(r.headers['etag']).toBe(etag);
    expect(r.headers['last-modified']).toBe(MTIME_HTTP);
    expect(r.headers['cache-control']).toBe(CC);
    expect(r.headers['vary']).toBe('Accept-Encoding');
  });

  it('later than Last-Modified gives 304', async () => {
    expectBare304(await getRaw(s.port, '/f.txt', { 'If-Modified-Since': http(MTIME_MS + 1000) }));
    expectBare304(await getRaw(s.port, '/f.txt', { 'If-Modified-Since': http(MTIME_MS + 86_400_000 * 365) }));
  });

  it('earlier than Last-Modified gives 200', async () => {
    for (const d of [http(MTIME_MS - 1000), http(0), 'Sat, 01 Jan 2000 00:00:00 GMT']) {
      const r = await getRaw(s.port, '/f.txt', { 'If-Modified-Since': d });
      expect(r.status, d).toBe(200);
      expect(r.text).toBe(BODY);
    }
  });

  it('an invalid date is ignored (200)', async () => {
    for (const d of ['garbage', '', 'Tue, 14 Nov 2023', '1700000001', 'Tue, 32 Nov 2023 22:13:20 GMT']) {
      const r = await getRaw(s.port, '/f.txt', { 'If-Modified-Since': d });
      expect(r.status, JSON.stringify(d)).toBe(200);
      expect(r.text).toBe(BODY);
    }
  });

  it('If-None-Match takes precedence: a non-matching ETag with a later date gives 200', async () => {
    const r = await getRaw(s.port, '/f.txt', { 'If-None-Match': '"nope"', 'If-Modified-Since': http(MTIME_MS + 3_600_000) });
    expect(r.status).toBe(200);
    expect(r.text).toBe(BODY);
  });

  it('If-None-Match takes precedence: a matching ETag with an earlier date gives 304', async () => {
    expectBare304(await getRaw(s.port, '/f.txt', { 'If-None-Match': etag, 'If-Modified-Since': http(0) }));
  });

  it('does not apply to other methods (405 stands)', async () => {
    const r = await send(s.port, 'POST', '/f.txt', { 'If-Modified-Since': MTIME_HTTP }, { body: 'x' });
    expect(r.status).toBe(405);
  });
});

describe('If-Match and If-Unmodified-Since', () => {
  it('If-Match not matching gives 412 without the body', async () => {
    for (const v of ['"nope"', `W/${etag}`, `"x", W/${etag}`]) {
      const r = await getRaw(s.port, '/f.txt', { 'If-Match': v });
      expect(r.status, v).toBe(412);
      expect(r.raw.toString(), v).not.toContain(BODY);
    }
  });

  it('If-Match matching (exact, in a list, *) gives 200', async () => {
    for (const v of [etag, `"x", ${etag}`, '*']) {
      const r = await getRaw(s.port, '/f.txt', { 'If-Match': v });
      expect(r.status, v).toBe(200);
      expect(r.text).toBe(BODY);
    }
  });

  it('If-Unmodified-Since earlier than the mtime gives 412', async () => {
    const r = await getRaw(s.port, '/f.txt', { 'If-Unmodified-Since': http(MTIME_MS - 1000) });
    expect(r.status).toBe(412);
    expect(r.raw.toString()).not.toContain(BODY);
  });

  it('If-Unmodified-Since equal or later gives 200; invalid is ignored', async () => {
    for (const d of [MTIME_HTTP, http(MTIME_MS + 5000), 'not a date']) {
      const r = await getRaw(s.port, '/f.txt', { 'If-Unmodified-Since': d });
      expect(r.status, d).toBe(200);
      expect(r.text).toBe(BODY);
    }
  });

  it('If-Unmodified-Since is not evaluated when If-Match is present', async () => {
    const r = await getRaw(s.port, '/f.txt', { 'If-Match': etag, 'If-Unmodified-Since': http(0) });
    expect(r.status).toBe(200);
  });

  it('If-Match is evaluated before If-None-Match: failing If-Match gives 412 even with a matching If-None-Match', async () => {
    const r = await getRaw(s.port, '/f.txt', { 'If-Match': '"nope"', 'If-None-Match': etag });
    expect(r.status).toBe(412);
  });

  it('If-Unmodified-Since failing gives 412 even with a matching If-None-Match', async () => {
    const r = await getRaw(s.port, '/f.txt', { 'If-Unmodified-Since': http(0), 'If-None-Match': etag });
    expect(r.status).toBe(412);
  });

  it('a passing If-Match still lets If-None-Match give 304', async () => {
    expectBare304(await getRaw(s.port, '/f.txt', { 'If-Match': etag, 'If-None-Match': etag }));
  });

  it('HEAD with a failing If-Match gives 412', async () => {
    const r = await send(s.port, 'HEAD', '/f.txt', { 'If-Match': '"nope"' });
    expect(r.status).toBe(412);
  });

  it('a 412 does not end the connection badly: the next request is answered', async () => {
    const r = await rawRequest(s.port, Buffer.concat([get('/f.txt', { 'If-Match': '"nope"' }), buildRequest('GET', '/plain.txt')]), {
      waitForResponses: 2,
    });
    expect(r.responses.map((x) => x.status), show(r.raw)).toEqual([412, 200]);
    expect(r.responses[1].text).toBe('no siblings');
  });
});
