// Seed 003's realistic app under uvhttp: an async route handler doing app-work.mjs's work.
// UVHTTP_BENCH_ENTRY: another build's dist/index.js (see UVHTTP_BASELINE in index.mjs).
const { createServer } = await import(process.env.UVHTTP_BENCH_ENTRY ?? '../../dist/index.js');
import { portFromArgs, ready } from './body.mjs';
import { APP_PATH, APP_CONTENT_TYPE, work } from './app-work.mjs';

const port = portFromArgs();
const app = createServer();
app.get(APP_PATH, async (/** @type {any} */ _req, /** @type {any} */ res) => {
  const body = await work();
  res.header('content-type', APP_CONTENT_TYPE);
  res.end(body);
});
const { port: bound } = await app.listen({ port, host: '127.0.0.1' });
ready(bound);
