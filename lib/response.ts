// The response a handler builds. Sent whole by end(): the response goes to the corked output at once,
// with Content-Length; the core adds Date and Connection. Or streamed: write() sends the head with
// the first chunk and each chunk as it comes (chunked coding, a declared Content-Length, or -- for an
// HTTP/1.0 client -- a body the close ends), end() finishes it.
import { stringifySetCookie, type SetCookie } from 'cookie';
import { errors } from './errors.js';
import { bodyless, checkHeaderValue, checkStatus, fieldLine, headerName, statusBytes } from './http.js';
import type { SendHooks } from './hooks.js';
import type { InFlight } from './in-flight.js';
import type { Output } from './output.js';
import type { RequestBody } from './request-body.js';
import {
  FLAG_HEAD,
  FLAG_HTTP10,
  PART_ABORT,
  PART_LAST,
  PART_MORE,
  PART_START,
  PART_WHOLE,
  RES_CLOSE_DELIMITED,
  RES_WANT_DRAIN,
} from './protocol.js';

export type Body = string | Buffer | Uint8Array;

/** res.cookie()'s attributes: the `cookie` package's (maxAge in seconds, expires a Date, …). */
export type CookieOptions = Omit<SetCookie, 'name' | 'value'>;

/** What res.stream() and a handler's return value may stream: chunks are strings or bytes. */
export type StreamSource = ReadableStream<Uint8Array | string> | AsyncIterable<Uint8Array | string>;

/**
 * Bytes a streamed response may have unsent before write() returns false: past it, wait for
 * `await res.ready()`. Memory held for a slow client stays about this size however much is written.
 */
export const HIGH_WATER_MARK = 64 * 1024;

const TEXT = Buffer.from('Content-Type: text/plain; charset=utf-8\r\n');
const BINARY = Buffer.from('Content-Type: application/octet-stream\r\n');
const JSON_TYPE = 'Content-Type: application/json; charset=utf-8\r\n';
const CHUNKED = Buffer.from('Transfer-Encoding: chunked\r\n');
const OK = statusBytes(200);

/** What only a response that outlives its batch needs; kept apart so the common one stays small. */
interface Lifetime {
  inFlight?: InFlight;
  closed: boolean;
  controller?: AbortController;
  /** Its handler took longer than handlerTimeout: a 503 went out, and the handler's late end is dropped. */
  timedOut?: boolean;
}

/** A response whose head has gone out and whose body follows. */
interface Stream {
  /** HEAD, 204, 304: the head was the whole response; body bytes are dropped. */
  discard: boolean;
  chunked: boolean;
  /** Body bytes written so far. */
  written: number;
  /** Bytes written since the core last said the connection's output drained. */
  pending: number;
  waiters?: { resolve: () => void; reject: (err: Error) => void }[];
}

export class Response {
  private code = 200;
  private fields = '';
  private typed = false;
  // The fields only some responses have are declared, not initialised: a class field is defined on
  // every instance at construction, and the common response pays for each one it never uses.
  /** A Content-Length the handler set: a streamed body must be exactly this long. */
  declare private declared?: number;
  private life?: Lifetime;
  declare private streamed?: Stream;
  /** @internal The request's body when it streams in: woken and aborted with the connection. */
  declare requestBody?: RequestBody;
  /** @internal The route's onSend and onResponse hooks, when it has any. */
  declare hooks?: SendHooks;
  /** @internal end() was called and onSend hooks still run: status and headers may still change. */
  declare ending?: boolean;
  private done = false;

  /** @internal */
  constructor(
    private readonly out: Output,
    /** @internal */ readonly conn: number,
    /** @internal */ readonly serialLo: number,
    /** @internal */ readonly serialHi: number,
    /** @internal */ readonly seq: number,
    private readonly flags: number,
  ) {}

  /** True once the response was sent (end() ran): further calls throw. */
  get finished(): boolean {
    return this.done;
  }

  /**
   * True when the client's connection closed before this response was sent: writing to it does
   * nothing, and `signal` has aborted.
   */
  get closed(): boolean {
    return this.life?.closed === true;
  }

