// The Hono hello-world the hono-* servers share: one route, `c.text`, Hono's defaults. Only the server
// around it differs (uvhttp serve(), @hono/node-server, Bun.serve).
import { Hono } from 'hono';
import { BODY } from './body.mjs';

export const app = new Hono();
app.get('/', (c) => c.text(BODY));
