// uvhttp's serve(): a web-standard fetch handler for every request, as a Hono or Bun app is written.
// UVHTTP_BENCH_ENTRY: another build's dist/index.js (see UVHTTP_BASELINE in index.mjs).
const { serve } = await import(process.env.UVHTTP_BENCH_ENTRY ?? '../../dist/index.js');
import { BODY, CONTENT_TYPE, portFromArgs, ready } from './body.mjs';

const port = portFromArgs();
const headers = { 'content-type': CONTENT_TYPE };
const server = serve({
  port,
  hostname: '127.0.0.1',
  // What a router reads of every request: the method and the path.
  fetch: (request) => {
    const url = request.url;
    const path = url.slice(url.indexOf('/', 8));
    if (request.method !== 'GET' || (path !== '/' && path !== '/dyn')) return new Response('not found', { status: 404 });
    return new Response(BODY, { headers });
  },
});
const { port: bound } = await server.ready;
ready(bound);