  /** True once the head went out (a streamed response): status and headers can no longer change. */
  get headersSent(): boolean {
    return this.streamed !== undefined;
  }

  /** Aborts when the connection closes before the response is sent (e.g. the client went away). */
  get signal(): AbortSignal {
    const life = (this.life ??= { closed: false });
    life.controller ??= new AbortController();
    if (life.closed && !life.controller.signal.aborted) life.controller.abort(closedReason());
    return life.controller.signal;
  }

  /** @internal The connection's serial number. */
  get serial(): number {
    return this.serialHi * 0x1_0000_0000 + this.serialLo;
  }

  /** @internal Watches for the connection closing while the handler still works. */
  track(inFlight: InFlight): void {
    if (this.done) return;
    const life = (this.life ??= { closed: false });
    if (life.closed || life.inFlight !== undefined) return;
    life.inFlight = inFlight;
    inFlight.add(this);
  }

  /** @internal The handler ran out of time: what it sends from now on (after the 503) is dropped. */
  timedOut(): void {
    (this.life ??= { closed: false }).timedOut = true;
  }

  /** @internal The connection closed with this response unsent. */
  abort(): void {
    const life = (this.life ??= { closed: false });
    if (life.closed || this.done) return;
    life.closed = true;
    life.inFlight = undefined;
    life.controller?.abort(closedReason());
    this.requestBody?.abort();
    this.release((w) => w.reject(closedReason()));
  }

  /** @internal The request's streamed body has something for a read that waits. */
  bodyReady(): void {
    this.requestBody?.wake();
  }

  /** @internal The connection sent all it held: a waiting writer may go on. */
  drained(): void {
    const s = this.streamed;
    if (s === undefined) return;
    s.pending = 0;
    this.release((w) => w.resolve());
  }

  /** Sets the status (200–999; default 200). Throws once a streamed response's head went out. */
  status(code: number): this {
    if (this.streamed !== undefined) throw errors.headersSent();
    this.code = checkStatus(code);
    return this;
  }

  /** The status set so far (200 unless changed). */
  get statusCode(): number {
    return this.code;
  }

  /**
   * Adds a header field; call again with the same name to send it twice (e.g. set-cookie).
   * Content-Length is taken only by a streamed response (its body must then be exactly that long);
   * a whole response's length is its body's.
   */
  header(name: string, value: string | number): this {
    if (this.done) {
      if (this.life?.timedOut === true) return this; // too late: the client got a 503
      throw errors.alreadySent();
    }
    if (this.streamed !== undefined) throw errors.headersSent();
    const h = headerName(name);
    if (h.prefix !== '') this.fields += fieldLine(h, name, value);
    else if (h.contentLength) this.declared = contentLength(name, checkHeaderValue(name, value));
    else checkHeaderValue(name, value);
    if (h.contentType) this.typed = true;
    return this;
  }

  /**
   * Adds a Set-Cookie field (serialised by the `cookie` package, the value percent-encoded). Call
   * again for another cookie.
   */
  cookie(name: string, value: string, options: CookieOptions = {}): this {
    let line: string;
    try {
      line = stringifySetCookie({ ...options, name, value });
    } catch (err) {
      throw errors.invalidArgument('cookie', `a valid cookie (${(err as Error).message})`);
    }
    return this.header('set-cookie', line);
  }

  /** Tells the client to drop a cookie: the same name (and path and domain, if it was set with them), expired. */
  clearCookie(name: string, options: Pick<CookieOptions, 'path' | 'domain' | 'secure' | 'sameSite' | 'partitioned'> = {}): this {
    return this.cookie(name, '', { ...options, expires: new Date(0), maxAge: 0 });
  }

  /** @internal A body without a Content-Type field goes out without one (fetch responses). */
  noDefaultType(): void {
    this.typed = true;
  }

