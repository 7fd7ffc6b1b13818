// uvhttp with N routes (argv[3], default 1000) of every kind: exact paths, one and two :params, and
// trailing wildcards, a quarter each. The harness requests /u1/42/items/7, a two-param route, so the
// 10-route and 1,000-route apps differ only in the size of the tree the router searches.
// UVHTTP_BENCH_ENTRY: another build's dist/index.js (see UVHTTP_BASELINE in index.mjs).
const { createServer } = await import(process.env.UVHTTP_BENCH_ENTRY ?? '../../dist/index.js');
import { BODY, CONTENT_TYPE, portFromArgs, ready } from './body.mjs';

const port = portFromArgs();
const count = Number(process.argv[3] ?? 1000);
const app = createServer();
/** @param {any} _req @param {any} res */
const hello = (_req, res) => {
  res.header('content-type', CONTENT_TYPE);
  res.end(BODY);
};
for (let i = 0; i < Math.max(4, count) / 4; i++) {
  app.get(`/s${i}`, hello);
  app.get(`/u${i}/:id`, hello);
  app.get(`/u${i}/:id/items/:item`, hello);
  app.get(`/f${i}/*`, hello);
}
const { port: bound } = await app.listen({ port, host: '127.0.0.1' });
ready(bound);
