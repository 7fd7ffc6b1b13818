// The Request a fetch handler gets, made cheap without being a different thing.
//
// Building a real undici Request per request parses the URL, fills a Headers object entry by entry
// and ties an AbortSignal to the caller's, though most handlers read only the method, the URL and a
// header or two. createRequest() returns an object that is a Request as far as the app can tell
// (`instanceof Request`, the same prototype members, the same values) but answers `method` and `url`
// from strings it already has, builds `headers` when first read and takes `signal` from the source
// when first read. Anything else (the body and its readers, clone(), cache, redirect, passing it to
// `new Request()` or `fetch()`) builds the real Request once, from the same parts, and delegates to it.
//
// It is used only where that is exact:
// - The URL is served as a string only when the URL parser would give back that very string (a host
//   it leaves alone, a path and query of characters it does not escape, no dot segments, no fragment);
//   otherwise, and for methods other than the seven common ones, the real Request is built at once,
//   so a URL or method undici rejects fails where it failed before: before the handler runs.
// - At load, a probe checks that undici takes such an object as a Request (`new Request(lazy)`
//   reads its internal state through symbol-keyed slots, found on a real Request at run time). Where
//   it does not (undici 7 keeps that state in private fields, which nothing outside can provide),
//   every request is built the eager way.
import { inspect } from 'node:util';
import * as workerThreads from 'node:worker_threads';
import type { Request as UvRequest } from './request.js';
import type { Response as UvResponse } from './response.js';

/** What a request is made from. Only method, url and host are read up front. */
export interface RequestSource {
  /** As the request line has it. */
  readonly method: string;
  /** The path and query as sent, starting with "/". */
  readonly url: string;
  /** The Host field; without one the URL names localhost. */
  readonly host: string | undefined;
  /** The header fields, names lower-cased and repeated fields joined with ", " (as uvhttp's req.headers). */
  headers(): Record<string, string> | Iterable<readonly [string, string]>;
  /** The body, or null for none. Never called for GET or HEAD. */
  body(): ReadableStream<Uint8Array> | Buffer | null;
  /** Aborts when the client goes away. Called at most once per request, and only when needed. */
  signal(): AbortSignal;
}

type RequestInitFull = RequestInit & { duplex: 'half' };

const NativeRequest = globalThis.Request;

/** The one way everything was built before: a real Request from every part at once. */
function eagerRequest(source: RequestSource, method: string, url: string): Request {
  const init: RequestInitFull = { method, headers: source.headers() as HeadersInit, signal: source.signal(), duplex: 'half' };
  if (method !== 'GET' && method !== 'HEAD') {
    const body = source.body();
    if (body !== null) init.body = body as BodyInit;
  }
  return new NativeRequest(url, init);
}

/** Methods undici keeps as they are (no case folding, not forbidden). */
const PLAIN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

// Which ASCII characters the URL parser leaves as they are, in a path and in a query, asked of the
// parser itself when this module loads so that no table can disagree with the Node it runs on. '.'
// and '%' are kept only outside dot segments (checked apart); '#' never is (a fragment is left to the
// parser).
const KEEP_IN_PATH = 1;
const KEEP_IN_QUERY = 2;
const KEPT = new Uint8Array(128);
for (let c = 0x21; c < 0x7f; c++) {
  const ch = String.fromCharCode(c);
  if (ch === '#' || ch === '?') continue;
  const path = `http://h/a${ch}b`;
  const query = `http://h/?a${ch}b`;
  if (new URL(path).href === path) KEPT[c] |= KEEP_IN_PATH;
  if (new URL(query).href === query) KEPT[c] |= KEEP_IN_QUERY;
}
KEPT[0x3f] = KEEP_IN_QUERY; // '?': ends the path; inside the query it is kept

/** The target is a path and query that the URL parser gives back unchanged. */
function plainTarget(target: string): boolean {
  if (target.charCodeAt(0) !== 0x2f) return false;
  const n = target.length;
  let i = 1;
  for (; i < n; i++) {
    const c = target.charCodeAt(i);
    if (c === 0x3f) break; // the query
    if (c >= 128 || (KEPT[c] & KEEP_IN_PATH) === 0) return false;
    // A segment that starts with '.' may be "." or ".." (removed by the parser): let it decide.
    if (c === 0x2e && target.charCodeAt(i - 1) === 0x2f) return false;
    // "%2e" is a dot to the parser.
    if (c === 0x25 && target.charCodeAt(i + 1) === 0x32 && (target.charCodeAt(i + 2) | 0x20) === 0x65) return false;
  }
  for (i++; i < n; i++) {
    const c = target.charCodeAt(i);
    if (c >= 128 || (KEPT[c] & KEEP_IN_QUERY) === 0) return false;
  }
  return true;
}

