// The server the hardening tests talk to: a static route, an echo route and "trap" routes whose
// handlers record every request that reaches JavaScript, so a test can prove a smuggled or trailing
// request was never interpreted.
import { startApp, type Started, type ServerOptions } from '../helpers/app.js';

export interface Seen {
  method: string;
  path: string;
  body: string;
}

export interface HardeningServer extends Started {
  /** Every request whose handler ran, in order. */
  seen: Seen[];
  /** Every error passed to onClientError. */
  clientErrors: Array<Error & { code?: string; statusCode?: number }>;
}

export async function startHardeningServer(options: ServerOptions = {}): Promise<HardeningServer> {
  const seen: Seen[] = [];
  const clientErrors: HardeningServer['clientErrors'] = [];
  // The entry is pushed when the handler starts (arrival order); the body is filled in once read.
  const record = async (req: any) => {
    const entry: Seen = { method: req.method, path: req.path, body: '' };
    seen.push(entry);
    if (req.method !== 'GET' && req.method !== 'HEAD') entry.body = await req.text();
    return entry.body;
  };
  const s = await startApp(
    (app) => {
      app.static('/', 'root');
      app.static('/big', Buffer.alloc(16 * 1024, 'b'));
      app.static('/big64', Buffer.alloc(64 * 1024, 'B'));
      app.get('/dyn-big64', () => DYN_BIG64);
      app.static('/huge', HUGE);
      app.static('/static-cl', 'abc', { headers: { 'content-length': '10', 'x-static': 'yes' } });
      app.get('/huge-dyn', () => HUGE);
      app.get('/slow', async () => {
        await new Promise((r) => setTimeout(r, 50));
        return 'slow';
      });
      app.get('/ok', (req: any) => {
        seen.push({ method: req.method, path: req.path, body: '' });
        return 'ok';
      });
      app.get('/dyn-big', (req: any) => {
        seen.push({ method: req.method, path: req.path, body: '' });
        return DYN_BIG;
      });
      for (const path of ['/after', '/smuggled', '/echo']) {
        app.get(path, async (req: any) => `${path}:${await record(req)}`);
        app.post(path, async (req: any) => `${path}:${await record(req)}`);
      }
      app.post('/len', async (req: any) => {
        seen.push({ method: req.method, path: req.path, body: '' });
        return String((await req.buffer()).length);
      });
      app.get('/status/:code', (req: any, res: any) => {
        seen.push({ method: req.method, path: req.path, body: '' });
        res.status(Number(req.params.code)).header('content-length', '999').header('Content-Length', '5').end('body!');
      });
    },
    {
      ...options,
      onClientError: (err: any) => {
        clientErrors.push(err);
      },
    },
  );
  return Object.assign(s, { seen, clientErrors });
}

const DYN_BIG = Buffer.alloc(16 * 1024, 'd');
const DYN_BIG64 = Buffer.alloc(64 * 1024, 'D');
/** 4 MiB: large enough that a response is still being written when a client resets. */
export const HUGE = Buffer.alloc(4 * 1024 * 1024, 'h');

export const HOST = 'Host: 127.0.0.1\r\n';
/** A valid request to a trap route, appended after a bad request: it must never be answered. */
export const TRAILING = `GET /after HTTP/1.1\r\n${HOST}\r\n`;
