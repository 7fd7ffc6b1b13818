// The request a handler sees: a view over the batch buffer, decoding only what the handler reads.
//
// The batch buffer is overwritten by the next loop iteration, so a view may only be read while the
// batch that filled it is running. Rather than visit every request when a batch ends, each request
// remembers the epoch of its batch and dispatch() advances the epoch as it returns: a view from an
// older batch then fails one comparison, and a request that took its own copy (detach) is valid in
// every epoch.
import { parse as parseQuery } from 'node:querystring';
import { parseCookie } from 'cookie';
import { chain, type Trust } from './trust-proxy.js';
import type { FastBuffer } from './bytes.js';
import { errors } from './errors.js';
import type { RequestBody } from './request-body.js';
import {
  FLAG_HTTP10,
  REQ_CONN,
  REQ_SERIAL_HI,
  REQ_SERIAL_LO,
  REQ_BODY_LEN,
  REQ_BODY_OFF,
  REQ_FIXED_WORDS,
  REQ_FLAGS,
  REQ_METHOD_LEN,
  REQ_METHOD_OFF,
  REQ_NUM_HEADERS,
  REQ_NUM_PARAMS,
  REQ_PATH_LEN,
  REQ_TARGET_LEN,
  REQ_TARGET_OFF,
} from './protocol.js';

export type Query = Record<string, string | string[]>;

/** What a request knows of its route: its param names, and where its connection's peer is asked. */
export interface RouteInfo {
  readonly paramNames: readonly string[];
  readonly peer?: (slot: number, serialLo: number, serialHi: number) => { address: string; port: number } | undefined;
  /** The server's trustProxy, when set. */
  readonly trust?: Trust;
}

/** Limits of req.formData(). */
export interface FormDataOptions {
  /** Most fields and files in one form (default 1000). */
  maxParts?: number;
  /** Largest field value in bytes (default 1 MiB). */
  maxFieldSize?: number;
  /** Largest file in bytes (default: the route's body limit). */
  maxFileSize?: number;
}

// The platform's Response, taken before serve() may swap the global: it parses forms.
const FormParser = globalThis.Response;

/** The epoch of the batch whose buffers are live now. Only ever grows, so it never reaches OWNED. */
let liveEpoch = 1;
/** The epoch of a request that owns a copy of its bytes. */
const OWNED = 0;

/**
 * @internal Called by dispatch() when it returns: every request of the batch it ran that was not
 * detached expires, so it can never show the bytes the next batch writes over its own.
 */
export function expireBatch(): void {
  liveEpoch++;
}

// The common methods as shared strings: reading req.method allocates nothing.
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
/** The common method by its length and first byte (no two share both). */
const METHOD_BY_START = new Map(METHODS.map((m) => [m.length * 256 + m.charCodeAt(0), m]));

/** The shared string of a common method, compared byte by byte without making a string; else undefined. */
function commonMethod(data: Uint8Array, off: number, len: number): string | undefined {
  const m = METHOD_BY_START.get(len * 256 + data[off]);
  if (m === undefined) return undefined;
  for (let i = 1; i < len; i++) if (data[off + i] !== m.charCodeAt(i)) return undefined;
  return m;
}

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** application/json, or a structured +json type (application/problem+json). */
function isJsonType(type: string): boolean {
  const essence = type.split(';')[0]!.trim().toLowerCase();
  return essence === 'application/json' || (essence.startsWith('application/') && essence.endsWith('+json'));
}

function parseJson(text: string): unknown {
  if (text.length === 0) throw errors.invalidJson('the request has no body');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw errors.invalidJson();
  }
}

