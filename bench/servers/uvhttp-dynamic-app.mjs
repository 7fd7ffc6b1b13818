// The uvhttp-dynamic app as an app module (its default export), for `uvhttp app.js --workers N`:
// each worker thread imports it and listens on the shared port (uvhttp-dynamic-w2 in index.mjs).
import { createServer } from '../../dist/index.js';
import { BODY, CONTENT_TYPE } from './body.mjs';

const app = createServer();
app.get('/', (req, res) => {
  res.header('content-type', CONTENT_TYPE);
  res.end(BODY);
});
export default app;
