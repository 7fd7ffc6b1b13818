// The public types as a user's strict TypeScript sees them: compiled against the published
// declarations (dist/, internals stripped) under strict, noUncheckedIndexedAccess and
// exactOptionalPropertyTypes by types.test.ts. A line marked @ts-expect-error must fail to compile:
// if it ever compiles, tsc reports the unused directive and the test fails.
import { cluster, createServer, errors, serve, type ErrorCode, type ParamsOf, type UvhttpError, type UvhttpRequest, type UvhttpResponse } from '../../dist/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_: T): void {}

// Params from path literals.
assertType<Equal<ParamsOf<'/users/:id'>, { id: string }>>(true);
assertType<Equal<ParamsOf<'/orgs/:org/repos/:repo'>, { org: string; repo: string }>>(true);
assertType<Equal<ParamsOf<'/files/*'>, { '*': string }>>(true);
assertType<Equal<ParamsOf<'/health'>, {}>>(true);
assertType<Equal<ParamsOf<string>, Record<string, string>>>(true);

const app = createServer({ bodyLimit: 1024, ignoreTrailingSlash: true, handlerTimeout: 5000 });

app.get('/users/:id', (req) => {
  const id: string = req.params.id; // a string, not string | undefined, under noUncheckedIndexedAccess
  // @ts-expect-error a misspelt param does not compile
  void req.params.idd;
  return { id };
});
app.get('/files/*', (req) => req.params['*'].toUpperCase());
app.post('/items', async (req, res) => {
  const body = await req.json();
  res.status(201).header('x-id', 1);
  return { stored: body };
});
app.put('/bytes', () => Buffer.from('x'));
app.delete('/nothing', (_req, res) => res.end());

// Hooks and handlers with the types of their arguments.
app.addHook('onRequest', async (req, res) => {
  if (req.header('authorization') === undefined) res.status(401).json({ error: 'unauthorized' });
});
app.addHook('onSend', (_req, res, body) => {
  res.header('access-control-allow-origin', '*');
  return body;
});
// @ts-expect-error onSend must return a body (or nothing), not a number
app.addHook('onSend', () => 42);
// @ts-expect-error there is no such hook
app.addHook('onRequset', () => undefined);
app.setErrorHandler((err, _req, res) => res.status(500).json({ error: String(err) }));
app.setNotFoundHandler((req, res) => res.json({ path: req.path, status: res.statusCode }));
app.register(
  (api) => {
    api.get('/things/:thingId', (req) => req.params.thingId);
  },
  { prefix: '/api' },
);

// Internals stay out of the public surface.
declare const req: UvhttpRequest;
declare const res: UvhttpResponse;
// @ts-expect-error detach is internal
req.detach();
// @ts-expect-error send is internal
res.send('x');
// @ts-expect-error finished is read-only to users
res.finished = true;
const done: boolean = res.finished;
void done;

// Options are checked by name and type.
// @ts-expect-error a misspelt option
createServer({ bodylimit: 10 });
// @ts-expect-error a wrong type
createServer({ keepAliveTimeout: '5s' });

// Error codes are a union, not string.
const code: ErrorCode = errors.invalidJson().code;
void code;
assertType<Equal<ReturnType<typeof errors.invalidJson>['code'], 'UVHTTP_ERR_INVALID_JSON'>>(true);
assertType<Equal<string extends ErrorCode ? true : false, false>>(true);
// @ts-expect-error not a code uvhttp has
const wrong: ErrorCode = 'UVHTTP_ERR_NOPE';
void wrong;
declare const e: UvhttpError;
if (e.code === 'UVHTTP_ERR_HANDLER_TIMEOUT') void e.statusCode;

// serve() takes a fetch handler with web-standard types.
const server = serve({ port: 0, fetch: (request: Request) => new Response(`hello ${new URL(request.url).pathname}`) });
void server.ready.then((info) => info.port.toFixed());

// cluster(): an entry module, per-worker stats and their sum.
const workers = cluster({ entry: new URL('./app.js', import.meta.url), workers: 2, port: 0 });
void workers.ready.then((all) => all.map((w) => w.port.toFixed()));
void workers.stats().then((s) => s.total.connectionsTotal + (s.workers[0]?.requests ?? 0) + s.restarts);
void workers.close({ timeout: 1000 });
// @ts-expect-error the entry module is required
cluster({ workers: 2 });

void app.inject({ method: 'GET', url: '/users/1' }).then((r) => r.json());
