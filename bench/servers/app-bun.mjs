// Seed 003's realistic app under Bun.serve (run by bun, not node): an async fetch handler doing
// app-work.mjs's work (node:crypto and node:fs/promises, which Bun implements).
// Usage: bun app-bun.mjs <port>
import { portFromArgs, ready } from './body.mjs';
import { APP_PATH, APP_CONTENT_TYPE, work } from './app-work.mjs';

const port = portFromArgs();
Bun.serve({
  port,
  hostname: '127.0.0.1',
  async fetch(req) {
    if (new URL(req.url).pathname !== APP_PATH) return new Response(null, { status: 404 });
    return new Response(await work(), { headers: { 'Content-Type': APP_CONTENT_TYPE } });
  },
});
ready(port);