// The last host seen and whether the parser keeps it as it is: most servers see one host.
let lastHost = '';
let lastHostPlain = false;
const HOST_CHARS = /^[a-z0-9.\-:[\]]+$/;

function plainHost(host: string): boolean {
  if (host === lastHost) return lastHostPlain;
  let plain = false;
  // Only characters that cannot end the authority, so the host parses the same before any path.
  if (HOST_CHARS.test(host)) {
    try {
      plain = new URL(`http://${host}/`).host === host;
    } catch {
      plain = false;
    }
  }
  lastHost = host;
  lastHostPlain = plain;
  return plain;
}

let realOf: (request: LazyRequest) => Request;
let readsSource: (request: LazyRequest) => boolean;

class LazyRequest {
  #source: RequestSource;
  #method: string;
  #url: string;
  #headers: Headers | undefined = undefined;
  #signal: AbortSignal | undefined = undefined;
  #request: Request | undefined = undefined;

  constructor(source: RequestSource, method: string, url: string) {
    this.#source = source;
    this.#method = method;
    this.#url = url;
    markAsUncloneable?.(this);
  }

  get method(): string {
    return this.#method;
  }

  get url(): string {
    return this.#url;
  }

  get headers(): Headers {
    if (this.#headers === undefined) {
      this.#headers = this.#request !== undefined ? this.#request.headers : new Headers(this.#source.headers() as HeadersInit);
    }
    return this.#headers;
  }

