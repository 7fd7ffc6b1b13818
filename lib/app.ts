// The server a user builds: routes, static responses, listen and close.
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { createDispatcher, type Handler, type Route } from './dispatch.js';
import { errors } from './errors.js';
import { fetchHandler, type FetchHandler } from './fetch.js';
import { checkPrefix, checkRoot, contentTypes, mountOptions, type ServeDirOptions } from './files.js';
import { InFlight } from './in-flight.js';
import { bodyless, checkStatus, headerLine, statusLine } from './http.js';
import { NativeServer, type NativeRouteBody, type NativeStats } from './native.js';
import { defaultOnError, nativeOptions, type ServerOptions } from './options.js';
import { Output } from './output.js';

export interface StaticOptions {
  status?: number;
  headers?: Record<string, string | number>;
}

export interface CloseOptions {
  /**
   * Milliseconds to wait for in-flight responses before closing whatever connections are left
   * (counted in stats().connectionsForced). Default: wait until every owed response is sent.
   */
  timeout?: number;
}

/** A route's third argument. */
export interface RouteOptions {
  /**
   * Hand the request to the handler at the end of its head, with the body as a stream that fills as
   * bytes arrive (`req.body`), instead of once the whole body is buffered. Default false.
   */
  stream?: boolean;
  /**
   * This route's body limit in bytes, instead of the server's `bodyLimit`; `Infinity` (no limit) for
   * a streamed route. A buffered body stays below 2 GiB.
   */
  bodyLimit?: number;
}

export interface ListenOptions {
  port?: number;
  host?: string;
}

export type Stats = NativeStats;

const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Z]+$/;

/** A route's param names in path order, as the core returns their values; a trailing `*` is named '*'. */
function paramNames(path: string): string[] {
  return path
    .split('/')
    .filter((s) => (s.length > 1 && s[0] === ':') || s === '*')
    .map((s) => (s === '*' ? s : s.slice(1)));
}

/** Registers with the core, whose refusal (a bad pattern, a route already there) becomes a coded error. */
function register(add: () => void): void {
  try {
    add();
  } catch (err) {
    const reason = (err as { reason?: string }).reason;
    if (reason === 'duplicate') throw errors.duplicateRoute((err as Error).message);
    if (reason === 'invalid') throw errors.invalidRoute((err as Error).message);
    throw err;
  }
}

const ROUTE_OPTIONS: readonly string[] = ['stream', 'bodyLimit'];

function routeBody(options: RouteOptions | undefined): NativeRouteBody | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') throw errors.invalidArgument('options', 'an object');
  for (const key of Object.keys(options)) {
    if (!ROUTE_OPTIONS.includes(key)) throw errors.unknownOption(key, ROUTE_OPTIONS, 'route option');
  }
  const { stream = false, bodyLimit } = options;
  if (typeof stream !== 'boolean') throw errors.invalidOption('stream', 'a boolean');
  if (bodyLimit !== undefined) {
    const ok = typeof bodyLimit === 'number' && bodyLimit >= 0 && (Number.isInteger(bodyLimit) || (stream && bodyLimit === Infinity));
    if (!ok) throw errors.invalidOption('bodyLimit', stream ? 'a non-negative integer or Infinity' : 'a non-negative integer (Infinity only with stream: true)');
    if (!stream && bodyLimit > 0x7fffffff) throw errors.invalidOption('bodyLimit', 'below 2 GiB for a buffered body');
  }
  return { stream, bodyLimit };
}

export class App {
  private readonly native: InstanceType<typeof NativeServer>;
  private readonly routes: Route[] = [];
  private closing?: Promise<void>;
  private resolveClosed?: () => void;

  constructor(private readonly options: ServerOptions = {}) {
    const onError = () => this.options.onError ?? defaultOnError;
    // The core needs the dispatcher and the dispatcher needs the core's output: bind it late.
    let dispatch: ReturnType<typeof createDispatcher> | undefined;
    const inFlight = new InFlight();
    this.native = new NativeServer(
      nativeOptions(options),
      (count, data, meta) => dispatch!(count, data, meta),
      () => this.resolveClosed?.(),
      (status, reason) => this.options.onClientError?.(errors.clientError(status, reason)),
      (words) => inFlight.aborted(words),
      (ids) => inFlight.drained(ids),
      (ids) => inFlight.bodiesReady(ids),
    );
    dispatch = createDispatcher(this.routes, new Output(this.native), inFlight, onError, this.native);
  }

