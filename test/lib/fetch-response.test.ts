// bodyNow: a Response's body taken from what undici holds must be exactly what reading its stream
// gives, for every kind of body, and leave the Response as reading it would. These compare against
// arrayBuffer() on purpose: if a future Node kept something else in the slot bodyNow reads, they
// fail instead of the server sending wrong bytes.
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { bodyNow, fastBodies, STREAM } from '../../lib/fetch-response.js';
import { startApp, type Started } from '../helpers/app.js';
import { buildRequest, get, rawRequest, show } from '../helpers/http.js';

vi.setConfig({ testTimeout: 10_000, hookTimeout: 10_000 });

const bytesOf = (v: string | Uint8Array) => (typeof v === 'string' ? new TextEncoder().encode(v) : new Uint8Array(v));

const ascii = 'Hello World!!';
const long = 'x'.repeat(70_000) + 'é';
const mixed = 'héllo wörld ✓ 😀';
const loneSurrogates = 'a\ud800b\udc00c';

/** Bodies that undici holds whole: bodyNow takes them without the stream (where it can). */
const HELD: Record<string, () => Response> = {
  'ASCII string': () => new Response(ascii),
  'empty string': () => new Response(''),
  'non-ASCII string': () => new Response(mixed),
  'lone surrogates': () => new Response(loneSurrogates),
  'long string': () => new Response(long),
  ArrayBuffer: () => new Response(new Uint8Array([1, 2, 3, 250]).buffer),
  'empty ArrayBuffer': () => new Response(new ArrayBuffer(0)),
  Uint8Array: () => new Response(new Uint8Array([0, 255, 7])),
  'Uint8Array view with an offset': () => new Response(new Uint8Array([9, 8, 7, 6, 5]).subarray(1, 4)),
  Buffer: () => new Response(Buffer.from('buffer body')),
  'Buffer from the pool': () => new Response(Buffer.from('pooled, so its ArrayBuffer is shared')),
  Int16Array: () => new Response(new Int16Array([1, -1, 300])),
  Float64Array: () => new Response(new Float64Array([Math.PI])),
  DataView: () => new Response(new DataView(new Uint8Array([4, 5, 6, 7]).buffer, 1, 2)),
  'large bytes': () => new Response(new Uint8Array(200_000).map((_, i) => (i * 31) & 0xff)),
  'Response.json': () => Response.json({ a: [1, 'é'], b: null }),
  URLSearchParams: () => new Response(new URLSearchParams({ a: '1', b: 'x y&z' })),
  'with status and headers': () => new Response('made', { status: 201, headers: { 'x-a': '1' } }),
  subclass: () => new (class extends Response {})('from a subclass'),
};

/** Bodies that have to be read as streams. */
const STREAMED: Record<string, () => Response> = {
  Blob: () => new Response(new Blob(['blob ', 'body'], { type: 'text/x-blob' })),
  FormData: () => {
    const form = new FormData();
    form.append('a', '1');
    return new Response(form);
  },
  ReadableStream: () =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode('one,'));
          c.enqueue(new TextEncoder().encode('two'));
          c.close();
        },
      }),
    ),
  'another Response’s body': () => new Response(new Response('inner').body),
};

const ALL = { ...HELD, ...STREAMED };

/** A subclass's arrayBuffer() is not what the server sends: it streams the body, as other servers do. */
class Shouting extends Response {
  override async arrayBuffer(): Promise<ArrayBuffer> {
    return new TextEncoder().encode((await this.text()).toUpperCase()).buffer as ArrayBuffer;
  }
}

/** Sent by the server only (a clone of a subclass is a plain Response). */
const WIRE = { ...ALL, 'subclass with its own arrayBuffer()': () => new Shouting('quiet') };

/** FormData bodies differ by their random boundary alone. */
const sameBoundary = (b: Uint8Array) => new Uint8Array(Buffer.from(Buffer.from(b).toString('latin1').replace(/formdata-undici-\d+/g, 'formdata-undici-B'), 'latin1'));