  /** Sends the response: the whole of it, or the last of a streamed one. */
  end(body?: Body): void {
    if (this.done || this.ending === true) {
      if (this.life?.timedOut === true) return; // too late: the client got a 503
      throw errors.alreadySent();
    }
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      throw errors.invalidArgument('body', 'a string, Buffer or Uint8Array');
    }
    if (this.streamed !== undefined) return this.endStream(this.streamed, body ?? undefined);
    if (this.hooks !== undefined) return this.endThroughHooks(this.hooks, body ?? undefined);
    this.endWhole(body);
  }

  /** Sends a value as JSON (`application/json` unless a Content-Type was set). */
  json(value: unknown): void {
    const text = toJson(value);
    if (!this.typed) {
      this.fields += JSON_TYPE;
      this.typed = true;
    }
    this.end(text);
  }

  /** The onSend hooks see the body first, then it is sent; then the onResponse hooks run. */
  private endThroughHooks(hooks: SendHooks, body: Body | undefined): void {
    this.hooks = undefined; // from here end() sends: an error response after a failing onSend skips them
    if (!hooks.hasOnSend) {
      this.endWhole(body);
      hooks.responded(this);
      return;
    }
    const sent = hooks.send(this, body);
    if (!(sent instanceof Promise)) {
      // A hook that answered itself (end, write) has taken the response over.
      if (this.done || this.streamed !== undefined) return;
      this.endWhole(sent);
      hooks.responded(this);
      return;
    }
    this.ending = true;
    sent.then(
      (b) => {
        this.ending = false;
        this.endWhole(b);
        hooks.responded(this);
      },
      (err: unknown) => {
        this.ending = false;
        hooks.failed(this, err);
      },
    );
  }

  private endWhole(body: Body | undefined): void {
    this.done = true;
    const life = this.life;
    if (life !== undefined) {
      if (life.inFlight !== undefined) {
        life.inFlight.delete(this);
        life.inFlight = undefined;
      }
      if (life.closed) return; // nobody to send it to
    }
    const status = this.code === 200 ? OK : statusBytes(this.code);
    if (bodyless(this.code)) {
      this.out.writeHeadOnly(this, status, this.fields);
      return;
    }
    let type: Uint8Array | undefined;
    if (!this.typed && body !== undefined && body !== null) type = typeof body === 'string' ? TEXT : BINARY;
    const b = body ?? undefined;
    // HEAD: the same head with the length of the body it would have had, and no body bytes.
    const head = (this.flags & FLAG_HEAD) !== 0;
    const length = head && b !== undefined ? (typeof b === 'string' ? Buffer.byteLength(b) : b.byteLength) : 0;
    this.out.writeResponse(this, status, this.fields, type, b, head, length);
  }

  /**
   * @internal end(body) of a whole response whose Content-Type, when it has no field of its own, is
   * `typeLine` ("Name: value\r\n" as bytes, made once): a fetch Response's default type, with no
   * field string built per response.
   */
  endTyped(body: string | Uint8Array, typeLine: Uint8Array): void {
    if (this.done) throw errors.alreadySent();
    if (this.streamed !== undefined || bodyless(this.code)) {
      // No head is still to write with a body's type (fetch never gets here with one).
      this.end(body);
      return;
    }
    this.finish();
    if (this.closed) return;
    const status = this.code === 200 ? OK : statusBytes(this.code);
    const length = this.head ? (typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength) : 0;
    this.out.writeResponse(this, status, this.fields, this.typed ? undefined : typeLine, body, this.head, length);
  }

  /**
   * Streams a chunk: the first write sends the head (status and headers are fixed from then on).
   * Returns false once HIGH_WATER_MARK bytes wait to be sent: then `await res.ready()` before
   * writing more. After the client went away it returns false and ready() rejects.
   */
  write(chunk: Body): boolean {
    if (this.done || this.ending === true) {
      if (this.life?.timedOut === true) return false; // too late: the client got a 503
      throw errors.alreadySent();
    }
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) {
      throw errors.invalidArgument('chunk', 'a string, Buffer or Uint8Array');
    }
    const s = this.streamed ?? this.start();
    if (this.closed) return false;
    if (s.discard) return true;
    if (this.declared !== undefined) this.checkLength(s, chunk);
    const n = this.out.writeStreamBody(this, chunk, s.chunked, PART_MORE, HIGH_WATER_MARK - s.pending);
    s.written += n;
    s.pending += n;
    return s.pending < HIGH_WATER_MARK;
  }

  /**
   * Resolves when the response can take more (at once when write() returned true); rejects with
   * UVHTTP_ERR_CONNECTION_CLOSED once the client has gone.
   */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(closedReason());
    const s = this.streamed;
    if (s === undefined || s.discard || s.pending < HIGH_WATER_MARK) return Promise.resolve();
    return new Promise((resolve, reject) => (s.waiters ??= []).push({ resolve, reject }));
  }

  /** Sends the head now, before any body: the response is streamed from here on. */
  flushHeaders(): void {
    if (this.done || this.ending === true) throw errors.alreadySent();
    this.streamed ??= this.start();
  }

  /**
   * Streams a ReadableStream, an async iterable or a Node Readable (chunks: strings or bytes) as the
   * body, waiting for the client when it reads slower than the source produces, and ends the
   * response. Sends the head at once. When the client goes away the source is cancelled (a Node
   * stream destroyed) and the promise rejects with UVHTTP_ERR_CONNECTION_CLOSED; when the source
   * fails, the response is cut off (the client sees it incomplete) and the promise rejects.
   */
  async stream(source: StreamSource): Promise<void> {
    if (!isStreamSource(source)) throw errors.invalidArgument('source', 'a ReadableStream, an async iterable or a Node Readable');
    this.flushHeaders();
    const s = this.streamed!;
    if (source instanceof ReadableStream) {
      const reader = source.getReader();
      if (s.discard) {
        await reader.cancel();
        this.end();
        return;
      }
      await this.pump(() => reader.read(), (reason) => void reader.cancel(reason).catch(ignore));
    } else {
      const destroy = (source as { destroy?: (err?: Error) => void }).destroy;
      const it = source[Symbol.asyncIterator]();
      const cancel = (reason: Error) => {
        if (typeof destroy === 'function') destroy.call(source, reason);
        else void Promise.resolve(it.return?.()).catch(ignore);
      };
      if (s.discard) {
        cancel(closedReason());
        this.end();
        return;
      }
      await this.pump(() => it.next(), cancel);
    }
  }

  private async pump(next: () => Promise<IteratorResult<Uint8Array | string>>, cancel: (reason: Error) => void): Promise<void> {
    const signal = this.signal;
    const onAbort = () => cancel(closedReason());
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        const { done, value } = await next();
        if (this.closed) throw closedReason();
        if (done) break;
        if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
          throw errors.invalidArgument('a streamed chunk', 'a string or bytes');
        }
        if (!this.write(value)) await this.ready();
      }
    } catch (err) {
      if (!this.closed) cancel(err instanceof Error ? err : new Error(String(err)));
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    this.end();
  }

  /** @internal The handler failed after the head went out: cut the response off. */
  abortStream(): void {
    if (this.done || this.streamed === undefined) return;
    this.finish();
    if (!this.closed && !this.streamed.discard) this.out.writeStreamMark(this, PART_ABORT);
  }

  /**
   * @internal Sends a value a handler returned: a string or bytes as they are, a stream source
   * streamed (the promise settles when it ends), anything JSON can say as JSON. Anything else (a Map,
   * a Set, a BigInt, a function) throws UVHTTP_ERR_INVALID_RETURN rather than send a lossy body.
   */
  send(value: unknown): void | Promise<void> {
    if (typeof value === 'string' || value instanceof Uint8Array) {
      this.end(value);
      return;
    }
    if (isStreamSource(value)) return this.stream(value);
    this.json(value);
  }

  /** @internal The request was HEAD: the response's body is not sent. */
  get head(): boolean {
    return (this.flags & FLAG_HEAD) !== 0;
  }

  /** Sends the head of a streamed response and chooses how its body is framed. */
  private start(): Stream {
    const status = this.code === 200 ? OK : statusBytes(this.code);
    const s: Stream = { discard: false, chunked: false, written: 0, pending: 0 };
    this.streamed = s;
    if (this.closed) return s;
    if (this.head || bodyless(this.code)) {
      // The head is the whole response. HEAD says the length when it is known; without it the body's
      // length is only known once generated, so no framing field is sent (RFC 9110 9.3.2).
      s.discard = true;
      const length = this.declared !== undefined && this.head ? Buffer.from(`Content-Length: ${this.declared}\r\n`) : undefined;
      this.out.writeStreamHead(this, status, this.fields, undefined, length, PART_WHOLE);
      return s;
    }
    let framing: Uint8Array | undefined;
    let flags = 0;
    if (this.declared !== undefined) {
      framing = Buffer.from(`Content-Length: ${this.declared}\r\n`);
    } else if (this.flags & FLAG_HTTP10) {
      flags = RES_CLOSE_DELIMITED; // HTTP/1.0 has no chunked coding
    } else {
      framing = CHUNKED;
      s.chunked = true;
    }
    this.out.writeStreamHead(this, status, this.fields, undefined, framing, PART_START | flags);
    return s;
  }

  private endStream(s: Stream, body: Body | undefined): void {
    if (this.closed || s.discard) {
      this.finish();
      return;
    }
    if (this.declared !== undefined) {
      if (body !== undefined) this.checkLength(s, body);
      const n = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
      if (s.written + n < this.declared) {
        // The client was promised more: it must see the response as incomplete, not as complete.
        if (n > 0) this.out.writeStreamBody(this, body, false, PART_MORE, Infinity);
        this.finish();
        this.out.writeStreamMark(this, PART_ABORT);
        throw errors.contentLength(this.declared, s.written + n);
      }
    }
    this.finish();
    this.out.writeStreamBody(this, body, s.chunked, PART_LAST, Infinity);
    this.hooks?.responded(this);
  }

  private checkLength(s: Stream, chunk: Body): void {
    const n = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    if (s.written + n > this.declared!) throw errors.contentLength(this.declared!, s.written + n);
  }

  private finish(): void {
    this.done = true;
    const life = this.life;
    if (life?.inFlight !== undefined) {
      life.inFlight.delete(this);
      life.inFlight = undefined;
    }
  }

  private release(settle: (w: { resolve: () => void; reject: (err: Error) => void }) => void): void {
    const waiters = this.streamed?.waiters;
    if (waiters === undefined || waiters.length === 0) return;
    this.streamed!.waiters = undefined;
    for (const w of waiters) settle(w);
  }
}

