// app.metrics(): the stats in the Prometheus text format, read back by a Prometheus text parser, and
// the opt-in latency histogram counting the JS routes served.
import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import { createServer, startApp } from '../helpers/app.js';
import { get, rawRequest } from '../helpers/http.js';
import { METRICS_CONTENT_TYPE } from '../../lib/index.js';

vi.setConfig({ testTimeout: 10_000 });

const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => Array<{ name: string; type: string; help: string; metrics: Array<{ value?: string; buckets?: Record<string, string>; count?: string; sum?: string }> }>;

function family(text: string, name: string) {
  const f = parse(text).find((m) => m.name === name);
  expect(f, `${name} in\n${text}`).toBeDefined();
  return f!;
}

describe('app.metrics()', () => {
  it('exposes the counters a scraper reads, matching stats()', async () => {
    const s = await startApp((app) => {
      app.static('/static', 'x');
      app.get('/metrics', (_req: any, res: any) => res.header('content-type', METRICS_CONTENT_TYPE).end(s.app.metrics()));
      app.get('/dyn', () => 'dyn');
    });
    try {
      for (let i = 0; i < 3; i++) await rawRequest(s.port, get('/static'));
      await rawRequest(s.port, get('/dyn'));
      const r = await fetch(`http://127.0.0.1:${s.port}/metrics`);
      expect(r.headers.get('content-type')).toBe(METRICS_CONTENT_TYPE);
      const text = await r.text();
      const families = parse(text);
      expect(families.length).toBeGreaterThanOrEqual(19);
      for (const f of families) expect(f.help.length).toBeGreaterThan(0);
      expect(family(text, 'uvhttp_requests_total')).toMatchObject({ type: 'COUNTER', metrics: [{ value: '5' }] });
      expect(Number(family(text, 'uvhttp_js_dispatches_total').metrics[0]!.value)).toBe(2);
      expect(family(text, 'uvhttp_connections').type).toBe('GAUGE');
      expect(Number(family(text, 'uvhttp_connections_total').metrics[0]!.value)).toBe(5);
      // No histogram unless asked for.
      expect(parse(text).some((f) => f.name === 'uvhttp_handler_duration_seconds')).toBe(false);
    } finally {
      await s.close();
    }
  });

  it('the route micro-cache and the access log have their counters', async () => {
    const s = await startApp((app) => app.get('/c', () => 'c', { cache: { ttl: 60_000 } }), { accessLog: { path: '/dev/null' } } as never);
    try {
      for (let i = 0; i < 4; i++) await rawRequest(s.port, get('/c'));
      const text = s.app.metrics();
      expect(Number(family(text, 'uvhttp_response_cache_hits_total').metrics[0]!.value)).toBe(3);
      expect(Number(family(text, 'uvhttp_response_cache_misses_total').metrics[0]!.value)).toBe(1);
      expect(Number(family(text, 'uvhttp_response_cache_entries').metrics[0]!.value)).toBe(1);
      expect(family(text, 'uvhttp_response_cache_entries').type).toBe('GAUGE');
      expect(Number(family(text, 'uvhttp_access_log_lines_total').metrics[0]!.value)).toBe(4);
      expect(Number(family(text, 'uvhttp_access_log_dropped_total').metrics[0]!.value)).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('with handlerLatency: a histogram of the JS routes, native ones not counted', async () => {
    const s = await startApp(
      (app) => {
        app.static('/static', 'x');
        app.get('/fast', () => 'fast');
        app.get('/slow', () => new Promise((r) => setTimeout(() => r('slow'), 30)));
      },
      { metrics: { handlerLatency: true, buckets: [0.01, 1] } },
    );
    try {
      await rawRequest(s.port, get('/static'));
      await rawRequest(s.port, get('/fast'));
      await rawRequest(s.port, get('/fast'));
      await rawRequest(s.port, get('/slow'));
      const h = family(s.app.metrics(), 'uvhttp_handler_duration_seconds');
      expect(h.type).toBe('HISTOGRAM');
      const m = h.metrics[0]!;
      expect(m.count).toBe('3');
      expect(m.buckets).toEqual({ '0.01': '2', '1': '3', '+Inf': '3' });
      expect(Number(m.sum)).toBeGreaterThan(0.025);
      // Native 404s stay native: the timing hooks are the route's, not the app's.
      const before = s.app.stats().jsDispatches;
      expect((await rawRequest(s.port, get('/missing'))).responses[0]!.status).toBe(404);
      expect(s.app.stats().jsDispatches).toBe(before);
    } finally {
      await s.close();
    }
  });

  it('bad metrics options are coded errors', async () => {
    expect(() => createServer({ metrics: { latency: true } } as never)).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_UNKNOWN_OPTION' }));
    expect(() => createServer({ metrics: { buckets: [1, 0.5] } } as never)).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_INVALID_OPTION' }));
    const app = createServer({ metrics: { handlerLatency: true } });
    expect(app.metrics()).toContain('uvhttp_handler_duration_seconds_count 0');
    await app.close();
  });
});
