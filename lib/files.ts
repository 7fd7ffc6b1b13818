// app.serveDir's options: defaults, checks, and the content-type table handed to the native file
// handler. Serving itself is native (native/handlers/static_files.cc); nothing here runs per request.
import { createRequire } from 'node:module';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { errors } from './errors.js';
import { headerLine } from './http.js';

export type Coding = 'br' | 'gzip' | 'zstd';

export interface ServeDirOptions {
  /** File served for a directory URL ending in '/' (default 'index.html'); false: none. */
  index?: string | false;
  /** 'deny' (default): any path segment starting with '.' is a 404. 'allow': served like any file. */
  dotfiles?: 'deny' | 'allow';
  /** Send a strong ETag built from size and modification time (default true). */
  etag?: boolean;
  /** Send Last-Modified (default true). */
  lastModified?: boolean;
  /** A Cache-Control value for every file response, e.g. 'public, max-age=31536000, immutable'. */
  cacheControl?: string;
  /** Extra header fields for every file response. */
  headers?: Record<string, string>;
  /**
   * Precompressed siblings to look for (`file.br`, `file.gz`, `file.zst`), in order of preference when
   * the client's q-values tie (default ['br', 'gzip']); false: none.
   */
  precompressed?: Coding[] | false;
  /** A file (relative to root) sent for GET/HEAD navigations that match nothing and accept HTML. */
  spa?: string | false;
  /** false (default): a miss is a 404. true: a miss goes on to the next mount, then the server's 404. */
  fallthrough?: boolean;
}

export interface FileCacheOptions {
  /** Paths remembered at once, misses included (default 10000). */
  maxEntries?: number;
  /** File descriptors the cache keeps open for large files (default 1000). */
  maxOpenFiles?: number;
  /** Bytes of small files' contents kept in memory (default 64 MiB). */
  maxBytes?: number;
  /** Files up to this size are kept in memory; larger ones are sent with sendfile (default 64 KiB). */
  maxFileSize?: number;
  /** Milliseconds an entry is believed before the file is looked at again (default 1000). */
  validMs?: number;
}

const CODINGS = new Set<Coding>(['br', 'gzip', 'zstd']);
// Fields the file handler writes itself: a second copy from `headers` would contradict it.
const FILE_FIELDS = new Set([
  'content-type', 'content-length', 'content-range', 'content-encoding', 'etag', 'last-modified', 'cache-control',
  'accept-ranges', 'vary', 'location', 'date', 'connection', 'transfer-encoding', 'keep-alive',
]);
const FILE_CACHE_KEYS = ['maxEntries', 'maxOpenFiles', 'maxBytes', 'maxFileSize', 'validMs'] as const;

/** What the native handler takes for one mount. */
export interface NativeMountOptions {
  index: string;
  allowDotfiles: boolean;
  etag: boolean;
  lastModified: boolean;
  cacheControl: string;
  headers: string;
  precompressed: string;
  spa: string;
  fallthrough: boolean;
}

function bool(options: ServeDirOptions, name: keyof ServeDirOptions, fallback: boolean): boolean {
  const v = options[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw errors.invalidOption(name, 'a boolean');
  return v;
}

// A path below the root given in options: relative, no '..', no NUL.
function relativeFile(name: string, v: unknown): string {
  if (typeof v !== 'string' || v === '' || v.includes('\0') || v.includes('\\')) {
    throw errors.invalidOption(name, 'a file name relative to the root, or false');
  }
  const segments = v.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.length === 0 || segments.includes('..')) throw errors.invalidOption(name, 'a file name inside the root');
  return segments.join('/');
}

function validHeader(name: string, value: unknown): boolean {
  try {
    headerLine(name, value);
    return true;
  } catch {
    return false;
  }
}

export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !prefix.startsWith('/') || /[:*?#%\s\\]/.test(prefix) || prefix.includes('//')) {
    throw errors.invalidArgument('prefix', "a URL path starting with '/' without ':', '*', '?', '#', '%' or spaces");
  }
  return prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

export function checkRoot(root: unknown): string {
  if (typeof root !== 'string' || root === '') throw errors.invalidArgument('root', 'a directory path');
  const abs = resolve(root);
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch (err) {
    throw errors.serveDir(abs, (err as NodeJS.ErrnoException).code ?? String(err));
  }
  if (!isDir) throw errors.serveDir(abs, 'not a directory');
  return abs;
}

