// Raw HTTP/1.x helpers for integration tests: build requests as bytes, send them over node:net,
// and split the received byte stream into responses (framed by Content-Length, or chunked as a
// fallback so that a misbehaving server still produces a readable failure message).
import net from 'node:net';

export interface ParsedResponse {
  httpVersion: string;
  status: number;
  reason: string;
  /** The head exactly as received, without the final blank line. */
  rawHead: string;
  /** Header fields in order, names as sent. */
  headerList: Array<[string, string]>;
  /** Lowercase names; repeated fields joined with ', '. */
  headers: Record<string, string>;
  body: Buffer;
  text: string;
  /** Total bytes this response occupied on the wire. */
  wireLength: number;
}

/** All values of a (case-insensitive) header, in order. */
export function headerValues(res: ParsedResponse, name: string): string[] {
  const lower = name.toLowerCase();
  return res.headerList.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

export interface ParseOptions {
  /** Per response index: true when the response has no body regardless of headers (HEAD). */
  noBody?: boolean[] | ((index: number) => boolean);
  /** The connection has been closed: a response without framing ends at end of input. */
  closed?: boolean;
}

export interface ParseResult {
  responses: ParsedResponse[];
  /** Unconsumed bytes (an incomplete response, or garbage). */
  rest: Buffer;
  /** Set when the stream could not be parsed as HTTP responses. */
  error?: string;
}

function noBodyAt(opts: ParseOptions | undefined, i: number): boolean {
  const nb = opts?.noBody;
  if (!nb) return false;
  return typeof nb === 'function' ? nb(i) : Boolean(nb[i]);
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Decodes a chunked body starting at `start`. Returns the body and end offset, or null if incomplete. */
function decodeChunked(buf: Buffer, start: number): { body: Buffer; end: number } | null | string {
  const parts: Buffer[] = [];
  let pos = start;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', pos);
    if (lineEnd < 0) return null;
    const sizeText = buf.subarray(pos, lineEnd).toString('latin1').split(';')[0].trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) return `bad chunk size line ${JSON.stringify(sizeText)}`;
    const size = parseInt(sizeText, 16);
    pos = lineEnd + 2;
    if (size === 0) {
      // trailers until an empty line
      for (;;) {
        const tEnd = buf.indexOf('\r\n', pos);
        if (tEnd < 0) return null;
        const empty = tEnd === pos;
        pos = tEnd + 2;
        if (empty) return { body: Buffer.concat(parts), end: pos };
      }
    }
    if (buf.length < pos + size + 2) return null;
    parts.push(buf.subarray(pos, pos + size));
    pos += size + 2;
  }
}

/** Splits a byte stream into complete HTTP/1.x responses. */
export function parseResponses(buf: Buffer, opts?: ParseOptions): ParseResult {
  const responses: ParsedResponse[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const headEnd = buf.indexOf(CRLFCRLF, pos);
    if (headEnd < 0) break;
    const rawHead = buf.subarray(pos, headEnd).toString('latin1');
    const lines = rawHead.split('\r\n');
    const m = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0]);
    if (!m) {
      return { responses, rest: buf.subarray(pos), error: `bad status line ${JSON.stringify(lines[0])}` };
    }
    const headerList: Array<[string, string]> = [];
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) {
        return { responses, rest: buf.subarray(pos), error: `bad header line ${JSON.stringify(line)}` };
      }
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).trim();
      headerList.push([name, value]);
      const lower = name.toLowerCase();
      headers[lower] = lower in headers ? `${headers[lower]}, ${value}` : value;
    }
    const status = Number(m[2]);
    const bodyStart = headEnd + 4;
    let body: Buffer;
    let end: number;
    if (noBodyAt(opts, responses.length) || (status >= 100 && status < 200) || status === 204 || status === 304) {
      body = Buffer.alloc(0);
      end = bodyStart;
    } else if (headers['content-length'] !== undefined) {
      if (!/^\d+$/.test(headers['content-length'])) {
        return { responses, rest: buf.subarray(pos), error: `bad content-length ${headers['content-length']}` };
      }
      const len = Number(headers['content-length']);
      if (buf.length < bodyStart + len) break;
      body = buf.subarray(bodyStart, bodyStart + len);
      end = bodyStart + len;
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const d = decodeChunked(buf, bodyStart);
      if (d === null) break;
      if (typeof d === 'string') return { responses, rest: buf.subarray(pos), error: d };
      body = d.body;
      end = d.end;
    } else {
      if (!opts?.closed) break; // body delimited by close; not complete yet
      body = buf.subarray(bodyStart);
      end = buf.length;
    }
    responses.push({
      httpVersion: m[1],
      status,
      reason: m[3] ?? '',
      rawHead,
      headerList,
      headers,
      body: Buffer.from(body),
      text: body.toString('utf8'),
      wireLength: end - pos,
    });
    pos = end;
  }
  return { responses, rest: buf.subarray(pos) };
}

