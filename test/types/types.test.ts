// Compiles api.test-d.ts against the declarations the package ships (emitted here, internals
// stripped) under strict, noUncheckedIndexedAccess and exactOptionalPropertyTypes. Its
// @ts-expect-error lines make the negative cases fail the compile if they ever start compiling.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const work = mkdtempSync(join(tmpdir(), 'uvhttp-types-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [tsc, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return `${r.stdout}${r.stderr}`.trim() + (r.status === 0 ? '' : `\n(exit ${r.status})`);
}

describe('public types', () => {
  it('compile as a strict user sees them, negative cases included', () => {
    expect(run(['-p', 'tsconfig.json', '--emitDeclarationOnly', '--outDir', join(work, 'dist')])).toBe('');
    const source = readFileSync(join(root, 'test/types/api.test-d.ts'), 'utf8').replaceAll("'../../dist/index.js'", "'./dist/index.js'");
    expect(source).toContain("'./dist/index.js'");
    writeFileSync(join(work, 'api.test-d.ts'), source);
    writeFileSync(join(work, 'package.json'), '{ "type": "module" }\n');
    const config = JSON.parse(readFileSync(join(root, 'test/types/tsconfig.json'), 'utf8'));
    writeFileSync(join(work, 'tsconfig.json'), JSON.stringify(config));
    symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
    expect(run(['-p', join(work, 'tsconfig.json')])).toBe('');
  }, 180_000);
});