function decodeParam(raw: string): string {
  if (raw.indexOf('%') === -1) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export class Request<Params = Record<string, string>> {
  private _method?: string;
  private _url?: string;
  private _query?: Query;
  private _params?: Record<string, string>;
  private _headers?: Record<string, string>;
  /** Subtracted from every offset once the request owns a copy of its bytes. */
  private shift = 0;
  /** The batch this view belongs to, or OWNED once detached. */
  private epoch = liveEpoch;
  // Declared, not initialised: only some requests have them (see Response).
  /** The body streaming in (a route with stream: true). */
  declare private streamed?: RequestBody;
  declare private _body?: ReadableStream<Uint8Array>;
  declare private _cookies?: Record<string, string | undefined>;

  /** @internal */
  constructor(
    private data: FastBuffer,
    private meta: Uint32Array,
    private rec: number,
    private readonly route: RouteInfo,
  ) {}

  /** The request method as sent (`GET`, `POST`, a custom token). */
  get method(): string {
    this.check();
    if (this._method === undefined) {
      const off = this.meta[this.rec + REQ_METHOD_OFF] - this.shift;
      const len = this.meta[this.rec + REQ_METHOD_LEN];
      this._method = commonMethod(this.data, off, len) ?? this.data.latin1Slice(off, off + len);
    }
    return this._method;
  }

  /**
   * The path and query as sent. For an absolute-form target (`GET http://host/a?b`) it is the part
   * after the authority, and an empty path reads as `/`.
   */
  get url(): string {
    this.check();
    if (this._url === undefined) {
      const off = this.meta[this.rec + REQ_TARGET_OFF] - this.shift;
      const url = this.data.latin1Slice(off, off + this.meta[this.rec + REQ_TARGET_LEN]);
      this._url = url.charCodeAt(0) === 0x2f ? url : `/${url}`;
    }
    return this._url;
  }

  /** The URL's path: `req.url` without its query. */
  get path(): string {
    const url = this.url;
    const n = this.pathLength(url);
    return n === url.length ? url : url.slice(0, n);
  }

  /** The query string parsed into an object on first read (`a=1&a=2` gives `{ a: ['1', '2'] }`). */
  get query(): Query {
    this.check();
    if (this._query === undefined) {
      const url = this.url;
      const n = this.pathLength(url);
      this._query = (n < url.length ? parseQuery(url.slice(n + 1)) : Object.create(null)) as Query;
    }
    return this._query;
  }

  /** The path's length in url, counting the "/" that url adds to an empty absolute-form path. */
  private pathLength(url: string): number {
    const n = this.meta[this.rec + REQ_PATH_LEN];
    return url.length === this.meta[this.rec + REQ_TARGET_LEN] ? n : n + 1;
  }

  /** The route's `:param` values (and `*`), percent-decoded. */
  get params(): Params {
    this.check();
    if (this._params === undefined) {
      const params: Record<string, string> = Object.create(null);
      const meta = this.meta;
      const count = meta[this.rec + REQ_NUM_PARAMS];
      let p = this.rec + REQ_FIXED_WORDS + 4 * meta[this.rec + REQ_NUM_HEADERS];
      for (let i = 0; i < count; i++, p += 2) {
        const off = meta[p] - this.shift;
        params[this.route.paramNames[i]] = decodeParam(this.data.latin1Slice(off, off + meta[p + 1]));
      }
      this._params = params;
    }
    return this._params as Params;
  }

  /** HTTP/1.0 or HTTP/1.1. */
  get httpVersion(): string {
    this.check();
    return this.meta[this.rec + REQ_FLAGS] & FLAG_HTTP10 ? '1.0' : '1.1';
  }

  /** A header's value by case-insensitive name; repeated fields are joined with ", ". */
  header(name: string): string | undefined {
    this.check();
    const meta = this.meta;
    const data = this.data;
    const len = name.length;
    const count = meta[this.rec + REQ_NUM_HEADERS];
    let result: string | undefined;
    let p = this.rec + REQ_FIXED_WORDS;
    for (let i = 0; i < count; i++, p += 4) {
      if (meta[p + 1] !== len) continue;
      const off = meta[p] - this.shift;
      let j = 0;
      while (j < len && lower(data[off + j]) === lower(name.charCodeAt(j))) j++;
      if (j !== len) continue;
      const v = meta[p + 2] - this.shift;
      const value = data.latin1Slice(v, v + meta[p + 3]);
      result = result === undefined ? value : `${result}, ${value}`;
    }
    return result;
  }

  /** All headers, names lower-cased; built on first read. */
  get headers(): Record<string, string> {
    this.check();
    if (this._headers === undefined) {
      const headers: Record<string, string> = Object.create(null);
      const meta = this.meta;
      const count = meta[this.rec + REQ_NUM_HEADERS];
      let p = this.rec + REQ_FIXED_WORDS;
      for (let i = 0; i < count; i++, p += 4) {
        const n = meta[p] - this.shift;
        const v = meta[p + 2] - this.shift;
        const name = this.data.latin1Slice(n, n + meta[p + 1]).toLowerCase();
        const value = this.data.latin1Slice(v, v + meta[p + 3]);
        // Repeated fields join with ", ", except Cookie, whose pairs join with "; " (RFC 9113 8.2.3).
        headers[name] = name in headers ? `${headers[name]}${name === 'cookie' ? '; ' : ', '}${value}` : value;
      }
      this._headers = headers;
    }
    return this._headers;
  }

  /**
   * The body as a stream of bytes (also async-iterable). On a route with `stream: true` it fills as
   * the body arrives, and reading it is what asks the client for more; elsewhere it holds the
   * buffered body.
   */
  get body(): ReadableStream<Uint8Array> {
    if (this._body !== undefined) return this._body;
    if (this.streamed !== undefined) return (this._body = this.streamed.readable);
    const bytes = Buffer.from(this.bytes());
    return (this._body = new ReadableStream<Uint8Array>({
      start(controller) {
        if (bytes.length > 0) controller.enqueue(bytes);
        controller.close();
      },
    }));
  }

  /** True when the body streams in (its route has stream: true). */
  get bodyStreamed(): boolean {
    return this.streamed !== undefined;
  }

  /**
   * The client's IP address: the connection's peer, or behind proxies trusted by the trustProxy
   * option, the address X-Forwarded-For gives for the first hop not trusted. Asked of the core when
   * read; undefined for a connection without one (app.inject).
   */
  get ip(): string | undefined {
    const hops = this.hops();
    return hops[hops.length - 1];
  }

  /** With trustProxy: the forwarded addresses, the client's first, up to the nearest proxy; else []. */
  get ips(): string[] {
    return this.hops().slice(1).reverse();
  }

  /** 'http', or behind a trusted proxy the scheme X-Forwarded-Proto names ('https'). */
  get protocol(): string {
    const proto = this.fromProxy('x-forwarded-proto');
    return proto === undefined ? 'http' : proto.toLowerCase();
  }

  /** The Host field, or behind a trusted proxy X-Forwarded-Host. */
  get host(): string | undefined {
    return this.fromProxy('x-forwarded-host') ?? this.header('host');
  }

  /** The connection's peer. */
  private peerAddress(): string | undefined {
    this.check();
    const m = this.meta;
    return this.route.peer?.(m[this.rec + REQ_CONN], m[this.rec + REQ_SERIAL_LO], m[this.rec + REQ_SERIAL_HI])?.address;
  }

  private hops(): string[] {
    const trust = this.route.trust;
    return chain(this.peerAddress(), trust === undefined ? undefined : this.header('x-forwarded-for'), trust);
  }

  /** A forwarded field's first value, when the peer is a trusted proxy. */
  private fromProxy(name: string): string | undefined {
    const trust = this.route.trust;
    if (trust === undefined) return undefined;
    const peer = this.peerAddress();
    if (peer === undefined || !trust(peer, 0)) return undefined;
    const v = this.header(name)?.split(',')[0]?.trim();
    return v === '' ? undefined : v;
  }

  /** The Cookie header's pairs, decoded (the `cookie` package's parser); {} without one. */
  get cookies(): Record<string, string | undefined> {
    if (this._cookies === undefined) {
      const header = this.header('cookie');
      this._cookies = header === undefined ? Object.create(null) : parseCookie(header);
    }
    return this._cookies!;
  }

  /**
   * The body as a FormData, for `application/x-www-form-urlencoded` and `multipart/form-data`
   * (fields as strings, files as File), parsed by the platform's own parser. Another content type
   * rejects with UVHTTP_ERR_UNSUPPORTED_MEDIA_TYPE (415); a malformed body or one past a limit with
   * UVHTTP_ERR_FORM (400 or 413).
   */
  async formData(options: FormDataOptions = {}): Promise<FormData> {
    const type = this.header('content-type');
    const essence = type?.split(';')[0]!.trim().toLowerCase();
    if (essence !== 'application/x-www-form-urlencoded' && essence !== 'multipart/form-data') {
      throw errors.unsupportedMediaType(type, 'application/x-www-form-urlencoded or multipart/form-data');
    }
    const { maxParts = 1000, maxFieldSize = 1024 * 1024, maxFileSize = Infinity } = options;
    const bytes = await this.buffer();
    let form: FormData;
    try {
      form = await new FormParser(bytes as unknown as BodyInit, { headers: { 'content-type': type! } }).formData();
    } catch (err) {
      throw errors.form(`the form is malformed (${(err as Error).message})`, 400);
    }
    let parts = 0;
    for (const [name, value] of form) {
      if (++parts > maxParts) throw errors.form(`the form has more than ${maxParts} parts`, 413);
      if (typeof value === 'string') {
        if (Buffer.byteLength(value) > maxFieldSize) throw errors.form(`field ${name} is larger than ${maxFieldSize} bytes`, 413);
      } else if (value.size > maxFileSize) {
        throw errors.form(`file ${name} is larger than ${maxFileSize} bytes`, 413);
      }
    }
    return form;
  }

  /** The body bytes (a copy the handler may keep); a streamed body is read to its end first. */
  buffer(): Promise<Buffer> {
    if (this.streamed !== undefined) return this.readAll();
    return Promise.resolve(Buffer.from(this.bytes()));
  }

  /** @internal The body bytes (a copy) without the promise: for the fetch Request, built synchronously. */
  bodyCopy(): Buffer {
    return Buffer.from(this.bytes());
  }

  /** The body decoded as UTF-8 (a streamed body is read to its end first). */
  text(): Promise<string> {
    if (this.streamed !== undefined) return this.readAll().then((b) => b.toString('utf8'));
    return Promise.resolve(this.bytes().toString('utf8'));
  }

  /**
   * The body parsed as JSON. A Content-Type other than JSON (`application/json`, `…+json`) rejects
   * with UVHTTP_ERR_UNSUPPORTED_MEDIA_TYPE (415), an empty body or invalid JSON with
   * UVHTTP_ERR_INVALID_JSON (400). A request without a Content-Type is read as JSON.
   */
  json(): Promise<unknown> {
    const type = this.header('content-type');
    if (type !== undefined && !isJsonType(type)) return Promise.reject(errors.unsupportedMediaType(type, 'application/json'));
    if (this.streamed !== undefined) return this.readAll().then((b) => parseJson(b.toString('utf8')));
    const text = this.bytes().toString('utf8');
    try {
      return Promise.resolve(parseJson(text));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private async readAll(): Promise<Buffer> {
    const parts: Uint8Array[] = [];
    for await (const part of this.body as unknown as AsyncIterable<Uint8Array>) parts.push(part);
    return Buffer.concat(parts);
  }

  /** Expiry throws here, not in the promise: the mistake is the call, made where it is made. */
  private bytes(): Buffer {
    this.check();
    const off = this.meta[this.rec + REQ_BODY_OFF] - this.shift;
    return this.data.subarray(off, off + this.meta[this.rec + REQ_BODY_LEN]);
  }

  /** @internal The body streams in through this (dispatch makes it for a FLAG_BODY_STREAM request). */
  streamBody(body: RequestBody): void {
    this.streamed = body;
  }

  /**
   * Values decoded earlier are refused too: whether a read works must not depend on what the handler
   * happened to read first.
   */
  private check(): void {
    if (this.epoch !== liveEpoch && this.epoch !== OWNED) throw errors.requestExpired();
  }

  /**
   * @internal The batch buffers are reused after the loop iteration; a handler still running then
   * keeps its request valid by taking a copy of just its own bytes. Only valid while its batch runs.
   */
  detach(): void {
    if (this.epoch === OWNED) return;
    this.check();
    this.epoch = OWNED;
    const meta = this.meta;
    const rec = this.rec;
    const words = REQ_FIXED_WORDS + 4 * meta[rec + REQ_NUM_HEADERS] + 2 * meta[rec + REQ_NUM_PARAMS];
    const start = meta[rec + REQ_METHOD_OFF];
    const end = meta[rec + REQ_BODY_OFF] + meta[rec + REQ_BODY_LEN];
    // A copy of its own costs an ArrayBuffer (the record) and a Buffer object (the bytes) per request;
    // small ones share pools instead, as Buffer.from() shares one for small copies (and, as there, a
    // request that lives long keeps its pool alive: a few KiB).
    const bytes = end - start;
    if (bytes > DATA_POOL_BYTES / 8) {
      this.data = Buffer.from(this.data.subarray(start, end)) as FastBuffer;
      this.shift = start;
    } else {
      if (dataPoolUsed + bytes > DATA_POOL_BYTES) {
        dataPool = Buffer.allocUnsafe(DATA_POOL_BYTES) as FastBuffer;
        dataPoolUsed = 0;
      }
      const at = dataPoolUsed;
      this.data.copy(dataPool, at, start, end);
      dataPoolUsed = at + bytes;
      this.data = dataPool;
      this.shift = start - at;
    }
    if (words > META_POOL_WORDS / 8) {
      this.meta = meta.slice(rec, rec + words);
      this.rec = 0;
    } else {
      if (metaPoolUsed + words > META_POOL_WORDS) {
        metaPool = new Uint32Array(META_POOL_WORDS);
        metaPoolUsed = 0;
      }
      const pool = metaPool;
      const at = metaPoolUsed;
      for (let i = 0; i < words; i++) pool[at + i] = meta[rec + i];
      metaPoolUsed = at + words;
      this.meta = pool;
      this.rec = at;
    }
  }
}

/** Bytes of the pool detached requests copy small heads and bodies into (8 KiB, as Buffer's). */
const DATA_POOL_BYTES = 8 * 1024;
let dataPool = Buffer.allocUnsafe(DATA_POOL_BYTES) as FastBuffer;
let dataPoolUsed = 0;
/** Words of the pool detached requests copy their records into (8 KiB). */
const META_POOL_WORDS = 2048;
let metaPool = new Uint32Array(META_POOL_WORDS);
let metaPoolUsed = 0;
