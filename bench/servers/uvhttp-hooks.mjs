// uvhttp-dynamic's route with one onRequest and one onSend hook, the kind an app adds for auth and
// CORS: what hooks cost per request.
// UVHTTP_BENCH_ENTRY: another build's dist/index.js (see UVHTTP_BASELINE in index.mjs).
const { createServer } = await import(process.env.UVHTTP_BENCH_ENTRY ?? '../../dist/index.js');
import { BODY, CONTENT_TYPE, portFromArgs, ready } from './body.mjs';

const port = portFromArgs();
const app = createServer();
app.addHook('onRequest', (/** @type {any} */ req, /** @type {any} */ res) => {
  if (req.header('x-deny') !== undefined) res.status(403).end('denied');
});
app.addHook('onSend', (/** @type {any} */ _req, /** @type {any} */ res, /** @type {any} */ body) => {
  res.header('access-control-allow-origin', '*');
  return body;
});
app.get('/', (/** @type {any} */ _req, /** @type {any} */ res) => {
  res.header('content-type', CONTENT_TYPE);
  res.end(BODY);
});
const { port: bound } = await app.listen({ port, host: '127.0.0.1' });
ready(bound);
