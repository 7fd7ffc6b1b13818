// Seed 003's realistic app under node:http: a plain request listener doing app-work.mjs's work.
import http from 'node:http';
import { portFromArgs, ready } from './body.mjs';
import { APP_PATH, APP_CONTENT_TYPE, work } from './app-work.mjs';

const port = portFromArgs();
http
  .createServer(async (req, res) => {
    if (req.url !== APP_PATH) {
      res.writeHead(404).end();
      return;
    }
    const body = await work();
    res.writeHead(200, { 'Content-Type': APP_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  })
  .listen(port, '127.0.0.1', () => ready(port));
