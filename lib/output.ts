// The JS half of the corked write: responses are serialised into one shared buffer and handed to the
// native core in bulk -- after a batch by the core itself, otherwise by one flush per microtask turn.
//
// Serialisation avoids the string-building and per-call costs of Buffer#write: fixed parts are cached
// as bytes, short ASCII strings are copied by a JS loop, and only long or non-ASCII bodies go through
// utf8Write.
import { PART_LAST, PART_WHOLE, RES_WANT_DRAIN, RES_WORDS } from './protocol.js';
import type { FastBuffer } from './bytes.js';
import type { NativeServer } from './native.js';

const INITIAL_BYTES = 256 * 1024;
const MAX_RECORDS = 4096;
/** Room left before a body for "Content-Length: N\r\n". */
const CONTENT_LENGTH_ROOM = 40;
/** Longer strings are cheaper through one utf8Write call than a JS loop. */
const JS_COPY_MAX = 256;
const CONTENT_LENGTH = Buffer.from('Content-Length: ');
/** Room before a chunk for its size line: 8 hex digits cover any chunk a record can hold. */
const CHUNK_SIZE_ROOM = 10;
const CRLF = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');
const HEX = Buffer.from('0123456789abcdef');

/**
 * Past this length a header block is copied by latin1Write: it is usually several fields joined, a
 * string V8 would first flatten (a copy of its own) for a loop of charCodeAt to read.
 */
const JS_FIELDS_MAX = 40;

/** Copies a string whose chars are all < 0x100 (validated header text). */
function copyLatin1(d: FastBuffer, s: string, p: number): number {
  if (s.length > JS_FIELDS_MAX) return p + d.latin1Write(s, p);
  for (let i = 0; i < s.length; i++) d[p + i] = s.charCodeAt(i);
  return p + s.length;
}

/** Copies an ASCII string; -1 at the first char that needs UTF-8. */
function copyAscii(d: Uint8Array, s: string, p: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return -1;
    d[p + i] = c;
  }
  return p + s.length;
}

/** Writes a body at p; returns its length in bytes. */
function writeBody(d: FastBuffer, body: string | Uint8Array, p: number): number {
  if (typeof body !== 'string') {
    d.set(body, p);
    return body.byteLength;
  }
  const end = body.length <= JS_COPY_MAX ? copyAscii(d, body, p) : -1;
  return end >= 0 ? end - p : d.utf8Write(body, p);
}

/** Which response of which connection a record answers. */
export interface Addressee {
  readonly conn: number;
  readonly serialLo: number;
  readonly serialHi: number;
  readonly seq: number;
}

function digits(n: number): number {
  let k = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    k++;
  }
  return k;
}

export class Output {
  private data = Buffer.allocUnsafe(INITIAL_BYTES) as FastBuffer;
  private readonly records = new Int32Array(1 + MAX_RECORDS * RES_WORDS);
  private pos = 0;
  private flushQueued = false;
  private readonly flushNow = () => {
    this.flushQueued = false;
    if (this.records[0] !== 0) this.native.flush();
  };

  constructor(private readonly native: NativeServer) {
    native.setOutput(this.data, this.records);
  }

  /**
   * One response: status line, the handler's header fields, an optional content-type line, then
   * Content-Length and the body (bodyLength is only read when omitBody: HEAD knows the length it
   * does not send). The body is written first, after a gap, so its UTF-8 length is known when the
   * head is written to end exactly where the body starts.
   */
  writeResponse(
    to: Addressee,
    status: Uint8Array,
    fields: string,
    typeLine: Uint8Array | undefined,
    body: string | Uint8Array | undefined,
    omitBody: boolean,
    bodyLength: number,
  ): void {
    const typeLength = typeLine === undefined ? 0 : typeLine.length;
    const headMax = status.length + fields.length + typeLength + CONTENT_LENGTH_ROOM;
    const bodyMax = omitBody || body === undefined ? 0 : typeof body === 'string' ? body.length * 3 : body.byteLength;
    this.reserve(headMax + bodyMax);
    const d = this.data;
    const bodyStart = this.pos + headMax;

    // The body copy is written out here rather than through writeBody(): this is every response's
    // path, and the call measured in instructions per request.
    let length = bodyLength;
    if (!omitBody && body !== undefined) {
      if (typeof body !== 'string') {
        d.set(body, bodyStart);
        length = body.byteLength;
      } else {
        const end = body.length <= JS_COPY_MAX ? copyAscii(d, body, bodyStart) : -1;
        length = end >= 0 ? end - bodyStart : d.utf8Write(body, bodyStart);
      }
    }

    const n = digits(length);
    const headLength = status.length + fields.length + typeLength + CONTENT_LENGTH.length + n + 2;
    const start = bodyStart - headLength;
    d.set(status, start);
    let p = copyLatin1(d, fields, start + status.length);
    if (typeLine !== undefined) {
      d.set(typeLine, p);
      p += typeLength;
    }
    d.set(CONTENT_LENGTH, p);
    p += CONTENT_LENGTH.length + n;
    for (let v = length, q = p - 1; q >= p - n; q--, v = Math.floor(v / 10)) d[q] = 48 + (v % 10);
    d[p] = 13;
    d[p + 1] = 10;

    const sent = omitBody ? 0 : length;
    this.pos = bodyStart + sent;
    this.record(to, start, headLength, sent, PART_WHOLE);
  }