export interface BuildOptions {
  headers?: Record<string, string | number> | Array<[string, string | number]>;
  body?: string | Buffer;
  version?: '1.0' | '1.1';
  /** Add a Host header (default: true for HTTP/1.1, false for 1.0). */
  host?: boolean;
  /** Add Content-Length when a body is given and no framing header is present (default true). */
  contentLength?: boolean;
}

/** Builds the bytes of one request. */
export function buildRequest(method: string, target: string, opts: BuildOptions = {}): Buffer {
  const version = opts.version ?? '1.1';
  const list: Array<[string, string | number]> = Array.isArray(opts.headers)
    ? [...opts.headers]
    : Object.entries(opts.headers ?? {});
  const has = (n: string) => list.some(([k]) => k.toLowerCase() === n);
  if ((opts.host ?? version === '1.1') && !has('host')) list.unshift(['Host', '127.0.0.1']);
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  if (body && (opts.contentLength ?? true) && !has('content-length') && !has('transfer-encoding')) {
    list.push(['Content-Length', body.length]);
  }
  const head = `${method} ${target} HTTP/${version}\r\n${list.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}

/** Shorthand: `GET path HTTP/1.1` with Host. */
export function get(path: string, headers?: BuildOptions['headers']): Buffer {
  return buildRequest('GET', path, { headers });
}

/** Encodes a body as chunked transfer coding with the given chunk sizes (rest goes in one last chunk). */
export function chunked(parts: Array<string | Buffer>): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    const b = Buffer.from(p);
    if (b.length === 0) continue;
    out.push(Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n'));
  }
  out.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(out);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A short, printable rendering of received bytes for assertion messages. */
export function show(buf: Buffer, max = 600): string {
  const s = JSON.stringify(buf.subarray(0, max).toString('latin1'));
  return buf.length > max ? `${s}… (${buf.length} bytes)` : s;
}

export interface RawOptions {
  /** Resolve once this many complete responses were received (default 1). */
  waitForResponses?: number;
  /** Also wait for the server to close the connection. */
  waitForClose?: boolean;
  /** Give up after this long and resolve with what arrived (timedOut: true). Default 5000. */
  timeoutMs?: number;
  /** When data is an array: pause between writes (default 5 ms) so pieces arrive separately. */
  writeDelayMs?: number;
  noBody?: ParseOptions['noBody'];
}

export interface RawResult {
  raw: Buffer;
  responses: ParsedResponse[];
  rest: Buffer;
  parseError?: string;
  /** The server closed (or reset) the connection. */
  closed: boolean;
  timedOut: boolean;
  error?: Error;
  elapsedMs: number;
  /** ms from connect to each complete response. */
  responseTimes: number[];
}

/**
 * Opens a connection, writes `data` (an array = several writes), collects the bytes received and
 * resolves when `waitForResponses` responses are complete (and, with waitForClose, the peer closed),
 * when the peer closes, or on timeout. Never rejects for network errors: they are in `error`.
 */
export function rawRequest(port: number, data: string | Buffer | Array<string | Buffer>, opts: RawOptions = {}): Promise<RawResult> {
  const want = opts.waitForResponses ?? 1;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const pieces = (Array.isArray(data) ? data : [data]).map((p) => Buffer.from(p));
  return new Promise((resolve) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    const responseTimes: number[] = [];
    let closed = false;
    let done = false;
    let error: Error | undefined;
    const sock = net.connect({ port, host: '127.0.0.1' });
    sock.setNoDelay(true);
    const parse = () => parseResponses(Buffer.concat(chunks), { noBody: opts.noBody, closed });
    const finish = (timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const raw = Buffer.concat(chunks);
      const p = parse();
      sock.destroy();
      resolve({
        raw,
        responses: p.responses,
        rest: p.rest,
        parseError: p.error,
        closed,
        timedOut,
        error,
        elapsedMs: performance.now() - started,
        responseTimes,
      });
    };
    const check = () => {
      const p = parse();
      while (responseTimes.length < p.responses.length) responseTimes.push(performance.now() - started);
      if (p.error) return finish(false);
      if (p.responses.length >= want && (!opts.waitForClose || closed)) finish(false);
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    sock.on('data', (d) => {
      chunks.push(d);
      check();
    });
    sock.on('error', (e) => {
      error = e;
    });
    sock.on('close', () => {
      closed = true;
      check();
      finish(false);
    });
    sock.on('connect', async () => {
      for (let i = 0; i < pieces.length; i++) {
        if (done) return;
        sock.write(pieces[i]);
        if (i < pieces.length - 1) await sleep(opts.writeDelayMs ?? 5);
      }
    });
  });
}

/** A persistent client connection for keep-alive tests: write, then read responses one by one. */
export class RawClient {
  readonly socket: net.Socket;
  private buf = Buffer.alloc(0);
  private all: Buffer[] = [];
  closed = false;
  /** The peer sent FIN (half-close) or the socket closed. */
  ended = false;
  error?: Error;
  private waiters = new Set<() => void>();

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.all.push(d);
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', (e) => {
      this.error = e;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.ended = true;
      this.wake();
    });
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private wake() {
    for (const w of [...this.waiters]) w();
  }

  /** Everything received on this connection so far. */
  get received(): Buffer {
    return Buffer.concat(this.all);
  }

  get bytesWritten(): number {
    return this.socket.bytesWritten;
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (e) => (e ? reject(e) : resolve())));
  }

  /** Waits for `n` more complete responses and consumes them. Throws (with what arrived) on timeout or close. */
  read(n = 1, opts: { timeoutMs?: number; noBody?: ParseOptions['noBody'] } = {}): Promise<ParsedResponse[]> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const p = parseResponses(this.buf, { noBody: opts.noBody, closed: this.ended });
        if (p.responses.length >= n) {
          const taken = p.responses.slice(0, n);
          const used = taken.reduce((a, r) => a + r.wireLength, 0);
          this.buf = this.buf.subarray(used);
          cleanup();
          resolve(taken);
          return;
        }
        if (p.error || this.ended) {
          cleanup();
          reject(
            new Error(
              `expected ${n} response(s), got ${p.responses.length}; ` +
                `${p.error ?? 'connection closed'}; received ${show(this.buf)}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${n} response(s); unparsed ${show(this.buf)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(attempt);
      };
      this.waiters.add(attempt);
      attempt();
    });
  }

  /** Writes one request and reads its response. */
  async request(data: string | Buffer, opts: { timeoutMs?: number; head?: boolean } = {}): Promise<ParsedResponse> {
    await this.write(data);
    const [r] = await this.read(1, { timeoutMs: opts.timeoutMs, noBody: opts.head ? [true] : undefined });
    return r;
  }

  /** Resolves true when the peer ends the connection within timeoutMs, false otherwise. */
  waitForEnd(timeoutMs = 2000): Promise<boolean> {
    if (this.ended) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onWake = () => {
        if (this.ended) {
          clearTimeout(timer);
          this.waiters.delete(onWake);
          resolve(true);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(onWake);
        resolve(false);
      }, timeoutMs);
      this.waiters.add(onWake);
    });
  }

  /** Unconsumed bytes. */
  get pending(): Buffer {
    return this.buf;
  }

  destroy() {
    this.socket.destroy();
  }
}

