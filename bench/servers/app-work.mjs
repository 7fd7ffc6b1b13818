// Seed 003's realistic app: the work every peer's handler does per request, the same code in each
// (Node and Bun alike), so that only the server around it differs:
//   1. burn a little CPU, deterministically: SHA-256 of a fixed 256 KiB buffer (about 0.16 ms on
//      the bench machine, SHA-NI, in Node and in Bun alike; a real app hashing a token or rendering a template);
//   2. wait 100 ms (a database or upstream call);
//   3. write a 1 KiB temp file with fs.promises and unlink it (a session, an upload, a cache);
//   4. answer a small body: the hash's first 16 hex digits, so a check can see the work was done.
// The files go in one mkdtemp dir per server process, removed at exit; names are per request.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const APP_PATH = '/app';
export const WAIT_MS = 100;
export const HASH_BYTES = 256 * 1024;
export const FILE_BYTES = 1024;
export const APP_CONTENT_TYPE = 'text/plain';

const input = Buffer.alloc(HASH_BYTES, 'uvhttp bench');
const file = Buffer.alloc(FILE_BYTES, 'x');

/** The CPU part alone. */
export const burn = () => createHash('sha256').update(input).digest('hex');

/** The body every answer carries (20 bytes). */
export const APP_BODY = `ok ${burn().slice(0, 16)}\n`;

let dir = /** @type {string | null} */ (null);
let seq = 0;

/** The temp dir, made on the first request (importing this module has no side effects). */
function tempDir() {
  if (dir) return dir;
  const made = mkdtempSync(join(tmpdir(), 'uvhttp-bench-app-'));
  process.on('exit', () => rmSync(made, { recursive: true, force: true }));
  // The harness stops a server with SIGTERM: leave through 'exit' so the dir goes too.
  for (const sig of ['SIGTERM', 'SIGINT']) process.once(sig, () => process.exit(0));
  return (dir = made);
}

/** One request's work; resolves with the body to send. */
export async function work() {
  const body = `ok ${burn().slice(0, 16)}\n`;
  await new Promise((r) => setTimeout(r, WAIT_MS));
  const name = join(tempDir(), `${++seq}.tmp`);
  await writeFile(name, file);
  await unlink(name);
  return body;
}
