// A Hono app served by uvhttp: the app and the serve() call are the ones written for
// @hono/node-server; only the import of serve changes. In a project: `npm install hono uvhttp`,
// then `import { serve } from 'uvhttp'` (here it comes from this checkout's build).
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { etag } from 'hono/etag';
import { secureHeaders } from 'hono/secure-headers';
import { serve } from '../dist/index.js';

const app = new Hono();

// Hono's own middleware, unchanged.
app.use('*', secureHeaders());
app.use('/api/*', cors());
app.use('/api/*', etag());

app.get('/', (c) => c.text('Hello from Hono on uvhttp!'));
app.get('/api/users/:id', (c) => c.json({ id: c.req.param('id'), fields: c.req.query('fields') ?? null }));
app.post('/api/echo', async (c) => c.json({ received: await c.req.json() }, 201));
app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));

const server = serve(
  { fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: process.env.HOST ?? '0.0.0.0' },
  (info) => {
    console.log(`Hono on uvhttp listening on http://localhost:${info.port}/`);
    console.log(`  try: curl -i http://localhost:${info.port}/api/users/42`);
  },
);

const stop = () => server.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
