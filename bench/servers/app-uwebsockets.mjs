// Seed 003's realistic app under uWebSockets.js (npm uws-pack). An answer given after an await
// must watch for the client going away (onAborted) and cork its writes, as uWS's docs ask.
import * as uws from 'uws-pack';
import { portFromArgs, ready } from './body.mjs';
import { APP_PATH, APP_CONTENT_TYPE, work } from './app-work.mjs';

const port = portFromArgs();
uws
  .App()
  .get(APP_PATH, async (res) => {
    let aborted = false;
    res.onAborted(() => (aborted = true));
    const body = await work();
    if (!aborted) res.cork(() => res.writeHeader('Content-Type', APP_CONTENT_TYPE).end(body));
  })
  .listen('127.0.0.1', port, (token) => {
    if (!token) {
      console.error(`app-uwebsockets: cannot listen on ${port}`);
      process.exit(1);
    }
    ready(port);
  });
