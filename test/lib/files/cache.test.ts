// The open-file cache: changes on disk (rewrite, resize, replace by rename, delete, create) are seen
// within validMs + 1 s, small files come from memory and large ones with sendfile, the bounds hold,
// and the stats add up.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp, type Started } from '../../helpers/app.js';
import { createServer } from '../../helpers/app.js';
import { etagOf, getRaw, makeTree, pattern, pollUntil, sha256, thrown, type Tree } from './fixture.js';
import type { FileStats } from '../../../lib/index.js';

vi.setConfig({ testTimeout: 15_000, hookTimeout: 10_000 });

/** Default validMs is 1000: a change must show within 2 s; the test polls up to 2.5 s. */
const SEEN_WITHIN_MS = 2500;


describe('changes on disk with the default cache', () => {
  let t: Tree;
  let s: Started;
  beforeAll(async () => {
    t = makeTree({
      'same-size.txt': 'version-1 AAAA',
      'resize.txt': 'short',
      'renamed.txt': 'RENAMED-OLD-1',
      'delete-me.txt': 'about to go',
      'large.bin': pattern(200 * 1024, 1),
      'large-renamed.bin': pattern(200 * 1024, 3),
      'dir/keep.txt': 'k',
    });
    s = await startApp((app) => app.serveDir('/', t.root));
  });
  afterAll(async () => {
    await s?.stop();
    t?.cleanup();
  });

  const bodyIs = (p: string, expected: Buffer | string) => async () => {
    const r = await getRaw(s.port, p);
    return r.status === 200 && r.body.equals(Buffer.from(expected));
  };

  it('a small file rewritten in place with the same size and a new mtime', async () => {
    const first = await getRaw(s.port, '/same-size.txt');
    expect(first.text).toBe('version-1 AAAA');
    await getRaw(s.port, '/same-size.txt'); // cached now
    fs.writeFileSync(t.file('same-size.txt'), 'version-2 BBBB');
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(t.file('same-size.txt'), later, later);
    const ms = await pollUntil(bodyIs('/same-size.txt', 'version-2 BBBB'), SEEN_WITHIN_MS);
    expect(ms, 'the rewrite was not seen within 2.5 s').toBeGreaterThanOrEqual(0);
    const r = await getRaw(s.port, '/same-size.txt');
    expect(r.headers['etag']).toBe(etagOf(t.file('same-size.txt')));
    expect(r.headers['etag']).not.toBe(first.headers['etag']);
    expect(r.headers['content-length']).toBe('14');
  });

  it('a small file rewritten with another size', async () => {
    expect((await getRaw(s.port, '/resize.txt')).text).toBe('short');
    fs.writeFileSync(t.file('resize.txt'), 'a much longer second version of the file');
    const ms = await pollUntil(bodyIs('/resize.txt', 'a much longer second version of the file'), SEEN_WITHIN_MS);
    expect(ms, 'the rewrite was not seen within 2.5 s').toBeGreaterThanOrEqual(0);
    const r = await getRaw(s.port, '/resize.txt');
    expect(r.headers['content-length']).toBe('40');
  });

  it('a file replaced by rename with the same size and mtime (only the inode changes)', async () => {
    expect((await getRaw(s.port, '/renamed.txt')).text).toBe('RENAMED-OLD-1');
    const st = fs.statSync(t.file('renamed.txt'));
    const tmp = path.join(t.base, 'renamed.tmp');
    fs.writeFileSync(tmp, 'RENAMED-NEW-2');
    fs.utimesSync(tmp, st.atime, st.mtime);
    fs.renameSync(tmp, t.file('renamed.txt'));
    expect(fs.statSync(t.file('renamed.txt')).ino).not.toBe(st.ino);
    const ms = await pollUntil(bodyIs('/renamed.txt', 'RENAMED-NEW-2'), SEEN_WITHIN_MS);
    expect(ms, 'the replaced file was not seen within 2.5 s').toBeGreaterThanOrEqual(0);
  });

  it('a deleted file becomes a 404', async () => {
    expect((await getRaw(s.port, '/delete-me.txt')).status).toBe(200);
    fs.unlinkSync(t.file('delete-me.txt'));
    const ms = await pollUntil(async () => (await getRaw(s.port, '/delete-me.txt')).status === 404, SEEN_WITHIN_MS);
    expect(ms, 'the deletion was not seen within 2.5 s').toBeGreaterThanOrEqual(0);
    const r = await getRaw(s.port, '/delete-me.txt');
    expect(r.text).not.toContain('about to go');
  });

  it('a created file is served after its 404 was cached', async () => {
    expect((await getRaw(s.port, '/new.txt')).status).toBe(404);
    expect((await getRaw(s.port, '/new.txt')).status).toBe(404);
    fs.writeFileSync(t.file('new.txt'), 'created while running');
    const ms = await pollUntil(bodyIs('/new.txt', 'created while running'), SEEN_WITHIN_MS);
    expect(ms, 'the new file was not seen within 2.5 s').toBeGreaterThanOrEqual(0);
  });

  it('a created directory index is served after its miss was cached', async () => {
    expect((await getRaw(s.port, '/dir/')).status).toBe(404);
    fs.writeFileSync(t.file('dir/index.html'), 'new index');
    const ms = await pollUntil(bodyIs('/dir/', 'new index'), SEEN_WITHIN_MS);
    expect(ms, 'the new index was not seen within 2.5 s').toBeGreaterThanOrEqual(0);
  });

  it('a large (sendfile) file rewritten in place while cached', async () => {
    const v1 = pattern(200 * 1024, 1);
    const v2 = pattern(200 * 1024, 2);
    const first = await getRaw(s.port, '/large.bin');
    expect(sha256(first.body)).toBe(sha256(v1));
    fs.writeFileSync(t.file('large.bin'), v2);
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(t.file('large.bin'), later, later);
    const ms = await pollUntil(async () => sha256((await getRaw(s.port, '/large.bin')).body) === sha256(v2), SEEN_WITHIN_MS, 100);
    expect(ms, 'the rewrite was not seen within 2.5 s').toBeGreaterThanOrEqual(0);
  });

  it('a large file replaced by rename keeps serving whole files: old or new, never a mix, then the new', async () => {
    const v1 = pattern(200 * 1024, 3);
    const v2 = pattern(300 * 1024, 4);
    expect(sha256((await getRaw(s.port, '/large-renamed.bin')).body)).toBe(sha256(v1));
    const tmp = path.join(t.base, 'large.tmp');
    fs.writeFileSync(tmp, v2);
    fs.renameSync(tmp, t.file('large-renamed.bin'));
    const seen = new Set<string>();
    const ms = await pollUntil(
      async () => {
        const h = sha256((await getRaw(s.port, '/large-renamed.bin')).body);
        seen.add(h);
        return h === sha256(v2);
      },
      SEEN_WITHIN_MS,
      100,
    );
    expect(ms, 'the replacement was not seen within 2.5 s').toBeGreaterThanOrEqual(0);
    for (const h of seen) expect([sha256(v1), sha256(v2)]).toContain(h);
  });
});

