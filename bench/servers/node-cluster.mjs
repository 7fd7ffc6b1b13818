// node:cluster with N node:http workers (the node-http handler in each), as Node's docs set it up:
// the primary accepts and hands connections to the workers round-robin (the default off Windows).
// Usage: node node-cluster.mjs <port> <workers>
import cluster from 'node:cluster';
import http from 'node:http';
import { BODY, CONTENT_TYPE, portFromArgs, ready } from './body.mjs';

const port = portFromArgs();
const workers = Number(process.argv[3] ?? 2);
if (cluster.isPrimary) {
  let listening = 0;
  cluster.on('listening', () => {
    if (++listening === workers) ready(port);
  });
  for (let i = 0; i < workers; i++) cluster.fork();
  // The harness stops the whole process group; a worker that dies on its own is a failed run.
  cluster.on('exit', (w, code, signal) => {
    console.error(`node-cluster: worker ${w.process.pid} exited (${signal ?? code})`);
    process.exit(1);
  });
} else {
  const headers = { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(BODY) };
  http
    .createServer((req, res) => {
      res.writeHead(200, headers);
      res.end(BODY);
    })
    .listen(port, '127.0.0.1');
}