function isStreamSource(value: unknown): value is StreamSource {
  return (
    value instanceof ReadableStream ||
    (value !== null && typeof value === 'object' && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function')
  );
}

/** JSON for a value JSON can say without loss; a coded error for one it cannot. */
function toJson(value: unknown): string {
  const kind = unsendable(value);
  if (kind !== undefined) throw errors.invalidReturn(kind);
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => {
      const inner = unsendable(v);
      if (inner !== undefined) throw errors.invalidReturn(`an object holding ${inner}`);
      return v;
    });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'UVHTTP_ERR_INVALID_RETURN') throw err;
    throw errors.invalidReturn(`a value JSON.stringify refuses (${(err as Error).message})`);
  }
  if (text === undefined) throw errors.invalidReturn(typeof value);
  return text;
}

/** What kind of value JSON would drop or mangle silently, or undefined for one it says as it is. */
function unsendable(v: unknown): string | undefined {
  switch (typeof v) {
    case 'bigint':
      return 'a BigInt';
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    case 'object':
      if (v instanceof Map) return 'a Map';
      if (v instanceof Set) return 'a Set';
      if (v instanceof WeakMap || v instanceof WeakSet) return 'a WeakMap or WeakSet';
      return undefined;
    default:
      return undefined;
  }
}

function contentLength(name: string, value: string): number {
  if (!/^[0-9]{1,15}$/.test(value)) throw errors.invalidHeader(name);
  return Number(value);
}

function ignore(): void {}

function closedReason(): Error {
  return errors.connectionClosed();
}
