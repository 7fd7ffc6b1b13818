// The Hono hello-world under Bun (run by bun, not node): Bun.serve with the app's fetch, as Hono's
// Bun guide has it. Usage: bun hono-bun.mjs <port>
import { app } from './hono-app.mjs';
import { portFromArgs, ready } from './body.mjs';

const port = portFromArgs();
Bun.serve({ port, hostname: '127.0.0.1', fetch: app.fetch });
ready(port);
