// app.serveDir(): registration errors, what a mount answers and in which order, methods, index files,
// directory redirects, spa, dotfiles, names, content types and the option-driven response headers.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer, startApp, type Started } from '../../helpers/app.js';
import { RawClient, buildRequest, framingProblems, get, headerValues, rawRequest, show } from '../../helpers/http.js';
import {
  MTIME_HTTP,
  etagOf,
  expectBare304,
  expectHeaderOrder,
  getRaw,
  makeTree,
  send,
  thrown,
  type Tree,
} from './fixture.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

// The typed App gains serveDir with the feature; the suite talks to the documented surface.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const bare = (): any => createServer();

const allow = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((m) => m.trim())
    .sort();

describe('serveDir registration', () => {
  let t: Tree;
  beforeAll(() => {
    t = makeTree({ 'a.txt': 'a' });
  });
  afterAll(() => t.cleanup());

  it('returns the app, so calls chain', () => {
    const app = bare();
    expect(app.serveDir('/x', t.root)).toBe(app);
    expect(app.serveDir('/x', t.root, {}).serveDir('/y/', t.root)).toBe(app);
  });

  it('accepts every documented option with a valid value', () => {
    const app = bare();
    const e = thrown(() =>
      app.serveDir('/all', t.root, {
        index: 'default.htm',
        dotfiles: 'allow',
        etag: false,
        lastModified: false,
        cacheControl: 'public, max-age=31536000, immutable',
        headers: { 'X-Frame-Options': 'DENY' },
        precompressed: ['zstd', 'gzip'],
        spa: 'index.html',
        fallthrough: true,
      }),
    );
    expect(e).toBeUndefined();
    expect(thrown(() => app.serveDir('/f', t.root, { index: false, precompressed: false, spa: false, dotfiles: 'deny' }))).toBeUndefined();
    expect(thrown(() => app.serveDir('/', t.root, { precompressed: [] }))).toBeUndefined();
  });

  const badPrefixes: unknown[] = ['', 'assets', 'assets/', '/a:b', '/:id', '/a*', '/*', '/a?b', '/a#b', '/a%2Fb', '/%41', 42, null, undefined, {}];
  for (const prefix of badPrefixes) {
    it(`rejects the prefix ${JSON.stringify(prefix) ?? String(prefix)} with UVHTTP_ERR_INVALID_ARG`, () => {
      const app = bare();
      const e = thrown(() => app.serveDir(prefix, t.root));
      expect(e, 'serveDir did not throw').toBeDefined();
      expect(e!.code).toBe('UVHTTP_ERR_INVALID_ARG');
    });
  }

  it('rejects a root that does not exist, naming the path', () => {
    const missing = `${t.base}/no-such-dir`;
    const e = thrown(() => bare().serveDir('/', missing));
    expect(e, 'serveDir did not throw').toBeDefined();
    expect(e!.code).toBe('UVHTTP_ERR_SERVE_DIR');
    expect(e!.message).toContain(missing);
  });

  it('rejects a root that is a regular file, naming the path', () => {
    const file = t.file('a.txt');
    const e = thrown(() => bare().serveDir('/', file));
    expect(e, 'serveDir did not throw').toBeDefined();
    expect(e!.code).toBe('UVHTTP_ERR_SERVE_DIR');
    expect(e!.message).toContain(file);
  });

  const badOptions: Array<[string, unknown]> = [
    ['index: 5', { index: 5 }],
    ['index: true', { index: true }],
    ['dotfiles: "ignore"', { dotfiles: 'ignore' }],
    ['dotfiles: true', { dotfiles: true }],
    ['etag: "yes"', { etag: 'yes' }],
    ['lastModified: 1', { lastModified: 1 }],
    ['cacheControl: 60', { cacheControl: 60 }],
    ['cacheControl with CRLF', { cacheControl: 'max-age=1\r\nX-Injected: 1' }],
    ['headers: "x"', { headers: 'x' }],
    ['headers with a CRLF value', { headers: { 'X-A': 'a\r\nX-Injected: 1' } }],
    ['headers with a bad name', { headers: { 'Bad Name': 'x' } }],
    ['headers naming Content-Type', { headers: { 'Content-Type': 'text/html' } }],
    ['headers naming etag', { headers: { etag: '"x"' } }],
    ['precompressed: "br"', { precompressed: 'br' }],
    ['precompressed: ["deflate"]', { precompressed: ['deflate'] }],
    ['precompressed: true', { precompressed: true }],
    ['spa: 5', { spa: 5 }],
    ['spa: true', { spa: true }],
    ['fallthrough: "no"', { fallthrough: 'no' }],
  ];
  for (const [label, opts] of badOptions) {
    it(`rejects the option ${label} with UVHTTP_ERR_INVALID_OPTION`, () => {
      const e = thrown(() => bare().serveDir('/', t.root, opts));
      expect(e, 'serveDir did not throw').toBeDefined();
      expect(e!.code).toBe('UVHTTP_ERR_INVALID_OPTION');
    });
  }
});

