// One real exchange per mode before measuring: the same request bytes the tool will send,
// the responses parsed and checked (status 200, body "Hello World!!", Content-Type,
// Content-Length and Date present), and the connection behaviour the tool relies on.
// A server that fails a check is reported `unsupported` for that mode, with the reason.
import net from 'node:net';
import { BODY } from './servers/body.mjs';

/**
 * @typedef {{ status: number, reason: string, headers: Record<string, string>, body: string }} Response
 */

/**
 * Parse as many complete responses as `buf` holds.
 * Bodies are delimited by Content-Length (or chunked); anything else needs the close.
 * @param {string} buf
 * @param {boolean} closed whether the peer has closed (ends a body without length)
 * @returns {{ responses: Response[], rest: string }}
 */
export function parseResponses(buf, closed = false) {
  /** @type {Response[]} */
  const responses = [];
  for (;;) {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) break;
    const lines = buf.slice(0, end).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0]);
    if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(lines[0].slice(0, 80))}`);
    /** @type {Record<string, string>} */
    const headers = {};
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    let rest = buf.slice(end + 4);
    let body;
    if (headers['content-length'] !== undefined) {
      const len = Number(headers['content-length']);
      if (rest.length < len) break;
      body = rest.slice(0, len);
      rest = rest.slice(len);
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const done = /\r\n0\r\n\r\n|^0\r\n\r\n/.exec(rest);
      if (!done) break;
      const raw = rest.slice(0, done.index + done[0].length);
      rest = rest.slice(raw.length);
      body = '';
      for (let r = raw; ; ) {
        const nl = r.indexOf('\r\n');
        const size = parseInt(r.slice(0, nl), 16);
        if (!size) break;
        body += r.slice(nl + 2, nl + 2 + size);
        r = r.slice(nl + 2 + size + 2);
      }
    } else {
      if (!closed) break;
      body = rest;
      rest = '';
    }
    responses.push({ status: Number(m[1]), reason: m[2], headers, body });
    buf = rest;
  }
  return { responses, rest: buf };
}

/**
 * Why a response is not the hello-world we expect, or null if it is.
 * @param {Response} r
 */
export function checkResponse(r) {
  if (r.status !== 200) return `status ${r.status} ${r.reason}`.trim() + bodyHint(r.body, r.reason);
  if (r.body !== BODY) return `body ${JSON.stringify(r.body.slice(0, 40))}, expected ${JSON.stringify(BODY)}`;
  for (const h of ['content-type', 'content-length', 'date']) {
    if (!(h in r.headers)) return `no ${h} header`;
  }
  return null;
}

/**
 * The gist of an error page: its text without tags and without the reason phrase again.
 * @param {string} body
 * @param {string} reason
 */
function bodyHint(body, reason) {
  let text = body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  if (reason && text.startsWith(reason)) text = text.slice(reason.length).trim();
  if (text.length > 60) text = `${text.slice(0, 59)}…`;
  return text ? `: "${text}"` : '';
}

/**
 * Send `payloads` one after another (the next once the previous was answered), collect until
 * `want` responses arrived (and, with `expectClose`, the server closed), or `timeoutMs`.
 * @param {{ port: number, payloads: string[], want: number, timeoutMs?: number, expectClose?: boolean }} o
 * @returns {Promise<{ responses: Response[], closed: boolean, error: string }>}
 */
function exchange({ port, payloads, want, timeoutMs = 2000, expectClose = false }) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    let closed = false;
    /** @type {Response[]} */
    let responses = [];
    let error = '';
    const finish = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ responses, closed, error });
    };
    const timer = setTimeout(finish, timeoutMs);
    let sent = 0;
    const sendNext = () => {
      if (sent < payloads.length && !closed) sock.write(payloads[sent++]);
    };
    sock.on('connect', sendNext);
    sock.setEncoding('latin1');
    const parse = () => {
      let r;
      try {
        r = parseResponses(buf, closed);
        responses = responses.concat(r.responses);
        buf = r.rest;
      } catch (e) {
        error = /** @type {Error} */ (e).message;
        finish();
        return;
      }
      if (responses.length >= want && (!expectClose || closed)) finish();
      else if (r && responses.length >= sent) sendNext();
    };
    sock.on('data', (d) => {
      buf += d;
      parse();
    });
    sock.on('end', () => {
      closed = true;
      parse();
      finish();
    });
    sock.on('error', (e) => {
      error = e.message;
      finish();
    });
  });
}

/** The request wrk sends (wrk.format with no extra headers). @param {string} host @param {string} path */
export const wrkRequest = (host, path) => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`;

