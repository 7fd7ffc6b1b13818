// @fastify/static peer for the files suite: the fixture dir served from `/` at the plugin's
// defaults (ETag, Last-Modified, Accept-Ranges, Cache-Control max-age=0), logger off.
// Usage: node fastify-static.mjs <port> <dir>
import Fastify from 'fastify';
import fastifyStatic from '@fastify/static';
import { portFromArgs, ready } from './body.mjs';

const port = portFromArgs();
const root = process.argv[3];
if (!root) {
  console.error('usage: node fastify-static.mjs <port> <dir>');
  process.exit(2);
}
const app = Fastify({ logger: false });
await app.register(fastifyStatic, { root });
await app.listen({ port, host: '127.0.0.1' });
ready(port);
