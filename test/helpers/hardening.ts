// Helpers for the hardening suite (test/hardening): a raw exchange that records how the server ended
// the connection (FIN or reset, and when), checks for a rejection, a trickling writer, an RSS sampler,
// and a child-process runner with a raised descriptor limit.
import net from 'node:net';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseResponses, show, sleep, type ParsedResponse, type ParseOptions } from './http.js';

export interface Exchange {
  raw: Buffer;
  responses: ParsedResponse[];
  /** Bytes after the last complete response (must be empty after a rejection). */
  rest: Buffer;
  parseError?: string;
  /** The server sent FIN ('end' fired). */
  ended: boolean;
  /** The socket closed (FIN or reset). */
  closed: boolean;
  /** Network error seen, e.g. ECONNRESET. */
  error?: NodeJS.ErrnoException;
  /** ms from connect to the first byte, to 'end', to 'close' (undefined: never happened). */
  firstByteMs?: number;
  endMs?: number;
  closeMs?: number;
  /** ms from connect to the moment the first complete response had arrived. */
  firstResponseMs?: number;
  /** Bytes written by the client before the exchange ended. */
  bytesWritten: number;
  timedOut: boolean;
}

export interface ExchangeOptions {
  /** Give up after this long (default 4000 ms) and resolve with what arrived. */
  timeoutMs?: number;
  /** When data is an array: pause between writes (default 5 ms). */
  writeDelayMs?: number;
  /** Resolve as soon as this many responses arrived instead of waiting for the close. */
  stopAfterResponses?: number;
  noBody?: ParseOptions['noBody'];
}

/**
 * Connects, writes data (an array: several writes spaced by writeDelayMs; writing stops once the server
 * has answered or closed), and collects everything until the server closes the connection (or timeout).
 * Never rejects.
 */
export function exchange(port: number, data: string | Buffer | Array<string | Buffer>, opts: ExchangeOptions = {}): Promise<Exchange> {
  const pieces = (Array.isArray(data) ? data : [data]).map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p, 'latin1')));
  const timeoutMs = opts.timeoutMs ?? 4000;
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    sock.setNoDelay(true);
    let t0 = performance.now();
    const chunks: Buffer[] = [];
    const r: Partial<Exchange> & { ended: boolean; closed: boolean } = { ended: false, closed: false };
    let done = false;
    const parse = () => parseResponses(Buffer.concat(chunks), { noBody: opts.noBody, closed: r.ended });
    const finish = (timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const raw = Buffer.concat(chunks);
      const p = parse();
      const bytesWritten = sock.bytesWritten;
      sock.destroy();
      resolve({
        raw,
        responses: p.responses,
        rest: p.rest,
        parseError: p.error,
        ended: r.ended,
        closed: r.closed,
        error: r.error,
        firstByteMs: r.firstByteMs,
        endMs: r.endMs,
        closeMs: r.closeMs,
        firstResponseMs: r.firstResponseMs,
        bytesWritten,
        timedOut,
      });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    sock.on('data', (d) => {
      r.firstByteMs ??= performance.now() - t0;
      chunks.push(d);
      const n = parse().responses.length;
      if (n >= 1) r.firstResponseMs ??= performance.now() - t0;
      if (opts.stopAfterResponses !== undefined && n >= opts.stopAfterResponses) finish(false);
    });
    sock.on('end', () => {
      r.ended = true;
      r.endMs = performance.now() - t0;
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      r.error ??= e;
    });
    sock.on('close', () => {
      r.closed = true;
      r.closeMs = performance.now() - t0;
      finish(false);
    });
    sock.on('connect', async () => {
      t0 = performance.now();
      for (let i = 0; i < pieces.length; i++) {
        if (done || r.ended || r.closed || chunks.length > 0) return;
        sock.write(pieces[i]);
        if (i < pieces.length - 1) await sleep(opts.writeDelayMs ?? 5);
      }
    });
  });
}

/** A short plain-text phrase: what an error body may look like (no stack, no markup, no paths). */
export const SHORT_PHRASE = /^[A-Za-z][A-Za-z0-9 ,.'()-]{0,79}$/;

function hasToken(value: string | undefined, token: string): boolean {
  return (value ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .includes(token);
}

/**
 * Problems with `x` as "exactly one response with this status, a short text body, Connection: close,
 * then a FIN from the server and nothing else". Empty when all is well.
 */
export function rejectionProblems(x: Exchange, status: number, opts: { closeWithinMs?: number } = {}): string[] {
  const p: string[] = [];
  const got = `received ${show(x.raw)}`;
  if (x.parseError) p.push(`unparsable response stream (${x.parseError}); ${got}`);
  if (x.responses.length !== 1) {
    p.push(`expected exactly 1 response, got ${x.responses.length} [${x.responses.map((r) => r.status).join(', ')}]; ${got}`);
  }
  const res = x.responses[0];
  if (res) {
    if (res.status !== status) p.push(`expected status ${status}, got ${res.status}; ${got}`);
    if (!hasToken(res.headers['connection'], 'close')) p.push(`no "Connection: close" on the error response; ${got}`);
    const cls = res.headerList.filter(([n]) => n.toLowerCase() === 'content-length');
    if (cls.length !== 1) p.push(`expected one Content-Length, got ${cls.length}; ${got}`);
    else if (Number(cls[0][1]) !== res.body.length) p.push(`Content-Length ${cls[0][1]} but body ${res.body.length}; ${got}`);
    if (res.headers['transfer-encoding'] !== undefined) p.push(`error response has Transfer-Encoding; ${got}`);
    if (!/^text\/plain\b/i.test(res.headers['content-type'] ?? '')) {
      p.push(`error body not text/plain (${res.headers['content-type']}); ${got}`);
    }
    if (!SHORT_PHRASE.test(res.text)) p.push(`error body is not a short plain phrase: ${JSON.stringify(res.text)}`);
    if (/\bat\s+\S+\s+\(|Error:|\.cc\b|\.ts\b|\/work\//.test(res.text)) p.push(`error body leaks internals: ${JSON.stringify(res.text)}`);
  }
  if (x.rest.length !== 0) p.push(`bytes after the error response: ${show(x.rest)}`);
  if (!x.ended) p.push(`server did not close (no FIN) within the wait; closed=${x.closed} error=${x.error?.code}; ${got}`);
  if (x.error) p.push(`connection error ${x.error.code ?? x.error.message} (reset instead of an orderly close?)`);
  const within = opts.closeWithinMs ?? 1500;
  if (x.ended && x.firstResponseMs !== undefined && x.endMs !== undefined && x.endMs - x.firstResponseMs > within) {
    p.push(`FIN came ${Math.round(x.endMs - x.firstResponseMs)} ms after the response (limit ${within})`);
  }
  return p;
}

/** Reads /proc/self/limits (Linux): the soft (or hard) limit on open files, or undefined elsewhere. */
export function openFileLimit(which: 'soft' | 'hard' = 'soft'): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!m) return undefined;
    const v = which === 'soft' ? m[1] : m[2];
    return v === 'unlimited' ? Infinity : Number(v);
  } catch {
    return undefined;
  }
}

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The last stdout line parsed as JSON (undefined when it is not JSON). */
  json?: any;
}

