// The markdown table printed at the end of a run.

/** @param {number | null | undefined} n @param {number} [digits] */
export function fmt(n, digits = 0) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** @param {string} s */
const cell = (s) => s.replace(/\|/g, '\\|');

/**
 * @param {import('./results.mjs').Run[]} runs
 * @returns {string}
 */
export function markdownTable(runs) {
  const multi = runs.some((r) => Array.isArray(r.rounds_per_cpu_s));
  const head = ['server', 'scenario', 'mode', 'conns', 'req/s', 'req/CPU-s', 'server CPU', 'client CPU', 'other CPU', 'p50 ms', 'p99 ms', 'errors', 'RSS MB', ...(multi ? ['rounds (req/CPU-s)'] : [])];
  const align = ['---', '---', '---', ...head.slice(3).map(() => '--:')];
  const lines = [`| ${head.join(' | ')} |`, `| ${align.join(' | ')} |`];
  for (const r of runs) {
    const mode = r.pipeline > 1 ? `${r.mode}` : r.mode;
    const lead = [r.server, r.scenario, mode, String(r.connections)];
    if (r.unsupported || r.error) {
      const why = r.unsupported ? `unsupported: ${r.unsupported}` : `failed: ${r.error}`;
      lines.push(`| ${lead.join(' | ')} | ${cell(why)} |${' |'.repeat(head.length - lead.length - 1)}`);
      continue;
    }
    const pct = (/** @type {unknown} */ v) => (typeof v === 'number' ? `${fmt(v)}%` : '–');
    lines.push(
      `| ${[
        ...lead,
        fmt(r.requests_per_s),
        `**${fmt(r.per_cpu_s)}**`,
        pct(r.server_cpu_pct),
        pct(r.loadgen_cpu_pct),
        pct(r.other_cpu_pct),
        fmt(r.p50_ms, 2),
        fmt(r.p99_ms, 2),
        fmt(r.errors),
        fmt(r.rss_mb, 1),
        ...(multi ? [Array.isArray(r.rounds_per_cpu_s) ? r.rounds_per_cpu_s.map((v) => fmt(/** @type {number | null} */ (v))).join(' ') : '–'] : []),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/**
 * The Fapws4 posts' line: "N C /path: requests-per-second".
 * @param {{ requests: number, connections: number, path: string, requests_per_s: number | null, unsupported?: string, error?: string }} r
 */
export function fapwsLine(r) {
  const value = r.unsupported ? `unsupported (${r.unsupported})` : r.error ? `failed (${r.error})` : (r.requests_per_s ?? 0).toFixed(2);
  return `${r.requests} ${r.connections} ${r.path}: ${value}`;
}

/**
 * uvhttp's requests per server CPU-second divided by each peer's, mode by mode: the figure the
 * project is judged by. A peer with several scenarios (nginx's route and file) counts its best.
 * @param {import('./results.mjs').Run[]} runs
 * @returns {string}
 */
export function ratioTable(runs) {
  const ok = runs.filter((r) => !r.unsupported && !r.error && typeof r.per_cpu_s === 'number' && r.per_cpu_s > 0);
  const modes = [...new Set(ok.map((r) => r.mode))];
  const ours = [...new Set(ok.filter((r) => r.server.startsWith('uvhttp')).map((r) => r.server))];
  const peers = [...new Set(ok.filter((r) => !r.server.startsWith('uvhttp')).map((r) => r.server))];
  if (ours.length === 0 || peers.length === 0) return '';
  /** @param {string} server @param {string} mode */
  const best = (server, mode) => {
    const xs = ok.filter((r) => r.server === server && r.mode === mode).map((r) => /** @type {number} */ (r.per_cpu_s));
    return xs.length ? Math.max(...xs) : undefined;
  };
  const lines = [`| uvhttp ÷ peer | mode | ${peers.join(' | ')} |`, `| --- | --- |${' --: |'.repeat(peers.length)}`];
  for (const server of ours) {
    for (const mode of modes) {
      const mine = best(server, mode);
      if (mine === undefined) continue;
      const cells = peers.map((peer) => {
        const theirs = best(peer, mode);
        return theirs === undefined ? '–' : `${(mine / theirs).toFixed(2)}×`;
      });
      lines.push(`| ${server} | ${mode} | ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}
