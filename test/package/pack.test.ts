// The npm tarball: what it holds, and that it installs and serves on a machine with only node and npm
// (no compiler, make or Python), through both `import` and `require`, on Node 20 and Node 22; and
// that the test suite passes on both Node versions loading the same prebuild.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe } from '../helpers/cli.js';
import { tryConnect } from '../helpers/http.js';
import { check, ensurePrebuild, fixtures, prebuildEnv, root, run, type Ran } from './support.js';

const posix = process.platform !== 'win32';
const work = mkdtempSync(join(tmpdir(), 'uvhttp-pack-'));
let prebuild = '';
let tarball = '';

interface PackFile {
  path: string;
  size: number;
}
interface PackInfo {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: PackFile[];
}

async function which(cmd: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const r = await run('/bin/sh', ['-c', `command -v ${cmd}`], { env });
  return r.status === 0 ? r.stdout.trim() : null;
}

// A PATH holding node, npm and sh, nothing else: npm runs every package script (the install script
// too) through sh, so a machine without it could not install any package with a script.
async function nodeOnlyBin(node: string): Promise<string> {
  const bin = mkdtempSync(join(work, 'bin-'));
  symlinkSync(node, join(bin, 'node'));
  symlinkSync(realpathSync((await which('npm'))!), join(bin, 'npm'));
  symlinkSync('/bin/sh', join(bin, 'sh'));
  return bin;
}

// Nothing from the npm run that started the tests (npm_config_*, npm_lifecycle_*), and that PATH.
function cleanEnv(bin: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: bin, HOME: process.env.HOME ?? work, TMPDIR: tmpdir(), ...extra };
}

async function serve(app: string, mode: 'import' | 'require', env: NodeJS.ProcessEnv, node = 'node'): Promise<Record<string, any>> {
  const r = check(await run(node, [join(fixtures, 'serve.mjs'), mode], { cwd: app, env }), `serve via ${mode}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function expectServed(out: Record<string, any>, mode: string): void {
  expect(out.static).toEqual({ status: 200, body: 'hello from C++', mode: null });
  expect(out.dynamic).toEqual({ status: 201, body: 'user 42', mode });
  expect(out.missing.status).toBe(404);
}

beforeAll(async () => {
  prebuild = await ensurePrebuild();
  // npm pack runs `prepare` (tsc), so dist/ is current.
  const r = check(await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: root }), 'npm pack');
  const info = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as PackInfo[];
  tarball = join(work, info[0].filename);
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the tarball', () => {
  it('holds dist, the prebuild, the native sources and build files, and nothing else', async () => {
    const r = check(await run('npm', ['pack', '--dry-run', '--json'], { cwd: root }), 'npm pack --dry-run');
    const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as PackInfo[];
    const files = info.files.map((f) => f.path);
    console.log(
      `[package] ${info.filename}: ${files.length} files, ${(info.size / 1024).toFixed(1)} KiB packed, ` +
        `${(info.unpackedSize / 1024).toFixed(1)} KiB unpacked`,
    );

    expect(files).toContain(`prebuilds/${process.platform}-${process.arch}/${basename(prebuild)}`);
    for (const f of ['dist/index.js', 'dist/index.cjs', 'dist/cli.js', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/native.js',
      'binding.gyp', 'CMakeLists.txt', 'scripts/install.cjs', 'native/binding.cc', 'README.md', 'LICENSE', 'package.json'])
      expect(files).toContain(f);
    // every source binding.gyp compiles, so a source build works from the tarball
    const gyp = JSON.parse(readFileSync(join(root, 'binding.gyp'), 'utf8'));
    for (const src of gyp.targets[0].sources) expect(files).toContain(src);

    const allowed = /^(dist\/|prebuilds\/|native\/|binding\.gyp$|CMakeLists\.txt$|scripts\/install\.cjs$|README\.md$|LICENSE$|package\.json$)/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    const excluded = /(^|\/)(test|tests|bench|build|fuzz|examples|deps|node_modules|\.github|\.ci)\/|\.test\.|^lib\/|tsconfig|vitest/;
    expect(files.filter((f) => excluded.test(f))).toEqual([]);
    expect(info.size).toBeLessThan(1024 * 1024);
  });

  it.skipIf(!posix)('installs without a compiler and serves through import and require', async () => {
    const bin = await nodeOnlyBin(process.execPath);
    const env = cleanEnv(bin);
    for (const tool of ['make', 'gmake', 'python3', 'python', 'c++', 'g++', 'cc', 'gcc', 'clang++', 'node-gyp'])
      expect(await which(tool, env), `${tool} must not be on PATH`).toBeNull();
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    check(await run('npm', ['install', '--no-audit', '--no-fund', tarball], { cwd: app, env }), 'npm install <tarball>');

    const installed = join(app, 'node_modules', 'uvhttp');
    expect(existsSync(join(installed, 'build')), 'the install must not have compiled anything').toBe(false);
    for (const mode of ['import', 'require'] as const) {
      const out = await serve(app, mode, env);
      expectServed(out, mode);
      expect(out.binary).toBe(join(realpathSync(installed), 'prebuilds', `${process.platform}-${process.arch}`, basename(prebuild)));
    }
  }, 180_000);

  it.skipIf(!posix)('runs `npx uvhttp serve <dir>` from the installed package, and the uvhttp bin exits 0 on SIGTERM', async (ctx) => {
    const app = join(work, 'app');
    if (!existsSync(join(app, 'node_modules', 'uvhttp'))) return ctx.skip(); // the install test did not run
    const bin = await nodeOnlyBin(process.execPath);
    symlinkSync(realpathSync((await which('npx'))!), join(bin, 'npx'));
    const env = cleanEnv(bin);
    const site = join(work, 'site');
    mkdirSync(site);
    writeFileSync(join(site, 'hello.txt'), 'hello from the tarball\n');
    const args = ['serve', site, '--port', '0', '--host', '127.0.0.1'];

    // npm does not pass signals on to the command it runs: a terminal's Ctrl-C reaches the whole group.
    const viaNpx = await startServe('npx', ['--no-install', 'uvhttp', ...args], { cwd: app, env, group: true }, 60_000);
    try {
      expect(viaNpx.url).toBe(`http://127.0.0.1:${viaNpx.port}/`);
      const r = await fetch(new URL('hello.txt', viaNpx.url));
      expect(r.status).toBe(200);
      expect(await r.text()).toBe('hello from the tarball\n');
      const ended = await viaNpx.stop('SIGINT');
      expect(ended.stderr).toBe('');
      expect(await tryConnect(viaNpx.port)).toBe('ECONNREFUSED');
    } finally {
      viaNpx.kill();
    }

    // The linked bin itself, as npx runs it: executable, found by its shebang, exit code 0.
    const direct = await startServe(join(app, 'node_modules', '.bin', 'uvhttp'), args, { cwd: app, env }, 60_000);
    try {
      expect((await fetch(new URL('hello.txt', direct.url))).status).toBe(200);
      const ended = await direct.stop('SIGTERM');
      expect(ended.signal).toBeNull();
      expect(ended.code, ended.stderr).toBe(0);
      expect(await tryConnect(direct.port)).toBe('ECONNREFUSED');
    } finally {
      direct.kill();
    }
  }, 120_000);

  it.skipIf(!posix)('says what to install when it must compile and cannot', async () => {
    const bin = await nodeOnlyBin(process.execPath);
    const app = join(work, 'app-source');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    // build-from-source stands in for a platform with no prebuild
    const r: Ran = await run('npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts', tarball], {
      cwd: app,
      env: cleanEnv(bin, { npm_config_build_from_source: 'true' }),
    });
    expect(r.status).not.toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toContain('uvhttp: no prebuilt binary');
    expect(out).toMatch(/Python 3 \(python3\), make, a C\+\+17 compiler/);
    expect(out).toContain('npm rebuild uvhttp');
  }, 180_000);
});

