// Range requests: single, suffix, open-ended, clipped, multipart/byteranges, 416, ignored forms, If-Range,
// limits against abuse, from memory and from a sendfile-sized file.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp, type Started } from '../../helpers/app.js';
import { buildRequest, get, rawRequest, show } from '../../helpers/http.js';
import { MTIME_HTTP, MTIME_MS, etagOf, getRaw, makeTree, parseByteranges, pattern, send, type Got, type Tree } from './fixture.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

const SIZE = 1000;
const TEXT = Buffer.from(Array.from({ length: SIZE }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join(''));
const BIG = pattern(300 * 1024, 42); // above the 64 KiB in-memory limit: goes out with sendfile

let t: Tree;
let s: Started;

beforeAll(async () => {
  t = makeTree({ 'r.txt': TEXT, 'big.bin': BIG, 'empty.txt': '' });
  s = await startApp((app) => app.serveDir('/', t.root));
});

afterAll(async () => {
  await s?.stop();
  t?.cleanup();
});

const range = (spec: string, extra: Record<string, string> = {}, file = '/r.txt') => getRaw(s.port, file, { Range: spec, ...extra });

function expect206(r: Got, a: number, b: number, size = SIZE, content: Buffer = TEXT) {
  expect(r.status, r.rawHead).toBe(206);
  expect(r.headers['content-range']).toBe(`bytes ${a}-${b}/${size}`);
  expect(r.headers['content-length']).toBe(String(b - a + 1));
  expect(r.body.equals(content.subarray(a, b + 1)), `bytes ${a}-${b}`).toBe(true);
}

function expectFull(r: Got, content: Buffer = TEXT) {
  expect(r.status, r.rawHead).toBe(200);
  expect(r.headers['content-range']).toBeUndefined();
  expect(r.headers['content-length']).toBe(String(content.length));
  expect(r.body.equals(content)).toBe(true);
}

describe('one range', () => {
  it('a-b', async () => expect206(await range('bytes=0-99'), 0, 99));
  it('a single byte, first and last', async () => {
    expect206(await range('bytes=0-0'), 0, 0);
    expect206(await range('bytes=999-999'), 999, 999);
  });
  it('a- (open-ended)', async () => expect206(await range('bytes=900-'), 900, 999));
  it('-n (suffix)', async () => expect206(await range('bytes=-100'), 900, 999));
  it('-n with n larger than the file is the whole file (206)', async () => expect206(await range('bytes=-5000'), 0, 999));
  it('b past the end is clipped to size-1', async () => expect206(await range('bytes=990-5000'), 990, 999));
  it('the unit is case-insensitive', async () => expect206(await range('BYTES=10-19'), 10, 19));
  it('keeps ETag, Last-Modified, Accept-Ranges and the file type', async () => {
    const r = await range('bytes=10-19');
    expect(r.headers['etag']).toBe(etagOf(t.file('r.txt')));
    expect(r.headers['last-modified']).toBe(MTIME_HTTP);
    expect(r.headers['accept-ranges']).toBe('bytes');
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
  });
  it('a satisfiable range listed with unsatisfiable ones is a plain single-part 206', async () => {
    const r = await range('bytes=5000-5001, 10-19, 1000-');
    expect206(r, 10, 19);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
  });
  it('from a sendfile-sized file, in the middle', async () => {
    const r = await range('bytes=100000-100099', {}, '/big.bin');
    expect206(r, 100000, 100099, BIG.length, BIG);
  });
  it('from a sendfile-sized file, the tail', async () => {
    const r = await range('bytes=-70000', {}, '/big.bin');
    expect206(r, BIG.length - 70000, BIG.length - 1, BIG.length, BIG);
  });
});

describe('several ranges: multipart/byteranges', () => {
  it('parts in the order asked, each with its Content-Type and Content-Range, exact Content-Length', async () => {
    const r = await range('bytes=500-509, 0-9,-5');
    expect(r.status, r.rawHead).toBe(206);
    expect(r.headers['content-range']).toBeUndefined();
    expect(r.headers['content-type']).toMatch(/^multipart\/byteranges; boundary=/);
    expect(Number(r.headers['content-length'])).toBe(r.body.length);
    const parts = parseByteranges(r.body, r.headers['content-type']);
    expect(parts.map((p) => p.headers['content-range'])).toEqual(['bytes 500-509/1000', 'bytes 0-9/1000', 'bytes 995-999/1000']);
    expect(parts.map((p) => p.headers['content-type'])).toEqual(Array(3).fill('text/plain; charset=utf-8'));
    expect(parts[0].body.equals(TEXT.subarray(500, 510))).toBe(true);
    expect(parts[1].body.equals(TEXT.subarray(0, 10))).toBe(true);
    expect(parts[2].body.equals(TEXT.subarray(995))).toBe(true);
  });

  it('no spaces, and unsatisfiable members dropped', async () => {
    const r = await range('bytes=0-0,2000-2005,999-');
    const parts = parseByteranges(r.body, r.headers['content-type']);
    expect(parts.map((p) => p.headers['content-range'])).toEqual(['bytes 0-0/1000', 'bytes 999-999/1000']);
    expect(Buffer.concat(parts.map((p) => p.body)).toString()).toBe(TEXT.subarray(0, 1).toString() + TEXT.subarray(999).toString());
  });

  it('exactly 16 ranges are honoured', async () => {
    const spec = 'bytes=' + Array.from({ length: 16 }, (_, i) => `${i * 10}-${i * 10 + 4}`).join(',');
    const r = await range(spec);
    expect(r.status).toBe(206);
    expect(parseByteranges(r.body, r.headers['content-type']).length).toBe(16);
  });

  it('ranges adding up to the file size are honoured', async () => {
    const r = await range('bytes=0-499,500-999');
    expect(r.status).toBe(206);
    const parts = parseByteranges(r.body, r.headers['content-type']);
    expect(Buffer.concat(parts.map((p) => p.body)).equals(TEXT)).toBe(true);
  });

  it('from a sendfile-sized file', async () => {
    const r = await range('bytes=0-9,200000-200099,-3', {}, '/big.bin');
    expect(r.status).toBe(206);
    expect(Number(r.headers['content-length'])).toBe(r.body.length);
    const parts = parseByteranges(r.body, r.headers['content-type']);
    expect(parts.map((p) => p.headers['content-type'])).toEqual(Array(3).fill('application/octet-stream'));
    expect(parts[0].body.equals(BIG.subarray(0, 10))).toBe(true);
    expect(parts[1].body.equals(BIG.subarray(200000, 200100))).toBe(true);
    expect(parts[2].body.equals(BIG.subarray(BIG.length - 3))).toBe(true);
  });

  it('a multipart response is followed correctly by the next pipelined response', async () => {
    const r = await rawRequest(s.port, Buffer.concat([get('/r.txt', { Range: 'bytes=0-1,3-4' }), get('/r.txt', { Range: 'bytes=5-6' })]), {
      waitForResponses: 2,
    });
    expect(r.responses.map((x) => x.status), show(r.raw)).toEqual([206, 206]);
    expect(r.responses[1].body.equals(TEXT.subarray(5, 7))).toBe(true);
    expect(r.rest.length).toBe(0);
  });
});

describe('416', () => {
  for (const spec of ['bytes=1000-', 'bytes=1000-1000', 'bytes=5000-5100', 'bytes=-0', 'bytes=1000-,2000-']) {
    it(`${spec} -> 416 with Content-Range: bytes */1000`, async () => {
      const r = await range(spec);
      expect(r.status, r.rawHead).toBe(416);
      expect(r.headers['content-range']).toBe('bytes */1000');
      expect(r.raw.toString('latin1')).not.toContain(TEXT.subarray(0, 40).toString());
    });
  }
  for (const spec of ['bytes=0-', 'bytes=0-0', 'bytes=-1', 'bytes=-0']) {
    it(`${spec} on an empty file -> 416 with bytes */0`, async () => {
      const r = await range(spec, {}, '/empty.txt');
      expect(r.status, r.rawHead).toBe(416);
      expect(r.headers['content-range']).toBe('bytes */0');
    });
  }
  it('a 416 keeps the connection usable', async () => {
    const r = await rawRequest(s.port, Buffer.concat([get('/r.txt', { Range: 'bytes=5000-' }), get('/r.txt', { Range: 'bytes=0-2' })]), {
      waitForResponses: 2,
    });
    expect(r.responses.map((x) => x.status), show(r.raw)).toEqual([416, 206]);
    expect(r.responses[1].text).toBe(TEXT.subarray(0, 3).toString());
  });
});

describe('Range ignored (200 with the whole file)', () => {
  const ignored = [
    'bytes=abc',
    'bytes=',
    'bytes',
    'bytes 0-5',
    'items=0-5',
    'bytes=--5',
    'bytes=1-2-3',
    'bytes=0x10-20',
    'bytes=-',
    'bytes=a-5',
    'bytes=+5-10',
    ' =0-5',
  ];
  for (const spec of ignored) it(`syntax error or other unit: ${JSON.stringify(spec)}`, async () => expectFull(await range(spec)));

  it('more than 16 ranges', async () => {
    const spec = 'bytes=' + Array.from({ length: 17 }, (_, i) => `${i * 10}-${i * 10 + 4}`).join(',');
    expectFull(await range(spec));
  });

  it('overlapping ranges adding up to more than the file (abuse)', async () => {
    expectFull(await range('bytes=0-999,0-999'));
    expectFull(await range('bytes=0-,0-'));
    expectFull(await range('bytes=0-600,400-999'));
    expectFull(await range('bytes=' + Array.from({ length: 16 }, () => '-1000').join(',')));
  });

  it('overlap abuse on a large file', async () => {
    const spec = 'bytes=' + Array.from({ length: 16 }, () => '0-').join(',');
    const r = await range(spec, {}, '/big.bin');
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(BIG.length);
  });

  it('HEAD ignores Range', async () => {
    const r = await send(s.port, 'HEAD', '/r.txt', { Range: 'bytes=0-9' });
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(SIZE));
    expect(r.headers['content-range']).toBeUndefined();
  });

  it('HEAD with an unsatisfiable Range is still 200', async () => {
    const r = await send(s.port, 'HEAD', '/r.txt', { Range: 'bytes=5000-' });
    expect(r.status).toBe(200);
  });

  it('other methods ignore Range (405 stands)', async () => {
    const r = await rawRequest(s.port, buildRequest('POST', '/r.txt', { headers: { Range: 'bytes=0-9' }, body: 'x' }));
    expect(r.responses[0]?.status, show(r.raw)).toBe(405);
  });
});

