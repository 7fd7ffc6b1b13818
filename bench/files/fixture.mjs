// The files the static-file suite serves, written at run time into a temp dir (never committed):
// 13 bytes (the same `Hello World!!` as every other scenario), 4 KiB, 1 MiB and 100 MiB of
// deterministic pseudo-random bytes, so a body can be checked by its SHA-256 and every run
// serves the same bytes.
import { mkdtempSync, openSync, writeSync, closeSync, chmodSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BODY } from '../servers/body.mjs';

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** @typedef {{ name: string, size: number }} FixtureFile */

/** @type {FixtureFile[]} */
export const FIXTURE = [
  { name: '13b.txt', size: Buffer.byteLength(BODY) },
  { name: '4k.bin', size: 4 * KiB },
  { name: '1m.bin', size: MiB },
  { name: '100m.bin', size: 100 * MiB },
];

const CHUNK = MiB;

/**
 * Fill `buf` with xorshift32 bytes from `state`; returns the next state. Pure arithmetic, so the
 * content depends only on the file name and the offset, on every machine.
 * @param {Buffer} buf
 * @param {number} state
 */
function xorshiftFill(buf, state) {
  const words = new Uint32Array(buf.buffer, buf.byteOffset, buf.length >>> 2);
  let x = state >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  return x;
}

/** The seed of a file: FNV-1a of its name. @param {string} name */
function seed(name) {
  let h = 0x811c9dc5;
  for (const c of Buffer.from(name)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return h || 1;
}

/**
 * Yield the content of a fixture file in chunks of at most 1 MiB.
 * The 13-byte file is `Hello World!!`; the others are sizes in whole words.
 * @param {FixtureFile} f
 * @returns {Generator<Buffer>}
 */
export function* fixtureChunks(f) {
  if (f.name === '13b.txt') {
    yield Buffer.from(BODY);
    return;
  }
  if (f.size % 4) throw new Error(`fixture ${f.name}: size ${f.size} is not a multiple of 4`);
  let state = seed(f.name);
  for (let off = 0; off < f.size; off += CHUNK) {
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, f.size - off));
    state = xorshiftFill(buf, state);
    yield buf;
  }
}

/**
 * Write the fixture files (0644) into a new 0755 temp dir, readable by nginx's and Apache's
 * unprivileged workers. Returns each file's path, size and SHA-256.
 * @param {{ dir?: string, files?: FixtureFile[] }} [o]
 */
export function writeFixture({ dir = mkdtempSync(join(tmpdir(), 'bench-files-')), files = FIXTURE } = {}) {
  chmodSync(dir, 0o755);
  const out = files.map((f) => {
    const path = join(dir, f.name);
    const hash = createHash('sha256');
    const fd = openSync(path, 'w', 0o644);
    try {
      for (const chunk of fixtureChunks(f)) {
        hash.update(chunk);
        writeSync(fd, chunk);
      }
    } finally {
      closeSync(fd);
    }
    chmodSync(path, 0o644);
    return { ...f, path, sha256: hash.digest('hex') };
  });
  return { dir, files: out, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** @typedef {ReturnType<typeof writeFixture>} Fixture */
