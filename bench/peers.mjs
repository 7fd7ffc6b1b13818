// Peers that are not Debian packages nor devDependencies, installed on demand into a cache dir
// outside the repository: Bun, whose npm package is a platform-specific binary
// (@oven/bun-linux-x64), so it cannot be a dependency of uvhttp.
import { readFileSync, mkdirSync, accessSync, constants } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const BUN_PACKAGE = '@oven/bun-linux-x64';
export const BUN_VERSION = '1.4.5';

/**
 * Where on-demand peers go: $UVHTTP_BENCH_PEERS, else $XDG_CACHE_HOME/uvhttp-bench, else
 * ~/.cache/uvhttp-bench. Shared by every checkout, so each does not download Bun again.
 * @param {NodeJS.ProcessEnv} [env]
 */
export function peersDir(env = process.env) {
  if (env.UVHTTP_BENCH_PEERS) return env.UVHTTP_BENCH_PEERS;
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'uvhttp-bench');
}

/** The bun binary inside an npm prefix. @param {string} dir */
export const bunBinary = (dir) => join(dir, 'node_modules', ...BUN_PACKAGE.split('/'), 'bin', 'bun');

/**
 * Why Bun's package cannot run here, or null.
 * @param {string} [platform] @param {string} [arch]
 */
export function bunUnsupported(platform = process.platform, arch = process.arch) {
  if (platform === 'linux' && arch === 'x64') return null;
  return `${BUN_PACKAGE} is for linux x64 only (this is ${platform} ${arch})`;
}

/**
 * The path of an installed bun of the pinned version under `dir`, or null.
 * @param {string} dir
 */
export function findBun(dir) {
  const bin = bunBinary(dir);
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'node_modules', ...BUN_PACKAGE.split('/'), 'package.json'), 'utf8'));
    if (pkg.version !== BUN_VERSION) return null;
    accessSync(bin, constants.X_OK);
    return bin;
  } catch {
    return null;
  }
}

/** The npm command that installs Bun into `dir`. @param {string} dir */
export const bunInstallArgs = (dir) => ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', `${BUN_PACKAGE}@${BUN_VERSION}`];

/**
 * Find Bun, installing it with npm into `dir` first when it is missing and `install` is true.
 * @param {{ dir?: string, install: boolean, log?: (s: string) => void,
 *   npm?: (args: string[]) => void, platform?: string, arch?: string }} o
 * @returns {{ path: string } | { reason: string }}
 */
export function ensureBun({ dir = peersDir(), install, log = () => {}, npm = runNpm, platform, arch }) {
  const unsupported = bunUnsupported(platform, arch);
  if (unsupported) return { reason: unsupported };
  const found = findBun(dir);
  if (found) return { path: found };
  const cmd = `npm ${bunInstallArgs(dir).join(' ')}`;
  if (!install) return { reason: `Bun ${BUN_VERSION} is not installed (run \`${cmd}\`, or drop --no-install)` };
  log(`installing ${BUN_PACKAGE}@${BUN_VERSION} into ${dir} (${cmd})…`);
  try {
    mkdirSync(dir, { recursive: true });
    npm(bunInstallArgs(dir));
  } catch (e) {
    const err = /** @type {Error & { stderr?: string }} */ (e);
    const why = String(err.stderr || err.message).trim().split('\n').filter(Boolean).pop();
    return { reason: `cannot install ${BUN_PACKAGE}@${BUN_VERSION}: ${why}` };
  }
  return findBun(dir) ? { path: /** @type {string} */ (findBun(dir)) } : { reason: `${cmd} did not leave ${bunBinary(dir)}` };
}

/** @param {string[]} args */
function runNpm(args) {
  execFileSync('npm', args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 300_000 });
}

