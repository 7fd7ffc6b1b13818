// trustProxy over real sockets (the peer is 127.0.0.1): forwarded fields count only from trusted
// peers, read right to left up to the first hop not trusted; a spoofing client changes nothing.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createServer, startApp, type Started } from '../helpers/app.js';
import { get, rawRequest, show } from '../helpers/http.js';

vi.setConfig({ testTimeout: 10_000 });

const started: Started[] = [];
afterAll(() => Promise.all(started.map((s) => s.close())));

async function serverWith(trustProxy: unknown) {
  const s = await startApp(
    (app) => {
      app.get('/who', (req: any) => ({ ip: req.ip, ips: req.ips, protocol: req.protocol, host: req.host }));
    },
    trustProxy === undefined ? {} : ({ trustProxy } as never),
  );
  started.push(s);
  return s;
}

async function who(s: Started, headers: Record<string, string>) {
  const r = await rawRequest(s.port, get('/who', { host: 'app.example', ...headers }));
  expect(r.responses.length, show(r.raw)).toBe(1);
  return JSON.parse(r.responses[0]!.body.toString()) as { ip: string; ips: string[]; protocol: string; host: string };
}

const spoof = { 'x-forwarded-for': '6.6.6.6, 10.0.0.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' };

describe('trustProxy', () => {
  it('off (the default): a client sending forwarded fields is still itself', async () => {
    const s = await serverWith(undefined);
    expect(await who(s, spoof)).toEqual({ ip: '127.0.0.1', ips: [], protocol: 'http', host: 'app.example' });
  });

  it('a list that does not hold the peer: forwarded fields from it are ignored', async () => {
    const s = await serverWith(['10.0.0.0/8', '192.168.1.1']);
    expect(await who(s, spoof)).toEqual({ ip: '127.0.0.1', ips: [], protocol: 'http', host: 'app.example' });
  });

  it('the peer and the inner proxy trusted: the client is the first untrusted hop', async () => {
    const s = await serverWith('loopback, 10.0.0.0/8');
    expect(await who(s, spoof)).toEqual({ ip: '6.6.6.6', ips: ['6.6.6.6', '10.0.0.7'], protocol: 'https', host: 'evil.example' });
    // A spoofed entry left of an untrusted hop is not believed.
    const s2 = await serverWith(['127.0.0.1']);
    expect((await who(s2, { 'x-forwarded-for': '1.2.3.4, 8.8.8.8' })).ip).toBe('8.8.8.8');
  });

  it('a hop count: that many proxies in front', async () => {
    expect((await who(await serverWith(1), spoof)).ip).toBe('10.0.0.7');
    expect((await who(await serverWith(2), spoof)).ip).toBe('6.6.6.6');
    expect((await who(await serverWith(true), { 'x-forwarded-for': '1.1.1.1, 2.2.2.2, 3.3.3.3' })).ip).toBe('1.1.1.1');
  });

  it('no X-Forwarded-For behind a trusted proxy: the peer', async () => {
    expect(await who(await serverWith(true), {})).toEqual({ ip: '127.0.0.1', ips: [], protocol: 'http', host: 'app.example' });
  });

  it('bad values are coded errors at createServer', () => {
    for (const bad of ['10.0.0.0/33', 'not-an-ip', -1, 1.5, {}, [1]]) {
      expect(() => createServer({ trustProxy: bad } as never), String(bad)).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_INVALID_OPTION' }));
    }
  });
});