/** Resolves with the error code of a connection attempt ('ECONNREFUSED'), or 'connected'. */
export function tryConnect(port: number, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    const t = setTimeout(() => {
      s.destroy();
      resolve('timeout');
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      resolve(e.code ?? String(e));
    });
  });
}

export { sleep };

/** A promise a test waits on and a handler settles (something the handler saw, or that it got there). */
export function signal<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`. */
export const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * Asserts-friendly check that a response carries a valid, current Date and a Content-Length matching
 * its body -- or, with chunked: true, the chunked coding and no Content-Length.
 */
export function framingProblems(res: ParsedResponse, opts: { head?: boolean; chunked?: boolean } = {}): string[] {
  const problems: string[] = [];
  const date = res.headers['date'];
  if (date === undefined) problems.push('no Date header');
  else if (!IMF_FIXDATE.test(date)) problems.push(`Date not IMF-fixdate: ${date}`);
  else if (Math.abs(Date.parse(date) - Date.now()) > 5000) problems.push(`Date far from now: ${date}`);
  const cl = res.headers['content-length'];
  if (opts.chunked) {
    if (res.headers['transfer-encoding'] !== 'chunked') problems.push('not chunked');
    if (cl !== undefined) problems.push('Content-Length beside chunked');
    return problems;
  }
  if (cl === undefined) problems.push('no Content-Length header');
  else if (!opts.head && Number(cl) !== res.body.length) problems.push(`Content-Length ${cl} but body ${res.body.length} bytes`);
  if (headerValues(res, 'content-length').length > 1) problems.push('several Content-Length headers');
  return problems;
}

/** Rejects with `${label} did not settle within ${ms} ms` instead of hanging until the test timeout. */
export function within<T>(p: Promise<T>, ms: number, label: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${label} did not settle within ${ms} ms`)), ms);
    }),
  ]);
}
