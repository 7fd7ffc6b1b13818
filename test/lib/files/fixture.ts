// Shared pieces of the serveDir suite: fixture trees in a temp dir (with a secret file next to the root
// that must never be served), hashing, a streaming response reader for large bodies, and a strict
// multipart/byteranges parser.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { buildRequest, rawRequest, show, type ParsedResponse } from '../../helpers/http.js';

/** Bytes that are in the secret file outside the root, and nowhere else. */
export const SECRET_MARKER = 'SECRET-7f3a9c1e-outside-root-DO-NOT-SERVE';

/** A fixed mtime with a sub-second part: 2023-11-14T22:13:20.500Z. */
export const MTIME_MS = 1_700_000_000_500;
export const MTIME_HTTP = 'Tue, 14 Nov 2023 22:13:20 GMT';

export type Entry = string | Buffer | { symlink: string } | { dir: true };

export interface Tree {
  /** The temp dir holding root/ and the secret file. */
  base: string;
  /** The directory to mount. */
  root: string;
  /** base/secret.txt, next to the root. */
  secretPath: string;
  /** Absolute path of a file under root. */
  file: (rel: string) => string;
  cleanup: () => void;
}

/**
 * Creates base/root with the given entries (paths relative to root, '/'-separated; parents are created)
 * and base/secret.txt holding SECRET_MARKER. Every regular file gets mtime MTIME_MS unless keepTimes.
 */
export function makeTree(entries: Record<string, Entry>, opts: { keepTimes?: boolean } = {}): Tree {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'uvhttp-files-'));
  const root = path.join(base, 'root');
  fs.mkdirSync(root);
  const secretPath = path.join(base, 'secret.txt');
  fs.writeFileSync(secretPath, `${SECRET_MARKER}\n`);
  const t = new Date(MTIME_MS);
  for (const [rel, e] of Object.entries(entries)) {
    const p = path.join(root, ...rel.split('/'));
    fs.mkdirSync(path.dirname(p), { recursive: true });
    if (typeof e === 'string' || Buffer.isBuffer(e)) {
      fs.writeFileSync(p, e);
      if (!opts.keepTimes) fs.utimesSync(p, t, t);
    } else if ('symlink' in e) {
      fs.symlinkSync(e.symlink, p);
    } else {
      fs.mkdirSync(p, { recursive: true });
    }
  }
  return {
    base,
    root,
    secretPath,
    file: (rel) => path.join(root, ...rel.split('/')),
    cleanup: () => fs.rmSync(base, { recursive: true, force: true }),
  };
}

