// The web-standard entry point: a fetch handler `(Request) => Response` as the app's fallback, and
// serve(), the call shape of @hono/node-server. A Response body held whole (a string, bytes) is sent
// with its length; a stream body is streamed. Request bodies are buffered, or streamed when asked.
import { App } from './app.js';
import type { RouteHandler as Handler } from './dispatch.js';
import { errors } from './errors.js';
import { installGlobalResponse, LightResponse, lightOf, partsOf, realOf, type LightParts } from './fetch-light-response.js';
import { createRequest, mayReadSource, sourceOf } from './fetch-request.js';
import { bodyNow, lengthOf, STREAM } from './fetch-response.js';
import { SERVER_OPTIONS, type ServerOptions } from './options.js';
import type { Request } from './request.js';
import type { Response } from './response.js';

export interface FetchInfo {
  /** The client's IP address (the peer of the connection; a proxy's when behind one). */
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
}

/** Where a response's connection's peer is read, only when asked (app.ts binds it to the core). */
export type PeerOf = (res: Response) => { address: string; port: number } | undefined;

export type FetchHandler = (request: globalThis.Request, info: FetchInfo) => globalThis.Response | Promise<globalThis.Response>;

export interface ServeOptions extends ServerOptions {
  fetch: FetchHandler;
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Default 0.0.0.0. */
  hostname?: string;
  /**
   * Default true: while the server runs, the global Response is uvhttp's lighter one (see the
   * README), as @hono/node-server does. false leaves the global alone.
   */
  overrideGlobalObjects?: boolean;
  /**
   * Default true: on SIGTERM or SIGINT the server drains (stops accepting, finishes what is in
   * flight, up to shutdownTimeout) and then, unless the app listens for that signal itself, the
   * process exits with 0. false leaves signals alone.
   */
  signals?: boolean;
  /** Milliseconds a signal's drain waits for in-flight responses before closing what is left (default 10000). */
  shutdownTimeout?: number;
}

export interface AddressInfo {
  address: string;
  port: number;
}

export interface Server {
  readonly app: App;
  /** Settles once listening (or fails to). */
  readonly ready: Promise<AddressInfo>;
  /** Undefined until ready. */
  readonly port: number | undefined;
  readonly address: string | undefined;
  close(): Promise<void>;
}

/** The peer is asked of the core on first read: most handlers never look. */
class Info implements FetchInfo {
  private peer?: { address: string; port: number } | null;
  constructor(
    private readonly res: Response,
    private readonly peerOf: PeerOf,
  ) {}

  private get known() {
    if (this.peer === undefined) this.peer = this.peerOf(this.res) ?? null;
    return this.peer;
  }

  get remoteAddress(): string | undefined {
    return this.known?.address;
  }

  get remotePort(): number | undefined {
    return this.known?.port;
  }
}

