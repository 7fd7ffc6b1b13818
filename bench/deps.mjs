// Tools and peers from Debian packages: find them, install what is missing when we are root
// (and allowed), or stop with the package's name.
import { execFileSync, spawnSync } from 'node:child_process';

/** Binary -> Debian package. */
export const PACKAGES = /** @type {Record<string, string>} */ ({
  wrk: 'wrk',
  ab: 'apache2-utils',
  hey: 'hey',
  taskset: 'util-linux',
  nginx: 'nginx-light',
  apache2: 'apache2',
});

/** Services Debian starts when their package is installed: the harness runs its own. */
const SERVICES = /** @type {Record<string, string>} */ ({ nginx: 'nginx', apache2: 'apache2' });

const PATH = `${process.env.PATH}:/usr/sbin:/sbin`;

/** @param {string} bin */
export function has(bin) {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore', env: { ...process.env, PATH } }).status === 0;
}

/**
 * Make sure every binary is there. Returns the binaries still missing, with their package.
 * @param {string[]} bins
 * @param {{ install: boolean, log: (s: string) => void }} o
 */
export function ensureBinaries(bins, { install, log }) {
  let missing = bins.filter((b) => !has(b));
  const isRoot = process.getuid?.() === 0;
  if (missing.length && install && isRoot) {
    const pkgs = [...new Set(missing.map((b) => PACKAGES[b] ?? b))];
    log(`installing ${pkgs.join(' ')} (apt-get install -y)…`);
    try {
      execFileSync('apt-get', ['install', '-y', ...pkgs], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    } catch {
      log('apt-get install failed');
    }
    for (const b of missing) {
      const svc = SERVICES[b];
      if (svc && has(b)) spawnSync('service', [svc, 'stop'], { stdio: 'ignore' });
    }
    missing = missing.filter((b) => !has(b));
  }
  return missing.map((b) => ({ bin: b, pkg: PACKAGES[b] ?? b }));
}
