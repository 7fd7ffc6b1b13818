// The example app `npm start` runs: one route of each kind, and a folder of files.
import { fileURLToPath } from 'node:url';
import { createServer } from '../dist/index.js';

const app = createServer();

// Rendered once, served by native code: no JavaScript runs for these requests.
app.static('/', 'Hello World!!', { headers: { 'content-type': 'text/plain' } });

// A dynamic route: a handler that builds the response.
app.get('/hello', (req, res) => {
  res.header('content-type', 'text/plain').end(`Hello ${req.query.name ?? 'World'}!`);
});

// A :param route; returning an object sends it as JSON.
app.get('/users/:id', (req) => ({ id: req.params.id, agent: req.header('user-agent') ?? null }));

// A JSON POST route: the body is buffered (up to bodyLimit) before the handler runs.
app.post('/echo', async (req) => ({ received: await req.json() }));

// A folder served natively: open-file cache, sendfile, ETag/304, Range, precompressed siblings.
app.serveDir('/public', fileURLToPath(new URL('public', import.meta.url)));

const port = Number(process.env.PORT ?? 8080);
const { port: bound } = await app.listen({ port, host: process.env.HOST ?? '0.0.0.0' });
console.log(`uvhttp example listening on http://localhost:${bound}/`);
console.log(`  try: curl http://localhost:${bound}/users/42`);
console.log(`  or open http://localhost:${bound}/public/ in a browser`);

const stop = () => app.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
