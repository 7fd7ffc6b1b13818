// The access log over real sockets: a line per answered request, natively served ones included (static
// routes, files, canned errors, malformed requests) as well as JS ones (plain, streamed, failed,
// abandoned), in the combined, common and JSON formats; escaping that a client cannot use to forge a
// line; reopening on SIGHUP after a rename; stdout. Each line belongs to its own request.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createServer, startApp, type Started } from '../helpers/app.js';
import { get, rawRequest, RawClient, show, sleep } from '../helpers/http.js';

vi.setConfig({ testTimeout: 15_000 });

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const dir = mkdtempSync(join(tmpdir(), 'uvhttp-access-log-'));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const logPath = () => join(dir, `access-${++n}.log`);
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');

// [26/Nov/2026:13:55:36 +0000]
const CLF_TIME = String.raw`\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\]`;

async function logged(options: Record<string, unknown>, configure: (app: any) => void, drive: (s: Started) => Promise<void>) {
  const s = await startApp(configure, options as never);
  try {
    await drive(s);
  } finally {
    await s.stop(); // close() writes what is buffered
  }
  return s;
}

function files() {
  const d = join(dir, `www-${++n}`);
  mkdirSync(d);
  writeFileSync(join(d, 'page.html'), '<p>hello</p>');
  return d;
}