describe('memory and sendfile, and the stats', () => {
  let t: Tree;
  let s: Started;
  beforeAll(async () => {
    t = makeTree({
      'small.txt': 'x'.repeat(1000),
      'edge.bin': pattern(64 * 1024, 5),
      'over.bin': pattern(64 * 1024 + 1, 6),
      'large.bin': pattern(256 * 1024, 7),
    });
    s = await startApp((app) => app.serveDir('/', t.root));
  });
  afterAll(async () => {
    await s?.stop();
    t?.cleanup();
  });
  const files = (): FileStats => s.app.stats().files;

  it('stats().files has every documented counter, as non-negative integers', () => {
    const f = files();
    for (const k of ['memoryHits', 'sendfileResponses', 'notModified', 'entries', 'openFiles', 'memoryBytes']) {
      expect(Number.isInteger((f as any)[k]), k).toBe(true);
      expect((f as any)[k], k).toBeGreaterThanOrEqual(0);
    }
  });

  it('a small file comes from memory, its fd closed, its bytes counted', async () => {
    const before = files();
    for (let i = 0; i < 3; i++) expect((await getRaw(s.port, '/small.txt')).body.length).toBe(1000);
    const after = files();
    expect(after.memoryHits - before.memoryHits).toBe(3);
    expect(after.sendfileResponses - before.sendfileResponses).toBe(0);
    expect(after.memoryBytes).toBeGreaterThanOrEqual(1000);
  });

  it('a file of exactly 64 KiB is kept in memory; one byte more goes out with sendfile', async () => {
    let before = files();
    const edge = await getRaw(s.port, '/edge.bin');
    expect(sha256(edge.body)).toBe(sha256(pattern(64 * 1024, 5)));
    let after = files();
    expect(after.memoryHits - before.memoryHits).toBe(1);
    expect(after.sendfileResponses - before.sendfileResponses).toBe(0);
    before = after;
    const over = await getRaw(s.port, '/over.bin');
    expect(sha256(over.body)).toBe(sha256(pattern(64 * 1024 + 1, 6)));
    after = files();
    expect(after.sendfileResponses - before.sendfileResponses).toBe(1);
    expect(after.memoryHits - before.memoryHits).toBe(0);
  });

  it('a large file goes out with sendfile and its bytes are not held in memory', async () => {
    await getRaw(s.port, '/large.bin');
    const before = files();
    const r = await getRaw(s.port, '/large.bin');
    expect(sha256(r.body)).toBe(sha256(pattern(256 * 1024, 7)));
    const after = files();
    expect(after.sendfileResponses - before.sendfileResponses).toBe(1);
    expect(after.memoryBytes).toBeLessThan(256 * 1024);
    expect(after.openFiles).toBeGreaterThanOrEqual(1);
  });
});

