// cluster() (lib/cluster.ts) from dist/, as a user runs it: worker threads load an app module each and
// listen on one port with SO_REUSEPORT. Real connections from node:http; the per-worker stats say
// which worker took them.
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as Uvhttp from '../../lib/index.js';
import { runToEnd } from '../helpers/cli.js';
import { tryConnect } from '../helpers/http.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const index = pathToFileURL(join(root, 'dist', 'index.js')).href;
const apps = mkdtempSync(join(tmpdir(), 'uvhttp-cluster-'));
let uvhttp: typeof Uvhttp;
const open: Uvhttp.Cluster[] = [];

/** Writes an app module into the temp dir; its source gets `index` (dist/index.js) to import from. */
function app(name: string, source: string): string {
  const file = join(apps, name);
  writeFileSync(file, source.replaceAll('INDEX', JSON.stringify(index)));
  return file;
}

function start(options: Uvhttp.ClusterOptions): Uvhttp.Cluster {
  const c = uvhttp.cluster(options);
  open.push(c);
  return c;
}

/** One request on a connection of its own; resolves with status, body and Connection. */
function get(port: number, path: string): Promise<{ status: number; body: string; connection: string | undefined }> {
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

let hello: string;
beforeAll(async () => {
  // Worker threads run the compiled worker (dist/cluster-worker.js): compile the TypeScript first.
  const tsc = await runToEnd('npm', ['run', 'build:ts'], { cwd: root }, 60_000);
  if (tsc.code !== 0) throw new Error(`npm run build:ts failed\n${tsc.stdout}\n${tsc.stderr}`);
  uvhttp = (await import(index)) as typeof Uvhttp;
  hello = app(
    'hello.mjs',
    `import { threadId } from 'node:worker_threads';
import { createServer } from INDEX;
const app = createServer();
app.get('/', () => 'worker ' + threadId);
app.get('/slow', async () => { await new Promise((r) => setTimeout(r, 300)); return 'slow done'; });
app.get('/hang', () => new Promise(() => {}));
app.get('/crash', () => { setTimeout(() => { throw new Error('crashed on purpose'); }); return 'crashing'; });
export default app;
`,
  );
}, 60_000);

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close({ timeout: 100 })));
});

afterAll(() => rmSync(apps, { recursive: true, force: true }));

