// The app's routes as the core and the dispatcher see them: each route a handler id, its handler
// wrapped in the hooks of its scope (rebuilt when those change), and the JS routes for what no route
// takes (a not-found handler, or hooks that must see 404s and 405s too).
import { cacheOptions } from './cache.js';
import type { ErrorHandler, Fail, Route, RouteHandler as Handler } from './dispatch.js';
import { errors } from './errors.js';
import { withHooks, type HookFailures } from './hooks.js';
import type { NativeRouteBody, NativeServer } from './native.js';
import type { Request } from './request.js';
import type { Response } from './response.js';
import type { Registry, RouteOptions, Scope } from './scope.js';
import type { Trust } from './trust-proxy.js';
import type { Metrics } from './metrics.js';

/** A route's param names in path order, as the core returns their values; a trailing `*` is named '*'. */
function paramNames(path: string): string[] {
  return path
    .split('/')
    .filter((s) => (s.length > 1 && s[0] === ':') || s === '*')
    .map((s) => (s === '*' ? s : s.slice(1)));
}

/** Registers with the core, whose refusal (a bad pattern, a route already there) becomes a coded error. */
export function registered(add: () => void): void {
  try {
    add();
  } catch (err) {
    const reason = (err as { reason?: string }).reason;
    if (reason === 'duplicate') throw errors.duplicateRoute((err as Error).message);
    if (reason === 'invalid') throw errors.invalidRoute((err as Error).message);
    throw err;
  }
}

const ROUTE_OPTIONS: readonly string[] = ['stream', 'bodyLimit', 'cache'];

export function routeBody(options: RouteOptions | undefined): NativeRouteBody | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') throw errors.invalidArgument('options', 'an object');
  for (const key of Object.keys(options)) {
    if (!ROUTE_OPTIONS.includes(key)) throw errors.unknownOption(key, ROUTE_OPTIONS, 'route option');
  }
  const { stream = false, bodyLimit } = options;
  if (stream && options.cache !== undefined) throw errors.invalidOption('cache', 'without stream: a streamed request body is not one to cache by');
  if (typeof stream !== 'boolean') throw errors.invalidOption('stream', 'a boolean');
  if (bodyLimit !== undefined) {
    const ok = typeof bodyLimit === 'number' && bodyLimit >= 0 && (Number.isInteger(bodyLimit) || (stream && bodyLimit === Infinity));
    if (!ok) throw errors.invalidOption('bodyLimit', stream ? 'a non-negative integer or Infinity' : 'a non-negative integer (Infinity only with stream: true)');
    if (!stream && bodyLimit > 0x7fffffff) throw errors.invalidOption('bodyLimit', 'below 2 GiB for a buffered body');
  }
  return { stream, bodyLimit };
}

interface Entry {
  scope: Scope;
  handler: Handler;
  route: Route;
}

type Observe = (err: unknown, req: Request) => void;

export class Routes implements Registry {
  /** By handler id, as the core names them. */
  readonly list: Route[] = [];
  private readonly entries: Entry[] = [];
  private readonly waiting: Promise<void>[] = [];
  private root?: Scope;
  private closed = false;
  /** The not-found routes' ids once installed. */
  private notFoundIds?: { notFound: number; notAllowed: number };
  /** app.fetch's route: it takes 404s, before any not-found handler. */
  private fetchId?: number;
  /** A not-found handler wrapped in the hooks of the scope it serves, by scope and status. */
  private readonly notFoundCache = new Map<Scope, { 404?: Handler; 405?: Handler }>();

  /** Where req.ip is asked: the core, by connection. */
  private readonly peer: (slot: number, serialLo: number, serialHi: number) => { address: string; port: number } | undefined;

  constructor(
    private readonly native: NativeServer,
    private readonly fail: Fail,
    private readonly observe: Observe,
    private readonly trust: Trust | undefined,
    private readonly metrics: Metrics,
  ) {
    this.peer = (slot, lo, hi) => native.peer(slot, lo, hi);
  }

  /** @internal The root scope, once the app exists. */
  setRoot(root: Scope): void {
    this.root = root;
  }

  /** The server closed: nothing more may be registered. */
  close(): void {
    this.closed = true;
  }

  /** @internal Throws once the server closed. */
  checkOpen(what: string): void {
    if (this.closed) throw errors.serverClosed(what);
  }