/** bodyNow's answer as bytes, copied at once (as the server copies it into its output). */
function now(response: Response): Uint8Array | typeof STREAM {
  const v = bodyNow(response);
  return v === STREAM ? v : Uint8Array.from(bytesOf(v));
}

describe('bodyNow, directly', () => {
  it('is on where undici keeps Response state in a symbol-keyed slot (Node 18 to 22)', () => {
    // If this turns false after a Node upgrade, every body goes through its stream again: correct but slow.
    const undiciMajor = Number(process.versions.undici?.split('.')[0] ?? 0);
    expect(fastBodies).toBe(undiciMajor > 0 && undiciMajor < 7);
  });

  for (const [kind, make] of Object.entries(ALL)) {
    it(`${kind}: the same bytes as arrayBuffer() of the same Response`, async () => {
      const expected = sameBoundary(new Uint8Array(await make().arrayBuffer()));
      const response = make();
      const got = now(response);
      if (kind in STREAMED || !fastBodies) {
        expect(got).toBe(STREAM);
        // The stream way is untouched.
        expect(response.bodyUsed).toBe(false);
        expect(sameBoundary(new Uint8Array(await response.arrayBuffer()))).toEqual(expected);
      } else {
        expect(got).not.toBe(STREAM);
        expect(got).toEqual(expected);
      }
    });

    it(`${kind}: the same bytes as the stream of its clone`, async () => {
      const response = make();
      const clone = response.clone();
      const got = now(response);
      const expected = new Uint8Array(await clone.arrayBuffer());
      if (got === STREAM) expect(new Uint8Array(await response.arrayBuffer())).toEqual(expected);
      else expect(got).toEqual(expected);
    });
  }

  for (const kind of Object.keys(HELD)) {
    it.skipIf(!fastBodies)(`${kind}: left as reading it leaves it`, async () => {
      const taken = HELD[kind]();
      const read = HELD[kind]();
      now(taken);
      await read.arrayBuffer();
      expect(taken.bodyUsed).toBe(read.bodyUsed);
      expect(taken.body?.locked).toBe(read.body?.locked);
      expect(() => taken.clone()).toThrow(TypeError);
      expect(() => read.clone()).toThrow(TypeError);
      const again = (r: Response) => r.text().then(
        () => 'read',
        (err: Error) => [err.name, err.message],
      );
      expect(await again(taken)).toEqual(await again(read));
      expect(() => new Response(taken.body)).toThrow(TypeError);
      // And asking twice does not hand the body out twice.
      expect(bodyNow(taken)).toBe(STREAM);
    });
  }

  it('bytes changed after the Response was made do not show (undici copied them; so is what is sent)', async () => {
    const given = new Uint8Array([1, 2, 3]);
    const response = new Response(given);
    const twin = new Response(given);
    given[0] = 99;
    const got = now(response);
    expect(got === STREAM ? new Uint8Array(await response.arrayBuffer()) : got).toEqual(new Uint8Array(await twin.arrayBuffer()));
    expect([...new Uint8Array(await new Response(given).arrayBuffer())]).toEqual([99, 2, 3]);
  });

  it('a clone read first has taken the bytes over: the original goes the stream way, intact', async () => {
    const response = new Response(new Uint8Array([5, 6, 7]));
    const clone = response.clone();
    expect([...new Uint8Array(await clone.arrayBuffer())]).toEqual([5, 6, 7]);
    const got = now(response);
    if (got !== STREAM) expect([...got]).toEqual([5, 6, 7]);
    else expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([5, 6, 7]);
  });

  it('a body already read, being read, or locked is the stream way’s to refuse', async () => {
    const used = new Response('used');
    await used.text();
    expect(bodyNow(used)).toBe(STREAM);

    const locked = new Response('locked');
    locked.body!.getReader();
    expect(bodyNow(locked)).toBe(STREAM);
    await expect(locked.arrayBuffer()).rejects.toThrow(TypeError);

    const partly = new Response(new Uint8Array([1, 2]));
    const reader = partly.body!.getReader();
    await reader.read();
    reader.releaseLock();
    expect(bodyNow(partly)).toBe(STREAM);
    await expect(partly.arrayBuffer()).rejects.toThrow(TypeError);
  });

  it('a subclass with its own arrayBuffer() is asked, as the stream way asks it', () => {
    expect(bodyNow(new Shouting('quiet'))).toBe(STREAM);
  });

  it('anything that is not undici’s own Response goes the stream way', () => {
    expect(bodyNow(Object.create(Response.prototype) as Response)).toBe(STREAM);
    expect(bodyNow({ body: 'x' } as unknown as Response)).toBe(STREAM);
  });
});

