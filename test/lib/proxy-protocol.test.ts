// proxyProtocol over real sockets: a balancer's PROXY header (v1 text, v2 binary) before the request
// names the client, for JS routes and native ones alike; a missing, malformed, truncated or oversized
// header closes the connection unanswered and touches no other connection.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startApp, type Started } from '../helpers/app.js';
import { get, rawRequest, RawClient, show, sleep } from '../helpers/http.js';

vi.setConfig({ testTimeout: 10_000 });

const started: Started[] = [];
afterAll(() => Promise.all(started.map((s) => s.close())));

async function server(options: Record<string, unknown> = {}) {
  const s = await startApp(
    (app) => {
      app.get('/who', (req: any) => ({ ip: req.ip, ips: req.ips }));
      app.static('/static', 'static body');
    },
    { proxyProtocol: true, ...options } as never,
  );
  started.push(s);
  return s;
}

const SIG = Buffer.from('\r\n\r\n\0\r\nQUIT\n', 'latin1');

function v2(verCmd: number, fam: number, block: Buffer): Buffer {
  const pre = Buffer.from([verCmd, fam, block.length >> 8, block.length & 0xff]);
  return Buffer.concat([SIG, pre, block]);
}

const inet4 = (src: number[], sport: number) =>
  Buffer.from([...src, 10, 0, 0, 1, sport >> 8, sport & 0xff, 0, 80]);
const inet6 = Buffer.from([
  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, // 2001:db8::1
  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
  0x01, 0xbb, 0, 80,
]);

async function who(s: Started, preface: Buffer | string | Array<Buffer | string>) {
  const pieces = Array.isArray(preface) ? preface : [preface];
  const r = await rawRequest(s.port, [...pieces, get('/who', { host: 'a' })], { writeDelayMs: 2 });
  expect(r.responses.length, show(r.raw)).toBe(1);
  expect(r.responses[0]!.status).toBe(200);
  return JSON.parse(r.responses[0]!.text) as { ip: string };
}

/** A connection the server must close without sending one byte. */
async function refused(s: Started, data: Buffer | string | Array<Buffer | string>, timeoutMs = 3000) {
  const r = await rawRequest(s.port, data, { timeoutMs, waitForClose: true });
  expect(r.timedOut, 'the server closed the connection').toBe(false);
  expect(r.closed).toBe(true);
  expect(r.raw.length, `no reply: ${show(r.raw)}`).toBe(0);
}

