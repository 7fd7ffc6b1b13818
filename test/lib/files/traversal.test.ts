// Path traversal: every encoding of "..", NUL and control bytes, backslashes, absolute-form targets and
// symlinks. Each attempt gets its status and, whatever the status, the bytes of the secret file next to
// the root (and of /etc/passwd) never appear in what the server sends.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp, type Started } from '../../helpers/app.js';
import { rawRequest, show } from '../../helpers/http.js';
import { SECRET_MARKER, makeTree, send, type Tree } from './fixture.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

let t: Tree;
let s: Started;

beforeAll(async () => {
  t = makeTree({
    'public.txt': 'PUBLIC-CONTENT',
    'sub/a.txt': 'SUB-A-CONTENT',
    'sub/up.txt': { symlink: '../public.txt' },
    'inside-link': { symlink: 'public.txt' },
    'inside-dirlink': { symlink: 'sub' },
    'outside-link': { symlink: '../secret.txt' },
    'outside-dirlink': { symlink: '..' },
    'sibling-link': { symlink: '../root2/secret.txt' },
    'sibling-dirlink': { symlink: '../root2' },
    'sub/escape': { symlink: '../../secret.txt' },
    'chain1': { symlink: 'chain2' },
    'chain2': { symlink: '../secret.txt' },
    'loop': { symlink: 'loop' },
    'dangling': { symlink: 'does-not-exist' },
    'proc-root': { symlink: '/proc/self/root' },
    '%2e%2e/x.txt': 'LITERAL-DOTDOT-DIR',
    '.hidden': 'HIDDEN-DOTFILE-CONTENT',
  });
  // Absolute symlinks need the temp path; a sibling dir whose name starts like the root's catches a
  // "starts with root" string check that forgets the separator.
  fs.symlinkSync(t.secretPath, path.join(t.root, 'outside-abs'));
  fs.mkdirSync(path.join(t.base, 'root2'));
  fs.writeFileSync(path.join(t.base, 'root2', 'secret.txt'), `${SECRET_MARKER} (root2)\n`);
  s = await startApp((app) => {
    app.serveDir('/static', t.root);
    app.serveDir('/dot', t.root, { dotfiles: 'allow' });
    app.serveDir('/', t.root);
  });
});

afterAll(async () => {
  await s?.stop();
  t?.cleanup();
});

