// fastify peer: one route, logger off (fastify's default).
import Fastify from 'fastify';
import { BODY, CONTENT_TYPE, portFromArgs, ready } from './body.mjs';

const port = portFromArgs();
const app = Fastify({ logger: false });
app.get('/', (req, reply) => {
  reply.type(CONTENT_TYPE).send(BODY);
});
await app.listen({ port, host: '127.0.0.1' });
ready(port);
