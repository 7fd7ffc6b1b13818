// nginx peer: a config written under a temp dir. `/` answers with `return 200` (a response
// held in the config), `/hello.txt` is a 13-byte file on disk. One worker per server core,
// access log off, everything else nginx's defaults.
import { mkdtempSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BODY, CONTENT_TYPE } from './body.mjs';

/**
 * The nginx.conf text.
 * @param {{ dir: string, port: number, workers: number }} o
 */
export function nginxConfig({ dir, port, workers }) {
  return `# written by bench/servers/nginx.mjs
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
    types { ${CONTENT_TYPE} txt; }
    default_type ${CONTENT_TYPE};
    client_body_temp_path ${dir}/tmp/body;
    proxy_temp_path ${dir}/tmp/proxy;
    fastcgi_temp_path ${dir}/tmp/fastcgi;
    uwsgi_temp_path ${dir}/tmp/uwsgi;
    scgi_temp_path ${dir}/tmp/scgi;

    server {
        listen 127.0.0.1:${port};
        root ${dir}/htdocs;

        location = / {
            return 200 "${BODY}";
        }
    }
}
`;
}

/**
 * Write the config and the 13-byte file; return the command that runs nginx in the foreground.
 * @param {{ port: number, workers: number, dir?: string }} o
 */
export function writeNginx({ port, workers, dir = mkdtempSync(join(tmpdir(), 'bench-nginx-')) }) {
  mkdirSync(join(dir, 'htdocs'), { recursive: true });
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'htdocs', 'hello.txt'), BODY, { mode: 0o644 });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig({ dir, port, workers }));
  return { dir, conf, cmd: 'nginx', args: ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')] };
}
