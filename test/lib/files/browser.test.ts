// serveDir in a real browser: Debian's chromium, driven by puppeteer-core, loads a small committed site
// (site/: a page, a stylesheet, an ES module importing another, a PNG, an SVG and a 253 KiB TrueType font
// that goes out with sendfile) from app.serveDir('/', site). Every sub-resource must arrive with 200 and
// do its job (the module runs, the images decode, the font loads and renders, the CSS applies, a few
// screenshot pixels are right); with `Cache-Control: no-cache` a reload must revalidate each of them
// and get 304. Headless Chromium's content-type sniffing, strict module MIME checks and conditional
// requests are stricter judges than a hand-written client.
// Needs chromium (apt-get install chromium); CHROMIUM_PATH names another Chrome or Chromium binary.
import { existsSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type HTTPResponse, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp, type Started } from '../../helpers/app.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

const site = fileURLToPath(new URL('./site/', import.meta.url));
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Every URL path the page loads, with the type it must be served as. */
const RESOURCES: Record<string, RegExp> = {
  '/': /^text\/html; charset=utf-8$/,
  '/css/site.css': /^text\/css; charset=utf-8$/,
  '/js/main.js': /^(text|application)\/javascript; charset=utf-8$/,
  '/js/greet.js': /^(text|application)\/javascript; charset=utf-8$/,
  '/img/quadrants.png': /^image\/png$/,
  '/img/disc.svg': /^image\/svg\+xml$/,
  '/fonts/DejaVuSansMono-Oblique.ttf': /^font\/ttf$/,
};

interface Seen {
  responses: HTTPResponse[];
  failed: string[];
  errors: string[];
}

/** The RGB of one pixel of a 1x1 PNG screenshot: whatever its row filter, one pixel decodes as stored. */
function pixel(png: Uint8Array): [number, number, number] {
  const buf = Buffer.from(png);
  let pos = 8;
  let colorType = -1;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      expect(data.readUInt32BE(0), 'screenshot width').toBe(1);
      expect(data[8], 'bit depth').toBe(8);
      colorType = data[9];
    } else if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  expect([2, 6], 'RGB or RGBA').toContain(colorType);
  const row = inflateSync(Buffer.concat(idat));
  return [row[1], row[2], row[3]];
}

