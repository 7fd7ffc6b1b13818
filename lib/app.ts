// The server a user builds: the root scope of its routes (lib/scope.ts), plus what only the whole
// server has: static responses, mounted directories, the fetch fallback, listen, close and stats.
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { createDispatcher, createFail, type ErrorHook } from './dispatch.js';
import { errors } from './errors.js';
import { fetchHandler, type FetchHandler } from './fetch.js';
import { checkPrefix, checkRoot, contentTypes, mountOptions, type ServeDirOptions } from './files.js';
import { InFlight } from './in-flight.js';
import { inject, type InjectOptions, type InjectResponse } from './inject.js';
import { bodyless, checkStatus, headerLine, statusLine } from './http.js';
import { NativeServer, type NativeStats } from './native.js';
import { defaultOnError, handlerTimeout, nativeOptions, type ServerOptions } from './options.js';
import { Output } from './output.js';
import { registered, Routes } from './routes.js';
import { Scope, type RouteOptions } from './scope.js';
import { trustOf } from './trust-proxy.js';
import { Metrics } from './metrics.js';
import { accessLogOptions, reopenOnHangup, type AccessLogOptions } from './access-log.js';

export type { RouteOptions } from './scope.js';

const LISTEN_OPTIONS: readonly string[] = ['port', 'host', 'path', 'mode', 'fd', 'systemd', 'backlog', 'reusePort'];

/** The first socket systemd passed this process (sd_listen_fds: fds start at 3), taken once. */
function systemdSocket(): number {
  const pid = Number(process.env.LISTEN_PID);
  const count = Number(process.env.LISTEN_FDS);
  if (pid !== process.pid || !(count >= 1)) {
    throw errors.invalidOption('systemd', 'used only when systemd passed a socket (LISTEN_FDS and LISTEN_PID for this process)');
  }
  // Not for the processes this one starts, as sd_listen_fds(1) does.
  delete process.env.LISTEN_PID;
  delete process.env.LISTEN_FDS;
  delete process.env.LISTEN_FDNAMES;
  return 3;
}

export interface StaticOptions {
  /** Default 200; 204 and 304 are sent without a body. */
  status?: number;
  /** Fields of the response; a Content-Type here replaces the default (text/plain for a string body, octet-stream for bytes). */
  headers?: Record<string, string | number>;
}

export interface CloseOptions {
  /**
   * Milliseconds to wait for in-flight responses before closing whatever connections are left
   * (counted in stats().connectionsForced). Default: wait until every owed response is sent.
   */
  timeout?: number;
}

export interface ListenOptions {
  /** Default 0: a free port, reported by the promise listen() returns. */
  port?: number;
  /** An address or a name to resolve; default 0.0.0.0 (every IPv4 address); '::' is dual-stack. */
  host?: string;
  /** A Unix domain socket path instead of a TCP address; a stale socket file there is replaced. */
  path?: string;
  /** The Unix socket file's mode (e.g. 0o660); default: as the umask leaves it. */
  mode?: number;
  /** A listening socket opened by someone else (a parent process) to adopt. */
  fd?: number;
  /** Take the socket systemd passed (socket activation: LISTEN_FDS and LISTEN_PID). */
  systemd?: boolean;
  /** Length of the accept queue (default 4096, capped by the kernel's somaxconn). */
  backlog?: number;
  /** SO_REUSEPORT: other processes may listen on the same address, and the kernel spreads connections. */
  reusePort?: boolean;
}

export interface Stats extends NativeStats {
  /** JS handlers that did not answer within handlerTimeout (each got a 503). */
  handlerTimeouts: number;
}

/** The core; a log file that cannot be opened is the user's error, with its code. */
function construct(...args: ConstructorParameters<typeof NativeServer>): InstanceType<typeof NativeServer> {
  try {
    return new NativeServer(...args);
  } catch (err) {
    if ((err as { code?: string }).code === 'UVHTTP_ERR_ACCESS_LOG') throw errors.accessLog((err as Error).message);
    throw err;
  }
}

