// uvhttp: GET /stream/<MiB> streams a generated body with res.write, waiting on res.ready() when the
// connection has enough unsent.
import { createServer } from '../../dist/index.js';

const port = Number(process.argv[2]);
const block = Buffer.alloc(64 * 1024, 'x');
const app = createServer();
app.get('/stream/:mib', async (req, res) => {
  res.header('content-type', 'application/octet-stream');
  const blocks = (Number(req.params.mib) * 1024 * 1024) / block.length;
  for (let i = 0; i < blocks; i++) if (!res.write(block)) await res.ready();
  res.end();
});
await app.listen({ port, host: '127.0.0.1' });
process.on('SIGTERM', () => process.exit(0));
