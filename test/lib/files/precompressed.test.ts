// Precompressed siblings: Accept-Encoding negotiation (q-values, preference order on ties, *, x-gzip,
// identity), Vary, ETags of variants, zstd only when enabled, ranges and conditionals on a variant.
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp, type Started } from '../../helpers/app.js';
import { etagOf, expectBare304, getRaw, makeTree, send, type Got, type Tree } from './fixture.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

const JS = Buffer.from(Array.from({ length: 200 }, (_, i) => `export const v${i} = ${i} * 2; // identity body\n`).join(''));
const BR = zlib.brotliCompressSync(JS);
const GZ = zlib.gzipSync(JS);
const ZST = Buffer.from('ZSTD-VARIANT-BYTES-not-really-zstd');
const CSS = Buffer.from('body { color: red } /* css identity */\n'.repeat(20));
const CSS_GZ = zlib.gzipSync(CSS);
const JS_TYPE = 'text/javascript; charset=utf-8';

let t: Tree;
let s: Started;

beforeAll(async () => {
  t = makeTree({
    'app.js': JS,
    'app.js.br': BR,
    'app.js.gz': GZ,
    'app.js.zst': ZST,
    'style.css': CSS,
    'style.css.gz': CSS_GZ,
    'plain.txt': 'no siblings at all',
    'only-br.js': 'only a br sibling',
    'only-br.js.br': 'BR-OF-ONLY-BR',
    'z.js': 'only a zstd sibling',
    'z.js.zst': 'ZST-OF-Z',
  });
  s = await startApp((app) => {
    app.serveDir('/gz', t.root, { precompressed: ['gzip'] });
    app.serveDir('/z', t.root, { precompressed: ['zstd', 'br', 'gzip'] });
    app.serveDir('/gzbr', t.root, { precompressed: ['gzip', 'br'] });
    app.serveDir('/none', t.root, { precompressed: false });
    app.serveDir('/', t.root);
  });
});

afterAll(async () => {
  await s?.stop();
  t?.cleanup();
});

const ae = (path: string, value: string | undefined) => getRaw(s.port, path, value === undefined ? {} : { 'Accept-Encoding': value });

function expectBr(r: Got) {
  expect(r.status, r.rawHead).toBe(200);
  expect(r.headers['content-encoding']).toBe('br');
  expect(r.body.equals(BR)).toBe(true);
  expect(r.headers['content-length']).toBe(String(BR.length));
  expect(r.headers['content-type']).toBe(JS_TYPE);
  expect(r.headers['etag']).toBe(etagOf(t.file('app.js.br'), '-br'));
  expect(r.headers['vary']).toBe('Accept-Encoding');
}
function expectGz(r: Got) {
  expect(r.status, r.rawHead).toBe(200);
  expect(r.headers['content-encoding']).toBe('gzip');
  expect(r.body.equals(GZ)).toBe(true);
  expect(r.headers['content-length']).toBe(String(GZ.length));
  expect(r.headers['content-type']).toBe(JS_TYPE);
  expect(r.headers['etag']).toBe(etagOf(t.file('app.js.gz'), '-gz'));
  expect(r.headers['vary']).toBe('Accept-Encoding');
}
function expectIdentity(r: Got) {
  expect(r.status, r.rawHead).toBe(200);
  expect(r.headers['content-encoding']).toBeUndefined();
  expect(r.body.equals(JS)).toBe(true);
  expect(r.headers['etag']).toBe(etagOf(t.file('app.js')));
  expect(r.headers['vary']).toBe('Accept-Encoding');
}

