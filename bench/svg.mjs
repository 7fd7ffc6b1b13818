// The chart: requests per server CPU-second, one horizontal bar per run, one panel per mode.
// Plain SVG text, no dependencies. Each panel has its own scale (pipelined numbers dwarf the
// others); every bar carries its figure, so the chart reads without the table.

/** @param {string} s */
export function escapeXml(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const COLORS = /** @type {Record<string, string>} */ ({
  'uvhttp-static': '#d9480f',
  'uvhttp-dynamic': '#f08c00',
  'node-http': '#2f9e44',
  fastify: '#66a80f',
  uwebsockets: '#1971c2',
  nginx: '#009639',
  apache: '#9c36b5',
});

/** @param {number} n */
const num = (n) => Math.round(n).toLocaleString('en-US');

/**
 * @param {{ runs: import('./results.mjs').Run[], title?: string, subtitle?: string, modeTitles?: Record<string, string> }} o
 * @returns {string}
 */
export function barChart({ runs, title = 'Requests per server CPU-second (higher is better)', subtitle = '', modeTitles = {} }) {
  const W = 980;
  const labelW = 230;
  const barMax = 440;
  const barH = 18;
  const gap = 6;
  const out = [];
  let y = 58;
  const modes = [...new Set(runs.map((r) => r.mode))];
  for (const mode of modes) {
    const rows = runs.filter((r) => r.mode === mode);
    const max = Math.max(1, ...rows.map((r) => (r.unsupported || r.error ? 0 : (r.per_cpu_s ?? 0))));
    const conns = [...new Set(rows.map((r) => r.connections))].join('/');
    y += 14;
    out.push(`<text class="panel" x="12" y="${y}">${escapeXml(modeTitles[mode] ?? mode)} — ${conns} connections</text>`);
    y += 10;
    for (const r of rows) {
      const label = `${r.server} (${r.scenario})`;
      const cy = y + barH / 2 + 4;
      out.push(`<text class="label" x="${labelW - 8}" y="${cy}" text-anchor="end">${escapeXml(label)}</text>`);
      if (r.unsupported || r.error) {
        const why = r.unsupported ? `unsupported: ${r.unsupported}` : `failed: ${r.error}`;
        out.push(`<text class="unsupported" x="${labelW + 4}" y="${cy}">${escapeXml(why.length > 110 ? `${why.slice(0, 109)}…` : why)}</text>`);
      } else {
        const v = r.per_cpu_s ?? 0;
        const w = Math.max(1, (v / max) * barMax);
        const color = COLORS[r.server] ?? '#868e96';
        const rps = r.requests_per_s === null ? '' : `req/CPU-s · ${num(r.requests_per_s)} req/s`;
        out.push(
          `<rect class="bar" x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color}"><title>${escapeXml(`${label} ${mode}: ${num(v)} ${rps}`)}</title></rect>`,
          `<text class="value" x="${(labelW + w + 6).toFixed(1)}" y="${cy}"><tspan font-weight="bold">${num(v)}</tspan><tspan class="rps" dx="4">${escapeXml(rps)}</tspan></text>`,
        );
      }
      y += barH + gap;
    }
    y += 8;
  }
  const H = y + 34;
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">
<style>
  .title { font-size: 18px; font-weight: bold; }
  .subtitle, .foot { font-size: 11px; fill: #495057; }
  .panel { font-size: 14px; font-weight: bold; fill: #212529; }
  .label, .value { font-size: 12px; fill: #212529; }
  .rps { fill: #868e96; font-weight: normal; }
  .unsupported { font-size: 12px; fill: #c92a2a; font-style: italic; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<text class="title" x="12" y="24">${escapeXml(title)}</text>
<text class="subtitle" x="12" y="42">${escapeXml(subtitle)}</text>
${out.join('\n')}
<text class="foot" x="12" y="${H - 12}">Bar: requests served per second of server CPU time (all its processes, from /proc); grey: requests per wall-clock second. Each panel has its own scale.</text>
</svg>
`;
}
