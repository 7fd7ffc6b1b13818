// Starts a real uvhttp server on an ephemeral port for a test file.
import { createServer } from '../../lib/index.js';
import { within } from './http.js';

// The API is typed by lib/index.ts; tests only rely on the documented surface.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type App = any;
export type ServerOptions = Parameters<typeof createServer>[0];

export interface Started {
  app: App;
  port: number;
  address: string;
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** Idempotent close (safe to call from afterAll after a test already closed it). */
  close: () => Promise<void>;
  /** close(), but fails with a clear message instead of hanging when close() never settles (for afterAll). */
  stop: () => Promise<void>;
}

export async function startApp(configure: (app: App) => void, options?: ServerOptions): Promise<Started> {
  const app: App = createServer(options as never);
  configure(app);
  const { address, port } = await app.listen({ port: 0, host: '127.0.0.1' });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= Promise.resolve(app.close()));
  return {
    app,
    port,
    address,
    base: `http://127.0.0.1:${port}`,
    close,
    stop: () => within(close(), 5000, `close() of the server on port ${port}`),
  };
}

export { createServer };