describe('negotiation with the default precompressed: [br, gzip]', () => {
  it('br is preferred when both are accepted at the same q', async () => {
    expectBr(await ae('/app.js', 'gzip, deflate, br'));
    expectBr(await ae('/app.js', 'gzip, br'));
  });
  it('gzip when only gzip is accepted', async () => expectGz(await ae('/app.js', 'gzip')));
  it('br;q=0 excludes br', async () => {
    expectGz(await ae('/app.js', 'br;q=0, gzip'));
    expectGz(await ae('/app.js', 'gzip, br; q=0'));
    expectIdentity(await ae('/app.js', 'br;q=0'));
    expectIdentity(await ae('/app.js', 'br;q=0.0, gzip;q=0.000'));
  });
  it('a higher q beats the preference order', async () => {
    expectGz(await ae('/app.js', 'br;q=0.5, gzip;q=0.8'));
    expectGz(await ae('/app.js', 'gzip;q=1, br;q=0.999'));
    expectBr(await ae('/app.js', 'gzip;q=0.1, br;q=0.2'));
  });
  it('* covers the codings not named', async () => {
    expectBr(await ae('/app.js', '*'));
    expectGz(await ae('/app.js', '*;q=0.5, gzip'));
    expectGz(await ae('/app.js', '*, br;q=0'));
    expectIdentity(await ae('/app.js', '*;q=0'));
  });
  it('identity named with a higher q than every coding gets the file as it is; a tie keeps the coding', async () => {
    expectIdentity(await ae('/app.js', 'gzip;q=0.5, br;q=0.4, identity'));
    expectIdentity(await ae('/app.js', 'br;q=0.5, identity;q=0.6'));
    expectBr(await ae('/app.js', 'br, identity'));
    expectGz(await ae('/app.js', 'gzip;q=0.8, identity;q=0.7, br;q=0.1'));
  });
  it('x-gzip is gzip, and codings are case-insensitive', async () => {
    expectGz(await ae('/app.js', 'x-gzip'));
    expectGz(await ae('/app.js', 'GZIP'));
    expectGz(await ae('/app.js', 'X-Gzip;Q=0.9'));
    expectBr(await ae('/app.js', 'BR'));
  });
  it('identity when nothing usable is accepted, with Vary still there (never 406)', async () => {
    for (const v of [undefined, '', 'identity', 'deflate', 'compress', 'zstd', 'identity;q=0', 'br;q=0, gzip;q=0, identity;q=0', 'brotli', 'gzip2']) {
      const r = await ae('/app.js', v);
      expect(r.status, String(v)).toBe(200);
      expectIdentity(r);
    }
  });
  it('a file with only a .gz sibling: Vary on every response, gzip only when accepted', async () => {
    const gz = await ae('/style.css', 'br, gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.body.equals(CSS_GZ)).toBe(true);
    expect(gz.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(gz.headers['vary']).toBe('Accept-Encoding');
    const id = await ae('/style.css', 'br');
    expect(id.headers['content-encoding']).toBeUndefined();
    expect(id.body.equals(CSS)).toBe(true);
    expect(id.headers['vary']).toBe('Accept-Encoding');
  });
  it('a file without siblings: never Vary, never Content-Encoding', async () => {
    for (const v of [undefined, 'br, gzip', '*']) {
      const r = await ae('/plain.txt', v);
      expect(r.status).toBe(200);
      expect(r.text).toBe('no siblings at all');
      expect(r.headers['vary'], String(v)).toBeUndefined();
      expect(r.headers['content-encoding'], String(v)).toBeUndefined();
    }
    const nm = await getRaw(s.port, '/plain.txt', { 'If-None-Match': etagOf(t.file('plain.txt')) });
    expectBare304(nm);
    expect(nm.headers['vary']).toBeUndefined();
  });
  it('zstd is not used unless enabled; a file whose only sibling is .zst has no Vary', async () => {
    expectBr(await ae('/app.js', 'zstd, br'));
    expectIdentity(await ae('/app.js', 'zstd'));
    const z = await ae('/z.js', 'zstd');
    expect(z.text).toBe('only a zstd sibling');
    expect(z.headers['content-encoding']).toBeUndefined();
    expect(z.headers['vary']).toBeUndefined();
  });
  it('HEAD gives the variant head without a body', async () => {
    const r = await send(s.port, 'HEAD', '/app.js', { 'Accept-Encoding': 'br' });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe('br');
    expect(r.headers['content-length']).toBe(String(BR.length));
    expect(r.headers['vary']).toBe('Accept-Encoding');
    expect(r.body.length).toBe(0);
  });
  it('fetch decodes what it gets back to the identity bytes', async () => {
    const r = await fetch(`${s.base}/app.js`, { headers: { 'Accept-Encoding': 'br, gzip' } });
    expect(r.headers.get('content-encoding')).toBe('br');
    expect(Buffer.from(await r.arrayBuffer()).equals(JS)).toBe(true);
  });
});

describe('conditionals and ranges on a variant', () => {
  it('304 for the variant ETag with the same Accept-Encoding, with Vary', async () => {
    const r = await getRaw(s.port, '/app.js', { 'Accept-Encoding': 'br', 'If-None-Match': etagOf(t.file('app.js.br'), '-br') });
    expectBare304(r);
    expect(r.headers['etag']).toBe(etagOf(t.file('app.js.br'), '-br'));
    expect(r.headers['vary']).toBe('Accept-Encoding');
    expect(r.headers['content-encoding']).toBeUndefined();
  });
  it('304 for the identity ETag on identity, with Vary', async () => {
    const r = await getRaw(s.port, '/app.js', { 'If-None-Match': etagOf(t.file('app.js')) });
    expectBare304(r);
    expect(r.headers['vary']).toBe('Accept-Encoding');
  });
  it('the identity ETag does not validate the br variant (200 br)', async () => {
    expectBr(await getRaw(s.port, '/app.js', { 'Accept-Encoding': 'br', 'If-None-Match': etagOf(t.file('app.js')) }));
  });
  it('the br ETag does not validate the gzip variant (200 gzip)', async () => {
    expectGz(await getRaw(s.port, '/app.js', { 'Accept-Encoding': 'gzip', 'If-None-Match': etagOf(t.file('app.js.br'), '-br') }));
  });
  it('Range applies to the selected representation', async () => {
    const r = await getRaw(s.port, '/app.js', { 'Accept-Encoding': 'br', Range: 'bytes=0-9' });
    expect(r.status, r.rawHead).toBe(206);
    expect(r.headers['content-encoding']).toBe('br');
    expect(r.headers['content-range']).toBe(`bytes 0-9/${BR.length}`);
    expect(r.body.equals(BR.subarray(0, 10))).toBe(true);
    const gz = await getRaw(s.port, '/app.js', { 'Accept-Encoding': 'gzip', Range: 'bytes=-4' });
    expect(gz.headers['content-range']).toBe(`bytes ${GZ.length - 4}-${GZ.length - 1}/${GZ.length}`);
    expect(gz.body.equals(GZ.subarray(GZ.length - 4))).toBe(true);
  });
  it('an unsatisfiable Range on a variant reports the variant size', async () => {
    const r = await getRaw(s.port, '/app.js', { 'Accept-Encoding': 'br', Range: `bytes=${BR.length}-` });
    expect(r.status).toBe(416);
    expect(r.headers['content-range']).toBe(`bytes */${BR.length}`);
  });
  it('If-Range with the variant ETag serves the range of the variant', async () => {
    const r = await getRaw(s.port, '/app.js', {
      'Accept-Encoding': 'gzip',
      Range: 'bytes=0-3',
      'If-Range': etagOf(t.file('app.js.gz'), '-gz'),
    });
    expect(r.status).toBe(206);
    expect(r.body.equals(GZ.subarray(0, 4))).toBe(true);
  });
});

describe('requesting a sibling itself', () => {
  it('/app.js.gz is that file as-is: its own type, no Content-Encoding', async () => {
    const r = await ae('/app.js.gz', 'gzip, br');
    expect(r.status).toBe(200);
    expect(r.body.equals(GZ)).toBe(true);
    expect(r.headers['content-type']).toBe('application/gzip');
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(r.headers['etag']).toBe(etagOf(t.file('app.js.gz')));
  });
  it('/app.js.br is that file as-is', async () => {
    const r = await ae('/app.js.br', 'br');
    expect(r.status).toBe(200);
    expect(r.body.equals(BR)).toBe(true);
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(r.headers['content-type']).toBe('application/octet-stream');
  });
});

describe('the precompressed option', () => {
  it('[gzip] only: br is never served and a .br-only file has no Vary', async () => {
    expectGz(await ae('/gz/app.js', 'br, gzip'));
    const id = await ae('/gz/app.js', 'br');
    expectIdentity(id);
    const onlyBr = await ae('/gz/only-br.js', 'br');
    expect(onlyBr.text).toBe('only a br sibling');
    expect(onlyBr.headers['content-encoding']).toBeUndefined();
    expect(onlyBr.headers['vary']).toBeUndefined();
  });
  it('the order is the preference on q ties', async () => {
    expectGz(await ae('/gzbr/app.js', 'br, gzip'));
    expectGz(await ae('/gzbr/app.js', '*'));
    expectBr(await ae('/gzbr/app.js', 'br'));
    expectBr(await ae('/gzbr/app.js', 'gzip;q=0.5, br'));
  });
  it('zstd when enabled: first in its order, with a -zst ETag', async () => {
    const r = await ae('/z/app.js', 'gzip, br, zstd');
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe('zstd');
    expect(r.body.equals(ZST)).toBe(true);
    expect(r.headers['etag']).toBe(etagOf(t.file('app.js.zst'), '-zst'));
    expect(r.headers['content-type']).toBe(JS_TYPE);
    expect(r.headers['vary']).toBe('Accept-Encoding');
    expectBr(await ae('/z/app.js', 'zstd;q=0.5, br'));
    const z = await ae('/z/z.js', 'zstd');
    expect(z.text).toBe('ZST-OF-Z');
    expect(z.headers['content-encoding']).toBe('zstd');
    expect(z.headers['vary']).toBe('Accept-Encoding');
    const zid = await ae('/z/z.js', 'gzip');
    expect(zid.text).toBe('only a zstd sibling');
    expect(zid.headers['vary']).toBe('Accept-Encoding');
  });
  it('false: identity always, no Vary', async () => {
    const r = await ae('/none/app.js', 'br, gzip, zstd');
    expect(r.status).toBe(200);
    expect(r.body.equals(JS)).toBe(true);
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(r.headers['vary']).toBeUndefined();
  });
});
