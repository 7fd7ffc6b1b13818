// The realistic-app table: wall-clock throughput (the handler waits 100 ms, so req/s against the
// c ÷ 100 ms ceiling is the point, not req/CPU-s), p50/p99/p99.9 and errors, per server and c.
import { fmt } from '../report.mjs';
import { WAIT_MS } from '../servers/app-work.mjs';

/**
 * The most a server can answer per second with `connections` clients each waiting for one
 * answer that takes at least WAIT_MS: connections ÷ 100 ms.
 * @param {number} connections
 */
export const ceiling = (connections) => (connections * 1000) / WAIT_MS;

/** @param {import('../results.mjs').Run[]} runs */
export function appTable(runs) {
  const head = ['server', 'conns', 'req/s', 'of c/100ms', 'p50 ms', 'p99 ms', 'p99.9 ms', 'errors', 'server CPU', 'req/CPU-s', 'RSS MB'];
  const lines = [`| ${head.join(' | ')} |`, `| --- |${' --: |'.repeat(head.length - 1)}`];
  for (const r of runs) {
    const lead = [r.server, String(r.connections)];
    if (r.unsupported || r.error) {
      const why = r.unsupported ? `unsupported: ${r.unsupported}` : `failed: ${r.error}`;
      lines.push(`| ${lead.join(' | ')} | ${why.replace(/\|/g, '\\|')} |${' |'.repeat(head.length - lead.length - 1)}`);
      continue;
    }
    const rps = /** @type {number} */ (r.requests_per_s);
    lines.push(
      `| ${[
        ...lead,
        `**${fmt(rps)}**`,
        `${fmt((100 * rps) / ceiling(r.connections))}%`,
        fmt(r.p50_ms, 1),
        fmt(r.p99_ms, 1),
        fmt(/** @type {number | null} */ (r.p999_ms), 1),
        fmt(r.errors),
        typeof r.server_cpu_pct === 'number' ? `${fmt(r.server_cpu_pct)}%` : '–',
        fmt(r.per_cpu_s),
        fmt(r.rss_mb, 1),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}
