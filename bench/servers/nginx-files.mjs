// nginx serving the file fixture the way a tuned static server is set up: sendfile with
// tcp_nopush, an open-file cache (fds, sizes and mtimes kept, re-checked every second), ETag,
// no access log. One worker per server core, as for the other nginx peer.
import { mkdtempSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The nginx.conf text.
 * @param {{ dir: string, root: string, port: number, workers: number }} o `dir` for pid, logs and temp files
 */
export function nginxFilesConfig({ dir, root, port, workers }) {
  return `# written by bench/servers/nginx-files.mjs
worker_processes ${workers};
daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;

events {
    worker_connections 4096;
}

http {
    access_log off;
    types { text/plain txt; application/octet-stream bin; }
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    open_file_cache max=1000 inactive=20s;
    open_file_cache_valid 1s;
    etag on;
    client_body_temp_path ${dir}/tmp/body;
    proxy_temp_path ${dir}/tmp/proxy;
    fastcgi_temp_path ${dir}/tmp/fastcgi;
    uwsgi_temp_path ${dir}/tmp/uwsgi;
    scgi_temp_path ${dir}/tmp/scgi;

    server {
        listen 127.0.0.1:${port};
        root ${root};
    }
}
`;
}

/**
 * Write the config; return the command that runs nginx in the foreground.
 * @param {{ port: number, workers: number, root: string, dir?: string }} o
 */
export function writeNginxFiles({ port, workers, root, dir = mkdtempSync(join(tmpdir(), 'bench-nginx-files-')) }) {
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  chmodSync(dir, 0o755);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxFilesConfig({ dir, root, port, workers }));
  return { dir, conf, cmd: 'nginx', args: ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')] };
}
