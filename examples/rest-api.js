// A small JSON API with the recipes a service needs: JSON errors and 404s, CORS (preflight and
// headers on every answer, errors included), a cookie session, and file uploads.
//   node examples/rest-api.js     (after `npm run build`; PORT and HOST are read from the environment)
import { randomUUID } from 'node:crypto';
import { createServer } from '../dist/index.js';

const app = createServer({ bodyLimit: 8 * 1024 * 1024 });
const todos = new Map([['1', { id: '1', title: 'try uvhttp', done: false }]]);
const sessions = new Map(); // session id → user name

// CORS for every JS route: preflights answered before any handler, the header on every response.
app.addHook('onRequest', (req, res) => {
  if (req.method === 'OPTIONS') {
    res.status(204).header('access-control-allow-methods', 'GET, POST, PUT, DELETE').header('access-control-allow-headers', 'content-type').end();
  }
});
app.addHook('onSend', (_req, res, body) => {
  res.header('access-control-allow-origin', '*');
  return body;
});

// Errors and unknown routes answer in JSON, not text.
app.setErrorHandler((err, _req, res) => {
  const status = err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  res.status(status).json({ error: status === 500 ? 'internal error' : err.message, code: err.code });
});
app.setNotFoundHandler((req, res) => res.json({ error: `no route for ${req.method} ${req.path}` }));

app.register(
  (api) => {
    api.get('/todos', () => [...todos.values()]);
    api.get('/todos/:id', (req, res) => todos.get(req.params.id) ?? res.status(404).json({ error: 'no such todo' }));
    api.post('/todos', async (req, res) => {
      const { title } = await req.json();
      if (typeof title !== 'string' || title === '') throw Object.assign(new Error('title must be a non-empty string'), { statusCode: 400 });
      const todo = { id: randomUUID(), title, done: false };
      todos.set(todo.id, todo);
      res.status(201);
      return todo;
    });
    api.delete('/todos/:id', (req, res) => {
      res.status(todos.delete(req.params.id) ? 204 : 404).end();
    });

    // A cookie session: log in, read who you are, log out.
    api.post('/login', async (req, res) => {
      const { name } = await req.json();
      const id = randomUUID();
      sessions.set(id, name);
      res.cookie('sid', id, { httpOnly: true, sameSite: 'lax', path: '/' });
      return { name };
    });
    api.get('/me', (req, res) => {
      const name = sessions.get(req.cookies.sid);
      return name === undefined ? res.status(401).json({ error: 'not logged in' }) : { name };
    });
    api.post('/logout', (req, res) => {
      sessions.delete(req.cookies.sid);
      res.clearCookie('sid', { path: '/' }).status(204).end();
    });

    // Uploads: a multipart form with a file, within bodyLimit.
    api.post('/uploads', async (req) => {
      const form = await req.formData({ maxParts: 10 });
      const file = form.get('file');
      if (!(file instanceof File)) throw Object.assign(new Error('send a "file" part'), { statusCode: 400 });
      const bytes = Buffer.from(await file.arrayBuffer());
      return { name: file.name, type: file.type, size: bytes.length, note: form.get('note') };
    });
  },
  { prefix: '/api' },
);

const port = Number(process.env.PORT ?? 8080);
const { port: bound } = await app.listen({ port, host: process.env.HOST ?? '0.0.0.0' });
console.log(`REST API example listening on http://localhost:${bound}/`);
console.log(`  try: curl http://localhost:${bound}/api/todos`);

const stop = () => app.close({ timeout: 5000 }).then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