/** Sends the target byte for byte and checks the status and that nothing secret leaked. */
async function attempt(target: string, status: number | number[], method = 'GET') {
  const r = await rawRequest(s.port, Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: localhost\r\n\r\n`, 'latin1'), {
    noBody: [method === 'HEAD'],
    timeoutMs: 4000,
  });
  const text = r.raw.toString('latin1');
  expect(text, `${target}: the secret leaked: ${show(r.raw)}`).not.toContain(SECRET_MARKER);
  expect(text, `${target}: /etc/passwd leaked`).not.toMatch(/root:x?:0:0:/);
  expect(r.responses.length, `${target}: received ${show(r.raw)}`).toBeGreaterThanOrEqual(1);
  const allowed = Array.isArray(status) ? status : [status];
  expect(allowed, `${target}: got ${r.responses[0].status}: ${show(r.raw)}`).toContain(r.responses[0].status);
  return r.responses[0];
}

describe('.. in every encoding is 400', () => {
  const targets = [
    '/../secret.txt',
    '/..',
    '/sub/../../secret.txt',
    '/sub/../public.txt', // a .. segment is refused even when it would stay inside
    '/' + '../'.repeat(16) + 'etc/passwd',
    '/..%2fsecret.txt',
    '/..%2Fsecret.txt',
    '/sub/..%2f..%2fsecret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/%2e%2e',
    '/%2e%2e%2fsecret.txt',
    '/.%2E/secret.txt',
    '/.%2e/secret.txt',
    '/%2e./secret.txt',
    '/sub/%2e%2e/%2e%2e/secret.txt',
    '/static/../secret.txt',
    '/static/..',
    '/static/%2e%2e/secret.txt',
    '/static/sub/..%2f..%2f..%2fsecret.txt',
    '/dot/../secret.txt',
    '/dot/%2e%2e/secret.txt',
    '/dot/.%2e/secret.txt',
  ];
  for (const target of targets) it(target, () => attempt(target, 400));
});

describe('NUL, control bytes and backslashes are 400', () => {
  const targets = [
    '/secret.txt%00',
    '/public.txt%00.html',
    '/%00',
    '/%00/../secret.txt',
    '/public.txt%0a',
    '/public.txt%0d%0a',
    '/public%7f.txt',
    '/%5c..%5csecret.txt',
    '/..%5csecret.txt',
    '/%2e%2e%5csecret.txt',
    '/sub%5Ca.txt',
    '/%5C',
    '/..\\secret.txt',
    '/sub\\..\\..\\secret.txt',
    '/sub\\a.txt',
  ];
  for (const target of targets) it(JSON.stringify(target), () => attempt(target, 400));
});

describe('absolute-form targets are mapped like origin-form', () => {
  it('http://localhost/../x is 400', () => attempt('http://localhost/../secret.txt', 400));
  it('http://localhost/%2e%2e/secret is 400', () => attempt('http://localhost/%2e%2e/secret.txt', 400));
  it('http://localhost/static/../secret is 400', () => attempt('http://localhost/static/../secret.txt', 400));
  it('http://localhost/%2fetc%2fpasswd is not the system file', () => attempt('http://localhost/%2fetc%2fpasswd', 404));
  it('http://localhost/public.txt is served', async () => {
    const r = await attempt('http://localhost/public.txt', 200);
    expect(r.text).toBe('PUBLIC-CONTENT');
  });
});

describe('double encoding is decoded once', () => {
  it('%252e%252e is a name, not ..', () => attempt('/%252e%252e/secret.txt', 404));
  it('%252e%252e names the literal directory "%2e%2e"', async () => {
    const r = await attempt('/%252e%252e/x.txt', 200);
    expect(r.text).toBe('LITERAL-DOTDOT-DIR');
  });
  it('%252f is a literal "%2f", not a separator', () => attempt('/..%252fsecret.txt', [404]));
});

describe('other tricks map to names under the root (404)', () => {
  const targets = [
    '/%2fetc%2fpasswd',
    '//etc/passwd',
    '/%2F%2Fetc/passwd',
    '/..;/secret.txt',
    '/secret.txt',
    '/root2/secret.txt',
    '/%c0%ae%c0%ae/secret.txt', // overlong UTF-8 is bytes, not '.'
    '/%e0%80%ae%e0%80%ae/secret.txt',
    '/...',
    '/dot/...',
    '/dot/..../secret.txt',
  ];
  for (const target of targets) it(target, () => attempt(target, [400, 404]));
  it('... is a dotfile name (404)', () => attempt('/...', 404));
});

describe('symlinks', () => {
  it('a file symlink inside the root to a file inside is followed', async () => {
    const r = await attempt('/inside-link', 200);
    expect(r.text).toBe('PUBLIC-CONTENT');
  });
  it('a symlink with .. that stays inside is followed', async () => {
    const r = await attempt('/sub/up.txt', 200);
    expect(r.text).toBe('PUBLIC-CONTENT');
  });
  it('a directory symlink inside is followed', async () => {
    const r = await attempt('/inside-dirlink/a.txt', 200);
    expect(r.text).toBe('SUB-A-CONTENT');
  });
  const out: Array<[string, () => string]> = [
    ['relative to a file outside', () => '/outside-link'],
    ['absolute to a file outside', () => '/outside-abs'],
    ['to the parent directory', () => '/outside-dirlink/secret.txt'],
    ['to a sibling dir whose name starts like the root', () => '/sibling-link'],
    ['through a sibling directory link', () => '/sibling-dirlink/secret.txt'],
    ['from a subdirectory, two levels up', () => '/sub/escape'],
    ['a chain whose last link leaves', () => '/chain1'],
    ['through /proc/self/root (an absolute link to /)', () => `/proc-root${t.secretPath}`],
    ['on another mount of the same root', () => '/static/outside-link'],
    ['on a mount allowing dotfiles', () => '/dot/outside-link'],
  ];
  for (const [label, target] of out) it(`a symlink leaving the root, ${label}: 404`, () => attempt(target(), 404));
  it('HEAD on a symlink leaving the root: 404', () => attempt('/outside-link', 404, 'HEAD'));
  it('a symlink loop: a miss (404)', () => attempt('/loop', 404));
  it('a dangling symlink: a miss (404)', () => attempt('/dangling', 404));
  it('the outside file is not reachable by any other method either', async () => {
    const r = await send(s.port, 'POST', '/outside-link', {}, { body: 'x' });
    expect(r.raw.toString('latin1')).not.toContain(SECRET_MARKER);
    expect(r.status).toBe(404);
  });
});

describe('permission denied is 403', () => {
  let p: Tree;
  let ps: Started;
  beforeAll(async () => {
    p = makeTree({
      'locked.txt': 'LOCKED-CONTENT',
      'locked-dir/x.txt': 'LOCKED-DIR-CONTENT',
      'index.html': 'SPA-SHELL',
      'open.txt': 'OPEN-CONTENT',
    });
    fs.chmodSync(p.file('locked.txt'), 0o000);
    fs.chmodSync(p.file('locked-dir'), 0o000);
    ps = await startApp((app) => {
      app.serveDir('/spa', p.root, { spa: 'index.html', fallthrough: true });
      app.serveDir('/spa', t.root);
      app.serveDir('/', p.root);
    });
  });
  afterAll(async () => {
    await ps?.stop();
    fs.chmodSync(p.file('locked-dir'), 0o755);
    p?.cleanup();
  });

  /** Root reads anything: drop the effective uid while the server opens files (the server runs here). */
  async function unprivileged<T>(fn: () => Promise<T>): Promise<T> {
    const isRoot = process.geteuid!() === 0;
    if (isRoot) process.seteuid!(65534);
    try {
      return await fn();
    } finally {
      if (isRoot) process.seteuid!(0);
    }
  }

  it('a file the server may not read: 403, not its bytes', async () => {
    const r = await unprivileged(() => send(ps.port, 'GET', '/locked.txt'));
    expect(r.status).toBe(403);
    expect(r.raw.toString()).not.toContain('LOCKED-CONTENT');
  });

  it('a file in a directory the server may not search: 403', async () => {
    const r = await unprivileged(() => send(ps.port, 'GET', '/locked-dir/x.txt'));
    expect(r.status).toBe(403);
    expect(r.raw.toString()).not.toContain('LOCKED-DIR-CONTENT');
  });

  it('a readable file next to them is served (the 403s are not a broken setup)', async () => {
    const r = await unprivileged(() => send(ps.port, 'GET', '/open.txt'));
    expect(r.status).toBe(200);
    expect(r.text).toBe('OPEN-CONTENT');
  });

  it('a 403 is not a miss: no spa file, no fallthrough', async () => {
    const r = await unprivileged(() => send(ps.port, 'GET', '/spa/locked.txt', { Accept: 'text/html' }));
    expect(r.status).toBe(403);
    expect(r.raw.toString()).not.toMatch(/SPA-SHELL|LOCKED-CONTENT/);
  });
});

describe('with curl --path-as-is (a real client that can send .. unnormalised)', () => {
  const curl = (url: string) =>
    new Promise<{ code: string; out: string }>((resolve) => {
      execFile('curl', ['--path-as-is', '-s', '-o', '-', '-w', '\n%{http_code}', '--max-time', '4', url], (_err, stdout) => {
        const i = stdout.lastIndexOf('\n');
        resolve({ code: stdout.slice(i + 1), out: stdout.slice(0, i) });
      });
    });
  for (const p of ['/../secret.txt', '/static/../../secret.txt', '/%2e%2e/secret.txt', '/sub/..%2f..%2fsecret.txt']) {
    it(`${p}: 400 and no secret`, async () => {
      const r = await curl(`${s.base}${p}`);
      expect(r.out).not.toContain(SECRET_MARKER);
      expect(r.code).toBe('400');
    });
  }
  it('a symlink leaving the root: 404 and no secret', async () => {
    const r = await curl(`${s.base}/outside-link`);
    expect(r.out).not.toContain(SECRET_MARKER);
    expect(r.code).toBe('404');
  });
  it('a file is served to curl', async () => {
    const r = await curl(`${s.base}/public.txt`);
    expect(r.code).toBe('200');
    expect(r.out).toBe('PUBLIC-CONTENT');
  });
});
