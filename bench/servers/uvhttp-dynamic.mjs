// uvhttp with a JS handler on every request (the TypeScript-handler case).
// UVHTTP_BENCH_CACHE_TTL=<ms>: the same handler with the micro-cache on (uvhttp-cached): after the
// first request, its answer is served natively.
// UVHTTP_BENCH_ENTRY: another build's dist/index.js (see UVHTTP_BASELINE in index.mjs).
const { createServer } = await import(process.env.UVHTTP_BENCH_ENTRY ?? '../../dist/index.js');
import { BODY, CONTENT_TYPE, portFromArgs, ready } from './body.mjs';

const port = portFromArgs();
const app = createServer();
/** @param {any} req @param {any} res */
const hello = (req, res) => {
  res.header('content-type', CONTENT_TYPE);
  res.end(BODY);
};
const ttl = Number(process.env.UVHTTP_BENCH_CACHE_TTL ?? 0);
app.get('/', hello, ttl > 0 ? { cache: { ttl } } : undefined);
app.get('/dyn', hello);
const { port: bound } = await app.listen({ port, host: '127.0.0.1' });
ready(bound);
