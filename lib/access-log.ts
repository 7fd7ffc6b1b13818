// The accessLog option: which file and format the core writes its log lines to, and reopening that
// file on SIGHUP (what logrotate sends after it moved the file away).
import { isMainThread } from 'node:worker_threads';
import { errors, nearest } from './errors.js';

export type AccessLogFormat = 'common' | 'combined' | 'json';

export interface AccessLogOptions {
  /** File to append to (created when missing); default: stdout. */
  path?: string;
  /**
   * 'combined' (the default: nginx's and Apache's format, CLF plus Referer and User-Agent),
   * 'common' (CLF), or 'json' (one object a line, with the time in ms the answer took).
   */
  format?: AccessLogFormat;
}

const FORMATS: readonly AccessLogFormat[] = ['common', 'combined', 'json'];
const KEYS: readonly string[] = ['path', 'format'];

/** The core's options for accessLog: its path ('' for stdout) and format number (0, 1, 2). */
export function accessLogOptions(value: boolean | AccessLogOptions | undefined): { accessLogPath?: string; accessLogFormat?: number } {
  if (value === undefined || value === false) return {};
  if (value === true) return { accessLogPath: '', accessLogFormat: 1 };
  if (value === null || typeof value !== 'object') throw errors.invalidOption('accessLog', 'a boolean or { path?, format? }');
  for (const key of Object.keys(value)) {
    if (!KEYS.includes(key)) throw errors.unknownOption(key, KEYS, 'accessLog option');
  }
  const { path = '', format = 'combined' } = value;
  if (typeof path !== 'string' || path.includes('\0')) throw errors.invalidOption('accessLog.path', 'a file path');
  if (!FORMATS.includes(format)) {
    const guess = typeof format === 'string' ? nearest(format, FORMATS) : undefined;
    throw errors.invalidOption('accessLog.format', `one of ${FORMATS.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`);
  }
  return { accessLogPath: path, accessLogFormat: FORMATS.indexOf(format) };
}

/**
 * Reopens the log on SIGHUP while the server listens, when it writes to a file. Only the main
 * thread hears signals. Returns what stops listening for it.
 */
export function reopenOnHangup(options: boolean | AccessLogOptions | undefined, reopen: () => void): () => void {
  if (typeof options !== 'object' || !options.path || !isMainThread) return () => {};
  const onHangup = () => reopen();
  process.on('SIGHUP', onHangup);
  return () => process.off('SIGHUP', onHangup);
}
