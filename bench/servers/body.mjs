// The one response body every server sends: 13 bytes, as in the Fapws4 posts.
export const BODY = 'Hello World!!';
export const CONTENT_TYPE = 'text/plain';

/** Port from argv[2] or $PORT. */
export function portFromArgs() {
  const port = Number(process.argv[2] ?? process.env.PORT);
  if (!Number.isInteger(port) || port <= 0) {
    console.error('usage: node <server>.mjs <port>  (or PORT=<port>)');
    process.exit(2);
  }
  return port;
}

/** Tell the harness we listen: it waits for this line on stdout. */
export function ready(port) {
  process.stdout.write(`listening ${port}\n`);
}
