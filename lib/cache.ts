// The `cache` route option: a micro-cache of the route's answers, kept and served natively
// (native/handlers/response_cache.h says what is kept and for how long).
import { errors } from './errors.js';

export interface CacheOptions {
  /** Milliseconds an answer is served from the cache after the handler gave it. */
  ttl: number;
  /**
   * Milliseconds after ttl during which the old answer is still served while one request refreshes
   * it in the handler (that request gets the new answer). Default 0: after ttl, requests wait for
   * the handler (concurrent ones for one key share one run).
   */
  staleWhileRevalidate?: number;
  /** Answers kept at most, the least recently used dropped first (default 1000). */
  maxEntries?: number;
  /** Bytes kept at most, keys and heads included (default 16 MiB). */
  maxBytes?: number;
  /**
   * Request fields whose values make different answers (e.g. ['accept-language']); the path and query
   * always do, and so do the fields the answer's own Vary names.
   */
  vary?: string[];
}

/** What the core takes. */
export interface NativeCacheOptions {
  ttl: number;
  staleWhileRevalidate?: number;
  maxEntries?: number;
  maxBytes?: number;
  vary: string[];
}

const KEYS: readonly string[] = ['ttl', 'staleWhileRevalidate', 'maxEntries', 'maxBytes', 'vary'];
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Checks a route's cache option; undefined when it has none. */
export function cacheOptions(method: string, value: CacheOptions | undefined): NativeCacheOptions | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object') throw errors.invalidOption('cache', 'an object: { ttl, maxEntries?, maxBytes?, vary? }');
  if (method !== 'GET') throw errors.invalidOption('cache', `for a GET route (its HEAD too): a ${method} answer is not one to share`);
  for (const key of Object.keys(value)) if (!KEYS.includes(key)) throw errors.unknownOption(key, KEYS, 'cache option');
  const { ttl, staleWhileRevalidate, maxEntries, maxBytes, vary = [] } = value;
  const count = (name: string, v: unknown, min: number) => {
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min)) throw errors.invalidOption(`cache.${name}`, `an integer of at least ${min}`);
  };
  count('ttl', ttl, 1);
  if (ttl === undefined) throw errors.invalidOption('cache.ttl', 'given: how many milliseconds an answer is served from the cache');
  count('staleWhileRevalidate', staleWhileRevalidate, 0);
  count('maxEntries', maxEntries, 1);
  count('maxBytes', maxBytes, 1);
  if (!Array.isArray(vary) || !vary.every((v) => typeof v === 'string' && TOKEN.test(v))) {
    throw errors.invalidOption('cache.vary', 'an array of request field names');
  }
  return { ttl, ...(staleWhileRevalidate !== undefined && { staleWhileRevalidate }), ...(maxEntries !== undefined && { maxEntries }), ...(maxBytes !== undefined && { maxBytes }), vary: vary.map((v) => v.toLowerCase()) };
}
