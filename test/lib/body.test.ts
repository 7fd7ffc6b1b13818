import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { startApp, type Started } from '../helpers/app.js';
import { buildRequest, chunked, framingProblems, get, rawRequest, show } from '../helpers/http.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

const LIMIT = 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function routes(app: any) {
  app.post('/echo', async (req: any) => {
    const text = await req.text();
    return `got ${Buffer.byteLength(text)}:${text}`;
  });
  app.post('/json', async (req: any) => ({ received: await req.json() }));
  app.post('/binary', async (req: any) => {
    const buf: Buffer = await req.buffer();
    return { isBuffer: Buffer.isBuffer(buf), length: buf.length, sha: sha(buf) };
  });
  app.put('/size', async (req: any) => `size ${(await req.buffer()).length}`);
  app.get('/after', () => 'after');
}

describe(`request bodies (bodyLimit ${LIMIT})`, () => {
  let s: Started;

  beforeAll(async () => {
    s = await startApp(routes, { bodyLimit: LIMIT });
  });

  afterAll(async () => {
    await s?.stop();
  });

  it('reads a Content-Length body as text (fetch)', async () => {
    const r = await fetch(`${s.base}/echo`, { method: 'POST', body: 'hello body ✓' });
    expect(r.status).toBe(200);
    expect(await r.text()).toBe(`got ${Buffer.byteLength('hello body ✓')}:hello body ✓`);
  });

  it('reads a Content-Length body and the next pipelined request on the same connection', async () => {
    const data = Buffer.concat([buildRequest('POST', '/echo', { body: 'abc' }), get('/after')]);
    const r = await rawRequest(s.port, data, { waitForResponses: 2 });
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(2);
    expect(r.responses[0].status).toBe(200);
    expect(r.responses[0].text).toBe('got 3:abc');
    expect(r.responses[1].status).toBe(200);
    expect(r.responses[1].text).toBe('after');
  });

  it('reads a Content-Length body whose bytes arrive in separate writes', async () => {
    const req = buildRequest('POST', '/echo', { body: 'split-across-writes' });
    const cut = req.length - 10;
    const r = await rawRequest(s.port, [req.subarray(0, cut - 5), req.subarray(cut - 5, cut), req.subarray(cut)], {
      writeDelayMs: 20,
    });
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
    expect(r.responses[0].text).toBe('got 19:split-across-writes');
  });

  it('reads an empty Content-Length: 0 body', async () => {
    const r = await rawRequest(s.port, buildRequest('POST', '/echo', { headers: { 'Content-Length': 0 } }));
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
    expect(r.responses[0].status).toBe(200);
    expect(r.responses[0].text).toBe('got 0:');
  });

  it('reads a binary body exactly with req.buffer()', async () => {
    const body = Buffer.alloc(LIMIT);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
    const r = await fetch(`${s.base}/binary`, { method: 'POST', body });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ isBuffer: true, length: LIMIT, sha: sha(body) });
  });

  it('parses a JSON body (fetch)', async () => {
    const payload = { name: 'uvhttp', tags: ['a', 'b'], nested: { n: 1.5, ok: null } };
    const r = await fetch(`${s.base}/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json\b/);
    expect(await r.json()).toEqual({ received: payload });
  });

  it('reads a chunked body', async () => {
    const req = buildRequest('POST', '/echo', {
      headers: { 'Transfer-Encoding': 'chunked' },
      body: chunked(['hello', ' ', 'world']),
    });
    const r = await rawRequest(s.port, req);
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
    expect(r.responses[0].status).toBe(200);
    expect(r.responses[0].text).toBe('got 11:hello world');
    expect(framingProblems(r.responses[0])).toEqual([]);
  });

  it('reads a chunked body with chunks split across writes (inside size lines, CRLFs and data)', async () => {
    const head = buildRequest('POST', '/echo', { headers: { 'Transfer-Encoding': 'chunked' } });
    // "a\r\n0123456789\r\n" "5\r\nabcde\r\n" "0\r\n\r\n", cut at awkward places
    const pieces = [
      Buffer.concat([head, Buffer.from('a')]),
      '\r',
      '\n01234',
      '56789\r',
      '\n5',
      '\r\nab',
      'cde\r\n0\r',
      '\n\r',
      '\n',
    ];
    const r = await rawRequest(s.port, pieces, { writeDelayMs: 15 });
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
    expect(r.responses[0].status).toBe(200);
    expect(r.responses[0].text).toBe('got 15:0123456789abcde');
  });

  it('reads a chunked body sent one byte per write', async () => {
    const req = buildRequest('POST', '/echo', {
      headers: { 'Transfer-Encoding': 'chunked' },
      body: chunked(['xy', 'z']),
    });
    const headEnd = req.indexOf('\r\n\r\n') + 4;
    const pieces = [req.subarray(0, headEnd), ...[...req.subarray(headEnd)].map((b) => Buffer.from([b]))];
    const r = await rawRequest(s.port, pieces, { writeDelayMs: 3 });
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
    expect(r.responses[0].text).toBe('got 3:xyz');
  });

  it('accepts chunk extensions, upper-case hex and trailers', async () => {
    const body = Buffer.from('A;name=value\r\n0123456789\r\n3\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n');
    const req = buildRequest('POST', '/echo', { headers: { 'Transfer-Encoding': 'chunked' }, body });
    const r = await rawRequest(s.port, Buffer.concat([req, get('/after')]), { waitForResponses: 2 });
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(2);
    expect(r.responses[0].text).toBe('got 13:0123456789abc');
    expect(r.responses[1].text).toBe('after');
  });

  it('reads a chunked JSON body', async () => {
    const json = JSON.stringify({ chunked: true, list: [1, 2, 3] });
    const req = buildRequest('POST', '/json', {
      headers: { 'Transfer-Encoding': 'chunked', 'Content-Type': 'application/json' },
      body: chunked([json.slice(0, 7), json.slice(7, 9), json.slice(9)]),
    });
    const r = await rawRequest(s.port, req);
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
    expect(JSON.parse(r.responses[0].text)).toEqual({ received: { chunked: true, list: [1, 2, 3] } });
  });

  it('accepts a Content-Length body exactly at the limit', async () => {
    const r = await rawRequest(s.port, buildRequest('PUT', '/size', { body: Buffer.alloc(LIMIT, 0x61) }));
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
    expect(r.responses[0].status).toBe(200);
    expect(r.responses[0].text).toBe(`size ${LIMIT}`);
  });

  it('accepts a chunked body exactly at the limit', async () => {
    const half = Buffer.alloc(LIMIT / 2, 0x62);
    const req = buildRequest('PUT', '/size', { headers: { 'Transfer-Encoding': 'chunked' }, body: chunked([half, half]) });
    const r = await rawRequest(s.port, req);
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
    expect(r.responses[0].status).toBe(200);
    expect(r.responses[0].text).toBe(`size ${LIMIT}`);
  });

  it('answers 413 to a Content-Length one byte over the limit', async () => {
    const r = await rawRequest(s.port, buildRequest('PUT', '/size', { body: Buffer.alloc(LIMIT + 1, 0x61) }));
    expect(r.responses.length, `received ${show(r.raw)} error=${r.error?.message}`).toBe(1);
    expect(r.responses[0].status).toBe(413);
    expect(framingProblems(r.responses[0])).toEqual([]);
  });

  it('answers 413 to a large Content-Length before the body is sent', async () => {
    const r = await rawRequest(s.port, buildRequest('POST', '/echo', { headers: { 'Content-Length': 10_000_000 } }));
    expect(r.responses.length, `received ${show(r.raw)} error=${r.error?.message} timedOut=${r.timedOut}`).toBe(1);
    expect(r.responses[0].status).toBe(413);
  });

  it('answers 413 to a chunked body that grows over the limit', async () => {
    const part = Buffer.alloc(400, 0x63);
    const req = buildRequest('PUT', '/size', {
      headers: { 'Transfer-Encoding': 'chunked' },
      body: chunked([part, part, part]), // 1200 > 1024
    });
    const r = await rawRequest(s.port, req);
    expect(r.responses.length, `received ${show(r.raw)} error=${r.error?.message}`).toBe(1);
    expect(r.responses[0].status).toBe(413);
    expect(framingProblems(r.responses[0])).toEqual([]);
  });

  it('answers 413 to a chunked body over the limit that is still being sent', async () => {
    const head = buildRequest('PUT', '/size', { headers: { 'Transfer-Encoding': 'chunked' } });
    const part = Buffer.concat([Buffer.from('200\r\n'), Buffer.alloc(0x200, 0x64), Buffer.from('\r\n')]);
    // three 512-byte chunks, never terminated: the server must answer as soon as it passes the limit
    const r = await rawRequest(s.port, [head, part, part, part], { writeDelayMs: 20 });
    expect(r.responses.length, `received ${show(r.raw)} error=${r.error?.message} timedOut=${r.timedOut}`).toBe(1);
    expect(r.responses[0].status).toBe(413);
  });

  it('keeps serving after a 413 (new connection)', async () => {
    const r = await fetch(`${s.base}/echo`, { method: 'POST', body: 'still alive' });
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('got 11:still alive');
  });
});

describe('default bodyLimit (1 MiB)', () => {
  let s: Started;
  const MiB = 1024 * 1024;

  beforeAll(async () => {
    s = await startApp(routes);
  });

  afterAll(async () => {
    await s?.stop();
  });

  it('accepts exactly 1 MiB', async () => {
    const body = Buffer.alloc(MiB, 0x41);
    const r = await rawRequest(s.port, buildRequest('PUT', '/size', { body }));
    expect(r.responses.length, `received ${show(r.raw)}`).toBe(1);
    expect(r.responses[0].status).toBe(200);
    expect(r.responses[0].text).toBe(`size ${MiB}`);
  });

  it('answers 413 to 1 MiB + 1', async () => {
    const body = Buffer.alloc(MiB + 1, 0x41);
    const r = await rawRequest(s.port, buildRequest('PUT', '/size', { body }));
    expect(r.responses.length, `received ${show(r.raw)} error=${r.error?.message}`).toBe(1);
    expect(r.responses[0].status).toBe(413);
  });
});