export function mountOptions(options: ServeDirOptions): NativeMountOptions {
  if (options === null || typeof options !== 'object') throw errors.invalidArgument('options', 'an object');
  const index = options.index === undefined ? 'index.html' : options.index === false ? '' : relativeFile('index', options.index);
  if (options.dotfiles !== undefined && options.dotfiles !== 'deny' && options.dotfiles !== 'allow') {
    throw errors.invalidOption('dotfiles', "'deny' or 'allow'");
  }
  let cacheControl = '';
  if (options.cacheControl !== undefined) {
    if (typeof options.cacheControl !== 'string' || !validHeader('Cache-Control', options.cacheControl)) {
      throw errors.invalidOption('cacheControl', 'a header value without control characters');
    }
    cacheControl = options.cacheControl;
  }
  let headers = '';
  if (options.headers !== undefined) {
    if (options.headers === null || typeof options.headers !== 'object') throw errors.invalidOption('headers', 'an object');
    for (const [name, value] of Object.entries(options.headers)) {
      if (FILE_FIELDS.has(name.toLowerCase())) {
        throw errors.invalidOption(`headers["${name}"]`, 'a field the file handler does not set itself (use cacheControl for Cache-Control)');
      }
      if (!validHeader(name, value)) throw errors.invalidOption(`headers["${name}"]`, 'a header field name and a value without control characters');
      headers += headerLine(name, value);
    }
  }
  let precompressed: Coding[] = ['br', 'gzip'];
  if (options.precompressed === false) {
    precompressed = [];
  } else if (options.precompressed !== undefined) {
    const list = options.precompressed;
    if (!Array.isArray(list) || list.some((c) => !CODINGS.has(c)) || new Set(list).size !== list.length) {
      throw errors.invalidOption('precompressed', "an array of distinct 'br', 'gzip' and 'zstd', or false");
    }
    precompressed = list;
  }
  const spa = options.spa === undefined || options.spa === false ? '' : relativeFile('spa', options.spa);
  return {
    index,
    allowDotfiles: options.dotfiles === 'allow',
    etag: bool(options, 'etag', true),
    lastModified: bool(options, 'lastModified', true),
    cacheControl,
    headers,
    precompressed: precompressed.join(','),
    spa,
    fallthrough: bool(options, 'fallthrough', false),
  };
}

/** createServer's fileCache option as the native options it becomes. */
export function fileCacheOptions(value: unknown): Record<string, number> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') throw errors.invalidOption('fileCache', 'an object');
  const out: Record<string, number> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!(FILE_CACHE_KEYS as readonly string[]).includes(key)) throw errors.invalidOption(`fileCache.${key}`, `one of ${FILE_CACHE_KEYS.join(', ')}`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw errors.invalidOption(`fileCache.${key}`, 'a non-negative integer');
    out[`fileCache${key[0]!.toUpperCase()}${key.slice(1)}`] = v;
  }
  return out;
}

interface MimeEntry {
  source?: 'iana' | 'apache' | 'nginx';
  charset?: string;
  extensions?: string[];
}

// Where two types claim an extension, the one from the more authoritative source wins, as the
// mime-types package (2.x) decides: nginx < apache < no source < iana, application/* keeps a tie,
// and application/octet-stream always gives way.
const SOURCE_RANK: Record<string, number> = { nginx: 0, apache: 1, iana: 3 };

let typesTable: string | undefined;

/** "ext\tContent-Type value\n" lines for every extension mime-db knows, built once per process. */
export function contentTypes(): string {
  if (typesTable !== undefined) return typesTable;
  const db = createRequire(import.meta.url)('mime-db') as Record<string, MimeEntry>;
  const chosen = new Map<string, { type: string; rank: number }>();
  for (const [type, entry] of Object.entries(db)) {
    const rank = SOURCE_RANK[entry.source ?? ''] ?? 2;
    for (const ext of entry.extensions ?? []) {
      const prev = chosen.get(ext);
      if (
        prev !== undefined &&
        prev.type !== 'application/octet-stream' &&
        (prev.rank > rank || (prev.rank === rank && prev.type.startsWith('application/')))
      ) {
        continue;
      }
      chosen.set(ext, { type, rank });
    }
  }
  let out = '';
  for (const [ext, { type }] of chosen) {
    const charset = type.startsWith('text/') || db[type]?.charset?.toUpperCase() === 'UTF-8';
    out += `${ext}\t${type}${charset ? '; charset=utf-8' : ''}\n`;
  }
  typesTable = out;
  return out;
}
