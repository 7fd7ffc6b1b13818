// The Hono hello-world under @hono/node-server at its defaults (it replaces the global Request and
// Response with its lighter ones, as it does for every user who does not turn that off).
import { serve } from '@hono/node-server';
import { app } from './hono-app.mjs';
import { portFromArgs, ready } from './body.mjs';

const port = portFromArgs();
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => ready(info.port));