/** The (req, res) handler that runs a fetch handler. */
export function fetchHandler(handler: FetchHandler, peerOf: PeerOf): Handler {
  return (req: Request, res: Response) => {
    const request = createRequest(sourceOf(req, res));
    let sending: void | Promise<void>;
    try {
      const response = handler(request, new Info(res, peerOf));
      if (!(response instanceof globalThis.Response) && isThenable(response)) {
        // Answered later: dispatch keeps the request's bytes for it.
        return response.then((value) => send(checked(value), res));
      }
      sending = send(checked(response), res);
    } catch (err) {
      // onError gets the request, and may keep it past this batch.
      req.detach();
      throw err;
    }
    // Answered now, but the Request may outlive the batch whose bytes it reads (kept by the app for
    // later): give it its own copy unless it already took all it would.
    if (mayReadSource(request)) req.detach();
    return sending;
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}

function checked(response: unknown): globalThis.Response {
  if (!(response instanceof globalThis.Response)) throw errors.invalidResponse(describe(response));
  return response;
}

const lightProto = LightResponse.prototype;
const lightArrayBuffer = (lightProto as unknown as globalThis.Response).arrayBuffer;

/** Sends a Response; a promise while a stream body is still being sent. */
function send(response: globalThis.Response, res: Response): void | Promise<void> {
  const light = lightOf(response);
  if (light !== undefined && Object.getPrototypeOf(response) === lightProto) {
    const parts = partsOf(light);
    if (parts !== undefined) return sendLight(parts, res);
  }
  res.status(response.status);
  sendHeaders(response.headers, res);
  // A fetch Response's headers are all it says: no default Content-Type for a body without one.
  res.noDefaultType();
  if (response.body === null) {
    if (res.head) {
      // A HEAD answered by running the GET and dropping the body (Hono does): no body length is known
      // but the one the Response states (header() took it), so the head says no other.
      res.flushHeaders();
    }
    res.end();
    return;
  }
  // A light Response that was touched holds its body in the real one it built.
  const holder = light !== undefined && response.arrayBuffer === lightArrayBuffer ? realOf(light) : response;
  const now = bodyNow(holder);
  if (now !== STREAM) {
    res.end(now);
    return;
  }
  // A body that is a stream goes out as it is read, the head at once: server-sent events and long
  // downloads arrive as produced, at the pace the client takes them. With a length known beforehand
  // (a Blob, FormData) it is framed by that, else chunked.
  const length = lengthOf(holder);
  if (length !== undefined) res.header('content-length', length);
  return res.stream(response.body);
}

function sendHeaders(headers: Headers, res: Response): void {
  for (const [name, value] of headers) {
    if (name === 'set-cookie') continue;
    res.header(name, value);
  }
  for (const cookie of headers.getSetCookie()) res.header('set-cookie', cookie);
}

const TEXT_TYPE = 'text/plain;charset=UTF-8';
const TEXT_TYPE_LINE = Buffer.from(`content-type: ${TEXT_TYPE}\r\n`, 'latin1');

/** A light Response nothing touched: its parts as they were given, no Headers or stream built. */
function sendLight(parts: LightParts, res: Response): void {
  res.status(parts.status);
  if (parts.headers !== undefined) sendHeaders(parts.headers, res);
  const fields = parts.fields;
  if (fields !== undefined) for (let i = 0; i < fields.length; i += 2) res.header(fields[i], fields[i + 1]);
  const type = parts.defaultType;
  const body = parts.body;
  if (type === TEXT_TYPE && body !== null) {
    res.endTyped(body, TEXT_TYPE_LINE);
    return;
  }
  if (type !== undefined) res.header('content-type', type);
  res.noDefaultType();
  if (body === null) {
    if (res.head) res.flushHeaders();
    res.end();
    return;
  }
  res.end(body);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}

const SERVE_OPTIONS: readonly string[] = ['fetch', 'port', 'hostname', 'overrideGlobalObjects', 'signals', 'shutdownTimeout', ...SERVER_OPTIONS];
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Starts a server that sends every request to a fetch handler, as @hono/node-server's serve() does:
 * `serve({ fetch, port, hostname, ...serverOptions }, onListen?)`.
 */
export function serve(options: ServeOptions, onListen?: (info: AddressInfo) => void): Server {
  if (options === null || typeof options !== 'object') throw errors.invalidArgument('options', 'an object');
  for (const key of Object.keys(options)) if (!SERVE_OPTIONS.includes(key)) throw errors.unknownOption(key, SERVE_OPTIONS);
  const { fetch, port = 3000, hostname = '0.0.0.0', overrideGlobalObjects = true, signals = true, shutdownTimeout = 10_000, ...serverOptions } = options;
  if (typeof signals !== 'boolean') throw errors.invalidOption('signals', 'a boolean');
  if (!Number.isInteger(shutdownTimeout) || shutdownTimeout < 0) throw errors.invalidOption('shutdownTimeout', 'a non-negative integer of milliseconds');
  if (typeof fetch !== 'function') throw errors.invalidOption('fetch', 'a function');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw errors.invalidOption('port', 'an integer from 0 to 65535');
  if (typeof hostname !== 'string' || hostname === '') throw errors.invalidOption('hostname', 'a non-empty string');
  if (onListen !== undefined && typeof onListen !== 'function') throw errors.invalidArgument('onListen', 'a function');
  if (typeof overrideGlobalObjects !== 'boolean') throw errors.invalidOption('overrideGlobalObjects', 'a boolean');
  const app = new App(serverOptions).fetch(fetch);
  const restore = overrideGlobalObjects ? installGlobalResponse() : undefined;
  // A signal drains the server, then ends the process unless the app handles that signal itself.
  const onSignal = (signal: NodeJS.Signals) => {
    void shutdown({ timeout: shutdownTimeout }).then(() => {
      if (process.listenerCount(signal) === 0) process.exit(0);
    });
  };
  if (signals) for (const s of SIGNALS) process.once(s, onSignal);
  const closed = () => {
    restore?.();
    for (const s of SIGNALS) process.removeListener(s, onSignal);
  };
  let bound: AddressInfo | undefined;
  const ready = app.listen({ port, host: hostname }).then((info) => {
    bound = info;
    onListen?.(info);
    return info;
  });
  // A server that never listened serves nothing: the global goes back at once.
  ready.then(undefined, closed);
  return {
    app,
    ready,
    get port() {
      return bound?.port;
    },
    get address() {
      return bound?.address;
    },
    close: () => shutdown({}),
  };

  // After a failed listen there is still the server to close.
  function shutdown(options: { timeout?: number }): Promise<void> {
    return ready
      .then(
        () => app.close(options),
        () => app.close(options),
      )
      .finally(closed);
  }
}
