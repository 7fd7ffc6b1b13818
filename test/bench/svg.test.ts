// The chart: well-formed XML, one bar per measured run, each with its figure.
import { describe, it, expect } from 'vitest';
import { barChart, escapeXml } from '../../bench/svg.mjs';
import { RUNS } from './fixtures/runs.mjs';

/**
 * A small well-formedness check: every tag closes in order, attributes are quoted, no stray '&' or '<'.
 * @param {string} xml
 */
function assertWellFormed(xml) {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack = [];
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|&(?!(?:amp|lt|gt|quot|apos|#\d+);)/g;
  let m;
  let seenRoot = false;
  while ((m = re.exec(body))) {
    if (m[0] === '<' || m[0] === '&') throw new Error(`stray ${m[0]} at ${m.index}: ${body.slice(m.index, m.index + 40)}`);
    const [, close, name, , selfClose] = m;
    if (close) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else if (!selfClose) {
      if (!stack.length && seenRoot) throw new Error('two root elements');
      stack.push(name);
      seenRoot = true;
    }
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(' ')}`);
}

describe('barChart', () => {
  const svg = barChart({ runs: RUNS, subtitle: 'test <machine> & co', modeTitles: { wrk: 'wrk keep-alive' } });

  it('is well-formed SVG', () => {
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg).toMatch(/<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assertWellFormed(svg);
  });

  it('has one bar per measured run, each labelled with its requests per CPU-second', () => {
    const bars = svg.match(/<rect class="bar"/g) ?? [];
    const measured = RUNS.filter((r) => !r.unsupported);
    expect(bars).toHaveLength(measured.length);
    const values = [...svg.matchAll(/<text class="value"[^>]*><tspan font-weight="bold">([\d,]+)<\/tspan>/g)].map((m) => m[1]);
    expect(values).toEqual(['108,167', '43,490']);
  });

  it('names unsupported runs with the reason instead of a bar', () => {
    expect(svg).toMatch(/<text class="unsupported"[^>]*>unsupported: HTTP\/1\.0: status 505/);
    expect(svg).toContain('uwebsockets (handler)');
  });

  it('escapes text', () => {
    expect(svg).toContain('test &lt;machine&gt; &amp; co');
    expect(escapeXml('a"b')).toBe('a&quot;b');
  });

  it('scales the longest bar of each panel to the same width', () => {
    const widths = [...svg.matchAll(/<rect class="bar" x="\d+" y="\d+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    // Two panels, one measured run each: both bars are their panel's longest.
    expect(widths).toHaveLength(2);
    expect(widths[0]).toBeGreaterThan(0);
    expect(widths[0]).toBe(widths[1]);
  });

  it('is well-formed with no runs at all', () => {
    assertWellFormed(barChart({ runs: [] }));
  });
});
