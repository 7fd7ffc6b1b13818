// The per-mode correctness checks run before measuring: response parsing and real exchanges
// with small local servers (no load).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { parseResponses, checkResponse, checkMode, abRequest, wrkRequest } from '../../bench/http-check.mjs';

describe('parseResponses', () => {
  it('splits pipelined responses by Content-Length and keeps the rest', () => {
    const one = 'HTTP/1.1 200 OK\r\nDate: x\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello World!!';
    const { responses, rest } = parseResponses(one + one + 'HTTP/1.1 200 OK\r\nContent-Le');
    expect(responses).toHaveLength(2);
    expect(responses[1]).toMatchObject({ status: 200, body: 'Hello World!!', headers: { 'content-type': 'text/plain' } });
    expect(rest).toBe('HTTP/1.1 200 OK\r\nContent-Le');
  });

  it('decodes a chunked body', () => {
    const r = parseResponses('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHello\r\n8\r\n World!!\r\n0\r\n\r\n');
    expect(r.responses[0].body).toBe('Hello World!!');
  });

  it('waits for the close when there is no length', () => {
    const text = 'HTTP/1.0 200 OK\r\n\r\nHello World!!';
    expect(parseResponses(text, false).responses).toHaveLength(0);
    expect(parseResponses(text, true).responses[0].body).toBe('Hello World!!');
  });

  it('rejects what is not HTTP', () => {
    expect(() => parseResponses('SSH-2.0-OpenSSH\r\n\r\n')).toThrow(/not an HTTP response/);
  });
});

describe('checkResponse', () => {
  const ok = { status: 200, reason: 'OK', headers: { 'content-type': 'text/plain', 'content-length': '13', date: 'now' }, body: 'Hello World!!' };
  it('accepts the hello-world', () => expect(checkResponse(ok)).toBeNull());
  it('names a wrong status with the body text', () => {
    expect(checkResponse({ ...ok, status: 505, reason: 'HTTP Version Not Supported', body: '<h1>Not supported</h1>' })).toBe(
      'status 505 HTTP Version Not Supported: "Not supported"',
    );
  });
  it('names a wrong body', () => expect(checkResponse({ ...ok, body: 'Hello' })).toMatch(/^body "Hello"/));
  it('names a missing header', () => {
    const { date, ...headers } = ok.headers;
    expect(checkResponse({ ...ok, headers })).toBe('no date header');
  });
});

describe('request bytes', () => {
  it('are what wrk and ab send', () => {
    expect(wrkRequest('h:1', '/')).toBe('GET / HTTP/1.1\r\nHost: h:1\r\n\r\n');
    expect(abRequest('h:1', '/', true)).toBe('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: h:1\r\nUser-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n');
  });
});

describe('checkMode against real servers', () => {
  /** @type {http.Server} */ let good;
  /** @type {net.Server} */ let http11only;
  /** @type {net.Server} */ let noKeepAliveWord;
  let goodPort = 0;
  let onlyPort = 0;
  let kaPort = 0;
  const hello = 'HTTP/1.1 200 OK\r\nDate: x\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello World!!';
  beforeAll(async () => {
    good = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 13 });
      res.end('Hello World!!');
    });
    // Like uWebSockets.js: HTTP/1.0 gets a 505 and a close.
    http11only = net.createServer((s) => {
      s.on('data', (d) => {
        if (d.toString().includes('HTTP/1.0')) s.end('HTTP/1.1 505 HTTP Version Not Supported\r\nConnection: close\r\n\r\n<h1>HTTP Version Not Supported</h1>');
        else s.write(hello.repeat((d.toString().match(/GET /g) ?? []).length));
      });
    });
    // Keeps HTTP/1.0 connections open without saying keep-alive.
    noKeepAliveWord = net.createServer((s) => s.on('data', () => s.write(hello)));
    const listen = (/** @type {net.Server} */ s) => new Promise((r) => s.listen(0, '127.0.0.1', () => r(/** @type {net.AddressInfo} */ (s.address()).port)));
    goodPort = /** @type {number} */ (await listen(good));
    onlyPort = /** @type {number} */ (await listen(http11only));
    kaPort = /** @type {number} */ (await listen(noKeepAliveWord));
  });
  afterAll(() => {
    good.closeAllConnections();
    good.close();
    http11only.close();
    noKeepAliveWord.close();
  });

  it('passes node:http in every mode', async () => {
    for (const check of /** @type {const} */ (['keepalive', 'pipeline', 'http10', 'http10-keepalive'])) {
      const r = await checkMode({ port: goodPort, path: '/', check });
      expect(r, check).toMatchObject({ ok: true });
    }
  });

  it('reports a 505 to HTTP/1.0 as the reason', async () => {
    expect(await checkMode({ port: onlyPort, path: '/', check: 'pipeline' })).toMatchObject({ ok: true });
    const r = await checkMode({ port: onlyPort, path: '/', check: 'http10' });
    expect(r).toEqual({ ok: false, reason: 'HTTP/1.0: status 505 HTTP Version Not Supported' });
  });

  it('reports an HTTP/1.0 connection left open, and keep-alive not announced', async () => {
    expect(await checkMode({ port: kaPort, path: '/', check: 'http10' })).toEqual({
      ok: false,
      reason: 'kept an HTTP/1.0 connection open without keep-alive (ab would wait)',
    });
    expect(await checkMode({ port: kaPort, path: '/', check: 'http10-keepalive' })).toMatchObject({ ok: false, reason: expect.stringMatching(/no "Connection: keep-alive"/) });
  });

  it('reports a refused connection', async () => {
    const r = await checkMode({ port: 1, path: '/', check: 'keepalive' });
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/ECONNREFUSED/) });
  });
});
