// node:http: the same stream with res.write and 'drain'.
import http from 'node:http';
import { once } from 'node:events';

const port = Number(process.argv[2]);
const block = Buffer.alloc(64 * 1024, 'x');
http
  .createServer(async (req, res) => {
    const mib = Number(req.url.split('/')[2]);
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const blocks = (mib * 1024 * 1024) / block.length;
    for (let i = 0; i < blocks; i++) if (!res.write(block)) await once(res, 'drain');
    res.end();
  })
  .listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
