// Graceful drain on a signal: serve() in a child process finishes the request in flight, refuses new
// connections, says draining to a readiness route meanwhile, and exits 0 — or, when the app handles
// the signal itself, leaves the exit to it.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServer } from '../helpers/app.js';
import { sleep, tryConnect } from '../helpers/http.js';

vi.setConfig({ testTimeout: 20_000 });

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function start(...args: string[]): Promise<{ child: ChildProcess; port: number; out: () => string; exit: Promise<number | null> }> {
  const child = spawn(join(root, 'node_modules', '.bin', 'vite-node'), [join(here, 'fixtures', 'serve-drain.ts'), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, port: (JSON.parse(line) as { port: number }).port, out: () => out, exit });
    });
    void exit.then((code) => reject(new Error(`exited (${code}) before listening: ${out}`)));
  });
}

describe('drain on SIGTERM', () => {
  it('serve(): the request in flight completes, new connections are refused, then exit 0', async () => {
    const s = await start();
    const base = `http://127.0.0.1:${s.port}`;
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    const inFlight = fetch(`${base}/slow`).then(async (r) => ({ status: r.status, body: await r.text() }));
    await sleep(100); // the handler is running
    s.child.kill('SIGTERM');
    expect(await inFlight).toEqual({ status: 200, body: 'slow done' });
    expect(await s.exit).toBe(0);
    expect(await tryConnect(s.port)).toBe('ECONNREFUSED');
  });

  it('an app that handles SIGTERM itself keeps the exit: the server drains, the app decides', async () => {
    const s = await start('own-handler');
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(7);
    expect(s.out()).toContain('app saw SIGTERM');
  });
});

describe('app.draining', () => {
  it('is false while serving and true from close() on', async () => {
    const app = createServer();
    await app.listen({ port: 0, host: '127.0.0.1' });
    expect(app.draining).toBe(false);
    const closing = app.close();
    expect(app.draining).toBe(true);
    await closing;
  });
});
