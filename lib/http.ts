// Status lines and header validation shared by static routes and dynamic responses.
import { STATUS_CODES } from 'node:http';
import { errors } from './errors.js';

const statusLines = new Map<number, string>();

/** "HTTP/1.1 200 OK\r\n", built once per code. */
export function statusLine(code: number): string {
  let line = statusLines.get(code);
  if (line === undefined) {
    line = `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Unknown'}\r\n`;
    statusLines.set(code, line);
  }
  return line;
}

export function checkStatus(code: unknown): number {
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 200 || code > 999) {
    throw errors.invalidStatus(code);
  }
  return code;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Response splitting is impossible when CR, LF and other controls can't get in.
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** Header names the core writes itself; a handler's own value would duplicate or contradict them. */
const RESERVED = new Set(['content-length', 'date', 'connection', 'transfer-encoding', 'keep-alive']);

/** Returns the "name: value\r\n" line, or '' for a reserved name. Throws on invalid input. */
export function headerLine(name: string, value: unknown): string {
  const v = typeof value === 'number' ? String(value) : value;
  if (typeof name !== 'string' || !TOKEN.test(name) || typeof v !== 'string' || INVALID_VALUE.test(v)) {
    throw errors.invalidHeader(String(name));
  }
  if (RESERVED.has(name.toLowerCase())) return '';
  return `${name}: ${v}\r\n`;
}

/** Statuses whose responses never carry a body (RFC 9110 6.4.1). */
export function bodyless(status: number): boolean {
  return status === 204 || status === 304;
}
