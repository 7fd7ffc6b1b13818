// One worker of cluster() (lib/cluster.ts), run as a worker thread: loads the app module, listens on
// the shared port with SO_REUSEPORT, and answers the primary's stats and close messages.
import { parentPort, workerData } from 'node:worker_threads';
import type { ListenOptions, Stats } from './app.js';
import type { AccessLogOptions } from './access-log.js';
import { listenAppModule, loadAppModule, type Listening } from './app-module.js';

export interface WorkerData {
  entry: string;
  listen: ListenOptions;
  accessLog?: AccessLogOptions;
}

/** reopen-log: the primary heard SIGHUP (a worker thread never does). */
export type ToWorker = { type: 'stats'; id: number } | { type: 'close'; timeout?: number } | { type: 'reopen-log' };

export type FromWorker =
  | { type: 'listening'; address: string; port: number }
  /** module: the app module cannot run; listen: it could not listen (code: EADDRINUSE, …). */
  | { type: 'failed'; stage: 'module' | 'listen'; message: string; code?: string }
  | { type: 'stats'; id: number; stats: Stats }
  /** The last stats, once every connection is done. */
  | { type: 'closed'; stats: Stats };

const primary = parentPort!;
const post = (message: FromWorker) => primary.postMessage(message);
const { entry, listen, accessLog } = workerData as WorkerData;

let server: Listening | undefined;
try {
  const exported = await loadAppModule(entry);
  try {
    server = await listenAppModule(exported, listen, accessLog);
  } catch (err) {
    post({ type: 'failed', stage: 'listen', message: (err as Error).message, code: (err as { code?: string }).code });
  }
} catch (err) {
  post({ type: 'failed', stage: 'module', message: err instanceof Error ? err.message : String(err) });
}

if (server !== undefined) {
  const listening = server;
  primary.on('message', (message: ToWorker) => {
    if (message.type === 'stats') post({ type: 'stats', id: message.id, stats: listening.stats() });
    else if (message.type === 'reopen-log') {
      try {
        listening.reopenAccessLog();
      } catch (err) {
        console.error(`uvhttp: ${(err as Error).message}`);
      }
    } else void listening.close({ timeout: message.timeout }).then(() => post({ type: 'closed', stats: listening.stats() }));
  });
  post({ type: 'listening', address: listening.address, port: listening.port });
}
