// The addon in worker threads: it loads and serves in several threads, and a worker that goes away
// with its server still open (process.exit, terminate(), a request in flight) takes its uv handles
// down cleanly through the N-API cleanup hook, while the main thread goes on serving.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { check, fixtures, prebuildEnv, root, run, ensurePrebuild } from './support.js';

beforeAll(async () => {
  await ensurePrebuild();
  check(await run('npm', ['run', 'build:ts'], { cwd: root }), 'npm run build:ts');
}, 180_000);

describe('worker threads', () => {
  it('serve, and exit with the server open without crashing or hanging, 20 times', async () => {
    const r = await run(process.execPath, [join(fixtures, 'workers.mjs'), join(root, 'dist', 'index.js'), '20'], {
      cwd: root,
      env: prebuildEnv(),
      timeout: 120_000,
    });
    check(r, 'workers.mjs');
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.rounds).toBe(20);
    // process.exit(0) in the worker gives 0, terminate() gives 1
    expect(out.exits).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 ? 1 : 0)));
    // A request left in a handler holds a worker's exit for at most the linger time (2 s) plus a tick.
    expect(out.slowest).toBeLessThan(5000);
    expect(r.stderr).not.toMatch(/open handles|Assertion failed|Segmentation/);
  }, 150_000);
});