  addRoute(scope: Scope, method: string, path: string, handler: Handler, options: RouteOptions | undefined): void {
    this.checkOpen('adding a route');
    const body = routeBody(options);
    const cache = cacheOptions(method, options?.cache);
    const id = this.list.length;
    registered(() => this.native.addRoute(method, path, id, body));
    if (cache !== undefined) this.native.setCache(id, cache);
    this.add(scope, handler, paramNames(path));
  }

  /** app.fetch: the handler for whatever no route or mount takes. */
  setFetch(scope: Scope, handler: Handler, options: RouteOptions | undefined): void {
    this.checkOpen('app.fetch()');
    const body = routeBody(options);
    const id = this.list.length;
    this.native.setFallback(id, body);
    this.fetchId = id;
    this.add(scope, handler, []);
  }

  private add(scope: Scope, handler: Handler, names: string[]): void {
    const entry: Entry = { scope, handler, route: { handler, paramNames: names, peer: this.peer, trust: this.trust } };
    this.compose(entry);
    this.list.push(entry.route);
    this.entries.push(entry);
  }

  scopeChanged(scope: Scope): void {
    this.checkOpen('changing hooks or handlers');
    for (const entry of this.entries) if (entry.scope.within(scope)) this.compose(entry);
    this.notFoundCache.clear();
    if (this.notFoundIds === undefined && this.root?.needsNotFoundRoute()) this.installNotFound();
  }

  pending(plugin: Promise<void>): void {
    // Held until listen() takes it, so a rejection is not reported as unhandled meanwhile.
    plugin.catch(() => undefined);
    this.waiting.push(plugin);
  }

  /** Settles once every async plugin has; rejects with the first one's failure. */
  async ready(): Promise<void> {
    while (this.waiting.length > 0) await Promise.all(this.waiting.splice(0));
  }

  private compose(entry: Entry): void {
    const route = entry.route;
    route.errorHandler = entry.scope.nearestErrorHandler();
    route.handler = withHooks(entry.handler, this.metrics.timed(entry.scope.chain()), this.failures(route));
  }

  private failures(route: Route): HookFailures {
    return {
      fail: (req, res, err) => this.fail(route, req, res, err),
      observe: this.observe,
    };
  }

  // 404s and 405s reach JS only once something there wants them: a not-found handler, or a hook
  // (which sees every response of its scope, these included). Until then they stay native.
  private installNotFound(): void {
    const notFound = this.list.length;
    this.list.push({ handler: (req, res) => this.notFound(req, res, 404), paramNames: [], peer: this.peer, trust: this.trust });
    const notAllowed = this.list.length;
    this.list.push({ handler: (req, res) => this.notFound(req, res, 405), paramNames: [], peer: this.peer, trust: this.trust });
    this.notFoundIds = { notFound, notAllowed };
    if (this.fetchId === undefined) this.native.setFallback(notFound);
    this.native.setNotAllowed(notAllowed);
  }

  private notFound(req: Request, res: Response, status: 404 | 405): unknown {
    const scope = this.root!.innermost(req.path);
    let cached = this.notFoundCache.get(scope);
    if (cached === undefined) this.notFoundCache.set(scope, (cached = {}));
    const handler = (cached[status] ??= this.notFoundFor(scope, status));
    return handler(req, res);
  }

  /** The handler for a status under a scope: its not-found handler (or the canned text), its hooks. */
  private notFoundFor(scope: Scope, status: 404 | 405): Handler {
    const owner = scope.nearestNotFound();
    const own = owner?.notFoundHandler;
    const route: Route = { handler: () => undefined, paramNames: [], errorHandler: scope.nearestErrorHandler() };
    const answer: Handler = (req, res) => {
      res.status(status);
      if (status === 405) res.header('allow', this.native.allowOf(req.method, req.path));
      if (own !== undefined) return own(req, res);
      res.end(status === 404 ? 'Not Found' : 'Method Not Allowed');
      return undefined;
    };
    const wrapped = withHooks(answer, this.metrics.timed(scope.chain()), this.failures(route));
    // Its failures are the scope's, not the shared not-found route's.
    return (req, res) => {
      let result: unknown;
      try {
        result = wrapped(req, res);
      } catch (err) {
        this.fail(route, req, res, err);
        return undefined;
      }
      if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
        return (result as Promise<unknown>).then(undefined, (err: unknown) => {
          this.fail(route, req, res, err);
          return undefined;
        });
      }
      return result;
    };
  }
}

export type { ErrorHandler };
