#!/usr/bin/env node
// `npm run build:cmake [-- cmake-js options]`: builds the addon with cmake-js from CMakeLists.txt into
// build/ (build/Release/uvhttp.node, where the loader looks, and build/compile_commands.json).
// cmake-js needs Node's headers (uv.h, node_api.h). When the running Node has them installed beside
// it (<prefix>/include/node: Linux distributions, the official tarballs, Homebrew) they are used, so
// nothing is downloaded; npm's `nodedir` setting takes precedence. Otherwise cmake-js downloads them.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const env = { ...process.env };
if (!env.npm_config_nodedir) {
  const prefix = dirname(dirname(process.execPath));
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = prefix;
}
const cli = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
const args = process.argv.slice(2);
const r = spawnSync(process.execPath, [cli, 'rebuild', '--directory', root, ...args], { stdio: 'inherit', env });
process.exitCode = r.status ?? 1;
