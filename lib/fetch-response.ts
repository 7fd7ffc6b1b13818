// A Response's body without the stream machinery, when the body is one the Response holds whole.
//
// `new Response('text')`, `Response.json(x)`, an ArrayBuffer or typed array body: undici keeps the
// bytes it was given (a string, or its own copy as a Uint8Array) as the body's `source`, and a
// ReadableStream that would hand them out in one chunk. Reading that stream with arrayBuffer() costs a
// reader, promises and a copy for bytes that are already there. bodyNow() takes them from `source`.
//
// undici's state is not public: it sits behind a symbol-keyed slot (undici 5 and 6, Node 18 to 22)
// or a private field (undici 7, Node 24: out of reach, so there is no fast path). Nothing is assumed
// from a name: at load a probe finds the slot whose value holds the body of a Response made for the
// purpose (source, length, and the stream that `response.body` returns), and checks that marking a
// body used reads as used. If anything differs the fast path is off and every body is read as a
// stream, as before. Per response, the slot's body must again be the very stream `response.body`
// returns, unread and unlocked, with a string or Uint8Array source; else: the stream.
//
// Afterwards the body reads as used, as it does after arrayBuffer(): bodyUsed is true, the stream
// is locked and closed, and reading it again or cloning the Response throws the same TypeError. Code
// that kept the Response (a logger, a cache after the fact) sees what it saw before.

/** bodyNow()'s answer when the body must be read as a stream. */
export const STREAM: unique symbol = Symbol('uvhttp.fetch.stream');

interface BodyState {
  stream: ReadableStream<Uint8Array> | null;
  source: unknown;
  length: number | null;
}

/** The state slot, or undefined when this undici does not hold bodies the way this module knows. */
const stateKey = findStateKey();

const arrayBuffer = Response.prototype.arrayBuffer;

/** True when this Node's Responses give their bodies up without a stream. */
export const fastBodies = stateKey !== undefined;

function bodyState(response: Response, key: symbol): BodyState | undefined {
  const state = (response as unknown as Record<symbol, unknown>)[key];
  if (state === null || typeof state !== 'object') return undefined;
  const body = (state as { body?: unknown }).body;
  if (body === null || typeof body !== 'object') return undefined;
  return body as BodyState;
}

/** Locks the stream and marks it disturbed and closed, as reading it to the end does. */
function markUsed(stream: ReadableStream<Uint8Array>): void {
  stream
    .getReader()
    .cancel()
    .catch(() => {});
}

function findStateKey(): symbol | undefined {
  try {
    const text = new Response('probe');
    const key = Object.getOwnPropertySymbols(text).find((k) => {
      const body = bodyState(text, k);
      return body !== undefined && body.source === 'probe' && body.length === 5 && body.stream === text.body;
    });
    if (key === undefined) return undefined;
    // Bytes: kept as a copy of their own, so a change to the array after the Response was made
    // cannot show.
    const given = new Uint8Array([1, 2, 3]);
    const bytes = new Response(given);
    const bytesBody = bodyState(bytes, key);
    const source = bytesBody?.source;
    if (!(source instanceof Uint8Array) || source === given || source.join() !== '1,2,3' || bytesBody?.length !== 3) return undefined;
    // A stream has no source.
    const streamed = new Response(new ReadableStream());
    if (bodyState(streamed, key)?.source != null) return undefined;
    // Marking reads as reading.
    const used = new Response('used');
    markUsed(bodyState(used, key)!.stream!);
    if (!used.bodyUsed || !used.body!.locked) return undefined;
    return key;
  } catch {
    return undefined;
  }
}

/**
 * The body of a Response, taken whole when it holds it (a string as it was given, or bytes), and
 * then marked used; STREAM when it must be read as a stream (Blob, FormData, ReadableStream, a body
 * already read or locked, no fast path on this Node). A null body is STREAM too: the caller checks
 * `response.body === null` first.
 */
export function bodyNow(response: Response): string | Uint8Array | typeof STREAM {
  // The stream way reads with arrayBuffer(): a subclass that answers it its own way is asked.
  if (stateKey === undefined || response.arrayBuffer !== arrayBuffer) return STREAM;
  const body = bodyState(response, stateKey);
  if (body === undefined) return STREAM;
  const stream = body.stream;
  // The slot must hold this Response's own body, untouched; a used or locked one goes the stream
  // way, which fails it as arrayBuffer() would.
  if (stream === null || stream !== response.body || stream.locked || response.bodyUsed) return STREAM;
  const source = body.source;
  if (typeof source === 'string') {
    markUsed(stream);
    return source;
  }
  if (source instanceof Uint8Array && source.byteLength === body.length) {
    markUsed(stream);
    return source;
  }
  return STREAM;
}

/**
 * The length undici knows a Response's body to have before it is read (a Blob's size, a FormData's
 * multipart encoding, any body bodyNow() takes), or undefined: a stream of unknown length, a body
 * already read or locked, or no fast path on this Node. A stream sent with this Content-Length that
 * turns out shorter or longer is cut off, never passed as whole.
 */
export function lengthOf(response: Response): number | undefined {
  if (stateKey === undefined) return undefined;
  const body = bodyState(response, stateKey);
  if (body === undefined || body.stream === null || body.stream !== response.body || body.stream.locked || response.bodyUsed) {
    return undefined;
  }
  const length = body.length;
  return typeof length === 'number' && Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}
