// The Hono hello-world under uvhttp's serve(): the fetch path (Request in, Response out) per request.
// UVHTTP_BENCH_ENTRY: another build's dist/index.js (see UVHTTP_BASELINE in index.mjs).
const { serve } = await import(process.env.UVHTTP_BENCH_ENTRY ?? '../../dist/index.js');
import { app } from './hono-app.mjs';
import { portFromArgs, ready } from './body.mjs';

const port = portFromArgs();
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (/** @type {{ port: number }} */ info) => ready(info.port));