describe('accessLog', () => {
  it('combined (the default format): static, file, JS, not-found, thrown, HEAD and malformed requests', async () => {
    const path = logPath();
    const www = files();
    let badLength = -1;
    const s = await logged(
      { accessLog: { path }, onError: () => {} },
      (app) => {
        app.static('/static', 'static body');
        app.get('/dynamic/:id', (req: any) => `dynamic ${req.params.id}`);
        app.get('/boom', () => {
          throw new Error('boom');
        });
        app.serveDir('/www', www);
      },
      async (s) => {
        const ua = { 'user-agent': 'test-agent/1.0', referer: 'http://ref.example/' };
        for (const target of ['/static', '/dynamic/7?q=1', '/nowhere', '/boom', '/www/page.html']) {
          const r = await rawRequest(s.port, get(target, ua));
          expect(r.responses.length, show(r.raw)).toBe(1);
        }
        const head = await rawRequest(s.port, 'HEAD /static HTTP/1.1\r\nHost: a\r\n\r\n', { noBody: [true] });
        expect(head.responses[0]!.status).toBe(200);
        const bad = await rawRequest(s.port, 'GET /x HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n', { waitForClose: true });
        expect(bad.responses[0]!.status).toBe(400);
        badLength = bad.responses[0]!.body.length;
      },
    );
    const got = lines(path);
    const tail = ' "http://ref.example/" "test-agent/1.0"';
    const expected = [
      `"GET /static HTTP/1.1" 200 11${tail}`,
      `"GET /dynamic/7?q=1 HTTP/1.1" 200 9${tail}`,
      `"GET /nowhere HTTP/1.1" 404 9${tail}`,
      `"GET /boom HTTP/1.1" 500 21${tail}`,
      `"GET /www/page.html HTTP/1.1" 200 12${tail}`,
      `"HEAD /static HTTP/1.1" 200 - "-" "-"`,
      `"-" 400 ${badLength} "-" "-"`,
    ];
    expect(got.length, got.join('\n')).toBe(expected.length);
    got.forEach((line, i) => {
      expect(line).toMatch(new RegExp(`^127\\.0\\.0\\.1 - - ${CLF_TIME} `));
      expect(line.slice(line.indexOf('] ') + 2), line).toBe(expected[i]);
    });
    expect(s.app.stats().accessLogLines).toBe(expected.length);
    expect(s.app.stats().accessLogDropped).toBe(0);
  });

  it('common: no Referer or User-Agent', async () => {
    const path = logPath();
    await logged({ accessLog: { path, format: 'common' } }, (app) => app.static('/', 'x'), async (s) => {
      await rawRequest(s.port, get('/', { 'user-agent': 'ua' }));
    });
    expect(lines(path)).toEqual([expect.stringMatching(new RegExp(`^127\\.0\\.0\\.1 - - ${CLF_TIME} "GET / HTTP/1\\.1" 200 1$`))]);
  });

  it('json: one object a line, with the time the answer took', async () => {
    const path = logPath();
    await logged(
      { accessLog: { path, format: 'json' } },
      (app) => {
        app.static('/s', 'static');
        app.get('/slow', async () => {
          await sleep(60);
          return 'slow';
        });
      },
      async (s) => {
        await rawRequest(s.port, get('/s', { 'user-agent': 'ua "quoted" \\ back' }));
        await rawRequest(s.port, get('/slow?x=%22'));
        await rawRequest(s.port, 'HTTP/1.1 200 OK\r\n\r\n', { waitForClose: true });
      },
    );
    const [a, b, c] = lines(path).map((l) => JSON.parse(l));
    expect(a).toMatchObject({ remote: '127.0.0.1', method: 'GET', url: '/s', protocol: 'HTTP/1.1', status: 200, bytes: 6, userAgent: 'ua "quoted" \\ back' });
    expect(a.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Math.abs(Date.parse(a.time) - Date.now())).toBeLessThan(60_000);
    expect(a.referer).toBeUndefined();
    expect(b).toMatchObject({ url: '/slow?x=%22', status: 200, bytes: 4 });
    expect(b.ms).toBeGreaterThanOrEqual(50);
    expect(c).toMatchObject({ remote: '127.0.0.1', status: 400 });
    expect(c.url).toBeUndefined();
  });

  it('a client cannot forge a field or a line: quotes, backslashes and control bytes are escaped', async () => {
    const path = logPath();
    await logged({ accessLog: { path } }, (app) => app.static('/', 'x'), async (s) => {
      const r = await rawRequest(s.port, Buffer.from('GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: a" 200 1 "b\\c\xff\r\nReferer: \t\r\n\r\n', 'latin1'));
      expect(r.responses[0]!.status).toBe(200);
    });
    const [line] = lines(path);
    expect(line).toMatch(/"GET \/ HTTP\/1\.1" 200 1 "" "a\\x22 200 1 \\x22b\\x5cc\\xff"$/);
  });

  // bytes counts the body as sent, chunked framing included, as nginx's $body_bytes_sent does:
  // 3\r\nabc\r\n 4\r\ndefg\r\n 2\r\nhi\r\n 0\r\n\r\n.
  it('streamed responses log their status and every byte; a client that leaves mid-handler is 499', async () => {
    const path = logPath();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await logged(
      { accessLog: { path, format: 'json' } },
      (app) => {
        app.get('/stream', async (_req: any, res: any) => {
          res.status(206);
          await res.write('abc');
          await res.write('defg');
          res.end('hi');
        });
        app.get('/hold', async () => {
          await held;
          return 'late';
        });
      },
      async (s) => {
        const r = await rawRequest(s.port, get('/stream'));
        expect(r.responses[0]!.text).toBe('abcdefghi');
        const c = await RawClient.connect(s.port);
        await c.write(get('/hold'));
        await sleep(50);
        c.destroy();
        await sleep(50);
        release();
        await sleep(20);
      },
    );
    const got = lines(path).map((l) => JSON.parse(l));
    expect(got.map((l) => [l.url, l.status, l.bytes])).toEqual([
      ['/stream', 206, 29],
      ['/hold', 499, 0],
    ]);
  });

  it('interleaved keep-alive connections: each line carries its own request', async () => {
    const path = logPath();
    await logged({ accessLog: { path } }, (app) => {
      app.static('/s/a', 'a');
      app.get('/d/:id', async (req: any) => {
        await sleep(Number(req.params.id) % 5);
        return req.params.id;
      });
    }, async (s) => {
      const clients = await Promise.all(Array.from({ length: 16 }, () => RawClient.connect(s.port)));
      await Promise.all(
        clients.map(async (c, i) => {
          for (let k = 0; k < 5; k++) {
            await c.write(Buffer.concat([get(`/d/${i}-${k}`, { 'user-agent': `client-${i}-${k}` }), get('/s/a', { 'user-agent': `client-${i}-${k}` })]));
            const [d] = await c.read(2);
            expect(d!.text).toBe(`${i}-${k}`);
          }
          c.destroy();
        }),
      );
    });
    const got = lines(path);
    expect(got.length).toBe(16 * 5 * 2);
    for (const line of got) {
      const m = /"GET (\S+) HTTP\/1\.1" 200 \d+ "-" "client-(\d+-\d+)"$/.exec(line);
      expect(m, line).not.toBeNull();
      if (m![1]!.startsWith('/d/')) expect(m![1]).toBe(`/d/${m![2]}`);
    }
  });

  it('the PROXY header\'s client is the logged address', async () => {
    const path = logPath();
    await logged({ accessLog: { path, format: 'common' }, proxyProtocol: true }, (app) => app.static('/', 'x'), async (s) => {
      await rawRequest(s.port, Buffer.concat([Buffer.from('PROXY TCP4 203.0.113.9 10.0.0.1 1234 80\r\n'), get('/')]));
    });
    expect(lines(path)[0]).toMatch(/^203\.0\.113\.9 - - /);
  });

  it('lines go out within about a second without close()', async () => {
    const path = logPath();
    const s = await startApp((app) => app.static('/', 'x'), { accessLog: { path } } as never);
    try {
      await rawRequest(s.port, get('/'));
      const t0 = Date.now();
      while (!existsSync(path) || lines(path).length === 0) {
        expect(Date.now() - t0, 'the line was written').toBeLessThan(2500);
        await sleep(50);
      }
    } finally {
      await s.stop();
    }
  });

  it('reopenAccessLog() starts a new file at the path after a rename', async () => {
    const path = logPath();
    const s = await startApp((app) => app.static('/', 'x'), { accessLog: { path } } as never);
    try {
      await rawRequest(s.port, get('/?before'));
      await sleep(1200); // the tick writes it to the file that is about to be renamed
      renameSync(path, `${path}.1`);
      s.app.reopenAccessLog();
      await rawRequest(s.port, get('/?after'));
    } finally {
      await s.stop();
    }
    expect(lines(`${path}.1`).map((l) => l.includes('/?before'))).toEqual([true]);
    expect(lines(path).map((l) => l.includes('/?after'))).toEqual([true]);
  });

  it('SIGHUP reopens the file (logrotate); stdout logging in combined format', async () => {
    const path = logPath();
    const run = (target: string) => {
      const child = spawn(join(root, 'node_modules', '.bin', 'vite-node'), [join(here, 'fixtures', 'access-log-app.ts'), target], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let out = '';
      let err = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (err += d));
      const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      const port = new Promise<number>((resolvePort, reject) => {
        const poll = setInterval(() => {
          const line = (target === '-' ? err : out).split('\n').find((l) => l.startsWith('{"port"'));
          if (line) {
            clearInterval(poll);
            resolvePort((JSON.parse(line) as { port: number }).port);
          }
        }, 20);
        void exit.then((code) => {
          clearInterval(poll);
          reject(new Error(`exited (${code}): ${out}${err}`));
        });
      });
      return { child, port, exit, out: () => out };
    };

    const file = run(path);
    const port = await file.port;
    await rawRequest(port, get('/static'));
    await sleep(1200);
    renameSync(path, `${path}.1`);
    file.child.kill('SIGHUP');
    await sleep(200);
    await rawRequest(port, get('/dynamic'));
    file.child.kill('SIGTERM');
    expect(await file.exit).toBe(0);
    expect(lines(`${path}.1`)).toEqual([expect.stringMatching(/"GET \/static HTTP\/1\.1" 200 11$/)]);
    expect(lines(path)).toEqual([expect.stringMatching(/"GET \/dynamic HTTP\/1\.1" 200 12$/)]);

    const std = run('-');
    const stdPort = await std.port;
    await rawRequest(stdPort, get('/static', { 'user-agent': 'curl/8' }));
    std.child.kill('SIGTERM');
    expect(await std.exit).toBe(0);
    expect(std.out().split('\n').filter(Boolean)).toEqual([expect.stringMatching(/"GET \/static HTTP\/1\.1" 200 11 "-" "curl\/8"$/)]);
  });

  it('off by default; bad options are refused with a code', async () => {
    const s = await startApp((app) => app.static('/', 'x'));
    await rawRequest(s.port, get('/'));
    expect(s.app.stats().accessLogLines).toBe(0);
    await s.stop();
    expect(() => createServer({ accessLog: { format: 'jsonl' } } as never)).toThrow(
      expect.objectContaining({ code: 'UVHTTP_ERR_INVALID_OPTION', message: expect.stringContaining('did you mean "json"') }),
    );
    expect(() => createServer({ accessLog: { file: 'x' } } as never)).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_UNKNOWN_OPTION' }));
    expect(() => createServer({ accessLog: 'yes' } as never)).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_INVALID_OPTION' }));
    expect(() => createServer({ accessLog: { path: join(dir, 'missing', 'a.log') } })).toThrow(
      expect.objectContaining({ code: 'UVHTTP_ERR_ACCESS_LOG', message: expect.stringContaining('No such file or directory') }),
    );
  });
});
