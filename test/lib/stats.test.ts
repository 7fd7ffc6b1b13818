import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { startApp, type Started } from '../helpers/app.js';
import { RawClient, get, rawRequest, show } from '../helpers/http.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

interface Stats {
  connections: number;
  connectionsTotal: number;
  requests: number;
  jsDispatches: number;
  bytesRead: number;
  bytesWritten: number;
  parseErrors: number;
}

const KEYS = [
  'bytesRead',
  'bytesWritten',
  'connections',
  'connectionsRejected',
  'connectionsTotal',
  'jsDispatches',
  'parseErrors',
  'requests',
  'timeouts',
];

describe('stats()', () => {
  let s: Started;
  const clients: RawClient[] = [];
  const stats = (): Stats => s.app.stats();
  const idle = () => vi.waitFor(() => expect(stats().connections).toBe(0), { timeout: 2000 });

  beforeAll(async () => {
    s = await startApp((app) => {
      app.static('/s', 'static body');
      app.get('/d', () => 'dynamic body');
      app.get('/p/:x', (req: any) => req.params.x);
    });
  });

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await s?.stop();
  });

  it('has all documented counters as non-negative numbers, zero before any traffic', () => {
    const st = stats();
    for (const k of KEYS) {
      expect(typeof (st as any)[k], k).toBe('number');
      expect((st as any)[k], k).toBe(0);
    }
  });

  it('200 static hits leave jsDispatches unchanged and add 200 requests', async () => {
    const before = stats();
    const data = Buffer.concat(Array.from({ length: 200 }, () => get('/s')));
    const r = await rawRequest(s.port, data, { waitForResponses: 200 });
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(200);
    expect(r.responses.every((x) => x.status === 200 && x.text === 'static body')).toBe(true);
    await idle();
    const after = stats();
    expect(after.jsDispatches - before.jsDispatches).toBe(0);
    expect(after.requests - before.requests).toBe(200);
  });

  it('200 static hits over 20 connections also leave jsDispatches unchanged', async () => {
    const before = stats();
    const data = Buffer.concat(Array.from({ length: 10 }, () => get('/s')));
    const results = await Promise.all(Array.from({ length: 20 }, () => rawRequest(s.port, data, { waitForResponses: 10 })));
    expect(results.reduce((a, r) => a + r.responses.filter((x) => x.text === 'static body').length, 0)).toBe(200);
    await idle();
    const after = stats();
    expect(after.jsDispatches - before.jsDispatches).toBe(0);
    expect(after.requests - before.requests).toBe(200);
    expect(after.connectionsTotal - before.connectionsTotal).toBe(20);
  });

  it('dynamic hits increase jsDispatches by exactly the count', async () => {
    const before = stats();
    const data = Buffer.concat([
      ...Array.from({ length: 30 }, () => get('/d')),
      ...Array.from({ length: 20 }, (_, i) => get(`/p/${i}`)),
    ]);
    const r = await rawRequest(s.port, data, { waitForResponses: 50 });
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(50);
    expect(r.responses[0].text).toBe('dynamic body');
    expect(r.responses[49].text).toBe('19');
    await idle();
    const after = stats();
    expect(after.jsDispatches - before.jsDispatches).toBe(50);
    expect(after.requests - before.requests).toBe(50);
  });

  it('dynamic hits sent one request per write also count exactly', async () => {
    const before = stats();
    const c = await RawClient.connect(s.port);
    clients.push(c);
    for (let i = 0; i < 25; i++) {
      const res = await c.request(get('/d'));
      expect(res.text).toBe('dynamic body');
    }
    c.destroy();
    await idle();
    expect(stats().jsDispatches - before.jsDispatches).toBe(25);
  });

  it('connections and connectionsTotal follow open sockets', async () => {
    await idle();
    const before = stats();
    const opened = await Promise.all([RawClient.connect(s.port), RawClient.connect(s.port), RawClient.connect(s.port)]);
    clients.push(...opened);
    // make sure the server has accepted all three
    for (const c of opened) expect((await c.request(get('/s'))).status).toBe(200);
    const during = stats();
    expect(during.connections).toBe(3);
    expect(during.connectionsTotal - before.connectionsTotal).toBe(3);
    for (const c of opened) c.destroy();
    await vi.waitFor(() => expect(stats().connections).toBe(0), { timeout: 2000 });
    expect(stats().connectionsTotal - before.connectionsTotal).toBe(3);
  });

  it('bytesRead and bytesWritten match the bytes on the wire', async () => {
    await idle();
    const before = stats();
    const c = await RawClient.connect(s.port);
    clients.push(c);
    const req1 = get('/s');
    const req2 = get('/d');
    await c.request(req1);
    await c.request(req2);
    const sent = req1.length + req2.length;
    const received = c.received.length;
    c.destroy();
    await idle();
    const after = stats();
    expect(after.bytesRead - before.bytesRead).toBe(sent);
    expect(after.bytesWritten - before.bytesWritten).toBe(received);
    expect(received).toBeGreaterThan(0);
  });

  it('parseErrors counts malformed requests', async () => {
    const before = stats();
    const r = await rawRequest(s.port, 'NOT A REQUEST LINE\r\n\r\n', { waitForClose: true, timeoutMs: 3000 });
    expect(r.responses[0]?.status, `received ${show(r.raw)}`).toBe(400);
    const r2 = await rawRequest(s.port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header No Colon\r\n\r\n', {
      waitForClose: true,
      timeoutMs: 3000,
    });
    expect(r2.responses[0]?.status, `received ${show(r2.raw)}`).toBe(400);
    await idle();
    expect(stats().parseErrors - before.parseErrors).toBe(2);
  });
});
