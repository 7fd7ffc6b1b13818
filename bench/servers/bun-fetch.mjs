// Bun.serve with a plain fetch handler (run by bun, not node): Bun's own hello-world, no framework.
// Usage: bun bun-fetch.mjs <port>
import { BODY, portFromArgs, ready } from './body.mjs';

const port = portFromArgs();
Bun.serve({ port, hostname: '127.0.0.1', fetch: () => new Response(BODY) });
ready(port);
