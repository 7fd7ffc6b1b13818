// The files suite's figures: each server's median over rounds per scenario, the table, the
// ratios against nginx and against uvhttp's own static route, and issue 9's targets.
import { fmt } from '../report.mjs';
import { FILE_SCENARIOS } from './scenarios.mjs';

/** @typedef {import('../results.mjs').Run} Run */

export const NGINX = 'nginx-files';
export const STATIC_ROUTE = 'uvhttp-static';
export const MiB = 1024 * 1024;
/** RSS growth during the 100 MiB run up to which memory counts as flat. */
export const FLAT_RSS_MB = 16;

/**
 * Issue 9's targets for uvhttp-files: `scenario` figure ÷ `peer`'s at least `min`
 * (STATIC_ROUTE stands for the static route of the same build).
 * @type {{ scenario: string, peer: string, min: number }[]}
 */
export const TARGETS = [
  { scenario: '13b', peer: NGINX, min: 1.3 },
  { scenario: '4k', peer: NGINX, min: 1.3 },
  { scenario: '13b', peer: STATIC_ROUTE, min: 0.9 },
  { scenario: '4k', peer: STATIC_ROUTE, min: 0.9 },
  { scenario: '1m', peer: NGINX, min: 1.0 },
  { scenario: '100m', peer: NGINX, min: 1.0 },
];