/** The core and what is bound to it, made before the App (a Scope) can refer to itself. */
function core(serverOptions: ServerOptions, resolveClosed: () => void) {
  const onError = (): ErrorHook => serverOptions.onError ?? defaultOnError;
  // The core needs the dispatcher and the dispatcher needs the core's output: bind it late.
  let dispatch: ReturnType<typeof createDispatcher> | undefined;
  const inFlight = new InFlight(handlerTimeout(serverOptions));
  const native = construct(
    nativeOptions(serverOptions),
    (count, data, meta) => dispatch!(count, data, meta),
    resolveClosed,
    (status, reason) => serverOptions.onClientError?.(errors.clientError(status, reason)),
    (words) => inFlight.aborted(words),
    (ids) => inFlight.drained(ids),
    (ids) => inFlight.bodiesReady(ids),
  );
  const { fail, observe } = createFail(onError, inFlight);
  const metrics = new Metrics(serverOptions.metrics);
  const routes = new Routes(native, fail, observe, trustOf(serverOptions.trustProxy), metrics);
  dispatch = createDispatcher(routes.list, new Output(native), inFlight, fail, native);
  return { native, routes, inFlight, metrics };
}

export class App extends Scope {
  private readonly native: InstanceType<typeof NativeServer>;
  private readonly routes: Routes;
  private readonly inFlight: InFlight;
  private readonly metered: Metrics;
  private closing?: Promise<void>;
  private listening = false;
  private resolveClosed?: () => void;
  private accessLog: ServerOptions['accessLog'];
  private stopReopening = () => {};

  constructor(serverOptions: ServerOptions = {}) {
    let resolveClosed: (() => void) | undefined;
    const { native, routes, inFlight, metrics } = core(serverOptions, () => resolveClosed?.());
    super(routes, '');
    this.native = native;
    this.routes = routes;
    this.inFlight = inFlight;
    this.metered = metrics;
    this.accessLog = serverOptions.accessLog;
    routes.setRoot(this);
    resolveClosed = () => this.resolveClosed?.();
  }