describe('bodyNow, behind a real server', () => {
  let s: Started;
  const errors: unknown[] = [];
  const sent: Response[] = [];

  beforeAll(async () => {
    s = await startApp(
      (app) => {
        app.fetch((request: Request) => {
          const kind = decodeURIComponent(new URL(request.url).pathname.slice(1));
          const make = WIRE[kind as keyof typeof WIRE];
          if (make === undefined) return new Response('no such kind', { status: 404 });
          const response = make();
          sent.push(response);
          return response;
        });
      },
      { onError: (err: unknown) => errors.push(err) },
    );
  });

  afterAll(() => s?.stop());

  // Streams of a length nobody knows before reading them go chunked, and their HEAD states no length.
  const UNKNOWN_LENGTH = new Set(['ReadableStream', 'another Response’s body']);
  for (const [kind, make] of Object.entries(WIRE).filter(([k]) => !UNKNOWN_LENGTH.has(k))) {
    it(`${kind}: the bytes on the wire are the body's, with their length, and HEAD has that length`, async () => {
      const raw = new Uint8Array(await new Response(make().body).arrayBuffer());
      const expected = Buffer.from(sameBoundary(raw));
      const path = `/${encodeURIComponent(kind)}`;
      const r = await rawRequest(s.port, Buffer.concat([buildRequest('HEAD', path), get(path)]), {
        waitForResponses: 2,
        noBody: [true, false],
      });
      expect(r.responses.length, show(r.raw)).toBe(2);
      const [head, res] = r.responses;
      expect(Buffer.from(sameBoundary(res.body)).equals(expected), `${kind}: ${show(res.body, 80)}`).toBe(true);
      expect(res.headers['content-length']).toBe(String(raw.length));
      expect(head.headers['content-length']).toBe(String(raw.length));
      expect(head.body.length).toBe(0);
      // Whichever way it went, the Response the handler returned reads as used afterwards.
      expect(sent.at(-1)!.bodyUsed).toBe(true);
      expect(errors).toEqual([]);
    });
  }

  for (const kind of UNKNOWN_LENGTH) {
    const make = WIRE[kind as keyof typeof WIRE];
    it(`${kind}: the body chunked as it is read, and HEAD states no length`, async () => {
      const raw = Buffer.from(await make().arrayBuffer());
      const path = `/${encodeURIComponent(kind)}`;
      const r = await rawRequest(s.port, Buffer.concat([buildRequest('HEAD', path), get(path)]), {
        waitForResponses: 2,
        noBody: [true, false],
      });
      expect(r.responses.length, show(r.raw)).toBe(2);
      const [head, res] = r.responses;
      expect(res.body.equals(raw), `${kind}: ${show(res.body, 80)}`).toBe(true);
      expect(res.headers['transfer-encoding']).toBe('chunked');
      expect(res.headers['content-length']).toBeUndefined();
      expect(head.headers['content-length']).toBeUndefined();
      expect(head.headers['transfer-encoding']).toBeUndefined();
      expect(head.body.length).toBe(0);
      expect(sent.at(-1)!.bodyUsed).toBe(true);
      expect(errors).toEqual([]);
    });
  }
});
