// cluster(): every core. N worker threads each load the app module and listen on the same port with
// SO_REUSEPORT, so each has its own event loop and its own listener and the kernel spreads
// connections over them. Threads rather than processes: the same requests per CPU-second at half
// the memory (measured in docs/deploying.md, "Every core").
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CloseOptions, ListenOptions, Stats } from './app.js';
import type { FromWorker, ToWorker, WorkerData } from './cluster-worker.js';
import { errors } from './errors.js';
import { accessLogOptions, type AccessLogOptions } from './access-log.js';

export interface ClusterOptions {
  /** The app module each worker runs: its default export is an App from createServer() or an object with fetch(request). */
  entry: string | URL;
  /** Default: one per core (os.availableParallelism()). */
  workers?: number;
  /** Default 0: a free port, the same for every worker. */
  port?: number;
  /** Default 0.0.0.0. */
  host?: string;
  /** Each worker's accept queue (default 4096). */
  backlog?: number;
  /**
   * An access log every worker appends to (as createServer's accessLog, in place of the module's);
   * SIGHUP to this process reopens it in each.
   */
  accessLog?: AccessLogOptions;
}

export interface ClusterStats {
  /** Each worker's app.stats(), in worker order. */
  workers: Stats[];
  /** Their sum, field by field. */
  total: Stats;
  /** Workers that ended on their own (an uncaught error, process.exit) and were replaced. */
  restarts: number;
}

export interface Cluster {
  /** Settles once every worker listens: one address per worker, all on the same port. */
  readonly ready: Promise<Array<{ address: string; port: number }>>;
  /** Asks each worker for its stats; after close(), the last stats each had. */
  stats(): Promise<ClusterStats>;
  /** Closes every worker's app (app.close(options) in each), then ends the threads. */
  close(options?: CloseOptions): Promise<void>;
}

const CLUSTER_OPTIONS: readonly string[] = ['entry', 'workers', 'port', 'host', 'backlog', 'accessLog'];
const WORKER_FILE = fileURLToPath(new URL('./cluster-worker.js', import.meta.url));

/** One worker thread and what the primary knows of it. */
class Member {
  readonly thread: Worker;
  /** Settles with the bound address, or the reason it could not listen. */
  readonly listening: Promise<{ address: string; port: number }>;
  /** Asked to close (or given up on): its exit is no reason to start another. */
  closing = false;
  private gone = false;
  /** It sent its stats after closing: they no longer change. */
  private final = false;
  /** The last stats it sent: what a worker that has ended counts for. */
  private last?: Stats;
  private readonly asked = new Map<number, (stats: Stats) => void>();
  private nextId = 0;
  private closed?: () => void;

  constructor(data: WorkerData, onUnexpectedExit: (member: Member, reason: string) => void) {
    this.thread = new Worker(WORKER_FILE, { workerData: data });
    let failed!: (err: Error) => void;
    let up = false;
    this.listening = new Promise((resolve, reject) => {
      failed = reject;
      this.thread.on('message', (m: FromWorker) => {
        if (m.type === 'listening') {
          up = true;
          resolve({ address: m.address, port: m.port });
        } else if (m.type === 'failed') {
          reject(m.stage === 'module' ? errors.appModule(m.message) : Object.assign(new Error(m.message), { code: m.code }));
        } else if (m.type === 'stats') {
          this.last = m.stats;
          this.asked.get(m.id)?.(m.stats);
          this.asked.delete(m.id);
        } else {
          this.last = m.stats;
          this.final = true;
          this.closed?.();
        }
      });
    });
    let error: Error | undefined;
    // An uncaught error ends this thread only (without a listener it would end the process).
    this.thread.on('error', (err) => {
      error = err;
      failed(errors.appModule(`a cluster worker failed while starting: ${err.stack ?? String(err)}`));
    });
    this.thread.once('exit', (code) => {
      this.gone = true;
      failed(errors.appModule(`a cluster worker exited (code ${code}) before listening`));
      for (const answer of this.asked.values()) answer(this.last ?? zeroStats());
      this.asked.clear();
      this.closed?.();
      if (up && !this.closing) onUnexpectedExit(this, error?.stack ?? `exit code ${code}`);
    });
  }

  stats(): Promise<Stats> {
    if (this.gone || this.final) return Promise.resolve(this.last ?? zeroStats());
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.asked.set(id, resolve);
      this.send({ type: 'stats', id });
    });
  }

  /** Closes its app, then ends the thread (the module may hold timers that would keep it alive). */
  async close(timeout: number | undefined): Promise<void> {
    this.closing = true;
    const up = await this.listening.then(
      () => true,
      () => false,
    );
    if (up && !this.gone) {
      await new Promise<void>((resolve) => {
        this.closed = resolve;
        this.send({ type: 'close', timeout });
      });
    }
    await this.thread.terminate();
  }

  send(message: ToWorker): void {
    this.thread.postMessage(message);
  }
}