  /** A response rendered once and served by native code on every GET and HEAD of path. */
  static(path: string, body: string | Buffer | Uint8Array, options: StaticOptions = {}): this {
    this.routes.checkOpen('app.static()');
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
      registered(() => this.native.addStatic('GET', path, head, Buffer.alloc(0)));
      return this;
    }
    if (!typed) head += typeof body === 'string' ? 'Content-Type: text/plain; charset=utf-8\r\n' : 'Content-Type: application/octet-stream\r\n';
    head += `Content-Length: ${bytes.length}\r\n`;
    registered(() => this.native.addStatic('GET', path, head, bytes));
    return this;
  }

  /**
   * Serves the files below root at URL prefix, GET and HEAD, in native code (no JavaScript runs per
   * request): an open-file cache, sendfile for large files, ETag/Last-Modified and 304s, Range,
   * precompressed siblings. Routes that match a path take precedence over files.
   */
  serveDir(prefix: string, root: string, options: ServeDirOptions = {}): this {
    this.routes.checkOpen('app.serveDir()');
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

  /**
   * Sends every request that no route matches and no mounted directory takes to a web-standard
   * fetch handler (instead of a 404). Routes still answer their paths, including their 405s. Calling
   * it again replaces the handler.
   */
  fetch(handler: FetchHandler, options?: RouteOptions): this {
    if (typeof handler !== 'function') throw errors.invalidArgument('handler', 'a function');
    this.routes.setFetch(this, fetchHandler(handler, (res) => this.native.peer(res.conn, res.serialLo, res.serialHi)), options);
    return this;
  }

  /**
   * Starts accepting connections once every async plugin has registered; resolves with the address
   * and port bound. One server listens once (UVHTTP_ERR_ALREADY_LISTENING).
   */
  async listen(options: ListenOptions = {}): Promise<{ address: string; port: number }> {
    if (options === null || typeof options !== 'object') throw errors.invalidArgument('options', 'an object');
    for (const key of Object.keys(options)) if (!LISTEN_OPTIONS.includes(key)) throw errors.unknownOption(key, LISTEN_OPTIONS, 'listen option');
    if (this.closing !== undefined) throw errors.serverClosed('listen()');
    if (this.listening) throw errors.alreadyListening();
    const { path, fd, systemd = false, mode, backlog, reusePort = false } = options;
    const where = [path !== undefined, fd !== undefined, systemd === true, options.port !== undefined || options.host !== undefined].filter(Boolean).length;
    if (where > 1) throw errors.invalidOption('listen', 'one of { port, host }, { path }, { fd } or { systemd: true }');
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw errors.invalidOption('port', 'an integer from 0 to 65535');
    const given = options.host ?? '0.0.0.0';
    if (typeof given !== 'string' || given === '') throw errors.invalidOption('host', 'a non-empty string (an address or a name)');
    if (path !== undefined && (typeof path !== 'string' || path === '')) throw errors.invalidOption('path', 'a non-empty file path');
    if (mode !== undefined && (path === undefined || !Number.isInteger(mode) || mode < 0 || mode > 0o777)) throw errors.invalidOption('mode', 'a file mode from 0 to 0o777, with path');
    if (fd !== undefined && (!Number.isInteger(fd) || fd < 0)) throw errors.invalidOption('fd', 'a non-negative integer');
    if (typeof systemd !== 'boolean') throw errors.invalidOption('systemd', 'a boolean');
    if (backlog !== undefined && (!Number.isInteger(backlog) || backlog < 1)) throw errors.invalidOption('backlog', 'a positive integer');
    if (typeof reusePort !== 'boolean') throw errors.invalidOption('reusePort', 'a boolean');
    this.listening = true;
    try {
      const spec = { backlog, reusePort, ...(path !== undefined ? { path, mode } : fd !== undefined || systemd ? { fd: fd ?? systemdSocket() } : { port }) };
      if (path === undefined && fd === undefined && !systemd) Object.assign(spec, { host: isIP(given) === 0 ? (await lookup(given)).address : given });
      await this.routes.ready();
      if (this.closing !== undefined) throw errors.serverClosed('listen()');
      const bound = this.native.listen(spec);
      this.stopReopening = reopenOnHangup(this.accessLog, () => this.reopenAccessLog());
      return bound;
    } catch (err) {
      this.listening = false;
      throw err;
    }
  }

  /**
   * True once close() was called: for a readiness route that answers 503 while the server drains
   * (a load balancer then stops sending it new requests).
   */
  get draining(): boolean {
    return this.closing !== undefined;
  }

  /**
   * Sends a request through the server as a client would (the parser, router, hooks, handlers and
   * the response as written) without listening on a port: for tests. Takes the request-target alone
   * or { method, url, headers, body }.
   */
  async inject(options: InjectOptions | string = {}): Promise<InjectResponse> {
    if (this.closing !== undefined) throw errors.serverClosed('inject()');
    await this.routes.ready();
    return inject(() => this.native.inject(), options);
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
      this.routes.close();
      this.stopReopening();
      this.closing = new Promise<void>((resolve) => {
        this.resolveClosed = resolve;
      });
      // Below 1 ms would read as "no deadline" natively.
      this.native.close(timeout > 0 ? Math.max(1, Math.ceil(timeout)) : 0);
    }
    return this.closing;
  }

  /**
   * The stats in the Prometheus text format (0.0.4), with the handler latency histogram when the
   * metrics option asks for it: `app.get('/metrics', (req, res) => res.header('content-type',
   * METRICS_CONTENT_TYPE).end(app.metrics()))`.
   */
  metrics(): string {
    return this.metered.text(this.stats());
  }

  /**
   * Starts (or replaces) the access log of a server made without one: for a runner that did not
   * create the App (the CLI's --access-log). Before listen().
   * @internal
   */
  useAccessLog(options: boolean | AccessLogOptions): void {
    if (this.listening) throw errors.alreadyListening();
    const { accessLogPath, accessLogFormat } = accessLogOptions(options);
    if (accessLogFormat === undefined) return;
    try {
      this.native.setAccessLog(accessLogPath ?? '', accessLogFormat);
    } catch (err) {
      if ((err as { code?: string }).code === 'UVHTTP_ERR_ACCESS_LOG') throw errors.accessLog((err as Error).message);
      throw err;
    }
    this.accessLog = options;
  }

  /**
   * Opens the access log's file again, for a rotation tool that moved it away (listen() does this on
   * SIGHUP by itself). Throws UVHTTP_ERR_ACCESS_LOG when the path cannot be opened; the old file then
   * stays in use.
   */
  reopenAccessLog(): void {
    const failed = this.native.reopenAccessLog();
    if (failed !== undefined) throw errors.accessLog(`cannot reopen the access log: ${failed}`);
  }

  /**
   * Drops the cached answers (routes with a `cache` option) of path, whatever their query; of every
   * route when path is omitted. Returns how many were dropped.
   */
  purge(path?: string): number {
    if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/'))) throw errors.invalidArgument('path', "a path starting with '/'");
    return this.native.purgeCache(path);
  }

  /** Counters kept natively, plus handlerTimeouts (see the README's Stats). */
  stats(): Stats {
    return { ...this.native.stats(), handlerTimeouts: this.inFlight.timeouts };
  }
}