describe('fileCache options', () => {
  let t: Tree;
  beforeAll(() => {
    const entries: Record<string, string> = {};
    for (let i = 0; i < 60; i++) entries[`f${i}.txt`] = `file ${i} `.repeat(50);
    t = makeTree({ ...entries, 'mid.bin': pattern(10_000, 9), 'v.txt': 'validms-1' });
  });
  afterAll(() => t?.cleanup());

  it('validMs: 0 re-checks on every request (a rewrite is seen within 1 s)', async () => {
    const s = await startApp((app) => app.serveDir('/', t.root), { fileCache: { validMs: 0 } } as never);
    try {
      expect((await getRaw(s.port, '/v.txt')).text).toBe('validms-1');
      fs.writeFileSync(t.file('v.txt'), 'validms-2-longer');
      const ms = await pollUntil(async () => (await getRaw(s.port, '/v.txt')).text === 'validms-2-longer', 1500, 20);
      expect(ms, 'not seen within 1.5 s').toBeGreaterThanOrEqual(0);
    } finally {
      await s.stop();
    }
  });

  it('maxFileSize: 0 sends even small files with sendfile', async () => {
    const s = await startApp((app) => app.serveDir('/', t.root), { fileCache: { maxFileSize: 0 } } as never);
    try {
      const before = s.app.stats().files as FileStats;
      expect((await getRaw(s.port, '/f1.txt')).text).toBe('file 1 '.repeat(50));
      expect((await getRaw(s.port, '/f1.txt')).text).toBe('file 1 '.repeat(50));
      const after = s.app.stats().files as FileStats;
      expect(after.sendfileResponses - before.sendfileResponses).toBe(2);
      expect(after.memoryHits - before.memoryHits).toBe(0);
      expect(after.memoryBytes).toBe(0);
    } finally {
      await s.stop();
    }
  });

  it('maxFileSize: a file above it goes with sendfile, below it from memory', async () => {
    const s = await startApp((app) => app.serveDir('/', t.root), { fileCache: { maxFileSize: 5000 } } as never);
    try {
      const before = s.app.stats().files as FileStats;
      expect(sha256((await getRaw(s.port, '/mid.bin')).body)).toBe(sha256(pattern(10_000, 9)));
      await getRaw(s.port, '/f2.txt');
      const after = s.app.stats().files as FileStats;
      expect(after.sendfileResponses - before.sendfileResponses).toBe(1);
      expect(after.memoryHits - before.memoryHits).toBe(1);
    } finally {
      await s.stop();
    }
  });

  it('maxBytes bounds the bytes held in memory; every file is still served right', async () => {
    const s = await startApp((app) => app.serveDir('/', t.root), { fileCache: { maxBytes: 2000 } } as never);
    try {
      for (let i = 0; i < 60; i++) {
        const r = await getRaw(s.port, `/f${i}.txt`);
        expect(r.text, `f${i}`).toBe(`file ${i} `.repeat(50));
        expect((s.app.stats().files as FileStats).memoryBytes, `after f${i}`).toBeLessThanOrEqual(2000);
      }
    } finally {
      await s.stop();
    }
  });

  it('maxEntries bounds the entries, misses included', async () => {
    const s = await startApp((app) => app.serveDir('/', t.root), { fileCache: { maxEntries: 10 } } as never);
    try {
      for (let i = 0; i < 60; i++) {
        expect((await getRaw(s.port, `/f${i}.txt`)).status).toBe(200);
        expect((await getRaw(s.port, `/missing-${i}.txt`)).status).toBe(404);
      }
      expect((s.app.stats().files as FileStats).entries).toBeLessThanOrEqual(10);
      expect((s.app.stats().files as FileStats).entries).toBeGreaterThan(0);
    } finally {
      await s.stop();
    }
  });

  it('maxOpenFiles bounds the descriptors held', async () => {
    const s = await startApp((app) => app.serveDir('/', t.root), { fileCache: { maxOpenFiles: 4, maxFileSize: 0 } } as never);
    try {
      for (let i = 0; i < 60; i++) expect((await getRaw(s.port, `/f${i}.txt`)).status).toBe(200);
      await vi.waitFor(() => expect(s.app.stats().connections).toBe(0), { timeout: 2000 });
      expect((s.app.stats().files as FileStats).openFiles).toBeLessThanOrEqual(4);
    } finally {
      await s.stop();
    }
  });

  const bad: Array<[string, unknown]> = [
    ['fileCache: "big"', 'big'],
    ['maxEntries: -1', { maxEntries: -1 }],
    ['maxOpenFiles: 1.5', { maxOpenFiles: 1.5 }],
    ['maxBytes: "64MB"', { maxBytes: '64MB' }],
    ['maxFileSize: NaN', { maxFileSize: NaN }],
    ['validMs: -5', { validMs: -5 }],
  ];
  for (const [label, fileCache] of bad) {
    it(`createServer rejects ${label} with UVHTTP_ERR_INVALID_OPTION`, () => {
      const e = thrown(() => createServer({ fileCache } as never));
      expect(e, 'createServer did not throw').toBeDefined();
      expect(e!.code).toBe('UVHTTP_ERR_INVALID_OPTION');
    });
  }
});
