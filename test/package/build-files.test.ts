// The build and release files: one source list (binding.gyp, which CMakeLists.txt reads), a cmake-js
// build that compiles those sources and serves, package.json's packaging fields, and a release
// workflow that parses and covers every platform.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, fixtures, root, run } from './support.js';

const read = (f: string) => readFileSync(join(root, f), 'utf8');
const gyp = JSON.parse(read('binding.gyp')) as { targets: { sources: string[]; defines: string[] }[] };
const sources = gyp.targets[0].sources;

describe('one source list', () => {
  it('binding.gyp lists every addon source under native/, and only files that exist', () => {
    const onDisk = (readdirSync(join(root, 'native'), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.cc'))
      .map((f) => `native/${f.split(sep).join('/')}`)
      .sort();
    expect([...sources].sort()).toEqual(onDisk);
  });

  it('CMakeLists.txt takes its sources and defines from binding.gyp instead of listing them', () => {
    const cmake = read('CMakeLists.txt');
    expect(cmake).toMatch(/file\(READ "\$\{CMAKE_CURRENT_SOURCE_DIR\}\/binding\.gyp" GYP\)/);
    expect(cmake).toMatch(/gyp_list\(sources UVHTTP_SOURCES\)/);
    expect(cmake).toMatch(/gyp_list\(defines UVHTTP_DEFINES\)/);
    expect(cmake).not.toMatch(/native\/\w+\.cc/);
  });
});

describe('npm run build:cmake', () => {
  // Visual Studio generators write no compile_commands.json; the Windows prebuild uses node-gyp.
  it.skipIf(process.platform === 'win32')('builds the addon from the same sources, exports compile_commands.json, and the result serves', async () => {
    const work = mkdtempSync(join(tmpdir(), 'uvhttp-cmake-'));
    try {
      const out = join(work, 'build');
      check(await run('npm', ['run', 'build:cmake', '--', '--out', out], { cwd: root }), 'npm run build:cmake');

      const commands = JSON.parse(readFileSync(join(out, 'compile_commands.json'), 'utf8')) as { file: string; command?: string }[];
      expect(commands.map((c) => c.file.slice(root.length).replace(/^\//, '')).sort()).toEqual([...sources].sort());
      for (const define of gyp.targets[0].defines) expect(commands[0].command ?? '').toContain(`-D${define}`);

      // The package as node-gyp-build sees it, with the cmake build in build/Release.
      const pkg = join(work, 'pkg');
      mkdirSync(join(pkg, 'build', 'Release'), { recursive: true });
      cpSync(join(out, 'Release', 'uvhttp.node'), join(pkg, 'build', 'Release', 'uvhttp.node'));
      cpSync(join(root, 'package.json'), join(pkg, 'package.json'));
      check(await run('npm', ['run', 'build:ts'], { cwd: root }), 'npm run build:ts');
      cpSync(join(root, 'dist'), join(pkg, 'dist'), { recursive: true });
      symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
      writeFileSync(join(work, 'package.json'), '{"type":"module"}');

      const r = check(await run(process.execPath, [join(fixtures, 'serve.mjs'), 'import', join(pkg, 'dist', 'index.js')], { cwd: work }), 'serve');
      const served = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(served.static).toEqual({ status: 200, body: 'hello from C++', mode: null });
      expect(served.dynamic).toEqual({ status: 201, body: 'user 42', mode: 'import' });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('package.json', () => {
  const pkg = JSON.parse(read('package.json'));

  it('exports ESM and CommonJS entries with types, and ships only what a user needs', () => {
    expect(pkg.exports['.'].import).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(pkg.exports['.'].require).toEqual({ types: './dist/index.d.cts', default: './dist/index.cjs' });
    expect(pkg.types).toBe('./dist/index.d.ts');
    expect(pkg.license).toBe('MIT');
    expect(pkg.engines.node).toBeTruthy();
    expect(pkg.files).toEqual(['dist/', 'prebuilds/', 'native/', 'binding.gyp', 'CMakeLists.txt', 'scripts/install.cjs']);
    expect(pkg.scripts.install).toBe('node scripts/install.cjs');
    expect(pkg.scripts.prebuild).toMatch(/^prebuildify --napi --strip --tag-libc/);
    expect(pkg.dependencies['node-gyp-build']).toBeTruthy();
  });
});

describe('the release workflow', () => {
  // PyYAML reads it as GitHub does (YAML 1.1, where the key `on` becomes true).
  const python = `import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)`;

  it('parses, builds every platform, tests against the prebuild, and publishes with provenance', async (ctx) => {
    const probe = await run('python3', ['-c', 'import yaml']).catch(() => ({ status: 1 }));
    if (probe.status !== 0) {
      console.warn('[package] workflow not parsed: python3 with PyYAML is not installed (apt-get install python3-yaml)');
      return ctx.skip();
    }
    const r = check(await run('python3', ['-c', python, join(root, '.github/workflows/release.yml')]), 'parse release.yml');
    const wf = JSON.parse(r.stdout);
    const on = wf.on ?? wf.true;
    expect(on.push.tags).toEqual(['v*']);

    const prebuild = wf.jobs.prebuild;
    const targets = prebuild.strategy.matrix.include.map((m: { target: string }) => m.target).sort();
    expect(targets).toEqual(
      ['darwin-arm64', 'darwin-x64', 'linux-arm64-glibc', 'linux-arm64-musl', 'linux-x64-glibc', 'linux-x64-musl', 'win32-x64'],
    );
    expect(prebuild.env.PREBUILDS_ONLY).toBe('1');
    const steps = JSON.stringify(prebuild.steps);
    expect(steps).toContain('npm run prebuild');
    expect(steps).toContain('vitest run test/lib test/package');
    expect(steps).toContain('node:20-alpine');

    const publish = wf.jobs.publish;
    expect(publish.needs).toBe('prebuild');
    expect(publish.permissions['id-token']).toBe('write');
    const publishSteps = publish.steps.map((s: { run?: string; uses?: string }) => s.run ?? s.uses).join('\n');
    expect(publishSteps).toContain('actions/download-artifact');
    expect(publishSteps).toContain('npm publish --provenance');
    for (const job of Object.values(wf.jobs) as { steps: { uses?: string; run?: string }[] }[])
      for (const step of job.steps) expect(Boolean(step.uses) !== Boolean(step.run), JSON.stringify(step)).toBe(true);
    // The lock is complete: every job installs exactly the locked tree, never a re-resolved one.
    expect(steps.match(/npm ci /g) ?? []).toHaveLength(2);
    expect(publishSteps).toContain('npm ci ');
    expect(JSON.stringify(wf.jobs)).not.toContain('npm install');
  });
});