describe('cluster()', () => {
  it('two workers both serve: the kernel spreads 200 new connections over them, and their stats add up', async () => {
    const c = start({ entry: hello, workers: 2, port: 0, host: '127.0.0.1' });
    const ready = await c.ready;
    expect(ready).toHaveLength(2);
    const { port } = ready[0]!;
    expect(port).toBeGreaterThan(0);
    expect(ready[1]).toEqual({ address: '127.0.0.1', port });

    const answeredBy = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const r = await get(port, '/');
      expect(r.status).toBe(200);
      answeredBy.add(r.body);
    }
    // Two threads answered (each body names its thread).
    expect(answeredBy.size).toBe(2);

    const stats = await c.stats();
    expect(stats.workers).toHaveLength(2);
    for (const w of stats.workers) expect(w.connectionsTotal).toBeGreaterThan(0);
    expect(stats.workers[0]!.connectionsTotal + stats.workers[1]!.connectionsTotal).toBe(200);
    expect(stats.total.connectionsTotal).toBe(200);
    expect(stats.total.requests).toBe(200);
    expect(stats.total.jsDispatches).toBe(stats.workers[0]!.jsDispatches + stats.workers[1]!.jsDispatches);
    expect(stats.total.files.openFiles).toBe(0);
    expect(stats.restarts).toBe(0);
  });

  it('close() lets an in-flight request finish in its worker, then the port is closed and the last stats remain', async () => {
    const c = start({ entry: hello, workers: 2, host: '127.0.0.1' });
    const [{ port }] = (await c.ready) as [{ port: number }];
    const slow = get(port, '/slow');
    // The request is in its handler (300 ms) when close() comes.
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await c.close({ timeout: 5000 });
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(await slow).toEqual({ status: 200, body: 'slow done', connection: 'close' });
    expect(await tryConnect(port)).toBe('ECONNREFUSED');
    const stats = await c.stats();
    expect(stats.total.requests).toBe(1);
    expect(stats.total.connections).toBe(0);
  });

  it("close({ timeout }) ends a handler that never answers, counted in its worker's connectionsForced; a client that left costs no wait", async () => {
    const c = start({ entry: hello, workers: 2, host: '127.0.0.1' });
    const [{ port }] = (await c.ready) as [{ port: number }];
    // One client waits for a handler that never answers, another sends the same and goes away.
    const stuck = net.connect(port, '127.0.0.1');
    const gone = net.connect(port, '127.0.0.1');
    let stuckGot = '';
    stuck.setEncoding('utf8').on('data', (d: string) => (stuckGot += d));
    const stuckEnded = new Promise((r) => stuck.once('close', r));
    for (const s of [stuck, gone]) {
      s.on('error', () => {});
      s.write('GET /hang HTTP/1.1\r\nhost: x\r\n\r\n');
    }
    await new Promise((r) => setTimeout(r, 150));
    gone.destroy();
    expect((await c.stats()).total.jsDispatches).toBe(2);
    const t0 = Date.now();
    await c.close({ timeout: 300 });
    expect(Date.now() - t0).toBeLessThan(3000);
    await stuckEnded;
    // No response was made up for the stuck request: its connection was closed with nothing sent.
    expect(stuckGot).toBe('');
    const { total } = await c.stats();
    expect(total.connectionsForced).toBe(1);
    expect(total.connections).toBe(0);
  });

  it('runs a fetch-handler module ({ fetch }) in each worker', async () => {
    const file = app('fetch.mjs', `export default { fetch: (req) => new Response('fetch ' + new URL(req.url).pathname) };\n`);
    const c = start({ entry: pathToFileURL(file), workers: 2, host: '127.0.0.1' });
    const [{ port }] = (await c.ready) as [{ port: number }];
    expect(await get(port, '/a')).toMatchObject({ status: 200, body: 'fetch /a' });
    expect((await c.stats()).total.requests).toBe(1);
  });

  it('a worker that dies is replaced, and the port keeps serving', async () => {
    const c = start({ entry: hello, workers: 2, host: '127.0.0.1' });
    const [{ port }] = (await c.ready) as [{ port: number }];
    const said = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect((await get(port, '/crash')).body).toBe('crashing');
      const deadline = Date.now() + 5000;
      while ((await c.stats()).restarts === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(said.mock.calls.join('\n')).toMatch(/a cluster worker ended \(Error: crashed on purpose/);
    } finally {
      said.mockRestore();
    }
    const stats = await c.stats();
    expect(stats.restarts).toBe(1);
    expect(stats.workers).toHaveLength(2);
    // Both listeners answer again once the replacement listens.
    const deadline = Date.now() + 5000;
    const answeredBy = new Set<string>();
    while (answeredBy.size < 2 && Date.now() < deadline) answeredBy.add((await get(port, '/')).body);
    expect(answeredBy.size).toBe(2);
  });

  it('a module that cannot run rejects ready with UVHTTP_ERR_APP_MODULE; a taken port with its code', async () => {
    await expect(start({ entry: join(apps, 'missing.mjs'), workers: 2 }).ready).rejects.toMatchObject({
      code: 'UVHTTP_ERR_APP_MODULE',
      message: expect.stringContaining('no such file'),
    });
    const wrong = app('wrong.mjs', 'export default 42;\n');
    await expect(start({ entry: wrong, workers: 2 }).ready).rejects.toMatchObject({ code: 'UVHTTP_ERR_APP_MODULE', message: expect.stringMatching(/must be an object with a fetch/) });

    // A listener without SO_REUSEPORT on the port: the workers cannot share it.
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const { port } = taken.address() as net.AddressInfo;
    try {
      await expect(start({ entry: hello, workers: 2, port, host: '127.0.0.1' }).ready).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      taken.close();
    }
  });

  it.each([
    [{ workers: 0 }, 'UVHTTP_ERR_INVALID_OPTION'],
    [{ workers: 1.5 }, 'UVHTTP_ERR_INVALID_OPTION'],
    [{ port: 70000 }, 'UVHTTP_ERR_INVALID_OPTION'],
    [{ host: '' }, 'UVHTTP_ERR_INVALID_OPTION'],
    [{ entry: '' }, 'UVHTTP_ERR_INVALID_OPTION'],
    [{ worker: 2 }, 'UVHTTP_ERR_UNKNOWN_OPTION'],
  ])('%j throws %s', (options, code) => {
    expect(() => uvhttp.cluster({ entry: hello, ...options } as Uvhttp.ClusterOptions)).toThrow(expect.objectContaining({ code }));
  });
});