describe('proxyProtocol: true', () => {
  it('v1 TCP4 and TCP6: req.ip is the client the header names', async () => {
    const s = await server();
    expect((await who(s, 'PROXY TCP4 192.0.2.7 10.0.0.1 54321 80\r\n')).ip).toBe('192.0.2.7');
    expect((await who(s, 'PROXY TCP6 2001:db8::1 2001:db8::2 443 80\r\n')).ip).toBe('2001:db8::1');
  });

  it('v1 UNKNOWN and v2 LOCAL (a balancer health check): req.ip is the socket peer', async () => {
    const s = await server();
    expect((await who(s, 'PROXY UNKNOWN\r\n')).ip).toBe('127.0.0.1');
    expect((await who(s, v2(0x20, 0x00, Buffer.alloc(0)))).ip).toBe('127.0.0.1');
    expect((await who(s, v2(0x21, 0x00, Buffer.alloc(0)))).ip).toBe('127.0.0.1');
  });

  it('v2 IPv4 and IPv6, with TLVs as AWS sends them', async () => {
    const s = await server();
    expect((await who(s, v2(0x21, 0x11, inet4([198, 51, 100, 9], 40000)))).ip).toBe('198.51.100.9');
    expect((await who(s, v2(0x21, 0x21, inet6))).ip).toBe('2001:db8::1');
    const vpce = Buffer.concat([Buffer.from([0xea, 0, 23, 0x01]), Buffer.from('vpce-0123456789abcdef0', 'latin1')]);
    expect((await who(s, v2(0x21, 0x11, Buffer.concat([inet4([203, 0, 113, 5], 1), vpce])))).ip).toBe('203.0.113.5');
  });

  it('a header split across many writes, and one in the same write as the request', async () => {
    const s = await server();
    const header = 'PROXY TCP4 192.0.2.55 10.0.0.1 1234 80\r\n';
    expect((await who(s, header.split(''))).ip).toBe('192.0.2.55');
    const bin = v2(0x21, 0x11, inet4([192, 0, 2, 66], 9));
    expect((await who(s, [...bin].map((b) => Buffer.from([b])))).ip).toBe('192.0.2.66');
    const r = await rawRequest(s.port, Buffer.concat([Buffer.from(header), get('/who', { host: 'a' })]));
    expect(JSON.parse(r.responses[0]!.text).ip).toBe('192.0.2.55');
  });

  it('natively served routes answer behind the header, keep-alive and pipelined', async () => {
    const s = await server();
    const c = await RawClient.connect(s.port);
    await c.write(Buffer.concat([Buffer.from('PROXY TCP4 192.0.2.8 10.0.0.1 1 80\r\n'), get('/static', { host: 'a' }), get('/who', { host: 'a' })]));
    const [a, b] = await c.read(2);
    expect(a!.text).toBe('static body');
    expect(JSON.parse(b!.text).ip).toBe('192.0.2.8');
    // The header comes once: the same bytes later on the connection are a (bad) request, not a new client.
    await c.write(Buffer.concat([get('/who', { host: 'a' }), Buffer.from('PROXY TCP4 6.6.6.6 10.0.0.1 1 80\r\n\r\n')]));
    const [again, bad] = await c.read(2);
    expect(JSON.parse(again!.text).ip).toBe('192.0.2.8');
    expect(bad!.status).toBe(400);
    c.destroy();
  });

  it('each connection keeps its own client: interleaved connections never see each other\'s address', async () => {
    const s = await server();
    const clients = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const c = await RawClient.connect(s.port);
        await c.write(`PROXY TCP4 192.0.2.${i + 1} 10.0.0.1 ${1000 + i} 80\r\n`);
        return c;
      }),
    );
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(
        clients.map(async (c) => {
          const r = await c.request(get('/who', { host: 'a' }));
          return JSON.parse(r!.text).ip as string;
        }),
      );
      expect(answers).toEqual(clients.map((_, i) => `192.0.2.${i + 1}`));
    }
    for (const c of clients) c.destroy();
  });

  it('a request without a header, and malformed headers, are closed unanswered; the server goes on', async () => {
    const s = await server();
    const before = s.app.stats().parseErrors;
    await refused(s, get('/who', { host: 'a' }));
    await refused(s, 'PROXY TCP4 192.0.2.7 10.0.0.1 54321 80\n');
    await refused(s, 'PROXY TCP4 192.0.2.999 10.0.0.1 1 80\r\n');
    await refused(s, 'PROXY TCP4 192.0.2.7 10.0.0.1 65536 80\r\n');
    await refused(s, 'PROXY TCP6 192.0.2.7 10.0.0.1 1 80\r\n');
    await refused(s, 'PROXY HTTP 1 2 3 4\r\n');
    await refused(s, v2(0x11, 0x11, inet4([1, 2, 3, 4], 1))); // version 1 in the binary form
    await refused(s, v2(0x21, 0x41, inet4([1, 2, 3, 4], 1))); // family 4
    await refused(s, v2(0x21, 0x21, inet4([1, 2, 3, 4], 1))); // an IPv6 header with an IPv4 block
    await refused(s, v2(0x21, 0x11, Buffer.concat([inet4([1, 2, 3, 4], 1), Buffer.from([4, 0, 9])]))); // TLV overrun
    expect(s.app.stats().parseErrors - before).toBe(10);
    expect((await who(s, 'PROXY TCP4 192.0.2.7 10.0.0.1 54321 80\r\n')).ip).toBe('192.0.2.7');
  });

  it('oversized headers are refused without waiting for their bytes', async () => {
    const s = await server();
    await refused(s, `PROXY UNKNOWN ${'x'.repeat(200)}\r\n`);
    // A v2 length field of 64 KiB: refused from the 16-byte preamble alone.
    const r = await rawRequest(s.port, Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0xff, 0xff])]), { timeoutMs: 3000, waitForClose: true });
    expect(r.closed && !r.timedOut && r.raw.length === 0, show(r.raw)).toBe(true);
  });

  it('a truncated header is closed unanswered after headersTimeout', async () => {
    const s = await server({ headersTimeout: 300 });
    const before = s.app.stats().timeouts;
    const t0 = performance.now();
    await refused(s, 'PROXY TCP4 192.0.2.7 10.0', 5000);
    const took = performance.now() - t0;
    expect(took).toBeGreaterThan(250);
    expect(s.app.stats().timeouts - before).toBe(1);
    await refused(s, v2(0x21, 0x11, inet4([1, 2, 3, 4], 1)).subarray(0, 20), 5000);
  });

  it('close() ends connections still waiting for their header at once', async () => {
    const s = await server();
    const c = await RawClient.connect(s.port);
    await c.write('PROXY TCP4 192.0.2.7');
    await sleep(50);
    const t0 = performance.now();
    await s.close();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(await c.waitForEnd(2000)).toBe(true);
    expect(c.received.length).toBe(0);
  });

  it('app.inject() needs no header', async () => {
    const s = await server();
    const r = await s.app.inject({ url: '/static' });
    expect(r.statusCode).toBe(200);
    expect(r.body).toBe('static body');
  });

  it('off (the default): a PROXY line is a bad request line', async () => {
    const s = await startApp((app) => app.get('/who', (req: any) => ({ ip: req.ip })));
    started.push(s);
    const r = await rawRequest(s.port, 'PROXY TCP4 192.0.2.7 10.0.0.1 54321 80\r\n\r\n');
    expect(r.responses[0]?.status, show(r.raw)).toBe(400);
  });

  it('must be a boolean', async () => {
    const { createServer } = await import('../helpers/app.js');
    expect(() => createServer({ proxyProtocol: 'yes' } as never)).toThrow(expect.objectContaining({ code: 'UVHTTP_ERR_INVALID_OPTION' }));
  });
});
