// A scope of routes, hooks and error and not-found handlers, as fastify encapsulates them: what a
// scope registers applies to its routes and its child scopes' routes, never to its parent's or its
// siblings'. The app is the root scope; app.register(plugin, { prefix }) makes a child.
import type { CacheOptions } from './cache.js';
import type { ErrorHandler, Handler, RouteHandler } from './dispatch.js';
import type { ParamsOf } from './params.js';
import { errors } from './errors.js';
import { checkHook, noHooks, type HookName, type Hooks, type RequestHook, type ResponseHook, type SendHook } from './hooks.js';

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
  /**
   * Keep the handler's answers natively and serve them again without running it, for `ttl`
   * milliseconds (GET routes; HEAD and If-None-Match are answered from them too). Only answers that
   * may be shared are kept: no Set-Cookie, no Cache-Control private/no-store/no-cache, a cacheable
   * status, a Vary within `vary`.
   */
  cache?: CacheOptions;
}

export interface RegisterOptions {
  /** Prepended to the paths of the plugin's routes, e.g. '/api/v1'. */
  prefix?: string;
}

/** A plugin: registers routes, hooks and handlers on the scope it is given. */
export type Plugin<S extends Scope = Scope> = (scope: S, options: RegisterOptions) => void | Promise<void>;

/** What a scope needs of the app it belongs to. */
export interface Registry {
  /** Throws UVHTTP_ERR_SERVER_CLOSED once the server closed. */
  checkOpen(what: string): void;
  addRoute(scope: Scope, method: string, path: string, handler: RouteHandler, options: RouteOptions | undefined): void;
  /** The scope's hooks or error handler changed: its routes and its children's are rebuilt. */
  scopeChanged(scope: Scope): void;
  /** A plugin still running (async): listen() waits for it. */
  pending(plugin: Promise<void>): void;
}

const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Z]+$/;