/**
 * Runs `command` (a shell command line) under `bash -c 'ulimit -n <fdLimit> ...; exec ...'`, so the child
 * can hold many sockets whatever the test process's soft limit. When fdLimit is above the hard limit
 * (and the process may not raise it), the child gets the hard limit instead: check what it got with
 * openFileLimit() inside the child. Calls onLine for each stdout line as it arrives. Kills the child
 * after timeoutMs.
 */
export function runWithFdLimit(
  command: string,
  opts: { fdLimit?: number; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string; onLine?: (line: string) => void } = {},
): Promise<ChildRun> {
  const fd = opts.fdLimit ?? 65536;
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', `ulimit -n ${fd} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec ${command}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      partial += d;
      let i;
      while ((i = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, i);
        partial = partial.slice(i + 1);
        opts.onLine?.(line);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let json: unknown;
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        json = JSON.parse(last);
      } catch {
        json = undefined;
      }
      resolve({ code, signal, stdout, stderr, json });
    });
  });
}

/** Samples process.memoryUsage().rss every intervalMs; stop() returns the peak and the last sample. */
export function sampleRss(intervalMs = 25): { stop: () => { peak: number; last: number; samples: number } } {
  let peak = process.memoryUsage().rss;
  let last = peak;
  let samples = 1;
  const t = setInterval(() => {
    last = process.memoryUsage().rss;
    peak = Math.max(peak, last);
    samples++;
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(t);
      last = process.memoryUsage().rss;
      peak = Math.max(peak, last);
      return { peak, last, samples };
    },
  };
}

/** Splits bytes into single-byte pieces (for trickling with exchange()). */
export function bytewise(data: string | Buffer): Buffer[] {
  return [...Buffer.from(data)].map((b) => Buffer.from([b]));
}

export const MB = 1024 * 1024;

export interface StreamedResponse {
  status: number;
  headers: Record<string, string>;
  bodyLength: number;
  /** The first 256 bytes of the body. */
  bodyStart: string;
}

/**
 * Incremental parser for a long stream of Content-Length-framed responses (O(bytes), unlike re-parsing
 * the whole buffer on every chunk). Feed it chunks; it calls onResponse for each complete response.
 * A response without Content-Length counts as bodiless (HEAD/204/304 shapes).
 */
export class ResponseStream {
  private head = Buffer.alloc(0);
  private bodyLeft = -1; // -1: reading a head
  private current?: StreamedResponse;
  count = 0;
  error?: string;

  constructor(private readonly onResponse: (r: StreamedResponse, index: number) => void = () => {}) {}

  push(chunk: Buffer): void {
    let d = chunk;
    while (d.length > 0 && !this.error) {
      if (this.bodyLeft < 0) {
        const joined = this.head.length ? Buffer.concat([this.head, d]) : d;
        const end = joined.indexOf('\r\n\r\n');
        if (end < 0) {
          this.head = Buffer.from(joined);
          if (this.head.length > 64 * 1024) this.error = 'response head over 64 KiB';
          return;
        }
        const lines = joined.subarray(0, end).toString('latin1').split('\r\n');
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
        if (!m) {
          this.error = `bad status line ${JSON.stringify(lines[0].slice(0, 80))}`;
          return;
        }
        const headers: Record<string, string> = {};
        for (const l of lines.slice(1)) {
          const i = l.indexOf(':');
          headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
        }
        this.current = { status: Number(m[1]), headers, bodyLength: 0, bodyStart: '' };
        this.bodyLeft = Number(headers['content-length'] ?? 0);
        this.head = Buffer.alloc(0);
        d = joined.subarray(end + 4);
      }
      const take = Math.min(this.bodyLeft, d.length);
      const cur = this.current!;
      if (cur.bodyStart.length < 256) cur.bodyStart += d.subarray(0, Math.min(take, 256 - cur.bodyStart.length)).toString('latin1');
      cur.bodyLength += take;
      this.bodyLeft -= take;
      d = d.subarray(take);
      if (this.bodyLeft === 0) {
        this.bodyLeft = -1;
        this.onResponse(cur, this.count++);
      }
    }
  }
}
