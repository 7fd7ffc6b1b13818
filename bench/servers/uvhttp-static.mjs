// uvhttp with a native static route: the response is built once and sent without entering JS.
// With a dir (the files suite), each small file in it is also a static route at /<name>: the
// bytes served by the same native path, the ceiling for serving a small file from memory.
// UVHTTP_BENCH_ENTRY: another build's dist/index.js (see UVHTTP_BASELINE in index.mjs).
const { createServer } = await import(process.env.UVHTTP_BENCH_ENTRY ?? '../../dist/index.js');
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BODY, CONTENT_TYPE, portFromArgs, ready } from './body.mjs';

const port = portFromArgs();
// UVHTTP_BENCH_ACCESS_LOG=<file>:<format>: the same route with the access log on.
const [logPath, logFormat] = (process.env.UVHTTP_BENCH_ACCESS_LOG ?? '').split(':');
// UVHTTP_BENCH_PROXY_PROTOCOL=1: every connection starts with a PROXY header (bench/proxy-close.lua).
const app = createServer({
  ...(logPath ? { accessLog: { path: logPath, format: logFormat } } : {}),
  ...(process.env.UVHTTP_BENCH_PROXY_PROTOCOL ? { proxyProtocol: true } : {}),
});
app.static('/', BODY, { headers: { 'content-type': CONTENT_TYPE } });
const dir = process.argv[3];
for (const name of dir ? readdirSync(dir) : []) {
  const file = join(dir, name);
  if (!statSync(file).isFile() || statSync(file).size > 64 * 1024) continue;
  const type = name.endsWith('.txt') ? CONTENT_TYPE : 'application/octet-stream';
  app.static(`/${name}`, readFileSync(file), { headers: { 'content-type': type } });
}
const { port: bound } = await app.listen({ port, host: '127.0.0.1' });
ready(bound);
