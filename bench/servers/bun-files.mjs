// Bun peer for the files suite (run by bun, not node): Bun.serve answering each request with
// `new Response(Bun.file(path))` for the requested path under the fixture dir, the way Bun's
// docs serve a file. Usage: bun bun-files.mjs <port> <dir>
import { join, normalize } from 'node:path';
import { portFromArgs, ready } from './body.mjs';

const port = portFromArgs();
const root = process.argv[3];
if (!root) {
  console.error('usage: bun bun-files.mjs <port> <dir>');
  process.exit(2);
}

Bun.serve({
  port,
  hostname: '127.0.0.1',
  fetch(req) {
    // new URL() has already resolved dot segments; refuse what could still leave the root.
    let path;
    try {
      path = decodeURIComponent(new URL(req.url).pathname);
    } catch {
      return new Response('Bad Request', { status: 400 });
    }
    if (path.includes('\0') || normalize(path).split('/').includes('..')) return new Response('Bad Request', { status: 400 });
    return new Response(Bun.file(join(root, path)));
  },
  // A missing file surfaces here (Bun opens it lazily): a 404 rather than Bun's 500 page.
  error(err) {
    const missing = /** @type {any} */ (err).code === 'ENOENT';
    return new Response(missing ? 'Not Found' : 'Internal Server Error', { status: missing ? 404 : 500 });
  },
});
ready(port);
