// Status lines and header validation shared by static routes and dynamic responses.
import { STATUS_CODES } from 'node:http';
import { errors } from './errors.js';

const statusLines = new Map<number, Buffer>();

/** "HTTP/1.1 200 OK\r\n" as bytes, built once per code. */
export function statusBytes(code: number): Buffer {
  let line = statusLines.get(code);
  if (line === undefined) {
    line = Buffer.from(`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Unknown'}\r\n`, 'latin1');
    statusLines.set(code, line);
  }
  return line;
}

export function statusLine(code: number): string {
  return statusBytes(code).toString('latin1');
}

export function checkStatus(code: unknown): number {
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 200 || code > 999) {
    throw errors.invalidStatus(code);
  }
  return code;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Header names the core writes itself; a handler's own value would duplicate or contradict them. */
const RESERVED = new Set(['content-length', 'date', 'connection', 'transfer-encoding', 'keep-alive']);

export interface HeaderName {
  /** "Name: ", or '' when the core writes this header itself. */
  prefix: string;
  contentType: boolean;
  contentLength: boolean;
  /** The last value checked for this name and its line: most handlers send the same one each time. */
  lastValue: unknown;
  lastLine: string;
}

// Handlers use a handful of names over and over: check each once.
const names = new Map<string, HeaderName>();
const MAX_CACHED_NAMES = 1024;

export function headerName(name: string): HeaderName {
  let entry = names.get(name);
  if (entry === undefined) {
    if (typeof name !== 'string' || !TOKEN.test(name)) throw errors.invalidHeader(String(name));
    const lower = name.toLowerCase();
    entry = {
      prefix: RESERVED.has(lower) ? '' : `${name}: `,
      contentType: lower === 'content-type',
      contentLength: lower === 'content-length',
      lastValue: undefined,
      lastLine: '',
    };
    if (names.size < MAX_CACHED_NAMES) names.set(name, entry);
  }
  return entry;
}

/** Response splitting is impossible when CR, LF and other controls can't get in. */
export function checkHeaderValue(name: string, value: unknown): string {
  const v = typeof value === 'number' ? String(value) : value;
  if (typeof v !== 'string') throw errors.invalidHeader(name);
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) throw errors.invalidHeader(name);
  }
  return v;
}

/** Returns the "name: value\r\n" line, or '' for a reserved name. Throws on invalid input. */
export function headerLine(name: string, value: unknown): string {
  const { prefix } = headerName(name);
  const v = checkHeaderValue(name, value);
  return prefix === '' ? '' : `${prefix}${v}\r\n`;
}

/**
 * The "Name: value\r\n" line of a name that is not reserved, checked, and remembered for the next
 * call with the same value (a constant Content-Type or CORS header costs one comparison).
 */
export function fieldLine(h: HeaderName, name: string, value: unknown): string {
  if (value === h.lastValue) return h.lastLine;
  const line = `${h.prefix}${checkHeaderValue(name, value)}\r\n`;
  h.lastValue = value;
  h.lastLine = line;
  return line;
}

/** Statuses whose responses never carry a body (RFC 9110 6.4.1). */
export function bodyless(status: number): boolean {
  return status === 204 || status === 304;
}
