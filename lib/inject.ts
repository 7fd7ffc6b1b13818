// app.inject(): a request through the real parser, router, hooks and handlers, without a listening
// socket. The core serves one end of a socket pair as a client connection; Node's HTTP client speaks
// over the other. For tests, as fastify's inject and Hono's app.request.
import { request } from 'node:http';
import { Socket } from 'node:net';
import { errors } from './errors.js';

export interface InjectOptions {
  /** Default GET. */
  method?: string;
  /** The request-target: path and query. Default '/'. */
  url?: string;
  /** Request header fields; Host defaults to localhost. */
  headers?: Record<string, string | string[]>;
  /** A string or bytes as they are; anything else as JSON (with Content-Type application/json unless set). */
  body?: unknown;
}

export interface InjectResponse {
  /** The status the server sent. */
  statusCode: number;
  /** Names lower-cased; Set-Cookie as an array. */
  headers: Record<string, string | string[] | undefined>;
  /** The body decoded as UTF-8. */
  body: string;
  /** The body's bytes. */
  rawBody: Buffer;
  /** The body parsed as JSON. */
  json(): unknown;
}

const INJECT_OPTIONS: readonly string[] = ['method', 'url', 'headers', 'body'];

export function inject(open: () => number, options: InjectOptions | string = {}): Promise<InjectResponse> {
  const o = typeof options === 'string' ? { url: options } : options;
  if (o === null || typeof o !== 'object') throw errors.invalidArgument('inject options', 'an object or a URL string');
  for (const key of Object.keys(o)) if (!INJECT_OPTIONS.includes(key)) throw errors.unknownOption(key, INJECT_OPTIONS, 'inject option');
  const { method = 'GET', url = '/', headers = {} } = o;
  if (typeof url !== 'string' || url[0] !== '/') throw errors.invalidOption('url', "a request-target starting with '/'");
  let body: string | Uint8Array | undefined;
  const sent: Record<string, string | string[]> = { ...headers };
  if (typeof o.body === 'string' || o.body instanceof Uint8Array) {
    body = o.body;
  } else if (o.body !== undefined) {
    body = JSON.stringify(o.body);
    if (!Object.keys(sent).some((k) => k.toLowerCase() === 'content-type')) sent['content-type'] = 'application/json';
  }
  const fd = open();
  if (fd < 0) return Promise.reject(errors.injectUnavailable());
  const socket = new Socket({ fd, readable: true, writable: true });
  return new Promise<InjectResponse>((resolve, reject) => {
    // No agent: the request goes over this socket alone (createConnection is used only without one).
    const req = request({ createConnection: () => socket, method, path: url, headers: sent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        socket.destroy();
        const rawBody = Buffer.concat(chunks);
        const text = rawBody.toString('utf8');
        resolve({ statusCode: res.statusCode!, headers: { ...res.headers }, body: text, rawBody, json: () => JSON.parse(text) as unknown });
      });
    });
    req.on('error', (err) => {
      socket.destroy();
      reject(err);
    });
    req.end(body);
  });
}