describe('Node 22', () => {
  let node22: string | undefined;
  let unavailable = '';

  beforeAll(async () => {
    // The `node` npm package ships a Node binary; kept between runs in the temp directory.
    const dir = join(tmpdir(), 'uvhttp-node22');
    const bin = join(dir, 'node_modules', 'node', 'bin', 'node');
    if (!existsSync(bin) || !(await run(bin, ['--version'])).stdout.startsWith('v22.')) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'node22', private: true }));
      const r = await run('npm', ['install', '--no-audit', '--no-fund', '--no-save', 'node@22'], { cwd: dir });
      if (r.status !== 0) {
        if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|network/i.test(r.stderr)) {
          unavailable = `the npm registry is unreachable, so node@22 could not be installed: ${r.stderr.slice(-300)}`;
          return;
        }
        check(r, 'npm install node@22');
      }
    }
    node22 = bin;
  }, 180_000);

  it('serves from the installed tarball, and loads the same prebuild as Node 20', async (ctx) => {
    if (!node22) {
      console.warn(`[package] skipped: ${unavailable}`);
      return ctx.skip();
    }
    expect((await run(node22, ['--version'])).stdout).toMatch(/^v22\./);
    const app = join(work, 'app');
    if (!existsSync(join(app, 'node_modules', 'uvhttp'))) return ctx.skip(); // the install test did not run
    const env = cleanEnv(await nodeOnlyBin(node22));
    const results: string[] = [];
    for (const mode of ['import', 'require'] as const) {
      const out = await serve(app, mode, env, node22);
      expectServed(out, mode);
      expect(out.node).toMatch(/^v22\./);
      results.push(out.binary);
    }
    const node20 = await serve(app, 'import', cleanEnv(await nodeOnlyBin(process.execPath)));
    expect(node20.node).toBe(process.version);
    expect(results).toEqual([node20.binary, node20.binary]);
  }, 60_000);

  it('passes the test suite on Node 20 and Node 22 with the prebuild (not build/)', async (ctx) => {
    if (!node22) {
      console.warn(`[package] skipped: ${unavailable}`);
      return ctx.skip();
    }
    const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
    const loaded: string[] = [];
    for (const node of [process.execPath, node22]) {
      const env = prebuildEnv({ PATH: `${join(node, '..')}:${process.env.PATH}` });
      loaded.push(check(await run(node, ['-p', `require('node-gyp-build').path(${JSON.stringify(root)})`], { cwd: root, env }), 'resolve').stdout.trim());
      const r = check(await run(node, [vitest, 'run', 'test/lib'], { cwd: root, env }), `test/lib on ${node}`);
      expect(r.stdout).toMatch(/Tests\s+\d+ passed/);
      expect(r.stdout).not.toMatch(/\d+ failed/);
    }
    expect(loaded[0]).toBe(await ensurePrebuild());
    expect(loaded[1]).toBe(loaded[0]);
    // Two runs of the whole test/lib suite (about 100 s each on a loaded 2-core machine).
  }, 420_000);
});

