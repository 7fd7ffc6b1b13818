// Loads the compiled addon. The only module that knows where it lives.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { NativeMountOptions } from './files.js';

export interface NativeStats {
  connections: number;
  connectionsTotal: number;
  connectionsRejected: number;
  /** Connections that close()'s timeout ended with work left. */
  connectionsForced: number;
  requests: number;
  jsDispatches: number;
  /** Responses a handler sent after its connection had closed (or twice): dropped. */
  responsesDropped: number;
  /** Memory the open connections hold for input and output buffers, in bytes. */
  bufferedBytes: number;
  bytesRead: number;
  bytesWritten: number;
  parseErrors: number;
  timeouts: number;
  /** Lines the access log has written or buffered. */
  accessLogLines: number;
  /** Lines the access log lost: its file could not be written, or its buffer was full. */
  accessLogDropped: number;
  /** The mounted directories (app.serveDir). */
  files: FileStats;
  /** The micro-caches of the routes with a cache option, summed. */
  cache: CacheStats;
}

export interface CacheStats {
  /** Requests answered from a cache, without running their handler. */
  hits: number;
  /** Requests to a cached route that ran their handler. */
  misses: number;
  /** Answers kept. */
  stores: number;
  /** Answers dropped to stay within maxEntries or maxBytes. */
  evictions: number;
  /** Misses that waited for the same request's answer already in JS instead of running the handler. */
  coalesced: number;
  /** Answers served past their ttl (within staleWhileRevalidate) while one request refreshed them. */
  stale: number;
  /** Answers kept now. */
  entries: number;
  /** Bytes kept now. */
  bytes: number;
}

export interface FileStats {
  /** Responses whose body came from memory (small files). */
  memoryHits: number;
  /** Responses sent from an open file with sendfile. */
  sendfileResponses: number;
  /** 304 Not Modified responses. */
  notModified: number;
  /** Paths the open-file cache remembers now, misses included. */
  entries: number;
  /** File descriptors open now: the cache's and those of responses still sending. */
  openFiles: number;
  /** Bytes of file contents held in memory now. */
  memoryBytes: number;
}

export interface NativeServer {
  addStatic(method: string, path: string, head: string, body: Buffer): void;
  addRoute(method: string, path: string, handlerId: number, body?: NativeRouteBody): void;
  serveDir(prefix: string, root: string, options: NativeMountOptions, types: string): void;
  setFallback(handlerId: number, body?: NativeRouteBody): void;
  setNotAllowed(handlerId: number): void;
  allowOf(method: string, path: string): string;
  inject(): number;
  setOutput(data: Buffer, records: Int32Array): void;
  listen(spec: { host?: string; port?: number; path?: string; mode?: number; fd?: number; backlog?: number; reusePort?: boolean }): {
    address: string;
    port: number;
  };
  close(timeoutMs: number): void;
  /** undefined, or why the access log's path could not be opened again (the old file stays in use). */
  reopenAccessLog(): string | undefined;
  /** Replaces the access log (path '' for stdout; format 0 common, 1 combined, 2 json). */
  setAccessLog(path: string, format: number): void;
  setCache(handlerId: number, options: import('./cache.js').NativeCacheOptions): void;
  /** How many cached answers were dropped. */
  purgeCache(path?: string): number;
  flush(): void;
  stats(): NativeStats;
  peer(slot: number, serialLo: number, serialHi: number): { address: string; port: number } | undefined;
  /** A streamed request body's bytes since the last call, or 0 none yet, 1 the end, 2 gone, >= 400 failed. */
  readBody(slot: number, serialLo: number, serialHi: number, seq: number): Uint8Array | number;
}

/** How a JS route takes request bodies (lib/app.ts checks it). */
export interface NativeRouteBody {
  stream?: boolean;
  /** Infinity: no limit. */
  bodyLimit?: number;
}

export interface NativeServerConstructor {
  new (
    options: Record<string, number | boolean | string | undefined>,
    dispatch: (count: number, data?: Buffer, meta?: ArrayBuffer) => void,
    onClosed: () => void,
    onClientError: (status: number, reason: string) => void,
    onAborted: (words: Uint32Array) => void,
    onDrained: (ids: Uint32Array) => void,
    onBodyReady: (ids: Uint32Array) => void,
  ): NativeServer;
}

// node-gyp-build picks the binary: build/Release or build/Debug when the package was compiled here
// (a source checkout, or an install that found no prebuild), else the prebuild in
// prebuilds/<platform>-<arch>/ whose tags (napi, glibc/musl) match this Node. PREBUILDS_ONLY=1 skips
// build/; UVHTTP_PREBUILD=<dir> loads from another package root.
const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));

function load(): { NativeServer: NativeServerConstructor } {
  // An explicit addon, e.g. the sanitizer build that scripts/asan.sh runs the suite against.
  const explicit = process.env.UVHTTP_ADDON_PATH;
  if (explicit) return require(explicit) as { NativeServer: NativeServerConstructor };
  const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
  try {
    return nodeGypBuild(root) as { NativeServer: NativeServerConstructor };
  } catch (err) {
    const reason = err instanceof Error ? err.message.trim() : String(err);
    throw new Error(
      `uvhttp: cannot load the native addon. ${reason}\n` +
        'No prebuilt binary matches this platform and none was compiled. Rebuild from source with ' +
        '`npm rebuild uvhttp` (needs Python 3, make and a C++17 compiler).',
      { cause: err },
    );
  }
}

export const NativeServer: NativeServerConstructor = load().NativeServer;
