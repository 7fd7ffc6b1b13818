// The web-standard entry point: a fetch handler `(Request) => Response` as the app's fallback, and
// serve(), the call shape of @hono/node-server. Bodies are buffered whole both ways for now.
import { App } from './app.js';
import type { Handler } from './dispatch.js';
import { errors } from './errors.js';
import { createRequest, sourceOf } from './fetch-request.js';
import { bodyNow, STREAM } from './fetch-response.js';
import type { ServerOptions } from './options.js';
import type { Request } from './request.js';
import type { Response } from './response.js';

export interface FetchInfo {
  /** The client's address; undefined for now: the core does not expose the peer address yet. */
  remoteAddress?: string;
}

export type FetchHandler = (request: globalThis.Request, info: FetchInfo) => globalThis.Response | Promise<globalThis.Response>;

export interface ServeOptions extends ServerOptions {
  fetch: FetchHandler;
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Default 0.0.0.0. */
  hostname?: string;
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

const INFO: FetchInfo = Object.freeze({ remoteAddress: undefined });

/** The (req, res) handler that runs a fetch handler. */
export function fetchHandler(handler: FetchHandler): Handler {
  return async (req: Request, res: Response) => {
    const request = createRequest(sourceOf(req, res));
    const response = await handler(request, INFO);
    if (!(response instanceof globalThis.Response)) throw errors.invalidResponse(describe(response));
    await send(response, res);
  };
}

async function send(response: globalThis.Response, res: Response): Promise<void> {
  res.status(response.status);
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie') continue;
    res.header(name, value);
  }
  for (const cookie of response.headers.getSetCookie()) res.header('set-cookie', cookie);
  // A fetch Response's headers are all it says: no default Content-Type for a body without one.
  res.noDefaultType();
  if (response.body === null) {
    res.end();
    return;
  }
  const now = bodyNow(response);
  if (now !== STREAM) {
    res.end(now);
    return;
  }
  // Streams are read to the end and then sent: not yet incremental.
  res.end(Buffer.from(await response.arrayBuffer()));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}

/**
 * Starts a server that sends every request to a fetch handler, as @hono/node-server's serve() does:
 * `serve({ fetch, port, hostname, ...serverOptions }, onListen?)`.
 */
export function serve(options: ServeOptions, onListen?: (info: AddressInfo) => void): Server {
  if (options === null || typeof options !== 'object') throw errors.invalidArgument('options', 'an object');
  const { fetch, port = 3000, hostname = '0.0.0.0', ...serverOptions } = options;
  if (typeof fetch !== 'function') throw errors.invalidOption('fetch', 'a function');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw errors.invalidOption('port', 'an integer from 0 to 65535');
  if (typeof hostname !== 'string' || hostname === '') throw errors.invalidOption('hostname', 'a non-empty string');
  if (onListen !== undefined && typeof onListen !== 'function') throw errors.invalidArgument('onListen', 'a function');
  const app = new App(serverOptions).fetch(fetch);
  let bound: AddressInfo | undefined;
  const ready = app.listen({ port, host: hostname }).then((info) => {
    bound = info;
    onListen?.(info);
    return info;
  });
  return {
    app,
    ready,
    get port() {
      return bound?.port;
    },
    get address() {
      return bound?.address;
    },
    // After a failed listen there is still the server to close.
    close: () => ready.then(
      () => app.close(),
      () => app.close(),
    ),
  };
}
