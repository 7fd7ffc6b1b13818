// An app module: a file whose default export is an App from createServer() or an object with a
// fetch(request) method (the Bun and srvx convention, e.g. a Hono app). `uvhttp app.js` (lib/cli.ts)
// and each worker of cluster() (lib/cluster-worker.ts) load and listen with it the same way.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { App, ListenOptions, Stats } from './app.js';
import type { AccessLogOptions } from './access-log.js';
import { errors } from './errors.js';

export const APP_EXTENSIONS: readonly string[] = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];

interface FetchTarget {
  fetch(request: Request): Response | Promise<Response>;
}

/** What an app module exports: checked by shape, since the module may import another copy of uvhttp. */
export type AppExport = { kind: 'app'; app: App } | { kind: 'fetch'; target: FetchTarget };

/** An app listening: the module's App, or the App that runs its fetch handler. */
export interface Listening {
  address: string;
  port: number;
  stats(): Stats;
  close(options?: { timeout?: number }): Promise<void>;
  reopenAccessLog(): void;
}

/**
 * Loads file (resolved against the working directory) and checks its default export; what keeps it
 * from running is a UVHTTP_ERR_APP_MODULE whose message is for the user.
 */
export async function loadAppModule(file: string): Promise<AppExport> {
  const path = resolve(file);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    isFile = false;
  }
  if (!isFile) throw errors.appModule(`cannot run ${path}: no such file`);
  if (/\.[mc]?ts$/.test(path) && !(process.features as { typescript?: unknown }).typescript) {
    throw errors.appModule(
      `${path} is TypeScript, and this Node (${process.version}) does not strip types: use Node 22.18 or later, ` +
        'or 22.6+ with NODE_OPTIONS=--experimental-strip-types, or run the compiled .js',
    );
  }
  let value: unknown;
  try {
    value = ((await import(pathToFileURL(path).href)) as { default?: unknown }).default;
  } catch (err) {
    throw errors.appModule(`cannot load ${path}: ${(err as Error).stack ?? String(err)}`);
  }
  const target = value as { fetch?: unknown; listen?: unknown; serveDir?: unknown } | null | undefined;
  if (target && typeof target.listen === 'function' && typeof target.serveDir === 'function') return { kind: 'app', app: target as App };
  if (target && typeof target.fetch === 'function') return { kind: 'fetch', target: target as FetchTarget };
  throw errors.appModule(`the default export of ${path} must be an object with a fetch(request) method, or an App from createServer()`);
}

/**
 * Listens with what loadAppModule found. A fetch handler runs in an App of its own, as serve() runs
 * it (the lighter global Response included), which unlike serve() also listens on a Unix socket or
 * with reusePort. A failure to listen is thrown as app.listen() threw it.
 */
export async function listenAppModule(exported: AppExport, where: ListenOptions, accessLog?: AccessLogOptions): Promise<Listening> {
  let app: App;
  let restore: (() => void) | undefined;
  if (exported.kind === 'app') {
    app = exported.app;
  } else {
    // Loaded only now: the addon is needed to serve, not to check a module.
    const [{ App }, { installGlobalResponse }] = await Promise.all([import('./app.js'), import('./fetch-light-response.js')]);
    const { target } = exported;
    app = new App().fetch((request) => target.fetch(request));
    restore = installGlobalResponse();
  }
  // The runner's access log replaces one the module's App may have.
  if (accessLog !== undefined) app.useAccessLog(accessLog);
  let bound;
  try {
    bound = await app.listen(where);
  } catch (err) {
    restore?.();
    await app.close();
    throw err;
  }
  return {
    ...bound,
    stats: () => app.stats(),
    reopenAccessLog: () => app.reopenAccessLog(),
    close: (options) => app.close(options).finally(() => restore?.()),
  };
}
