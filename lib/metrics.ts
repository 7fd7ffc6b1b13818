// app.metrics(): the stats counters in the Prometheus text exposition format (version 0.0.4), and,
// when asked for, a histogram of how long JS routes take to answer, so a /metrics route is one line.
import { errors } from './errors.js';
import type { Hooks } from './hooks.js';
import type { NativeStats } from './native.js';

export interface MetricsOptions {
  /**
   * Keep a histogram of JS route latency: from the handler's start (hooks included) to the response
   * handed to the connection. Default false (it costs a clock read and a map entry per request).
   */
  handlerLatency?: boolean;
  /** Upper bounds of the histogram's buckets, in seconds (default Prometheus's: 5 ms to 10 s). */
  buckets?: readonly number[];
}

/** The Content-Type of app.metrics()'s text. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Kind = 'counter' | 'gauge';
// Name, kind, help, and how to read it.
const SERIES: ReadonlyArray<readonly [string, Kind, string, (s: NativeStats & { handlerTimeouts: number }) => number]> = [
  ['uvhttp_connections', 'gauge', 'Connections open now.', (s) => s.connections],
  ['uvhttp_connections_total', 'counter', 'Connections accepted.', (s) => s.connectionsTotal],
  ['uvhttp_connections_rejected_total', 'counter', 'Connections closed at once for maxConnections.', (s) => s.connectionsRejected],
  ['uvhttp_connections_forced_total', 'counter', 'Connections closed by a close() deadline with work left.', (s) => s.connectionsForced],
  ['uvhttp_requests_total', 'counter', 'Requests parsed, served natively or by JavaScript.', (s) => s.requests],
  ['uvhttp_js_dispatches_total', 'counter', 'Requests whose handler ran in JavaScript.', (s) => s.jsDispatches],
  ['uvhttp_responses_dropped_total', 'counter', 'Responses that reached the core after their connection had gone.', (s) => s.responsesDropped],
  ['uvhttp_parse_errors_total', 'counter', 'Requests rejected as malformed or over a limit.', (s) => s.parseErrors],
  ['uvhttp_timeouts_total', 'counter', 'Connections ended by a timeout.', (s) => s.timeouts],
  ['uvhttp_handler_timeouts_total', 'counter', 'Handlers that did not answer within handlerTimeout.', (s) => s.handlerTimeouts],
  ['uvhttp_bytes_read_total', 'counter', 'Bytes read from clients.', (s) => s.bytesRead],
  ['uvhttp_bytes_written_total', 'counter', 'Bytes written to clients.', (s) => s.bytesWritten],
  ['uvhttp_buffered_bytes', 'gauge', 'Memory the open connections hold for input and output.', (s) => s.bufferedBytes],
  ['uvhttp_file_memory_hits_total', 'counter', 'File responses whose body came from memory.', (s) => s.files.memoryHits],
  ['uvhttp_file_sendfile_responses_total', 'counter', 'File responses sent with sendfile.', (s) => s.files.sendfileResponses],
  ['uvhttp_file_not_modified_total', 'counter', 'File requests answered 304.', (s) => s.files.notModified],
  ['uvhttp_file_cache_entries', 'gauge', 'Paths in the open-file cache.', (s) => s.files.entries],
  ['uvhttp_file_cache_open_files', 'gauge', 'Descriptors held by the file cache and responses.', (s) => s.files.openFiles],
  ['uvhttp_file_cache_memory_bytes', 'gauge', 'File contents held in memory.', (s) => s.files.memoryBytes],
  ['uvhttp_response_cache_hits_total', 'counter', 'Requests answered from a route micro-cache.', (s) => s.cache.hits],
  ['uvhttp_response_cache_misses_total', 'counter', 'Requests to a cached route that ran its handler or waited for it.', (s) => s.cache.misses],
  ['uvhttp_response_cache_coalesced_total', 'counter', 'Misses that waited for the same request already in the handler.', (s) => s.cache.coalesced],
  ['uvhttp_response_cache_stale_total', 'counter', 'Answers served past their ttl while one request refreshed them.', (s) => s.cache.stale],
  ['uvhttp_response_cache_evictions_total', 'counter', 'Cached answers dropped for maxEntries or maxBytes.', (s) => s.cache.evictions],
  ['uvhttp_response_cache_entries', 'gauge', 'Answers in the route micro-caches.', (s) => s.cache.entries],
  ['uvhttp_response_cache_bytes', 'gauge', 'Bytes in the route micro-caches.', (s) => s.cache.bytes],
  ['uvhttp_access_log_lines_total', 'counter', 'Access log lines written or buffered.', (s) => s.accessLogLines],
  ['uvhttp_access_log_dropped_total', 'counter', 'Access log lines lost to a write error or a full buffer.', (s) => s.accessLogDropped],
];

export class Metrics {
  readonly latency: boolean;
  private readonly bounds: readonly number[];
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(options: unknown) {
    if (options === undefined) options = {};
    if (options === null || typeof options !== 'object') throw errors.invalidOption('metrics', 'an object');
    for (const key of Object.keys(options)) {
      if (key !== 'handlerLatency' && key !== 'buckets') throw errors.unknownOption(`metrics.${key}`, ['metrics.handlerLatency', 'metrics.buckets']);
    }
    const { handlerLatency = false, buckets = DEFAULT_BUCKETS } = options as MetricsOptions;
    if (typeof handlerLatency !== 'boolean') throw errors.invalidOption('metrics.handlerLatency', 'a boolean');
    const sorted = Array.isArray(buckets) && buckets.every((b, i) => typeof b === 'number' && b > 0 && Number.isFinite(b) && (i === 0 || b > buckets[i - 1]!));
    if (!sorted || buckets.length === 0) throw errors.invalidOption('metrics.buckets', 'increasing positive numbers of seconds');
    this.latency = handlerLatency;
    this.bounds = buckets;
    this.counts = new Array<number>(buckets.length).fill(0);
  }

  private readonly started = new WeakMap<object, number>();

  /** A route's hooks with the latency clock around them (the same hooks when latency is off). */
  timed(hooks: Hooks): Hooks {
    if (!this.latency) return hooks;
    return {
      ...hooks,
      onRequest: [(_req, res) => void this.started.set(res, performance.now()), ...hooks.onRequest],
      onResponse: [
        ...hooks.onResponse,
        (_req, res) => {
          const t = this.started.get(res);
          if (t !== undefined) this.observe((performance.now() - t) / 1000);
        },
      ],
    };
  }

  /** One JS route's latency, in seconds. */
  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (seconds <= b[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }

  text(stats: NativeStats & { handlerTimeouts: number }): string {
    let out = '';
    for (const [name, kind, help, read] of SERIES) {
      out += `# HELP ${name} ${help}\n# TYPE ${name} ${kind}\n${name} ${read(stats)}\n`;
    }
    if (this.latency) {
      const name = 'uvhttp_handler_duration_seconds';
      out += `# HELP ${name} Time from a JS route's start to its response handed to the connection.\n# TYPE ${name} histogram\n`;
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += this.counts[i]!;
        out += `${name}_bucket{le="${this.bounds[i]}"} ${cumulative}\n`;
      }
      out += `${name}_bucket{le="+Inf"} ${this.count}\n${name}_sum ${this.sum}\n${name}_count ${this.count}\n`;
    }
    return out;
  }
}