  /** A response rendered once and served by native code on every GET and HEAD of path. */
  static(path: string, body: string | Buffer | Uint8Array, options: StaticOptions = {}): this {
    if (typeof path !== 'string') throw errors.invalidArgument('path', 'a string');
    const bytes = typeof body === 'string' ? Buffer.from(body) : body instanceof Uint8Array ? Buffer.from(body) : undefined;
    if (bytes === undefined) throw errors.invalidArgument('body', 'a string, Buffer or Uint8Array');
    const status = checkStatus(options.status ?? 200);
    let head = statusLine(status);
    let typed = false;
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      head += headerLine(name, value);
      typed ||= name.toLowerCase() === 'content-type';
    }
    if (bodyless(status)) {
      // 204 and 304 have neither body nor Content-Length.
      register(() => this.native.addStatic('GET', path, head, Buffer.alloc(0)));
      return this;
    }
    if (!typed) head += typeof body === 'string' ? 'Content-Type: text/plain; charset=utf-8\r\n' : 'Content-Type: application/octet-stream\r\n';
    head += `Content-Length: ${bytes.length}\r\n`;
    register(() => this.native.addStatic('GET', path, head, bytes));
    return this;
  }

  /**
   * Serves the files below root at URL prefix, GET and HEAD, in native code (no JavaScript runs per
   * request): an open-file cache, sendfile for large files, ETag/Last-Modified and 304s, Range,
   * precompressed siblings. Routes that match a path take precedence over files.
   */
  serveDir(prefix: string, root: string, options: ServeDirOptions = {}): this {
    const p = checkPrefix(prefix);
    const native = mountOptions(options);
    const dir = checkRoot(root);
    try {
      this.native.serveDir(p, dir, native, contentTypes());
    } catch (err) {
      throw errors.serveDir(dir, err instanceof Error ? err.message : String(err));
    }
    return this;
  }

  route(method: string, path: string, handler: Handler, options?: RouteOptions): this {
    if (typeof method !== 'string' || !METHOD.test(method)) throw errors.invalidArgument('method', 'an upper-case HTTP method token');
    if (typeof path !== 'string') throw errors.invalidArgument('path', 'a string');
    if (typeof handler !== 'function') throw errors.invalidArgument('handler', 'a function');
    const body = routeBody(options);
    register(() => this.native.addRoute(method, path, this.routes.length, body));
    this.routes.push({ handler, paramNames: paramNames(path) });
    return this;
  }

  get(path: string, handler: Handler, options?: RouteOptions): this {
    return this.route('GET', path, handler, options);
  }

  post(path: string, handler: Handler, options?: RouteOptions): this {
    return this.route('POST', path, handler, options);
  }

  put(path: string, handler: Handler, options?: RouteOptions): this {
    return this.route('PUT', path, handler, options);
  }

  patch(path: string, handler: Handler, options?: RouteOptions): this {
    return this.route('PATCH', path, handler, options);
  }

  delete(path: string, handler: Handler, options?: RouteOptions): this {
    return this.route('DELETE', path, handler, options);
  }

  /**
   * Sends every request that no route matches and no mounted directory takes to a web-standard
   * fetch handler (instead of a 404). Routes still answer their paths, including their 405s. Calling
   * it again replaces the handler.
   */
  fetch(handler: FetchHandler, options?: RouteOptions): this {
    if (typeof handler !== 'function') throw errors.invalidArgument('handler', 'a function');
    this.native.setFallback(this.routes.length, routeBody(options));
    this.routes.push({
      handler: fetchHandler(handler, (res) => this.native.peer(res.conn, res.serialLo, res.serialHi)),
      paramNames: [],
    });
    return this;
  }

  async listen(options: ListenOptions = {}): Promise<{ address: string; port: number }> {
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw errors.invalidOption('port', 'an integer from 0 to 65535');
    let host = options.host ?? '0.0.0.0';
    if (isIP(host) === 0) host = (await lookup(host)).address;
    return this.native.listen(host, port);
  }

  /**
   * Stops accepting, ends idle connections, lets in-flight responses finish (each goes out with
   * `Connection: close`); with `timeout`, closes whatever is left after that many milliseconds.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (options === null || typeof options !== 'object') throw errors.invalidArgument('options', 'an object');
    const timeout = options.timeout ?? 0;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0) {
      throw errors.invalidOption('timeout', 'a non-negative number of milliseconds');
    }
    if (this.closing === undefined) {
      this.closing = new Promise<void>((resolve) => {
        this.resolveClosed = resolve;
      });
      // Below 1 ms would read as "no deadline" natively.
      this.native.close(timeout > 0 ? Math.max(1, Math.ceil(timeout)) : 0);
    }
    return this.closing;
  }

  stats(): Stats {
    return this.native.stats();
  }
}
