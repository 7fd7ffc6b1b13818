// The JS half of the corked write: responses are serialised into one shared buffer and handed to the
// native core in bulk -- after a batch by the core itself, otherwise by one flush per microtask turn.
import { RES_WORDS } from './protocol.js';
import type { FastBuffer } from './bytes.js';
import type { NativeServer } from './native.js';

const INITIAL_BYTES = 256 * 1024;
const MAX_RECORDS = 4096;
/** Longest "Content-Length: N\r\n" line. */
const CONTENT_LENGTH_ROOM = 40;

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

  /** head: status line and header fields, each CRLF-ended; body bytes follow it. */
  write(conn: number, seq: number, head: string, body: Buffer | undefined, bodyLength: number): void {
    this.reserve(head.length + bodyLength);
    const start = this.pos;
    this.data.latin1Write(head, start);
    if (body !== undefined) body.copy(this.data, start + head.length);
    this.pos = start + head.length + bodyLength;
    this.record(conn, seq, start, head.length, bodyLength);
  }

  /**
   * A text body: written first, at a gap left for the head, so that utf8Write's count gives the
   * Content-Length and no separate byteLength pass is needed. The head then ends where the body starts.
   */
  writeText(conn: number, seq: number, head: string, body: string): void {
    this.reserve(head.length + CONTENT_LENGTH_ROOM + body.length * 3);
    const bodyStart = this.pos + head.length + CONTENT_LENGTH_ROOM;
    const length = this.data.utf8Write(body, bodyStart);
    const fullHead = `${head}Content-Length: ${length}\r\n`;
    const start = bodyStart - fullHead.length;
    this.data.latin1Write(fullHead, start);
    this.pos = bodyStart + length;
    this.record(conn, seq, start, fullHead.length, length);
  }

  private reserve(need: number): void {
    if (this.records[0] === 0) this.pos = 0; // the core took everything written so far
    if (this.pos + need > this.data.length || this.records[0] === MAX_RECORDS) this.makeRoom(need);
  }

  private record(conn: number, seq: number, start: number, headLength: number, bodyLength: number): void {
    const records = this.records;
    const n = records[0];
    const r = 1 + n * RES_WORDS;
    records[r] = conn;
    records[r + 1] = seq;
    records[r + 2] = start;
    records[r + 3] = headLength;
    records[r + 4] = bodyLength;
    records[0] = n + 1;
    if (!this.flushQueued) {
      // Inside a batch the core takes the records itself when JS returns; this flush then finds
      // nothing. Outside one (a timer, I/O), it sends every response finished in this turn at once.
      this.flushQueued = true;
      queueMicrotask(this.flushNow);
    }
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
