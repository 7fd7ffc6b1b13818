// `uvhttp serve` (lib/cli.ts) as a user runs it: a child process from dist/cli.js that prints where it
// serves, serves the directory, and exits 0 with its port closed on SIGTERM and SIGINT; --help; and the
// exit codes of a bad argument (2) and of a directory it cannot serve (1). `uvhttp app.js` runs an app
// module, on a Unix socket with --unix and in worker threads with --workers.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runToEnd, startServe, type Served } from '../helpers/cli.js';
import { tryConnect } from '../helpers/http.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
const site = mkdtempSync(join(tmpdir(), 'uvhttp-cli-'));
const running: Served[] = [];

const uvhttp = (args: string[], cwd = root) => runToEnd(process.execPath, [cli, ...args], { cwd });

/** One GET over a Unix domain socket. */
function overUnix(socketPath: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .request({ socketPath, path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject)
      .end();
  });
}

/** One GET on a new connection to 127.0.0.1, with the response's Connection field. */
function getNew(port: number, path: string): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body, connection: res.headers.connection }));
      })
      .on('error', reject);
  });
}
async function serve(args: string[], cwd = root): Promise<Served> {
  const s = await startServe(process.execPath, [cli, 'serve', ...args], { cwd });
  running.push(s);
  return s;
}

beforeAll(async () => {
  // The CLI runs from dist/ as the package ships it: compile the TypeScript first.
  const tsc = await runToEnd('npm', ['run', 'build:ts'], { cwd: root }, 60_000);
  if (tsc.code !== 0) throw new Error(`npm run build:ts failed\n${tsc.stdout}\n${tsc.stderr}`);
  writeFileSync(join(site, 'hello.txt'), 'hello from a file\n');
  writeFileSync(join(site, 'index.html'), '<!doctype html><title>index</title>\n');
  writeFileSync(join(site, 'app.html'), '<!doctype html><title>app</title>\n');
  mkdirSync(join(site, 'sub'));
  writeFileSync(join(site, 'sub', 'page.txt'), 'nested\n');
}, 60_000);

afterEach(() => {
  for (const s of running.splice(0)) s.kill();
});

afterAll(() => rmSync(site, { recursive: true, force: true }));