/** The median of the numbers in `xs` (null when there are none). @param {(number | null | undefined)[]} xs */
export function median(xs) {
  const v = /** @type {number[]} */ (xs.filter((x) => typeof x === 'number' && Number.isFinite(x))).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * @typedef {{ rounds: number, per_cpu_s: number | null, bytes_per_cpu_s: number | null,
 *   requests_per_s: number | null, bytes_per_s: number | null, errors: number,
 *   rss_idle_mb: number | null, rss_peak_mb: number | null, values: number[], failed?: string }} Cell
 *   `values`: each round's figure (req/CPU-s for small files, bytes/CPU-s for large), `rss_peak_mb`
 *   the highest over rounds, `rss_idle_mb` the lowest; `failed` when no round has a figure
 * @typedef {{ server: string, cells: Record<string, Cell> }} ServerSummary
 */

/**
 * Fold the rows of every round into one median per server and scenario, servers in the order
 * they first appear.
 * @param {Run[]} runs
 * @returns {ServerSummary[]}
 */
export function summarizeFiles(runs) {
  /** @type {Map<string, Map<string, Run[]>>} */
  const by = new Map();
  for (const r of runs) {
    if (!by.has(r.server)) by.set(r.server, new Map());
    const m = /** @type {Map<string, Run[]>} */ (by.get(r.server));
    if (!m.has(r.scenario)) m.set(r.scenario, []);
    /** @type {Run[]} */ (m.get(r.scenario)).push(r);
  }
  return [...by].map(([server, m]) => ({
    server,
    cells: Object.fromEntries(
      [...m].map(([scenario, rows]) => {
        const ok = rows.filter((r) => !r.unsupported && !r.error);
        const num = (/** @type {string} */ k) => ok.map((r) => /** @type {number | null} */ (r[k]));
        const unit = FILE_SCENARIOS.find((s) => s.name === scenario)?.unit ?? 'requests';
        const idle = num('rss_idle_mb').filter((x) => typeof x === 'number');
        const peak = num('rss_peak_mb').filter((x) => typeof x === 'number');
        /** @type {Cell} */
        const cell = {
          rounds: ok.length,
          per_cpu_s: median(num('per_cpu_s')),
          bytes_per_cpu_s: median(num('bytes_per_cpu_s')),
          requests_per_s: median(num('requests_per_s')),
          bytes_per_s: median(num('bytes_per_s')),
          errors: ok.reduce((n, r) => n + (r.errors ?? 0), 0),
          rss_idle_mb: idle.length ? Math.min(.../** @type {number[]} */ (idle)) : null,
          rss_peak_mb: peak.length ? Math.max(.../** @type {number[]} */ (peak)) : null,
          values: /** @type {number[]} */ (num(unit === 'bytes' ? 'bytes_per_cpu_s' : 'per_cpu_s').filter((x) => typeof x === 'number')),
        };
        if (!ok.length) {
          const r = rows[rows.length - 1];
          cell.failed = r.unsupported ? `unsupported: ${r.unsupported}` : `failed: ${r.error}`;
        }
        return [scenario, cell];
      }),
    ),
  }));
}

/** The figure a scenario is judged by: req/CPU-s for small files, bytes/CPU-s for large. @param {string} scenario @param {Cell | undefined} c */
export function figure(scenario, c) {
  if (!c) return null;
  const unit = FILE_SCENARIOS.find((s) => s.name === scenario)?.unit;
  return unit === 'bytes' ? c.bytes_per_cpu_s : c.per_cpu_s;
}

/** @param {ServerSummary[]} summary @param {string} server @param {string} scenario */
const figureOf = (summary, server, scenario) => figure(scenario, summary.find((s) => s.server === server)?.cells[scenario]);

/** @param {Cell | undefined} c */
const rssCell = (c) => (c && c.rss_peak_mb !== null ? `${fmt(c.rss_idle_mb, 1)} → ${fmt(c.rss_peak_mb, 1)}` : '–');

/**
 * One row per server: 13 B and 4 KiB in requests per server CPU-second, 1 MiB and 100 MiB in
 * MiB per server CPU-second (and per second), the RSS before and at its peak during the 100 MiB
 * run, errors over all rounds.
 * @param {ServerSummary[]} summary
 */
export function filesTable(summary) {
  const head = ['server', '13 B req/CPU-s', '4 KiB req/CPU-s', '1 MiB MiB/CPU-s', '100 MiB MiB/CPU-s', '1 MiB MiB/s', '100 MiB MiB/s', '100 MiB RSS MB idle → peak', 'errors', 'rounds'];
  const lines = [`| ${head.join(' | ')} |`, `| --- |${' --: |'.repeat(head.length - 1)}`];
  for (const s of summary) {
    const c = s.cells;
    /** @param {string} sc @param {(c: Cell) => string} f */
    const show = (sc, f) => (!c[sc] ? '–' : c[sc].failed ? c[sc].failed.replace(/\|/g, '\\|') : f(c[sc]));
    const cells = [
      show('13b', (x) => `**${fmt(x.per_cpu_s)}**`),
      show('4k', (x) => `**${fmt(x.per_cpu_s)}**`),
      show('1m', (x) => `**${fmt(x.bytes_per_cpu_s === null ? null : x.bytes_per_cpu_s / MiB)}**`),
      show('100m', (x) => `**${fmt(x.bytes_per_cpu_s === null ? null : x.bytes_per_cpu_s / MiB)}**`),
      show('1m', (x) => fmt(x.bytes_per_s === null ? null : x.bytes_per_s / MiB)),
      show('100m', (x) => fmt(x.bytes_per_s === null ? null : x.bytes_per_s / MiB)),
      c['100m'] && !c['100m'].failed ? rssCell(c['100m']) : '–',
      fmt(Object.values(c).reduce((n, x) => n + x.errors, 0)),
      String(Math.max(0, ...Object.values(c).map((x) => x.rounds))),
    ];
    lines.push(`| ${s.server} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/**
 * Each server's figure ÷ `peer`'s, scenario by scenario ('–' where either has none). Empty when
 * the peer has no figure at all.
 * @param {ServerSummary[]} summary
 * @param {string} peer
 */
export function filesRatioTable(summary, peer) {
  const peerRow = summary.find((s) => s.server === peer);
  if (!peerRow) return '';
  const scenarios = FILE_SCENARIOS.filter((sc) => figure(sc.name, peerRow.cells[sc.name]) !== null);
  if (!scenarios.length) return '';
  const lines = [`| ÷ ${peer} | ${scenarios.map((sc) => sc.label).join(' | ')} |`, `| --- |${' --: |'.repeat(scenarios.length)}`];
  for (const s of summary) {
    if (s.server === peer) continue;
    const cells = scenarios.map((sc) => {
      const mine = figure(sc.name, s.cells[sc.name]);
      const theirs = /** @type {number} */ (figure(sc.name, peerRow.cells[sc.name]));
      return mine === null ? '–' : `${(mine / theirs).toFixed(2)}×`;
    });
    if (cells.every((x) => x === '–')) continue;
    lines.push(`| ${s.server} | ${cells.join(' | ')} |`);
  }
  return lines.length > 2 ? lines.join('\n') : '';
}

/**
 * Issue 9's targets for `server` (uvhttp-files): each ratio, whether it is met, and whether its
 * RSS stayed flat during the 100 MiB run. A target whose figures are missing says so.
 * `staticRoute`: the static route of the same build (uvhttp-static-baseline for
 * uvhttp-files-baseline).
 * @param {ServerSummary[]} summary
 * @param {string} [server]
 * @param {string} [staticRoute]
 * @returns {{ target: string, value: number | null, met: boolean | null }[]}
 */
export function targetResults(summary, server = 'uvhttp-files', staticRoute = server.replace('uvhttp-files', STATIC_ROUTE)) {
  const label = (/** @type {string} */ sc) => FILE_SCENARIOS.find((s) => s.name === sc)?.label ?? sc;
  const out = TARGETS.map((t) => {
    const peer = t.peer === STATIC_ROUTE ? staticRoute : t.peer;
    const mine = figureOf(summary, server, t.scenario);
    const theirs = figureOf(summary, peer, t.scenario);
    const value = mine !== null && theirs ? mine / theirs : null;
    return { target: `${label(t.scenario)}: ${server} ≥ ${t.min.toFixed(1)}× ${peer}`, value, met: value === null ? null : value >= t.min };
  });
  const big = summary.find((s) => s.server === server)?.cells['100m'];
  const growth = big && big.rss_peak_mb !== null && big.rss_idle_mb !== null ? big.rss_peak_mb - big.rss_idle_mb : null;
  out.push({ target: `100 MiB: ${server} RSS grows < ${FLAT_RSS_MB} MB (MB)`, value: growth, met: growth === null ? null : growth < FLAT_RSS_MB });
  return out;
}

/** The targets as a markdown table. @param {ReturnType<typeof targetResults>} results */
export function targetTable(results) {
  const lines = ['| target | figure | met |', '| --- | --: | --- |'];
  for (const r of results) {
    const v = r.value === null ? '–' : r.target.endsWith('(MB)') ? fmt(r.value, 1) : `${r.value.toFixed(2)}×`;
    lines.push(`| ${r.target} | ${v} | ${r.met === null ? 'no figure' : r.met ? 'yes' : '**no**'} |`);
  }
  return lines.join('\n');
}