  // The source's own signal, not the follower a real Request would make of it: it aborts at the same
  // moment with the same reason, and stays the same object once the real Request exists.
  get signal(): AbortSignal {
    return (this.#signal ??= this.#source.signal());
  }

  /**
   * The real Request, built on first need from the same parts. Headers already handed out are its
   * headers' starting point (undici copies them, as it copies any init).
   */
  #real(): Request {
    if (this.#request !== undefined) return this.#request;
    const source = this.#source;
    const init: RequestInitFull = {
      method: this.#method,
      headers: this.#headers ?? (source.headers() as HeadersInit),
      signal: (this.#signal ??= source.signal()),
      duplex: 'half',
    };
    if (this.#method !== 'GET' && this.#method !== 'HEAD') {
      const body = source.body();
      if (body !== null) init.body = body as BodyInit;
    }
    return (this.#request = new NativeRequest(this.#url, init));
  }

  static {
    realOf = (request) => request.#real();
    readsSource = (request) =>
      request.#request === undefined && (request.#headers === undefined || (request.#method !== 'GET' && request.#method !== 'HEAD'));
  }
}

/**
 * Whether a Request createRequest() made may still read its source: a lazy one that has not yet
 * taken all it would take from it (its headers, a body). A real one took everything when built.
 */
export function mayReadSource(request: Request): boolean {
  return request instanceof LazyRequest && readsSource(request);
}

/** Real Requests refuse structuredClone where Node can say so (22.10+); so does this one. */
const markAsUncloneable = ((): ((o: object) => void) | undefined => {
  const mark = (workerThreads as { markAsUncloneable?: (o: object) => void }).markAsUncloneable;
  if (typeof mark !== 'function') return undefined;
  try {
    structuredClone(new NativeRequest('http://localhost/'));
    return undefined; // this undici does not mark its own
  } catch {
    return mark;
  }
})();

// Every member of Request.prototype, in its order and with its enumerability, so that reflection
// (for...in, descriptors) sees what it sees on a real Request. method, url, headers and signal are the
// class's own; every other accessor and method asks the real Request.
const proto = LazyRequest.prototype as unknown as Record<PropertyKey, unknown>;
const own = new Map<PropertyKey, PropertyDescriptor>();
for (const key of ['method', 'url', 'headers', 'signal']) {
  own.set(key, Object.getOwnPropertyDescriptor(proto, key)!);
  delete proto[key];
}
for (const key of Reflect.ownKeys(NativeRequest.prototype)) {
  const d = Object.getOwnPropertyDescriptor(NativeRequest.prototype, key)!;
  const mine = own.get(key);
  if (key === 'constructor') {
    Object.defineProperty(proto, key, { ...d, value: NativeRequest });
  } else if (mine !== undefined) {
    Object.defineProperty(proto, key, { ...mine, enumerable: d.enumerable, configurable: d.configurable });
    own.delete(key);
  } else if (d.get !== undefined) {
    const get = function (this: LazyRequest) {
      return (realOf(this) as unknown as Record<PropertyKey, unknown>)[key];
    };
    Object.defineProperty(get, 'name', { value: d.get.name });
    Object.defineProperty(proto, key, { get, set: undefined, enumerable: d.enumerable, configurable: d.configurable });
  } else if (typeof d.value === 'function') {
    const original = d.value as (...args: unknown[]) => unknown;
    const value = function (this: LazyRequest, ...args: unknown[]) {
      return original.apply(realOf(this), args);
    };
    Object.defineProperty(value, 'name', { value: original.name });
    Object.defineProperty(value, 'length', { value: original.length });
    Object.defineProperty(proto, key, { ...d, value });
  }
  // Other data properties (Symbol.toStringTag) are inherited as they are.
}
// Kept even if this Request.prototype lacked one.
for (const [key, d] of own) Object.defineProperty(proto, key, d);
// An undici without its own inspect (Node 18) prints a Request's symbol-keyed state: print the real one's.
if (!Object.prototype.hasOwnProperty.call(proto, inspect.custom)) {
  Object.defineProperty(proto, inspect.custom, {
    value(this: LazyRequest, depth: number, options: object) {
      return inspect(realOf(this), { ...options, depth });
    },
    configurable: true,
    writable: true,
  });
}
Object.setPrototypeOf(proto, NativeRequest.prototype);

// undici reads another Request's state through symbol-keyed own slots (new Request(request),
// fetch(request)): found on a real one, answered by the real one.
const probe = new NativeRequest('http://localhost/', {
  method: 'POST',
  body: 'x',
  signal: new AbortController().signal,
  headers: { 'x-probe': '1' },
});
for (const key of Object.getOwnPropertySymbols(probe)) {
  if (Object.prototype.hasOwnProperty.call(proto, key)) continue;
  Object.defineProperty(proto, key, {
    get(this: LazyRequest) {
      return (realOf(this) as unknown as Record<PropertyKey, unknown>)[key];
    },
    configurable: true,
  });
}

/** Whether this undici takes a lazy request wherever it takes a Request. */
function lazyWorks(): boolean {
  try {
    const source: RequestSource = {
      method: 'POST',
      url: '/probe?x=1',
      host: 'localhost',
      headers: () => ({ 'x-probe': 'a, b', 'content-type': 'text/plain' }),
      body: () => Buffer.from('probe'),
      signal: () => new AbortController().signal,
    };
    const lazy = new LazyRequest(source, 'POST', 'http://localhost/probe?x=1') as unknown as Request;
    const copy = new NativeRequest(lazy);
    return (
      lazy instanceof NativeRequest &&
      copy.url === 'http://localhost/probe?x=1' &&
      copy.method === 'POST' &&
      copy.headers.get('x-probe') === 'a, b' &&
      copy.body !== null &&
      // As with a real one: the copy took the body over.
      lazy.bodyUsed === true &&
      inspect(lazy).startsWith('Request ')
    );
  } catch {
    return false;
  }
}

/** False where this Node's undici cannot take the lazy request; then every request is built whole. */
export const lazyRequests = lazyWorks();

/**
 * The Request a fetch handler gets for a request: a lazy one where that is exact, else a real one
 * built at once (the same as before, errors included).
 */
export function createRequest(source: RequestSource): Request {
  const method = source.method;
  const host = source.host ?? 'localhost';
  const target = source.url;
  const url = `http://${host}${target}`;
  if (lazyRequests && PLAIN_METHODS.has(method) && plainHost(host) && plainTarget(target)) {
    return new LazyRequest(source, method, url) as unknown as Request;
  }
  return eagerRequest(source, method, url);
}

/**
 * The source for a uvhttp request. It reads the request lazily, so the request must stay readable
 * for as long as the fetch Request may be: the fetch handler's (req, res) handler returns a promise,
 * which makes dispatch keep the request's bytes (detach) beyond its batch.
 */
export function sourceOf(req: UvRequest, res: UvResponse): RequestSource {
  return new UvhttpSource(req, res);
}

class UvhttpSource implements RequestSource {
  constructor(
    private readonly req: UvRequest,
    private readonly res: UvResponse,
  ) {}

  get method(): string {
    return this.req.method;
  }

  get url(): string {
    return this.req.url;
  }

  get host(): string | undefined {
    return this.req.header('host');
  }

  headers(): Record<string, string> {
    return this.req.headers;
  }

  body(): ReadableStream<Uint8Array> | Buffer | null {
    if (this.req.bodyStreamed) return this.req.body; // read by the handler as it arrives
    const bytes = this.req.bodyCopy();
    return bytes.length > 0 ? bytes : null;
  }

  signal(): AbortSignal {
    return this.res.signal;
  }
}
