// Load shapes that must not hurt the server: 10,000 keep-alive connections open at once, a client that
// pipelines 10,000 requests and never reads (RSS stays bounded, others are still served), and clients
// that reset in the middle of large responses.
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MB, ResponseStream, exchange, openFileLimit, runWithFdLimit, type ChildRun } from '../helpers/hardening.js';
import { RawClient, get, show, sleep } from '../helpers/http.js';
import { HOST, HUGE, startHardeningServer, type HardeningServer } from './app.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 10_000 });

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const CONNECTIONS = 10_000;
/** Under a sanitizer (scripts/asan.sh) the allocator's redzones and quarantine inflate RSS. */
const RSS_BOUND = (process.env.UVHTTP_SANITIZER ? 128 : 64) * MB;
/** Longest the other client may wait for one round trip while the stalled reader is being handled. */
const MAX_STALL_MS = process.env.UVHTTP_SANITIZER ? 1000 : 500;

describe('10,000 concurrent keep-alive connections', () => {
  it('all get their responses, twice each, while all are open', async () => {
    const need = CONNECTIONS + 512;
    const soft = openFileLimit() ?? 0;
    const inChild = process.env.UVHTTP_SCALE_IN_CHILD === '1' || soft < need;
    let run: ChildRun;
    let serverConnectionsWhenOpen = -1;
    let stats: any;
    if (!inChild) {
      // Server here (this process can hold the descriptors), clients in a child with a raised limit.
      const s = await startHardeningServer();
      try {
        run = await runWithFdLimit(`"${process.execPath}" "${join(here, 'fixtures', 'many-clients.mjs')}" ${s.port} ${CONNECTIONS}`, {
          timeoutMs: 60_000,
          onLine: (line) => {
            if (line.includes('"phase":"open"')) serverConnectionsWhenOpen = s.app.stats().connections;
          },
        });
        stats = s.app.stats();
      } finally {
        await s.stop();
      }
    } else {
      // This process cannot hold 10,000 sockets: server and clients both run in a child.
      run = await runWithFdLimit(`"${join(root, 'node_modules', '.bin', 'vite-node')}" "${join(here, 'fixtures', 'scale-child.ts')}" ${CONNECTIONS}`, {
        timeoutMs: 90_000,
        cwd: root,
      });
      serverConnectionsWhenOpen = run.json?.serverConnectionsWhenOpen;
      stats = run.json?.stats;
    }
    const out = run.json;
    const context = `mode=${inChild ? 'child' : 'split'} soft=${soft} exit=${run.code}/${run.signal}\nstdout: ${run.stdout.slice(-2000)}\nstderr: ${run.stderr.slice(-2000)}`;
    expect(out, context).toBeDefined();
    const childNeeds = inChild ? 2 * need : need;
    expect(
      out.fdLimit,
      `the child (${inChild ? 'server and clients' : 'clients'}) needs ${childNeeds} descriptors but could only raise its limit to ${out.fdLimit} (hard limit); ${context}`,
    ).toBeGreaterThanOrEqual(childNeeds);
    expect(out.connected, context).toBe(CONNECTIONS);
    expect(out.firstOk, context).toBe(CONNECTIONS);
    expect(out.secondOk, context).toBe(CONNECTIONS);
    expect(out.closedEarly, context).toBe(0);
    expect(out.errors, context).toEqual({});
    // All 10,000 were open on the server side at the same moment.
    expect(serverConnectionsWhenOpen, context).toBe(CONNECTIONS);
    expect(stats.requests, context).toBeGreaterThanOrEqual(2 * CONNECTIONS);
    expect(stats.connectionsTotal, context).toBeGreaterThanOrEqual(CONNECTIONS);
    expect(stats.connectionsRejected, context).toBe(0);
  }, 120_000);
});

