// uvhttp's serve() with a plain fetch handler: a web-standard Request and Response per request, no
// framework. UVHTTP_BENCH_ENTRY: another build's dist/index.js (see UVHTTP_BASELINE in index.mjs).
const { serve } = await import(process.env.UVHTTP_BENCH_ENTRY ?? '../../dist/index.js');
import { BODY, portFromArgs, ready } from './body.mjs';

const port = portFromArgs();
serve({ fetch: () => new Response(BODY), port, hostname: '127.0.0.1' }, (/** @type {{ port: number }} */ info) => ready(info.port));
