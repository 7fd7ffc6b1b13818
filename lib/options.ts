// createServer's options: defaults and checks, apart from the server itself.
import { errors } from './errors.js';
import type { ErrorHook } from './dispatch.js';
import { fileCacheOptions, type FileCacheOptions } from './files.js';
import type { TrustProxy } from './trust-proxy.js';
import type { MetricsOptions } from './metrics.js';
import { accessLogOptions, type AccessLogOptions } from './access-log.js';

export interface ServerOptions {
  /** Largest request body buffered for a handler, in bytes (default 1 MiB); larger gets 413. */
  bodyLimit?: number;
  /** Largest request head (request line and header fields), in bytes (default 16 KiB); larger gets 431. */
  maxHeaderSize?: number;
  /** Connections open at once beyond which new ones are accepted and closed (default: no limit). */
  maxConnections?: number;
  /** Milliseconds to receive a whole request head (default 60000); then 408. */
  headersTimeout?: number;
  /** Milliseconds to receive a whole request, body included (default 300000); then 408. */
  requestTimeout?: number;
  /** Milliseconds an idle keep-alive connection stays open (default 5000). */
  keepAliveTimeout?: number;
  /**
   * Milliseconds a streamed request body (a route with `stream: true`) may bring no byte while the
   * server reads it (default 60000); then the handler's read fails with 408. Time the handler spends
   * not reading does not count.
   */
  bodyTimeout?: number;
  /**
   * Milliseconds a JS handler (and its hooks) may take to answer (default 30000; 0: no limit). Then
   * the client gets a 503, the error handler and onError get UVHTTP_ERR_HANDLER_TIMEOUT, what the
   * handler sends later is dropped, and stats().handlerTimeouts counts it. A response that started
   * streaming has answered; a route reading a streamed body is bounded by bodyTimeout instead.
   */
  handlerTimeout?: number;
  /** Called with a handler's thrown error or rejected promise; default logs it to stderr. */
  onError?: ErrorHook;
  /** Called when the core rejects a request (malformed, over a limit, timed out). */
  onClientError?: (err: Error & { code: string; statusCode?: number }) => void;
  /** Limits of the open-file cache that app.serveDir uses (see FileCacheOptions for defaults). */
  fileCache?: FileCacheOptions;
  /**
   * Route `/a/` as `/a` (default false: a trailing slash makes another path). Registering both is
   * then a duplicate. Files under app.serveDir are not affected.
   */
  ignoreTrailingSlash?: boolean;
  /**
   * Every connection starts with a PROXY protocol header, version 1 or 2 (HAProxy `send-proxy`, an
   * AWS Network Load Balancer with proxy protocol on), and req.ip is the client it names (default
   * false). A connection without a valid header is closed unanswered, so turn this on only when
   * every connection comes through such a balancer.
   */
  proxyProtocol?: boolean;
  /**
   * Which peers are proxies whose X-Forwarded-For/-Proto/-Host to believe for req.ip, req.ips,
   * req.protocol and req.host (default false: none). true, a hop count, or addresses, CIDR ranges and
   * 'loopback' | 'linklocal' | 'uniquelocal', as Express and fastify take it.
   */
  trustProxy?: TrustProxy;
  /**
   * A line per answered request, natively served ones included, written by the core: true for the
   * combined format on stdout, or { path, format: 'combined' | 'common' | 'json' }. Buffered: lines
   * go out when 64 KiB gather, once a second and at close. A file is reopened on SIGHUP (logrotate)
   * or by app.reopenAccessLog().
   */
  accessLog?: boolean | AccessLogOptions;
  /** What app.metrics() measures beyond the stats: { handlerLatency?: boolean, buckets?: seconds[] }. */
  metrics?: MetricsOptions;
}

const NUMERIC = [
  'bodyLimit',
  'maxHeaderSize',
  'maxConnections',
  'headersTimeout',
  'requestTimeout',
  'keepAliveTimeout',
  'bodyTimeout',
] as const;

/** Every option createServer() takes: any other name is a mistake worth saying so. */
export const SERVER_OPTIONS: readonly string[] = [...NUMERIC, 'handlerTimeout', 'onError', 'onClientError', 'fileCache', 'ignoreTrailingSlash', 'proxyProtocol', 'trustProxy', 'metrics', 'accessLog'];

/** handlerTimeout, checked: JS keeps it, the core never sees it. */
export function handlerTimeout(options: ServerOptions): number {
  const v = options.handlerTimeout ?? 30_000;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw errors.invalidOption('handlerTimeout', 'a non-negative integer of milliseconds');
  return v;
}

export function nativeOptions(options: ServerOptions): Record<string, number | boolean | string | undefined> {
  if (options === null || typeof options !== 'object') throw errors.invalidArgument('options', 'an object');
  for (const key of Object.keys(options)) {
    if (!SERVER_OPTIONS.includes(key)) throw errors.unknownOption(key, SERVER_OPTIONS);
  }
  const out: Record<string, number | boolean | string | undefined> = {};
  for (const name of NUMERIC) {
    const v = options[name];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || !Number.isInteger(v)) {
      throw errors.invalidOption(name, 'a non-negative integer');
    }
    out[name] = v;
  }
  Object.assign(out, fileCacheOptions(options.fileCache), accessLogOptions(options.accessLog));
  if (options.bodyLimit !== undefined && options.bodyLimit > 0x7fffffff) throw errors.invalidOption('bodyLimit', 'below 2 GiB');
  for (const name of ['ignoreTrailingSlash', 'proxyProtocol'] as const) {
    if (options[name] === undefined) continue;
    if (typeof options[name] !== 'boolean') throw errors.invalidOption(name, 'a boolean');
    out[name] = options[name];
  }
  for (const name of ['onError', 'onClientError'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw errors.invalidOption(name, 'a function');
  }
  return out;
}

export const defaultOnError: ErrorHook = (err) => {
  console.error('uvhttp: a handler failed:', err);
};