describe('a client that pipelines 10,000 requests and never reads', () => {
  let s: HardeningServer;
  beforeAll(async () => {
    s = await startHardeningServer();
  });
  afterAll(async () => {
    await s?.stop();
  });

  // Each scenario runs in a fresh child process that hosts the server, so one scenario's RSS high-water
  // mark cannot hide another's growth; the two run at the same time.
  for (const [label, path, size] of [
    ['static 64 KiB', '/big64', 64 * 1024],
    ['dynamic 64 KiB', '/dyn-big64', 64 * 1024],
  ] as const) {
    it.concurrent(`${label}: the server's RSS stays bounded and another client is served meanwhile`, async () => {
      // 640 MB of responses if the server rendered them all; one 128 KiB read alone holds ~4,000 of
      // these requests (~250 MB of responses), so the server must also stop part-way through a read.
      expect(10_000 * size).toBeGreaterThanOrEqual(4 * RSS_BOUND);
      const run = await runWithFdLimit(`"${join(root, 'node_modules', '.bin', 'vite-node')}" "${join(here, 'fixtures', 'stall-child.ts')}" ${path} 2000`, {
        timeoutMs: 25_000,
        cwd: root,
      });
      const r = run.json;
      const context = `exit=${run.code}/${run.signal}\nstdout: ${run.stdout.slice(-1500)}\nstderr: ${run.stderr.slice(-1500)}`;
      expect(r, context).toBeDefined();
      expect(r.failures, context).toEqual([]);
      expect(r.max, `slowest round trip of the other client (the server was busy that long); ${context}`).toBeLessThan(MAX_STALL_MS);
      expect(r.roundTrips, context).toBeGreaterThan(20);
      expect(r.p90, `p90 of the other client's round trips; ${context}`).toBeLessThan(250);
      expect(r.peak - r.rss0, `RSS grew from ${(r.rss0 / MB).toFixed(0)} MB to a peak of ${(r.peak / MB).toFixed(0)} MB (${r.requests} of the stalled requests processed, ${(r.bytesWritten / MB).toFixed(0)} MB written)`).toBeLessThan(RSS_BOUND);
      // The server did answer some of the stalled requests (it is not simply ignoring the client) ...
      expect(r.bytesWritten, context).toBeGreaterThan(size);
      // ... but did not produce all 10,000 responses.
      expect(r.requests, context).toBeLessThan(10_000);
      expect(r.connectionsAfter, context).toBe(0);
    });
  }

  it('a stalled reader that finally reads gets all 10,000 responses, complete and in order', async () => {
    const n = 10_000;
    const requests = Buffer.concat(Array.from({ length: n }, (_, i) => get(i % 2 ? '/big' : '/ok')));
    const bad: string[] = [];
    const stream = new ResponseStream((r, i) => {
      const ok = r.status === 200 && (i % 2 ? r.bodyLength === 16 * 1024 && r.bodyStart.startsWith('bbbb') : r.bodyStart === 'ok');
      if (!ok && bad.length < 5) bad.push(`#${i}: ${r.status} ${r.bodyLength} ${JSON.stringify(r.bodyStart.slice(0, 20))}`);
    });
    const sock = net.connect({ port: s.port, host: '127.0.0.1' });
    try {
      await new Promise<void>((resolve, reject) => {
        sock.once('connect', resolve);
        sock.once('error', reject);
      });
      sock.pause();
      sock.write(requests);
      await sleep(500); // everything stalls: kernel buffers full, the server stops reading
      const done = new Promise<void>((resolve, reject) => {
        sock.on('data', (d) => {
          stream.push(d);
          if (stream.count >= n || stream.error) resolve();
        });
        sock.on('close', () => reject(new Error(`closed after ${stream.count} responses`)));
        setTimeout(() => reject(new Error(`only ${stream.count} of ${n} responses within 15 s`)), 15_000);
      });
      sock.resume();
      await done;
      expect(stream.error).toBeUndefined();
      expect(stream.count).toBe(n);
      expect(bad).toEqual([]);
    } finally {
      sock.destroy();
    }
  });
});

describe('clients resetting mid-response', () => {
  let s: HardeningServer;
  beforeAll(async () => {
    s = await startHardeningServer();
  });
  afterAll(async () => {
    await s?.stop();
  });

  /** Requests path, and resets (RST) the connection after the first bytes of the response arrive. */
  const resetAfterFirstBytes = (data: Buffer) =>
    new Promise<number>((resolve, reject) => {
      const sock = net.connect({ port: s.port, host: '127.0.0.1' });
      let got = 0;
      sock.on('connect', () => sock.write(data));
      sock.on('data', (d) => {
        got += d.length;
        if (got > 0) {
          sock.pause();
          sock.resetAndDestroy();
          resolve(got);
        }
      });
      sock.on('error', () => undefined);
      sock.setTimeout(5000, () => reject(new Error('no response bytes within 5 s')));
    });

  it('30 resets during 4 MiB responses (static, dynamic, pipelined, pending JS) do not disturb another client', async () => {
    const before = s.app.stats();
    const other = await RawClient.connect(s.port);
    let otherOk = 0;
    let stop = false;
    const otherLoop = (async () => {
      while (!stop) {
        const r1 = await other.request(get('/ok'));
        const r2 = await other.request(get('/big'));
        if (r1.text === 'ok' && r2.body.length === 16 * 1024) otherOk++;
        else throw new Error(`bad response: ${show(Buffer.from(r1.rawHead))}`);
      }
    })();
    try {
      const shapes = [
        () => resetAfterFirstBytes(get('/huge')),
        () => resetAfterFirstBytes(get('/huge-dyn')),
        () => resetAfterFirstBytes(Buffer.concat(Array.from({ length: 50 }, () => get('/big')))),
        () => resetAfterFirstBytes(Buffer.concat([get('/huge'), get('/slow'), get('/huge-dyn'), get('/slow')])),
      ];
      const received: number[] = [];
      for (let i = 0; i < 30; i++) received.push(await shapes[i % shapes.length]());
      // Resets with a request still in JS: the handler answers after the socket is gone.
      for (let i = 0; i < 10; i++) {
        const sock = net.connect({ port: s.port, host: '127.0.0.1' });
        await new Promise<void>((r) => sock.once('connect', () => r()));
        sock.write(get('/slow'));
        await sleep(5);
        sock.resetAndDestroy();
      }
      await sleep(150); // the slow handlers finish after their sockets are gone
      expect(received.every((n) => n > 0 && n < HUGE.length)).toBe(true);
    } finally {
      stop = true;
      await otherLoop;
    }
    expect(otherOk).toBeGreaterThan(10);
    expect(other.closed).toBe(false);
    // Only the steady client is left; the server still takes new connections.
    await vi.waitFor(() => expect(s.app.stats().connections).toBe(1), { timeout: 4000 });
    other.destroy();
    const fresh = await exchange(s.port, `GET /ok HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
    expect(fresh.responses.map((r) => r.text), show(fresh.raw)).toEqual(['ok']);
    const after = s.app.stats();
    expect(after.connectionsTotal - before.connectionsTotal).toBe(1 + 40 + 1);
    expect(after.parseErrors - before.parseErrors).toBe(0);
    expect(after.requests - before.requests).toBeGreaterThanOrEqual(2 * otherOk + 30 + 10 + 1);
    // (No bound on bytesWritten: loopback socket buffers hold several MiB, so a reset client may
    // have been sent a whole 4 MiB response before the reset arrived.)
  });
});
