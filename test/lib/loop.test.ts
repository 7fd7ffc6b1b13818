import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startApp, type Started } from '../helpers/app.js';
import { within } from '../helpers/http.js';
import { startLoad, type LoadRun } from '../helpers/load.js';

vi.setConfig({ testTimeout: 15_000, hookTimeout: 10_000 });

// The uvhttp server shares Node's event loop with the app. Under load from another process it must
// keep yielding to the loop: timers fire on schedule, other I/O (an outgoing fetch) completes.
describe('event loop stays responsive under load', () => {
  let s: Started;
  let side: http.Server;
  let sidePort = 0;
  let load: LoadRun | undefined;

  beforeAll(async () => {
    s = await startApp((app) => {
      app.static('/s', 'LOADOK static');
      app.get('/d', (_req: any, res: any) => res.end('LOADOK dynamic'));
    });
    side = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end('side server');
    });
    await new Promise<void>((r) => side.listen(0, '127.0.0.1', r));
    sidePort = (side.address() as AddressInfo).port;
  });

  afterAll(async () => {
    load?.kill();
    side?.closeAllConnections?.();
    await new Promise<void>((r) => (side ? side.close(() => r()) : r()));
    await s?.stop();
  });

  for (const path of ['/d', '/s']) {
    it(`timers fire on schedule and an outgoing fetch completes while ${path} is loaded from a child process`, async () => {
      const before = s.app.stats();
      load = startLoad(s.port, path, 2000);
      try {
        // wait until the load has really started
        await vi.waitFor(() => expect(s.app.stats().requests - before.requests).toBeGreaterThan(200), {
          timeout: 5000,
          interval: 10,
        });
        const windowStart = s.app.stats();

        // 1) a 10 ms interval timer, observed for ~800 ms
        const ticks: number[] = [];
        const t0 = performance.now();
        const timer = setInterval(() => ticks.push(performance.now()), 10);

        // 2) meanwhile, sequential outgoing fetches to a node:http server in this process
        const fetchTimes: number[] = [];
        const bodies: string[] = [];
        while (performance.now() - t0 < 800) {
          const f0 = performance.now();
          const r = await fetch(`http://127.0.0.1:${sidePort}/`, { signal: AbortSignal.timeout(3000) });
          bodies.push(await r.text());
          fetchTimes.push(performance.now() - f0);
          await new Promise((r) => setTimeout(r, 50));
        }
        clearInterval(timer);
        const elapsed = performance.now() - t0;
        const windowEnd = s.app.stats();

        const gaps = ticks.map((t, i) => t - (i === 0 ? t0 : ticks[i - 1]));
        const maxGap = Math.max(...gaps);
        const servedInWindow = windowEnd.requests - windowStart.requests;
        const info = `load=${load.kind} served=${servedInWindow} ticks=${ticks.length} in ${elapsed.toFixed(0)}ms maxGap=${maxGap.toFixed(1)}ms fetches=${fetchTimes.map((t) => t.toFixed(0)).join(',')}`;

        // the load was real during the observation window (otherwise this test proves nothing)
        expect(servedInWindow, info).toBeGreaterThan(500);
        if (path === '/d') expect(windowEnd.jsDispatches - windowStart.jsDispatches, info).toBeGreaterThan(500);
        else expect(windowEnd.jsDispatches - windowStart.jsDispatches, info).toBe(0);
        // timers: ~elapsed/10 expected; demand at least 40% of them and no stall over 250 ms. A loop
        // starved by the server loses most ticks (that is what the count catches); the gap bound
        // leaves room for GC and a shared CI machine's scheduling.
        expect(ticks.length, info).toBeGreaterThanOrEqual(Math.floor((elapsed / 10) * 0.4));
        expect(maxGap, info).toBeLessThan(250);
        // outgoing I/O completes promptly
        expect(bodies.length, info).toBeGreaterThanOrEqual(3);
        expect(bodies.every((b) => b === 'side server'), info).toBe(true);
        expect(Math.max(...fetchTimes), info).toBeLessThan(500);
        // The generator's own count of correct bodies: the load was answered, not merely accepted.
        const result = await within(load.done, 4000, `the ${load.kind} load generator`);
        expect(result.responses, result.output).toBeGreaterThan(0);
      } finally {
        load.kill();
      }
    });
  }
});