describe('a site served by serveDir in Chromium', () => {
  let browser: Browser;
  let page: Page;
  let server: Started;
  let seen: Seen;

  const watch = (): Seen => {
    seen = { responses: [], failed: [], errors: [] };
    return seen;
  };
  const pathOf = (r: HTTPResponse) => new URL(r.url()).pathname;
  const byPath = () => Object.fromEntries(seen.responses.map((r) => [pathOf(r), r]));

  beforeAll(async () => {
    if (!existsSync(chromium)) {
      throw new Error(
        `the browser test needs Chromium at ${chromium}: apt-get install chromium ` +
          '(or set CHROMIUM_PATH to a Chrome or Chromium binary)',
      );
    }
    server = await startApp((app) => app.serveDir('/', site, { cacheControl: 'no-cache' }));
    // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start. A fixed sRGB profile
    // keeps screenshot colours equal to the CSS ones.
    // Chromium is the client, not code under test: it runs without the sanitizer runtime that
    // scripts/asan.sh preloads into this process (Chromium hangs with it).
    const { LD_PRELOAD: _preload, ...env } = process.env;
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      env,
      args: ['--no-sandbox', '--force-color-profile=srgb', '--disable-gpu', '--disable-extensions'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 800, height: 600, deviceScaleFactor: 1 });
    // On (the default), stated because the reload test depends on it: the browser keeps what it
    // loaded and, told no-cache, must ask the server whether it is still current.
    await page.setCacheEnabled(true);
    watch();
    page.on('response', (r) => seen.responses.push(r));
    page.on('requestfailed', (r) => seen.failed.push(`${r.url()}: ${r.failure()?.errorText}`));
    page.on('pageerror', (e) => seen.errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') seen.errors.push(m.text());
    });
    await page.goto(`${server.base}/`, { waitUntil: 'networkidle0' });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('requests every sub-resource and gets each with 200 and its content type; nothing fails', async () => {
    const first = { ...seen };
    expect(first.failed).toEqual([]);
    expect(first.errors).toEqual([]);
    expect(first.responses.map(pathOf).sort()).toEqual(Object.keys(RESOURCES).sort());
    for (const r of first.responses) {
      const path = pathOf(r);
      expect(r.status(), path).toBe(200);
      expect(r.headers()['content-type'], path).toMatch(RESOURCES[path]);
      expect(r.headers()['cache-control'], path).toBe('no-cache');
      expect(r.headers()['etag'], path).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    }
    // The font is over the 64 KiB in-memory limit: it went out with sendfile, the rest from memory.
    expect(server.app.stats().files.sendfileResponses).toBeGreaterThanOrEqual(1);
  });

  const checkPage = async () => {
    const state = await page.evaluate(async () => {
      await document.fonts.ready;
      const png = document.getElementById('png') as HTMLImageElement;
      const svg = document.getElementById('svg') as HTMLImageElement;
      await Promise.all([png.decode(), svg.decode()]);
      // Glyph widths tell which font drew the text: in the monospaced fixture font 'iiii' and 'MMMM'
      // are equally wide, in the serif fallback they are not.
      const width = (text: string) => {
        const span = document.createElement('span');
        span.style.fontFamily = "'FixtureMono', serif";
        span.style.fontSize = '40px';
        span.textContent = text;
        document.body.append(span);
        const w = span.getBoundingClientRect().width;
        span.remove();
        return w;
      };
      const style = (id: string) => getComputedStyle(document.getElementById(id)!);
      return {
        module: document.body.dataset.module,
        greeting: document.getElementById('greeting')!.textContent,
        png: [png.naturalWidth, png.naturalHeight],
        svg: [svg.naturalWidth, svg.naturalHeight],
        fonts: [...document.fonts].map((f) => [f.family.replace(/["']/g, ''), f.status]),
        fontCheck: document.fonts.check("16px 'FixtureMono'"),
        widths: [width('iiii'), width('MMMM')],
        titleColor: style('title').color,
        background: getComputedStyle(document.body).backgroundColor,
        sampleFont: style('sample').fontFamily,
        pngBox: [style('png').left, style('png').top, style('png').width],
      };
    });
    expect(state.module, 'the ES module ran').toBe('ran');
    expect(state.greeting, 'the module imported greet.js').toBe('hello from a module, uvhttp');
    expect(state.png, 'the PNG decoded').toEqual([2, 2]);
    expect(state.svg, 'the SVG decoded').toEqual([80, 80]);
    expect(state.fonts).toEqual([['FixtureMono', 'loaded']]);
    expect(state.fontCheck).toBe(true);
    expect(state.widths[0]).toBeGreaterThan(0);
    expect(state.widths[0], 'text drawn with the monospaced fixture font').toBeCloseTo(state.widths[1], 1);
    expect(state.titleColor).toBe('rgb(12, 34, 56)');
    expect(state.background).toBe('rgb(250, 240, 200)');
    expect(state.sampleFont).toMatch(/FixtureMono/);
    expect(state.pngBox).toEqual(['20px', '120px', '80px']);
  };

  it('runs the module, decodes both images, loads and uses the font, and applies the stylesheet', checkPage);

  it('paints them: screenshot pixels at known places have the images’ and the stylesheet’s colours', async () => {
    const at = async (x: number, y: number) => pixel(await page.screenshot({ type: 'png', clip: { x, y, width: 1, height: 1 } }));
    const expected: Array<[string, number, number, [number, number, number]]> = [
      ['PNG top left (red)', 40, 140, [255, 0, 0]],
      ['PNG top right (green)', 80, 140, [0, 255, 0]],
      ['PNG bottom left (blue)', 40, 180, [0, 0, 255]],
      ['PNG bottom right (yellow)', 80, 180, [255, 255, 0]],
      ['SVG disc centre', 160, 160, [0, 64, 255]],
      ['SVG corner', 123, 123, [255, 255, 255]],
      ['page background', 600, 400, [250, 240, 200]],
    ];
    for (const [what, x, y, rgb] of expected) {
      const got = await at(x, y);
      for (let i = 0; i < 3; i++) expect(Math.abs(got[i] - rgb[i]), `${what} at ${x},${y}: got rgb(${got})`).toBeLessThanOrEqual(3);
    }
  });

  describe('after a reload', () => {
    let before: { notModified: number };

    beforeAll(async () => {
      before = { notModified: server.app.stats().files.notModified };
      watch();
      await page.reload({ waitUntil: 'networkidle0' });
    });

    it('revalidates every sub-resource and gets 304 for each, with its validator and Cache-Control', () => {
      expect(seen.failed).toEqual([]);
      expect(seen.errors).toEqual([]);
      expect(seen.responses.map(pathOf).sort()).toEqual(Object.keys(RESOURCES).sort());
      for (const r of seen.responses) {
        const path = pathOf(r);
        expect(r.status(), path).toBe(304);
        expect(r.fromCache(), `${path} must be asked of the server, not taken from the cache`).toBe(false);
        expect(r.headers()['etag'], path).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
        expect(r.headers()['cache-control'], path).toBe('no-cache');
      }
      expect(byPath()['/fonts/DejaVuSansMono-Oblique.ttf'].headers()['content-length']).toBeUndefined();
      expect(server.app.stats().files.notModified - before.notModified).toBe(Object.keys(RESOURCES).length);
    });

    it('works from the revalidated copies as it did the first time', checkPage);
  });
});
