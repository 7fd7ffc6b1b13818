// Strict parsing: every malformed request gets exactly one error response with the right status and
// `Connection: close`, then the server closes (FIN) and never interprets what followed in the buffer
// (a valid request to a trap route is appended to each case and must never reach a handler).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exchange, rejectionProblems } from '../helpers/hardening.js';
import { show } from '../helpers/http.js';
import { HOST, TRAILING, startHardeningServer, type HardeningServer } from './app.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

interface Case {
  name: string;
  data: string;
  status: number;
  /** Append TRAILING in the same write (default true). */
  tail?: boolean;
}

const GET = (extra = '') => `GET / HTTP/1.1\r\n${HOST}${extra}\r\n`;
const POST = (fields: string, body: string) => `POST /echo HTTP/1.1\r\n${HOST}${fields}\r\n${body}`;

const requestLine: Case[] = [
  { name: 'bad method token (@)', data: `G@T / HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'bad method token (non-ASCII)', data: `G\xc9T / HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'empty method (line starts with SP)', data: ` / HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'two spaces between method and target', data: `GET  / HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'SP inside the target', data: `GET /a b HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'HTAB as a separator', data: `GET\t/ HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'control char (0x01) in the target', data: `GET /a\x01b HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'DEL in the target', data: `GET /a\x7fb HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'NUL in the target', data: `GET /a\x00b HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'NUL in the method', data: `GE\x00T / HTTP/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'missing version (HTTP/0.9 shape)', data: `GET /\r\n${HOST}\r\n`, status: 400 },
  { name: 'missing version after SP', data: `GET / \r\n${HOST}\r\n`, status: 400 },
  { name: 'lower-case version', data: `GET / http/1.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'version without minor', data: `GET / HTTP/1\r\n${HOST}\r\n`, status: 400 },
  { name: 'version with letters', data: `GET / HTTP/1.x\r\n${HOST}\r\n`, status: 400 },
  { name: 'version with two-digit major', data: `GET / HTTP/11.1\r\n${HOST}\r\n`, status: 400 },
  { name: 'trailing SP after version', data: `GET / HTTP/1.1 \r\n${HOST}\r\n`, status: 400 },
  { name: 'garbage line', data: 'THIS IS NOT HTTP\r\n\r\n', status: 400 },
  { name: 'HTTP/2.0', data: `GET / HTTP/2.0\r\n${HOST}\r\n`, status: 505 },
  { name: 'HTTP/1.2', data: `GET / HTTP/1.2\r\n${HOST}\r\n`, status: 505 },
  { name: 'HTTP/0.9 (well-formed)', data: `GET / HTTP/0.9\r\n${HOST}\r\n`, status: 505 },
  { name: 'HTTP/3.0', data: `GET / HTTP/3.0\r\n${HOST}\r\n`, status: 505 },
];

const headerFields: Case[] = [
  { name: 'SP between name and colon', data: `GET / HTTP/1.1\r\nHost : 127.0.0.1\r\n\r\n`, status: 400 },
  { name: 'HTAB between name and colon', data: GET('X-A\t: 1\r\n'), status: 400 },
  { name: 'empty header name', data: GET(': value\r\n'), status: 400 },
  { name: 'invalid name char "("', data: GET('X(A: 1\r\n'), status: 400 },
  { name: 'invalid name char "/"', data: GET('X/A: 1\r\n'), status: 400 },
  { name: 'non-ASCII in the name', data: GET('X-\xe9: 1\r\n'), status: 400 },
  { name: 'header line without a colon', data: GET('NoColonHere\r\n'), status: 400 },
  { name: 'leading SP before the first header (obs-fold shape)', data: `GET / HTTP/1.1\r\n ${HOST}\r\n`, status: 400 },
  { name: 'control char 0x01 in a value', data: GET('X-A: a\x01b\r\n'), status: 400 },
  { name: 'NUL in a value', data: GET('X-A: a\x00b\r\n'), status: 400 },
  { name: 'DEL in a value', data: GET('X-A: a\x7fb\r\n'), status: 400 },
  { name: 'ESC in a value', data: GET('X-A: a\x1bb\r\n'), status: 400 },
  { name: 'lone CR inside a value', data: GET('X-A: a\rb\r\n'), status: 400 },
  { name: 'obs-fold with SP', data: GET('X-A: a\r\n b\r\n'), status: 400 },
  { name: 'obs-fold with HTAB', data: GET('X-A: a\r\n\tb\r\n'), status: 400 },
  { name: 'bare LF everywhere', data: `GET / HTTP/1.1\n${HOST.replace('\r\n', '\n')}\n`, status: 400 },
  { name: 'bare LF after the request line', data: `GET / HTTP/1.1\n${HOST}\r\n`, status: 400 },
  { name: 'bare LF after a header', data: `GET / HTTP/1.1\r\n${HOST}X-A: 1\n\r\n`, status: 400 },
  { name: 'bare LF as the final empty line', data: `GET / HTTP/1.1\r\n${HOST}\n`, status: 400 },
  { name: 'HTTP/1.1 without Host', data: 'GET / HTTP/1.1\r\nX-A: 1\r\n\r\n', status: 400 },
  { name: 'two Host fields', data: `GET / HTTP/1.1\r\n${HOST}Host: other\r\n\r\n`, status: 400 },
  { name: 'two Host fields, different case', data: `GET / HTTP/1.1\r\n${HOST}hOST: 127.0.0.1\r\n\r\n`, status: 400 },
];

const framing: Case[] = [
  { name: 'Content-Length and Transfer-Encoding: chunked', data: POST('Content-Length: 5\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'), status: 400 },
  { name: 'Transfer-Encoding: chunked and Content-Length (TE first)', data: POST('Transfer-Encoding: chunked\r\nContent-Length: 5\r\n', '0\r\n\r\n'), status: 400 },
  { name: 'TE final coding not chunked (chunked, gzip)', data: POST('Transfer-Encoding: chunked, gzip\r\n', '0\r\n\r\n'), status: 400 },
  { name: 'TE is only gzip', data: POST('Transfer-Encoding: gzip\r\n', 'abc'), status: 400 },
  { name: 'TE chunked twice in one field', data: POST('Transfer-Encoding: chunked, chunked\r\n', '0\r\n\r\n'), status: 400 },
  { name: 'TE chunked twice in two fields', data: POST('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'), status: 400 },
  { name: 'TE unknown coding before chunked (gzip, chunked)', data: POST('Transfer-Encoding: gzip, chunked\r\n', '0\r\n\r\n'), status: 501 },
  { name: 'TE unknown coding in its own field before chunked', data: POST('Transfer-Encoding: br\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'), status: 501 },
  { name: 'TE in HTTP/1.0', data: `POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, status: 400 },
  { name: 'Content-Length with a sign', data: POST('Content-Length: +5\r\n', 'hello'), status: 400 },
  { name: 'Content-Length negative', data: POST('Content-Length: -1\r\n', ''), status: 400 },
  { name: 'Content-Length hex', data: POST('Content-Length: 0x5\r\n', 'hello'), status: 400 },
  { name: 'Content-Length with inner space', data: POST('Content-Length: 1 2\r\n', 'hello world!'), status: 400 },
  { name: 'Content-Length empty', data: POST('Content-Length: \r\n', ''), status: 400 },
  { name: 'Content-Length decimal point', data: POST('Content-Length: 5.0\r\n', 'hello'), status: 400 },
  { name: 'Content-Length overflowing 64 bits', data: POST('Content-Length: 99999999999999999999999\r\n', 'x'), status: 400 },
  { name: 'Content-Length 2^64 exactly', data: POST('Content-Length: 18446744073709551616\r\n', 'x'), status: 400 },
  { name: 'two different Content-Length fields', data: POST('Content-Length: 5\r\nContent-Length: 6\r\n', 'hello!'), status: 400 },
  { name: 'two different values in one Content-Length', data: POST('Content-Length: 5, 6\r\n', 'hello!'), status: 400 },
  { name: 'chunk size not hex', data: POST('Transfer-Encoding: chunked\r\n', 'zz\r\nhello\r\n0\r\n\r\n'), status: 400 },
  { name: 'chunk size empty', data: POST('Transfer-Encoding: chunked\r\n', '\r\nhello\r\n0\r\n\r\n'), status: 400 },
  { name: 'chunk size with a sign', data: POST('Transfer-Encoding: chunked\r\n', '+5\r\nhello\r\n0\r\n\r\n'), status: 400 },
  { name: 'chunk size with 0x prefix', data: POST('Transfer-Encoding: chunked\r\n', '0x5\r\nhello\r\n0\r\n\r\n'), status: 400 },
  { name: 'chunk size overflow (17 hex digits)', data: POST('Transfer-Encoding: chunked\r\n', '10000000000000005\r\nhello\r\n0\r\n\r\n'), status: 400 },
  { name: 'chunk size overflow (ffffffffffffffffff)', data: POST('Transfer-Encoding: chunked\r\n', 'ffffffffffffffffff\r\nhello\r\n0\r\n\r\n'), status: 400 },
  { name: 'missing CRLF after chunk data', data: POST('Transfer-Encoding: chunked\r\n', '5\r\nhelloXX0\r\n\r\n'), status: 400 },
  { name: 'chunk data longer than its size', data: POST('Transfer-Encoding: chunked\r\n', '3\r\nhello\r\n0\r\n\r\n'), status: 400 },
  { name: 'control char in a chunk extension', data: POST('Transfer-Encoding: chunked\r\n', '5;a\x01b\r\nhello\r\n0\r\n\r\n'), status: 400 },
  { name: 'NUL in a chunk extension', data: POST('Transfer-Encoding: chunked\r\n', '5;a=\x00\r\nhello\r\n0\r\n\r\n'), status: 400 },
  { name: 'bare LF after the chunk size', data: POST('Transfer-Encoding: chunked\r\n', '5\nhello\r\n0\r\n\r\n'), status: 400 },
];

