// Seed 003's realistic app under fastify: one async route doing app-work.mjs's work, logger off.
import Fastify from 'fastify';
import { portFromArgs, ready } from './body.mjs';
import { APP_PATH, APP_CONTENT_TYPE, work } from './app-work.mjs';

const port = portFromArgs();
const app = Fastify({ logger: false });
app.get(APP_PATH, async (_req, reply) => {
  const body = await work();
  reply.type(APP_CONTENT_TYPE);
  return body;
});
await app.listen({ port, host: '127.0.0.1' });
ready(port);
