// The results file: { date, machine, runs } written as latest.json and a timestamped copy.
import os from 'node:os';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @typedef {{ server: string, scenario: string, path: string, mode: string, tool: 'wrk' | 'ab' | 'hey',
 *   connections: number, pipeline: number, keepalive: boolean, requests_per_s: number | null,
 *   per_cpu_s: number | null, p50_ms: number | null, p99_ms: number | null, errors: number | null,
 *   rss_mb: number | null, unsupported?: string, error?: string, [k: string]: unknown }} Run
 */

export function machine() {
  let model = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1].trim();
  } catch {
    // Not Linux.
  }
  return { cpus: os.availableParallelism?.() ?? os.cpus().length, model, node: process.version, kernel: os.release() };
}

/**
 * The JSON document. Extra top-level fields (options, tools, skipped) ride along.
 * @param {{ date?: Date, runs: Run[], extra?: Record<string, unknown> }} o
 */
export function resultsDocument({ date = new Date(), runs, extra = {} }) {
  return { date: date.toISOString(), machine: machine(), ...extra, runs };
}

/** 2026-11-22T01-02-03Z: sortable and safe in a file name. @param {Date} date */
export function stamp(date) {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/**
 * Write `<prefix>latest.json` and `<prefix><stamp>.json` under `dir`.
 * @param {string} dir
 * @param {ReturnType<typeof resultsDocument>} doc
 * @param {string} [prefix]
 */
export function writeResults(dir, doc, prefix = '') {
  mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  const latest = join(dir, `${prefix}latest.json`);
  const copy = join(dir, `${prefix}${stamp(new Date(doc.date))}.json`);
  writeFileSync(latest, text);
  writeFileSync(copy, text);
  return { latest, copy };
}

/**
 * Fold interleaved rounds into one row per server, scenario, mode and load: the round whose
 * requests per CPU-second is the median (the lower of the two middle ones for an even count), with
 * every round's figure beside it in `rounds_per_cpu_s` (round order). A row no round measured keeps
 * its first round's (unsupported, error).
 * @param {Run[][]} rounds
 * @returns {Run[]}
 */
export function medianRounds(rounds) {
  if (rounds.length === 1) return rounds[0];
  const key = (/** @type {Run} */ r) => `${r.server}\0${r.scenario}\0${r.mode}\0${r.connections}`;
  /** @type {Map<string, Run[]>} */
  const rows = new Map();
  for (const round of rounds) {
    for (const r of round) {
      const list = rows.get(key(r));
      if (list) list.push(r);
      else rows.set(key(r), [r]);
    }
  }
  return [...rows.values()].map((list) => {
    const measured = list.filter((r) => !r.unsupported && !r.error && typeof r.per_cpu_s === 'number');
    if (measured.length === 0) return list[0];
    const sorted = [...measured].sort((a, b) => /** @type {number} */ (a.per_cpu_s) - /** @type {number} */ (b.per_cpu_s));
    const mid = sorted[Math.floor((sorted.length - 1) / 2)];
    return { ...mid, rounds_per_cpu_s: list.map((r) => r.per_cpu_s ?? null) };
  });
}