function checkPrefix(prefix: unknown): string {
  if (prefix === undefined || prefix === '' || prefix === '/') return '';
  if (typeof prefix !== 'string' || prefix[0] !== '/') throw errors.invalidOption('prefix', "a path starting with '/'");
  return prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

export class Scope {
  /** @internal */ readonly hooks: Hooks = noHooks();
  /** @internal */ errorHandler?: ErrorHandler;
  /** @internal */ notFoundHandler?: RouteHandler;
  /** @internal */ readonly children: Scope[] = [];

  /** @internal */
  constructor(
    /** @internal */ readonly registry: Registry,
    /** The path prefix of this scope's routes ('' at the root). */
    readonly prefix: string,
    /** @internal */ readonly parent?: Scope,
  ) {}

  /**
   * A JS route for any method token (`OPTIONS`, `PURGE`, …): `:param` segments and a trailing `*`
   * (see docs/routing.md); req.params is typed from the path. A duplicate or an impossible path throws.
   */
  route<P extends string>(method: string, path: P, handler: Handler<ParamsOf<P>>, options?: RouteOptions): this {
    if (typeof method !== 'string' || !METHOD.test(method)) throw errors.invalidArgument('method', 'an upper-case HTTP method token');
    if (typeof path !== 'string') throw errors.invalidArgument('path', 'a string');
    if (typeof handler !== 'function') throw errors.invalidArgument('handler', 'a function');
    // Under a prefix, '/' is the prefix itself.
    const full = this.prefix === '' ? path : path === '/' ? this.prefix : this.prefix + path;
    this.registry.addRoute(this, method, full, handler as RouteHandler, options);
    return this;
  }

  /** A GET route (see route()). */
  get<P extends string>(path: P, handler: Handler<ParamsOf<P>>, options?: RouteOptions): this {
    return this.route('GET', path, handler, options);
  }

  /** A POST route (see route()). */
  post<P extends string>(path: P, handler: Handler<ParamsOf<P>>, options?: RouteOptions): this {
    return this.route('POST', path, handler, options);
  }

  /** A PUT route (see route()). */
  put<P extends string>(path: P, handler: Handler<ParamsOf<P>>, options?: RouteOptions): this {
    return this.route('PUT', path, handler, options);
  }

  /** A PATCH route (see route()). */
  patch<P extends string>(path: P, handler: Handler<ParamsOf<P>>, options?: RouteOptions): this {
    return this.route('PATCH', path, handler, options);
  }

  /** A DELETE route (see route()). */
  delete<P extends string>(path: P, handler: Handler<ParamsOf<P>>, options?: RouteOptions): this {
    return this.route('DELETE', path, handler, options);
  }

  /** A OPTIONS route (see route()). */
  options<P extends string>(path: P, handler: Handler<ParamsOf<P>>, options?: RouteOptions): this {
    return this.route('OPTIONS', path, handler, options);
  }

  /**
   * Runs fn for every request of this scope's routes (and its child scopes'). onRequest and
   * preHandler run before the handler, in the order added (the parent scope's first), and may answer
   * with `res` instead of it; onSend sees every whole response's body and may replace it (return the
   * new body) or change status and headers; onResponse runs once the response went to the
   * connection. Any may be async. Native static routes and files run no hooks.
   */
  /** onRequest, preHandler: before the handler; answering with `res` skips it. */
  addHook(name: 'onRequest' | 'preHandler', fn: RequestHook): this;
  /** onSend: sees each whole response's body; return another to replace it. */
  addHook(name: 'onSend', fn: SendHook): this;
  /** onResponse: after the response went to the connection. */
  addHook(name: 'onResponse', fn: ResponseHook): this;
  addHook(name: HookName, fn: RequestHook | SendHook | ResponseHook): this {
    const which = checkHook(name, fn);
    this.registry.checkOpen('addHook()');
    (this.hooks[which] as unknown[]).push(fn);
    this.registry.scopeChanged(this);
    return this;
  }

  /**
   * Shapes the response when a handler or hook of this scope throws or rejects: answer with `res`,
   * or return a value to send as a handler would. Without one (or when it fails too) the client gets
   * the error's 4xx `statusCode` and message, or a 500. onError still hears of every error.
   */
  setErrorHandler(fn: ErrorHandler): this {
    if (typeof fn !== 'function') throw errors.invalidArgument('error handler', 'a function');
    this.registry.checkOpen('setErrorHandler()');
    this.errorHandler = fn;
    this.registry.scopeChanged(this);
    return this;
  }

  /**
   * Answers requests under this scope's prefix that no route takes, instead of the canned 404: the
   * response starts with status 404. A path that routes answer for other methods only comes here too,
   * with status 405 and its Allow header already set. The scope's hooks run around it.
   */
  setNotFoundHandler(fn: Handler): this {
    if (typeof fn !== 'function') throw errors.invalidArgument('not-found handler', 'a function');
    this.registry.checkOpen('setNotFoundHandler()');
    this.notFoundHandler = fn as RouteHandler;
    this.registry.scopeChanged(this);
    return this;
  }

  /**
   * Runs plugin with a child scope: its routes get `prefix` in front of their paths, and its hooks,
   * error and not-found handlers apply to it (and its children) alone. An async plugin is waited for
   * by listen().
   */
  register(plugin: Plugin, options: RegisterOptions = {}): this {
    if (typeof plugin !== 'function') throw errors.invalidArgument('plugin', 'a function');
    this.registry.checkOpen('register()');
    if (options === null || typeof options !== 'object') throw errors.invalidArgument('options', 'an object');
    for (const key of Object.keys(options)) if (key !== 'prefix') throw errors.unknownOption(key, ['prefix'], 'register option');
    const child = new Scope(this.registry, this.prefix + checkPrefix(options.prefix), this);
    this.children.push(child);
    const ran = plugin(child, options);
    if (ran !== undefined && typeof (ran as Promise<void>).then === 'function') this.registry.pending(Promise.resolve(ran));
    return this;
  }

  /** @internal Every hook that applies here: the root's first. */
  chain(): Hooks {
    const own = this.hooks;
    if (this.parent === undefined) return own;
    const up = this.parent.chain();
    return {
      onRequest: [...up.onRequest, ...own.onRequest],
      preHandler: [...up.preHandler, ...own.preHandler],
      onSend: [...up.onSend, ...own.onSend],
      onResponse: [...up.onResponse, ...own.onResponse],
    };
  }

  /** @internal The error handler that applies here. */
  nearestErrorHandler(): ErrorHandler | undefined {
    return this.errorHandler ?? this.parent?.nearestErrorHandler();
  }

  /** @internal The scope whose not-found handler applies here, if any does. */
  nearestNotFound(): Scope | undefined {
    return this.notFoundHandler !== undefined ? this : this.parent?.nearestNotFound();
  }

  /** @internal This scope is `scope` or lies within it. */
  within(scope: Scope): boolean {
    return this === scope || (this.parent !== undefined && this.parent.within(scope));
  }

  /** @internal The innermost scope whose prefix the path falls under. */
  innermost(path: string): Scope {
    for (const child of this.children) {
      const p = child.prefix;
      if (p !== this.prefix && path.startsWith(p) && (path.length === p.length || path[p.length] === '/')) return child.innermost(path);
    }
    return this;
  }

  /** @internal Any scope here or below has a hook or a not-found handler. */
  needsNotFoundRoute(): boolean {
    const h = this.hooks;
    if (this.notFoundHandler !== undefined || h.onRequest.length + h.preHandler.length + h.onSend.length + h.onResponse.length > 0) return true;
    return this.children.some((c) => c.needsNotFoundRoute());
  }
}
