// uvhttp with a JS handler on every request (the TypeScript-handler case).
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
app.get('/', hello);
app.get('/dyn', hello);
const { port: bound } = await app.listen({ port, host: '127.0.0.1' });
ready(bound);