  /** A response without Content-Length and body (204, 304). */
  writeHeadOnly(to: Addressee, status: Uint8Array, fields: string): void {
    this.reserve(status.length + fields.length);
    const start = this.pos;
    this.data.set(status, start);
    const end = copyLatin1(this.data, fields, start + status.length);
    this.pos = end;
    this.record(to, start, end - start, 0, PART_WHOLE);
  }

  /**
   * The head of a streamed response: status line, fields, an optional content-type line and the
   * framing line (Transfer-Encoding or Content-Length, none when the close ends the body). kind:
   * PART_START, with RES_CLOSE_DELIMITED when the close ends the body, or PART_WHOLE when the head is
   * all there is (HEAD).
   */
  writeStreamHead(to: Addressee, status: Uint8Array, fields: string, typeLine: Uint8Array | undefined, framing: Uint8Array | undefined, kind: number): void {
    const typeLength = typeLine === undefined ? 0 : typeLine.length;
    const framingLength = framing === undefined ? 0 : framing.length;
    this.reserve(status.length + fields.length + typeLength + framingLength);
    const d = this.data;
    const start = this.pos;
    d.set(status, start);
    let p = copyLatin1(d, fields, start + status.length);
    if (typeLine !== undefined) {
      d.set(typeLine, p);
      p += typeLength;
    }
    if (framing !== undefined) {
      d.set(framing, p);
      p += framingLength;
    }
    this.pos = p;
    this.record(to, start, p - start, 0, kind);
  }

  /**
   * Body bytes of a streamed response (part PART_MORE or PART_LAST), as a chunk of the chunked
   * coding when chunked (PART_LAST then adds the last chunk). An empty body writes no chunk: a
   * zero-size chunk would end the body. A body of drainAt bytes or more asks the core to report when
   * the connection's output has drained. Returns the body's length in bytes.
   */
  writeStreamBody(to: Addressee, body: string | Uint8Array | undefined, chunked: boolean, part: number, drainAt: number): number {
    const bodyMax = body === undefined ? 0 : typeof body === 'string' ? body.length * 3 : body.byteLength;
    this.reserve(CHUNK_SIZE_ROOM + bodyMax + CRLF.length + LAST_CHUNK.length);
    const d = this.data;
    const bodyStart = this.pos + CHUNK_SIZE_ROOM;
    const length = body === undefined ? 0 : writeBody(d, body, bodyStart);
    let start = bodyStart;
    let end = bodyStart + length;
    if (chunked && length > 0) {
      // The size line right before the bytes, in as many hex digits as it needs.
      d[--start] = 10;
      d[--start] = 13;
      for (let v = length; v > 0; v = Math.floor(v / 16)) d[--start] = HEX[v % 16];
      d.set(CRLF, end);
      end += CRLF.length;
    }
    if (chunked && part === PART_LAST) {
      d.set(LAST_CHUNK, end);
      end += LAST_CHUNK.length;
    }
    this.pos = end;
    this.record(to, start, 0, end - start, length >= drainAt ? part | RES_WANT_DRAIN : part);
    return length;
  }

  /** A record without bytes: PART_ABORT, or PART_LAST of a body that needs no closing bytes. */
  writeStreamMark(to: Addressee, part: number): void {
    this.reserve(0);
    this.record(to, this.pos, 0, 0, part);
  }

  /**
   * While a batch runs, the core takes the records itself when the JS call returns (after the
   * microtasks the handlers queued), so no flush is queued. The reset is itself a microtask: responses
   * finished by later continuations still get a flush of their own.
   */
  beginBatch(): void {
    this.flushQueued = true;
  }

  endBatch(): void {
    queueMicrotask(this.allowFlush);
  }

  private readonly allowFlush = () => {
    this.flushQueued = false;
  };

  private reserve(need: number): void {
    if (this.records[0] === 0) this.pos = 0; // the core took everything written so far
    if (this.pos + need > this.data.length || this.records[0] === MAX_RECORDS) this.makeRoom(need);
  }

  private record(to: Addressee, start: number, headLength: number, bodyLength: number, kind: number): void {
    const records = this.records;
    const n = records[0];
    const r = 1 + n * RES_WORDS;
    records[r] = to.conn;
    records[r + 1] = to.serialLo;
    records[r + 2] = to.serialHi;
    records[r + 3] = to.seq;
    records[r + 4] = start;
    records[r + 5] = headLength;
    records[r + 6] = bodyLength;
    records[r + 7] = kind;
    records[0] = n + 1;
    if (!this.flushQueued) {
      // Inside a batch the core takes the records itself when JS returns. Outside one (a timer,
      // I/O), this sends every response finished in this turn at once.
      this.flushQueued = true;
      queueMicrotask(this.flushNow);
    }
  }

  private makeRoom(need: number): void {
    if (this.records[0] !== 0) this.native.flush();
    this.pos = 0;
    if (need > this.data.length) {
      let size = this.data.length * 2;
      while (size < need) size *= 2;
      this.data = Buffer.allocUnsafe(size) as FastBuffer;
      this.native.setOutput(this.data, this.records);
    }
  }
}
