// Responses framed correctly: HEAD, 204 and 304 carry no body; never two Content-Length; error bodies
// are short plain-text phrases. Each check pipelines a request after the one under test: body bytes
// that should not be there would be read as the start of the next response and break the parse.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SHORT_PHRASE, exchange } from '../helpers/hardening.js';
import { buildRequest, get, headerValues, show, type ParsedResponse } from '../helpers/http.js';
import { HOST, startHardeningServer, type HardeningServer } from './app.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

const head = (path: string) => buildRequest('HEAD', path);
const lastClose = `GET /ok HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`;

function contentLengths(r: ParsedResponse): string[] {
  return headerValues(r, 'content-length');
}

describe('response framing', () => {
  let s: HardeningServer;
  beforeAll(async () => {
    s = await startHardeningServer();
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('HEAD of a static route: the GET head, no body (16 KiB static)', async () => {
    const data = Buffer.concat([head('/big'), get('/big'), head('/'), Buffer.from(lastClose)]);
    const x = await exchange(s.port, data, { noBody: [true, false, true, false] });
    expect(x.parseError, show(x.raw)).toBeUndefined();
    expect(x.responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const [h, g, h2, last] = x.responses;
    expect(contentLengths(h)).toEqual(['16384']);
    expect(contentLengths(g)).toEqual(['16384']);
    expect(g.body.length).toBe(16384);
    expect(contentLengths(h2)).toEqual(['4']);
    expect(last.text).toBe('ok');
    // Exactly the bytes of the four responses: nothing extra anywhere.
    expect(x.rest.length).toBe(0);
    expect(h.wireLength).toBe(h.rawHead.length + 4);
    expect(h2.wireLength).toBe(h2.rawHead.length + 4);
  });

  it('HEAD of a dynamic route: Content-Length of the GET body, no body', async () => {
    const data = Buffer.concat([head('/dyn-big'), head('/ok'), Buffer.from(lastClose)]);
    const x = await exchange(s.port, data, { noBody: [true, true, false] });
    expect(x.parseError, show(x.raw)).toBeUndefined();
    expect(x.responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(contentLengths(x.responses[0])).toEqual(['16384']);
    expect(contentLengths(x.responses[1])).toEqual(['2']);
    expect(x.responses[0].wireLength).toBe(x.responses[0].rawHead.length + 4);
    expect(x.responses[2].text).toBe('ok');
    expect(x.rest.length).toBe(0);
  });

  it('HEAD of a missing route: 404 head only', async () => {
    const x = await exchange(s.port, Buffer.concat([head('/nowhere'), Buffer.from(lastClose)]), { noBody: [true, false] });
    expect(x.parseError, show(x.raw)).toBeUndefined();
    expect(x.responses.map((r) => r.status)).toEqual([404, 200]);
    expect(x.responses[0].wireLength).toBe(x.responses[0].rawHead.length + 4);
    expect(x.responses[1].text).toBe('ok');
  });

  for (const code of [204, 304]) {
    it(`${code} from a handler that set a body and Content-Length: no body, at most one Content-Length`, async () => {
      const x = await exchange(s.port, Buffer.concat([get(`/status/${code}`), Buffer.from(lastClose)]));
      expect(x.parseError, show(x.raw)).toBeUndefined();
      expect(x.responses.map((r) => r.status), show(x.raw)).toEqual([code, 200]);
      const r = x.responses[0];
      expect(r.wireLength, `no body bytes after the ${code} head: ${show(x.raw)}`).toBe(r.rawHead.length + 4);
      expect(contentLengths(r).length).toBeLessThanOrEqual(1);
      expect(r.headers['transfer-encoding']).toBeUndefined();
      expect(x.responses[1].text).toBe('ok');
    });
  }

  it('204 carries no Content-Length at all (RFC 9110 8.6)', async () => {
    const x = await exchange(s.port, `GET /status/204 HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
    expect(x.responses.map((r) => r.status), show(x.raw)).toEqual([204]);
    expect(contentLengths(x.responses[0]), show(x.raw)).toEqual([]);
  });

  it('a handler that sets Content-Length twice still yields one, matching the body', async () => {
    const x = await exchange(s.port, `GET /status/200 HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
    expect(x.responses.map((r) => r.status), show(x.raw)).toEqual([200]);
    expect(contentLengths(x.responses[0]), show(x.raw)).toEqual(['5']);
    expect(x.responses[0].text).toBe('body!');
  });

  it('a static route given its own content-length header still yields one, matching the body', async () => {
    const x = await exchange(s.port, `GET /static-cl HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
    expect(x.responses.map((r) => r.status), show(x.raw)).toEqual([200]);
    expect(contentLengths(x.responses[0]), show(x.raw)).toEqual(['3']);
    expect(x.responses[0].text).toBe('abc');
    expect(x.responses[0].headers['x-static']).toBe('yes');
  });

  it('404 and 405 bodies are short plain-text phrases with one Content-Length', async () => {
    const x = await exchange(s.port, Buffer.concat([get('/nowhere'), buildRequest('DELETE', '/ok'), Buffer.from(lastClose)]));
    expect(x.responses.map((r) => r.status), show(x.raw)).toEqual([404, 405, 200]);
    for (const r of x.responses.slice(0, 2)) {
      expect(r.text).toMatch(SHORT_PHRASE);
      expect(r.headers['content-type']).toMatch(/^text\/plain/);
      expect(contentLengths(r)).toEqual([String(r.body.length)]);
    }
    expect(x.responses[1].headers['allow']).toMatch(/GET/);
  });
});
