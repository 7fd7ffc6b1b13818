// node:http peer: a plain request listener, no framework.
import http from 'node:http';
import { BODY, CONTENT_TYPE, portFromArgs, ready } from './body.mjs';

const port = portFromArgs();
const headers = { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(BODY) };
http
  .createServer((req, res) => {
    res.writeHead(200, headers);
    res.end(BODY);
  })
  .listen(port, '127.0.0.1', () => ready(port));