export function sha256(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

/** The ETag the spec defines for a file: `"<size hex>-<mtime ms hex>"` (+ `-br`/`-gz`/`-zst` for a variant). */
export function etagOf(file: string, suffix = ''): string {
  const st = fs.statSync(file);
  return `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}${suffix}"`;
}

/** Deterministic pseudo-random bytes (so a failure can be reproduced byte for byte). */
export function pattern(size: number, seed = 1): Buffer {
  const b = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

/** Header field names of a response, lower-cased, in order. */
export function names(res: ParsedResponse): string[] {
  return res.headerList.map(([n]) => n.toLowerCase());
}

/** Asserts that `present` fields appear in the response in exactly this relative order. */
export function expectHeaderOrder(res: ParsedResponse, present: string[]): void {
  const got = names(res).filter((n) => present.includes(n));
  expect(got, `header order in\n${res.rawHead}`).toEqual(present);
}

/** Asserts a 304 shape: validators may be there, but no Content-Type, Content-Length, Content-Range or body. */
export function expectBare304(res: ParsedResponse): void {
  expect(res.status, res.rawHead).toBe(304);
  expect(res.headers['content-type'], res.rawHead).toBeUndefined();
  expect(res.headers['content-length'], res.rawHead).toBeUndefined();
  expect(res.headers['content-range'], res.rawHead).toBeUndefined();
  expect(res.headers['transfer-encoding'], res.rawHead).toBeUndefined();
  expect(res.body.length).toBe(0);
}

export interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Parses a multipart/byteranges body exactly as the spec lays it out:
 * each part `--B\r\nContent-Type: T\r\nContent-Range: bytes a-b/size\r\n\r\n<bytes>\r\n`, then `--B--\r\n`,
 * and nothing after. Throws with a description when the body does not follow it.
 */
export function parseByteranges(body: Buffer, contentType: string): Part[] {
  const m = /^multipart\/byteranges;\s*boundary=("?)([^";]+)\1\s*$/i.exec(contentType);
  if (!m) throw new Error(`not multipart/byteranges with a boundary: ${contentType}`);
  const boundary = m[2];
  const parts: Part[] = [];
  let pos = 0;
  const expectAt = (s: string) => {
    const got = body.subarray(pos, pos + s.length).toString('latin1');
    if (got !== s) throw new Error(`at byte ${pos}: expected ${JSON.stringify(s)}, got ${JSON.stringify(got)}`);
    pos += s.length;
  };
  for (;;) {
    if (body.subarray(pos, pos + boundary.length + 4).toString('latin1') === `--${boundary}--`) {
      expectAt(`--${boundary}--\r\n`);
      if (pos !== body.length) throw new Error(`${body.length - pos} bytes after the closing delimiter`);
      return parts;
    }
    expectAt(`--${boundary}\r\n`);
    const headEnd = body.indexOf('\r\n\r\n', pos);
    if (headEnd < 0) throw new Error(`part ${parts.length}: no end of head`);
    const headers: Record<string, string> = {};
    for (const line of body.subarray(pos, headEnd).toString('latin1').split('\r\n')) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
    pos = headEnd + 4;
    const cr = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(headers['content-range'] ?? '');
    if (!cr) throw new Error(`part ${parts.length}: bad Content-Range ${headers['content-range']}`);
    const len = Number(cr[2]) - Number(cr[1]) + 1;
    parts.push({ headers, body: body.subarray(pos, pos + len) });
    pos += len;
    expectAt('\r\n');
  }
}

export interface StreamedFull {
  status: number;
  rawHead: string;
  headers: Record<string, string>;
  length: number;
  sha256: string;
  /** The body, kept only when it is at most keepUpTo bytes. */
  body?: Buffer;
}

/**
 * A keep-alive connection that reads Content-Length-framed responses and hashes bodies as they stream
 * (O(bytes), for 20 MiB bodies). Expect a response with expect(); `head` marks a response to HEAD.
 */
export class StreamClient {
  readonly socket: net.Socket;
  private pending = Buffer.alloc(0);
  private queue: Array<{ head: boolean; resolve: (r: StreamedFull) => void; reject: (e: Error) => void }> = [];
  private cur?: { res: StreamedFull; left: number; hash: ReturnType<typeof createHash>; chunks: Buffer[] };
  closed = false;
  received = 0;
  /** Called with each chunk of body bytes (to inspect or throttle). */
  onBody?: (chunk: Buffer) => void;
  keepUpTo = 1024 * 1024;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.received += d.length;
      this.feed(d);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      for (const q of this.queue.splice(0)) q.reject(new Error(`connection closed; unparsed ${this.pending.length} bytes`));
    });
  }

  static connect(port: number): Promise<StreamClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.setNoDelay(true);
      s.once('connect', () => resolve(new StreamClient(s)));
      s.once('error', reject);
    });
  }

  /** Registers the next expected response (in order). */
  expect(head = false, timeoutMs = 15_000): Promise<StreamedFull> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for a response (${this.received} bytes received)`)), timeoutMs);
      this.queue.push({
        head,
        resolve: (r) => {
          clearTimeout(t);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      this.feed(Buffer.alloc(0));
    });
  }

  write(data: Buffer | string): void {
    this.socket.write(data);
  }

  private feed(d: Buffer): void {
    let data = this.pending.length ? Buffer.concat([this.pending, d]) : d;
    this.pending = Buffer.alloc(0);
    while (data.length > 0 || (this.cur && this.cur.left === 0)) {
      if (!this.cur) {
        const q = this.queue[0];
        if (!q) break;
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) break;
        const rawHead = data.subarray(0, end).toString('latin1');
        const lines = rawHead.split('\r\n');
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
        if (!m) {
          this.queue.shift();
          q.reject(new Error(`bad status line ${JSON.stringify(lines[0].slice(0, 100))}`));
          this.socket.destroy();
          return;
        }
        const headers: Record<string, string> = {};
        for (const l of lines.slice(1)) {
          const i = l.indexOf(':');
          headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
        }
        const status = Number(m[1]);
        const bodyless = q.head || status === 304 || status === 204 || status < 200;
        const left = bodyless ? 0 : Number(headers['content-length'] ?? 0);
        this.cur = { res: { status, rawHead, headers, length: 0, sha256: '' }, left, hash: createHash('sha256'), chunks: [] };
        data = data.subarray(end + 4);
      }
      const c = this.cur;
      const take = Math.min(c.left, data.length);
      if (take > 0) {
        const piece = data.subarray(0, take);
        c.hash.update(piece);
        if (c.res.length + take <= this.keepUpTo) c.chunks.push(Buffer.from(piece));
        c.res.length += take;
        c.left -= take;
        this.onBody?.(piece);
        data = data.subarray(take);
      }
      if (c.left === 0) {
        c.res.sha256 = c.hash.digest('hex');
        if (c.res.length <= this.keepUpTo) c.res.body = Buffer.concat(c.chunks);
        this.cur = undefined;
        this.queue.shift()!.resolve(c.res);
      }
    }
    if (data.length) this.pending = Buffer.from(data);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Polls fn every intervalMs until it returns true or timeoutMs passed; resolves with the elapsed ms or -1. */
export async function pollUntil(fn: () => Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (await fn()) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) return -1;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Number of open file descriptors of this process (Linux). */
export function openFdCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/** Catches what fn throws synchronously (undefined when it did not throw). */
export function thrown(fn: () => unknown): (Error & { code?: string }) | undefined {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  return undefined;
}

export interface Got extends ParsedResponse {
  /** Every byte the server sent on the connection. */
  raw: Buffer;
}

/**
 * Sends one request on a new connection and returns its (single) response; fails the test with what
 * arrived when there is not exactly one. The target is sent byte for byte as given.
 */
export async function send(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string> = {},
  opts: { body?: string } = {},
): Promise<Got> {
  const r = await rawRequest(port, buildRequest(method, target, { headers, body: opts.body }), {
    noBody: [method === 'HEAD'],
    timeoutMs: 4000,
  });
  expect(r.responses.length, `${method} ${target}: received ${show(r.raw)}`).toBeGreaterThanOrEqual(1);
  return Object.assign(r.responses[0], { raw: r.raw });
}

/** GET shorthand. */
export function getRaw(port: number, target: string, headers: Record<string, string> = {}): Promise<Got> {
  return send(port, 'GET', target, headers);
}