/** The request ab 2.3 sends. @param {string} host @param {string} path @param {boolean} keepalive */
export const abRequest = (host, path, keepalive) =>
  `GET ${path} HTTP/1.0\r\n${keepalive ? 'Connection: Keep-Alive\r\n' : ''}Host: ${host}\r\n` +
  'User-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\n';

/**
 * Check that the server at `port` serves `path` the way a mode needs.
 * @param {{ port: number, path: string, check: 'keepalive' | 'pipeline' | 'http10' | 'http10-keepalive', depth?: number }} o
 * @returns {Promise<{ ok: true, sample: Response } | { ok: false, reason: string }>}
 */
export async function checkMode({ port, path, check, depth = 16 }) {
  const host = `127.0.0.1:${port}`;
  const fail = (/** @type {string} */ reason) => ({ ok: /** @type {false} */ (false), reason });
  /** @param {Response[]} rs */
  const firstBad = (rs) => rs.map(checkResponse).find((x) => x !== null);
  /** @type {any} */
  let r;
  switch (check) {
    case 'keepalive':
      r = await exchange({ port, payloads: [wrkRequest(host, path), wrkRequest(host, path)], want: 2 });
      if (r.error) return fail(r.error);
      if (!r.responses.length) return fail('no response to an HTTP/1.1 request');
      if (firstBad(r.responses)) return fail(firstBad(r.responses));
      if (r.responses.length < 2) return fail('closed an HTTP/1.1 connection after one response (no keep-alive)');
      break;
    case 'pipeline':
      r = await exchange({ port, payloads: [wrkRequest(host, path).repeat(depth)], want: depth });
      if (r.error) return fail(r.error);
      if (r.responses.length < depth)
        return fail(`answered ${r.responses.length} of ${depth} pipelined requests`);
      if (firstBad(r.responses)) return fail(firstBad(r.responses));
      break;
    case 'http10':
      r = await exchange({ port, payloads: [abRequest(host, path, false)], want: 1, expectClose: true });
      if (r.error) return fail(r.error);
      if (!r.responses.length) return fail('no response to an HTTP/1.0 request');
      if (firstBad(r.responses)) return fail(`HTTP/1.0: ${firstBad(r.responses)}`);
      if (!r.closed) return fail('kept an HTTP/1.0 connection open without keep-alive (ab would wait)');
      break;
    case 'http10-keepalive':
      r = await exchange({ port, payloads: [abRequest(host, path, true), abRequest(host, path, true)], want: 2 });
      if (r.error) return fail(r.error);
      if (!r.responses.length) return fail('no response to an HTTP/1.0 keep-alive request');
      if (firstBad(r.responses)) return fail(`HTTP/1.0 keep-alive: ${firstBad(r.responses)}`);
      // ab -k keeps a connection only if the response says keep-alive.
      if (!/keep-alive/i.test(r.responses[0].headers.connection ?? ''))
        return fail('no "Connection: keep-alive" in the answer to an HTTP/1.0 keep-alive request');
      if (r.responses.length < 2) return fail('closed an HTTP/1.0 keep-alive connection after one response');
      break;
  }
  return { ok: true, sample: r.responses[0] };
}
