// uvhttp serving the fixture dir with app.serveDir('/', dir) at its defaults: the native
// open-file cache, small files from memory, large ones with sendfile.
// UVHTTP_BENCH_ENTRY: another build's dist/index.js (see UVHTTP_BASELINE in index.mjs).
// Usage: node uvhttp-files.mjs <port> <dir>
const { createServer } = await import(process.env.UVHTTP_BENCH_ENTRY ?? '../../dist/index.js');
import { portFromArgs, ready } from './body.mjs';

const port = portFromArgs();
const root = process.argv[3];
if (!root) {
  console.error('usage: node uvhttp-files.mjs <port> <dir>');
  process.exit(2);
}
const app = createServer();
if (typeof app.serveDir !== 'function') {
  console.error('uvhttp-files: this uvhttp build has no app.serveDir');
  process.exit(1);
}
app.serveDir('/', root);
const { port: bound } = await app.listen({ port, host: '127.0.0.1' });
ready(bound);