describe('the executable', () => {
  it('starts with a shebang line, so npm can link it as the uvhttp bin', () => {
    expect(readFileSync(cli, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.bin).toEqual({ uvhttp: './dist/cli.js' });
  });
});

describe('uvhttp serve', () => {
  it('prints the directory and URL, serves files under it, and exits 0 on SIGTERM with the port closed', async () => {
    const s = await serve([site, '--port', '0', '--host', '127.0.0.1']);
    expect(s.dir).toBe(site);
    expect(s.url).toBe(`http://127.0.0.1:${s.port}/`);
    expect(s.port).toBeGreaterThan(0);

    const hello = await fetch(new URL('hello.txt', s.url));
    expect(hello.status).toBe(200);
    expect(hello.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await hello.text()).toBe('hello from a file\n');
    expect(await (await fetch(new URL('sub/page.txt', s.url))).text()).toBe('nested\n');
    expect(await (await fetch(s.url)).text()).toContain('<title>index</title>');
    expect((await fetch(new URL('missing.txt', s.url))).status).toBe(404);

    // fetch keeps its connection open: the server must not wait for it.
    const ended = await s.stop('SIGTERM', 5000);
    expect(ended.signal).toBeNull();
    expect(ended.code, ended.stderr).toBe(0);
    expect(await tryConnect(s.port)).toBe('ECONNREFUSED');
  });

  it('exits 0 on SIGINT (Ctrl-C) with the port closed', async () => {
    const s = await serve([site, '--port', '0', '--host', '127.0.0.1']);
    expect((await fetch(new URL('hello.txt', s.url))).status).toBe(200);
    const ended = await s.stop('SIGINT', 5000);
    expect(ended.signal).toBeNull();
    expect(ended.code, ended.stderr).toBe(0);
    expect(await tryConnect(s.port)).toBe('ECONNREFUSED');
  });

  it('serves the current directory on every interface by default, and prints a localhost URL for it', async () => {
    const s = await serve(['--port', '0'], site);
    expect(s.dir).toBe(site);
    expect(s.url).toBe(`http://localhost:${s.port}/`);
    expect(s.line).toMatch(/all interfaces/);
    expect(await (await fetch(`http://127.0.0.1:${s.port}/hello.txt`)).text()).toBe('hello from a file\n');
    expect((await s.stop('SIGTERM')).code).toBe(0);
  });

  it('passes --prefix, --cache-control and --spa to serveDir', async () => {
    const s = await serve([site, '--port', '0', '--host', '127.0.0.1', '--prefix', '/static', '--cache-control', 'no-cache', '--spa']);
    expect(s.url).toBe(`http://127.0.0.1:${s.port}/static/`);
    const hello = await fetch(`http://127.0.0.1:${s.port}/static/hello.txt`);
    expect(hello.status).toBe(200);
    expect(hello.headers.get('cache-control')).toBe('no-cache');
    expect((await fetch(`http://127.0.0.1:${s.port}/hello.txt`)).status).toBe(404);
    // A page request for a path that is no file gets the SPA's index.html; other requests a 404.
    const page = await fetch(`http://127.0.0.1:${s.port}/static/some/route`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>index</title>');
    expect((await fetch(`http://127.0.0.1:${s.port}/static/some/route`, { headers: { accept: 'application/json' } })).status).toBe(404);
    expect((await s.stop('SIGTERM')).code).toBe(0);
  });

  it('takes an HTML file after --spa as its value, and a directory after --spa as the directory', async () => {
    const a = await serve(['--spa', 'app.html', site, '--port', '0', '--host', '127.0.0.1']);
    expect(a.dir).toBe(site);
    expect(await (await fetch(new URL('route', a.url), { headers: { accept: 'text/html' } })).text()).toContain('<title>app</title>');
    expect((await a.stop('SIGTERM')).code).toBe(0);

    const b = await serve(['--port', '0', '--host', '127.0.0.1', '--spa', site]);
    expect(b.dir).toBe(site);
    expect(await (await fetch(new URL('route', b.url), { headers: { accept: 'text/html' } })).text()).toContain('<title>index</title>');
    expect((await b.stop('SIGTERM')).code).toBe(0);
  });

  it('--unix serves the directory on a Unix socket, and removes the socket file when it exits', async () => {
    const sock = join(site, 'dir.sock');
    const s = await serve([site, '--unix', sock]);
    expect(s.url).toBe(`unix:${sock}`);
    expect(await overUnix(sock, '/hello.txt')).toEqual({ status: 200, body: 'hello from a file\n' });
    expect((await s.stop('SIGTERM')).code).toBe(0);
    expect(existsSync(sock)).toBe(false);
  });

  it('exits 1 with a message when the port is taken', async () => {
    const first = await serve([site, '--port', '0', '--host', '127.0.0.1']);
    const r = await uvhttp(['serve', site, '--port', String(first.port), '--host', '127.0.0.1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${first.port}`);
    expect(r.stdout).toBe('');
    expect((await first.stop('SIGTERM')).code).toBe(0);
  });
});

describe('uvhttp --help', () => {
  it.each([['--help'], ['-h'], ['serve', '--help']])('%s prints the usage and exits 0', async (...args) => {
    const r = await uvhttp(args);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage: uvhttp serve \[dir\] \[options\]/);
    for (const flag of ['--port', '--host', '--unix', '--workers', '--access-log', '--access-log-format', '--prefix', '--spa', '--cache-control', '--help', 'SIGINT', 'SIGTERM']) expect(r.stdout).toContain(flag);
  });
});

describe('a bad argument exits 2 with a message that names it', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['an unknown flag', ['serve', '--bogus'], /Unknown option '--bogus'/],
    ['a port that is not a number', ['serve', '--port', 'abc'], /--port must be an integer from 0 to 65535, got 'abc'/],
    ['a port over 65535', ['serve', '--port', '65536'], /--port must be an integer from 0 to 65535, got '65536'/],
    ['a negative port', ['serve', '--port=-1'], /--port must be an integer/],
    ['a port without its value', ['serve', '--port'], /--port <value>' argument missing/],
    ['no command', [], /missing command/],
    ['another command', ['start'], /unknown command 'start'/],
    ['two directories', ['serve', 'a', 'b'], /serve takes one directory, got also 'b'/],
    ['a prefix without its slash', ['serve', '--prefix', 'static'], /--prefix must start with '\/', got 'static'/],
    ['an empty host', ['serve', '--host='], /--host must not be empty/],
    ['no workers', ['app.js', '--workers', '0'], /--workers must be an integer from 1 to 1024, got '0'/],
    ['workers that are not a number', ['app.js', '--workers', 'abc'], /--workers must be an integer from 1 to 1024, got 'abc'/],
    ['workers for serve', ['serve', '--workers', '2'], /--workers is for an app module, not for serve/],
    ['an empty Unix socket path', ['serve', '--unix='], /--unix needs the socket file path/],
    ['a Unix socket and a port', ['app.js', '--unix', '/tmp/x.sock', '--port', '8080'], /--unix listens on a socket file: give it without --port and --host/],
    ['a Unix socket for several workers', ['app.js', '--unix', '/tmp/x.sock', '--workers', '2'], /a Unix socket cannot be shared by --workers/],
    ['an empty access log path', ['serve', '--access-log='], /--access-log needs a file path, or - for stdout/],
    ['an unknown access log format', ['serve', '--access-log', 'a.log', '--access-log-format', 'jsonl'], /--access-log-format must be combined, common or json, got 'jsonl'/],
    ['a format without a log', ['serve', '--access-log-format', 'json'], /--access-log-format needs --access-log/],
    // Checked by serveDir itself (UVHTTP_ERR_INVALID_ARG / UVHTTP_ERR_INVALID_OPTION), after the addon loads.
    ['a prefix serveDir refuses', ['serve', site, '--prefix', '/a*b'], /prefix/],
    ['a Cache-Control value with a line break', ['serve', site, '--cache-control', 'no-cache\r\nX-Injected: 1'], /cacheControl/],
  ];
  it.each(cases)('%s', async (_, args, message) => {
    const r = await uvhttp(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('uvhttp --help');
  });
});

describe('a directory it cannot serve exits 1', () => {
  it('one that does not exist', async () => {
    const r = await uvhttp(['serve', join(site, 'nope')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot serve ${join(site, 'nope')}: no such directory`);
  });

  it('a file', async () => {
    const r = await uvhttp(['serve', join(site, 'hello.txt')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot serve ${join(site, 'hello.txt')}: not a directory`);
  });
});

describe('--access-log', () => {
  const logs = mkdtempSync(join(tmpdir(), 'uvhttp-cli-logs-'));
  const index = pathToFileURL(join(root, 'dist', 'index.js')).href;
  afterAll(() => rmSync(logs, { recursive: true, force: true }));
  const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

  it('serve: a combined line per file request, written by the time it exits', async () => {
    const log = join(logs, 'serve.log');
    const s = await serve([site, '--port', '0', '--host', '127.0.0.1', '--access-log', log]);
    expect((await getNew(s.port, '/hello.txt')).status).toBe(200);
    expect((await getNew(s.port, '/missing')).status).toBe(404);
    expect((await s.stop('SIGTERM')).code).toBe(0);
    expect(lines(log)).toEqual([
      expect.stringMatching(/^127\.0\.0\.1 - - \[.+\] "GET \/hello\.txt HTTP\/1\.1" 200 18 "-" "-"$/),
      expect.stringMatching(/"GET \/missing HTTP\/1\.1" 404 \d+ "-" "-"$/),
    ]);
  });

  it('an app module with --workers 2: JSON lines from both workers in one file; SIGHUP reopens it in each', async () => {
    writeFileSync(
      join(logs, 'app.mjs'),
      `import { createServer } from ${JSON.stringify(index)};\nconst app = createServer();\napp.get('/:n', (req) => req.params.n);\nexport default app;\n`,
    );
    const log = join(logs, 'workers.log');
    const s = await startServe(process.execPath, [cli, 'app.mjs', '--port', '0', '--host', '127.0.0.1', '--workers', '2', '--access-log', log, '--access-log-format', 'json'], { cwd: logs });
    running.push(s);
    for (let i = 0; i < 40; i++) expect((await getNew(s.port, `/${i}`)).body).toBe(String(i));
    await new Promise((r) => setTimeout(r, 1300)); // each worker's once-a-second write
    const { renameSync } = await import('node:fs');
    renameSync(log, `${log}.1`);
    s.signal('SIGHUP');
    await new Promise((r) => setTimeout(r, 300));
    expect((await getNew(s.port, '/after')).body).toBe('after');
    expect((await s.stop('SIGTERM')).code).toBe(0);
    const before = lines(`${log}.1`).map((l) => JSON.parse(l) as { url: string; status: number });
    expect(before.map((l) => l.url).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `/${i}`).sort());
    expect(before.every((l) => l.status === 200)).toBe(true);
    expect(lines(log).map((l) => (JSON.parse(l) as { url: string }).url)).toEqual(['/after']);
  });

  it('a log it cannot open exits 1 with the reason', async () => {
    const r = await uvhttp(['serve', site, '--port', '0', '--access-log', join(logs, 'no', 'such', 'dir.log')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot open the access log .*No such file or directory/);
  });
});

describe('uvhttp <app module>', () => {
  const apps = mkdtempSync(join(tmpdir(), 'uvhttp-cli-apps-'));
  const index = pathToFileURL(join(root, 'dist', 'index.js')).href;
  afterAll(() => rmSync(apps, { recursive: true, force: true }));

  async function run(file: string, args: string[] = []): Promise<Served> {
    const s = await startServe(process.execPath, [cli, file, '--port', '0', '--host', '127.0.0.1', ...args], { cwd: apps });
    running.push(s);
    return s;
  }

  it('runs a default export with fetch() (a fetch handler object, as Bun and srvx take it), and exits 0 on SIGTERM', async () => {
    writeFileSync(join(apps, 'fetch.mjs'), `export default { fetch: (req) => new Response('fetch app ' + new URL(req.url).pathname) };\n`);
    const s = await run('fetch.mjs');
    expect(s.line).toContain(join(apps, 'fetch.mjs'));
    expect(await (await fetch(`http://127.0.0.1:${s.port}/x`)).text()).toBe('fetch app /x');
    const end = await s.stop('SIGTERM');
    expect(end.code).toBe(0);
    expect(await tryConnect(s.port)).toBe('ECONNREFUSED');
  });

  it('runs a default export that is an App, routes and all', async () => {
    writeFileSync(
      join(apps, 'app.mjs'),
      `import { createServer } from ${JSON.stringify(index)};\nconst app = createServer();\napp.get('/users/:id', (req) => ({ id: req.params.id }));\nexport default app;\n`,
    );
    const s = await run('app.mjs');
    expect(await (await fetch(`http://127.0.0.1:${s.port}/users/9`)).json()).toEqual({ id: '9' });
    expect((await s.stop('SIGINT')).code).toBe(0);
  });

  it('--workers 2 serves from two worker threads, and SIGTERM lets an in-flight request finish, then exits 0', async () => {
    writeFileSync(
      join(apps, 'threads.mjs'),
      `import { threadId } from 'node:worker_threads';\nimport { createServer } from ${JSON.stringify(index)};\nconst app = createServer();\n` +
        `app.get('/', () => 'thread ' + threadId);\n` +
        `app.get('/slow', async () => { await new Promise((r) => setTimeout(r, 300)); return 'slow done'; });\nexport default app;\n`,
    );
    const s = await run('threads.mjs', ['--workers', '2']);
    expect(s.line).toMatch(/ \(2 workers\)$/);
    // New connections: the kernel spreads them over both workers' listeners.
    const threads = new Set<string>();
    for (let i = 0; i < 100 && threads.size < 2; i++) threads.add((await getNew(s.port, '/')).body);
    expect(threads.size).toBe(2);
    const slow = getNew(s.port, '/slow');
    await new Promise((r) => setTimeout(r, 100));
    const end = await s.stop('SIGTERM');
    expect(await slow).toEqual({ status: 200, body: 'slow done', connection: 'close' });
    expect(end.signal).toBeNull();
    expect(end.code, end.stderr).toBe(0);
    expect(await tryConnect(s.port)).toBe('ECONNREFUSED');
  });

  it('--unix serves a fetch handler module on a Unix socket; SIGINT exits 0 and removes the file', async () => {
    writeFileSync(join(apps, 'unix.mjs'), `export default { fetch: (req) => new Response('over unix ' + new URL(req.url).pathname) };\n`);
    const sock = join(apps, 'app.sock');
    const s = await startServe(process.execPath, [cli, 'unix.mjs', '--unix', sock], { cwd: apps });
    running.push(s);
    expect(s.url).toBe(`unix:${sock}`);
    expect(await overUnix(sock, '/p')).toEqual({ status: 200, body: 'over unix /p' });
    expect((await s.stop('SIGINT')).code).toBe(0);
    expect(existsSync(sock)).toBe(false);
  });

  it('a .ts module runs where Node strips types, and is refused with what to do where it does not', async () => {
    writeFileSync(join(apps, 'typed.ts'), `const port: number = 1;\nexport default { fetch: (_req: Request): Response => new Response('typed ' + port) };\n`);
    const strips = Boolean((process.features as { typescript?: unknown }).typescript);
    const r = await runToEnd(process.execPath, [cli, 'typed.ts', '--port', '0', '--host', '127.0.0.1'], { cwd: apps }, 3_000);
    // Serving, it is still running when runToEnd gives up; refused, it exited 1 with the reason.
    const outcome = { code: r.code, serving: /^Serving .*typed\.ts at http/m.test(r.stdout), refused: /does not strip types: use Node 22\.18/.test(r.stderr) };
    expect(outcome).toEqual(strips ? { code: null, serving: true, refused: false } : { code: 1, serving: false, refused: true });
  });

  it.each([
    ['no default export', 'none.mjs', 'export const x = 1;\n', /must be an object with a fetch\(request\) method, or an App/],
    ['a default export of the wrong kind', 'wrong.mjs', 'export default 42;\n', /must be an object with a fetch/],
    ['a module that throws when loaded', 'throws.mjs', "throw new Error('broken module');\n", /cannot load .*broken module/s],
  ])('%s exits 1 with a message', async (_what, file, source, message) => {
    writeFileSync(join(apps, file), source);
    const r = await uvhttp([join(apps, file), '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
  });

  it('a missing module exits 1; serve-only flags and extra arguments are bad arguments (2)', async () => {
    for (const workers of [[], ['--workers', '2']]) {
      const missing = await uvhttp([join(apps, 'nope.js'), ...workers]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(`uvhttp: cannot run ${join(apps, 'nope.js')}: no such file`);
    }
    const prefix = await uvhttp(['app.js', '--prefix', '/x']);
    expect(prefix.code).toBe(2);
    expect(prefix.stderr).toContain('--prefix is for serve');
    const extra = await uvhttp(['app.js', 'more']);
    expect(extra.code).toBe(2);
  });
});
