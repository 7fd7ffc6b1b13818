// uvhttp with a native static route: the response is built once and sent without entering JS.
// UVHTTP_BENCH_ENTRY: another build's dist/index.js (see UVHTTP_BASELINE in index.mjs).
const { createServer } = await import(process.env.UVHTTP_BENCH_ENTRY ?? '../../dist/index.js');
import { BODY, CONTENT_TYPE, portFromArgs, ready } from './body.mjs';

const port = portFromArgs();
const app = createServer();
app.static('/', BODY, { headers: { 'content-type': CONTENT_TYPE } });
const { port: bound } = await app.listen({ port, host: '127.0.0.1' });
ready(bound);