describe('If-Range', () => {
  it('with the current ETag: the range is served', async () => {
    expect206(await range('bytes=0-9', { 'If-Range': etagOf(t.file('r.txt')) }), 0, 9);
  });
  it('with another ETag: the whole file', async () => {
    expectFull(await range('bytes=0-9', { 'If-Range': '"other"' }));
  });
  it('with the weak form of the current ETag: the whole file (strong comparison)', async () => {
    expectFull(await range('bytes=0-9', { 'If-Range': `W/${etagOf(t.file('r.txt'))}` }));
  });
  it('with the exact Last-Modified date: the range is served', async () => {
    expect206(await range('bytes=0-9', { 'If-Range': MTIME_HTTP }), 0, 9);
  });
  it('with another date, earlier or later: the whole file', async () => {
    expectFull(await range('bytes=0-9', { 'If-Range': new Date(MTIME_MS + 1000).toUTCString() }));
    expectFull(await range('bytes=0-9', { 'If-Range': new Date(MTIME_MS - 1000).toUTCString() }));
  });
  it('with garbage: the whole file', async () => {
    expectFull(await range('bytes=0-9', { 'If-Range': 'garbage' }));
  });
  it('a failing If-Range turns an unsatisfiable Range into a 200, not a 416', async () => {
    expectFull(await range('bytes=5000-', { 'If-Range': '"other"' }));
  });
});
