// nginx and Apache configs written by the harness: content, files and permissions, and (when
// the binaries are installed) their own syntax check (`nginx -t`, `apache2 -t`), no load.
import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync, statSync, rmSync, mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nginxConfig, writeNginx } from '../../bench/servers/nginx.mjs';
import { apacheConfig, writeApache, MODULES, MODULES_DIR } from '../../bench/servers/apache.mjs';

const dirs = /** @type {string[]} */ ([]);
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const has = (/** @type {string} */ bin) =>
  spawnSync('sh', ['-c', `command -v ${bin}`], { env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin` } }).status === 0;

describe('nginx config', () => {
  it('has one worker per server core, no access log, return 200 and a file root', () => {
    const text = nginxConfig({ dir: '/x', port: 8123, workers: 1 });
    expect(text).toMatch(/^worker_processes 1;$/m);
    expect(text).toMatch(/^daemon off;$/m);
    expect(text).toMatch(/^master_process on;$/m);
    expect(text).toMatch(/access_log off;/);
    expect(text).toMatch(/listen 127\.0\.0\.1:8123;/);
    expect(text).toContain('return 200 "Hello World!!";');
    expect(text).toMatch(/default_type text\/plain;/);
    expect(text).toMatch(/root \/x\/htdocs;/);
    expect(nginxConfig({ dir: '/x', port: 1, workers: 4 })).toMatch(/^worker_processes 4;$/m);
  });

  it('writes the config and the 13-byte file under a temp dir', () => {
    const w = writeNginx({ port: 8124, workers: 1 });
    dirs.push(w.dir);
    expect(readFileSync(join(w.dir, 'htdocs/hello.txt'), 'utf8')).toBe('Hello World!!');
    expect(statSync(join(w.dir, 'htdocs/hello.txt')).size).toBe(13);
    expect(readFileSync(w.conf, 'utf8')).toContain(`pid ${w.dir}/nginx.pid;`);
    expect(w.args).toEqual(['-p', w.dir, '-c', w.conf, '-e', join(w.dir, 'error.log')]);
  });

  it.skipIf(!has('nginx'))('passes nginx -t', () => {
    const w = writeNginx({ port: 8125, workers: 1 });
    dirs.push(w.dir);
    const r = spawnSync('nginx', ['-t', ...w.args], { encoding: 'utf8' });
    expect(r.stderr).toMatch(/syntax is ok/);
    expect(r.status).toBe(0);
  });
});

describe('apache config', () => {
  it('uses the event MPM at Debian defaults, www-data, explicit paths and no access log', () => {
    const text = apacheConfig({ dir: '/y', port: 8126 });
    for (const m of MODULES) expect(text).toContain(`LoadModule ${m}_module ${MODULES_DIR}/mod_${m}.so`);
    expect(text).toContain('LoadModule mpm_event_module');
    expect(text).toMatch(/StartServers\s+2\n/);
    expect(text).toMatch(/ThreadsPerChild\s+25\n/);
    expect(text).toMatch(/MaxRequestWorkers\s+150\n/);
    expect(text).toMatch(/^KeepAlive On$/m);
    expect(text).toMatch(/^MaxKeepAliveRequests 100$/m);
    expect(text).toMatch(/^User www-data$/m);
    expect(text).toMatch(/^Group www-data$/m);
    expect(text).toMatch(/^Listen 127\.0\.0\.1:8126$/m);
    expect(text).toMatch(/^PidFile "\/y\/run\/apache2\.pid"$/m);
    expect(text).toMatch(/^DefaultRuntimeDir "\/y\/run"$/m);
    expect(text).toMatch(/^DocumentRoot "\/y\/htdocs"$/m);
    expect(text).not.toMatch(/^\s*CustomLog/m);
    expect(text).not.toMatch(/\$\{APACHE_/);
  });

  it('writes the config, run/lock dirs and a 13-byte file readable by www-data', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-test-apache-'));
    dirs.push(dir);
    const w = writeApache({ port: 8127, dir });
    expect(w.args).toEqual(['-f', w.conf, '-DFOREGROUND']);
    expect(readFileSync(join(dir, 'htdocs/hello.txt'), 'utf8')).toBe('Hello World!!');
    expect(statSync(dir).mode & 0o755).toBe(0o755);
    expect(statSync(join(dir, 'htdocs/hello.txt')).mode & 0o444).toBe(0o444);
    expect(statSync(join(dir, 'run')).isDirectory()).toBe(true);
    expect(statSync(join(dir, 'lock')).isDirectory()).toBe(true);
  });

  it.skipIf(!has('apache2'))('passes apache2 -t', () => {
    const w = writeApache({ port: 8128 });
    dirs.push(w.dir);
    const r = spawnSync('apache2', ['-t', '-f', w.conf], { encoding: 'utf8', env: { ...process.env, ...w.env } });
    expect(r.stderr).toMatch(/Syntax OK/);
    expect(r.status).toBe(0);
  });
});
