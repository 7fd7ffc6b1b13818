// Shared by the package tests: the repository root, child processes, and a fresh prebuild.
import { spawn, type SpawnOptions } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const prebuildDir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);

export interface Ran {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end without blocking the test worker's event loop (vitest talks over it). */
export function run(cmd: string, args: string[], options: SpawnOptions = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

/** Fails with the child's output when it did not exit 0. */
export function check(r: Ran, what: string): Ran {
  if (r.status !== 0) {
    throw new Error(`${what} failed (status ${r.status}, signal ${r.signal})\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  }
  return r;
}

// The newest mtime of the matching files below dir, subdirectories included (native/ is grouped
// by layer: a change in native/handlers/ must make the prebuild stale too).
function newest(dir: string, match: (name: string) => boolean): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) t = Math.max(t, newest(path, match));
    else if (match(entry.name)) t = Math.max(t, statSync(path).mtimeMs);
  }
  return t;
}

/** The .node files of this platform's prebuild directory (empty when there is none). */
export function prebuildFiles(): string[] {
  try {
    return readdirSync(prebuildDir).filter((f) => f.endsWith('.node'));
  } catch {
    return [];
  }
}

/**
 * Runs `npm run prebuild` unless prebuilds/<platform>-<arch>/ already holds a binary newer than every
 * native source and binding.gyp (CI runs it once before the tests; a local run rebuilds when stale).
 */
export async function ensurePrebuild(): Promise<string> {
  const sources = Math.max(
    newest(join(root, 'native'), (f) => /\.(cc|h)$/.test(f)),
    statSync(join(root, 'binding.gyp')).mtimeMs,
  );
  const built = prebuildFiles().length ? newest(prebuildDir, (f) => f.endsWith('.node')) : 0;
  if (built < sources) check(await run('npm', ['run', 'prebuild'], { cwd: root }), 'npm run prebuild');
  const files = prebuildFiles();
  if (files.length === 0) throw new Error(`npm run prebuild wrote nothing to ${prebuildDir}`);
  return join(prebuildDir, files[0]);
}

/** PREBUILDS_ONLY makes node-gyp-build ignore build/, so the prebuild is what loads. */
export function prebuildEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, PREBUILDS_ONLY: '1', NO_COLOR: '1', FORCE_COLOR: '0', ...extra };
}