describe('strict parsing', () => {
  let s: HardeningServer;

  beforeAll(async () => {
    s = await startHardeningServer();
  });
  afterAll(async () => {
    await s?.stop();
  });

  const check = async (c: Case) => {
    const before = s.app.stats();
    const seenBefore = s.seen.length;
    const errorsBefore = s.clientErrors.length;
    const data = c.tail === false ? c.data : c.data + TRAILING;
    const x = await exchange(s.port, Buffer.from(data, 'latin1'));
    expect(rejectionProblems(x, c.status), `${c.name}: ${show(Buffer.from(data, 'latin1'))}`).toEqual([]);
    // Nothing after the bad request reached a handler.
    expect(s.seen.slice(seenBefore)).toEqual([]);
    // Counted once, and reported once to onClientError with the status sent.
    await vi.waitFor(() => expect(s.clientErrors.length).toBe(errorsBefore + 1), { timeout: 1000 });
    const err = s.clientErrors[errorsBefore];
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('UVHTTP_ERR_CLIENT');
    expect(err.statusCode).toBe(c.status);
    expect(err.message).toContain(x.responses[0].text);
    const after = s.app.stats();
    expect(after.parseErrors - before.parseErrors).toBe(1);
    expect(after.requests - before.requests).toBe(0);
  };

  describe('request line', () => {
    for (const c of requestLine) it(`${c.status}: ${c.name}`, () => check(c));
  });
  describe('header fields', () => {
    for (const c of headerFields) it(`${c.status}: ${c.name}`, () => check(c));
  });
  describe('message framing', () => {
    for (const c of framing) it(`${c.status}: ${c.name}`, () => check(c));
  });

  describe('what is accepted (controls for the cases above)', () => {
    it('HTAB and obs-text inside a value, and HTTP/1.0 without Host, are accepted', async () => {
      const data = Buffer.concat([
        Buffer.from(`GET /ok HTTP/1.1\r\n${HOST}X-A: a\tb\xe9\r\n\r\n`, 'latin1'),
        Buffer.from('GET /ok HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', 'latin1'),
        Buffer.from(`GET /ok HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`, 'latin1'),
      ]);
      const x = await exchange(s.port, data);
      expect(x.responses.map((r) => r.status), show(x.raw)).toEqual([200, 200, 200]);
      expect(x.responses.map((r) => r.text)).toEqual(['ok', 'ok', 'ok']);
      expect(x.ended).toBe(true);
    });

    it('identical repeated Content-Length values are one length', async () => {
      const x = await exchange(s.port, POST('Content-Length: 5\r\nContent-Length: 5\r\nConnection: close\r\n', 'hello'));
      expect(x.responses.map((r) => r.status), show(x.raw)).toEqual([200]);
      expect(x.responses[0].text).toBe('/echo:hello');
    });

    it('a chunked body with extensions and trailers is decoded', async () => {
      const x = await exchange(
        s.port,
        POST('Transfer-Encoding: Chunked\r\nConnection: close\r\n', '5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n'),
      );
      expect(x.responses.map((r) => r.status), show(x.raw)).toEqual([200]);
      expect(x.responses[0].text).toBe('/echo:hello world');
    });

    it('a valid request before a malformed one is answered, the malformed one gets 400, nothing after', async () => {
      const seenBefore = s.seen.length;
      const data = `GET /ok HTTP/1.1\r\n${HOST}\r\n` + `GET / HTTP/1.1\r\nBad Name: 1\r\n${HOST}\r\n` + TRAILING;
      const x = await exchange(s.port, data);
      expect(x.responses.map((r) => r.status), show(x.raw)).toEqual([200, 400]);
      expect(x.responses[0].text).toBe('ok');
      expect(x.rest.length, show(x.rest)).toBe(0);
      expect(x.ended).toBe(true);
      expect(s.seen.slice(seenBefore).map((r) => r.path)).toEqual(['/ok']);
    });

    it('a request split at every byte boundary of its head is still rejected once (bad header name)', async () => {
      const data = `GET / HTTP/1.1\r\n${HOST}Bad Name: 1\r\n\r\n`;
      const pieces = [...Buffer.from(data)].map((b) => Buffer.from([b]));
      const x = await exchange(s.port, pieces, { writeDelayMs: 1 });
      expect(rejectionProblems(x, 400)).toEqual([]);
    });
  });
});
