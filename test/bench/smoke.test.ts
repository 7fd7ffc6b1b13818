// Runs the harness for real, in its quickest form, against uvhttp-static and node-http, and against
// the fetch-handler servers uvhttp-serve, hono-uvhttp and hono-node.
// Only in CI (it needs wrk, taskset and a built uvhttp, and loads the machine for ~15 s).
// The files suite's smoke runs uvhttp-files and uvhttp-static on 13 B, 4 KiB and 1 MiB, never 100 MiB;
// the stream bench's runs one 4 MiB download from each server.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

// The harness runs for many seconds: awaited as a child process, so vitest's worker stays responsive
// (a synchronous spawn blocks it long enough for vitest to report a timeout of its own).
function runHarness(args: string[], timeout: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, timeout });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => resolve({ status: null, stdout, stderr: `${stderr}${err}` }));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('bench smoke', () => {
  it.skipIf(!process.env.CI)(
    'measures uvhttp-static and node-http with wrk and writes the results',
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
      try {
        const r = await runHarness(
          ['bench/run.mjs', '--quick', '--server', 'uvhttp-static,node-http', '--mode', 'wrk', '--settle-max', '1', '--out', out],
          55_000,
        );
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/\| uvhttp-static \| route \| wrk \|/);
        const doc = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'));
        for (const server of ['uvhttp-static', 'node-http']) {
          const run = doc.runs.find((/** @type {any} */ x) => x.server === server);
          expect(run, server).toBeDefined();
          expect(run.unsupported, server).toBeUndefined();
          expect(run.per_cpu_s, server).toBeGreaterThan(0);
          expect(run.errors, server).toBe(0);
        }
        expect(readFileSync(join(out, 'latest.svg'), 'utf8')).toMatch(/<svg/);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
    60_000,
  );

  // The fetch-handler servers that need no download (Bun's are left out: the harness fetches Bun on demand).
  it.skipIf(!process.env.CI)(
    'measures uvhttp-serve, hono-uvhttp and hono-node with wrk',
    async () => {
      const servers = ['uvhttp-serve', 'hono-uvhttp', 'hono-node'];
      const out = mkdtempSync(join(tmpdir(), 'bench-smoke-fetch-'));
      try {
        const r = await runHarness(['bench/run.mjs', '--quick', '--server', servers.join(','), '--mode', 'wrk', '--settle-max', '1', '--out', out], 55_000);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/\| hono-uvhttp \| handler \| wrk \|/);
        const doc = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'));
        for (const server of servers) {
          const run = doc.runs.find((/** @type {any} */ x) => x.server === server);
          expect(run, server).toBeDefined();
          expect(run.unsupported, server).toBeUndefined();
          expect(run.per_cpu_s, server).toBeGreaterThan(0);
          expect(run.errors, server).toBe(0);
        }
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
    60_000,
  );

  it.skipIf(!process.env.CI)(
    'measures uvhttp-files and uvhttp-static on small and 1 MiB files and writes the files report',
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'bench-smoke-files-'));
      try {
        const r = await runHarness(
          ['bench/run.mjs', '--suite', 'files', '--quick', '--server', 'uvhttp-files,uvhttp-static', '--scenario', '13b,4k,1m', '--settle-max', '1', '--out', out],
          55_000,
        );
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/^\| uvhttp-files \| \*\*[\d,]+\*\* \|/m);
        expect(r.stdout).toMatch(/÷ uvhttp-static/);
        const doc = JSON.parse(readFileSync(join(out, 'files-latest.json'), 'utf8'));
        expect(doc.suite).toBe('files');
        for (const [server, scenario] of [['uvhttp-files', '13b'], ['uvhttp-files', '4k'], ['uvhttp-files', '1m'], ['uvhttp-static', '13b'], ['uvhttp-static', '4k']]) {
          const run = doc.runs.find((/** @type {any} */ x) => x.server === server && x.scenario === scenario);
          expect(run, `${server} ${scenario}`).toBeDefined();
          expect(run.unsupported, `${server} ${scenario}`).toBeUndefined();
          expect(run.per_cpu_s, `${server} ${scenario}`).toBeGreaterThan(0);
          expect(run.errors, `${server} ${scenario}`).toBe(0);
        }
        expect(doc.runs.some((/** @type {any} */ x) => x.scenario === '100m')).toBe(false);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
    60_000,
  );

  it.skipIf(!process.env.CI)(
    'the stream bench downloads uvhttp and node:http streams and reports MB per server CPU-second',
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'bench-smoke-stream-'));
      try {
        const r = await runHarness(['bench/stream.mjs', '--mib', '4', '--downloads', '1', '--rounds', '1', '--out', out], 55_000);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/\| uvhttp \| \d+ \| \d+ \| [\d.]+× \|/);
        const doc = JSON.parse(readFileSync(join(out, 'stream.json'), 'utf8'));
        expect(doc.rows.map((x: { server: string }) => x.server)).toEqual(['uvhttp', 'node-http']);
        for (const row of doc.rows) expect(row.mb_per_cpu_s, row.server).toBeGreaterThan(0);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
    60_000,
  );
});

