// The JS half of the corked write: responses are serialised into one shared buffer and handed to the
// native core in bulk -- after a batch by the core itself, otherwise by one flush per microtask turn.
import { RES_WORDS } from './protocol.js';
import type { FastBuffer } from './bytes.js';
import type { NativeServer } from './native.js';

const INITIAL_BYTES = 256 * 1024;
const MAX_RECORDS = 4096;

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

  /** head: status line and header fields; body bytes follow it. */
  write(conn: number, seq: number, head: string, body: Buffer | string | undefined, bodyLength: number): void {
    const records = this.records;
    if (records[0] === 0) this.pos = 0; // the core took everything written so far
    const need = head.length + bodyLength;
    if (this.pos + need > this.data.length || records[0] === MAX_RECORDS) this.makeRoom(need);

    const start = this.pos;
    const data = this.data;
    data.latin1Write(head, start);
    if (typeof body === 'string') data.utf8Write(body, start + head.length);
    else if (body !== undefined) body.copy(data, start + head.length);
    this.pos = start + need;

    const n = records[0];
    const r = 1 + n * RES_WORDS;
    records[r] = conn;
    records[r + 1] = seq;
    records[r + 2] = start;
    records[r + 3] = head.length;
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