describe('serving files from a mount at /', () => {
  let t: Tree;
  let s: Started;
  beforeAll(async () => {
    t = makeTree({
      'index.html': '<!doctype html><h1>home</h1>',
      'hello.txt': 'hello world\n',
      'sub/index.html': 'sub index',
      'sub/page.txt': 'sub page',
      'noindex/a.txt': 'noindex a',
      'idxdir/index.html/inner.txt': 'index.html is a directory here',
      '.hidden': 'HIDDEN-DOTFILE-CONTENT',
      '.well-known/x.txt': 'WELLKNOWN-CONTENT',
      'sub/.env': 'ENV-DOTFILE-CONTENT',
      'café menu.txt': 'cafe menu',
      'a b.txt': 'space in name',
      'a+b.txt': 'plus in name',
      'caf%C3%A9dir/x.txt': 'literal percent dir',
      'évian/index.html': 'utf8 dir index',
      'evil.com/index.html': 'evil dir',
      'empty.txt': '',
    });
    s = await startApp((app) => app.serveDir('/', t.root));
  });
  afterAll(async () => {
    await s?.stop();
    t?.cleanup();
  });

  it('serves a file with 200, its bytes, Content-Length and a valid Date', async () => {
    const r = await getRaw(s.port, '/hello.txt');
    expect(r.status).toBe(200);
    expect(r.text).toBe('hello world\n');
    expect(r.headers['content-length']).toBe('12');
    expect(framingProblems(r)).toEqual([]);
    expect(r.headers['transfer-encoding']).toBeUndefined();
    expect(r.headers['content-encoding']).toBeUndefined();
  });

  it('sends the spec head fields in the spec order, with the ETag and Last-Modified of size and mtime', async () => {
    const r = await getRaw(s.port, '/hello.txt');
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.headers['etag']).toBe(etagOf(t.file('hello.txt')));
    expect(r.headers['etag']).toBe(`"c-18bcfe569f4"`);
    expect(r.headers['last-modified']).toBe(MTIME_HTTP);
    expect(r.headers['accept-ranges']).toBe('bytes');
    // No sibling, no options: none of these.
    expect(r.headers['cache-control']).toBeUndefined();
    expect(r.headers['vary']).toBeUndefined();
    expectHeaderOrder(r, ['content-type', 'content-length', 'etag', 'last-modified', 'accept-ranges', 'date']);
    expect(r.status).toBe(200);
    expect(r.reason).toBe('OK');
    // Each field once.
    for (const n of ['content-type', 'content-length', 'etag', 'last-modified', 'accept-ranges', 'date']) {
      expect(headerValues(r, n).length, n).toBe(1);
    }
  });

  it('serves an empty file as 200 with Content-Length: 0', async () => {
    const r = await getRaw(s.port, '/empty.txt');
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe('0');
    expect(r.body.length).toBe(0);
  });

  it('answers HEAD with the GET head and no body (the next response on the connection is intact)', async () => {
    const g = await getRaw(s.port, '/hello.txt');
    const r = await rawRequest(s.port, Buffer.concat([buildRequest('HEAD', '/hello.txt'), get('/sub/page.txt')]), {
      waitForResponses: 2,
      noBody: [true, false],
    });
    expect(r.responses.length, show(r.raw)).toBe(2);
    const [h, next] = r.responses;
    expect(h.status).toBe(200);
    expect(h.headers['content-length']).toBe('12');
    for (const n of ['content-type', 'etag', 'last-modified', 'accept-ranges']) expect(h.headers[n], n).toBe(g.headers[n]);
    expect(next.status).toBe(200);
    expect(next.text).toBe('sub page');
    expect(r.rest.length).toBe(0);
    expect(r.raw.toString('latin1')).not.toContain('hello world');
  });

  it('ignores the query string', async () => {
    const r = await getRaw(s.port, '/hello.txt?v=123&x=%2e%2e');
    expect(r.status).toBe(200);
    expect(r.text).toBe('hello world\n');
  });

  it('answers a missing file with 404 and a missing directory path with 404', async () => {
    for (const p of ['/nope.txt', '/nope/', '/sub/nope.txt', '/hello.txtx', '/hello.tx']) {
      const r = await getRaw(s.port, p);
      expect(r.status, p).toBe(404);
      expect(r.text, p).not.toContain('hello world');
    }
  });

  it('treats a file with a trailing slash as a miss (404)', async () => {
    const r = await getRaw(s.port, '/hello.txt/');
    expect(r.status).toBe(404);
    expect(r.text).not.toContain('hello world');
  });

  it('serves index.html for / and for a directory path with a trailing slash', async () => {
    const root = await getRaw(s.port, '/');
    expect(root.status).toBe(200);
    expect(root.text).toBe('<!doctype html><h1>home</h1>');
    expect(root.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(root.headers['etag']).toBe(etagOf(t.file('index.html')));
    const sub = await getRaw(s.port, '/sub/');
    expect(sub.status).toBe(200);
    expect(sub.text).toBe('sub index');
  });

  it('drops empty and "." segments', async () => {
    for (const p of ['//hello.txt', '/./hello.txt', '/sub//page.txt', '/sub/./page.txt', '/./sub/.//page.txt']) {
      const r = await getRaw(s.port, p);
      expect(r.status, p).toBe(200);
      expect(r.body.length, p).toBeGreaterThan(0);
    }
  });

  it('treats a directory without an index file as a miss (404), and one whose index.html is a directory too', async () => {
    const r = await getRaw(s.port, '/noindex/');
    expect(r.status).toBe(404);
    expect(r.text).not.toContain('noindex a');
    const d = await getRaw(s.port, '/idxdir/');
    expect(d.status).toBe(404);
    expect(d.text).not.toContain('inner');
  });

  it('redirects a directory path without a trailing slash with 301 and a text/plain body', async () => {
    const r = await getRaw(s.port, '/sub');
    expect(r.status).toBe(301);
    expect(r.headers['location']).toBe('/sub/');
    expect(r.headers['content-type']).toMatch(/^text\/plain\b/);
    expect(framingProblems(r)).toEqual([]);
    expect(r.text).not.toContain('sub index');
  });

  it('keeps the query string on the redirect', async () => {
    const r = await getRaw(s.port, '/sub?a=1&b=%20x');
    expect(r.status).toBe(301);
    expect(r.headers['location']).toBe('/sub/?a=1&b=%20x');
  });

  it('redirects with the path as the client sent it (percent-encoding kept)', async () => {
    const r = await getRaw(s.port, '/%C3%A9vian');
    expect(r.status).toBe(301);
    expect(r.headers['location']).toBe('/%C3%A9vian/');
    const ok = await getRaw(s.port, '/%C3%A9vian/');
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('utf8 dir index');
  });

  it('never redirects to a protocol-relative Location (//host is an open redirect)', async () => {
    const r = await getRaw(s.port, '//evil.com');
    expect(r.status).toBeGreaterThanOrEqual(300);
    expect(r.headers['location'] ?? '').not.toMatch(/^\/\//);
    expect(r.headers['location'] ?? '').not.toMatch(/^\/\\/);
  });

  it('answers a redirect to HEAD without a body', async () => {
    const r = await rawRequest(s.port, Buffer.concat([buildRequest('HEAD', '/sub'), get('/hello.txt')]), {
      waitForResponses: 2,
      noBody: [true, false],
    });
    expect(r.responses.length, show(r.raw)).toBe(2);
    expect(r.responses[0].status).toBe(301);
    expect(r.responses[0].headers['location']).toBe('/sub/');
    expect(r.responses[1].text).toBe('hello world\n');
  });

  it('denies dotfiles by default with 404, at any depth and percent-encoded', async () => {
    for (const p of ['/.hidden', '/.well-known/x.txt', '/.well-known/', '/sub/.env', '/%2ehidden', '/%2Ehidden', '/sub/%2eenv', '/.nope']) {
      const r = await getRaw(s.port, p);
      expect(r.status, p).toBe(404);
      expect(r.raw.toString('latin1'), p).not.toMatch(/HIDDEN-DOTFILE|WELLKNOWN|ENV-DOTFILE/);
    }
  });

  it('denies a dotfile with 404 for other methods too (not 405)', async () => {
    const r = await send(s.port, 'POST', '/.hidden', {}, { body: 'x' });
    expect(r.status).toBe(404);
    expect(r.headers['allow']).toBeUndefined();
  });

  it('serves UTF-8 names and names with spaces; + is not a space', async () => {
    const cafe = await getRaw(s.port, '/caf%C3%A9%20menu.txt');
    expect(cafe.status).toBe(200);
    expect(cafe.text).toBe('cafe menu');
    const lower = await getRaw(s.port, '/caf%c3%a9%20menu.txt');
    expect(lower.status).toBe(200);
    expect(lower.text).toBe('cafe menu');
    const space = await getRaw(s.port, '/a%20b.txt');
    expect(space.text).toBe('space in name');
    const plus = await getRaw(s.port, '/a+b.txt');
    expect(plus.status).toBe(200);
    expect(plus.text).toBe('plus in name');
    const encPlus = await getRaw(s.port, '/a%2Bb.txt');
    expect(encPlus.text).toBe('plus in name');
  });

  it('serves UTF-8 names through fetch and curl-style clients', async () => {
    const r = await fetch(`${s.base}/${encodeURIComponent('café menu.txt')}`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('cafe menu');
  });

  it('decodes %2F inside a segment into a separator', async () => {
    const r = await getRaw(s.port, '/sub%2Fpage.txt');
    expect(r.status).toBe(200);
    expect(r.text).toBe('sub page');
    const lower = await getRaw(s.port, '/sub%2fpage.txt');
    expect(lower.text).toBe('sub page');
  });

  it('decodes once: %25 is a literal % in a name', async () => {
    const r = await getRaw(s.port, '/caf%25C3%25A9dir/x.txt');
    expect(r.status).toBe(200);
    expect(r.text).toBe('literal percent dir');
  });

  it('answers a malformed percent-escape with 400', async () => {
    for (const p of ['/%zz.txt', '/hello%2.txt', '/hello.txt%', '/%', '/%G1', '/sub/%4']) {
      const r = await getRaw(s.port, p);
      expect(r.status, p).toBe(400);
    }
  });

  it('answers a control byte (encoded) with 400', async () => {
    for (const p of ['/hello%01.txt', '/hello.txt%0a', '/hello.txt%0D%0AX-Injected:%201', '/hello%7F.txt', '/hello.txt%1f']) {
      const r = await getRaw(s.port, p);
      expect(r.status, p).toBe(400);
      expect(r.headers['x-injected'], p).toBeUndefined();
    }
  });

  it('answers other methods on an existing file with 405 and Allow: GET, HEAD', async () => {
    for (const m of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const r = await send(s.port, m, '/hello.txt', {}, { body: m === 'POST' || m === 'PUT' ? 'data' : undefined });
      expect(r.status, m).toBe(405);
      expect(allow(r.headers['allow']), m).toEqual(['GET', 'HEAD']);
      expect(r.text, m).not.toContain('hello world');
    }
  });

  it('405 also for a directory path and an index (the file exists)', async () => {
    const r = await send(s.port, 'DELETE', '/');
    expect(r.status).toBe(405);
    expect(allow(r.headers['allow'])).toEqual(['GET', 'HEAD']);
  });

  it('answers another method on a missing file with 404, not 405', async () => {
    const r = await send(s.port, 'POST', '/nope.txt', {}, { body: 'x' });
    expect(r.status).toBe(404);
    expect(r.headers['allow']).toBeUndefined();
  });

  it('keeps the connection usable after a 405 with a body and after a 404', async () => {
    const c = await RawClient.connect(s.port);
    try {
      const a = await c.request(buildRequest('POST', '/hello.txt', { body: 'some body bytes' }));
      expect(a.status).toBe(405);
      const b = await c.request(get('/nope'));
      expect(b.status).toBe(404);
      const d = await c.request(get('/hello.txt'));
      expect(d.status).toBe(200);
      expect(d.text).toBe('hello world\n');
    } finally {
      c.destroy();
    }
  });

  it('maps an absolute-form target by its path, like origin-form', async () => {
    const r = await getRaw(s.port, 'http://127.0.0.1/sub/page.txt');
    expect(r.status).toBe(200);
    expect(r.text).toBe('sub page');
  });
});

describe('content types', () => {
  let t: Tree;
  let s: Started;
  const files: Record<string, string> = {
    'page.html': 'text/html; charset=utf-8',
    'page.HTM': 'text/html; charset=utf-8',
    'style.css': 'text/css; charset=utf-8',
    'app.js': 'text/javascript; charset=utf-8',
    'mod.mjs': 'text/javascript; charset=utf-8',
    'data.json': 'application/json; charset=utf-8',
    'x.js.map': 'application/json; charset=utf-8',
    'notes.txt': 'text/plain; charset=utf-8',
    'doc.md': 'text/markdown; charset=utf-8',
    'data.csv': 'text/csv; charset=utf-8',
    'pic.png': 'image/png',
    'PIC.PNG': 'image/png',
    'photo.jpg': 'image/jpeg',
    'vec.svg': 'image/svg+xml',
    'mod.wasm': 'application/wasm',
    'font.woff2': 'font/woff2',
    'song.mp3': 'audio/mpeg',
    'img.bmp': 'image/bmp',
    'icon.ico': 'image/vnd.microsoft.icon',
    'arch.gz': 'application/gzip',
    'thing.unknownext': 'application/octet-stream',
    'noext': 'application/octet-stream',
    'trailingdot.': 'application/octet-stream',
    'dir.d/noext': 'application/octet-stream',
  };
  beforeAll(async () => {
    t = makeTree(Object.fromEntries(Object.keys(files).map((f) => [f, `content of ${f}`])));
    s = await startApp((app) => app.serveDir('/', t.root));
  });
  afterAll(async () => {
    await s?.stop();
    t?.cleanup();
  });

  for (const [f, type] of Object.entries(files)) {
    it(`${f} -> ${type}`, async () => {
      const r = await getRaw(s.port, `/${f}`);
      expect(r.status).toBe(200);
      expect(r.text).toBe(`content of ${f}`);
      expect(r.headers['content-type']).toBe(type);
      expect(headerValues(r, 'content-type').length).toBe(1);
    });
  }
});

describe('routes take precedence over mounts', () => {
  let t: Tree;
  let s: Started;
  beforeAll(async () => {
    t = makeTree({
      'dyn.txt': 'FILE-dyn',
      'static.txt': 'FILE-static',
      'only-post.txt': 'FILE-only-post',
      'p/thing': 'FILE-param',
      'plain.txt': 'FILE-plain',
    });
    s = await startApp((app) => {
      // Registered before and after the mount: order does not matter, routes win.
      app.get('/assets/dyn.txt', () => 'ROUTE-dyn');
      app.serveDir('/assets', t.root);
      app.static('/assets/static.txt', 'ROUTE-static');
      app.post('/assets/only-post.txt', () => 'ROUTE-post');
      app.get('/assets/p/:name', (req: any) => `ROUTE-param-${req.params.name}`);
    });
  });
  afterAll(async () => {
    await s?.stop();
    t?.cleanup();
  });

  it('a dynamic route under the prefix answers, not the file', async () => {
    const r = await getRaw(s.port, '/assets/dyn.txt');
    expect(r.status).toBe(200);
    expect(r.text).toBe('ROUTE-dyn');
    expect(r.raw.toString()).not.toContain('FILE-dyn');
  });

  it('a static route under the prefix answers, not the file', async () => {
    const r = await getRaw(s.port, '/assets/static.txt');
    expect(r.status).toBe(200);
    expect(r.text).toBe('ROUTE-static');
    expect(r.headers['etag']).toBeUndefined();
    expect(r.raw.toString()).not.toContain('FILE-static');
  });

  it('a :param route under the prefix answers, not the file', async () => {
    const r = await getRaw(s.port, '/assets/p/thing');
    expect(r.text).toBe('ROUTE-param-thing');
    expect(r.raw.toString()).not.toContain('FILE-param');
  });

  it("a route's 405 stands: the file is not served and Allow is the route's", async () => {
    const r = await getRaw(s.port, '/assets/only-post.txt');
    expect(r.status).toBe(405);
    expect(allow(r.headers['allow'])).toContain('POST');
    expect(allow(r.headers['allow'])).not.toContain('GET');
    expect(r.raw.toString()).not.toContain('FILE-only-post');
    const post = await send(s.port, 'POST', '/assets/only-post.txt', {}, { body: 'x' });
    expect(post.text).toBe('ROUTE-post');
  });

  it('paths no route matches reach the mount', async () => {
    const r = await getRaw(s.port, '/assets/plain.txt');
    expect(r.text).toBe('FILE-plain');
  });

  it('the mount covers the prefix itself (301 to prefix/) and prefix/ (index miss -> 404), not /assetsX', async () => {
    const bare = await getRaw(s.port, '/assets');
    expect(bare.status).toBe(301);
    expect(bare.headers['location']).toBe('/assets/');
    const bareQ = await getRaw(s.port, '/assets?q=1');
    expect(bareQ.headers['location']).toBe('/assets/?q=1');
    const slash = await getRaw(s.port, '/assets/');
    expect(slash.status).toBe(404);
    const other = await getRaw(s.port, '/assetsplain.txt');
    expect(other.status).toBe(404);
    expect(other.text).not.toContain('FILE-plain');
    const outside = await getRaw(s.port, '/plain.txt');
    expect(outside.status).toBe(404);
    expect(outside.text).not.toContain('FILE-plain');
  });
});

describe('several mounts: longest prefix first, registration order, fallthrough', () => {
  let a: Tree;
  let b: Tree;
  let c: Tree;
  let s: Started;
  beforeAll(async () => {
    a = makeTree({
      'shared.txt': 'A-shared',
      'only-a.txt': 'A-only',
      'd/file.txt': 'A-dir',
      'e/x.txt': 'A-e-no-index',
      'both.txt': 'A-both',
    });
    b = makeTree({
      'shared.txt': 'B-shared',
      'only-b.txt': 'B-only',
      d: 'B-d-is-a-file',
      'e/index.html': 'B-e-index',
      '.secret': 'B-DOTFILE-CONTENT',
      'deep/from-b.txt': 'B-deep-from-b',
      'deep/both.txt': 'B-deep-both',
    });
    c = makeTree({ 'x.txt': 'C-x', 'm/x.txt': 'C-m-x', 'ft/c-only.txt': 'C-ft-only' });
    s = await startApp((app) => {
      // '/' first, '/deep' after: the longer prefix is still tried first.
      app.serveDir('/', c.root);
      app.serveDir('/m', a.root, { fallthrough: true });
      app.serveDir('/m/', b.root, { dotfiles: 'allow' });
      app.serveDir('/n', a.root); // fallthrough: false (default)
      app.serveDir('/n', b.root);
      // '/ft' registered before the longer '/ft/deep'.
      app.serveDir('/ft', b.root, { fallthrough: true });
      app.serveDir('/ft/deep', a.root, { fallthrough: true });
    });
  });
  afterAll(async () => {
    await s?.stop();
    a?.cleanup();
    b?.cleanup();
    c?.cleanup();
  });

  it('the first mount of a shared prefix answers what it has', async () => {
    const r = await getRaw(s.port, '/m/shared.txt');
    expect(r.text).toBe('A-shared');
    expect(r.raw.toString()).not.toContain('B-shared');
  });

  it('a miss in a fallthrough mount goes to the next mount of the prefix', async () => {
    const r = await getRaw(s.port, '/m/only-b.txt');
    expect(r.status).toBe(200);
    expect(r.text).toBe('B-only');
  });

  it('a directory without index in the first mount is a miss that falls through', async () => {
    const r = await getRaw(s.port, '/m/e/');
    expect(r.status).toBe(200);
    expect(r.text).toBe('B-e-index');
  });

  it('a miss in a mount without fallthrough is a 404 even when a shorter mount (/) has the file', async () => {
    const r = await getRaw(s.port, '/m/x.txt');
    expect(r.status).toBe(404);
    expect(r.raw.toString()).not.toContain('C-m-x');
  });

  it('without fallthrough a miss is a 404 at once, even when a later mount has the file', async () => {
    const r = await getRaw(s.port, '/n/only-b.txt');
    expect(r.status).toBe(404);
    expect(r.raw.toString()).not.toContain('B-only');
  });

  it('a 301 ends the request at the mount that gave it', async () => {
    const r = await getRaw(s.port, '/m/d');
    expect(r.status).toBe(301);
    expect(r.headers['location']).toBe('/m/d/');
    expect(r.raw.toString()).not.toContain('B-d-is-a-file');
  });

  it('a denied dotfile ends the request at that mount (a later mount that allows dotfiles is not tried)', async () => {
    const r = await getRaw(s.port, '/m/.secret');
    expect(r.status).toBe(404);
    expect(r.raw.toString()).not.toContain('B-DOTFILE-CONTENT');
  });

  it('a 400 ends the request at that mount', async () => {
    const r = await getRaw(s.port, '/m/%zz');
    expect(r.status).toBe(400);
  });

  it('405 when the file exists in the first mount; another method on its miss falls through to the next', async () => {
    const a405 = await send(s.port, 'PUT', '/m/only-a.txt', {}, { body: 'x' });
    expect(a405.status).toBe(405);
    expect(allow(a405.headers['allow'])).toEqual(['GET', 'HEAD']);
    const b405 = await send(s.port, 'PUT', '/m/only-b.txt', {}, { body: 'x' });
    expect(b405.status).toBe(405);
    const none = await send(s.port, 'PUT', '/m/none.txt', {}, { body: 'x' });
    expect(none.status).toBe(404);
  });

  it('the longest prefix is tried first whatever the registration order', async () => {
    const r = await getRaw(s.port, '/ft/deep/both.txt');
    expect(r.status).toBe(200);
    expect(r.text).toBe('A-both');
    expect(r.raw.toString()).not.toContain('B-deep-both');
  });

  it('a miss in the longer prefix falls through to the shorter one, which maps the path from its own prefix', async () => {
    const r = await getRaw(s.port, '/ft/deep/from-b.txt');
    expect(r.status).toBe(200);
    expect(r.text).toBe('B-deep-from-b');
  });

  it('fallthrough reaches the / mount last', async () => {
    const r = await getRaw(s.port, '/ft/c-only.txt');
    expect(r.status).toBe(200);
    expect(r.text).toBe('C-ft-only');
  });

  it('a miss everywhere is the server 404', async () => {
    const r = await getRaw(s.port, '/ft/deep/none.txt');
    expect(r.status).toBe(404);
  });

  it('prefix / covers every path no longer mount covers', async () => {
    const r = await getRaw(s.port, '/x.txt');
    expect(r.text).toBe('C-x');
  });
});

describe('options: headers, cacheControl, etag, lastModified, index, dotfiles, spa', () => {
  let t: Tree;
  let s: Started;
  const EXTRA = { 'X-Frame-Options': 'DENY', 'X-Served-By': 'files-suite' };
  const CC = 'public, max-age=31536000, immutable';
  beforeAll(async () => {
    t = makeTree({
      'index.html': '<h1>spa shell</h1>',
      'default.htm': 'custom index',
      'sub/default.htm': 'custom sub index',
      'sub/index.html': 'standard sub index',
      'hello.txt': 'hello world\n',
      'hello.txt.gz': 'fake gzip bytes',
      '.hidden': 'HIDDEN-DOTFILE-CONTENT',
      '.well-known/x.txt': 'WELLKNOWN-CONTENT',
      'noindex/a.txt': 'a',
    });
    s = await startApp((app) => {
      app.serveDir('/h', t.root, { cacheControl: CC, headers: EXTRA });
      app.serveDir('/noetag', t.root, { etag: false });
      app.serveDir('/nolm', t.root, { lastModified: false });
      app.serveDir('/idx', t.root, { index: 'default.htm' });
      app.serveDir('/noidx', t.root, { index: false });
      app.serveDir('/dot', t.root, { dotfiles: 'allow' });
      app.serveDir('/spa', t.root, { spa: 'index.html' });
      app.serveDir('/plain', t.root);
    });
  });
  afterAll(async () => {
    await s?.stop();
    t?.cleanup();
  });

  it('cacheControl and headers appear on a 200, after the generated fields and before Date', async () => {
    const r = await getRaw(s.port, '/h/hello.txt');
    expect(r.status).toBe(200);
    expect(r.headers['cache-control']).toBe(CC);
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['x-served-by']).toBe('files-suite');
    expect(r.headers['vary']).toBe('Accept-Encoding');
    expectHeaderOrder(r, [
      'content-type',
      'content-length',
      'etag',
      'last-modified',
      'cache-control',
      'accept-ranges',
      'vary',
      'x-frame-options',
      'x-served-by',
      'date',
    ]);
  });

  it('a variant response puts Content-Encoding after Vary and before the headers option', async () => {
    const r = await getRaw(s.port, '/h/hello.txt', { 'Accept-Encoding': 'gzip' });
    expect(r.headers['content-encoding']).toBe('gzip');
    expectHeaderOrder(r, [
      'content-type',
      'content-length',
      'etag',
      'last-modified',
      'cache-control',
      'accept-ranges',
      'vary',
      'content-encoding',
      'x-frame-options',
      'x-served-by',
      'date',
    ]);
  });

  it('cacheControl and headers appear on HEAD, 304 and 206 too', async () => {
    const h = await send(s.port, 'HEAD', '/h/hello.txt');
    expect(h.headers['cache-control']).toBe(CC);
    expect(h.headers['x-served-by']).toBe('files-suite');
    const nm = await getRaw(s.port, '/h/hello.txt', { 'If-None-Match': etagOf(t.file('hello.txt')) });
    expectBare304(nm);
    expect(nm.headers['cache-control']).toBe(CC);
    expect(nm.headers['x-frame-options']).toBe('DENY');
    expect(nm.headers['x-served-by']).toBe('files-suite');
    const pr = await getRaw(s.port, '/h/hello.txt', { Range: 'bytes=0-4' });
    expect(pr.status).toBe(206);
    expect(pr.text).toBe('hello');
    expect(pr.headers['cache-control']).toBe(CC);
    expect(pr.headers['x-served-by']).toBe('files-suite');
  });

  it('without the options there is no Cache-Control and no extra field', async () => {
    const r = await getRaw(s.port, '/plain/hello.txt');
    expect(r.headers['cache-control']).toBeUndefined();
    expect(r.headers['x-frame-options']).toBeUndefined();
    expect(r.headers['x-served-by']).toBeUndefined();
  });

  it('etag: false sends no ETag (200, HEAD, 304) and keeps Last-Modified', async () => {
    const r = await getRaw(s.port, '/noetag/hello.txt');
    expect(r.status).toBe(200);
    expect(r.headers['etag']).toBeUndefined();
    expect(r.headers['last-modified']).toBe(MTIME_HTTP);
    const h = await send(s.port, 'HEAD', '/noetag/hello.txt');
    expect(h.headers['etag']).toBeUndefined();
    const nm = await getRaw(s.port, '/noetag/hello.txt', { 'If-Modified-Since': MTIME_HTTP });
    expectBare304(nm);
    expect(nm.headers['etag']).toBeUndefined();
  });

  it('lastModified: false sends no Last-Modified (200, HEAD, 304) and keeps the ETag', async () => {
    const r = await getRaw(s.port, '/nolm/hello.txt');
    expect(r.status).toBe(200);
    expect(r.headers['last-modified']).toBeUndefined();
    expect(r.headers['etag']).toBe(etagOf(t.file('hello.txt')));
    const h = await send(s.port, 'HEAD', '/nolm/hello.txt');
    expect(h.headers['last-modified']).toBeUndefined();
    const nm = await getRaw(s.port, '/nolm/hello.txt', { 'If-None-Match': etagOf(t.file('hello.txt')) });
    expectBare304(nm);
    expect(nm.headers['last-modified']).toBeUndefined();
    expect(nm.headers['etag']).toBe(etagOf(t.file('hello.txt')));
  });

  it('index: a custom name is served for directories; index.html is then not', async () => {
    const r = await getRaw(s.port, '/idx/');
    expect(r.status).toBe(200);
    expect(r.text).toBe('custom index');
    const sub = await getRaw(s.port, '/idx/sub/');
    expect(sub.text).toBe('custom sub index');
    const noindex = await getRaw(s.port, '/idx/noindex/');
    expect(noindex.status).toBe(404);
  });

  it('index: false makes every directory a miss (404) but still redirects a directory without slash', async () => {
    const r = await getRaw(s.port, '/noidx/');
    expect(r.status).toBe(404);
    expect(r.text).not.toContain('spa shell');
    const sub = await getRaw(s.port, '/noidx/sub/');
    expect(sub.status).toBe(404);
    expect(sub.text).not.toContain('sub index');
    const redirect = await getRaw(s.port, '/noidx/sub');
    expect(redirect.status).toBe(301);
    expect(redirect.headers['location']).toBe('/noidx/sub/');
    // index.html itself is still a file.
    const file = await getRaw(s.port, '/noidx/index.html');
    expect(file.text).toBe('<h1>spa shell</h1>');
  });

  it("dotfiles: 'allow' serves dotfiles and dot-directories", async () => {
    const r = await getRaw(s.port, '/dot/.hidden');
    expect(r.status).toBe(200);
    expect(r.text).toBe('HIDDEN-DOTFILE-CONTENT');
    const wk = await getRaw(s.port, '/dot/.well-known/x.txt');
    expect(wk.status).toBe(200);
    expect(wk.text).toBe('WELLKNOWN-CONTENT');
    const enc = await getRaw(s.port, '/dot/%2ehidden');
    expect(enc.text).toBe('HIDDEN-DOTFILE-CONTENT');
  });

  it("dotfiles: 'allow' still refuses .. (400)", async () => {
    const r = await getRaw(s.port, '/dot/.well-known/../hello.txt');
    expect(r.status).toBe(400);
    const enc = await getRaw(s.port, '/dot/%2e%2e/secret.txt');
    expect(enc.status).toBe(400);
  });

  it('the same dotfiles are 404 on a mount with the default', async () => {
    for (const p of ['/plain/.hidden', '/plain/.well-known/x.txt']) {
      const r = await getRaw(s.port, p);
      expect(r.status, p).toBe(404);
      expect(r.raw.toString(), p).not.toMatch(/HIDDEN-DOTFILE|WELLKNOWN/);
    }
  });

  const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

  it('spa: a GET miss that accepts text/html gets the spa file with its validators', async () => {
    const r = await getRaw(s.port, '/spa/some/client/route', { Accept: HTML });
    expect(r.status).toBe(200);
    expect(r.text).toBe('<h1>spa shell</h1>');
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['etag']).toBe(etagOf(t.file('index.html')));
    expect(r.headers['last-modified']).toBe(MTIME_HTTP);
    const plain = await getRaw(s.port, '/spa/x', { Accept: 'text/html' });
    expect(plain.text).toBe('<h1>spa shell</h1>');
  });

  it('spa: a directory without index is a miss that gets the spa file', async () => {
    const r = await getRaw(s.port, '/spa/noindex/', { Accept: 'text/html' });
    expect(r.status).toBe(200);
    expect(r.text).toBe('<h1>spa shell</h1>');
  });

  it('spa: HEAD gets the spa head without a body', async () => {
    const r = await send(s.port, 'HEAD', '/spa/route', { Accept: 'text/html' });
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String('<h1>spa shell</h1>'.length));
    expect(r.body.length).toBe(0);
  });

  it('spa: conditional requests apply to the spa file', async () => {
    const r = await getRaw(s.port, '/spa/route', { Accept: 'text/html', 'If-None-Match': etagOf(t.file('index.html')) });
    expectBare304(r);
    expect(r.headers['etag']).toBe(etagOf(t.file('index.html')));
  });

  it('spa: existing files are still served as themselves', async () => {
    const r = await getRaw(s.port, '/spa/hello.txt', { Accept: HTML });
    expect(r.text).toBe('hello world\n');
  });

  it('spa: a miss without text/html in Accept is a 404', async () => {
    for (const accept of [undefined, 'application/json', '*/*', 'image/*', 'text/plain']) {
      const r = await getRaw(s.port, '/spa/some/route', accept === undefined ? {} : { Accept: accept });
      expect(r.status, String(accept)).toBe(404);
      expect(r.text, String(accept)).not.toContain('spa shell');
    }
  });

  it('spa: not used for other methods, dotfiles, bad paths or ..', async () => {
    const post = await send(s.port, 'POST', '/spa/route', { Accept: 'text/html' }, { body: 'x' });
    expect(post.status).toBe(404);
    expect(post.text).not.toContain('spa shell');
    const dot = await getRaw(s.port, '/spa/.hidden', { Accept: 'text/html' });
    expect(dot.status).toBe(404);
    expect(dot.raw.toString()).not.toMatch(/spa shell|HIDDEN-DOTFILE/);
    const bad = await getRaw(s.port, '/spa/%zz', { Accept: 'text/html' });
    expect(bad.status).toBe(400);
    expect(bad.text).not.toContain('spa shell');
    const dotdot = await getRaw(s.port, '/spa/a/../b', { Accept: 'text/html' });
    expect(dotdot.status).toBe(400);
    expect(dotdot.text).not.toContain('spa shell');
    const m405 = await send(s.port, 'DELETE', '/spa/hello.txt', { Accept: 'text/html' });
    expect(m405.status).toBe(405);
    expect(m405.text).not.toContain('spa shell');
  });

  it('spa: a directory without slash is still redirected, not answered with the spa file', async () => {
    const r = await getRaw(s.port, '/spa/sub', { Accept: 'text/html' });
    expect(r.status).toBe(301);
    expect(r.headers['location']).toBe('/spa/sub/');
  });
});
