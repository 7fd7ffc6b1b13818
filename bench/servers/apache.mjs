// Apache httpd peer: Debian's apache2 with the event MPM at its default settings, serving a
// 13-byte file (or, for the files suite, the file fixture with sendfile on), run as www-data
// from a config written under a temp dir. The MPM numbers are
// Debian's mods-available/mpm_event.conf; KeepAlive and its limits are apache2.conf's.
// Nothing comes from /etc/apache2 or its envvars: every path Debian's apache2 would take from
// APACHE_RUN_DIR & co. is an explicit directive here.
import { mkdtempSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BODY } from './body.mjs';

export const MODULES_DIR = '/usr/lib/apache2/modules';

/** Modules needed for a static file: the MPM, access control (Require) and MIME types. */
export const MODULES = ['mpm_event', 'authz_core', 'mime'];

/**
 * The apache2.conf text. `root` is the document root (default `<dir>/htdocs`); `sendfile` turns
 * on EnableSendfile, which Debian leaves off.
 * @param {{ dir: string, port: number, user?: string, group?: string, modulesDir?: string, root?: string, sendfile?: boolean }} o
 */
export function apacheConfig({ dir, port, user = 'www-data', group = 'www-data', modulesDir = MODULES_DIR, root = `${dir}/htdocs`, sendfile = false }) {
  const load = MODULES.map((m) => `LoadModule ${m}_module ${modulesDir}/mod_${m}.so`).join('\n');
  return `# written by bench/servers/apache.mjs
ServerRoot "${dir}"
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
PidFile "${dir}/run/apache2.pid"
DefaultRuntimeDir "${dir}/run"
Mutex file:${dir}/lock default
ErrorLog "${dir}/error.log"
LogLevel warn
User ${user}
Group ${group}

${load}

# Debian apache2.conf defaults
Timeout 300
KeepAlive On
MaxKeepAliveRequests 100
KeepAliveTimeout 5
HostnameLookups Off

# Debian mods-available/mpm_event.conf (the event MPM defaults)
<IfModule mpm_event_module>
    StartServers            2
    MinSpareThreads         25
    MaxSpareThreads         75
    ThreadLimit             64
    ThreadsPerChild         25
    MaxRequestWorkers       150
    MaxConnectionsPerChild  0
</IfModule>

TypesConfig /etc/mime.types
${sendfile ? 'EnableSendfile On\n' : ''}
<Directory />
    Options FollowSymLinks
    AllowOverride None
    Require all denied
</Directory>

DocumentRoot "${root}"
<Directory "${root}">
    Options FollowSymLinks
    AllowOverride None
    Require all granted
</Directory>
# No CustomLog: no access log, as for nginx.
`;
}

/**
 * Write the config, the run/lock dirs and the 13-byte file; return the foreground command.
 * @param {{ port: number, dir?: string, user?: string, group?: string }} o
 */
export function writeApache({ port, user, group, dir = mkdtempSync(join(tmpdir(), 'bench-apache-')) }) {
  for (const d of ['htdocs', 'run', 'lock']) mkdirSync(join(dir, d), { recursive: true });
  // www-data must be able to read the document root.
  chmodSync(dir, 0o755);
  chmodSync(join(dir, 'htdocs'), 0o755);
  writeFileSync(join(dir, 'htdocs', 'hello.txt'), BODY, { mode: 0o644 });
  const conf = join(dir, 'apache2.conf');
  writeFileSync(conf, apacheConfig({ dir, port, user, group }));
  return { dir, conf, cmd: 'apache2', args: ['-f', conf, '-DFOREGROUND'], env: { LANG: 'C' } };
}

/**
 * The files-suite variant: the same server and MPM defaults with EnableSendfile On, its
 * document root the fixture dir (which must be readable by www-data).
 * @param {{ port: number, root: string, dir?: string, user?: string, group?: string }} o
 */
export function writeApacheFiles({ port, root, user, group, dir = mkdtempSync(join(tmpdir(), 'bench-apache-files-')) }) {
  for (const d of ['run', 'lock']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(dir, 0o755);
  const conf = join(dir, 'apache2.conf');
  writeFileSync(conf, apacheConfig({ dir, port, user, group, root, sendfile: true }));
  return { dir, conf, cmd: 'apache2', args: ['-f', conf, '-DFOREGROUND'], env: { LANG: 'C' } };
}
