// uWebSockets.js peer (npm uws-pack). uWS adds Date and Content-Length itself.
import * as uws from 'uws-pack';
import { BODY, CONTENT_TYPE, portFromArgs, ready } from './body.mjs';

const port = portFromArgs();
uws
  .App()
  .get('/*', (res) => {
    res.writeHeader('Content-Type', CONTENT_TYPE).end(BODY);
  })
  .listen('127.0.0.1', port, (token) => {
    if (!token) {
      console.error(`uwebsockets: cannot listen on ${port}`);
      process.exit(1);
    }
    ready(port);
  });
