// uvhttp: an HTTP/1.1 server in native code on Node's own event loop.
import { App } from './app.js';
import type { ServerOptions } from './options.js';

export { App } from './app.js';
export type { CloseOptions, ListenOptions, RouteOptions, StaticOptions, Stats } from './app.js';
export type { ErrorHandler, Handler, Reply } from './dispatch.js';
export type { InjectOptions, InjectResponse } from './inject.js';
export type { HookName, RequestHook, ResponseHook, SendHook } from './hooks.js';
export { Scope } from './scope.js';
export type { Plugin, RegisterOptions } from './scope.js';
export { errors } from './errors.js';
export { serve } from './fetch.js';
export { cluster } from './cluster.js';
export type { Cluster, ClusterOptions, ClusterStats } from './cluster.js';
export type { AddressInfo, FetchHandler, FetchInfo, ServeOptions, Server } from './fetch.js';
export type { ErrorCode, UvhttpError } from './errors.js';
export type { ParamsOf } from './params.js';
export type { Coding, FileCacheOptions, ServeDirOptions } from './files.js';
export type { FileStats } from './native.js';
export type { ServerOptions } from './options.js';
export type { TrustProxy } from './trust-proxy.js';
export { METRICS_CONTENT_TYPE } from './metrics.js';
export type { MetricsOptions } from './metrics.js';
export { Request } from './request.js';
// Names of their own beside Request and Response, which shadow the fetch globals where imported.
export { Request as UvhttpRequest } from './request.js';
export type { FormDataOptions, Query } from './request.js';
export { Response } from './response.js';
export { Response as UvhttpResponse } from './response.js';
export type { Body, CookieOptions, StreamSource } from './response.js';
export { HIGH_WATER_MARK } from './response.js';

export function createServer(options: ServerOptions = {}): App {
  return new App(options);
}
