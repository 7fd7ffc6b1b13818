// The examples as a reader runs them (`node examples/<name>.js` after a build): each starts on the
// PORT it is given, answers, and exits 0 on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runToEnd } from '../helpers/cli.js';
import { tryConnect } from '../helpers/http.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const LISTENING = /listening on http:\/\/localhost:(\d+)\//;
const running: ChildProcess[] = [];

interface Example {
  port: number;
  stdout: () => string;
  /** SIGTERM; resolves with the exit code (fails after 10 s). */
  stop: () => Promise<number | null>;
}

/** Starts examples/<file> with PORT=0 on 127.0.0.1 and resolves once it printed the port it listens on. */
function start(file: string): Promise<Example> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'examples', file)], {
      cwd: root,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.push(child);
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const timer = setTimeout(() => reject(new Error(`${file} printed no listening line within 15 s\n${stdout}\n${stderr}`)), 15_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited (code ${code}) before listening\n${stdout}\n${stderr}`));
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const m = LISTENING.exec(stdout);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        port: Number(m[1]),
        stdout: () => stdout,
        stop: () => {
          child.kill('SIGTERM');
          let t: NodeJS.Timeout;
          const limit = new Promise<never>((_, rej) => {
            t = setTimeout(() => rej(new Error(`${file} did not exit within 10 s of SIGTERM\n${stdout}\n${stderr}`)), 10_000);
          });
          return Promise.race([exited, limit]).finally(() => clearTimeout(t));
        },
      });
    });
  });
}

beforeAll(async () => {
  // The examples import ../dist/index.js, as after `npm install`: compile the TypeScript first.
  const tsc = await runToEnd('npm', ['run', 'build:ts'], { cwd: root }, 60_000);
  if (tsc.code !== 0) throw new Error(`npm run build:ts failed\n${tsc.stdout}\n${tsc.stderr}`);
}, 60_000);

afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('examples', () => {
  it('hono.js: a Hono app with its middleware, served by uvhttp serve()', async () => {
    const ex = await start('hono.js');
    const base = `http://127.0.0.1:${ex.port}`;
    expect(ex.stdout()).toContain(`Hono on uvhttp listening on http://localhost:${ex.port}/`);

    const home = await fetch(`${base}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toBe('Hello from Hono on uvhttp!');
    expect(home.headers.get('x-frame-options')).toBe('SAMEORIGIN'); // secureHeaders

    const user = await fetch(`${base}/api/users/42?fields=name`, { headers: { origin: 'https://elsewhere.example' } });
    expect(await user.json()).toEqual({ id: '42', fields: 'name' });
    expect(user.headers.get('access-control-allow-origin')).toBe('*'); // cors
    const tag = user.headers.get('etag'); // etag
    expect(tag).toMatch(/^"[0-9a-f]{40}"$/);
    const again = await fetch(`${base}/api/users/42?fields=name`, { headers: { 'if-none-match': tag! } });
    expect(again.status).toBe(304);

    const echo = await fetch(`${base}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(echo.status).toBe(201);
    expect(await echo.json()).toEqual({ received: { a: 1 } });

    const missing = await fetch(`${base}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no route for GET /nope' });

    expect(await ex.stop()).toBe(0);
    expect(await tryConnect(ex.port)).toBe('ECONNREFUSED');
  });

  it('rest-api.js: JSON errors, CORS, a cookie session and an upload', async () => {
    const ex = await start('rest-api.js');
    const base = `http://127.0.0.1:${ex.port}`;

    const list = await fetch(`${base}/api/todos`);
    expect(await list.json()).toEqual([{ id: '1', title: 'try uvhttp', done: false }]);
    expect(list.headers.get('access-control-allow-origin')).toBe('*');

    const preflight = await fetch(`${base}/api/todos`, { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');

    const created = await fetch(`${base}/api/todos`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"write docs"}' });
    expect(created.status).toBe(201);
    const todo = (await created.json()) as { id: string; title: string };
    expect(todo.title).toBe('write docs');
    expect((await (await fetch(`${base}/api/todos/${todo.id}`)).json())).toMatchObject({ title: 'write docs' });

    const invalid = await fetch(`${base}/api/todos`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":""}' });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toEqual({ error: 'title must be a non-empty string' });
    expect(invalid.headers.get('access-control-allow-origin')).toBe('*'); // CORS on an error too

    const wrongType = await fetch(`${base}/api/todos`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(wrongType.status).toBe(415);
    expect(await wrongType.json()).toMatchObject({ code: 'UVHTTP_ERR_UNSUPPORTED_MEDIA_TYPE' });

    const missing = await fetch(`${base}/api/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no route for GET /api/nothing' });
    expect(missing.headers.get('access-control-allow-origin')).toBe('*');

    expect((await fetch(`${base}/api/me`)).status).toBe(401);
    const login = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"ada"}' });
    const sid = login.headers.getSetCookie()[0]!.split(';')[0]!;
    expect(sid).toMatch(/^sid=[0-9a-f-]{36}$/);
    expect(await (await fetch(`${base}/api/me`, { headers: { cookie: sid } })).json()).toEqual({ name: 'ada' });
    const logout = await fetch(`${base}/api/logout`, { method: 'POST', headers: { cookie: sid } });
    expect(logout.status).toBe(204);
    expect(logout.headers.getSetCookie()[0]).toMatch(/^sid=; Max-Age=0/);
    expect((await fetch(`${base}/api/me`, { headers: { cookie: sid } })).status).toBe(401);

    const form = new FormData();
    form.append('note', 'hello');
    form.append('file', new Blob([Buffer.alloc(100_000, 7)], { type: 'application/octet-stream' }), 'blob.bin');
    const upload = await fetch(`${base}/api/uploads`, { method: 'POST', body: form });
    expect(await upload.json()).toEqual({ name: 'blob.bin', type: 'application/octet-stream', size: 100_000, note: 'hello' });

    expect(await ex.stop()).toBe(0);
    expect(await tryConnect(ex.port)).toBe('ECONNREFUSED');
  });

  it('app.js: the npm start app', async () => {
    const ex = await start('app.js');
    const base = `http://127.0.0.1:${ex.port}`;
    expect(await (await fetch(`${base}/`)).text()).toBe('Hello World!!');
    expect(await (await fetch(`${base}/hello?name=you`)).text()).toBe('Hello you!');
    expect(await (await fetch(`${base}/users/7`)).json()).toMatchObject({ id: '7' });
    expect(await ex.stop()).toBe(0);
    expect(await tryConnect(ex.port)).toBe('ECONNREFUSED');
  });
});