/** Stats of a worker that ended before it sent any: every counter 0. */
function zeroStats(): Stats {
  return {
    connections: 0,
    connectionsTotal: 0,
    connectionsRejected: 0,
    connectionsForced: 0,
    requests: 0,
    jsDispatches: 0,
    responsesDropped: 0,
    bufferedBytes: 0,
    bytesRead: 0,
    bytesWritten: 0,
    parseErrors: 0,
    timeouts: 0,
    accessLogLines: 0,
    accessLogDropped: 0,
    handlerTimeouts: 0,
    cache: { hits: 0, misses: 0, stores: 0, evictions: 0, coalesced: 0, stale: 0, entries: 0, bytes: 0 },
    files: { memoryHits: 0, sendfileResponses: 0, notModified: 0, entries: 0, openFiles: 0, memoryBytes: 0 },
  };
}

/** Adds every numeric field (nested ones too, as files) of each into one object of the same shape. */
export function sumStats(all: readonly Stats[]): Stats {
  const add = (into: Record<string, unknown>, from: Record<string, unknown>) => {
    for (const [key, value] of Object.entries(from)) {
      if (typeof value === 'number') into[key] = ((into[key] as number | undefined) ?? 0) + value;
      else if (value !== null && typeof value === 'object') add((into[key] ??= {}) as Record<string, unknown>, value as Record<string, unknown>);
    }
  };
  const total: Record<string, unknown> = {};
  for (const stats of all) add(total, stats as unknown as Record<string, unknown>);
  return (all.length === 0 ? zeroStats() : total) as unknown as Stats;
}

/**
 * Runs the app module `entry` in `workers` worker threads, each listening on the same port with
 * reusePort (SO_REUSEPORT: the kernel spreads connections over the listeners). With port 0 the
 * first worker picks the port and the others bind it. A worker that ends on its own is replaced.
 */
export function cluster(options: ClusterOptions): Cluster {
  if (options === null || typeof options !== 'object') throw errors.invalidArgument('options', 'an object');
  for (const key of Object.keys(options)) if (!CLUSTER_OPTIONS.includes(key)) throw errors.unknownOption(key, CLUSTER_OPTIONS);
  const { entry, workers = availableParallelism(), port = 0, host = '0.0.0.0', backlog, accessLog } = options;
  if (accessLog !== undefined) accessLogOptions(accessLog); // checked here, once, rather than in each worker
  if (!(typeof entry === 'string' && entry !== '') && !(entry instanceof URL)) throw errors.invalidOption('entry', 'a file path or a file: URL of an app module');
  if (!Number.isInteger(workers) || workers < 1) throw errors.invalidOption('workers', 'a positive integer');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw errors.invalidOption('port', 'an integer from 0 to 65535');
  if (typeof host !== 'string' || host === '') throw errors.invalidOption('host', 'a non-empty string (an address or a name)');
  if (backlog !== undefined && (!Number.isInteger(backlog) || backlog < 1)) throw errors.invalidOption('backlog', 'a positive integer');
  const file = entry instanceof URL ? fileURLToPath(entry) : entry;

  const members: Member[] = [];
  let restarts = 0;
  let closing: Promise<void> | undefined;
  const listen = (p: number): ListenOptions => ({ port: p, host, reusePort: true, ...(backlog !== undefined && { backlog }) });
  let shared = port;

  const onUnexpectedExit = (gone: Member, reason: string) => {
    if (closing !== undefined) return;
    console.error(`uvhttp: a cluster worker ended (${reason}); starting another`);
    restarts++;
    const next = new Member({ entry: file, listen: listen(shared), accessLog }, onUnexpectedExit);
    members[members.indexOf(gone)] = next;
    next.listening.catch((err: Error) => {
      console.error(`uvhttp: the replacement worker could not start: ${err.message}`);
      void next.close(0);
    });
  };
  const start = (p: number) => {
    const member = new Member({ entry: file, listen: listen(p), accessLog }, onUnexpectedExit);
    members.push(member);
    return member.listening;
  };

  // Worker threads hear no signals: the primary passes logrotate's SIGHUP on.
  const onHangup = () => members.forEach((m) => m.send({ type: 'reopen-log' }));
  const hangups = typeof accessLog === 'object' && accessLog.path ? process.on('SIGHUP', onHangup) : undefined;

  const ready = (async () => {
    try {
      // The first alone: it finds the port when asked for 0, and a broken module fails once, not N times.
      const first = await start(port);
      shared = first.port;
      const rest = await Promise.all(Array.from({ length: workers - 1 }, () => start(first.port)));
      return [first, ...rest];
    } catch (err) {
      // Nothing was served yet worth waiting for.
      await Promise.all(members.map((m) => m.close(100)));
      throw err;
    }
  })();

  return {
    ready,
    async stats() {
      const each = await Promise.all(members.map((m) => m.stats()));
      return { workers: each, total: sumStats(each), restarts };
    },
    close(options: CloseOptions = {}) {
      if (options === null || typeof options !== 'object') throw errors.invalidArgument('options', 'an object');
      const { timeout } = options;
      if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0)) {
        throw errors.invalidOption('timeout', 'a non-negative number of milliseconds');
      }
      hangups?.off('SIGHUP', onHangup);
      // After a failed start there is nothing left to close.
      closing ??= ready.then(
        () => Promise.all(members.map((m) => m.close(timeout))).then(() => undefined),
        () => undefined,
      );
      return closing;
    },
  };
}
